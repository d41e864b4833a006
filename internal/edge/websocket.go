package edge

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/http/httpguts"

	"openfront/internal/cache"
	"openfront/internal/origin"
)

// WebSocket connections ("Use WebSockets with CloudFront distributions",
// Amazon CloudFront Developer Guide; RFC 6455). The opening handshake is
// a GET like any other until the origin answers it: the plan's rules
// (viewer protocol policy, allowed methods, geo restriction, signed URLs
// and cookies) and a viewer-request function apply to it, and a refusal
// is an ordinary response. It is never cached: obtain hands it to
// webSocketHandshake, which asks the origin with Upgrade: websocket and
// Connection: Upgrade (the hop-by-hop headers the edge otherwise
// removes; "removed except WebSocket") and the other headers the
// behaviour forwards. CloudFront forwards no Sec-WebSocket-* header of
// its own: "To use WebSockets, configure one of the following in the
// cache behavior ... Forward all viewer request headers to your origin
// ... Specifically forward the Sec-WebSocket-Key and
// Sec-WebSocket-Version request headers in your origin request policy"
// (the same page; legacy ForwardedValues forward every viewer header
// that is not removed by default, so they pass). Without them the
// origin sees an incomplete handshake, and its answer is relayed.
//
// An answer other than 101 is relayed as a pass-through response (Miss,
// not stored). A 101 is stamped like any response (X-Cache, Via,
// X-Amz-Cf-Pop, X-Amz-Cf-Id, the response headers policy; not a
// viewer-response function, whose status or body could not apply to a
// switched connection), written on the connection net/http hands over
// (Hijack), and the bytes are then copied both ways until either side
// closes. The origin's protocol policy applies as to HTTP ("The options
// that you choose for ... Protocol (custom origins only) apply to
// WebSocket connections as well as to HTTP traffic": ws to an HTTP
// origin, wss to an HTTPS one), and its connection and response timeouts
// bound the handshake.
//
// Viewers: HTTP/1.1, plain and TLS ("Currently, CloudFront only supports
// WebSocket connections over the HTTP/1.1 protocol"). Package fastpath
// never parses a request with an Upgrade header (so no handshake is
// answered from its cache hits): it hands the connection to net/http,
// whose ResponseWriter hijacks. HTTP/2 would need RFC 8441's extended
// CONNECT, which the edge does not offer: SETTINGS_ENABLE_CONNECT_PROTOCOL
// is not sent, a :protocol pseudo-header makes a request malformed
// (package fastpath) and a CONNECT gets 403 (no behaviour allows the
// method); HTTP/2 and HTTP/3 requests cannot carry Upgrade at all.

// DefaultWebSocketIdleTimeout is CloudFront's "Origin response timeout
// (idle timeout)" of WebSocket connections: "If CloudFront hasn't
// detected any bytes sent from the origin to the client within the past
// 10 minutes, the connection is assumed to be idle and is closed"
// (Developer Guide, "Quotas", Quotas on WebSocket connections).
const DefaultWebSocketIdleTimeout = 10 * time.Minute

// webSocketLinger is how long one direction of a connection may go on
// once the other has ended (its end was passed on as a half-close):
// enough for a closing handshake's last frame, not for a peer that
// never closes.
const webSocketLinger = 5 * time.Second

// Values of the origin request's and the 101's Upgrade and Connection.
var (
	upgradeWebSocket  = []string{"websocket"}
	connectionUpgrade = []string{"Upgrade"}
)

// isWebSocketHandshake reports whether r opens a WebSocket connection
// (RFC 6455 section 4.1): an HTTP/1.1 GET whose Upgrade names websocket
// and whose Connection names Upgrade.
func isWebSocketHandshake(r *http.Request) bool {
	return r.Method == http.MethodGet && r.ProtoMajor == 1 && r.ProtoMinor == 1 &&
		httpguts.HeaderValuesContainsToken(r.Header["Upgrade"], "websocket") &&
		httpguts.HeaderValuesContainsToken(r.Header["Connection"], "Upgrade")
}

// errNotWebSocket fails a handshake whose origin switched to another
// protocol, or whose 101 came without the connection.
var errNotWebSocket = errors.New("origin answered the WebSocket handshake with 101 but not for websocket")

