package edge

import (
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"openfront/internal/functions"
	"openfront/internal/snapshot"
)

// exchange is the state of one viewer request through the phases.
type exchange struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request // the viewer request; never modified
	start time.Time
	now   time.Time
	reqID string

	snap *snapshot.Snapshot
	plan        // what the plan decided (plan.go)
	key  string // cache key; "" when the request is not cached

	result string // X-Cache word: Hit, Miss, RefreshHit, Error, Redirect
	detail string // access log x-edge-detailed-result-type when it differs from result
	status int
	log    *logWriter // set when the distribution logs requests

	interim *interimRelay // the origin's 1xx to the viewer while a fetch runs (interim.go)

	// webSocket: the request opens a WebSocket connection (websocket.go);
	// upgraded: the origin accepted and the connection was spliced, with
	// upgradedIn bytes from the viewer and upgradedOut to it.
	webSocket, upgraded     bool
	upgradedIn, upgradedOut int64

	// fnRequest and fnHeader are the request a viewer-request function
	// returned and its header (nil: no function ran); the origin request
	// is made from them (functions.go).
	fnRequest *functions.Request
	fnHeader  http.Header

	// Backing arrays of per-response header values, so that setting them
	// allocates no []string (the exchange is on the heap anyway).
	cfID, age, contentLength [1]string
	// reqIDBytes backs reqID: the id is allocated with the exchange
	// (448 bytes in one object rather than 416 and 64 in two), unless
	// the exchange is reused (connScratch).
	reqIDBytes [requestIDLen]byte
	reused     bool
	// spareFill is a reused exchange's originFill for its connection's
	// next fill, emptied (reuseFill); nil until the first fill.
	spareFill *originFill
}

var keyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

func newExchange(s *Server, w http.ResponseWriter, r *http.Request) *exchange {
	now := s.now()
	if c, ok := w.(connScratch); ok {
		slot := c.ConnScratch()
		x, _ := (*slot).(*exchange)
		if x == nil {
			x = new(exchange)
			*slot = x
		}
		// Every field anew: nothing of the connection's last request
		// (its spare fill is empty: reuseFill).
		*x = exchange{s: s, w: w, r: r, start: now, now: now, reused: true, spareFill: x.spareFill}
		x.reqID = newRequestID() // its own string: logs queue it past the request
		return x
	}
	x := &exchange{s: s, w: w, r: r, start: now, now: now}
	id := appendRequestID(x.reqIDBytes[:0], nil) // never written again: reqID may alias it
	x.reqID = unsafe.String(unsafe.SliceData(id), len(id))
	return x
}

// connScratch is package fastpath's HTTP/1.1 ResponseWriter
// (fastpath.Server's Fallback contract): ConnScratch is one value the
// handler may keep per connection. The connection runs one handler at a
// time and sends each response before the next request's handler runs,
// so a connection's exchange can serve its next declined request (a
// miss): about 440 bytes less garbage per miss. What may outlive the
// request holds no part of a reused exchange: a stale-while-revalidate
// refresh copies it (backgroundRefresh), a fill's Fetch runs before Fill
// returns (FillRequest.OnCaller), the request id is a string of its own.
type connScratch interface{ ConnScratch() *any }

// end runs finish, the logging phase, and lets a reused exchange keep
// nothing alive (the snapshot, the stream, the request) until the
// connection's next request: only the backing arrays of the response's
// header values stay, as the writer may frame the response once the
// handler has returned.
func (x *exchange) end() {
	x.finish()
	if x.reused {
		*x = exchange{cfID: x.cfID, age: x.age, contentLength: x.contentLength, spareFill: x.spareFill}
	}
}

// requestIDLen is the length of an X-Amz-Cf-Id.
const requestIDLen = 56

// newRequestID returns a 56-character URL-safe base64 id, the form of
// CloudFront's X-Amz-Cf-Id. It identifies, it does not protect: a fast
// non-cryptographic source is enough.
func newRequestID() string {
	var b [requestIDLen]byte
	return string(appendRequestID(b[:0], nil)) // one allocation
}

// run executes the phases in the order CloudFront applies them (doc.go
// draws them); finish, the logging phase, is deferred by ServeHTTP so
// that it runs whatever happens.
func (x *exchange) run() {
	ref := x.decide() // resolveDistribution .. cacheKey: the pure plan
	if x.webSocket = isWebSocketHandshake(x.r); x.webSocket {
		x.cached, x.key = false, "" // a handshake is never cached (websocket.go)
	}
	if x.dist != nil && (x.dist.Config.Logging.Enabled && x.s.opts.AccessLog != nil || x.dist.RealtimeLogs && x.s.opts.RealtimeLog != nil) {
		x.log = &logWriter{ResponseWriter: x.w}
		x.w = x.log
	}
	var resp response
	done := false
	switch {
	case x.fenced():
		resp, done = x.outOfFleet(), true // fenced.go: before anything is served or run
	case x.preflight(ref):
		resp, done = x.answerPreflight(), true // CORS preflight, from the response headers policy
	case ref != nil:
		resp, done = x.refused(ref), true // failToProxy for the plan's refusals
	case x.beh.ViewerRequest != nil:
		resp, done = x.viewerRequest(x.beh.ViewerRequest) // viewer request: functions.go
	}
	if !done {
		resp = x.obtain() // cacheLookup, upstream phases; failures: failToProxy
	}
	x.write(&resp) // responseFilter: the one response path
}

