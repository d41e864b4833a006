package edge

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"openfront/internal/accesslog"
	"openfront/internal/fastpath"
	"openfront/internal/httpguard"
	"openfront/internal/model"
)

// The WebSocket tests run the edge as the product does: package
// fastpath in front (plain, or TLS with HTTP/1.1), net/http behind it on
// a guarded listener, over loopback, to an origin that is
// golang.org/x/net/websocket's server (it checks the handshake: a key,
// version 13). The viewer is a raw connection: the test writes the
// handshake and RFC 6455 frames itself, and so sees every byte the edge
// sends.

// wsOrigin is a WebSocket origin: on connect it sends "hello", then
// echoes each message; "/bye" says "bye" and closes; "/silent" sends
// nothing; "/no" refuses with a 403 (cacheable for an hour); "/hang"
// never answers. A request that is not a handshake gets a 200 for an
// hour. It records each request's header and when each connection's
// handler returned.
type wsOrigin struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header // each request's, with Host
	tls     []bool        // each request came over TLS
	ended   chan string   // the path of each WebSocket connection that ended
	hang    chan struct{} // closed at the end of the test
}

func newWSOrigin(t *testing.T, overTLS bool) *wsOrigin {
	o := &wsOrigin{ended: make(chan string, 16), hang: make(chan struct{})}
	plain := okHandler("max-age=3600")
	ws := websocket.Server{
		Handshake: func(cfg *websocket.Config, r *http.Request) error {
			if slices.Contains(cfg.Protocol, "chat") {
				cfg.Protocol = []string{"chat"} // the one the origin picks
			} else {
				cfg.Protocol = nil
			}
			return nil
		},
		Handler: func(c *websocket.Conn) {
			path := c.Request().URL.Path
			defer func() { o.ended <- path }()
			switch path {
			case "/silent":
				io.Copy(io.Discard, c)
				return
			case "/bye":
				websocket.Message.Send(c, "bye")
				c.Close()
				return
			}
			websocket.Message.Send(c, "hello")
			for {
				var msg string
				if err := websocket.Message.Receive(c, &msg); err != nil {
					return
				}
				if err := websocket.Message.Send(c, "echo: "+msg); err != nil {
					return
				}
			}
		},
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		h := r.Header.Clone()
		h.Set("Host", r.Host)
		o.headers = append(o.headers, h)
		o.tls = append(o.tls, r.TLS != nil)
		o.mu.Unlock()
		switch {
		case r.URL.Path == "/hang":
			<-o.hang
		case r.URL.Path == "/no":
			w.Header().Set("Cache-Control", "max-age=3600")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, "no sockets here")
		case r.Header.Get("Upgrade") == "":
			plain(w, r)
		default:
			ws.ServeHTTP(w, r)
		}
	})
	if overTLS {
		o.Server = httptest.NewTLSServer(h)
	} else {
		o.Server = httptest.NewServer(h)
	}
	t.Cleanup(o.Close)
	t.Cleanup(func() { close(o.hang) }) // (runs first: Close waits for the handlers)
	return o
}

// requests returns the headers received so far and whether each came
// over TLS.
func (o *wsOrigin) requests() ([]http.Header, []bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.headers), slices.Clone(o.tls)
}

func (o *wsOrigin) port() string {
	_, p, _ := net.SplitHostPort(o.Listener.Addr().String())
	return p
}

// wsConfig is a distribution in front of o: over HTTPS (https-only)
// when o serves TLS, else HTTP, with legacy ForwardedValues (which
// forward the Sec-WebSocket-* headers, as every viewer header not
// removed by default).
func wsConfig(o *wsOrigin, edit func(model.Tree)) model.Tree {
	return distConfig(&testOrigin{Server: o.Server}, func(c model.Tree) {
		if o.TLS != nil {
			oc := model.StructItems(c, "Origins")[0]
			cc := model.Sub(oc, "CustomOriginConfig")
			cc["HTTPSPort"], cc["OriginProtocolPolicy"] = o.port(), "https-only"
		}
		if edit != nil {
			edit(c)
		}
	})
}

