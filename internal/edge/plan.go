package edge

import (
	"crypto/tls"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"openfront/internal/cfheaders"
	"openfront/internal/fastpath"
	"openfront/internal/fle"
	"openfront/internal/functions"
	"openfront/internal/geo"
	"openfront/internal/origin"
	"openfront/internal/signedurl"
	"openfront/internal/snapshot"
	"openfront/internal/urlpath"
)

// requestHead is what the plan reads of a viewer request. ServeHTTP
// (headOf) and ServeFast (fastHead) fill it from their own request types,
// so that both paths take every decision through the same code.
type requestHead struct {
	method     string
	path       string // request-target path, escaped, as received (no query)
	rawQuery   string // without "?"
	host       string // Host header as received (with its :port, if any)
	remoteAddr string // the TCP peer, as net/http's Request.RemoteAddr
	header     viewerHeader
	// full is the whole viewer header, for the origin request; nil on the
	// fast path, which never goes to the origin.
	full       http.Header
	tls        *tls.ConnectionState // nil on plain HTTP
	protoMajor uint8
	protoMinor uint8
	https      bool
	hasBody    bool // Content-Length > 0 or a Transfer-Encoding
	// normal: the caller found path urlpath.IsNormal, so it is its own
	// canonical and access form (the fast path checks before planning).
	normal bool
}

// viewerHeader reads the viewer's header fields without copying them:
// *fastpath.Request implements it over the read buffer, httpHeader over
// net/http's map.
type viewerHeader interface {
	// HeaderOf returns at least the fields named in names (canonical);
	// nil when there are none.
	HeaderOf(names []string) http.Header
	// Has reports whether a field named name (canonical) was sent.
	Has(name string) bool
	// FieldCount is the number of header fields received, Host excluded.
	FieldCount() int
	// Only returns the value of the field named name (canonical) when it
	// was sent exactly once, without allocating.
	Only(name string) (string, bool)
}

// httpHeader is net/http's header map as a viewerHeader.
type httpHeader http.Header

func (h httpHeader) HeaderOf([]string) http.Header { return http.Header(h) }
func (h httpHeader) Has(name string) bool          { return len(h[name]) > 0 }
func (h httpHeader) Only(name string) (string, bool) {
	if vs := h[name]; len(vs) == 1 {
		return vs[0], true
	}
	return "", false
}
func (h httpHeader) FieldCount() int {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	return n
}

var _ viewerHeader = (*fastpath.Request)(nil)

// headOf is the head of a net/http request.
func headOf(r *http.Request) requestHead {
	h := requestHead{
		method: r.Method, path: r.URL.EscapedPath(), rawQuery: r.URL.RawQuery, host: r.Host,
		remoteAddr: r.RemoteAddr, https: r.TLS != nil, protoMajor: uint8(r.ProtoMajor), protoMinor: uint8(r.ProtoMinor),
		tls: r.TLS, hasBody: r.ContentLength > 0 || len(r.TransferEncoding) > 0,
		header: httpHeader(r.Header), full: r.Header,
	}
	return h
}

// fromFast sets h (zero) to the head of a request read by package
// fastpath (HTTP/1.1 over plain TCP or TLS, or an HTTP/2 stream; GET or
// HEAD, no body), in place: ServeFast copies no head.
func (h *requestHead) fromFast(r *fastpath.Request) {
	h.method, h.path, h.rawQuery, h.host, h.remoteAddr = r.Method, r.Path, r.RawQuery, r.Host, r.RemoteAddr
	h.protoMajor, h.protoMinor, h.header = 1, 1, r
	if r.HTTP2 {
		h.protoMajor, h.protoMinor = 2, 0
	}
	h.tls, h.https = r.TLS, r.TLS != nil
	h.normal = urlpath.IsNormal(r.Path)
}

// fastHead is the head of a request read by package fastpath.
func fastHead(r *fastpath.Request) requestHead {
	var h requestHead
	h.fromFast(r)
	return h
}

// remote is the viewer's address (the TCP peer); parsed only by the rules
// that need it.
func (h *requestHead) remote() netip.AddrPort {
	ap, _ := netip.ParseAddrPort(h.remoteAddr)
	return ap
}

