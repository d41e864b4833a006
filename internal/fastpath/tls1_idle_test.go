package fastpath

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// An idle HTTPS/1.1 keep-alive connection (one request answered, then
// nothing) holds none of the loop's buffers: browsers keep connections
// open and idle for minutes, and the 8 KiB read array plus a write buffer
// of up to idleOutSize each cost an operator hundreds of MiB per 10,000
// idle viewers (and let endless slow connections cost that much). The
// figure is the server's live heap per connection (the TLS connection,
// the conn, the small idle read array), measured with a client in another
// process (TestH2_idleConnectionMemory's, which h2IdleClient runs in mode
// tls1). Plain TCP is not measured here: its idle connections wait in the
// epoll loop, which reads into the buffers.
func TestTLS1_idleConnectionMemory(t *testing.T) {
	if target := os.Getenv(h2IdleClientEnv); target != "" {
		h2IdleClient(target)
		return
	}
	if testing.Short() {
		t.Skip("opens 400 connections")
	}
	const n = 200
	tests := []struct {
		name  string
		alpn  string
		path  string // a fast-path hit
		times int    // pipelined in one write: their answers in one write
		bound int
	}{
		{"ALPN http/1.1, 3-byte hit", "http/1.1", "/fast/3", 1, 20 << 10},
		// Answers below writevSize are gathered in out: about 20 KiB.
		{"no ALPN, 2 pipelined 10 KiB hits (out grew)", "none", "/fast/10000", 2, 42 << 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, addr := startTLSServer(t, nil)
			// One connection first: what the first one sets up once (the
			// handshake's tables, the pools) is not per connection.
			c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
			resp, err := c.Get("https://" + addr + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			c.CloseIdleConnections()
			target := fmt.Sprintf("tls1 %s %d %s %s %d", addr, n, tc.alpn, tc.path, tc.times)
			per, stack := idleConnCost(t, "TestTLS1_idleConnectionMemory", target, n)
			t.Logf("%s: %d idle connections: %.1f KiB of live heap each (%.1f KiB of goroutine stacks)", tc.name, n, per/1024, stack/1024)
			if per > float64(tc.bound) {
				t.Errorf("%s: %.1f KiB of heap per idle connection, want at most %d KiB (no loop buffers held while idle)", tc.name, per/1024, tc.bound>>10)
			}
		})
	}
}

// tls1IdleClient opens n TLS connections offering alpn ("none": no ALPN),
// gets path on each over HTTP/1.1 (times requests in one write) and
// leaves them open and idle until its standard input ends.
func tls1IdleClient(addr string, n int, target string, fail func(error)) {
	var mode, alpn, path string
	var times int
	fmt.Sscan(target, &mode, &addr, &n, &alpn, &path, &times)
	cfg := &tls.Config{InsecureSkipVerify: true}
	if alpn != "none" {
		cfg.NextProtos = []string{alpn}
	}
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := tls.Dial("tcp", addr, cfg)
		if err != nil {
			fail(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := io.WriteString(c, strings.Repeat("GET "+path+" HTTP/1.1\r\nHost: h\r\n\r\n", times)); err != nil {
			fail(err)
		}
		br := bufio.NewReader(c)
		for range times {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				fail(err)
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil || resp.StatusCode != 200 || resp.Header.Get("X-Path") != "fast" {
				fail(fmt.Errorf("%s: %d %q (%v), want a fast-path hit", path, resp.StatusCode, resp.Header.Get("X-Path"), err))
			}
		}
		c.SetDeadline(time.Time{})
		conns = append(conns, c)
	}
	fmt.Println("idle")
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}
