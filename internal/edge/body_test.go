package edge

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"openfront/internal/fastpath"
	"openfront/internal/httpguard"
	"openfront/internal/model"
)

// guardedEdge serves a logging test edge as the edge's plain HTTP
// listener runs (internal/app): the fast path, handing what it does not
// parse (every request with a body) to net/http behind httpguard, with
// the edge's Reject page and a short body timeout.
type guardedEdge struct {
	te   *testEdge
	log  *syncBuffer
	addr string
	// bodies counts the origin's requests whose body arrived whole, and
	// cut those whose body did not.
	bodies, cut atomic.Int64
}

func newGuardedEdge(t *testing.T) *guardedEdge {
	t.Helper()
	g := &guardedEdge{}
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			g.cut.Add(1)
			return
		}
		g.bodies.Add(1)
		w.Write([]byte("ok"))
	})
	g.te, g.log = newLoggingEdge(t, distConfig(o, func(c model.Tree) {
		model.Sub(c, "DefaultCacheBehavior")["AllowedMethods"] = model.Tree{"Quantity": "7", "Items": []any{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}}
	}), slog.LevelDebug)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	guard := &httpguard.Config{HeadTimeout: time.Second, BodyTimeout: 300 * time.Millisecond, BodyMinRate: 500, Reject: g.te.RefusedRequest}
	// As internal/app serves it: OPTIONS * goes to the edge.
	fallback := &http.Server{Handler: g.te.Server, DisableGeneralOptionsHandler: true}
	fs := &fastpath.Server{Handler: g.te.Server, Fallback: fallback, IdleTimeout: time.Minute, Log: g.log.logger(),
		FallbackListener: func(ln net.Listener) net.Listener { return httpguard.Listener(ln, guard) }}
	go fs.Serve(ln)
	t.Cleanup(func() { fs.Shutdown(t.Context()) })
	g.addr = ln.Addr().String()
	return g
}

