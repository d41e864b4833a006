package httpguard

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// serveGuarded runs a net/http server behind the guard; its handler
// answers "<method> <path> <body>" and counts the requests it saw.
func serveGuarded(t *testing.T, cfg *Config, readHeaderTimeout time.Duration) (addr string, handled *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	handled = &atomic.Int64{}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			handled.Add(1)
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
				return
			}
			fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.Path, b)
		}),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       time.Minute,
	}
	go srv.Serve(Listener(ln, cfg))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), handled
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

// responses reads every response until the server closes the connection.
func responses(t *testing.T, br *bufio.Reader) (statuses []int, bodies []string) {
	t.Helper()
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			if err != io.EOF && err != io.ErrUnexpectedEOF {
				t.Fatalf("after %v: %v (the connection must end cleanly)", statuses, err)
			}
			return statuses, bodies
		}
		b, _ := io.ReadAll(resp.Body)
		statuses, bodies = append(statuses, resp.StatusCode), append(bodies, string(b))
	}
}

const host = "Host: h\r\n"

// The bytes Content-Length covers must never run as a request: the
// request is refused with 400 and the connection closed (RFC 9112 §6.3).
// Without the guard net/http answers two requests here.
func TestGuard_refusesFramingConflicts(t *testing.T) {
	refusals := make(chan string, 16) // what Refused was told: "status viewer"
	addr, handled := serveGuarded(t, &Config{Reject: func(status int) []byte {
		return []byte(fmt.Sprintf("HTTP/1.1 %d Refused\r\nContent-Length: 7\r\nConnection: close\r\n\r\nrefused", status))
	}, Refused: func(status int, viewer string) { refusals <- fmt.Sprint(status, " ", viewer) }}, time.Minute)
	smuggled := "GET /smuggled HTTP/1.1\r\n" + host + "\r\n"
	chunkedThenSmuggled := "0\r\n\r\n" + smuggled
	tests := []struct {
		name   string
		head   string
		status int
	}{
		{"CL then TE", "POST /a HTTP/1.1\r\n" + host + fmt.Sprintf("Content-Length: %d\r\n", len(chunkedThenSmuggled)) + "Transfer-Encoding: chunked\r\n\r\n", 400},
		{"TE then CL", "POST /a HTTP/1.1\r\n" + host + "transfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n", 400},
		{"TE on HTTP/1.0", "POST /a HTTP/1.0\r\n" + host + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400},
		{"TE hidden by obs-fold", "POST /a HTTP/1.1\r\n" + host + "X-A: 1\r\n Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400},
		{"unknown TE", "POST /a HTTP/1.1\r\n" + host + "Transfer-Encoding: identity\r\n\r\n", 501},
		// net/http would answer these itself, in plain text.
		{"no Host", "GET /a HTTP/1.1\r\nX-A: 1\r\n\r\n", 400},
		{"control character in a value", "GET /a HTTP/1.1\r\n" + host + "X-A: 1\x01\r\n\r\n", 400},
		{"HTAB in the target", "GET /a\tb HTTP/1.1\r\n" + host + "\r\n", 400},
		{"NUL in the target", "GET /hi\x00t HTTP/1.1\r\n" + host + "\r\n", 400},
		{"target without a leading slash", "GET hit HTTP/1.1\r\n" + host + "\r\n", 400},
		{"bad percent-escape in the path", "GET /%zz HTTP/1.1\r\n" + host + "\r\n", 400},
		{"unknown Expect", "POST /a HTTP/1.1\r\n" + host + "Expect: bogus\r\nContent-Length: 3\r\n\r\n", 417},
		// net/http takes these.
		{"Host with a port of letters", "GET /a HTTP/1.1\r\nHost: h:abc\r\n\r\n", 400},
		{"Host with two ports", "GET /a HTTP/1.1\r\nHost: h:1:2\r\n\r\n", 400},
		{"more empty lines before the request line than dropped", "\r\n\r\n\r\n\r\n\r\nGET /a HTTP/1.1\r\n" + host + "\r\n", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := handled.Load()
			c, br := dial(t, addr)
			// A good request first: it is answered, then the refusal.
			io.WriteString(c, "GET /first HTTP/1.1\r\n"+host+"\r\n"+tc.head+chunkedThenSmuggled)
			statuses, bodies := responses(t, br)
			if len(statuses) != 2 || statuses[0] != 200 || bodies[0] != "GET /first " || statuses[1] != tc.status || bodies[1] != "refused" {
				t.Fatalf("responses %v %q, want [200 %d] then the end of the connection", statuses, bodies, tc.status)
			}
			if n := handled.Load() - before; n != 1 {
				t.Errorf("the handler ran %d times, want 1 (the refused request and what follows never reach it)", n)
			}
			select {
			case got := <-refusals:
				if want := fmt.Sprint(tc.status, " ", c.LocalAddr()); got != want {
					t.Errorf("Refused told %q, want %q", got, want)
				}
			default:
				t.Errorf("Refused was not told of the refusal")
			}
		})
	}
}

