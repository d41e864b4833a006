package httpcache

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Age returns the current age of a stored response, RFC 9111 §4.2.3
// simplified for a cache that stores what it just received: the Age the
// origin (or an upstream cache) sent, plus the time the response has been
// resident here. A storedAt in the future counts as 0.
func Age(storedAt time.Time, originAge time.Duration, now time.Time) time.Duration {
	return originAge + max(now.Sub(storedAt), 0)
}

// ParseAge returns the Age field of h (RFC 9111 §5.1): the first member of
// the first field line, as delta-seconds. An absent or invalid Age is
// ignored (0, false).
func ParseAge(h http.Header) (time.Duration, bool) {
	v := h.Get("Age")
	if i := strings.IndexByte(v, ','); i >= 0 {
		v = v[:i]
	}
	return parseDelta(trimOWS(v))
}

// FormatAge formats an age as an Age field value, in whole seconds.
func FormatAge(age time.Duration) string {
	return strconv.FormatInt(int64(max(age, 0)/time.Second), 10)
}

// IsFresh reports whether a response stored at storedAt with the given TTL
// (from DecideTTL) is still fresh at now. A TTL of 0 is never fresh.
//
// Freshness is measured from storedAt only: an Age the origin sent is
// reported to viewers (Age) but does not shorten the edge TTL, because
// CloudFront's TTL table (edge.md §3.2) gives the edge TTL directly from
// max-age/s-maxage/Expires.
func IsFresh(storedAt time.Time, ttl time.Duration, now time.Time) bool {
	return now.Sub(storedAt) < ttl
}
