package fastpath

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"openfront/internal/httpguard"
)

// stubHandler answers GET/HEAD /fast/<n> with n bytes and declines the rest.
type stubHandler struct{}

func (stubHandler) ServeFast(r *Request, dst []byte) ([]byte, []byte, bool) {
	size, ok := strings.CutPrefix(r.Path, "/fast/")
	n, err := strconv.Atoi(size)
	if !ok || err != nil {
		return dst, nil, false
	}
	dst = append(dst, "HTTP/1.1 200 OK\r\nContent-Length: "+size+"\r\nX-Path: fast\r\n"...)
	if r.Close {
		dst = append(dst, "Connection: close\r\n"...)
	}
	dst = append(dst, "\r\n"...)
	if r.Method == "HEAD" {
		return dst, nil, true
	}
	return dst, []byte(strings.Repeat("f", n)), true
}

func startServer(t testing.TB, edit func(*Server)) (*Server, string, chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: stubHandler{}, IdleTimeout: time.Minute, ReadHeaderTimeout: time.Minute,
		Fallback: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Path", "net/http")
			fmt.Fprintf(w, "%s %s %d %s", r.Method, r.URL.Path, len(r.Header.Get("X-Big")), b)
		})}}
	if edit != nil {
		edit(s)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s, ln.Addr().String(), done
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

func readResponse(t *testing.T, br *bufio.Reader) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func get(path string, extra ...string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: h\r\n" + strings.Join(extra, "") + "\r\n"
}

// Fast answers, then a request with a body: net/http gets the connection
// with the bytes already read and answers it and everything after it.
func TestServer_keepAliveThenHandover(t *testing.T) {
	s, addr, _ := startServer(t, nil)
	c, br := dial(t, addr)
	for i := 0; i < 3; i++ {
		io.WriteString(c, get("/fast/5"))
		if resp, body := readResponse(t, br); resp.Header.Get("X-Path") != "fast" || body != "fffff" {
			t.Fatalf("request %d: %s %q", i, resp.Header.Get("X-Path"), body)
		}
	}
	io.WriteString(c, "POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\npayload"+get("/fast/2"))
	if resp, body := readResponse(t, br); resp.Header.Get("X-Path") != "net/http" || body != "POST /form 0 payload" {
		t.Errorf("POST: %s %q", resp.Header.Get("X-Path"), body)
	}
	if resp, body := readResponse(t, br); resp.Header.Get("X-Path") != "net/http" || body != "GET /fast/2 0 " {
		t.Errorf("after the handover: %s %q (the connection stays with net/http)", resp.Header.Get("X-Path"), body)
	}
	if st := s.Stats(); st.Served != 3 || st.HandedOver != 1 {
		t.Errorf("stats %+v", st)
	}
}

// A head split over several packets is answered once whole; one larger
// than the read buffer goes to net/http intact.
func TestServer_splitAndOversizedHeads(t *testing.T) {
	s, addr, _ := startServer(t, nil)
	c, br := dial(t, addr)
	raw := get("/fast/3")
	for _, part := range []string{raw[:5], raw[5:20], raw[20:]} {
		io.WriteString(c, part)
		time.Sleep(10 * time.Millisecond)
	}
	if resp, body := readResponse(t, br); resp.Header.Get("X-Path") != "fast" || body != "fff" {
		t.Errorf("split head: %s %q", resp.Header.Get("X-Path"), body)
	}
	big := strings.Repeat("b", 3*readBufSize)
	io.WriteString(c, get("/fast/3", "X-Big: "+big+"\r\n"))
	if resp, body := readResponse(t, br); resp.Header.Get("X-Path") != "net/http" || body != "GET /fast/3 "+strconv.Itoa(len(big))+" " {
		t.Errorf("oversized head: %s %q", resp.Header.Get("X-Path"), body)
	}
	if st := s.Stats(); st.Served != 1 || st.HandedOver != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestServer_bodiesAndPipelining(t *testing.T) {
	_, addr, _ := startServer(t, nil)
	c, br := dial(t, addr)
	sizes := []int{0, 1, writevSize - 1, writevSize, 300 << 10, 7}
	var all strings.Builder
	for _, n := range sizes {
		all.WriteString(get("/fast/" + strconv.Itoa(n)))
	}
	all.WriteString("HEAD /fast/9 HTTP/1.1\r\nHost: h\r\n\r\n")
	io.WriteString(c, all.String())
	for _, n := range sizes {
		if _, body := readResponse(t, br); body != strings.Repeat("f", n) {
			t.Errorf("body of %d bytes came back with %d", n, len(body))
		}
	}
	resp, err := http.ReadResponse(br, &http.Request{Method: "HEAD"})
	if err != nil || resp.ContentLength != 9 {
		t.Errorf("HEAD: %v %v", resp, err)
	}
}

func TestServer_connectionClose(t *testing.T) {
	_, addr, _ := startServer(t, nil)
	c, br := dial(t, addr)
	io.WriteString(c, get("/fast/4", "Connection: close\r\n"))
	resp, body := readResponse(t, br)
	if !resp.Close || body != "ffff" {
		t.Errorf("Connection: close: close=%v body %q", resp.Close, body)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after Connection: close the server must end the connection, read: %v", err)
	}
}

func TestServer_idleTimeout(t *testing.T) {
	_, addr, _ := startServer(t, func(s *Server) { s.IdleTimeout = 100 * time.Millisecond })
	c, br := dial(t, addr)
	io.WriteString(c, get("/fast/1"))
	readResponse(t, br)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection: read %v, want EOF", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("idle connection closed after %v, want about 100ms", d)
	}
}

// Shutdown closes idle fast connections and handed-over ones, and Serve
// returns http.ErrServerClosed.
func TestServer_shutdown(t *testing.T) {
	s, addr, done := startServer(t, nil)
	c1, br1 := dial(t, addr)
	io.WriteString(c1, get("/fast/1"))
	readResponse(t, br1)
	c2, br2 := dial(t, addr)
	io.WriteString(c2, get("/slow"))
	readResponse(t, br2)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve returned %v", err)
	}
	for i, br := range []*bufio.Reader{br1, br2} {
		if _, err := br.ReadByte(); err == nil {
			t.Errorf("connection %d still open after Shutdown", i)
		}
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("the listener still accepts after Shutdown")
	}
}