// plan is everything the edge decided about a request from its head and
// the snapshot, before any I/O.
type plan struct {
	dist *snapshot.Distribution
	beh  *snapshot.Behavior
	// primary is the distribution the Host named when it has a
	// continuous deployment policy (dist is then the primary or its
	// staging distribution, as routeStaging chose); nil otherwise.
	primary *snapshot.Distribution
	// session is the weight mode's stickiness cookie to send (set: the
	// response carries it; see staging.go).
	session stagingSession

	path       string // viewer path, normalised (urlpath.Normalize)
	accessPath string // path of access decisions: behaviour, signature (urlpath.ForAccess)
	rawQuery   string
	originPath string // path asked of the origin (default root object applied)
	// cached: the request goes through the cache (caching enabled and the
	// method cached); the key is then the one planRequest returned.
	cached    bool
	skipQuery func(string) bool // signed-URL parameters, left out of key and origin query
	// fle: the field-level encryption profile the body is encrypted with
	// (nil: none); see fle.go.
	fle *fle.Profile
	// origin is the origin, or failover pair, a viewer-request function
	// chose (nil: the behaviour's); see replanOrigin.
	origin *originChoice
}

// refusal is a response the plan decided instead of serving: CloudFront's
// error page (status, reason), a redirect to HTTPS, or a signature error.
type refusal struct {
	status int
	reason string // the text of CloudFront's error page
	// detail is the access log's x-edge-detailed-result-type, when it is
	// more than "Error".
	detail string
	// redirect: a 301/307 to the same URL over HTTPS, not an error page.
	redirect bool
	// signature: the 403 carries CloudFront's XML error for it.
	signature *signedurl.Error
	// viewerFault: the viewer's request or configuration choice explains
	// the refusal; the others are logged at the default level.
	viewerFault bool
}

// The refusals of the plan, with CloudFront's wording ("Troubleshooting error response status codes in CloudFront", AWS CloudFront Developer Guide).
var (
	refuseUnknownHost = refusal{status: http.StatusForbidden, viewerFault: true,
		reason: "Bad request. We can't connect to the server for this app or website at this time. There might be too much traffic or a configuration error. Try again later, or contact the app or website owner."}
	refuseDisabled = refusal{status: http.StatusForbidden, // the owner disabled it: worth a line
		reason: refuseUnknownHost.reason}
	refuseGeo = refusal{status: http.StatusForbidden, detail: "ClientGeoBlocked", viewerFault: true,
		reason: "The Amazon CloudFront distribution is configured to block access from your country."}
	refuseBadPath = refusal{status: http.StatusBadRequest, reason: "Bad request.", viewerFault: true}
	refuseHTTPS   = refusal{status: http.StatusForbidden, viewerFault: true,
		reason: "This distribution is configured to serve requests over HTTPS only."}
	refuseRedirectHTTP10 = refusal{status: http.StatusForbidden, viewerFault: true,
		reason: "This distribution is configured to redirect HTTP requests to HTTPS."}
	redirectPermanent = refusal{status: http.StatusMovedPermanently, redirect: true, viewerFault: true}
	redirectTemporary = refusal{status: http.StatusTemporaryRedirect, redirect: true, viewerFault: true}
	refuseMethod      = refusal{status: http.StatusForbidden, viewerFault: true,
		reason: "This distribution is not configured to allow the HTTP request method that was used for this request. The distribution supports only cachable requests."}
	refuseGETBody = refusal{status: http.StatusForbidden, reason: "A GET request with a body is not allowed.", viewerFault: true}
)

// planner holds what the plan consults besides the snapshot: in-memory
// tables only (geo database, signature verifier and its cache of verified
// signatures), never the network or the disk.
type planner struct {
	geo    *geo.DB
	signed *signedurl.Verifier
	// draw returns a number in [0, 1) for a weight-based staging route
	// (staging.go); nil draws from math/rand. Tests set it, so that the
	// plan stays a function of what it is given.
	draw func() float64
}

// drawn is the planner's draw for a weight-based choice.
func (pl planner) drawn() float64 {
	if pl.draw != nil {
		return pl.draw()
	}
	return rand.Float64()
}

