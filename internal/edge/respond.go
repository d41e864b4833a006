package edge

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"openfront/internal/cache"
	"openfront/internal/httpcache"
)

// Header values shared by every response (no allocation per request).
var (
	xCacheHit        = []string{"Hit from cloudfront"}
	xCacheMiss       = []string{"Miss from cloudfront"}
	xCacheRefreshHit = []string{"RefreshHit from cloudfront"}
	xCacheError      = []string{"Error from cloudfront"}
	xCacheRedirect   = []string{"Redirect from cloudfront"}
)

// stampHeaders adds the edge's own response headers (spec edge.md §5.1):
// X-Cache, Via, X-Amz-Cf-Pop, X-Amz-Cf-Id, and Age on cache hits; then
// the behaviour's response headers policy.
func (x *exchange) stampHeaders(hit bool, age time.Duration) {
	h := x.w.Header()
	switch {
	case x.status >= 400:
		h["X-Cache"] = xCacheError
	case x.result == "Hit":
		h["X-Cache"] = xCacheHit
	case x.result == "RefreshHit":
		h["X-Cache"] = xCacheRefreshHit
	case x.result == "Redirect":
		h["X-Cache"] = xCacheRedirect
	case x.result == "Error":
		h["X-Cache"] = xCacheError
	default:
		h["X-Cache"] = xCacheMiss
	}
	if x.r.ProtoMajor == 2 {
		h["Via"] = x.s.via2
	} else {
		h["Via"] = x.s.via
	}
	h["X-Amz-Cf-Pop"] = x.s.pop
	x.cfID[0] = x.reqID
	h["X-Amz-Cf-Id"] = x.cfID[:]
	if hit {
		x.age[0] = strconv.FormatInt(int64(age/time.Second), 10) // small numbers do not allocate
		h["Age"] = x.age[:]
	}
	if x.beh != nil && x.beh.ResponseHeaders != nil {
		x.applyResponseHeadersPolicy(h) // every response of the behaviour
	}
}

// respondEntry writes a stored object (a hit): per-viewer filters, then
// the body straight from memory or from the file (sendfile on plain HTTP).
func (x *exchange) respondEntry(e cache.Entry, hit bool) {
	defer e.Close()
	m := e.Meta
	if m.Status >= 400 && x.customErrorPage(m.Status) {
		return
	}
	h := x.w.Header()
	m.Header.CopyTo(h)
	x.status = m.Status
	x.stampHeaders(hit, x.now.Sub(m.StoredAt.Time()))
	if x.notModified(h) {
		return
	}
	off, n, ok := x.rangeFor(h, m.Size)
	if !ok {
		return
	}
	if m.Size >= 0 {
		x.setContentLength(h, n)
	}
	x.w.WriteHeader(x.status)
	if x.r.Method == http.MethodHead || n == 0 {
		return
	}
	_, _ = e.WriteRange(x.w, off, n)
}

// respondStream writes a response whose body is still arriving (a fill or
// a pass-through), skipping to the requested range when there is one.
func (x *exchange) respondStream(m *cache.Meta, body io.Reader, hit bool) {
	if m.Status >= 400 && x.customErrorPage(m.Status) {
		return
	}
	h := x.w.Header()
	m.Header.CopyTo(h)
	x.status = m.Status
	// A miss passes on the Age the origin sent (RFC 9111 §5.1).
	age := x.s.now().Sub(m.StoredAt.Time())
	x.stampHeaders(hit || age >= time.Second, age)
	if x.notModified(h) {
		return
	}
	off, n := int64(0), m.Size
	if m.Size >= 0 {
		var ok bool
		if off, n, ok = x.rangeFor(h, m.Size); !ok {
			return
		}
		x.setContentLength(h, n)
	}
	x.w.WriteHeader(x.status)
	if x.r.Method == http.MethodHead {
		return
	}
	if off > 0 {
		if _, err := io.CopyN(io.Discard, body, off); err != nil {
			return
		}
	}
	if n >= 0 {
		_, err := io.CopyN(x.w, body, n)
		if err != nil && !errors.Is(err, io.EOF) {
			panic(http.ErrAbortHandler) // the origin body failed mid-way: abort, never end a short body cleanly
		}
		return
	}
	if _, err := io.Copy(x.w, body); err != nil {
		panic(http.ErrAbortHandler)
	}
}

// notModified answers the viewer's conditional GET/HEAD with 304 when the
// object matches (RFC 9110 §13).
func (x *exchange) notModified(h http.Header) bool {
	if x.status != http.StatusOK {
		return false
	}
	if len(x.r.Header["If-None-Match"]) == 0 && len(x.r.Header["If-Modified-Since"]) == 0 {
		return false
	}
	var lm time.Time
	if v := h.Get("Last-Modified"); v != "" {
		lm, _ = http.ParseTime(v)
	}
	if !httpcache.EvalConditional(x.r.Method, x.r.Header, h.Get("ETag"), lm) {
		return false
	}
	for _, name := range []string{"Content-Length", "Content-Type", "Content-Encoding", "Content-Range"} {
		delete(h, name)
	}
	x.status = http.StatusNotModified
	x.w.WriteHeader(http.StatusNotModified)
	return true
}

// rangeFor applies a viewer Range to a 200 response of known size: it
// returns the byte window to send (and sets 206/Content-Range), answers
// 416 itself (ok=false), or the whole body when there is no usable range.
// Several ranges are answered with the first one's covering span (spec
// edge.md §4.5 lets the edge widen ranges).
func (x *exchange) rangeFor(h http.Header, size int64) (off, n int64, ok bool) {
	rh := x.r.Header.Get("Range")
	if rh == "" || x.status != http.StatusOK || size < 0 || x.r.Method != http.MethodGet {
		return 0, size, true
	}
	if ir := x.r.Header.Get("If-Range"); ir != "" && ir != h.Get("ETag") && ir != h.Get("Last-Modified") {
		return 0, size, true
	}
	ranges, err := httpcache.ParseRange(rh, size)
	switch {
	case errors.Is(err, httpcache.ErrUnsatisfiable):
		for _, name := range []string{"Content-Type", "Content-Encoding", "ETag", "Last-Modified"} {
			delete(h, name)
		}
		h["Content-Range"] = []string{"bytes */" + strconv.FormatInt(size, 10)}
		h["Content-Length"] = []string{"0"}
		x.status = http.StatusRequestedRangeNotSatisfiable
		h["X-Cache"] = xCacheError
		x.w.WriteHeader(x.status)
		return 0, 0, false
	case err != nil || len(ranges) == 0:
		return 0, size, true
	}
	first, last := ranges[0], ranges[len(ranges)-1]
	off = first.Start
	n = last.Start + last.Length - off
	h["Content-Range"] = []string{httpcache.ByteRange{Start: off, Length: n}.ContentRange(size)}
	x.status = http.StatusPartialContent
	return off, n, true
}

// setContentLength sets Content-Length to n, keeping the stored value (put
// there by Header.CopyTo) when it already says n: a whole-body hit then
// costs no allocation.
func (x *exchange) setContentLength(h http.Header, n int64) {
	if v := h["Content-Length"]; len(v) == 1 {
		if stored, err := strconv.ParseInt(v[0], 10, 64); err == nil && stored == n {
			return
		}
	}
	x.contentLength[0] = strconv.FormatInt(n, 10)
	h["Content-Length"] = x.contentLength[:]
}
