package edge

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
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

// appendHitStamp is stampHeaders for ServeFast's fresh hits, appended to
// a response head: Age, X-Amz-Cf-Id, then the fixed Via (1.1, or 2.0 for
// HTTP/2), X-Amz-Cf-Pop and X-Cache: Hit (s.hitStamp). ids is the epoll
// loop's id source (nil elsewhere: appendRequestID).
func (s *Server) appendHitStamp(dst []byte, age time.Duration, http2 bool, ids *idSource) []byte {
	dst = append(dst, "Age: "...)
	dst = strconv.AppendInt(dst, int64(age/time.Second), 10)
	dst = append(dst, "\r\nX-Amz-Cf-Id: "...)
	dst = appendRequestID(dst, ids)
	dst = append(dst, "\r\n"...)
	if http2 {
		return append(dst, s.hitStamp2...)
	}
	return append(dst, s.hitStamp...)
}

// response is one answer to a viewer, whatever produced it: a stored
// object (hit), an origin response still arriving (miss, pass-through,
// revalidation), or a page the edge generates (refusal, redirect, error).
// Every response goes out through exchange.write.
type response struct {
	result string // X-Cache word: Hit, RefreshHit, Miss, Error, Redirect

	// An object: status, headers and size (-1: unknown) from meta; the
	// body from stored (a stored copy) or stream. write closes both.
	meta    *cache.Meta
	stored  cache.Entry
	stream  io.ReadCloser
	release io.Closer     // closed by write after the body
	age     time.Duration // a stored copy's age
	// page is the status of a custom error page (its ResponseCode): no
	// viewer filter applies and no other page replaces it.
	page int

	// A response the edge makes itself (meta nil).
	status int
	made   *madeBody

	hasStored bool // stored is set
	hit       bool // a stored copy: Age is stamped
	// viewerGone: the viewer left; nothing is written.
	viewerGone bool
	// final: no custom error page replaces it (CloudFront's own pages for
	// signatures, redirects, and a custom page that could not be had).
	final bool
	// preflight: a CORS preflight answered from the response headers
	// policy (responseheaders.go).
	preflight bool
	// upgraded is the origin's connection after its 101 to a WebSocket
	// handshake (meta is the 101): write sends the head on the viewer's
	// connection and splices the two (websocket.go).
	upgraded io.ReadWriteCloser
}

// madeBody is the content of a response the edge makes itself.
type madeBody struct {
	contentType string
	location    string      // a redirect's
	header      http.Header // more fields (a function's response)
	body        []byte
}

// generated is a page the edge makes itself, with CloudFront's headers.
func generated(result string, status int, contentType string, body []byte) response {
	return response{result: result, status: status, made: &madeBody{contentType: contentType, body: body}}
}

