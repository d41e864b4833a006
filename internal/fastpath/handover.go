package fastpath

import (
	"context"
	"net/http"
	"net/textproto"
	"net/url"
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
func (r *Request) httpRequest(ctx context.Context, head []byte) (*http.Request, error) {
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
	// The URL is filled in below: parsing "" costs NewRequestWithContext
	// nothing beyond the URL it allocates, which is kept.
	req, err := http.NewRequestWithContext(ctx, r.Method, "", http.NoBody)
	if err != nil {
		return nil, err
	}
	if err := setRequestURI(req.URL, target); err != nil {
		return nil, err
	}
	h := req.Header // empty: filled in place (one allocation less than a new map)
	if len(r.hdr) > 8 {
		h = make(http.Header, len(r.hdr)) // sized once rather than grown
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
