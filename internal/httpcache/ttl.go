package httpcache

import (
	"net/http"
	"slices"
	"time"
)

// TTLConfig is the Min/Default/Max TTL of a cache behaviour (legacy fields)
// or of its cache policy ("Manage how long content stays in the cache
// (expiration)"; "Control the cache key with a policy", AWS CloudFront
// Developer Guide).
type TTLConfig struct {
	Min, Default, Max time.Duration
}

// DefaultErrorCachingMinTTL is how long an error is cached when the
// distribution has no CustomErrorResponse for its status ("Control how long
// CloudFront caches errors", AWS CloudFront Developer Guide).
const DefaultErrorCachingMinTTL = 10 * time.Second

// Reasons recorded in Decision.Reason. They name the rule that produced the
// TTL, for tests and debugging (the edge does not report them).
const (
	ReasonCachingDisabled     = "caching-disabled"      // Min = Default = Max = 0
	ReasonUncacheableStatus   = "uncacheable-status"    // status never cached
	ReasonNoCacheControl      = "no-cache-control"      // 303/307/308 without Cache-Control
	ReasonNoExplicitFreshness = "no-explicit-freshness" // other 2xx/3xx without s-maxage, max-age or Expires
	ReasonVaryStar            = "vary-star"             // Vary: * with MinTTL 0
	ReasonNoMaxAge            = "no-max-age"            // 400/403/405/412/415 without max-age/s-maxage
	ReasonNoStore             = "no-store"              // honoured (MinTTL = 0)
	ReasonPrivate             = "private"               // honoured (MinTTL = 0)
	ReasonNoCache             = "no-cache"              // honoured (MinTTL = 0)
	ReasonMinTTLOverride      = "min-ttl-override"      // no-store/private/no-cache cached for MinTTL > 0
	ReasonSMaxAge             = "s-maxage"              // TTL from s-maxage
	ReasonMaxAge              = "max-age"               // TTL from max-age
	ReasonExpires             = "expires"               // TTL from Expires
	ReasonDefaultTTL          = "default-ttl"           // no freshness information
	ReasonMinTTLFloor         = "min-ttl-floor"         // origin TTL raised to MinTTL
	ReasonMaxTTLCap           = "max-ttl-cap"           // origin TTL lowered to MaxTTL
	ReasonErrorCachingMinTTL  = "error-caching-min-ttl" // error cached for ErrorCachingMinTTL
)

// Decision is the outcome of DecideTTL or DecideErrorTTL.
//
// Cacheable means "store the response". TTL is how long it is fresh in
// this cache; a cacheable response with TTL 0 is stored but stale at once,
// so every use revalidates with the origin (max-age=0; "Manage how long
// content stays in the cache (expiration)").
type Decision struct {
	Cacheable bool
	TTL       time.Duration
	Reason    string
	// StripHeaders lists header fields that must not be stored with the
	// response: those named by a qualified no-cache="..." or private="..."
	// (RFC 9111 §5.2.2.4, §5.2.2.7). With no-cache="Set-Cookie" this is
	// how CloudFront caches the object but not its Set-Cookie ("Cache
	// content based on cookies", AWS CloudFront Developer Guide): strip them
	// from the stored copy, return them only on the miss that produced it.
	StripHeaders []string
}

// statusRule says when a non-error final status may be stored.
type statusRule int

const (
	storeNever             statusRule = iota
	storeAlways                       // by the TTL rules, DefaultTTL when the origin gives none
	storeWithCacheControl             // only with a Cache-Control field
	storeWithExplicitFresh            // only with s-maxage, max-age or Expires
)