// plan decides a request, in the order CloudFront applies its rules:
// distribution by Host, geo restriction, path normalisation and cache
// behaviour, viewer protocol policy, allowed methods, signed URLs and
// cookies, and finally whether and under which key the response is
// cached. The key is appended to key (a caller's buffer, so that the fast
// path allocates nothing) and returned. A refusal (nil: serve) ends the
// request with the response it describes. p must be the zero plan: it is
// filled field by field (the exchange's is on the heap, where copying a
// whole struct costs write barriers).
func (pl planner) plan(p *plan, snap *snapshot.Snapshot, h *requestHead, now time.Time, key []byte) ([]byte, *refusal) {
	// resolveDistribution: Host -> distribution.
	p.dist = snap.Lookup(hostName(h.host))
	if p.dist == nil {
		return key, &refuseUnknownHost
	}
	if !p.dist.Config.Enabled {
		p.dist = nil // served by nobody: no custom error page, no log
		return key, &refuseDisabled
	}
	// routeStaging: a primary's continuous deployment policy may hand
	// the request to its staging distribution, whose config then decides
	// everything below (staging.go).
	if p.dist.Staging != nil {
		pl.routeStaging(p, h, now)
	}
	// Geo restriction applies to the whole distribution, on the TCP peer
	// (not X-Forwarded-For); an unknown country is served ("Restrict
	// the geographic distribution of your content", AWS CloudFront
	// Developer Guide). Its 403 still carries the behaviour's response
	// headers policy when the path names one.
	if t := p.dist.Config.GeoRestriction.Type; t != "" && t != geo.RestrictionNone && pl.geoBlocked(p.dist, h) {
		if h.normal {
			p.beh = p.dist.Match(h.path)
		} else if p.normalise(h.path) {
			p.beh = p.dist.Match(p.accessPath)
		}
		return key, &refuseGeo
	}
	// matchBehavior: CloudFront matches behaviours on the RFC 3986
	// normalised path (package urlpath); the canonical form is what the
	// cache keys and the origin is asked for.
	if h.normal {
		p.path, p.accessPath = h.path, h.path
	} else if !p.normalise(h.path) {
		return key, &refuseBadPath
	}
	p.beh = p.dist.Match(p.accessPath)
	p.rawQuery = h.rawQuery
	p.originPath = p.path
	if p.path == "/" && p.dist.Config.DefaultRootObject != "" {
		p.originPath = "/" + p.dist.Config.DefaultRootObject
	}
	// requestFilter: viewer protocol policy, methods, signatures.
	b := p.beh
	if !h.https {
		switch b.ViewerProtocolPolicy {
		case "https-only":
			return key, &refuseHTTPS
		case "redirect-to-https":
			// 301 for GET and HEAD, 307 for other methods (403 for
			// HTTP/1.0, which has no 307) ("Require HTTPS for
			// communication between viewers and CloudFront").
			if h.method == http.MethodGet || h.method == http.MethodHead {
				return key, &redirectPermanent
			}
			if h.protoMajor == 1 && h.protoMinor == 0 {
				return key, &refuseRedirectHTTP10
			}
			return key, &redirectTemporary
		}
	}
	if !contains(b.AllowedMethods, h.method) {
		return key, &refuseMethod
	}
	if h.method == http.MethodGet && h.hasBody {
		return key, &refuseGETBody
	}
	if b.Signed {
		if se := pl.verify(h, p.accessPath, b, now); se != nil {
			return key, &refusal{status: http.StatusForbidden, detail: "InvalidRequest", signature: se, viewerFault: true}
		}
		p.skipQuery = signedurl.IsSigningParam
	}
	// fieldLevelEncryption: a POST or PUT body on a behaviour with a
	// configuration gets its profile from the content type or the
	// fle-profile query argument; one the configuration blocks is refused
	// (fle.go).
	if b.FLE != nil && h.hasBody && (h.method == http.MethodPost || h.method == http.MethodPut) {
		prof, refuse := b.FLE.Select(h.header.HeaderOf(contentTypeField).Get("Content-Type"), h.rawQuery)
		if refuse {
			return key, &refuseFLE
		}
		p.fle = prof
	}
	// cacheKey: from the behaviour's cache policy (or legacy forwarded
	// values). GET and HEAD share one cached object.
	p.cached = !b.Policy.CachingDisabled && contains(b.CachedMethods, h.method)
	if p.cached {
		key = pl.appendKey(p, h, key)
	}
	return key, nil
}

// appendKey appends the cache key of a planned request.
func (pl planner) appendKey(p *plan, h *requestHead, key []byte) []byte {
	pol := p.beh.Policy
	var keyed, gen http.Header // nil when the key reads none: no call
	if names := pol.KeyHeaderNames(); len(names) > 0 {
		keyed = h.header.HeaderOf(names)
	}
	if names := pol.KeyGenerated(); len(names) > 0 {
		gen = pl.generated(h, names)
	}
	key = pol.AppendKeyWith(key, p.dist.ID, p.beh.PathPattern, p.originPath, p.rawQuery, keyed, gen, h.host, p.skipQuery)
	if h.method == http.MethodOptions {
		key = append(key, "\x00OPTIONS"...)
	}
	return key
}