// write is the one response path: the error-page substitution, the
// per-viewer filters, the status and the edge's own headers, then the
// body. It sets x.status and x.result, which the logging phase reports.
// Per-viewer edits of any response (a viewer-response function, a
// response headers policy) belong here, before WriteHeader.
func (x *exchange) write(resp *response) {
	if resp.hasStored {
		defer resp.stored.Close()
	}
	if resp.release != nil {
		defer resp.release.Close()
	}
	if resp.stream != nil {
		defer resp.stream.Close()
	}
	if resp.viewerGone {
		x.result, x.status = "Error", 0
		return
	}
	status := resp.status
	if resp.meta != nil {
		status = resp.meta.Status
	}
	// failToProxy: an error gets the distribution's custom error page.
	if status >= 400 && resp.page == 0 && !resp.final && x.dist != nil {
		if page := x.customErrorPage(status); page != nil {
			x.write(page)
			return
		}
	}
	h := x.w.Header()
	x.result = resp.result
	var size int64
	// stored: the object's field names, when h has only those (and the
	// edge's own, written below), for the response headers policy.
	var stored []string
	storedOnly := false
	if m := resp.meta; m != nil {
		stored, storedOnly = m.Header.Names(), len(h) == 0
		m.Header.CopyTo(h)
		size = m.Size
	} else {
		size = int64(len(resp.made.body))
		if resp.made.contentType != "" {
			h.Set("Content-Type", resp.made.contentType)
		}
		h.Set("Server", "CloudFront")
		if resp.made.location != "" {
			h.Set("Location", resp.made.location)
		}
		for name, vs := range resp.made.header {
			h[name] = vs
		}
	}
	x.status = status
	if resp.page != 0 && status < 400 {
		x.status = resp.page // a page that is itself an error keeps its status
	}
	// responseFilter: per viewer, after the cache. A 304 or a 416 is
	// sent without a body.
	off, n, send := int64(0), size, true
	var parts *byteranges // several ranges: a multipart/byteranges body
	if resp.meta != nil && resp.page == 0 && resp.upgraded == nil {
		if x.notModified(h) {
			send = false
		} else {
			off, n, send, parts = x.rangeFor(h, size)
		}
	}
	stampAge, age := resp.hit, resp.age
	if resp.stream != nil && resp.meta != nil {
		// A miss passes on the Age the origin sent (RFC 9111 §5.1): the
		// fill back-dates StoredAt by it.
		if a := x.s.now().Sub(resp.meta.StoredAt.Time()); a >= time.Second {
			stampAge, age = true, a
		}
	}
	x.stampHeaders(stampAge, age)
	if send && n >= 0 {
		x.setContentLength(h, n)
	}
	// viewer response: per-viewer edits of every response (a viewer-
	// response function, a response headers policy) go here, once. A
	// behaviour that has them must also make ServeFast decline or apply
	// them the same way (fast.go). The policy's headers come first, so
	// that a viewer-response function sees them.
	if x.beh != nil && x.beh.ResponseHeaders != nil {
		x.applyResponseHeadersPolicy(h, resp.preflight, stored, storedOnly)
	}
	if x.session.set {
		h.Add("Set-Cookie", x.session.cookie()) // continuous deployment's session (staging.go)
	}
	if resp.upgraded != nil {
		x.switchProtocols(resp.upgraded) // until the WebSocket connection ends
		return
	}
	if x.runViewerResponseFunction(resp, status) {
		return // the function failed: its error page was written instead
	}
	x.w.WriteHeader(x.status)
	if !send || x.r.Method == http.MethodHead || n == 0 {
		return
	}
	switch {
	case resp.meta == nil:
		x.w.Write(resp.made.body)
	case parts != nil:
		x.writeParts(resp, parts)
	case resp.hasStored:
		_, _ = resp.stored.WriteRange(x.w, off, n)
	default:
		x.copyStream(resp.stream, off, n)
	}
}

// copyStream sends bytes [off, off+n) of a body still arriving (n < 0:
// all of it). A body that fails mid-way aborts the connection: a short
// body must never end cleanly.
func (x *exchange) copyStream(body io.Reader, off, n int64) {
	if off > 0 {
		if _, err := io.CopyN(io.Discard, body, off); err != nil {
			return
		}
	}
	if n >= 0 {
		_, err := io.CopyN(x.w, body, n)
		if err != nil && !errors.Is(err, io.EOF) {
			panic(http.ErrAbortHandler)
		}
		return
	}
	if _, err := io.Copy(x.w, body); err != nil {
		panic(http.ErrAbortHandler)
	}
}

// stampHeaders adds the edge's own response headers (as CloudFront sends
// them; X-Amz-Cf-Id is the x-edge-request-id of "Standard logging
// reference", AWS; Age per RFC 9111 §5.1):
// X-Cache, Via, X-Amz-Cf-Pop, X-Amz-Cf-Id, and Age on stored copies.
func (x *exchange) stampHeaders(hit bool, age time.Duration) {
	h := x.w.Header()
	switch {
	case strings.HasPrefix(x.result, "Function"): // a function's outcome (functions.go)
		h["X-Cache"] = xCacheFunction[x.result]
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
}

// notModified turns the response into a 304 when the viewer's conditional
// GET/HEAD matches the object (RFC 9110 §13).
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
	return true
}

