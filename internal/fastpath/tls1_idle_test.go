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
	if runIdleClient(t) {
		return
	}
	const n = 200
	// Before, an idle connection held the loop's buffers: 17.2 KiB of heap
	// each after a small hit, 37.9 KiB after answers gathered in out.
	// Now about 9.7 KiB either way (2 KiB of it the small read array).
	tests := []struct {
		name  string
		alpn  string
		path  string // a fast-path hit
		times int    // pipelined in one write: their answers in one write
		bound int
	}{
		{"ALPN http/1.1, 3-byte hit", "http/1.1", "/fast/3", 1, 12 << 10},
		// Answers below writevSize are gathered in out: about 20 KiB.
		{"no ALPN, 2 pipelined 10 KiB hits (out grew)", "none", "/fast/10000", 2, 12 << 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, addr := startTLSServer(t, nil)
			warmUpOneConnection(t, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}, "https://"+addr+tc.path)
			target := fmt.Sprintf("tls1 %s %d %s %s %d", addr, n, tc.alpn, tc.path, tc.times)
			checkIdleConnCost(t, "TestTLS1_idleConnectionMemory", target, n, tc.bound, "no loop buffers held while idle")
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

// paddedGet is a GET of path whose head is exactly size bytes.
func paddedGet(path string, size int) string {
	short := get(path, "X-Pad: \r\n")
	return get(path, "X-Pad: "+strings.Repeat("p", size-len(short))+"\r\n")
}

// Requests arriving in pieces of every shape after the connection went
// idle (its buffers back in the pool, the read in the small array) are
// put together right: heads larger than the small array, a read that
// fills it exactly, heads cut anywhere, a declined request (its
// background read and the net/http answer on the loop) between hits, and
// a head larger than the read buffer (handed over to net/http). Each
// write is one TLS record, so one read of the server at most.
func TestTLS1_requestsAcrossIdleReads(t *testing.T) {
	_, addr := startTLSServer(t, nil)
	hit := get("/fast/3")
	tests := []struct {
		name    string
		records []string
		want    []string // X-Path and body of each answer
	}{
		{"one head", []string{hit}, []string{"fast fff"}},
		{"a head larger than the small array", []string{paddedGet("/fast/2", 5000)}, []string{"fast ff"}},
		{"a head of the small array's size plus one", []string{paddedGet("/fast/2", tls1IdleReadSize+1)}, []string{"fast ff"}},
		{"heads filling the small array exactly", []string{paddedGet("/fast/1", tls1IdleReadSize/2) + paddedGet("/fast/2", tls1IdleReadSize/2), hit}, []string{"fast f", "fast ff", "fast fff"}},
		{"a head cut in the small array's last bytes", []string{hit + paddedGet("/fast/1", tls1IdleReadSize-len(hit)+10)}, []string{"fast fff", "fast f"}},
		{"a head cut anywhere", []string{hit[:1], hit[1:5], hit[5 : len(hit)-1], hit[len(hit)-1:]}, []string{"fast fff"}},
		{"a declined request between hits", []string{hit, get("/other"), hit}, []string{"fast fff", "net/http HTTP/1.1", "fast fff"}},
		{"a declined request pipelined with a hit", []string{get("/other") + hit}, []string{"net/http HTTP/1.1", "fast fff"}},
		{"a head larger than the read buffer", []string{paddedGet("/fast/2", readBufSize+100)}, []string{"net/http HTTP/1.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dialFront(t, addr, true)
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(c)
			// A hit first: then the loop waits in its idle read.
			io.WriteString(c, hit)
			if resp, body := readResponse(t, br); resp.Header.Get("X-Path")+" "+body != "fast fff" {
				t.Fatalf("first hit: %s %q", resp.Header.Get("X-Path"), body)
			}
			for _, r := range tc.records {
				time.Sleep(2 * time.Millisecond) // each record read on its own
				if _, err := io.WriteString(c, r); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			for range tc.want {
				resp, body := readResponse(t, br)
				got = append(got, resp.Header.Get("X-Path")+" "+body)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("answers %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzTLS1RequestsAcrossIdleReads: three pipelined requests (two of them
// padded to any size up to 4 KiB, across the small array's edge) written
// in TLS records cut anywhere, after the connection went idle, are
// answered in order.
func FuzzTLS1RequestsAcrossIdleReads(f *testing.F) {
	f.Add(uint16(100), uint16(100), []byte{})
	f.Add(uint16(tls1IdleReadSize), uint16(tls1IdleReadSize+1), []byte{0, 0, 1})
	f.Add(uint16(tls1IdleReadSize/2), uint16(tls1IdleReadSize/2), []byte{255, 255, 3, 7})
	f.Add(uint16(3000), uint16(60), []byte{10, 200, 0, 90})
	_, addr := startTLSServer(f, nil)
	hit := get("/fast/3")
	f.Fuzz(func(t *testing.T, pad1, pad2 uint16, cuts []byte) {
		const minHead = 60 // paddedGet's shortest
		stream := paddedGet("/fast/1", minHead+int(pad1)%4000) + hit + paddedGet("/fast/2", minHead+int(pad2)%4000)
		c := dialFront(t, addr, true)
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		io.WriteString(c, hit) // then the loop waits in its idle read
		if resp, body := readResponse(t, br); resp.Header.Get("X-Path")+" "+body != "fast fff" {
			t.Fatalf("first hit: %s %q", resp.Header.Get("X-Path"), body)
		}
		for _, b := range cuts {
			n := min(int(b)*16+1, len(stream))
			if _, err := io.WriteString(c, stream[:n]); err != nil {
				t.Fatal(err)
			}
			stream = stream[n:]
		}
		if len(stream) > 0 {
			if _, err := io.WriteString(c, stream); err != nil {
				t.Fatal(err)
			}
		}
		for _, want := range []string{"fast f", "fast fff", "fast ff"} {
			resp, body := readResponse(t, br)
			if got := resp.Header.Get("X-Path") + " " + body; got != want {
				t.Fatalf("answer %q, want %q", got, want)
			}
		}
	})
}