// webSocketHandshake is obtain for a WebSocket opening handshake: the
// origin's 101 with its connection (written and spliced by write), or
// its other answer, or CloudFront's error page when it cannot be asked.
func (x *exchange) webSocketHandshake() response {
	var out origin.Request
	x.originRequest(&out, nil, http.MethodGet, nil, 0)
	out.Header["Upgrade"], out.Header["Connection"] = upgradeWebSocket, connectionUpgrade
	out.Upgrade = true
	resp, err := x.fetch(x.r.Context(), &out, nil)
	if err != nil {
		if x.r.Context().Err() != nil {
			return response{viewerGone: true}
		}
		return x.originFailed(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return x.relayed(resp) // not switched: an ordinary, uncached answer
	}
	conn, ok := resp.Body.(io.ReadWriteCloser)
	if !ok || !httpguts.HeaderValuesContainsToken(resp.Header["Upgrade"], "websocket") {
		resp.Body.Close()
		err := &origin.Error{Status: http.StatusBadGateway, Detail: "OriginInvalidResponseError", Err: errNotWebSocket}
		x.logOriginFailure(&out, err.Error(), err)
		return x.originFailed(err)
	}
	h := resp.Header
	x.filterOriginHeader(h) // as any origin header; Upgrade and Connection go back below
	h["Upgrade"], h["Connection"] = upgradeWebSocket, connectionUpgrade
	m := &cache.Meta{Status: http.StatusSwitchingProtocols, Header: cache.MakeHeader(h), StoredAt: cache.InstantOf(x.s.now()), Size: -1}
	return response{result: "Miss", meta: m, upgraded: conn}
}

// relayed is the response of an origin answer that is not stored: its
// header filtered as a fill's, its body streamed (passThrough's).
func (x *exchange) relayed(resp *http.Response) response {
	var up cache.FetchResult // read below only
	res := x.upstreamResponse(resp, &up)
	// StoredAt goes back by the origin's Age, which the viewer then gets (RFC 9111 §5.1).
	m := &cache.Meta{Status: res.Status, Header: cache.MakeHeader(res.Header), StoredAt: cache.InstantOf(x.s.now().Add(-res.Age)), Size: res.Size}
	origin.ReleaseHeader(res.Header) // copied
	return response{result: "Miss", meta: m, stream: res.Body}
}

// protocolSwitcher is the method of the guarded connections net/http
// hands over (package httpguard's Switcher): once told, the guard no
// longer reads the bytes as HTTP/1.1.
type protocolSwitcher interface{ SwitchProtocols() }

// switchProtocols writes the 101 whose header write has stamped on the
// viewer's connection, taken from net/http, and splices it with the
// origin's until either ends. It runs in write, so the logging phase
// runs when the connection has closed: CloudFront's log record of a
// WebSocket connection has "the time when the connection is closed"
// ("Standard logging reference", date and time).
func (x *exchange) switchProtocols(up io.ReadWriteCloser) {
	defer up.Close()
	viewer, brw, err := http.NewResponseController(x.w).Hijack()
	if err != nil {
		// Not a net/http HTTP/1.1 connection (isWebSocketHandshake lets
		// no other through): nothing to switch.
		x.s.opts.Log.Warn("edge: WebSocket connection cannot be handed over", "dist_id", x.dist.ID, "request_id", x.reqID, "err", err)
		h := x.w.Header()
		delete(h, "Upgrade")
		delete(h, "Connection")
		x.status, x.result = http.StatusBadGateway, "Error"
		h["X-Cache"] = xCacheError
		x.w.WriteHeader(http.StatusBadGateway)
		return
	}
	defer viewer.Close()
	if sw, ok := viewer.(protocolSwitcher); ok {
		sw.SwitchProtocols()
	}
	if x.log != nil {
		x.log.firstByte = time.Now()
	}
	brw.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
	x.w.Header().Write(brw)
	brw.WriteString("\r\n")
	if err := brw.Flush(); err != nil {
		x.detail = "ClientCommError"
		return
	}
	x.upgraded = true
	// What net/http read past the request head (a viewer that did not
	// wait for the 101) goes first.
	pending, _ := brw.Reader.Peek(brw.Reader.Buffered())
	s := splice{viewer: viewer, origin: up, idleAfter: x.s.opts.WebSocketIdleTimeout}
	if s.idleAfter <= 0 {
		s.idleAfter = DefaultWebSocketIdleTimeout
	}
	x.upgradedIn, x.upgradedOut = s.run(x.r.Context(), pending)
	if x.log != nil {
		x.log.bytes += x.upgradedOut
	}
}

// splice copies a switched connection's bytes both ways.
type splice struct {
	viewer    net.Conn
	origin    io.ReadWriteCloser
	idleAfter time.Duration // without bytes from the origin, both close
	closeOnce sync.Once
}

// closeBoth ends both connections: the copies return.
func (s *splice) closeBoth() {
	s.closeOnce.Do(func() {
		s.viewer.Close()
		s.origin.Close()
	})
}

// run copies until either side ends its stream or fails, passes the end
// on to the other side (a half-close: TCP FIN, or TLS close_notify) and
// gives that side webSocketLinger to end in turn; then, or when the
// origin has been silent for idleAfter, or ctx ends, both close. It
// returns when both copies have: in is the viewer's bytes to the origin
// (pending first), out the origin's to the viewer.
func (s *splice) run(ctx context.Context, pending []byte) (in, out int64) {
	defer s.closeBoth()
	idle := time.AfterFunc(s.idleAfter, s.closeBoth)
	defer idle.Stop()
	defer context.AfterFunc(ctx, s.closeBoth)()
	toOrigin := &spliceCopier{dst: s.origin, src: s.viewer, pending: pending}
	toViewer := &spliceCopier{dst: s.viewer, src: s.origin, idle: idle, idleAfter: s.idleAfter}
	done := make(chan *spliceCopier, 2)
	go toOrigin.run(done)
	go toViewer.run(done)
	first := <-done
	if cw, ok := first.dst.(interface{ CloseWrite() error }); !ok || cw.CloseWrite() != nil {
		s.closeBoth()
	}
	linger := time.AfterFunc(webSocketLinger, s.closeBoth)
	defer linger.Stop()
	<-done
	return toOrigin.n, toViewer.n
}

// spliceCopier is one direction of a splice (a type of its own, so that
// stack traces say what the goroutine is).
type spliceCopier struct {
	dst       io.Writer
	src       io.Reader
	pending   []byte      // written before anything is read
	idle      *time.Timer // re-armed by each read, when set
	idleAfter time.Duration
	n         int64 // bytes written
}

func (c *spliceCopier) run(done chan<- *spliceCopier) {
	defer func() { done <- c }()
	if len(c.pending) > 0 {
		n, err := c.dst.Write(c.pending)
		c.n += int64(n)
		if err != nil {
			return
		}
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := c.src.Read(buf)
		if n > 0 {
			if c.idle != nil {
				c.idle.Reset(c.idleAfter)
			}
			w, werr := c.dst.Write(buf[:n])
			c.n += int64(w)
			if werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