// ruleForStatus returns the storing rule of a non-error status
// (docs/http-caching.md lists where it departs from RFC 9111).
//
// AWS "How CloudFront processes HTTP 3xx status codes from your origin"
// (http-3xx-status-codes.html): 3xx responses are cached according to the
// distribution settings and headers, and "CloudFront caches 307 and 308
// responses only when you include the Cache-Control header". 303 is
// treated like 307/308 (RFC 9110 §15.4.4: cacheable only with explicit
// freshness). 304 is accepted so that a revalidation can refresh the
// stored object's TTL: pass the stored headers updated with the 304's.
//
// Every other final status below 400 (201, 202, 205, 299, 305, 399...) is
// stored when the origin gave it explicit freshness (RFC 9111 §3: "an
// explicit expiration time"), since AWS says nothing of them; without it a
// cache may not store it (it is not heuristically cacheable, RFC 9110
// §15.1), so DefaultTTL does not apply.
func ruleForStatus(status int) statusRule {
	switch status {
	case http.StatusOK, http.StatusNonAuthoritativeInfo, http.StatusNoContent,
		http.StatusPartialContent, http.StatusMultipleChoices,
		http.StatusMovedPermanently, http.StatusFound, http.StatusNotModified:
		return storeAlways
	case http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return storeWithCacheControl
	}
	if status >= 200 && status < 400 {
		return storeWithExplicitFresh
	}
	return storeNever
}

// DecideTTL applies CloudFront's TTL rules ("Manage how long content stays
// in the cache (expiration)", AWS CloudFront Developer Guide) to an
// origin response with a non-error status. Error statuses (4xx, 5xx) are
// reported as uncacheable here; use DecideErrorTTL for them.
//
// Origin TTL is the first present of s-maxage, max-age, Expires − Date.
// Then, with MinTTL = 0: no-store/private/no-cache → not cached; origin TTL
// → min(TTL, MaxTTL); none → DefaultTTL. With MinTTL > 0: no-store/private/
// no-cache → cached for MinTTL; origin TTL → clamp(TTL, MinTTL, MaxTTL);
// none → max(MinTTL, DefaultTTL). Min = Default = Max = 0 (CachingDisabled)
// → never cached.
//
// Set-Cookie does not affect the decision ("Cache content based on
// cookies": responses are
// cached with or without it; what is stored or stripped depends on the
// cookie forwarding setting, which is the caller's), except through
// no-cache="Set-Cookie" (Decision.StripHeaders).
//
// Vary: * (VariesOnEverything) with MinTTL = 0 is never stored: AWS
// "Request and response behavior for custom origins", Content
// negotiation: CloudFront then forwards every request for the object to
// the origin, unconditionally. With MinTTL > 0 CloudFront instead removes
// the "*" from Vary like any value it does not vary on and caches the
// response as usual: the caller removes it before calling DecideTTL.
func DecideTTL(cfg TTLConfig, status int, h http.Header, now time.Time) Decision {
	if cfg.Min == 0 && cfg.Default == 0 && cfg.Max == 0 {
		return Decision{Reason: ReasonCachingDisabled}
	}
	cc := CacheControlFromHeader(h)
	switch ruleForStatus(status) {
	case storeNever:
		return Decision{Reason: ReasonUncacheableStatus}
	case storeWithCacheControl:
		if len(h.Values("Cache-Control")) == 0 {
			return Decision{Reason: ReasonNoCacheControl}
		}
	case storeWithExplicitFresh:
		if !cc.HasSMaxAge && !cc.HasMaxAge && len(h.Values("Expires")) == 0 {
			return Decision{Reason: ReasonNoExplicitFreshness}
		}
	}
	if cfg.Min == 0 && VariesOnEverything(h) {
		return Decision{Reason: ReasonVaryStar}
	}
	strip := stripHeaders(cc)
	if reason := restrictive(cc); reason != "" {
		if cfg.Min == 0 {
			return Decision{Reason: reason}
		}
		return Decision{Cacheable: true, TTL: cfg.Min, Reason: ReasonMinTTLOverride, StripHeaders: strip}
	}
	ttl, reason := originTTL(cc, h, now)
	if reason == "" {
		ttl, reason = cfg.Default, ReasonDefaultTTL
	}
	switch {
	case ttl > cfg.Max:
		ttl, reason = cfg.Max, ReasonMaxTTLCap
	case ttl < cfg.Min:
		ttl, reason = cfg.Min, ReasonMinTTLFloor
	}
	return Decision{Cacheable: true, TTL: ttl, Reason: reason, StripHeaders: strip}
}

// restrictive returns the reason of the first of no-store, private,
// no-cache (unqualified) present, or "".
func restrictive(cc CacheControl) string {
	switch {
	case cc.NoStore:
		return ReasonNoStore
	case cc.Private:
		return ReasonPrivate
	case cc.NoCache:
		return ReasonNoCache
	}
	return ""
}