// decide runs the plan (plan.go) on this request and the live snapshot.
func (x *exchange) decide() *refusal {
	x.snap = x.s.snap.Load()
	bp := keyBufs.Get().(*[]byte)
	h := headOf(x.r)
	kb, ref := x.s.planner().plan(&x.plan, x.snap, &h, x.now, (*bp)[:0])
	if x.cached {
		x.key = string(kb)
	}
	*bp = kb
	keyBufs.Put(bp)
	return ref
}

// refused is the response of a refusal: a redirect to HTTPS, CloudFront's
// XML error for a signature, or its error page (which the distribution's
// custom error page may replace). Refusals that are not the viewer's
// fault are logged.
func (x *exchange) refused(ref *refusal) response {
	x.detail = ref.detail
	if !ref.viewerFault {
		x.s.opts.Log.Warn("edge: request refused", "status", ref.status, "reason", ref.reason,
			"host", x.r.Host, "path", x.r.URL.EscapedPath(), "request_id", x.reqID)
	}
	switch {
	case ref.redirect:
		return x.redirectToHTTPS(ref.status)
	case ref.signature != nil:
		// 403 with CloudFront's XML error body ("Serve private content with signed URLs and signed cookies").
		resp := generated("Error", http.StatusForbidden, "text/xml", ref.signature.XML())
		resp.final = true
		return resp
	}
	return x.edgePage(ref.status, ref.reason)
}

// redirectToHTTPS is the 301 or 307 to the HTTPS URL ("Require HTTPS for
// communication between viewers and CloudFront").
func (x *exchange) redirectToHTTPS(status int) response {
	host := x.r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if p := x.s.opts.HTTPSPort; p != 0 && p != 443 {
		host = net.JoinHostPort(host, itoa(p))
	}
	resp := generated("Redirect", status, "text/html", nil)
	resp.made.location = "https://" + host + x.r.URL.RequestURI()
	resp.made.body = []byte("<html>\r\n<head><title>" + itoa(status) + " " + http.StatusText(status) + "</title></head>\r\n<body>\r\n<center><h1>" + itoa(status) + " " + http.StatusText(status) + "</h1></center>\r\n<hr><center>CloudFront</center>\r\n</body>\r\n</html>\r\n")
	resp.final = true
	return resp
}

// finish is the logging phase: it always runs. It reports what write
// decided (x.status, x.result): metrics, traffic statistics, the access
// log in CloudFront's format and, at debug level, one structured line.
func (x *exchange) finish() {
	if log := x.s.opts.Log; log.Enabled(x.r.Context(), slog.LevelDebug) {
		distID := ""
		if x.dist != nil {
			distID = x.dist.ID
		}
		log.LogAttrs(x.r.Context(), slog.LevelDebug, "edge: request",
			slog.String("request_id", x.reqID), slog.String("dist_id", distID),
			slog.String("method", x.r.Method), slog.String("host", x.r.Host), slog.String("path", x.r.URL.EscapedPath()),
			slog.String("query", x.r.URL.RawQuery), slog.String("viewer", x.r.RemoteAddr), slog.String("proto", x.r.Proto),
			slog.Int("status", x.status), slog.String("result", x.resultType()), slog.String("detail", x.detail),
			slog.String("key", x.key), slog.Int64("bytes", x.bodyBytes()), slog.Duration("duration", x.s.now().Sub(x.start)))
	}
	if x.s.opts.Count != nil && x.result != "" {
		x.s.opts.Count(x.resultType(), 1)
	}
	if x.s.opts.Stats != nil && x.dist != nil && x.status != 0 {
		x.s.opts.Stats.Record(x.dist.ID, x.start, x.resultType(), x.status, max(x.r.ContentLength, 0)+x.upgradedIn, x.bodyBytes())
	}
	if x.log != nil {
		x.writeAccessLog()
	}
}

// resultType is the result as logged and counted: an error status, from
// the origin or the cache, is an Error, as its X-Cache says (OpenFront's
// choice: X-Cache is "Error from cloudfront" on every status >= 400; the
// result types are those of "Standard logging reference", AWS).
func (x *exchange) resultType() string {
	if x.status >= 400 && (x.result == "Hit" || x.result == "RefreshHit" || x.result == "Miss") {
		return "Error"
	}
	return x.result
}

// bodyBytes is the size of the body sent, as far as Content-Length tells
// (nothing is counted on the write path; a HEAD response sends none).
func (x *exchange) bodyBytes() int64 {
	if x.upgraded {
		return x.upgradedOut // a WebSocket connection's bytes to the viewer
	}
	if x.r.Method == http.MethodHead {
		return 0
	}
	n, err := strconv.ParseInt(x.w.Header().Get("Content-Length"), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// hopByHop are the connection-level headers never forwarded either way
// (RFC 9110 §7.6.1), except Upgrade and Connection on a WebSocket
// handshake and its 101, which websocket.go sets again.
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// hasHopByHop reports whether removeHopByHop would change h (every
// hop-by-hop field Connection names is a Connection field too).
func hasHopByHop(h http.Header) bool {
	for _, name := range hopByHop {
		if _, ok := h[name]; ok {
			return true
		}
	}
	return false
}

// removeHopByHop deletes hop-by-hop headers, including those the
// Connection header names.
func removeHopByHop(h http.Header) {
	for _, v := range h["Connection"] {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				h.Del(f)
			}
		}
	}
	for _, name := range hopByHop {
		delete(h, name)
	}
}