// rangeFor applies a viewer Range to a 200 response of known size: it
// returns the byte window to send (and sets 206/Content-Range), turns the
// response into a bodiless 416 (ok=false), or the whole body when there
// is no usable range. Several ranges are coalesced where they are closer
// than a part's overhead (RFC 9110 §14.2); if more than one remains, the
// answer is a multipart/byteranges 206 (RFC 9110 §14.6, parts returned,
// n its length): CloudFront "generally follows the RFC specification for
// the Range header" ("How CloudFront processes partial requests for an
// object (range GETs)"). The whole object is sent with 200 instead, as
// RFC 9110 §14.2 allows, when the parts would be longer than it or the
// stored object is content-coded (parts of an encoded body cannot say
// so in a multipart answer).
func (x *exchange) rangeFor(h http.Header, size int64) (off, n int64, ok bool, parts *byteranges) {
	rh := x.r.Header.Get("Range")
	if rh == "" || x.status != http.StatusOK || size < 0 || x.r.Method != http.MethodGet {
		return 0, size, true, nil
	}
	if !httpcache.IfRangeMatches(x.r.Header.Get("If-Range"), h.Get("ETag"), h.Get("Last-Modified")) {
		return 0, size, true, nil
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
		return 0, 0, false, nil
	case err != nil || len(ranges) == 0:
		return 0, size, true, nil
	}
	if len(ranges) > 1 {
		parts = newByteranges(h.Get("Content-Type"), size)
		ranges = httpcache.Coalesce(ranges, parts.overhead())
	}
	if len(ranges) == 1 {
		r := ranges[0]
		h["Content-Range"] = []string{r.ContentRange(size)}
		x.status = http.StatusPartialContent
		return r.Start, r.Length, true, nil
	}
	if _, encoded := h["Content-Encoding"]; encoded {
		return 0, size, true, nil
	}
	n = parts.plan(ranges)
	if n >= size {
		return 0, size, true, nil
	}
	delete(h, "Content-Range")
	h["Content-Type"] = []string{"multipart/byteranges; boundary=" + parts.boundary}
	x.status = http.StatusPartialContent
	return 0, n, true, parts
}

// byteranges is a multipart/byteranges body (RFC 9110 §14.6): each range
// of the representation as a part with its own Content-Type and
// Content-Range, between boundary delimiters, laid out as net/http's
// mime/multipart writes them (no preamble, CRLF before each delimiter
// but the first).
type byteranges struct {
	boundary    string
	contentType string
	size        int64
	ranges      []httpcache.ByteRange
	heads       []string // each part's delimiter and header block
}

func newByteranges(contentType string, size int64) *byteranges {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand: an origin cannot plant the boundary in its body
	return &byteranges{boundary: hex.EncodeToString(b[:]), contentType: contentType, size: size}
}

// head is the delimiter and header block before part i of r.
func (p *byteranges) head(i int, r httpcache.ByteRange) string {
	s := "--" + p.boundary + "\r\n"
	if i > 0 {
		s = "\r\n" + s
	}
	if p.contentType != "" {
		s += "Content-Type: " + p.contentType + "\r\n"
	}
	return s + "Content-Range: " + r.ContentRange(p.size) + "\r\n\r\n"
}

// overhead is what one more part costs at most besides its bytes: the gap
// below which two ranges are cheaper sent as one (RFC 9110 §14.2).
func (p *byteranges) overhead() int64 {
	widest := httpcache.ByteRange{Start: p.size, Length: 1}
	return int64(len(p.head(1, widest)))
}

// tail closes the body.
func (p *byteranges) tail() string { return "\r\n--" + p.boundary + "--\r\n" }

// plan sets the parts and returns the body's length.
func (p *byteranges) plan(ranges []httpcache.ByteRange) int64 {
	p.ranges = ranges
	p.heads = make([]string, len(ranges))
	n := int64(len(p.tail()))
	for i, r := range ranges {
		p.heads[i] = p.head(i, r)
		n += int64(len(p.heads[i])) + r.Length
	}
	return n
}

// writeParts sends a multipart/byteranges body from a stored copy, or
// from a body still arriving (the ranges ascend: one pass). A body that
// fails mid-way aborts the connection, as copyStream does.
func (x *exchange) writeParts(resp *response, p *byteranges) {
	var pos int64 // of the stream
	for i, r := range p.ranges {
		if _, err := io.WriteString(x.w, p.heads[i]); err != nil {
			return
		}
		if resp.hasStored {
			if _, err := resp.stored.WriteRange(x.w, r.Start, r.Length); err != nil {
				return
			}
			continue
		}
		if _, err := io.CopyN(io.Discard, resp.stream, r.Start-pos); err != nil {
			panic(http.ErrAbortHandler)
		}
		if _, err := io.CopyN(x.w, resp.stream, r.Length); err != nil {
			panic(http.ErrAbortHandler)
		}
		pos = r.Start + r.Length
	}
	_, _ = io.WriteString(x.w, p.tail())
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
