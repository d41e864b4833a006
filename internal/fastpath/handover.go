package fastpath

import (
	"context"
	"net/http"
	"net/textproto"
	"net/url"
	"reflect"
	"strings"
	"unsafe"
)

// httpRequest builds the *http.Request net/http's http.ReadRequest would
// return for head, the bytes r was parsed from, without parsing them
// again: every declined request (every miss) pays for this, and a
// second parse by net/http cost more than the rest of the handover. The
// strings are copied out of the read buffer once (one string of the
// whole head, which names and values are parts of). FuzzHTTPRequest
// compares it with http.ReadRequest field by field.
//
// The request, its URL and its header map are into's when into is not
// nil (a connection's: see handoverRequest), else new. The head's string
// and the header's values are always the request's own: the edge shares
// them with what may outlive the request (an origin request's header
// takes the viewer's []string values, a log record the strings).
func (r *Request) httpRequest(ctx context.Context, head []byte, into *handoverRequest) (*http.Request, error) {
	for len(head) >= 2 && head[0] == '\r' && head[1] == '\n' {
		head = head[2:] // the empty lines parse skipped
	}
	s := string(head)
	at := func(v string) string { // v's bytes as part of s
		off := uintptr(unsafe.Pointer(unsafe.StringData(v))) - uintptr(unsafe.Pointer(unsafe.SliceData(head)))
		if len(v) == 0 || off > uintptr(len(head)) || off+uintptr(len(v)) > uintptr(len(head)) {
			return strings.Clone(v)
		}
		return s[off : off+uintptr(len(v))]
	}
	// "METHOD SP target SP HTTP/1.1 CRLF" (parse accepts no other shape)
	line := s[:strings.IndexByte(s, '\r')]
	target := line[len(r.Method)+1 : len(line)-len(" HTTP/1.1")]
	var req *http.Request
	var h http.Header
	if into != nil && requestContextOffset != 0 {
		// As NewRequestWithContext, with every field set anew (the
		// unexported ones too: path values, the mux's pattern).
		if into.header == nil {
			into.header = make(http.Header, reusedHeaderFields)
		}
		into.url = url.URL{}
		into.req = http.Request{Method: r.Method, URL: &into.url, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: into.header, Body: http.NoBody}
		req, h = &into.req, into.header
		clear(h) // (reset already: a handler may have added to it)
		*(*context.Context)(unsafe.Add(unsafe.Pointer(req), requestContextOffset)) = ctx
	} else {
		// The URL is filled in below: parsing "" costs NewRequestWithContext
		// nothing beyond the URL it allocates, which is kept.
		var err error
		req, err = http.NewRequestWithContext(ctx, r.Method, "", http.NoBody)
		if err != nil {
			return nil, err
		}
		h = req.Header // empty: filled in place (one allocation less than a new map)
	}
	if err := setRequestURI(req.URL, target); err != nil {
		return nil, err
	}
	if len(r.hdr) > reusedHeaderFields {
		h = make(http.Header, len(r.hdr)) // sized once rather than grown (and not kept)
	}
	values := make([]string, len(r.hdr))
	for i, f := range r.hdr {
		name := textproto.CanonicalMIMEHeaderKey(at(f.name))
		values[i] = at(f.value)
		if vs, ok := h[name]; ok {
			h[name] = append(vs, values[i])
		} else {
			h[name] = values[i : i+1 : i+1]
		}
	}
	// As http.ReadRequest (fixPragmaCacheControl): HTTP/1.0's Pragma:
	// no-cache stands for Cache-Control: no-cache when that is absent.
	if hp := h["Pragma"]; len(hp) > 0 && hp[0] == "no-cache" {
		if _, ok := h["Cache-Control"]; !ok {
			h["Cache-Control"] = []string{"no-cache"}
		}
	}
	req.RequestURI, req.Header, req.Host = target, h, at(r.Host)
	req.Close = r.Close
	req.ContentLength = 0
	return req, nil
}

// handoverRequest is a connection's request for Fallback's handler: the
// *http.Request, its URL and its header map, refilled by httpRequest for
// each request the connection declines (a miss), where new ones were
// about 700 bytes of garbage per miss. A connection serves one request
// at a time, and nothing keeps them once the handler has returned: that
// is Server.Fallback's contract (the edge's handler copies the request
// where a goroutine of its outlives it: a stale-while-revalidate
// refresh). reset empties them when the handler is done, so that a
// stray reader finds nothing of the last request. Made by a
// connection's first declined request.
type handoverRequest struct {
	req    http.Request
	url    url.URL
	header http.Header
}

// reusedHeaderFields is the most fields the kept header map is used for;
// a request with more gets a map of its own, so that one long head does
// not leave a large map with the connection.
const reusedHeaderFields = 8

// reset drops the last request's values (its strings: the head's copy).
func (h *handoverRequest) reset() {
	h.req = http.Request{}
	h.url = url.URL{}
	clear(h.header)
}

// requestContextOffset is where http.Request keeps its context (the
// unexported field ctx, which only NewRequestWithContext and WithContext
// set, both allocating a request): a reused request's context is set
// there. Zero if this Go's http.Request has no such field: every request
// is then new (TestRequestContextOffset fails first).
var requestContextOffset = func() uintptr {
	f, ok := reflect.TypeFor[http.Request]().FieldByName("ctx")
	if !ok || f.Type != reflect.TypeFor[context.Context]() || f.Offset == 0 {
		return 0
	}
	return f.Offset
}()

// setRequestURI sets u to what url.ParseRequestURI(target) returns for an
// origin-form target parse accepted (validTarget: no fragment, no control
// bytes), without parsing it again when its path has no escapes.
func setRequestURI(u *url.URL, target string) error {
	path, query, hasQuery := strings.Cut(target, "?")
	if strings.IndexByte(path, '%') >= 0 || !strings.HasPrefix(path, "/") {
		parsed, err := url.ParseRequestURI(target)
		if err != nil {
			return err
		}
		*u = *parsed
		return nil
	}
	// As url.parse: a lone trailing "?" is ForceQuery, not an empty query.
	*u = url.URL{Path: path, RawQuery: query, ForceQuery: hasQuery && query == ""}
	for i := 0; i < len(path); i++ {
		if !keptInPath[path[i]] {
			u.RawPath = path // as setPath: the received form differs from EscapedPath's
			break
		}
	}
	return nil
}

// keptInPath are the bytes url.URL.EscapedPath leaves as they are in a
// path, asked of net/url itself.
var keptInPath = func() (t [256]bool) {
	for c := 0; c < 0x80; c++ { // validTarget takes no other bytes
		p := "/" + string(rune(c))
		t[c] = (&url.URL{Path: p}).EscapedPath() == p
	}
	return t
}()
