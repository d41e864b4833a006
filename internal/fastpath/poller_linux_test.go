//go:build linux

package fastpath

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// loopCounts is what the server's epoll loops hold and did so far.
type loopCounts struct {
	parked    int // connections held
	handbacks int // connections handed back to their goroutines
	detaches  int // connections taken out of Go's netpoller (detach)
}

// loopState sums the server's epoll loops' counts.
func loopState(s *Server) (n loopCounts) {
	s.mu.Lock()
	ps := s.pollers
	s.mu.Unlock()
	for _, p := range ps {
		p.mu.Lock()
		n.parked += p.parked
		n.handbacks += p.handbacks
		n.detaches += p.detaches
		p.mu.Unlock()
	}
	return n
}

// waitParked waits until the loops hold n connections.
func waitParked(t *testing.T, s *Server, n int) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); ; {
		parked := loopState(s).parked
		if parked == n {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%d connections parked in the epoll loop, want %d", parked, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// parkedConn dials, has one hit answered (by the connection's goroutine)
// and waits until the connection is parked in the loop.
func parkedConn(t *testing.T, s *Server, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	parked := loopState(s).parked
	c, br := dial(t, addr)
	io.WriteString(c, get("/fast/3"))
	if _, body := readResponse(t, br); body != "fff" {
		t.Fatalf("first response %q", body)
	}
	waitParked(t, s, parked+1)
	return c, br
}

func expectFast(t *testing.T, br *bufio.Reader, n int) {
	t.Helper()
	resp, body := readResponse(t, br)
	if resp.Header.Get("X-Path") != "fast" || body != strings.Repeat("f", n) {
		t.Fatalf("%s response with %d bytes, want the fast one with %d", resp.Header.Get("X-Path"), len(body), n)
	}
}

func expectClosed(t *testing.T, br *bufio.Reader, within time.Duration, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(within))
	if b, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("read %q, %v; want the server to close the connection within %v", b, err, within)
	}
}

// panicHandler is stubHandler, except that /panic panics.
type panicHandler struct{ stubHandler }

func (h panicHandler) ServeFast(r *Request, dst []byte) ([]byte, []byte, bool) {
	if r.Path == "/panic" {
		panic("test")
	}
	return h.stubHandler.ServeFast(r, dst)
}

