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
	// For an origin-form target without a fragment, url.Parse (which
	// NewRequestWithContext runs) reads what url.ParseRequestURI reads,
	// but for a path starting "//" (an authority to url.Parse).
	req, err := http.NewRequestWithContext(ctx, r.Method, target, http.NoBody)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(target, "//") {
		if req.URL, err = url.ParseRequestURI(target); err != nil {
			return nil, err
		}
	}
	h := make(http.Header, len(r.hdr))
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
