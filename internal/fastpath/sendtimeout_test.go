package fastpath

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testSendTimeout is the send timeout of these tests.
const testSendTimeout = 200 * time.Millisecond

// bigBody is larger than any socket buffers between a viewer that does
// not read and the server: its writes must wait.
const bigBody = 16 << 20

// dialNoRead opens a viewer connection with a small receive buffer (set
// before the connect, so that the window is small from the start), over
// TLS (ALPN http/1.1) when overTLS.
func dialNoRead(t *testing.T, addr string, overTLS bool) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return serr
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if overTLS {
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		c = tc
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// endedBySendTimeout waits past the send timeout, then reads: the server
// must have ended the connection (a reset, or the end of the stream)
// before the whole body, where a connection it kept would deliver the
// body and then wait (the read deadline).
func endedBySendTimeout(t *testing.T, c net.Conn, what string) {
	t.Helper()
	time.Sleep(5 * testSendTimeout)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("%s: the connection is still open after %d bytes (the viewer stopped reading)", what, n)
	}
	if n >= bigBody {
		t.Fatalf("%s: read %d bytes, the whole body", what, n)
	}
}

// bigHandler writes bigBody bytes in 32 KiB writes, and reports the write
// error that stopped it.
func bigHandler(stopped chan<- error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Length", "16777216")
		chunk := []byte(strings.Repeat("b", 32<<10))
		var err error
		for n := 0; n < bigBody && err == nil; n += len(chunk) {
			_, err = w.Write(chunk)
		}
		stopped <- err
	})
}

// A viewer that stops reading is disconnected after the send timeout on
// every HTTP/1.1 way of writing: a hit the epoll loop hands back (a body
// from writevSize up), pipelined small hits the socket does not take
// whole, a declined request's response (the ResponseWriter, and
// sendfile), a connection handed over to net/http; plain and over TLS.
// The handlers see their write fail.
func TestServer_sendTimeout(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the send timeout needs package rawio (Linux)")
	}
	for _, overTLS := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "TLS"}[overTLS]
		stopped := make(chan error, 4)
		file := bigFile(t)
		edit := func(s *Server) {
			s.SendTimeout = testSendTimeout
			h := bigHandler(stopped)
			s.Fallback.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/file" {
					f, err := os.Open(file)
					if err != nil {
						panic(err)
					}
					defer f.Close()
					w.Header().Set("Content-Length", "16777216")
					_, err = io.Copy(w, f)
					stopped <- err
					return
				}
				h.ServeHTTP(w, r)
			})
		}
		var addr string
		if overTLS {
			_, addr = startTLSServer(t, edit)
		} else {
			_, addr, _ = startServer(t, edit)
		}

		t.Run(name+"/hit", func(t *testing.T) {
			c := dialNoRead(t, addr, overTLS)
			// A small hit first, so that a plain connection is parked in
			// the epoll loop when the large one comes.
			io.WriteString(c, get("/fast/5"))
			buf := make([]byte, 4096)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Read(buf); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			io.WriteString(c, get("/fast/16777216"))
			endedBySendTimeout(t, c, "a large hit")
		})
		t.Run(name+"/pipelined hits", func(t *testing.T) {
			c := dialNoRead(t, addr, overTLS)
			go io.WriteString(c, strings.Repeat(get("/fast/8000"), bigBody/8000+1))
			endedBySendTimeout(t, c, "pipelined hits")
		})
		for _, path := range []string{"/declined", "/file"} {
			t.Run(name+path, func(t *testing.T) {
				c := dialNoRead(t, addr, overTLS)
				io.WriteString(c, get(path))
				endedBySendTimeout(t, c, "a declined request")
				if err := <-stopped; err == nil {
					t.Error("the handler's writes did not fail")
				}
			})
		}
		t.Run(name+"/handed over", func(t *testing.T) {
			c := dialNoRead(t, addr, overTLS)
			io.WriteString(c, "POST /post HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx")
			endedBySendTimeout(t, c, "a response of net/http")
			if err := <-stopped; err == nil {
				t.Error("the handler's writes did not fail")
			}
		})
	}
}

// bigFile is a file of bigBody bytes, for sendfile.
func bigFile(t *testing.T) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "big")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(bigBody); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// The send timeout is a progress timeout: a viewer that reads slowly but
// steadily gets a large hit whole, although it takes many times the
// timeout.
func TestServer_sendTimeoutSlowReader(t *testing.T) {
	_, addr, _ := startServer(t, func(s *Server) { s.SendTimeout = testSendTimeout })
	c, br := dial(t, addr)
	c.(*net.TCPConn).SetReadBuffer(256 << 10)
	io.WriteString(c, get("/fast/16777216"))
	start := time.Now()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256<<10)
	var n int64
	for {
		time.Sleep(testSendTimeout / 8)
		k, err := resp.Body.Read(buf)
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes, %v: %v", n, time.Since(start), err)
		}
	}
	if n != bigBody {
		t.Fatalf("read %d bytes, want %d", n, bigBody)
	}
	t.Logf("%d bytes in %v", n, time.Since(start))
}