// The epoll loop (poller_linux.go) answers a parked connection's hits in
// place and hands the connection back to its goroutine for anything else;
// each case checks the answers and whether the loop kept the connection.
func TestPoller(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Server)
		run  func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader)
		// handedBack: whether the case hands the connection back to its
		// goroutine at least once (false: never).
		handedBack bool
	}{
		{name: "keep-alive hits stay in the loop", run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
			for i := range 50 {
				io.WriteString(c, get("/fast/"+strconv.Itoa(i)))
				expectFast(t, br, i)
			}
			if got := s.Stats().Served; got != 51 {
				t.Errorf("served %d, want 51", got)
			}
		}},
		{name: "pipelined requests in one write", run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
			var all strings.Builder
			for i := range 20 {
				all.WriteString(get("/fast/" + strconv.Itoa(i)))
			}
			all.WriteString("HEAD /fast/9 HTTP/1.1\r\nHost: h\r\n\r\n")
			io.WriteString(c, all.String())
			for i := range 20 {
				expectFast(t, br, i)
			}
			if resp, err := http.ReadResponse(br, &http.Request{Method: "HEAD"}); err != nil || resp.ContentLength != 9 {
				t.Fatalf("HEAD: %v %v", resp, err)
			}
		}},
		{name: "pipelined requests filling the read buffer exactly, then more", run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
			// The loop's first read stops at the buffer's end, between two
			// requests, with the last one still in the socket. Edge-triggered
			// epoll tells of bytes once: the loop must look again itself.
			one := get("/fast/1")
			k := readBufSize/len(one) - 1
			pad := readBufSize - k*len(one) - len(get("/fast/1", "X-P: \r\n"))
			all := strings.Repeat(one, k) + get("/fast/1", "X-P: "+strings.Repeat("p", pad)+"\r\n")
			if len(all) != readBufSize {
				t.Fatalf("built %d bytes, want %d", len(all), readBufSize)
			}
			io.WriteString(c, all+get("/fast/2"))
			for range k + 1 {
				expectFast(t, br, 1)
			}
			expectFast(t, br, 2)
		}},
		{name: "a request split into 1-byte writes", handedBack: true, run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
			raw := get("/fast/7", "X-A: 1\r\n")
			for i := range len(raw) {
				c.Write([]byte{raw[i]})
				time.Sleep(time.Millisecond)
			}
			expectFast(t, br, 7)
			waitParked(t, s, 1) // and back in the loop once answered
			io.WriteString(c, get("/fast/2"))
			expectFast(t, br, 2)
		}},
		{name: "a miss after hits, then a request with a body already read", handedBack: true, run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
			io.WriteString(c, get("/fast/1")+get("/miss")+get("/fast/2"))
			expectFast(t, br, 1)
			if resp, body := readResponse(t, br); resp.Header.Get("X-Path") != "net/http" || body != "GET /miss 0 " {
				t.Fatalf("miss: %s %q", resp.Header.Get("X-Path"), body)
			}
			expectFast(t, br, 2)
			waitParked(t, s, 1)
			io.WriteString(c, "POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\npayload"+get("/fast/2"))
			if resp, body := readResponse(t, br); resp.Header.Get("X-Path") != "net/http" || body != "POST /form 0 payload" {
				t.Fatalf("POST: %s %q", resp.Header.Get("X-Path"), body)
			}
			if resp, body := readResponse(t, br); resp.Header.Get("X-Path") != "net/http" || body != "GET /fast/2 0 " {
				t.Fatalf("after the handover: %s %q", resp.Header.Get("X-Path"), body)
			}
			if st := s.Stats(); st.Served != 3 || st.Declined != 1 || st.HandedOver != 1 {
				t.Errorf("stats %+v", st)
			}
		}},
		{name: "a large body to a slow reader", handedBack: true, run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
			io.WriteString(c, get("/fast/"+strconv.Itoa(4<<20))+get("/fast/5"))
			time.Sleep(200 * time.Millisecond) // the socket buffers fill up
			expectFast(t, br, 4<<20)
			expectFast(t, br, 5)
			waitParked(t, s, 1)
		}},
		{name: "pipelined responses larger than the socket buffers, read late", handedBack: true, run: func(t *testing.T, s *Server, _ net.Conn, _ *bufio.Reader) {
			// A small receive buffer (set before the connection, so that
			// the window stays small) holds the server's writes back.
			d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
				rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10) })
				return nil
			}}
			c, err := d.Dial("tcp", s.ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			io.WriteString(c, get("/fast/1"))
			expectFast(t, br, 1)
			waitParked(t, s, 2)
			const n, size = 600, writevSize - 100 // gathered in one buffer, not written in place
			io.WriteString(c, strings.Repeat(get("/fast/"+strconv.Itoa(size)), n))
			time.Sleep(200 * time.Millisecond)
			for range n {
				expectFast(t, br, size)
			}
			waitParked(t, s, 2)
			io.WriteString(c, get("/fast/4"))
			expectFast(t, br, 4)
		}},
		{name: "Connection: close", handedBack: true, run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
			io.WriteString(c, get("/fast/2")+get("/fast/4", "Connection: close\r\n")+get("/fast/6"))
			expectFast(t, br, 2)
			if resp, body := readResponse(t, br); !resp.Close || body != "ffff" {
				t.Fatalf("close=%v %q", resp.Close, body)
			}
			expectClosed(t, br, 3*time.Second, c)
		}},
		{name: "client half-close", handedBack: true, run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
			io.WriteString(c, get("/fast/3"))
			c.(*net.TCPConn).CloseWrite()
			expectFast(t, br, 3)
			expectClosed(t, br, 3*time.Second, c)
			waitParked(t, s, 0)
		}},
		{name: "idle timeout", edit: func(s *Server) { s.IdleTimeout = 300 * time.Millisecond }, handedBack: true,
			run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
				start := time.Now()
				expectClosed(t, br, 5*time.Second, c)
				if d := time.Since(start); d < 250*time.Millisecond || d > 2500*time.Millisecond {
					t.Errorf("closed after %v, want 300ms (with up to a second of slack)", d)
				}
				waitParked(t, s, 0)
			}},
		{name: "slowloris head", edit: func(s *Server) { s.ReadHeaderTimeout = 1500 * time.Millisecond }, handedBack: true,
			run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
				if d := closedWithin(t, c, get("/fast/1", strings.Repeat("X-A: 1\r\n", 50)), 6*time.Second); d > 3500*time.Millisecond {
					t.Errorf("closed after %v, want about 1.5s", d)
				}
			}},
		{name: "oversize head", handedBack: true, run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
			big := strings.Repeat("b", 2*readBufSize)
			io.WriteString(c, get("/fast/3", "X-Big: "+big+"\r\n"))
			if resp, body := readResponse(t, br); resp.Header.Get("X-Path") != "net/http" || body != "GET /fast/3 "+strconv.Itoa(len(big))+" " {
				t.Fatalf("oversized head: %s %q", resp.Header.Get("X-Path"), body)
			}
		}},
		{name: "a panic in the handler closes the connection only", edit: func(s *Server) { s.Handler = panicHandler{} }, handedBack: true,
			run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
				io.WriteString(c, get("/panic"))
				expectClosed(t, br, 3*time.Second, c)
				c2, br2 := parkedConn(t, s, c.RemoteAddr().String())
				io.WriteString(c2, get("/fast/2"))
				expectFast(t, br2, 2)
			}},
	}
	// Each case runs as it comes and with the connection detached from
	// Go's netpoller after its first hit in the loop (detach), so that
	// every hand-back also attaches it again.
	for _, after := range []int{detachAfter, 1} {
		for _, p := range []int{1, runtime.GOMAXPROCS(0)} {
			for _, tt := range tests {
				t.Run(fmt.Sprintf("detachAfter=%d/GOMAXPROCS=%d/%s", after, p, tt.name), func(t *testing.T) {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(p))
					setDetachAfter(t, after)
					s, addr, _ := startServer(t, tt.edit)
					c, br := parkedConn(t, s, addr)
					tt.run(t, s, c, br)
					if handbacks := loopState(s).handbacks; handbacks > 0 != tt.handedBack {
						t.Errorf("the loop handed the connection back %d times; want any: %v", handbacks, tt.handedBack)
					}
				})
			}
		}
	}
}