// replan applies the request a viewer-request function returned (h) to
// a plan: its URI and query string become the origin path and query and,
// with its headers, the cache key. The behaviour is not chosen again and
// the viewer's filters are not applied again: CloudFront runs the
// function after both ("Restrictions on edge functions", Developer
// Guide). false: the URI cannot be normalised (the function's request
// is invalid).
func (pl planner) replan(p *plan, h *requestHead, key []byte) ([]byte, bool) {
	if !p.normalise(h.path) {
		return key, false
	}
	p.rawQuery = h.rawQuery
	p.originPath = p.path
	if p.path == "/" && p.dist.Config.DefaultRootObject != "" {
		p.originPath = "/" + p.dist.Config.DefaultRootObject
	}
	if p.cached {
		key = pl.appendKey(p, h, key)
	}
	return key, true
}

// replanOrigin applies a viewer-request function's origin modification
// calls (requestorigin.go) to a plan: the request is fetched from the
// origins they name; the cache key stays as planned. headers are the
// request headers the function returned. An error is a property that
// cannot be used (the function's result is invalid).
func (pl planner) replanOrigin(p *plan, changes []functions.OriginChange, headers functions.Fields) error {
	if len(changes) == 0 {
		return nil
	}
	c, err := chooseOrigin(p.dist, p.beh, changes, headers)
	if err != nil {
		return err
	}
	p.origin = c
	return nil
}

// pagePlan is the plan of a custom error page: a GET of the page path
// through the behaviour that matches it, with no filter (CloudFront
// fetches the page whatever the viewer's request was: "Generating custom
// error responses", AWS CloudFront Developer Guide). h is the page
// request's head (the viewer's headers, method GET).
func (pl planner) pagePlan(p *plan, dist *snapshot.Distribution, pagePath string, h *requestHead, key []byte) []byte {
	*p = plan{dist: dist, path: pagePath, accessPath: pagePath, originPath: pagePath}
	if a, err := urlpath.ForAccess(pagePath); err == nil {
		p.accessPath = a
	}
	p.beh = dist.Match(p.accessPath)
	pol := p.beh.Policy
	p.cached = !pol.CachingDisabled
	if p.cached {
		key = pol.AppendKeyWith(key, dist.ID, p.beh.PathPattern, p.originPath, "",
			h.header.HeaderOf(pol.KeyHeaderNames()), pl.generated(h, pol.KeyGenerated()), h.host, nil)
	}
	return key
}

// hostName is the Host without its port.
func hostName(host string) string {
	if strings.IndexByte(host, ':') >= 0 { // SplitHostPort allocates its error for a Host without a port
		if hn, _, err := net.SplitHostPort(host); err == nil {
			return hn
		}
	}
	return host
}

// geoBlocked applies the distribution's geo restriction to the viewer.
func (pl planner) geoBlocked(d *snapshot.Distribution, h *requestHead) bool {
	g := d.Config.GeoRestriction
	country, known := "", false
	if ap := h.remote(); pl.geo != nil && ap.IsValid() {
		country, known = pl.geo.Country(ap.Addr().Unmap())
	}
	return !geo.Allowed(g.Type, g.Locations, country, known)
}

// normalise sets the canonical and access forms of an escaped path;
// false when it cannot be normalised safely (bad or NUL escape).
func (p *plan) normalise(escaped string) bool {
	canonical, err := urlpath.Normalize(escaped)
	if err != nil {
		return false
	}
	p.path = canonical
	p.accessPath, _ = urlpath.ForAccess(canonical) // never fails on a canonical path
	return true
}

// verify checks the signed URL or signed cookies against the behaviour's
// trusted keys ("Serve private content with signed URLs and signed cookies"); resources are matched on the access
// form of the path.
func (pl planner) verify(h *requestHead, accessPath string, b *snapshot.Behavior, now time.Time) *signedurl.Error {
	req := signedurl.Request{Scheme: "http", Host: h.host, Path: accessPath, Received: h.path, RawQuery: h.rawQuery, ClientIP: h.remote().Addr()}
	if h.https {
		req.Scheme = "https"
	}
	if c := h.header.HeaderOf(cookieHeader); c != nil {
		req.Cookies = c["Cookie"]
	}
	err := pl.signed.Verify(req, signedurl.KeySet(b.TrustedKeys), now)
	if err == nil {
		return nil
	}
	var se *signedurl.Error
	if !errors.As(err, &se) {
		se = signedurl.ErrMalformedRequest
	}
	return se
}

var cookieHeader = []string{"Cookie"}

var userAgentHeader = []string{"User-Agent"}