// Empty lines before a request line are dropped (RFC 9112 section 2.2: a
// server SHOULD ignore at least one), where net/http alone answers 400:
// at a connection's start, after a body (as old clients send after a
// POST's), in pieces; and an empty port is a port.
func TestGuard_emptyLinesBeforeRequestLine(t *testing.T) {
	addr, handled := serveGuarded(t, &Config{}, time.Minute)
	c, br := dial(t, addr)
	for _, piece := range []string{
		"\r\nGET /first HTTP/1.1\r\n" + host + "\r\n",
		"POST /post HTTP/1.1\r\n" + host + "Content-Length: 2\r\n\r\nhi\r\n",
		"\r", "\n\nGET /second HTTP/1.1\r\nHost: h:\r\n\r\n",
		"\r\n\r\n\r\n\r\nGET /last HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n",
	} {
		io.WriteString(c, piece)
		time.Sleep(10 * time.Millisecond) // separate reads
	}
	statuses, bodies := responses(t, br)
	want := []string{"GET /first ", "POST /post hi", "GET /second ", "GET /last "}
	if strings.Join(bodies, "|") != strings.Join(want, "|") || handled.Load() != 4 {
		t.Fatalf("got %v %q (handler ran %d times), want %q", statuses, bodies, handled.Load(), want)
	}
}

// Chunked and Content-Length bodies pass through, with pipelined requests
// after them; a broken chunked body ends the connection after its
// request, so nothing after it runs as a request.
func TestGuard_bodies(t *testing.T) {
	addr, handled := serveGuarded(t, &Config{}, time.Minute)
	c, br := dial(t, addr)
	io.WriteString(c, "POST /cl HTTP/1.1\r\n"+host+"Content-Length: 5\r\n\r\nhello"+
		"POST /chunked HTTP/1.1\r\n"+host+"Transfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n"+
		"GET /last HTTP/1.1\r\n"+host+"Connection: close\r\n\r\n")
	statuses, bodies := responses(t, br)
	want := []string{"POST /cl hello", "POST /chunked hello world", "GET /last "}
	if len(bodies) != 3 || strings.Join(bodies, "|") != strings.Join(want, "|") {
		t.Fatalf("got %v %q, want %q", statuses, bodies, want)
	}

	before := handled.Load()
	c, br = dial(t, addr)
	io.WriteString(c, "POST /bad HTTP/1.1\r\n"+host+"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX"+"GET /smuggled HTTP/1.1\r\n"+host+"\r\n")
	statuses, _ = responses(t, br)
	if len(statuses) > 1 || handled.Load()-before != 1 {
		t.Fatalf("broken chunked body: responses %v, handler ran %d times; want at most one answer and no second request", statuses, handled.Load()-before)
	}
}