func setDetachAfter(t *testing.T, n int) {
	old := detachAfter
	detachAfter = n
	t.Cleanup(func() { detachAfter = old })
}

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// waitFDs waits until the process has n open descriptors.
func waitFDs(t *testing.T, n int) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); openFDs(t) != n; {
		if time.Now().After(end) {
			t.Fatalf("%d descriptors open, want %d (a detached connection's leaked?)", openFDs(t), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// A connection that answered detachAfter hits in a row in the loop is
// taken out of Go's netpoller (detach): it goes on answering hits there,
// a miss attaches it again and is answered on its goroutine, the next
// run of hits detaches it again, and closing it (by the viewer, by the
// idle timeout, by Shutdown) leaves no descriptor open.
func TestPoller_detach(t *testing.T) {
	setDetachAfter(t, 3)
	s, addr, done := startServer(t, func(s *Server) { s.IdleTimeout = 500 * time.Millisecond })
	c, br := parkedConn(t, s, addr) // its first hit is the goroutine's
	withConn := openFDs(t)          // the server's, and both ends of c
	for i := range 3 {
		io.WriteString(c, get("/fast/"+strconv.Itoa(i)))
		expectFast(t, br, i)
	}
	if got := loopState(s).detaches; got != 1 {
		t.Fatalf("%d detaches after 3 hits in the loop, want 1", got)
	}
	if got := openFDs(t); got != withConn {
		t.Errorf("%d descriptors with the connection detached, want %d (a duplicate in place of the one closed)", got, withConn)
	}
	for i := range 5 {
		io.WriteString(c, get("/fast/"+strconv.Itoa(i)))
		expectFast(t, br, i)
	}
	io.WriteString(c, get("/miss/1")+get("/fast/7")) // handed back: attached again
	expectMiss(t, br, "/miss/1")
	expectFast(t, br, 7)
	io.WriteString(c, get("/miss/2"))
	expectMiss(t, br, "/miss/2")
	if hb := loopState(s).handbacks; hb != 2 {
		t.Errorf("%d hand-backs, want 2 (each miss; the hit after the first parked it again)", hb)
	}
	for i := range 4 {
		io.WriteString(c, get("/fast/"+strconv.Itoa(i)))
		expectFast(t, br, i)
	}
	if got := loopState(s).detaches; got != 2 {
		t.Fatalf("%d detaches, want 2: the connection is detached again after its next 3 hits in the loop", got)
	}
	io.WriteString(c, get("/miss/3")) // answered through a connection made since the last miss
	expectMiss(t, br, "/miss/3")
	c.Close()
	waitParked(t, s, 0)
	waitFDs(t, withConn-2)

	// Closed by the idle timeout, and by Shutdown, while detached.
	wantDetaches := 2
	for _, shutdown := range []bool{false, true} {
		want := openFDs(t)
		c, br := parkedConn(t, s, addr)
		for i := range 3 {
			io.WriteString(c, get("/fast/"+strconv.Itoa(i)))
			expectFast(t, br, i)
		}
		wantDetaches++
		if got := loopState(s).detaches; got != wantDetaches {
			t.Errorf("%d detaches, want %d", got, wantDetaches)
		}
		if shutdown {
			s.mu.Lock()
			want -= 1 + len(s.pollers) // the listener and the loops' epoll descriptors
			s.mu.Unlock()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := s.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != http.ErrServerClosed {
				t.Errorf("Serve returned %v", err)
			}
		}
		expectClosed(t, br, 3*time.Second, c)
		c.Close()
		waitFDs(t, want)
	}
}

// Shutdown closes the connections parked in the loop at once, lets a
// request being answered finish, and later connections are refused.
func TestPoller_shutdown(t *testing.T) {
	release := make(chan struct{})
	s, addr, done := startServer(t, func(s *Server) {
		s.Fallback.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-release
			io.WriteString(w, "slow answer")
		})
	})
	var parked []*bufio.Reader
	for range 5 {
		_, br := parkedConn(t, s, addr)
		parked = append(parked, br)
	}
	busy, busyBr := parkedConn(t, s, addr)
	io.WriteString(busy, get("/slow")) // declined: answered by the handler, on the goroutine
	waitParked(t, s, 5)
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	for i, br := range parked {
		br.Buffered()
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("parked connection %d: read %v after Shutdown, want EOF", i, err)
		}
	}
	close(release)
	if resp, body := readResponse(t, busyBr); body != "slow answer" || resp.StatusCode != 200 {
		t.Errorf("the request being answered at Shutdown got %d %q", resp.StatusCode, body)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-done; err != http.ErrServerClosed {
		t.Errorf("Serve returned %v", err)
	}
	expectClosed(t, busyBr, 3*time.Second, busy)
}

// Hundreds of connections at once, each with keep-alive hits, a pipelined
// pair now and then, and a miss now and then: every answer is right.
func TestPoller_manyConnections(t *testing.T) {
	for _, p := range []int{1, runtime.GOMAXPROCS(0)} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", p), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(p))
			s, addr, _ := startServer(t, nil)
			const conns, requests = 300, 30
			var wg sync.WaitGroup
			var fast, misses atomic.Uint64
			for i := range conns {
				c, br := dial(t, addr)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := range requests {
						n := (i + j) % 40
						switch {
						case j%10 == 9:
							fast.Add(1)
							io.WriteString(c, get("/fast/1")+get("/fast/"+strconv.Itoa(n)))
							if resp, err := http.ReadResponse(br, nil); err != nil {
								t.Errorf("conn %d request %d: %v", i, j, err)
								return
							} else {
								io.Copy(io.Discard, resp.Body)
							}
						case j%15 == 14:
							misses.Add(1)
							io.WriteString(c, get("/miss/"+strconv.Itoa(n)))
							resp, err := http.ReadResponse(br, nil)
							if err != nil {
								t.Errorf("conn %d miss %d: %v", i, j, err)
								return
							}
							b, _ := io.ReadAll(resp.Body)
							if want := "GET /miss/" + strconv.Itoa(n) + " 0 "; string(b) != want {
								t.Errorf("conn %d miss %d: %q, want %q", i, j, b, want)
								return
							}
							continue
						default:
							io.WriteString(c, get("/fast/"+strconv.Itoa(n)))
						}
						fast.Add(1)
						if !readFastAnswer(t, br, i, j, n) {
							return
						}
					}
				}()
			}
			wg.Wait()
			if st := s.Stats(); st.Served != fast.Load() || st.Declined != misses.Load() || misses.Load() == 0 {
				t.Errorf("stats %+v, want %d served, %d declined", st, fast.Load(), misses.Load())
			}
			waitParked(t, s, conns)
		})
	}
}

