// Package signedurl verifies CloudFront signed URLs and signed cookies
// (spec edge.md §8): it reads the signing inputs of a viewer request,
// rebuilds or decodes the policy, checks the signature with the key the
// Key-Pair-Id names, and applies the policy's resource, time and source-IP
// conditions.
//
// The package is pure: the caller passes the request's URL parts, cookies
// and client IP (Request), the set of keys the cache behaviour trusts
// (Keys) and the current time. It does no I/O and keeps no global state.
//
// Main entry points:
//
//   - Verify checks one request without caching.
//   - Verifier.Verify does the same but remembers verified policies in a
//     bounded LRU keyed by (hash algorithm, key id, signature, policy or
//     Expires and URL), so a hot signed URL costs a map lookup plus the cheap
//     resource, time and IP checks instead of an RSA or ECDSA verification.
//   - IsSigningParam and IsSigningCookie name what the edge strips from the
//     cache key and from the origin request (spec edge.md §2.1, §8.2).
//
// Failures are *Error values (ErrMissingKey, ErrUnknownKey, ErrExpired, …).
// Each carries the CloudFront code and message of spec edge.md §8.5 and
// renders CloudFront's XML body with XML; several failures share one
// viewer-visible code (AccessDenied) but stay distinct for errors.Is, logs
// and tests.
//
// Forms accepted (spec edge.md §8.2–8.4):
//
//   - Canned policy: query Expires, Signature, Key-Pair-Id, or cookies
//     CloudFront-Expires, CloudFront-Signature, CloudFront-Key-Pair-Id.
//     The policy is rebuilt byte for byte as CannedPolicy does, with the
//     request URL (scheme://Host/path?query minus signing parameters) as
//     Resource, so the URL must equal what was signed.
//   - Custom policy: Policy instead of Expires (cookie CloudFront-Policy),
//     URL-safe base64 of the JSON policy (ParsePolicy).
//   - Hash-Algorithm (cookie CloudFront-Hash-Algorithm, an OpenFront
//     proposal) selects SHA1 (default) or SHA256.
//   - Keys: RSA (PKCS #1 v1.5) and ECDSA (ASN.1 DER signature); CloudFront
//     accepts RSA 2048 and ECDSA P-256 public keys in key groups.
//   - A signed URL takes precedence over signed cookies when its query
//     carries Expires, Policy, Signature or Key-Pair-Id.
//
// Caveats:
//
//   - Viewer query parameters must come before the signing parameters; a
//     parameter after them is refused (AccessDenied), as CloudFront refuses
//     a parameter added after signing.
//   - In a custom policy's Resource, `\?` separates the path and the query
//     sections; without it a plain `?` is a one-character wildcard that may
//     also match the query separator, which is how resources produced by
//     the AWS signers (the URL including its query) match.
//   - Paths: the edge passes the access form of the viewer path
//     (internal/urlpath.ForAccess) as Request.Path, so a custom policy's
//     Resource is matched on the normalised path (/ok/* does not cover
//     /ok/../secret.txt nor /ok/..%2Fsecret.txt) and should itself be
//     written in that form. A canned policy verifies for the normalised URL
//     or for the URL exactly as received (Request.Received).
//   - Resource host matching is exact for canned policies (Host as
//     received, with its port) and case-insensitive for custom policies.
package signedurl