// A broken chunked body fails the handler's read with ErrMalformedBody,
// after the good bytes before it and never with the bad bytes, so that
// the handler can answer it as the viewer's error (400) where a viewer
// that went away gives another error; nothing after it runs as a
// request. Before, net/http got the bad bytes and failed the body with
// an error of its own ("malformed chunked encoding"), which a server
// cannot tell apart from any other failure without reading its text.
func TestGuard_malformedBodyError(t *testing.T) {
	type seen struct {
		body      string
		malformed bool
	}
	got := make(chan seen, 4)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		got <- seen{string(b), errors.Is(err, ErrMalformedBody)}
		w.WriteHeader(http.StatusBadRequest)
	})}
	go srv.Serve(Listener(ln, &Config{}))
	t.Cleanup(func() { srv.Close() })
	smuggled := "GET /smuggled HTTP/1.1\r\n" + host + "\r\n"
	for _, tc := range []struct{ name, body, good string }{
		{"bad chunk terminator", "3\r\nabcXX0\r\n\r\n", "abc"},
		{"chunk size overflow", "10000000000000001\r\nabc\r\n0\r\n\r\n", ""},
		{"negative chunk size", "-3\r\nabc\r\n0\r\n\r\n", ""},
		{"bare LF after chunk data", "3\r\nabc\n0\r\n\r\n", "abc"},
		{"bare LF chunk size line", "3\nabc\r\n0\r\n\r\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, br := dial(t, ln.Addr().String())
			io.WriteString(c, "POST /p HTTP/1.1\r\n"+host+"Transfer-Encoding: chunked\r\n\r\n"+tc.body+smuggled)
			statuses, _ := responses(t, br)
			if len(statuses) != 1 || statuses[0] != http.StatusBadRequest {
				t.Errorf("responses %v, want the handler's 400 alone, then the end of the connection", statuses)
			}
			select {
			case s := <-got:
				if !s.malformed || s.body != tc.good {
					t.Errorf("handler read %q, error is ErrMalformedBody: %v; want %q and true", s.body, s.malformed, tc.good)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the handler did not run")
			}
			select {
			case s := <-got:
				t.Errorf("a second request ran (body %q)", s.body)
			default:
			}
		})
	}
}

// CloudFront's limits: a head over 20,480 bytes or a URL over 8,192 gets
// 413 and the connection is closed; at the limits requests are served.
func TestGuard_limits(t *testing.T) {
	addr, handled := serveGuarded(t, &Config{}, time.Minute)
	pad := func(n int) string { return strings.Repeat("a", n) }
	headOf := func(size int) string {
		fixed := "GET /h HTTP/1.1\r\n" + host + "X-Pad: \r\n\r\n"
		return "GET /h HTTP/1.1\r\n" + host + "X-Pad: " + pad(size-len(fixed)) + "\r\n\r\n"
	}
	tests := []struct {
		name   string
		req    string
		status int
	}{
		{"head of 20480 bytes", headOf(20480), 200},
		{"head of 20481 bytes", headOf(20481), 413},
		{"1 MiB header line", "GET / HTTP/1.1\r\n" + host + "X-Big: " + pad(1<<20) + "\r\n\r\n", 413},
		{"10,000 header fields", "GET / HTTP/1.1\r\n" + host + strings.Repeat("X-A: 1\r\n", 10000) + "\r\n", 413},
		{"URL of 8192 bytes", "GET /" + pad(8191) + " HTTP/1.1\r\n" + host + "\r\n", 200},
		{"URL of 8193 bytes", "GET /" + pad(8192) + " HTTP/1.1\r\n" + host + "\r\n", 413},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := handled.Load()
			c, br := dial(t, addr)
			go io.WriteString(c, tc.req)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status == 413 {
				if !resp.Close {
					t.Error("413 without Connection: close")
				}
				if _, err := br.ReadByte(); err != io.EOF {
					t.Errorf("after 413 the connection must be closed; read: %v", err)
				}
				if handled.Load() != before {
					t.Error("the handler saw a refused request")
				}
			}
		})
	}
}

// A refused viewer that goes on sending (a large head, an upload) is
// not reset as soon as the guard has read its lingerBytes: closing with
// unread bytes resets the connection, and the viewer's TLS stack may
// then drop the answer it has not read yet (tests/e2e test_framing saw
// Python's lose the 413 now and then). The guard waits out lingerTime
// first, as net/http does after an answer it closes on.
func TestGuard_refusedSenderGetsTimeToRead(t *testing.T) {
	addr, _ := serveGuarded(t, &Config{}, time.Minute)
	c, br := dial(t, addr)
	head := "GET / HTTP/1.1\r\n" + host + "X-Big: " + strings.Repeat("a", 64<<10) + "\r\n"
	reset := make(chan time.Time, 1)
	go func() { // sends until the connection is reset
		io.WriteString(c, head)
		chunk := []byte(strings.Repeat("b", 64<<10))
		for {
			if _, err := c.Write(chunk); err != nil {
				reset <- time.Now()
				return
			}
		}
	}()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	answered := time.Now()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	select {
	case at := <-reset:
		if d := at.Sub(answered); d < lingerTime*3/5 {
			t.Errorf("reset %v after the answer, want about %v", d, lingerTime)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the connection is still open 5 s after the answer")
	}
}

// closedWithin waits for the server to close c, while send (if any)
// keeps trickling bytes; it fails when the connection is still open
// after limit.
func closedWithin(t *testing.T, c net.Conn, limit time.Duration, send func() error) time.Duration {
	t.Helper()
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		c.SetReadDeadline(time.Now().Add(limit))
		io.Copy(io.Discard, c)
	}()
	for {
		select {
		case <-closed:
			d := time.Since(start)
			if d >= limit {
				t.Errorf("connection still open after %v", limit)
			}
			return d
		case <-time.After(50 * time.Millisecond):
			if send != nil && send() != nil {
				<-closed
				return time.Since(start)
			}
		}
	}
}