// closedWithin trickles a byte of msg every 50 ms (all of it, then
// nothing) until the server closes c; it fails when c is still open after
// limit, and returns how long it took.
func closedWithin(t *testing.T, c net.Conn, msg string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		c.SetReadDeadline(time.Now().Add(limit))
		io.Copy(io.Discard, c)
	}()
	for i := 0; ; i++ {
		select {
		case <-closed:
			d := time.Since(start)
			if d >= limit {
				t.Errorf("connection still open after %v", limit)
			}
			return d
		case <-time.After(50 * time.Millisecond):
			if i < len(msg) {
				c.Write([]byte{msg[i]})
			}
		}
	}
}

// The head deadline is total: from the accept for a new connection's
// first head, from its first byte for a later one; a trickle does not
// move it, and a new connection that sends nothing does not get the idle
// timeout. (The timeout is over a second: shorter ones were never moved,
// as deadlines are moved at most once a second.)
func TestServer_headDeadlineIsTotal(t *testing.T) {
	_, addr, _ := startServer(t, func(s *Server) {
		s.ReadHeaderTimeout = 1500 * time.Millisecond
		s.IdleTimeout = time.Minute
	})
	slow := get("/fast/1", strings.Repeat("X-A: 1\r\n", 50))
	t.Run("silent new connection", func(t *testing.T) {
		c, _ := dial(t, addr)
		if d := closedWithin(t, c, "", 5*time.Second); d > 3*time.Second {
			t.Errorf("closed after %v, want about 1.5s", d)
		}
	})
	t.Run("trickled first head", func(t *testing.T) {
		c, _ := dial(t, addr)
		if d := closedWithin(t, c, slow, 5*time.Second); d > 3*time.Second {
			t.Errorf("closed after %v, want about 1.5s", d)
		}
	})
	t.Run("trickled head on a keep-alive connection", func(t *testing.T) {
		c, br := dial(t, addr)
		io.WriteString(c, get("/fast/1"))
		readResponse(t, br)
		if d := closedWithin(t, c, slow, 5*time.Second); d > 3*time.Second {
			t.Errorf("closed after %v, want about 1.5s", d)
		}
	})
	t.Run("idle keep-alive connection stays", func(t *testing.T) {
		c, br := dial(t, addr)
		io.WriteString(c, get("/fast/1"))
		readResponse(t, br)
		time.Sleep(2 * time.Second) // more than the head timeout, well within the idle one
		io.WriteString(c, get("/fast/2"))
		if _, body := readResponse(t, br); body != "ff" {
			t.Errorf("body %q", body)
		}
	})
}

