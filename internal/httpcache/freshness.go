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
// resident here. A storedAt in the future counts as 0. It is the Age field
// a cache sends with a stored response (RFC 9111 §5.1).
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

// FreshUntil returns when a response stops being fresh: it arrived at
// arrival, already age old (ParseAge: the time it spent in caches before
// this one), and its freshness lifetime is ttl (DecideTTL). RFC 9111
// §4.2: a response is fresh while its freshness lifetime exceeds its
// current age, and the current age counts the Age it arrived with
// (§4.2.3). So max-age=3600 with Age: 7200 is stale on arrival, and
// max-age=3600 with Age: 600 is fresh for 3000 s more.
//
// The age is the Age field alone: the apparent age from Date is not used,
// so a wrong origin clock cannot age objects (docs/http-caching.md), and
// the origin round trip is not added (it is not known here, and is
// usually well under the one-second unit of Age).
func FreshUntil(arrival time.Time, ttl, age time.Duration) time.Time {
	return arrival.Add(ttl - age)
}

// IsFresh reports whether a response of the given current age (Age) is
// fresh under the freshness lifetime ttl. A TTL of 0 is never fresh.
func IsFresh(currentAge, ttl time.Duration) bool {
	return currentAge < ttl
}