func stripHeaders(cc CacheControl) []string {
	switch {
	case len(cc.PrivateFields) == 0:
		return cc.NoCacheFields
	case len(cc.NoCacheFields) == 0:
		return cc.PrivateFields
	}
	out := append([]string(nil), cc.NoCacheFields...)
	for _, f := range cc.PrivateFields {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// originTTL returns the freshness lifetime the origin gave, and its reason,
// or reason "" when it gave none. s-maxage beats max-age beats Expires
// ("Manage how long content stays in the cache (expiration)"; RFC 9111
// §4.2.1).
//
// Expires is measured from the origin's Date when Date is valid (RFC 9111
// §4.2.1: Expires minus Date, which is immune to clock skew between origin
// and edge), otherwise from now. An invalid Expires (e.g. "0", or a date
// net/http would guess at, see ParseHTTPDate, or several Expires lines)
// means already expired (RFC 9111 §5.3). Whole seconds, never negative.
func originTTL(cc CacheControl, h http.Header, now time.Time) (time.Duration, string) {
	switch {
	case cc.HasSMaxAge:
		return cc.SMaxAge, ReasonSMaxAge
	case cc.HasMaxAge:
		return cc.MaxAge, ReasonMaxAge
	}
	exp, present, ok := singleDate(h, "Expires", now)
	if !present {
		return 0, ""
	}
	if !ok {
		return 0, ReasonExpires
	}
	base := now
	if date, _, ok := singleDate(h, "Date", now); ok {
		base = date
	}
	ttl := exp.Sub(base).Truncate(time.Second)
	return max(ttl, 0), ReasonExpires
}

// DecideErrorTTL decides whether and how long an origin error response is
// cached (AWS CloudFront Developer Guide: "How CloudFront processes HTTP
// 4xx and 5xx status codes from your origin" and "Control how long
// CloudFront caches errors"):
//
//   - Always cached: 404, 410, 414, 500, 501, 502, 503, 504.
//   - Cached only with Cache-Control max-age or s-maxage: 400, 403, 405,
//     412, 415.
//   - Never cached: 416 (even with an ErrorCachingMinTTL), and every other
//     status.
//   - no-store, no-cache or private prevent caching for 404, 410, 414 and
//     501; for every other code they are ignored.
//   - TTL = max(ErrorCachingMinTTL, origin TTL), where the origin TTL is
//     s-maxage, max-age or Expires (AWS lists Expires too) capped at the
//     behaviour's MaxTTL ("max-age and s-maxage values cannot be greater
//     than the Maximum TTL").
//   - Vary: * is never cached, as DecideTTL says for MinTTL = 0; the
//     caller removes the "*" first when the behaviour's MinTTL > 0.
//
// errorCachingMinTTL is the CustomErrorResponse value for this status, or
// nil for the default (10 s). A TTL of 0 (ErrorCachingMinTTL 0 and no
// origin value) means not cached.
func DecideErrorTTL(errorCachingMinTTL *time.Duration, maxTTL time.Duration, status int, h http.Header, now time.Time) Decision {
	minTTL := DefaultErrorCachingMinTTL
	if errorCachingMinTTL != nil {
		minTTL = *errorCachingMinTTL
	}
	cc := CacheControlFromHeader(h)
	switch status {
	case 404, 410, 414, 501:
		if reason := restrictive(cc); reason != "" {
			return Decision{Reason: reason}
		}
	case 500, 502, 503, 504:
	case 400, 403, 405, 412, 415:
		if !cc.HasMaxAge && !cc.HasSMaxAge {
			return Decision{Reason: ReasonNoMaxAge}
		}
	default:
		return Decision{Reason: ReasonUncacheableStatus}
	}
	if VariesOnEverything(h) {
		return Decision{Reason: ReasonVaryStar} // as DecideTTL with MinTTL 0
	}
	ttl, reason := originTTL(cc, h, now)
	if reason != "" && ttl > maxTTL {
		ttl = maxTTL
	}
	if reason == "" || ttl < minTTL {
		ttl, reason = minTTL, ReasonErrorCachingMinTTL
	}
	return Decision{Cacheable: ttl > 0, TTL: ttl, Reason: reason, StripHeaders: stripHeaders(cc)}
}
