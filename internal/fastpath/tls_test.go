package fastpath

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"openfront/internal/httpguard"
)

// tlsStub answers /fast/<n> like stubHandler and says in X-TLS whether the
// request carried the connection's TLS state.
type tlsStub struct{}

func (tlsStub) ServeFast(r *Request, dst []byte) ([]byte, []byte, bool) {
	if r.TLS == nil || r.TLS.Version != tls.VersionTLS13 {
		return dst, nil, false // the test then sees X-Path: net/http
	}
	return stubHandler{}.ServeFast(r, dst)
}

// startTLSServer runs a fast-path Server with a TLSConfig offering h2 and
// http/1.1, handing over as the edge does (httpguard.TLSHandoffListener,
// KeepTLS): net/http's handler reports the protocol and TLS state it saw.
func startTLSServer(t testing.TB, edit func(*Server)) (*Server, string) {
	t.Helper()
	cfg := testTLSConfig(t)
	var s *Server
	s, addr, _ := startServer(t, func(s *Server) {
		s.Handler = tlsStub{}
		s.TLSConfig = cfg
		s.Fallback.TLSConfig = cfg // net/http sets HTTP/2 up for "h2"
		s.Fallback.ConnContext = httpguard.ConnContext
		s.Fallback.Handler = httpguard.KeepTLS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Path", "net/http")
			if r.TLS != nil {
				w.Header().Set("X-TLS", tls.VersionName(r.TLS.Version))
			}
			io.WriteString(w, r.Proto)
		}))
		s.FallbackListener = func(ln net.Listener) net.Listener {
			return httpguard.TLSHandoffListener(ln, &httpguard.Config{}, TLSState)
		}
		if edit != nil {
			edit(s)
		}
	})
	return s, addr
}

// HTTP/1.1 over TLS (ALPN http/1.1 or none) is served by the loop with the
// connection's TLS state; HTTP/2 goes to net/http as a *tls.Conn; an
// HTTP/1.1 connection handed over keeps its TLS state for net/http's
// handler.
func TestServer_TLS(t *testing.T) {
	s, addr := startTLSServer(t, nil)
	tests := []struct {
		name   string
		alpn   []string
		path   string
		xpath  string
		body   string
		proto  int
		handed uint64
	}{
		{"no ALPN, hit", nil, "/fast/3", "fast", "fff", 1, 0},
		{"http/1.1, hit", []string{"http/1.1"}, "/fast/2", "fast", "ff", 1, 0},
		{"http/1.1, declined, answered on the loop", []string{"http/1.1"}, "/other", "net/http", "HTTP/1.1", 1, 0},
		{"h2 chosen", []string{"h2", "http/1.1"}, "/fast/3", "net/http", "HTTP/2.0", 2, 1},
	}
	for _, tc := range tests {
		before := s.Stats()
		tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, NextProtos: tc.alpn}, ForceAttemptHTTP2: tc.proto == 2}
		if tc.proto == 1 {
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("https://" + addr + tc.path)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections()
		if resp.ProtoMajor != tc.proto || resp.Header.Get("X-Path") != tc.xpath || string(b) != tc.body {
			t.Errorf("%s: %s X-Path %q body %q, want HTTP/%d %q %q", tc.name, resp.Proto, resp.Header.Get("X-Path"), b, tc.proto, tc.xpath, tc.body)
		}
		if tc.xpath == "net/http" && resp.Header.Get("X-TLS") != "TLS 1.3" {
			t.Errorf("%s: net/http's handler saw TLS %q, want TLS 1.3", tc.name, resp.Header.Get("X-TLS"))
		}
		if got := s.Stats().HandedOver - before.HandedOver; got != tc.handed {
			t.Errorf("%s: %d connections handed over, want %d", tc.name, got, tc.handed)
		}
	}

	// A request the loop does not parse (a POST) hands the connection
	// over after the hits; net/http's handler still sees TLS.
	c := dialFront(t, addr, true)
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, get("/fast/1")+"POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx")
	br := bufio.NewReader(c)
	if resp, body := readResponse(t, br); resp.Header.Get("X-Path") != "fast" || body != "f" {
		t.Fatalf("hit before the POST: %s %q", resp.Header.Get("X-Path"), body)
	}
	resp, body := readResponse(t, br)
	if resp.Header.Get("X-Path") != "net/http" || resp.Header.Get("X-TLS") != "TLS 1.3" || body != "HTTP/1.1" {
		t.Errorf("POST handed over: X-Path %q X-TLS %q body %q, want net/http, TLS 1.3", resp.Header.Get("X-Path"), resp.Header.Get("X-TLS"), body)
	}
}

