package edge

import (
	"net/http"
	"net/netip"
	"slices"

	"openfront/internal/cfheaders"
	"openfront/internal/fastpath"
)

// generatedHeaders returns the edge's values of the named CloudFront
// request headers (package cfheaders) for this viewer, keyed by canonical
// name; names the edge cannot compute for it are left out. nil for no
// names, so behaviours without generated headers pay nothing.
func (x *exchange) generatedHeaders(names []string) http.Header {
	if len(names) == 0 {
		return nil
	}
	v := cfheaders.Viewer{
		HTTPS:       x.https,
		ProtoMajor:  x.r.ProtoMajor,
		ProtoMinor:  x.r.ProtoMinor,
		UserAgent:   x.r.Header.Get("User-Agent"),
		TLS:         x.r.TLS,
		HeaderCount: headerCount(x.r),
		Geo:         x.s.opts.Geo,
	}
	if ap, err := netip.ParseAddrPort(x.r.RemoteAddr); err == nil {
		v.Addr = ap
	}
	return generatedValues(&v, names)
}

func generatedValues(v *cfheaders.Viewer, names []string) http.Header {
	vals := cfheaders.NewValues(v)
	h := make(http.Header, len(names))
	for _, name := range names {
		if value, ok := vals.Get(name); ok {
			h[name] = []string{value}
		}
	}
	return h
}

// headerCount is the number of header fields the viewer sent: net/http
// keeps each field's value, and moves Host (or HTTP/2's :authority) out
// of the map.
func headerCount(r *http.Request) int {
	n := 0
	for _, vs := range r.Header {
		n += len(vs)
	}
	if r.Host != "" {
		n++
	}
	return n
}

var userAgentHeader = []string{"User-Agent"}

// generatedFast is generatedHeaders for the fast path (plain HTTP/1.1);
// ok is false when the key needs a value only ServeHTTP knows (the
// header count), and the fast path then declines.
func (s *Server) generatedFast(r *fastpath.Request, names []string) (h http.Header, ok bool) {
	if slices.Contains(names, cfheaders.ViewerHeaderCount) {
		return nil, false
	}
	v := cfheaders.Viewer{ProtoMajor: 1, ProtoMinor: 1, HeaderCount: -1, Geo: s.opts.Geo}
	if ua := r.HeaderOf(userAgentHeader)["User-Agent"]; len(ua) > 0 {
		v.UserAgent = ua[0]
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		v.Addr = ap
	}
	return generatedValues(&v, names), true
}
