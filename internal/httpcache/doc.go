// Package httpcache holds the HTTP caching rules of the OpenFront edge as
// pure functions: Cache-Control parsing, CloudFront's TTL decision,
// freshness and Age, conditional requests and Range parsing. Nothing here
// does I/O, reads the clock (now is a parameter) or keeps state; the edge
// (internal/edge) calls these from its phases.
//
// Sources:
//   - RFC 9111 (HTTP Caching): §1.2.2 delta-seconds, §4.2.1 freshness
//     lifetime, §4.2.3 Age, §4.3.1 validators, §5.1 Age, §5.2 Cache-Control,
//     §5.3 Expires; RFC 5861 stale-while-revalidate / stale-if-error;
//     RFC 8246 immutable.
//   - RFC 9110 (HTTP Semantics): §13 conditional requests, §14 Range.
//   - OpenFront edge.md §3.2–§3.6 (TTL rules, Set-Cookie, revalidation,
//     error caching) and §4.5 (Range), which summarise the CloudFront
//     Developer Guide pages Expiration.html, HTTPStatusCodes.html,
//     custom-error-pages-expiration.html, http-3xx-status-codes.html and
//     RangeGETs.html. Where those pages and edge.md differ, the code follows
//     AWS and says so next to the rule.
//
// Main types and functions:
//   - CacheControl, ParseCacheControl, CacheControlFromHeader.
//   - TTLConfig, Decision, DecideTTL (2xx/3xx) and DecideErrorTTL (4xx/5xx).
//   - Age, ParseAge, FormatAge, IsFresh.
//   - EvalConditional (viewer 304), RevalidationHeaders (origin revalidation).
//   - ByteRange, ParseRange, ErrInvalidRange, ErrUnsatisfiable.
//
// Hand-written rather than a library: the TTL rules are CloudFront's, not
// RFC 9111's (MinTTL overrides no-store; s-maxage/max-age are clamped), and
// the parsers must never fail or allocate much on the hit path.
//
// Caveats:
//   - Invalid max-age / s-maxage make a response stale (present, 0);
//     invalid stale-* directives are ignored; duplicates: first wins. See
//     CacheControl.
//   - The edge TTL is not reduced by an Age the origin sent (see IsFresh).
//   - DecideTTL does not look at the request: callers only call it for
//     cacheable methods (GET, HEAD, OPTIONS when configured), complete
//     bodies within the size limit, and behaviours that do not forward all
//     headers (edge.md §3.2 "Additional rules").
//   - stale-while-revalidate / stale-if-error are parsed but not applied
//     here: serving stale is the edge's decision (edge.md §3.2, §3.5).
//   - 410 is handled as an error status (DecideErrorTTL, cached like 404):
//     AWS lists it with 404/414/501 as an error whose no-store is honoured,
//     rather than edge.md §3.6's proposal to treat it as a 2xx-like code.
package httpcache
