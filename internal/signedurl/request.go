package signedurl

import (
	"encoding/base64"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// Request is what Verify needs from a viewer request.
type Request struct {
	// Scheme is "http" or "https"; "" means Path is an RTMP stream name
	// (Host unused), matched as a bare resource.
	Scheme   string
	Host     string     // Host header exactly as received, with its :port if any
	Path     string     // path (escaped form), starting with "/"; the edge passes its access form (internal/urlpath)
	RawQuery string     // query as received, without "?", signing parameters included
	Cookies  []string   // values of the request's Cookie header fields
	ClientIP netip.Addr // viewer address (the TCP peer)
	// Received, when set and unlike Path, is the path as received and
	// Path its normalised form. A canned policy signs one exact URL, so it
	// is also verified against the URL as received; custom policies are
	// matched against Path only, or /ok/* would admit /ok/../secret.
	Received string
}

// FromHTTP builds the Request of r. The scheme is https when tls is true;
// the client IP is the host part of r.RemoteAddr.
func FromHTTP(r *http.Request, tls bool) Request {
	req := Request{
		Scheme:   "http",
		Host:     r.Host,
		Path:     r.URL.EscapedPath(),
		RawQuery: r.URL.RawQuery,
		Cookies:  r.Header["Cookie"],
	}
	if tls {
		req.Scheme = "https"
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		req.ClientIP = ap.Addr()
	} else if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		req.ClientIP = a
	}
	return req
}

// IsSigningParam reports whether a query parameter name is one of the
// signed-URL parameters, which the edge removes from the cache key and
// from the origin request (they are not part of the base URL, "Create a
// signed URL using a canned policy"). Names are
// case-sensitive.
func IsSigningParam(name string) bool {
	switch name {
	case "Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm":
		return true
	}
	return false
}

// IsSigningCookie reports whether a cookie name is one of the signed-cookie
// names; not forwarding them to the origin is OpenFront's choice (AWS
// does not document it).
func IsSigningCookie(name string) bool {
	switch name {
	case "CloudFront-Expires", "CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id", "CloudFront-Hash-Algorithm":
		return true
	}
	return false
}

// inputs are the signing values of one request, still encoded.
type inputs struct {
	expires   string
	policy    string
	signature string
	keyID     string
	hashAlg   string
	custom    bool // Policy given: custom policy; else canned
	cookie    bool // read from cookies

	// viewerQuery is the raw query without the signing parameters. They
	// must come last, so it is a prefix of the query.
	viewerQuery string
}

// parseInputs reads the signing values from the query or, when the query
// has none of Expires, Policy, Signature, Key-Pair-Id, from the cookies.
// found is false when the request has no signing values at all.
func parseInputs(req Request) (in inputs, found bool, err error) {
	in, found, err = parseQueryInputs(req.RawQuery)
	if err != nil || found {
		return in, found, err
	}
	viewerQuery := in.viewerQuery
	in, found, err = parseCookieInputs(req.Cookies)
	in.viewerQuery = viewerQuery
	return in, found, err
}

func parseQueryInputs(q string) (inputs, bool, error) {
	var in inputs
	in.viewerQuery = q
	orig := q
	found, seenSigning, hashAlg := false, false, false
	for q != "" {
		var kv string
		off := len(orig) - len(q)
		kv, q, _ = strings.Cut(q, "&")
		if !seenSigning && len(kv) > 0 && kv[0] >= 'E' && kv[0] <= 'S' && IsSigningParam(kv[:cutIndex(kv)]) {
			in.viewerQuery = orig[:max(off-1, 0)]
		}
		name, value, _ := strings.Cut(kv, "=")
		var dst *string
		switch name {
		case "Expires":
			dst = &in.expires
		case "Policy":
			dst = &in.policy
		case "Signature":
			dst = &in.signature
		case "Key-Pair-Id":
			dst = &in.keyID
		case "Hash-Algorithm":
			if hashAlg {
				return in, false, ErrMalformedRequest
			}
			hashAlg, seenSigning = true, true
			if in.hashAlg = unescape(value); in.hashAlg == "" {
				in.hashAlg = "\x00"
			}
			continue
		default:
			if seenSigning && kv != "" {
				// A viewer parameter after the signing parameters
				// was added after signing ("Create a signed URL using a
				// canned policy": own parameters come first).
				return in, false, ErrMalformedRequest
			}
			continue
		}
		if *dst != "" {
			return in, false, ErrMalformedRequest
		}
		found, seenSigning = true, true
		*dst = unescape(value)
		if *dst == "" {
			*dst = "\x00" // present but empty: never a valid value
		}
	}
	in.custom = in.policy != ""
	return in, found, nil
}