// wsFront is an edge served as the product serves it.
type wsFront struct {
	te   *testEdge
	addr string
	tls  bool
}

func newWSFront(t *testing.T, o *wsOrigin, cfg model.Tree, overTLS bool, edit func(*Options)) *wsFront {
	t.Helper()
	te := newTestEdge(t, cfg)
	if o.TLS != nil {
		roots := x509.NewCertPool()
		roots.AddCert(o.Certificate())
		te.opts.Origin.SetRootCAs(roots)
	}
	if edit != nil {
		snap := te.Snapshot()
		opts := te.opts
		edit(&opts)
		te.Server = New(opts)
		te.Apply(snap, nil)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	guard := &httpguard.Config{HeadTimeout: 5 * time.Second}
	fs := &fastpath.Server{Handler: te.Server, Fallback: &http.Server{Handler: te.Server}, IdleTimeout: time.Minute,
		FallbackListener: func(ln net.Listener) net.Listener { return httpguard.Listener(ln, guard) }}
	if overTLS {
		certs := httptest.NewUnstartedServer(nil)
		certs.StartTLS()
		certs.Close()
		fs.TLSConfig = &tls.Config{Certificates: certs.TLS.Certificates, NextProtos: []string{"http/1.1"}}
		fs.Fallback.TLSConfig = fs.TLSConfig
		fs.FallbackListener = func(ln net.Listener) net.Listener {
			return httpguard.TLSHandoffListener(ln, guard, fastpath.TLSState)
		}
		fs.Fallback.Handler, fs.Fallback.ConnContext = httpguard.KeepTLS(te.Server), httpguard.ConnContext
	}
	go fs.Serve(ln)
	t.Cleanup(func() { fs.Shutdown(context.Background()) })
	return &wsFront{te: te, addr: ln.Addr().String(), tls: overTLS}
}

// viewer is one viewer connection to the front.
type viewer struct {
	net.Conn
	br *bufio.Reader
}

func (f *wsFront) dial(t *testing.T) *viewer {
	t.Helper()
	var c net.Conn
	var err error
	if f.tls {
		c, err = tls.Dial("tcp", f.addr, &tls.Config{InsecureSkipVerify: true})
	} else {
		c, err = net.Dial("tcp", f.addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &viewer{Conn: c, br: bufio.NewReader(c)}
}

// The handshake of RFC 6455 section 1.3, with its accept value.
const (
	wsKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	wsAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

// handshake sends a WebSocket opening handshake for path (extra: more
// header lines) and reads the answer's head; a body is read whole.
func (v *viewer) handshake(t *testing.T, path, extra string) *http.Response {
	t.Helper()
	return v.send(t, "GET "+path+" HTTP/1.1\r\nHost: "+testHost+"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: "+wsKey+"\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat\r\n"+
		"Origin: https://example.com\r\n"+extra+"\r\n")
}

func (v *viewer) send(t *testing.T, raw string) *http.Response {
	t.Helper()
	if _, err := io.WriteString(v, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(v.br, &http.Request{Method: http.MethodGet})
	if err != nil {
		t.Fatalf("answer to %q: %v", raw, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp
}

// writeText sends a masked text frame, as a client must (RFC 6455
// section 5.3).
func (v *viewer) writeText(t *testing.T, msg string) {
	t.Helper()
	b := []byte{0x81}
	switch n := len(msg); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	default:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	}
	mask := []byte{0x37, 0xfa, 0x21, 0x3d}
	b = append(b, mask...)
	for i := range len(msg) {
		b = append(b, msg[i]^mask[i%4])
	}
	if _, err := v.Write(b); err != nil {
		t.Fatal(err)
	}
}

// readFrame reads one unmasked frame (the server's): its opcode and
// payload.
func (v *viewer) readFrame() (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(v.br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		if _, err := io.ReadFull(v.br, l[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		if _, err := io.ReadFull(v.br, l[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(l[:])
	}
	if h[1]&0x80 != 0 {
		return 0, nil, errors.New("server frame is masked")
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(v.br, payload)
	return h[0] & 0x0f, payload, err
}

func (v *viewer) readText(t *testing.T) string {
	t.Helper()
	op, p, err := v.readFrame()
	if err != nil || op != 1 {
		t.Fatalf("text frame: opcode %d %q, %v", op, p, err)
	}
	return string(p)
}

// TestWebSocket_echo: through a plain HTTP/1.1 viewer to an HTTP origin
// (ws) and through an HTTPS one to an HTTPS origin (wss, the origin
// protocol policy as for HTTP), the handshake reaches the origin with
// Upgrade, Connection and the Sec-WebSocket-* headers, its 101 comes
// back with the accept value, the chosen subprotocol and CloudFront's
// headers, and messages go both ways ("Use WebSockets with CloudFront
// distributions"). The edge used to send a plain GET without Upgrade:
// the origin answered 400.
func TestWebSocket_echo(t *testing.T) {
	for _, overTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "ws", true: "wss"}[overTLS], func(t *testing.T) {
			o := newWSOrigin(t, overTLS)
			f := newWSFront(t, o, wsConfig(o, nil), overTLS, nil)
			v := f.dial(t)
			resp := v.handshake(t, "/chat?room=1", "")
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("handshake: %d %q", resp.StatusCode, resp.Body)
			}
			for name, want := range map[string]string{
				"Upgrade": "websocket", "Connection": "Upgrade", "Sec-Websocket-Accept": wsAccept,
				"Sec-Websocket-Protocol": "chat", "X-Cache": "Miss from cloudfront", "X-Amz-Cf-Pop": "LOC1-C1",
			} {
				if got := resp.Header.Get(name); got != want {
					t.Errorf("101 %s: %q, want %q", name, got, want)
				}
			}
			if !strings.HasPrefix(resp.Header.Get("Via"), "1.1 ") || len(resp.Header.Get("X-Amz-Cf-Id")) != requestIDLen {
				t.Errorf("101 Via %q, X-Amz-Cf-Id %q", resp.Header.Get("Via"), resp.Header.Get("X-Amz-Cf-Id"))
			}
			if got := v.readText(t); got != "hello" {
				t.Fatalf("origin's first message: %q", got)
			}
			for _, msg := range []string{"one", strings.Repeat("long ", 100)} {
				v.writeText(t, msg)
				if got := v.readText(t); got != "echo: "+msg {
					t.Fatalf("echo of %.20q: %.30q", msg, got)
				}
			}
			hs, overTLSs := o.requests()
			if len(hs) != 1 {
				t.Fatalf("origin requests: %d", len(hs))
			}
			h := hs[0]
			for name, want := range map[string]string{
				"Upgrade": "websocket", "Connection": "Upgrade", "Sec-Websocket-Key": wsKey, "Sec-Websocket-Version": "13",
				"Sec-Websocket-Protocol": "chat, superchat", "Origin": "https://example.com", "Host": "127.0.0.1",
				"X-Amz-Cf-Id": resp.Header.Get("X-Amz-Cf-Id"), "User-Agent": "Amazon CloudFront",
			} {
				if got := h.Get(name); got != want {
					t.Errorf("origin's %s: %q, want %q", name, got, want)
				}
			}
			if overTLSs[0] != overTLS {
				t.Errorf("origin request over TLS: %v, want %v", overTLSs[0], overTLS)
			}
		})
	}
}

// TestWebSocket_neverFromCache: a path whose plain GET is cached (and
// served from the fast path's memory) still passes its handshakes to the
// origin: package fastpath never parses a request with Upgrade, and the
// edge never looks a handshake up nor stores its answer.
func TestWebSocket_neverFromCache(t *testing.T) {
	o := newWSOrigin(t, false)
	f := newWSFront(t, o, wsConfig(o, nil), false, nil)
	v := f.dial(t)
	get := "GET /chat HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n"
	v.send(t, get)
	if resp := v.send(t, get); resp.Header.Get("X-Cache") != "Hit from cloudfront" {
		t.Fatalf("second GET: X-Cache %q", resp.Header.Get("X-Cache"))
	}
	for i := range 2 {
		v := f.dial(t)
		if resp := v.handshake(t, "/chat", ""); resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("handshake %d over a cached path: %d %q (X-Cache %q)", i, resp.StatusCode, resp.Body, resp.Header.Get("X-Cache"))
		}
		if got := v.readText(t); got != "hello" {
			t.Fatalf("handshake %d: first message %q", i, got)
		}
	}
	if hs, _ := o.requests(); len(hs) != 3 {
		t.Errorf("origin requests: %d, want the first GET and both handshakes", len(hs))
	}
	if resp := v.send(t, get); resp.Header.Get("X-Cache") != "Hit from cloudfront" {
		t.Errorf("GET after the handshakes: X-Cache %q", resp.Header.Get("X-Cache"))
	}
}

// TestWebSocket_refusedAnswerIsRelayed: an origin that answers the
// handshake with anything but 101 is relayed like any uncached answer
// (not stored: the next handshake asks again), and the viewer's
// connection goes on as HTTP/1.1 (the guard still frames it).
func TestWebSocket_refusedAnswerIsRelayed(t *testing.T) {
	o := newWSOrigin(t, false)
	f := newWSFront(t, o, wsConfig(o, nil), false, nil)
	v := f.dial(t)
	for i := range 2 {
		resp := v.handshake(t, "/no", "")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusForbidden || string(body) != "no sockets here" || resp.Header.Get("X-Cache") != "Error from cloudfront" {
			t.Fatalf("handshake %d: %d %q, X-Cache %q", i, resp.StatusCode, body, resp.Header.Get("X-Cache"))
		}
	}
	if hs, _ := o.requests(); len(hs) != 2 {
		t.Errorf("origin requests: %d, want both handshakes (nothing stored)", len(hs))
	}
	if resp := v.send(t, "GET /after HTTP/1.1\r\nHost: "+testHost+"\r\n\r\n"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET after the refused handshakes: %d", resp.StatusCode)
	}
}

// TestWebSocket_policyForwardsTheKey: CloudFront forwards the
// Sec-WebSocket-* headers only as the behaviour's policies say ("To use
// WebSockets, configure ... Forward all viewer request headers ... or
// Specifically forward the Sec-WebSocket-Key and Sec-WebSocket-Version
// request headers in your origin request policy"). With CachingDisabled
// alone the origin gets Upgrade without a key and refuses (400, relayed);
// with AllViewer it switches.
func TestWebSocket_policyForwardsTheKey(t *testing.T) {
	tests := []struct {
		name   string
		orp    string
		status int
	}{
		{"CachingDisabled alone", "", http.StatusBadRequest},
		{"CachingDisabled with AllViewer", allViewerPolicy, http.StatusSwitchingProtocols},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newWSOrigin(t, false)
			f := newWSFront(t, o, wsConfig(o, policies(cachingDisabled, tc.orp)), false, nil)
			resp := f.dial(t).handshake(t, "/chat", "")
			if resp.StatusCode != tc.status {
				t.Errorf("handshake: %d, want %d", resp.StatusCode, tc.status)
			}
			hs, _ := o.requests()
			if len(hs) != 1 || hs[0].Get("Upgrade") != "websocket" {
				t.Fatalf("origin requests %v: want one with Upgrade", hs)
			}
			if got, want := hs[0].Get("Sec-Websocket-Key") != "", tc.orp != ""; got != want {
				t.Errorf("origin got a Sec-WebSocket-Key: %v, want %v", got, want)
			}
		})
	}
}

// TestWebSocket_behaviourRulesFirst: the handshake is a GET to the
// behaviour's rules ("The options that you choose for your CloudFront
// Viewer protocol policy ... apply to WebSocket connections as well as
// to HTTP traffic"): an https-only behaviour refuses it over HTTP, a
// redirect-to-https one redirects it, a signed-only one refuses it
// without a signature. The origin is never asked. (These held before
// the edge passed handshakes on; they guard the order.)
func TestWebSocket_behaviourRulesFirst(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(model.Tree)
		status int
	}{
		{"https-only over HTTP", func(c model.Tree) {
			model.Sub(c, "DefaultCacheBehavior")["ViewerProtocolPolicy"] = "https-only"
		}, http.StatusForbidden},
		{"redirect-to-https over HTTP", func(c model.Tree) {
			model.Sub(c, "DefaultCacheBehavior")["ViewerProtocolPolicy"] = "redirect-to-https"
		}, http.StatusMovedPermanently},
		{"signed URLs required", func(c model.Tree) {
			model.Sub(c, "DefaultCacheBehavior")["TrustedKeyGroups"] = model.Tree{"Enabled": "true", "Quantity": "1", "Items": []any{"kg"}}
		}, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newWSOrigin(t, false)
			f := newWSFront(t, o, wsConfig(o, tc.edit), false, nil)
			resp := f.dial(t).handshake(t, "/chat", "")
			if resp.StatusCode != tc.status {
				t.Errorf("handshake: %d %q, want %d", resp.StatusCode, resp.Body, tc.status)
			}
			if hs, _ := o.requests(); len(hs) != 0 {
				t.Errorf("the origin was asked %d times", len(hs))
			}
		})
	}
}

// goroutinesNamed counts the goroutines whose stack has name in it.
func goroutinesNamed(name string) int {
	var b bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&b, 2)
	return strings.Count(b.String(), name)
}

// waitNoSplice waits until no goroutine of a splice is left.
func waitNoSplice(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); goroutinesNamed("edge.(*spliceCopier).run") > 0 || goroutinesNamed("edge.(*exchange).switchProtocols") > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("splice goroutines left: %d copiers", goroutinesNamed("edge.(*spliceCopier).run"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWebSocket_ends: whichever side ends the connection, the other
// hears of it and the edge keeps no goroutine: the origin closing after a
// last message (the viewer reads it, then the end), the viewer vanishing
// (the origin's read ends), and an origin silent for the idle timeout
// (CloudFront's is 10 minutes of no bytes from the origin, "Quotas on
// WebSocket connections"; here 300 ms), even while the viewer talks.
func TestWebSocket_ends(t *testing.T) {
	o := newWSOrigin(t, false)
	f := newWSFront(t, o, wsConfig(o, nil), false, func(opts *Options) { opts.WebSocketIdleTimeout = 300 * time.Millisecond })

	t.Run("origin closes", func(t *testing.T) {
		v := f.dial(t)
		if resp := v.handshake(t, "/bye", ""); resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("handshake: %d", resp.StatusCode)
		}
		if got := v.readText(t); got != "bye" {
			t.Fatalf("last message %q", got)
		}
		// x/net/websocket closes without a close frame: the end of the
		// stream is what the viewer must see.
		for {
			op, _, err := v.readFrame()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("after the origin closed: %v, want the end of the stream", err)
			}
			if op != 8 {
				t.Fatalf("after the origin closed: opcode %d", op)
			}
		}
		<-o.ended
		waitNoSplice(t)
	})

	t.Run("viewer vanishes", func(t *testing.T) {
		v := f.dial(t)
		if resp := v.handshake(t, "/chat", ""); resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("handshake: %d", resp.StatusCode)
		}
		v.readText(t)
		v.Close()
		select {
		case <-o.ended:
		case <-time.After(5 * time.Second):
			t.Fatal("the origin's connection outlived the viewer's by 5 s")
		}
		waitNoSplice(t)
	})

	t.Run("origin idle", func(t *testing.T) {
		v := f.dial(t)
		if resp := v.handshake(t, "/silent", ""); resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("handshake: %d", resp.StatusCode)
		}
		start := time.Now()
		// The viewer's bytes do not keep it open: it talks every 100 ms
		// until its write fails.
		for i := 0; i < 30; i++ {
			if _, err := v.Write([]byte{0x81, 0x80, 0, 0, 0, 0}); err != nil { // an empty masked text frame
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if _, _, err := v.readFrame(); err == nil {
			t.Fatal("idle connection still open")
		}
		if d := time.Since(start); d < 300*time.Millisecond || d > 3*time.Second {
			t.Errorf("closed after %v of silence, want about 300 ms", d)
		}
		<-o.ended
		waitNoSplice(t)
	})
}

// TestWebSocket_handshakeTimeout: an origin that never answers the
// handshake gets the origin's response timeout, as any request: 504.
func TestWebSocket_handshakeTimeout(t *testing.T) {
	o := newWSOrigin(t, false)
	f := newWSFront(t, o, wsConfig(o, func(c model.Tree) {
		oc := model.StructItems(c, "Origins")[0]
		model.Sub(oc, "CustomOriginConfig")["OriginReadTimeout"] = "1"
		oc["ConnectionAttempts"] = "1"
	}), false, nil)
	start := time.Now()
	resp := f.dial(t).handshake(t, "/hang", "")
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Errorf("handshake: %d, want 504", resp.StatusCode)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("answered after %v", d)
	}
}

