package fastpath

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2IdleClientEnv makes this test binary the client of
// TestH2_idleConnectionMemory: a process of its own, so that the client's
// connections are not counted in the server's heap.
const h2IdleClientEnv = "FASTPATH_H2_IDLE_CLIENT"

// An idle HTTP/2 connection (preface, SETTINGS and one request done, then
// nothing) holds no 64 KiB read buffer: browsers keep connections open and
// idle for minutes, and 10,000 of them cost 640 MiB of buffers alone
// before (a resource-exhaustion exposure: endless slow connections). The
// figure is the server's live heap per connection (the TLS connection,
// the HTTP/2 state, the HPACK decoder), measured with a client in another
// process; plain TCP is served by the same loop (serveH2 without TLS, as
// the benchmarks run it; the product serves HTTP/2 over TLS only).
func TestH2_idleConnectionMemory(t *testing.T) {
	if runIdleClient(t) {
		return
	}
	const n = 200
	// Before, an idle connection held its 64 KiB read buffer: 82.6 KiB of
	// heap each over TLS, 66.3 KiB over plain TCP. Now about 13.3 KiB
	// over TLS (4 KiB of it the small read array; conn.serve takes the
	// HTTP/1.1 loop's 9.3 KiB of buffers only after the handshake, for
	// HTTP/1.1), 6.3 KiB plain.
	tests := []struct {
		name  string
		tls   bool
		bound int
	}{
		{"TLS, ALPN h2", true, 18 << 10},
		{"plain TCP (serveH2 as the benchmarks run it)", false, 10 << 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var addr string
			if tc.tls {
				_, addr = startH2Server(t, nil)
				warmUpOneConnection(t, h2Client(), "https://"+addr+"/fast/3")
			} else {
				addr = startPlainH2(t)
			}
			mode := "tcp"
			if tc.tls {
				mode = "tls"
			}
			checkIdleConnCost(t, "TestH2_idleConnectionMemory", mode+" "+addr+" "+strconv.Itoa(n), n, tc.bound, "no read buffer held while idle")
		})
	}
}

// startPlainH2 serves HTTP/2 without TLS on a loopback listener, every
// connection with serveH2 (as newH2Loop does).
func startPlainH2(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: stubHandler{}, Fallback: &http.Server{}, HTTP2: true, IdleTimeout: time.Minute}
	var conns []net.Conn
	var wg sync.WaitGroup
	accepting := make(chan struct{})
	go func() {
		defer close(accepting)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, nc)
			wg.Add(1)
			go func() {
				defer wg.Done()
				(&conn{s: s, nc: nc}).serveH2(nc)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-accepting
		for _, nc := range conns {
			nc.Close()
		}
		wg.Wait()
	})
	return ln.Addr().String()
}

// checkIdleConnCost fails t when the live heap per idle connection that
// idleConnCost measures is over bound bytes (why: what the bound stands
// for); the race detector's own bookkeeping is on the heap too, so under
// it the figure is only logged.
func checkIdleConnCost(t *testing.T, run, target string, n, bound int, why string) {
	t.Helper()
	per, stack := idleConnCost(t, run, target, n)
	t.Logf("%s: %d idle connections: %.1f KiB of live heap each (%.1f KiB of goroutine stacks)", t.Name(), n, per/1024, stack/1024)
	if per > float64(bound) && !raceEnabled {
		t.Errorf("%.1f KiB of heap per idle connection, want at most %d KiB (%s)", per/1024, bound>>10, why)
	}
}

// runIdleClient runs the client of an idle-memory test and reports true
// when this test binary is that client's process (h2IdleClientEnv set:
// the test then returns); otherwise it skips the test in -short mode
// (it opens 400 connections) and reports false.
func runIdleClient(t *testing.T) bool {
	if target := os.Getenv(h2IdleClientEnv); target != "" {
		h2IdleClient(target)
		return true
	}
	if testing.Short() {
		t.Skip("opens 400 connections")
	}
	return false
}

// warmUpOneConnection gets url with c on one connection and closes it:
// what the first connection sets up once (the handshake's tables, the
// pools) is then not counted as a cost per idle connection.
func warmUpOneConnection(t *testing.T, c *http.Client, url string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c.CloseIdleConnections()
}

// idleConnCost runs the client process (this test binary, running test
// run with target in h2IdleClientEnv), which leaves n connections idle
// after one request each, and returns the server's heap and stack bytes
// per connection.
func idleConnCost(t *testing.T, run, target string, n int) (heap, stack float64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+run+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), h2IdleClientEnv+"="+target)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	before := settledMemStats()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close() // the client closes its connections and exits
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "idle\n" {
		t.Fatalf("client: %q %v", line, err)
	}
	// The server's loops finish their last write and wait in a read.
	time.Sleep(300 * time.Millisecond)
	after := settledMemStats()
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n),
		float64(int64(after.StackInuse)-int64(before.StackInuse)) / float64(n)
}

// settledMemStats collects twice (sync.Pool keeps what it holds for one
// collection more) and reads the live heap.
func settledMemStats() runtime.MemStats {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms
}

