package origin

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// trickle answers with headers after headDelay, then one byte every
// 40 ms for total: never idle long enough for a read timeout.
func trickle(t *testing.T, headDelay, total time.Duration) int {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(headDelay):
		case <-r.Context().Done():
			return
		}
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		for end := time.Now().Add(total); time.Now().Before(end); {
			if _, err := w.Write([]byte("x")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-time.After(40 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

// ResponseCompletionTimeout bounds the whole response: a body that keeps
// trickling (so OriginReadTimeout never fires) is cut at the completion
// timeout with a 504 OriginReadError, and so is an origin slow to answer
// at all; without it the same trickle is read to the end.
func TestClient_ResponseCompletionTimeout(t *testing.T) {
	c := New(S3{})
	get := func(port int, completion time.Duration) (*http.Response, error) {
		o := customOrigin("127.0.0.1", port, 443, "http-only")
		o.Custom.ReadTimeout = 150 * time.Millisecond
		o.ResponseCompletionTimeout = completion
		return c.Do(context.Background(), &Request{Origin: o, Method: http.MethodGet, Path: "/", Header: http.Header{}})
	}
	is504 := func(err error) bool {
		var oe *Error
		return errors.As(err, &oe) && oe.Status == http.StatusGatewayTimeout && oe.Detail == "OriginReadError"
	}

	long := trickle(t, 0, 2*time.Second)
	start := time.Now()
	resp, err := get(long, 400*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if !is504(err) {
		t.Errorf("trickling body with a 400 ms completion timeout: %d bytes, err %v, want 504 OriginReadError", n, err)
	}
	if took < 350*time.Millisecond || took > 1200*time.Millisecond {
		t.Errorf("cut after %v, want about 400 ms", took)
	}

	short := trickle(t, 0, 500*time.Millisecond)
	resp, err = get(short, 0)
	if err != nil {
		t.Fatal(err)
	}
	n, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n < 5 {
		t.Errorf("no completion timeout: %d bytes, err %v, want the whole trickle", n, err)
	}

	// Headers later than the completion timeout (but within the read
	// timeout): the fetch itself fails with 504.
	slowHead := trickle(t, 300*time.Millisecond, 0)
	o := customOrigin("127.0.0.1", slowHead, 443, "http-only")
	o.Custom.ReadTimeout = time.Second
	o.ResponseCompletionTimeout = 100 * time.Millisecond
	_, err = c.Do(context.Background(), &Request{Origin: o, Method: http.MethodGet, Path: "/", Header: http.Header{}})
	if !is504(err) {
		t.Errorf("late headers: err %v, want 504 OriginReadError", err)
	}
}

// countingOrigin counts the connections it accepts and sees closed.
type countingOrigin struct {
	mu               sync.Mutex
	accepted, closed int
	port             int
}

func newCountingOrigin(t *testing.T) *countingOrigin {
	t.Helper()
	co := &countingOrigin{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	srv.Config.IdleTimeout = time.Minute // the origin never closes first
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		co.mu.Lock()
		defer co.mu.Unlock()
		switch s {
		case http.StateNew:
			co.accepted++
		case http.StateClosed:
			co.closed++
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	co.port = srv.Listener.Addr().(*net.TCPAddr).Port
	return co
}

func (co *countingOrigin) counts() (accepted, closed int) {
	co.mu.Lock()
	defer co.mu.Unlock()
	return co.accepted, co.closed
}

// OriginKeepaliveTimeout: a pooled origin connection is reused while idle
// for less than the keep-alive timeout, and the edge closes it once idle
// for longer ("how long CloudFront tries to maintain a connection to your
// custom origin after it gets the last packet of a response", Developer
// Guide, "Keep-alive timeout (custom origins only)").
func TestClient_OriginKeepaliveTimeout(t *testing.T) {
	org := newCountingOrigin(t)
	c := New(S3{})
	o := customOrigin("127.0.0.1", org.port, 443, "http-only")
	o.Custom.KeepaliveTimeout = 300 * time.Millisecond
	get := func() {
		t.Helper()
		resp, err := c.Do(context.Background(), &Request{Origin: o, Method: http.MethodGet, Path: "/", Header: http.Header{}})
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get()
	time.Sleep(100 * time.Millisecond)
	get()
	if a, cl := org.counts(); a != 1 || cl != 0 {
		t.Fatalf("within the keep-alive timeout: %d connections accepted, %d closed; want 1 reused", a, cl)
	}
	// Idle past the timeout: the edge closes the connection (the origin
	// sees it closed without a request) and the next request opens another.
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, cl := org.counts(); cl == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("idle origin connection not closed 2 s after a 300 ms keep-alive timeout")
		}
		time.Sleep(20 * time.Millisecond)
	}
	get()
	if a, cl := org.counts(); a != 2 || cl != 1 {
		t.Errorf("after the keep-alive timeout: %d accepted, %d closed; want a second connection", a, cl)
	}
}