// A TLS handshake that does not finish within ReadHeaderTimeout ends the
// connection, and a failed handshake neither reaches a handler nor stops
// the server.
func TestServer_TLSHandshakeDeadline(t *testing.T) {
	s, addr := startTLSServer(t, func(s *Server) { s.ReadHeaderTimeout = 300 * time.Millisecond })
	start := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "\x16\x03\x01") // the start of a ClientHello, no more
	// Meanwhile other viewers are served: handshakes do not hold the
	// accept loop.
	other := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 5 * time.Second}
	if resp, err := other.Get("https://" + addr + "/fast/1"); err != nil {
		t.Fatalf("while a handshake stalls: %v", err)
	} else {
		resp.Body.Close()
	}
	closedWithin(t, c, "", 3*time.Second)
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("closed after %v, before the 300 ms deadline", d)
	}
	p, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(p, get("/fast/1")) // plain HTTP to the TLS port
	if b, _ := io.ReadAll(p); !strings.HasPrefix(string(b), "HTTP/1.0 400 Bad Request\r\n") {
		t.Errorf("plain HTTP to the TLS port: %q, want net/http's 400", b)
	}
	if st := s.Stats(); st.Served != 1 || st.Declined != 0 || st.HandedOver != 0 {
		t.Errorf("stats %+v after failed handshakes, want only the other viewer's answer", st)
	}
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 5 * time.Second}).Get("https://" + addr + "/fast/2")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Path") != "fast" {
		t.Errorf("after failed handshakes: X-Path %q", resp.Header.Get("X-Path"))
	}
}

// TestServer_TLSWatchHandshake: each handshake's outcome is told to the
// WatchHandshake hook: nil for a client that completes it, the client's
// refusal (recognised by httpguard.WatchHandshakes, as crypto/tls reports
// a remote alert) for one that rejects the server's certificate.
func TestServer_TLSWatchHandshake(t *testing.T) {
	type outcome struct {
		remote net.Addr
		err    error
	}
	failed := make(chan outcome, 4)
	succeeded := make(chan struct{}, 4)
	watch := httpguard.WatchHandshakes(func(remote net.Addr, err error) { failed <- outcome{remote, err} })
	_, addr := startTLSServer(t, func(s *Server) {
		s.WatchHandshake = func(raw net.Conn) (net.Conn, func(error)) {
			c, done := watch(raw)
			return c, func(err error) {
				if err == nil {
					succeeded <- struct{}{}
				}
				done(err)
			}
		}
	})

	// A client that trusts the certificate: one success, no failure.
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	select {
	case <-succeeded:
	case <-time.After(5 * time.Second):
		t.Fatal("a completed handshake was not told to the hook")
	}

	// A client that does not (Go's default verification of a self-signed
	// certificate): the server hears its bad-certificate alert.
	if c, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "example.test"}); err == nil {
		c.Close()
		t.Fatal("the test certificate was trusted")
	}
	select {
	case o := <-failed:
		if !httpguard.CertificateRejected(o.err) || o.remote == nil {
			t.Errorf("failed handshake reported as %v from %v, want the client's certificate refusal", o.err, o.remote)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a refused handshake was not reported")
	}
}

// TestServer_TLSHandedOverConnectionsAreGuarded: over TLS too, a request
// the loop hands to net/http is read through the guard: Content-Length
// with Transfer-Encoding is 400 and the connection ends, so the smuggled
// request is never run.
func TestServer_TLSHandedOverConnectionsAreGuarded(t *testing.T) {
	_, addr := startTLSServer(t, nil)
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
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