func (s *syncBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(s, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// exchange sends head, then trickle a byte every 50 ms (until the edge
// stops reading), and reads every response until the edge closes the
// connection.
func (g *guardedEdge) exchange(t *testing.T, head, trickle string) []*http.Response {
	t.Helper()
	c, err := net.Dial("tcp", g.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	go func() {
		for i := range len(trickle) {
			time.Sleep(50 * time.Millisecond)
			if _, err := c.Write([]byte{trickle[i]}); err != nil {
				return
			}
		}
	}()
	var out []*http.Response
	br := bufio.NewReader(c)
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			if err != io.EOF && err != io.ErrUnexpectedEOF { // ReadResponse's word for the end
				t.Fatalf("after %d responses: %v (the connection must end cleanly)", len(out), err)
			}
			return out
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(strings.NewReader(string(b)))
		out = append(out, resp)
	}
}

// A viewer's request body that fails is the viewer's failure: a body too
// slow for the guard's deadline gets CloudFront's 408 page, a malformed
// chunked body its 400 page (RFC 9112 §7.1), both with the connection
// closed and no origin failure logged. Before, the slow body got
// net/http's empty 200 (the edge took the cancelled request for a viewer
// that had left and wrote nothing) and the malformed one a 502, logged
// as the origin's OriginConnectError.
func TestServer_viewerBodyFailures(t *testing.T) {
	g := newGuardedEdge(t)
	host := "Host: " + testHost + "\r\n"
	follow := "GET /follow HTTP/1.1\r\n" + host + "\r\n"
	chunked := "POST /p HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n"
	for _, tc := range []struct {
		name, head, trickle string
		status              int
		detail              string
	}{
		{"slow Content-Length body", "POST /p HTTP/1.1\r\n" + host + "Content-Length: 100000\r\n\r\n", strings.Repeat("x", 100), 408, "ClientCommError"},
		{"slow chunked body", chunked, strings.Repeat("1\r\nx\r\n", 40), 408, "ClientCommError"},
		{"bad chunk terminator", chunked + "3\r\nabcXX0\r\n\r\n" + follow, "", 400, "InvalidRequest"},
		{"chunk size overflow", chunked + "10000000000000001\r\nabc\r\n0\r\n\r\n" + follow, "", 400, "InvalidRequest"},
		{"negative chunk size", chunked + "-3\r\nabc\r\n0\r\n\r\n" + follow, "", 400, "InvalidRequest"},
		{"bare LF after chunk data", chunked + "3\r\nabc\n0\r\n\r\n" + follow, "", 400, "InvalidRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g.log.reset()
			before := g.bodies.Load()
			resps := g.exchange(t, tc.head, tc.trickle)
			if len(resps) != 1 {
				t.Fatalf("%d responses, want one, then the end of the connection", len(resps))
			}
			resp := resps[0]
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || resp.Header.Get("X-Cache") != "Error from cloudfront" ||
				resp.Header.Get("Server") != "CloudFront" || resp.Header.Get("X-Amz-Cf-Id") == "" || resp.Header.Get("Via") == "" ||
				!strings.Contains(string(body), "The request could not be satisfied") {
				t.Fatalf("got %d %v %q; want CloudFront's %d page", resp.StatusCode, resp.Header, body, tc.status)
			}
			if n := g.bodies.Load() - before; n != 0 {
				t.Errorf("the origin got %d whole requests", n)
			}
			if lines := g.log.lines("edge: origin failed"); len(lines) != 0 {
				t.Errorf("the viewer's body failure was logged as the origin's: %q", lines)
			}
			lines := g.log.lines("edge: request")
			if len(lines) != 1 || !strings.Contains(lines[0], "status="+itoa(tc.status)) || !strings.Contains(lines[0], "detail="+tc.detail) {
				t.Errorf("request lines %q, want one with status=%d detail=%s", lines, tc.status, tc.detail)
			}
		})
	}

	t.Run("viewer leaves mid-body", func(t *testing.T) {
		g.log.reset()
		c, err := net.Dial("tcp", g.addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "POST /p HTTP/1.1\r\n"+host+"Content-Length: 100\r\n\r\nabc")
		time.Sleep(100 * time.Millisecond)
		c.Close()
		for deadline := time.Now().Add(5 * time.Second); len(g.log.lines("edge: request")) == 0; {
			if time.Now().After(deadline) {
				t.Fatal("the request was not logged")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if lines := g.log.lines("edge: request"); !strings.Contains(lines[0], "status=0 ") || !strings.Contains(lines[0], "result=Error") {
			t.Errorf("request line %q, want status=0 result=Error (nothing written)", lines[0])
		}
		if lines := g.log.lines("edge: origin failed"); len(lines) != 0 {
			t.Errorf("a viewer that left was logged as an origin failure: %q", lines)
		}
	})
}

// Over HTTP/3 a request whose DATA frames end (FIN) before its
// Content-Length is malformed (RFC 9114 §4.1.2: "MUST NOT forward"): the
// origin request it started is abandoned before the body is complete,
// and the viewer gets CloudFront's 400 page. Before, the short body made
// the origin request fail and the viewer got a 502, logged as the
// origin's failure. (HTTP/2 streams that do so are reset with
// PROTOCOL_ERROR by package fastpath before the handler hears of it.)
func TestServer_http3BodyShorterThanContentLength(t *testing.T) {
	g := newGuardedEdge(t)
	certs := httptest.NewUnstartedServer(nil)
	certs.StartTLS()
	certs.Close()
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http3.Server{Handler: g.te.Server, TLSConfig: http3.ConfigureTLSConfig(&tls.Config{Certificates: certs.TLS.Certificates})}
	go srv.Serve(udp)
	t.Cleanup(func() { srv.Close() })
	addr := udp.LocalAddr().String()
	tr := &http3.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		Dial: func(ctx context.Context, _ string, tc *tls.Config, qc *quic.Config) (*quic.Conn, error) {
			return quic.DialAddr(ctx, addr, tc, qc)
		}}
	t.Cleanup(func() { tr.Close() })
	g.log.reset()
	req, err := http.NewRequest(http.MethodPost, "https://"+testHost+"/p", strings.NewReader("abc"))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = 5 // quic-go's client sends the 3 bytes, then FIN
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Cache") != "Error from cloudfront" ||
		!strings.Contains(string(body), "The request could not be satisfied") {
		t.Fatalf("got %d %v %q; want CloudFront's 400 page", resp.StatusCode, resp.Header, body)
	}
	if n := g.bodies.Load(); n != 0 {
		t.Errorf("the origin got %d whole requests", n)
	}
	if lines := g.log.lines("edge: origin failed"); len(lines) != 0 {
		t.Errorf("the viewer's malformed request was logged as an origin failure: %q", lines)
	}
}

func (s *syncBuffer) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}
