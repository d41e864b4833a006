package origin

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// An origin response head over CloudFront's 20,480 bytes is a 502
// (OriginHeaderTooBigError), not a response to cache and serve.
func TestClient_originResponseHeadLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/2mib":
			w.Header().Set("X-Big", strings.Repeat("b", 2<<20))
		case "/under":
			w.Header().Set("X-Big", strings.Repeat("b", 16<<10))
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	c := New(S3{})
	o := customOrigin("127.0.0.1", port, 443, "http-only")

	resp, err := c.Do(context.Background(), &Request{Origin: o, Method: http.MethodGet, Path: "/under", Header: http.Header{}})
	if err != nil {
		t.Fatalf("16 KiB header: %v", err)
	}
	resp.Body.Close()

	_, err = c.Do(context.Background(), &Request{Origin: o, Method: http.MethodGet, Path: "/2mib", Header: http.Header{}})
	var oe *Error
	if !errors.As(err, &oe) || oe.Status != http.StatusBadGateway || oe.Detail != "OriginHeaderTooBigError" {
		t.Fatalf("2 MiB header: err %v, want a 502 OriginHeaderTooBigError", err)
	}
}

// restartingOrigin is an origin that keeps connections alive and can be
// "restarted": every connection open then is closed by the origin after
// it reads the next request, unanswered, as a restarted process behind a
// pooled connection does.
type restartingOrigin struct {
	ln       net.Listener
	accepts  atomic.Int64
	requests atomic.Int64
	mu       sync.Mutex
	gen      int
}

func newRestartingOrigin(t *testing.T) *restartingOrigin {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	o := &restartingOrigin{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			o.accepts.Add(1)
			go o.serve(conn)
		}
	}()
	return o
}

func (o *restartingOrigin) restart() { o.mu.Lock(); o.gen++; o.mu.Unlock() }

func (o *restartingOrigin) serve(conn net.Conn) {
	defer conn.Close()
	o.mu.Lock()
	gen := o.gen
	o.mu.Unlock()
	br := bufio.NewReader(conn)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		o.mu.Lock()
		stale := gen != o.gen
		o.mu.Unlock()
		if stale {
			return // the "old process" is gone: the request is never answered
		}
		o.requests.Add(1)
		io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	}
}

// After an origin restart, an idempotent request that lands on a pooled
// connection the origin has closed is retried once on a fresh connection
// (even with ConnectionAttempts 1); a POST is not retried (it may have
// been acted on) and gets 502.
func TestClient_stalePooledConnection(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			org := newRestartingOrigin(t)
			c := New(S3{})
			o := customOrigin("127.0.0.1", org.ln.Addr().(*net.TCPAddr).Port, 443, "http-only")
			o.ConnectionAttempts = 1
			do := func(m string) error {
				var body io.Reader
				var n int64
				if m == http.MethodPost {
					body, n = strings.NewReader("x"), 1
				}
				resp, err := c.Do(context.Background(), &Request{Origin: o, Method: m, Path: "/x", Header: http.Header{}, Body: body, ContentLength: n})
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				return err
			}
			// Pools a connection: of the client the method goes through
			// (plain GET and HEAD have their own, h1.go).
			if err := do(method); err != nil {
				t.Fatal(err)
			}
			org.restart()
			err := do(method)
			if method == http.MethodPost {
				var oe *Error
				if !errors.As(err, &oe) || oe.Status != http.StatusBadGateway {
					t.Fatalf("POST on a stale connection: %v, want a 502", err)
				}
				if org.accepts.Load() != 1 {
					t.Errorf("POST was retried on a new connection")
				}
				return
			}
			if err != nil {
				t.Fatalf("%s after the origin restarted: %v", method, err)
			}
			if org.accepts.Load() != 2 || org.requests.Load() != 2 {
				t.Errorf("accepts %d answered %d, want the retry on a second connection", org.accepts.Load(), org.requests.Load())
			}
		})
	}
}