// generated returns the edge's values of the named CloudFront request
// headers (package cfheaders) for this viewer, keyed by canonical name;
// names the edge cannot compute for it are left out. nil for no names,
// so behaviours without generated headers pay nothing.
func (pl planner) generated(h *requestHead, names []string) http.Header {
	if len(names) == 0 {
		return nil
	}
	v := cfheaders.Viewer{
		Addr:        h.remote(),
		HTTPS:       h.https,
		ProtoMajor:  int(h.protoMajor),
		ProtoMinor:  int(h.protoMinor),
		TLS:         h.tls,
		HeaderCount: h.header.FieldCount(),
		Geo:         pl.geo,
	}
	if h.host != "" {
		v.HeaderCount++ // net/http and fastpath both keep Host apart
	}
	if ua := h.header.HeaderOf(userAgentHeader)["User-Agent"]; len(ua) > 0 {
		v.UserAgent = ua[0]
	}
	vals := cfheaders.NewValues(&v)
	out := make(http.Header, len(names))
	for _, name := range names {
		if value, ok := vals.Get(name); ok {
			out[name] = []string{value}
		}
	}
	return out
}

// ownValues is the most values originRequest sets itself: Cookie,
// Accept-Encoding, User-Agent, Via, X-Forwarded-For and X-Amz-Cf-Id.
const ownValues = 6

// originRequest derives the origin request from the viewer request once
// (method: the viewer's, or GET for a fill): the behaviour's forwarding
// rules, then CloudFront's own headers ("Request and response behavior
// for custom origins", AWS CloudFront Developer Guide). The target origin
// is filled in by fetch, the body by the caller. Pure: it reads only the
// plan and the head, and writes only out (the caller's: a fill's origin
// request lives on its fetch's stack, no allocation of its own) and own,
// the array the edge's header values are kept in when it has room for
// them (ownValues), else one is made.
func (pl planner) originRequest(out *origin.Request, own []string, p *plan, v *requestHead, method, reqID, via string) {
	pol := p.beh.Policy
	viewer := v.full
	src := viewer // read only: ForwardHeaders copies what it forwards
	if hasHopByHop(viewer) {
		src = viewer.Clone()
		removeHopByHop(src)
	}
	h := origin.NewHeader(len(src) + ownValues) // (fetch may give it back: origin.ReleaseHeader)
	pol.ForwardHeaders(h, src)
	// The edge's own values share one array (h.Set allocates one per
	// value); the names are canonical already.
	if cap(own) < ownValues {
		own = make([]string, 0, ownValues)
	}
	own = own[:0]
	set := func(name, value string) {
		own = append(own, value)
		h[name] = own[len(own)-1 : len(own) : len(own)]
	}
	if c := pol.ForwardCookies(viewer); c != "" {
		set("Cookie", c)
	}
	if ae := pol.NormalizedAcceptEncoding(viewer); ae != "" {
		set("Accept-Encoding", ae)
	} else if !pol.Legacy && len(viewer["Accept-Encoding"]) > 0 && pol.Compressible() {
		set("Accept-Encoding", "identity")
	}
	if !pol.ForwardsHeader("User-Agent") {
		set("User-Agent", "Amazon CloudFront")
	} else if len(viewer["User-Agent"]) == 0 {
		// Forwarded, but the viewer sent none: the origin gets none
		// either. The empty value keeps net/http from sending its own
		// client name in its place.
		set("User-Agent", "")
	}
	// The edge answers conditional and range requests itself from the
	// whole object it caches; only non-cached requests carry them through.
	if method == http.MethodGet && p.cached {
		for _, name := range []string{"If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range", "Range", "Request-Range"} {
			delete(h, name)
		}
	}
	if prior := viewer.Get("Via"); prior != "" {
		via = prior + ", " + via
	}
	set("Via", via)
	clientIP, _, err := net.SplitHostPort(v.remoteAddr)
	if err != nil {
		clientIP = v.remoteAddr
	}
	if prior := viewer.Get("X-Forwarded-For"); prior != "" {
		clientIP = prior + ", " + clientIP
	}
	set("X-Forwarded-For", clientIP)
	set("X-Amz-Cf-Id", reqID)
	// CloudFront-Viewer-Country and the like: the edge's values only (the
	// viewer's copies were not copied above).
	for name, vs := range pl.generated(v, pol.GeneratedHeaders()) {
		h[name] = vs
	}
	*out = origin.Request{
		ViewerHTTPS: v.https,
		Method:      method,
		Path:        p.originPath,
		RawQuery:    pol.ForwardQuery(p.rawQuery, p.skipQuery),
		Header:      h,
	}
}