// cutIndex returns the index of the first '=' in kv, or len(kv).
func cutIndex(kv string) int {
	if i := strings.IndexByte(kv, '='); i >= 0 {
		return i
	}
	return len(kv)
}

func parseCookieInputs(headers []string) (inputs, bool, error) {
	var in inputs
	found := false
	for _, h := range headers {
		for h != "" {
			var part string
			part, h, _ = strings.Cut(h, ";")
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			var dst *string
			switch name {
			case "CloudFront-Expires":
				dst = &in.expires
			case "CloudFront-Policy":
				dst = &in.policy
			case "CloudFront-Signature":
				dst = &in.signature
			case "CloudFront-Key-Pair-Id":
				dst = &in.keyID
			case "CloudFront-Hash-Algorithm":
				dst = &in.hashAlg
			default:
				continue
			}
			if *dst != "" {
				return in, false, ErrMalformedRequest
			}
			if dst != &in.hashAlg {
				found = true
			}
			value = strings.TrimSpace(value)
			if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			*dst = unescape(value)
			if *dst == "" {
				*dst = "\x00"
			}
		}
	}
	in.cookie = true
	in.custom = in.policy != ""
	return in, found, nil
}

// unescape percent-decodes s when it holds an escape; a '+' stays '+'
// (it is not a space in CloudFront's base64 alphabet).
func unescape(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// decodeBase64 decodes CloudFront's URL-safe base64 ('-' for '+', '_' for
// '=', '~' for '/'); the standard characters and missing padding are
// accepted too.
func decodeBase64(s string) ([]byte, error) {
	b := []byte(s)
	n := 0
	for _, c := range b {
		switch c {
		case '-':
			c = '+'
		case '~':
			c = '/'
		case '_', '=':
			continue // padding: decoded without it
		case ' ', '\t', '\r', '\n':
			continue
		}
		b[n] = c
		n++
	}
	return base64.RawStdEncoding.DecodeString(string(b[:n]))
}

// target is the request URL in the form policies are matched against:
// url is scheme://host/path[?query] with the signing parameters removed
// from the query; the other fields are sections of url.
type target struct {
	url, scheme, host, path, query string
	hasQuery                       bool
	// stream: an RTMP stream name, not a URL (Request.Scheme "").
	stream bool
}

func newTarget(req Request) target {
	return targetWithQuery(req, stripSigningParams(req.RawQuery))
}

// targetWithQuery is newTarget with the query already stripped.
func targetWithQuery(req Request, query string) target {
	if req.Scheme == "" {
		// An RTMP stream: the signed resource is the bare stream name
		// with the viewer's own query ("Working with RTMP
		// Distributions", archived Developer Guide).
		u := req.Path
		if query != "" {
			u += "?" + query
		}
		return target{url: u, path: req.Path, query: query, hasQuery: query != "", stream: true}
	}
	var b strings.Builder
	b.Grow(len(req.Scheme) + 3 + len(req.Host) + len(req.Path) + 1 + len(query))
	b.WriteString(req.Scheme)
	b.WriteString("://")
	b.WriteString(req.Host)
	b.WriteString(req.Path)
	n := b.Len()
	if query != "" {
		b.WriteByte('?')
		b.WriteString(query)
	}
	u := b.String()
	t := target{url: u}
	i := len(req.Scheme)
	t.scheme = u[:i]
	i += 3
	t.host = u[i : i+len(req.Host)]
	i += len(req.Host)
	t.path = u[i:n]
	if len(u) > n {
		t.query = u[n+1:]
		t.hasQuery = true
	}
	return t
}

// appendQuery writes "?" and the query without its signing parameters,
// the others kept in order and as received; nothing when none is left.
func appendQuery(b *strings.Builder, q string) {
	if q == "" {
		return
	}
	if !hasSigningParam(q) {
		b.WriteByte('?')
		b.WriteString(q)
		return
	}
	first := true
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		name, _, _ := strings.Cut(kv, "=")
		if IsSigningParam(name) {
			continue
		}
		if first {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		first = false
		b.WriteString(kv)
	}
}

// stripSigningParams removes the signing parameters from a raw query.
func stripSigningParams(q string) string {
	var b strings.Builder
	appendQuery(&b, q)
	s := b.String()
	if s != "" {
		s = s[1:]
	}
	return s
}

func hasSigningParam(q string) bool {
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		name, _, _ := strings.Cut(kv, "=")
		if IsSigningParam(name) {
			return true
		}
	}
	return false
}
