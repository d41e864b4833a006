// Package httpcache holds the HTTP caching rules of the OpenFront edge as
// pure functions: Cache-Control parsing, CloudFront's TTL decision,
// freshness and Age, HTTP-dates, conditional requests and Range parsing.
// Nothing here does I/O, reads the clock (now is a parameter) or keeps
// state; the edge (internal/edge) calls these from its phases.
//
// The rules are CloudFront's where its documentation gives them and RFC
// 9111's where it is silent; docs/http-caching.md lists every place where
// the two differ, with the AWS page that says so.
//
// Sources:
//   - RFC 9111 (HTTP Caching): §1.2.2 delta-seconds, §3 storing, §4.1
//     Vary, §4.2.1 freshness lifetime, §4.2.3 Age, §4.3.1 validators, §5.1
//     Age, §5.2 Cache-Control, §5.3 Expires; RFC 5861
//     stale-while-revalidate / stale-if-error; RFC 8246 immutable.
//   - RFC 9110 (HTTP Semantics): §5.6.7 HTTP-date, §13 conditional
//     requests, §14 Range.
//   - The CloudFront Developer Guide pages Expiration.html,
//     HTTPStatusCodes.html, custom-error-pages-expiration.html,
//     http-3xx-status-codes.html, RequestAndResponseBehaviorCustomOrigin.html
//     and RangeGETs.html.
//
// Main types and functions:
//   - CacheControl, ParseCacheControl, CacheControlFromHeader.
//   - TTLConfig, Decision, DecideTTL (2xx/3xx) and DecideErrorTTL (4xx/5xx).
//   - Age, ParseAge, FormatAge, FreshUntil, IsFresh.
//   - ParseHTTPDate (strict RFC 9110 dates), VariesOnEverything (Vary: *).
//   - EvalConditional (viewer 304), IfRangeMatches (If-Range, strong
//     comparison), RevalidationHeaders (origin revalidation).
//   - ByteRange, ParseRange, Coalesce, ErrInvalidRange, ErrUnsatisfiable.
//
// Hand-written rather than a library: the TTL rules are CloudFront's, not
// RFC 9111's (MinTTL overrides no-store; s-maxage/max-age are clamped), and
// the parsers must never fail or allocate much on the hit path.
//
// Caveats:
//   - Invalid max-age / s-maxage make a response stale (present, 0);
//     invalid stale-* directives are ignored; duplicates: first wins. See
//     CacheControl. An Expires that is not a valid HTTP-date, or is sent
//     twice, means already expired (ParseHTTPDate).
//   - DecideTTL returns a freshness lifetime; an Age the response arrived
//     with counts against it (FreshUntil), whatever gave the lifetime.
//   - DecideTTL does not look at the request: callers only call it for
//     cacheable methods (GET, HEAD, OPTIONS when configured), complete
//     bodies within the size limit, and behaviours that do not forward all
//     headers.
//   - stale-while-revalidate / stale-if-error are parsed but not applied
//     here: serving stale is the edge's decision.
//   - 410 is handled as an error status (DecideErrorTTL, cached like 404):
//     AWS lists it with 404/414/501 as an error whose no-store is honoured.
package httpcache