// h2IdleClient opens the connections, makes one request on each and
// waits, connections open and idle, until its standard input ends.
func h2IdleClient(target string) {
	var mode, addr string
	var n int
	fmt.Sscan(target, &mode, &addr, &n)
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "idle client:", err)
		os.Exit(1)
	}
	if mode == "tls1" {
		tls1IdleClient(addr, n, target, fail)
		return
	}
	var hb []byte
	{
		var b bufferWriter
		enc := hpack.NewEncoder(&b)
		for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", "h"}, {":path", "/fast/3"}} {
			enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		hb = b
	}
	conns := make([]net.Conn, 0, n)
	for range n {
		var c net.Conn
		var err error
		if mode == "tls" {
			c, err = tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
		} else {
			c, err = net.Dial("tcp", addr)
		}
		if err != nil {
			fail(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		io.WriteString(c, http2.ClientPreface)
		fr := http2.NewFramer(c, c)
		fr.WriteSettings()
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb, EndStream: true, EndHeaders: true})
		for done := false; !done; {
			f, err := fr.ReadFrame()
			if err != nil {
				fail(err)
			}
			switch f := f.(type) {
			case *http2.SettingsFrame:
				if !f.IsAck() {
					fr.WriteSettingsAck()
				}
			case *http2.DataFrame:
				done = f.StreamEnded()
			case *http2.HeadersFrame:
				done = f.StreamEnded()
			case *http2.GoAwayFrame:
				fail(fmt.Errorf("GOAWAY %v", f.ErrCode))
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

type bufferWriter []byte

func (b *bufferWriter) Write(p []byte) (int, error) {
	*b = append(*b, p...)
	return len(p), nil
}

// Frames arriving in pieces of every shape are put together right while
// the read buffer moves between the connection's small array and a pooled
// one (h2readbuf.go): a frame header cut before its length, a read that
// fills the small array exactly, frames larger than the array arriving
// over several reads, and each upload after the connection was idle (its
// buffer back in the pool). Each TLS record is one read of the server.
func TestH2_framesAcrossReads(t *testing.T) {
	_, addr := startH2Server(t, nil)
	r := dialRawH2(t, addr)
	tests := []struct {
		name string
		cuts []int // sizes of the records the request is written in; the rest in one
	}{
		{"one record", nil},
		{"frame headers cut", []int{2, 1, 6, 1015, 1024, 3000, 9000, 1}},
		{"the small array filled exactly", []int{h2SmallReadSize, h2SmallReadSize, 5}},
		{"a frame past the small array, in small pieces", []int{9 + 40, 1000, 20, 20, 20, 20, 16000, 900}},
		{"seven bytes at a time", nil},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := uint32(2*i + 1)
			body := make([]byte, 1000+16384+3000+7)
			for j := range body {
				body[j] = byte(j*7 + i*13 + j>>8)
			}
			blk := block(":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/echo", "content-length", strconv.Itoa(len(body)))
			req := append(appendFrameHeader(nil, len(blk), frameHeaders, flagEndHeaders, id), blk...)
			rest := body
			for _, size := range []int{1000, 16384, 3000, 7} {
				flags := byte(0)
				if size == 7 {
					flags = flagEndStream
				}
				req = append(appendFrameHeader(req, size, frameData, flags, id), rest[:size]...)
				rest = rest[size:]
			}
			cuts := tc.cuts
			if tc.name == "seven bytes at a time" {
				for range len(req) / 7 {
					cuts = append(cuts, 7)
				}
			}
			for _, n := range cuts {
				n = min(n, len(req))
				if _, err := r.c.Write(req[:n]); err != nil {
					t.Fatal(err)
				}
				req = req[n:]
			}
			if len(req) > 0 {
				if _, err := r.c.Write(req); err != nil {
					t.Fatal(err)
				}
			}
			var got []byte
			r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
			for ended := false; !ended; {
				f, err := r.fr.ReadFrame()
				if err != nil {
					t.Fatal(err)
				}
				if f.Header().StreamID != id {
					if ga, ok := f.(*http2.GoAwayFrame); ok {
						t.Fatalf("GOAWAY %v", ga.ErrCode)
					}
					if rst, ok := f.(*http2.RSTStreamFrame); ok {
						t.Fatalf("RST_STREAM %v on %d", rst.ErrCode, rst.StreamID)
					}
					continue
				}
				switch f := f.(type) {
				case *http2.DataFrame:
					got = append(got, f.Data()...)
					ended = f.StreamEnded()
				case *http2.MetaHeadersFrame:
					ended = f.StreamEnded()
				case *http2.RSTStreamFrame:
					t.Fatalf("RST_STREAM %v", f.ErrCode)
				}
			}
			if !bytes.Equal(got, body) {
				t.Fatalf("echoed %d bytes, want the %d sent (first difference at %d)", len(got), len(body), firstDiff(got, body))
			}
			r.fr.WriteWindowUpdate(0, uint32(len(got))) // the connection's window, given back
			time.Sleep(20 * time.Millisecond)           // idle: the read buffer back in the pool
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