// A head trickled a byte at a time is cut at HeadTimeout from its first
// byte (net/http alone restarts nothing, but the guard holds heads back,
// so this is the guard's own deadline); a body trickled below the minimum
// rate is cut at BodyTimeout; a connection that sends nothing is closed
// by net/http's ReadHeaderTimeout.
func TestGuard_slowClients(t *testing.T) {
	addr, handled := serveGuarded(t, &Config{HeadTimeout: 300 * time.Millisecond, BodyTimeout: 300 * time.Millisecond, BodyMinRate: 1000}, 300*time.Millisecond)

	t.Run("head trickle on a keep-alive connection", func(t *testing.T) {
		c, br := dial(t, addr)
		io.WriteString(c, "GET /1 HTTP/1.1\r\n"+host+"\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		head := "GET /2 HTTP/1.1\r\n" + host + strings.Repeat("X-A: 1\r\n", 100)
		i := 0
		closedWithin(t, c, 3*time.Second, func() error {
			i++
			_, err := io.WriteString(c, head[i-1:i])
			return err
		})
	})
	t.Run("body trickle", func(t *testing.T) {
		before := handled.Load()
		c, _ := dial(t, addr)
		io.WriteString(c, "POST /up HTTP/1.1\r\n"+host+"Content-Length: 100000\r\n\r\n")
		closedWithin(t, c, 3*time.Second, func() error {
			_, err := io.WriteString(c, "x")
			return err
		})
		if handled.Load() != before+1 {
			t.Error("the request should have reached the handler")
		}
	})
	t.Run("silent connection", func(t *testing.T) {
		c, _ := dial(t, addr)
		closedWithin(t, c, 3*time.Second, nil)
	})
	t.Run("a steady upload is not cut", func(t *testing.T) {
		c, br := dial(t, addr)
		// 100 bytes every 25 ms: 4000 B/s, four times the minimum rate (a
		// margin for a busy machine), for 1 s, well past the 300 ms a body
		// gets before its bytes extend the deadline.
		body := strings.Repeat("y", 4000)
		io.WriteString(c, "POST /steady HTTP/1.1\r\n"+host+"Content-Length: 4000\r\n\r\n")
		for i := 0; i < 40; i++ {
			io.WriteString(c, body[i*100:(i+1)*100])
			time.Sleep(25 * time.Millisecond)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if string(b) != "POST /steady "+body {
			t.Fatalf("got %d %q", resp.StatusCode, b)
		}
	})
}

// Hundreds of connections trickling heads or bodies are all closed.
func TestGuard_manySlowClients(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < 1200 {
		t.Skipf("RLIMIT_NOFILE %d is too low for 2x500 sockets", lim.Cur)
	}
	addr, _ := serveGuarded(t, &Config{HeadTimeout: 500 * time.Millisecond, BodyTimeout: 500 * time.Millisecond, BodyMinRate: 1000}, 500*time.Millisecond)
	const n = 500
	var wg sync.WaitGroup
	var open atomic.Int64
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		prefix := "GET /slow HTTP/1.1\r\n" + host
		if i%2 == 1 {
			prefix = "POST /slow HTTP/1.1\r\n" + host + "Content-Length: 1000000\r\n\r\n"
		}
		io.WriteString(c, prefix)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for end := time.Now().Add(5 * time.Second); time.Now().Before(end); {
				if _, err := io.WriteString(c, "x"); err != nil {
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