// Hundreds of connections trickling heads are all closed.
func TestServer_manyTricklingConnections(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < 1200 {
		t.Skipf("RLIMIT_NOFILE %d is too low for 2x500 sockets", lim.Cur)
	}
	_, addr, _ := startServer(t, func(s *Server) {
		s.ReadHeaderTimeout = 1500 * time.Millisecond
		s.IdleTimeout = time.Minute
	})
	const n = 500
	var wg sync.WaitGroup
	var open atomic.Int64
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			head := get("/fast/1", strings.Repeat("X-A: 1\r\n", 100))
			for i, end := 0, time.Now().Add(5*time.Second); time.Now().Before(end); i++ {
				if _, err := c.Write([]byte{head[i%len(head)]}); err != nil {
					return
				}
				c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
				if _, err := c.Read(make([]byte, 1)); err != nil {
					if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
						return // closed by the server
					}
				}
			}
			open.Add(1)
		}()
	}
	wg.Wait()
	if open.Load() != 0 {
		t.Errorf("%d of %d trickling connections still open after 5 s", open.Load(), n)
	}
}

// Connections handed over go through FallbackListener: with the request
// guard there, a Content-Length + Transfer-Encoding request after fast
// answers is refused and nothing it carries runs as a request.
func TestServer_handedOverConnectionsAreGuarded(t *testing.T) {
	_, addr, _ := startServer(t, func(s *Server) {
		s.FallbackListener = func(ln net.Listener) net.Listener { return httpguard.Listener(ln, &httpguard.Config{}) }
	})
	c, br := dial(t, addr)
	smuggled := "0\r\n\r\n" + get("/smuggled")
	io.WriteString(c, get("/fast/2")+"POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: "+strconv.Itoa(len(smuggled))+
		"\r\nTransfer-Encoding: chunked\r\n\r\n"+smuggled)
	if resp, body := readResponse(t, br); resp.Header.Get("X-Path") != "fast" || body != "ff" {
		t.Fatalf("first: %s %q", resp.Header.Get("X-Path"), body)
	}
	resp, body := readResponse(t, br)
	if resp.StatusCode != http.StatusBadRequest || !resp.Close {
		t.Fatalf("CL+TE: %d %q, want 400 and close", resp.StatusCode, body)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("after the 400: %v, want the end of the connection", err)
	}
}

// Empty lines before a request line (RFC 9112 section 2.2) are skipped
// on the fast path: the hits after them are answered here, the
// connection is not handed over. Past the guard's bound, a Host whose
// port is not digits: handed over, and the guard answers 400.
func TestServer_emptyLinesAndBadPortsBehindTheGuard(t *testing.T) {
	s, addr, _ := startServer(t, func(s *Server) {
		s.FallbackListener = func(ln net.Listener) net.Listener { return httpguard.Listener(ln, &httpguard.Config{}) }
	})
	c, br := dial(t, addr)
	io.WriteString(c, "\r\n"+get("/fast/1")+"\r\n\r\n\r\n\r\n"+get("/fast/2"))
	for _, want := range []string{"f", "ff"} {
		if resp, body := readResponse(t, br); resp.Header.Get("X-Path") != "fast" || body != want {
			t.Fatalf("after empty lines: %s %q, want fast %q", resp.Header.Get("X-Path"), body, want)
		}
	}
	if st := s.Stats(); st.HandedOver != 0 {
		t.Fatalf("stats %+v: handed over", st)
	}
	for _, raw := range []string{
		"\r\n\r\n\r\n\r\n\r\n" + get("/fast/1"),
		"GET /fast/1 HTTP/1.1\r\nHost: h:abc\r\n\r\n",
	} {
		c, br := dial(t, addr)
		io.WriteString(c, raw)
		if resp, body := readResponse(t, br); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%q: %d %q, want 400", raw, resp.StatusCode, body)
		}
	}
}