// Shutdown while connections are being accepted and answered: Serve and
// Shutdown share the loops without a data race (run with -race), and
// every connection ends.
func TestPoller_shutdownWhileAccepting(t *testing.T) {
	s, addr, done := startServer(t, nil)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.DialTimeout("tcp", addr, time.Second)
				if err != nil {
					continue
				}
				c.SetDeadline(time.Now().Add(5 * time.Second))
				br := bufio.NewReader(c)
				for i := 0; i < 3; i++ {
					io.WriteString(c, get("/fast/2"))
					if resp, err := http.ReadResponse(br, nil); err != nil {
						break
					} else {
						io.Copy(io.Discard, resp.Body)
					}
				}
				c.Close()
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	close(stop)
	wg.Wait()
	if err := <-done; err != http.ErrServerClosed {
		t.Errorf("Serve returned %v", err)
	}
}

// expectMiss reads the fallback handler's answer to GET path.
func expectMiss(t *testing.T, br *bufio.Reader, path string) {
	t.Helper()
	if resp, body := readResponse(t, br); resp.Header.Get("X-Path") != "net/http" || body != "GET "+path+" 0 " {
		t.Fatalf("%s: %s %q, want net/http's answer", path, resp.Header.Get("X-Path"), body)
	}
}

// expectStays checks that no connection is parked in the loop a while
// after the last answer (the connection waits on its goroutine) and that
// the loop handed connections back handbacks times in all.
func expectStays(t *testing.T, s *Server, handbacks int) {
	t.Helper()
	time.Sleep(30 * time.Millisecond) // a park would have happened by now
	if st := loopState(s); st.parked != 0 || st.handbacks != handbacks {
		t.Fatalf("%d connections parked, %d handed back; want 0 parked (waiting on the goroutine), %d handed back", st.parked, st.handbacks, handbacks)
	}
}

