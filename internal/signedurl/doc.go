// Package signedurl verifies CloudFront signed URLs and signed cookies
// (CloudFront Developer Guide, "Serve private content with signed URLs and
// signed cookies", https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/PrivateContent.html): it reads the signing inputs of a viewer request,
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
//     cache key and from the origin request (they are not part of the base
//     URL, "Create a signed URL using a canned policy"; not forwarding the
//     signing cookies is OpenFront's choice).
//
// Failures are *Error values (ErrMissingKey, ErrUnknownKey, ErrExpired, …).
// Each carries the code and message CloudFront returns (AWS does not
// document these error bodies; OpenFront reproduces the observed ones) and
// renders CloudFront's XML body with XML; several failures share one
// viewer-visible code (AccessDenied) but stay distinct for errors.Is, logs
// and tests.
//
// Forms accepted (Developer Guide, "Create a signed URL using a canned
// policy", "Create a signed URL using a custom policy" and "Use signed
// cookies"):
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
