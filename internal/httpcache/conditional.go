package httpcache

import (
	"net/http"
	"strings"
	"time"
)

// EvalConditional evaluates a viewer's If-None-Match / If-Modified-Since
// against a cached entity (OpenFront's choice: AWS does not say how a hit
// answers a conditional request) and reports whether the
// edge should answer 304 Not Modified. It follows RFC 9110 §13.1.2,
// §13.1.3 and §13.2.2:
//
//   - Only GET and HEAD are answered with 304; other methods get false.
//   - If-None-Match, when present, decides alone: `*` matches any stored
//     entity; otherwise a listed entity-tag must match etag by weak
//     comparison (W/ ignored, opaque tags equal). An empty etag matches
//     only `*`.
//   - If-Modified-Since is evaluated only without If-None-Match, only if it
//     is one valid HTTP-date, and only when lastModified is known:
//     not modified when lastModified ≤ the date (one-second precision).
//
// If-Match and If-Unmodified-Since (which lead to 412, not 304) are not
// evaluated here.
func EvalConditional(method string, reqHeader http.Header, etag string, lastModified time.Time) (notModified bool) {
	if method != http.MethodGet && method != http.MethodHead {
		return false
	}
	if inm := reqHeader.Values("If-None-Match"); len(inm) > 0 {
		for _, v := range inm {
			if etagListMatches(v, etag) {
				return true
			}
		}
		return false
	}
	ims := reqHeader.Values("If-Modified-Since")
	if len(ims) != 1 || lastModified.IsZero() {
		return false
	}
	since, err := http.ParseTime(ims[0])
	if err != nil {
		return false
	}
	return !lastModified.Truncate(time.Second).After(since)
}

// etagListMatches reports whether the If-None-Match field value list
// contains `*` or an entity-tag weakly matching etag.
func etagListMatches(list, etag string) bool {
	want, _ := opaqueTag(etag)
	for list != "" {
		list = strings.TrimLeft(list, " \t,")
		if list == "" {
			break
		}
		if list[0] == '*' {
			return true
		}
		tag, rest, ok := nextETag(list)
		list = rest
		if ok && etag != "" && tag == want {
			return true
		}
	}
	return false
}

// nextETag reads one entity-tag (`"x"` or `W/"x"`) at the start of s and
// returns its opaque-tag (with quotes) and the rest after it. A malformed
// element is skipped up to the next comma.
func nextETag(s string) (tag, rest string, ok bool) {
	t := strings.TrimPrefix(s, "W/")
	if strings.HasPrefix(t, `"`) {
		if end := strings.IndexByte(t[1:], '"'); end >= 0 {
			return t[:end+2], t[end+2:], true
		}
		return "", "", false
	}
	if i := strings.IndexByte(s, ','); i >= 0 {
		return "", s[i+1:], false
	}
	return "", "", false
}

// opaqueTag strips the weakness indicator of an ETag value.
func opaqueTag(etag string) (string, bool) {
	if t, ok := strings.CutPrefix(etag, "W/"); ok {
		return t, true
	}
	return etag, false
}

// RevalidationHeaders returns the conditional headers for revalidating a
// stored response with the origin ("Manage how long content stays in the
// cache (expiration)", AWS CloudFront Developer Guide; RFC 9111 §4.3.1):
// If-None-Match from its ETag and If-Modified-Since from its Last-Modified,
// copied verbatim. The result is empty (not nil) when the stored response
// has neither validator.
//
// The caller leaves them off when the request must be unconditional (e.g.
// Vary: * with MinTTL = 0, docs/http-caching.md).
func RevalidationHeaders(storedHeader http.Header) http.Header {
	h := make(http.Header, 2)
	if v := storedHeader.Get("ETag"); v != "" {
		h.Set("If-None-Match", v)
	}
	if v := storedHeader.Get("Last-Modified"); v != "" {
		h.Set("If-Modified-Since", v)
	}
	return h
}

// IfRangeMatches evaluates an If-Range field value against the stored
// representation's ETag and Last-Modified values (RFC 9110 §13.1.5): true
// means the Range applies, false that the whole representation is sent
// with 200. An entity-tag matches only by strong comparison (§8.8.3.2):
// neither it nor the stored ETag may be weak, so a weak validator never
// matches. An HTTP-date matches only the Last-Modified date exactly. An
// empty value matches (no If-Range).
func IfRangeMatches(ifRange, etag, lastModified string) bool {
	if ifRange == "" {
		return true
	}
	if strings.HasPrefix(ifRange, `"`) || strings.HasPrefix(ifRange, "W/") {
		if strings.HasPrefix(ifRange, "W/") || strings.HasPrefix(etag, "W/") {
			return false
		}
		tag, rest, ok := nextETag(ifRange)
		return ok && rest == "" && tag == etag
	}
	if lastModified == "" {
		return false
	}
	// ref only places an RFC 850 two-digit year; both dates use it.
	ref := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	want, ok := ParseHTTPDate(ifRange, ref)
	if !ok {
		return false
	}
	have, ok := ParseHTTPDate(lastModified, ref)
	return ok && have.Equal(want)
}