// A connection whose last request was declined (a miss) waits for the
// next one on its own goroutine, not in the epoll loop: a following miss
// then costs no hand-back from the loop. After a fast hit it parks again.
// Each case starts with the connection parked after a hit, then sends a
// miss (one hand-back from the loop).
func TestPoller_staysAfterMiss(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Server)
		run  func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader)
	}{
		{name: "misses are read on the goroutine, a hit parks", run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
			for i := range 5 {
				io.WriteString(c, get("/miss/"+strconv.Itoa(i)))
				expectMiss(t, br, "/miss/"+strconv.Itoa(i))
				expectStays(t, s, 1)
			}
			io.WriteString(c, get("/fast/4"))
			expectFast(t, br, 4)
			waitParked(t, s, 1)
			io.WriteString(c, get("/fast/5")) // answered by the loop
			expectFast(t, br, 5)
			if hb := loopState(s).handbacks; hb != 1 {
				t.Errorf("handed back %d times, want 1", hb)
			}
			if st := s.Stats(); st.Served != 3 || st.Declined != 6 || st.HandedOver != 0 {
				t.Errorf("stats %+v", st)
			}
		}},
		{name: "pipelined: the last request decides", run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
			io.WriteString(c, get("/fast/1")+get("/miss/a")+get("/fast/2"))
			expectFast(t, br, 1)
			expectMiss(t, br, "/miss/a")
			expectFast(t, br, 2)
			waitParked(t, s, 1) // ended with a hit: parked
			io.WriteString(c, get("/fast/3")+get("/miss/b"))
			expectFast(t, br, 3)
			expectMiss(t, br, "/miss/b")
			expectStays(t, s, 2)
			io.WriteString(c, get("/miss/c")+get("/fast/6")+get("/miss/d"))
			expectMiss(t, br, "/miss/c")
			expectFast(t, br, 6)
			expectMiss(t, br, "/miss/d")
			expectStays(t, s, 2)
		}},
		{name: "a split head after a miss", run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
			raw := get("/fast/7", "X-A: 1\r\n")
			for i := range len(raw) {
				c.Write([]byte{raw[i]})
				time.Sleep(time.Millisecond)
			}
			expectFast(t, br, 7)
			waitParked(t, s, 1)
		}},
		{name: "client half-close after a miss", run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
			c.(*net.TCPConn).CloseWrite()
			expectClosed(t, br, 3*time.Second, c)
			waitParked(t, s, 0)
		}},
		{name: "a request and half-close after a miss", run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
			io.WriteString(c, get("/miss/e"))
			c.(*net.TCPConn).CloseWrite()
			expectMiss(t, br, "/miss/e")
			expectClosed(t, br, 3*time.Second, c)
		}},
		{name: "idle timeout after a miss", edit: func(s *Server) { s.IdleTimeout = 300 * time.Millisecond },
			run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
				start := time.Now()
				expectClosed(t, br, 5*time.Second, c)
				if d := time.Since(start); d < 250*time.Millisecond || d > 2500*time.Millisecond {
					t.Errorf("closed after %v, want 300ms (with up to a second of slack)", d)
				}
			}},
		{name: "Connection: close after a miss", run: func(t *testing.T, s *Server, c net.Conn, br *bufio.Reader) {
			io.WriteString(c, get("/miss/f", "Connection: close\r\n"))
			if resp, body := readResponse(t, br); !resp.Close || body != "GET /miss/f 0 " {
				t.Fatalf("close=%v %q", resp.Close, body)
			}
			expectClosed(t, br, 3*time.Second, c)
		}},
	}
	for _, p := range []int{1, 2} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("GOMAXPROCS=%d/%s", p, tt.name), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(p))
				s, addr, _ := startServer(t, tt.edit)
				c, br := parkedConn(t, s, addr)
				io.WriteString(c, get("/miss"))
				expectMiss(t, br, "/miss")
				expectStays(t, s, 1)
				tt.run(t, s, c, br)
			})
		}
	}
}

