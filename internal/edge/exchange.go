package edge

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"openfront/internal/snapshot"
	"openfront/internal/urlpath"
)

// exchange is the state of one viewer request through the phases.
type exchange struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request // the viewer request; never modified
	start time.Time
	now   time.Time
	https bool
	reqID string

	snap *snapshot.Snapshot
	dist *snapshot.Distribution
	beh  *snapshot.Behavior

	path       string // viewer path, normalised (urlpath.Normalize), no query
	accessPath string // path of access decisions: behaviour, signature (urlpath.ForAccess)
	rawQuery   string
	originPath string // path asked of the origin (default root object applied)
	key        string // cache key; "" when the request is not cached

	result string // X-Cache word: Hit, Miss, RefreshHit, Error, Redirect
	detail string // access log x-edge-detailed-result-type when it differs from result
	status int
	log    *logWriter // set when the distribution logs requests

	interim *interimRelay // the origin's 1xx to the viewer while a fetch runs (interim.go)

	// Backing arrays of per-response header values, so that setting them
	// allocates no []string (the exchange is on the heap anyway).
	cfID, age, contentLength [1]string
}

var keyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

func newExchange(s *Server, w http.ResponseWriter, r *http.Request) *exchange {
	now := s.now()
	return &exchange{s: s, w: w, r: r, start: now, now: now, https: r.TLS != nil, reqID: newRequestID()}
}

// newRequestID returns a 56-character URL-safe base64 id, the form of
// CloudFront's X-Amz-Cf-Id. It identifies, it does not protect: a fast
// non-cryptographic source is enough.
func newRequestID() string {
	var b [56]byte
	return string(appendRequestID(b[:0])) // one allocation
}

// run executes the phases in order; each returns false when it has
// finished the response.
func (x *exchange) run() {
	if !x.resolveDistribution() {
		return
	}
	if x.dist.Config.Logging.Enabled && x.s.opts.AccessLog != nil || x.dist.RealtimeLogs && x.s.opts.RealtimeLog != nil {
		x.log = &logWriter{ResponseWriter: x.w}
		x.w = x.log
	}
	if !x.geoFilter() || !x.matchBehavior() || !x.requestFilter() {
		return
	}
	x.serve()
}

// resolveDistribution finds the distribution for the Host; an unknown host
// or a disabled distribution gets CloudFront's 403.
func (x *exchange) resolveDistribution() bool {
	x.snap = x.s.snap.Load()
	host := x.r.Host
	// SplitHostPort allocates its error for a Host without a port.
	if strings.IndexByte(host, ':') >= 0 {
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
	}
	x.dist = x.snap.Lookup(host)
	if x.dist == nil || !x.dist.Config.Enabled {
		x.dist = nil
		x.edgeError(http.StatusForbidden, "Bad request. We can't connect to the server for this app or website at this time. There might be too much traffic or a configuration error. Try again later, or contact the app or website owner.")
		return false
	}
	return true
}

// matchBehavior normalises the viewer path and picks the cache behaviour
// by its access form (package urlpath: CloudFront matches behaviours on
// the RFC 3986 normalised path); the canonical form is what the cache
// keys and the origin is asked for. A path that cannot be normalised
// safely (bad or NUL escape) is a 400.
func (x *exchange) matchBehavior() bool {
	x.rawQuery = x.r.URL.RawQuery
	canonical, err := urlpath.Normalize(x.r.URL.EscapedPath())
	if err != nil {
		x.edgeError(http.StatusBadRequest, "Bad request.")
		return false
	}
	x.path = canonical
	x.accessPath, _ = urlpath.ForAccess(canonical) // never fails on a canonical path
	x.beh = x.dist.Match(x.accessPath)
	x.originPath = x.path
	if x.path == "/" && x.dist.Config.DefaultRootObject != "" {
		x.originPath = "/" + x.dist.Config.DefaultRootObject
	}
	return true
}

// requestFilter applies the viewer protocol policy and allowed methods.
func (x *exchange) requestFilter() bool {
	b := x.beh
	if !x.https {
		switch b.ViewerProtocolPolicy {
		case "https-only":
			x.edgeError(http.StatusForbidden, "This distribution is configured to serve requests over HTTPS only.")
			return false
		case "redirect-to-https":
			x.redirectToHTTPS()
			return false
		}
	}
	method := x.r.Method
	allowed := false
	for _, m := range b.AllowedMethods {
		if m == method {
			allowed = true
			break
		}
	}
	if !allowed {
		x.edgeError(http.StatusForbidden, "This distribution is not configured to allow the HTTP request method that was used for this request. The distribution supports only cachable requests.")
		return false
	}
	if method == http.MethodGet && (x.r.ContentLength > 0 || len(x.r.TransferEncoding) > 0) {
		x.edgeError(http.StatusForbidden, "A GET request with a body is not allowed.")
		return false
	}
	if b.Signed && !x.checkSignature() {
		return false
	}
	return true
}

// redirectToHTTPS answers 301 (GET, HEAD) or 307 (other methods; 403 for
// HTTP/1.0) with the HTTPS URL (spec edge.md §4.1).
func (x *exchange) redirectToHTTPS() {
	method := x.r.Method
	status := http.StatusMovedPermanently
	if method != http.MethodGet && method != http.MethodHead {
		if x.r.ProtoMajor == 1 && x.r.ProtoMinor == 0 {
			x.edgeError(http.StatusForbidden, "This distribution is configured to redirect HTTP requests to HTTPS.")
			return
		}
		status = http.StatusTemporaryRedirect
	}
	host := x.r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if p := x.s.opts.HTTPSPort; p != 0 && p != 443 {
		host = net.JoinHostPort(host, itoa(p))
	}
	loc := "https://" + host + x.r.URL.RequestURI()
	h := x.w.Header()
	h.Set("Location", loc)
	h.Set("Server", "CloudFront")
	h.Set("Content-Type", "text/html")
	x.result = "Redirect"
	x.stampHeaders(false, 0)
	x.status = status
	x.w.WriteHeader(status)
	if method != http.MethodHead {
		x.w.Write([]byte("<html>\r\n<head><title>" + itoa(status) + " " + http.StatusText(status) + "</title></head>\r\n<body>\r\n<center><h1>" + itoa(status) + " " + http.StatusText(status) + "</h1></center>\r\n<hr><center>CloudFront</center>\r\n</body>\r\n</html>\r\n"))
	}
}

// finish is the logging phase: it always runs.
func (x *exchange) finish() {
	if x.s.opts.Count != nil && x.result != "" {
		x.s.opts.Count(x.resultType())
	}
	if x.s.opts.Stats != nil && x.dist != nil && x.status != 0 {
		x.s.opts.Stats.Record(x.dist.ID, x.start, x.resultType(), x.status, max(x.r.ContentLength, 0), x.bodyBytes())
	}
	if x.log != nil {
		x.writeAccessLog()
	}
}

// resultType is the result as logged and counted: an error status, from
// the origin or the cache, is an Error, as its X-Cache says (spec edge.md
// §0, §11).
func (x *exchange) resultType() string {
	if x.status >= 400 && (x.result == "Hit" || x.result == "RefreshHit" || x.result == "Miss") {
		return "Error"
	}
	return x.result
}

// bodyBytes is the size of the body sent, as far as Content-Length tells
// (nothing is counted on the write path; a HEAD response sends none).
func (x *exchange) bodyBytes() int64 {
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
// (RFC 9110 §7.6.1).
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

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