// receivedHandler records each request's Received time.
type receivedHandler struct{ times chan time.Time }

func (h receivedHandler) ServeFast(r *Request, dst []byte) ([]byte, []byte, bool) {
	h.times <- r.Received
	return append(dst, "HTTP/1.1 204 No Content\r\n\r\n"...), nil, true
}

// TestServer_requestReceivedTime: each request carries the time of the
// read that completed it, so the handler need not read the clock; a
// request sent later carries a later time.
func TestServer_requestReceivedTime(t *testing.T) {
	h := receivedHandler{times: make(chan time.Time, 4)}
	_, addr, _ := startServer(t, func(s *Server) { s.Handler = h })
	c, br := dial(t, addr)
	var got []time.Time
	for i := range 2 {
		before := time.Now()
		io.WriteString(c, get("/x"))
		readResponse(t, br)
		r := <-h.times
		if r.Before(before) || r.After(time.Now()) {
			t.Fatalf("request %d: received %v, sent at %v", i, r, before)
		}
		got = append(got, r)
		time.Sleep(20 * time.Millisecond)
	}
	if !got[1].After(got[0].Add(10 * time.Millisecond)) {
		t.Errorf("second request's time %v is not after the first's %v", got[1], got[0])
	}
}

// The edge in production and in bench/ often runs with one P (a server
// pinned to one core); go test usually runs with more, so the loop's
// tests run again here with GOMAXPROCS=1, along with many keep-alive
// connections whose requests interleave.
func TestServer_oneP(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for name, test := range map[string]func(*testing.T){
		"keepAliveThenHandover":  TestServer_keepAliveThenHandover,
		"splitAndOversizedHeads": TestServer_splitAndOversizedHeads,
		"bodiesAndPipelining":    TestServer_bodiesAndPipelining,
		"connectionClose":        TestServer_connectionClose,
		"idleTimeout":            TestServer_idleTimeout,
		"shutdown":               TestServer_shutdown,
		"headDeadlineIsTotal":    TestServer_headDeadlineIsTotal,
		"requestReceivedTime":    TestServer_requestReceivedTime,
	} {
		t.Run(name, test)
	}
	t.Run("many keep-alive connections", func(t *testing.T) {
		s, addr, _ := startServer(t, nil)
		const conns, requests = 32, 200
		var wg sync.WaitGroup
		for i := range conns {
			c, br := dial(t, addr)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range requests {
					n := (i + j) % 50
					if j%20 == 19 { // two pipelined requests now and then
						io.WriteString(c, get("/fast/1")+get("/fast/"+strconv.Itoa(n)))
						if resp, err := http.ReadResponse(br, nil); err != nil {
							t.Errorf("conn %d request %d: %v", i, j, err)
							return
						} else {
							io.Copy(io.Discard, resp.Body)
						}
					} else {
						io.WriteString(c, get("/fast/"+strconv.Itoa(n)))
					}
					if !readFastAnswer(t, br, i, j, n) {
						return
					}
				}
			}()
		}
		wg.Wait()
		want := uint64(conns * (requests + requests/20))
		if got := s.Stats().Served; got != want {
			t.Errorf("served %d requests, want %d", got, want)
		}
	})
}

// readFastAnswer reads the answer to GET /fast/<n> (n bytes of "f") from
// br; it reports a mismatch on t and returns false.
func readFastAnswer(t *testing.T, br *bufio.Reader, conn, request, n int) bool {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Errorf("conn %d request %d: %v", conn, request, err)
		return false
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != strings.Repeat("f", n) {
		t.Errorf("conn %d request %d: body of %d bytes, want %d", conn, request, len(b), n)
		return false
	}
	return true
}