// Shutdown closes the connections waiting on their goroutines after a
// miss at once, as it closes the parked ones.
func TestPoller_shutdownAfterMiss(t *testing.T) {
	for _, p := range []int{1, 2} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", p), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(p))
			s, addr, done := startServer(t, nil)
			var brs []*bufio.Reader
			for i := range 4 {
				c, br := parkedConn(t, s, addr)
				if i%2 == 0 { // half of them wait on their goroutines
					io.WriteString(c, get("/miss"))
					expectMiss(t, br, "/miss")
				}
				brs = append(brs, br)
			}
			waitParked(t, s, 2)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			start := time.Now()
			if err := s.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("Shutdown took %v, want the idle connections closed at once", d)
			}
			for i, br := range brs {
				if _, err := br.ReadByte(); err != io.EOF {
					t.Errorf("connection %d: read %v after Shutdown, want EOF", i, err)
				}
			}
			if err := <-done; err != http.ErrServerClosed {
				t.Errorf("Serve returned %v", err)
			}
		})
	}
}

// The loop answers keep-alive hits without allocating: its buffers are
// its own and reused (and a detached connection stays so).
func TestPoller_hitsAllocateNothing(t *testing.T) {
	s, addr, _ := startServer(t, func(s *Server) { s.Handler = kibHandler{} })
	head, body, _ := kibHandler{}.ServeFast(&Request{}, nil) // what each hit gets
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := []byte(get("/a"))
	resp := make([]byte, len(head)+len(body))
	hit := func() {
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, resp); err != nil {
			t.Fatal(err)
		}
	}
	hit()
	waitParked(t, s, 1)
	for range detachAfter + 10 {
		hit()
	}
	if allocs := testing.AllocsPerRun(2000, hit); allocs > 0.05 {
		t.Errorf("%.2f allocations per hit answered by the loop (client included), want none", allocs)
	}
	if string(resp) != string(head)+string(body) {
		t.Fatalf("response %q", resp)
	}
}