// TestWebSocket_accessLog: one record per connection, written when it
// closed ("For WebSocket connections, this is the time when the
// connection is closed", "Standard logging reference"), with cs-protocol
// ws or wss, status 101 and the bytes of the whole connection.
func TestWebSocket_accessLog(t *testing.T) {
	for _, overTLS := range []bool{false, true} {
		proto := map[bool]string{false: "ws", true: "wss"}[overTLS]
		t.Run(proto, func(t *testing.T) {
			o := newWSOrigin(t, overTLS)
			up := &uploadLog{}
			w := accesslog.NewWriter(accesslog.Options{Uploader: up, MaxRecords: 1, FlushInterval: time.Millisecond})
			t.Cleanup(func() { w.Close(context.Background()) })
			cfg := wsConfig(o, func(c model.Tree) {
				c["Logging"] = model.Tree{"Enabled": "true", "IncludeCookies": "false", "Bucket": "logs.s3.amazonaws.com", "Prefix": ""}
			})
			f := newWSFront(t, o, cfg, overTLS, func(opts *Options) { opts.AccessLog = w })
			v := f.dial(t)
			if resp := v.handshake(t, "/chat", ""); resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("handshake: %d", resp.StatusCode)
			}
			v.readText(t)
			big := strings.Repeat("x", 10000)
			v.writeText(t, big)
			v.readText(t)
			time.Sleep(50 * time.Millisecond)
			up.mu.Lock()
			early := len(up.lines)
			up.mu.Unlock()
			if early != 0 {
				t.Errorf("%d records while the connection is open", early)
			}
			v.Close()
			var lines []string
			for deadline := time.Now().Add(5 * time.Second); len(lines) == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				up.mu.Lock()
				lines = slices.Clone(up.lines)
				up.mu.Unlock()
			}
			if len(lines) != 1 {
				t.Fatalf("records: %q", lines)
			}
			fl := strings.Split(lines[0], "\t")
			sent, _ := strconv.Atoi(fl[3])
			received, _ := strconv.Atoi(fl[17])
			if fl[5] != "GET" || fl[7] != "/chat" || fl[8] != "101" || fl[13] != "Miss" || fl[16] != proto || sent < 10000 || received < 10000 {
				t.Errorf("record %q: method %s, stem %s, status %s, result %s, protocol %s, sc-bytes %d, cs-bytes %d",
					lines[0], fl[5], fl[7], fl[8], fl[13], fl[16], sent, received)
			}
		})
	}
}

// TestWebSocket_http2IsAnOrdinaryGET: HTTP/2 has no Upgrade (RFC 9113
// section 8.2.2) and the edge offers no extended CONNECT (RFC 8441):
// CloudFront "only supports WebSocket connections over the HTTP/1.1
// protocol". An HTTP/2 request is never taken for a handshake.
func TestWebSocket_http2IsAnOrdinaryGET(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/chat", nil)
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Connection", "Upgrade")
	if !isWebSocketHandshake(r) {
		t.Fatal("an HTTP/1.1 handshake is not one")
	}
	for _, proto := range []struct{ major, minor int }{{2, 0}, {3, 0}, {1, 0}} {
		r.ProtoMajor, r.ProtoMinor = proto.major, proto.minor
		if isWebSocketHandshake(r) {
			t.Errorf("HTTP/%d.%d request taken for a handshake", proto.major, proto.minor)
		}
	}
	r.ProtoMajor, r.ProtoMinor, r.Method = 1, 1, http.MethodPost
	if isWebSocketHandshake(r) {
		t.Error("a POST taken for a handshake")
	}
}