// Connections detached after every hit in the loop, attached again by
// every miss, on several connections at once (and on two loops when
// there are two CPUs): each answer is its own request's, in order, and
// closing them all leaves no descriptor open.
func TestPoller_detachUnderConcurrentConnections(t *testing.T) {
	setDetachAfter(t, 1)
	before := openFDs(t)
	s, addr, _ := startServer(t, nil)
	c, _ := parkedConn(t, s, addr) // the loops exist once a connection parked
	c.Close()
	s.mu.Lock()
	base := before + 1 + len(s.pollers) // the listener and the loops' epoll descriptors
	s.mu.Unlock()
	waitFDs(t, base)
	const conns, rounds = 8, 150
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	for g := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- detachStress(addr, g, rounds)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if loopState(s).detaches == 0 {
		t.Error("no connection was detached")
	}
	waitParked(t, s, 0)
	waitFDs(t, base)
}

// detachStress sends one connection's share of
// TestPoller_detachUnderConcurrentConnections: hits, misses, and both
// pipelined in one write, in an order fixed by seed.
func detachStress(addr string, seed, rounds int) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(c)
	want := func(path string) error {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		got, wantBody := string(b), "GET "+path+" 0 "
		if n, ok := strings.CutPrefix(path, "/fast/"); ok {
			k, _ := strconv.Atoi(n)
			wantBody = strings.Repeat("f", k)
		}
		if got != wantBody {
			return fmt.Errorf("%s: answered %q", path, got)
		}
		return nil
	}
	x := uint32(seed*7919 + 1)
	for i := range rounds {
		x = x*1664525 + 1013904223
		hit, miss := "/fast/"+strconv.Itoa(int(x>>8)%20), "/miss/"+strconv.Itoa(seed)+"-"+strconv.Itoa(i)
		var paths []string
		switch x >> 28 % 4 {
		case 0, 1:
			paths = []string{hit}
		case 2:
			paths = []string{miss}
		default:
			paths = []string{hit, miss, hit}
		}
		var all strings.Builder
		for _, p := range paths {
			all.WriteString(get(p))
		}
		if _, err := io.WriteString(c, all.String()); err != nil {
			return err
		}
		for _, p := range paths {
			if err := want(p); err != nil {
				return fmt.Errorf("connection %d, round %d: %v", seed, i, err)
			}
		}
	}
	return nil
}

// batchHandler is stubHandler as a Batcher that counts its answers the
// way the edge does: in the loop's scratch, settled at EndBatch (at once
// without a scratch). Each answer takes a while, so that a batch's
// answers sent before EndBatch would reach the viewer unsettled.
type batchHandler struct {
	stubHandler
	settled *atomic.Int64
}

func (h batchHandler) ServeFast(r *Request, dst []byte) ([]byte, []byte, bool) {
	head, body, ok := h.stubHandler.ServeFast(r, dst)
	if ok {
		time.Sleep(50 * time.Microsecond)
		if pending, in := r.Batch.(*int64); in {
			*pending++
		} else {
			h.settled.Add(1)
		}
	}
	return head, body, ok
}

func (h batchHandler) NewBatch() any { return new(int64) }

func (h batchHandler) EndBatch(scratch any) {
	pending := scratch.(*int64)
	h.settled.Add(*pending)
	*pending = 0
}

// A Batcher's work for a batch is done before any of its answers leaves
// the loop: at the batch's end, and earlier when answers go out before it
// (past flushSize, or with the connection handed back at Connection:
// close). The viewer checks, after each answer it reads, that the answers
// read so far were all settled.
func TestPoller_batchEndsBeforeItsAnswersLeave(t *testing.T) {
	settled := new(atomic.Int64)
	s, addr, _ := startServer(t, func(s *Server) { s.Handler = batchHandler{settled: settled} })
	for _, tc := range []struct {
		name string
		reqs string
		n    int
	}{
		{"past flushSize", strings.Repeat(get("/fast/1024"), 100), 100},
		{"Connection: close", strings.Repeat(get("/fast/10"), 5) + "GET /fast/10 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, br := parkedConn(t, s, addr)
			base := settled.Load()
			io.WriteString(c, tc.reqs)
			for i := 1; i <= tc.n; i++ {
				readResponse(t, br)
				if got := settled.Load() - base; got < int64(i) {
					t.Fatalf("answer %d read with %d answers settled", i, got)
				}
			}
			c.Close()
			waitParked(t, s, 0)
		})
	}
}
