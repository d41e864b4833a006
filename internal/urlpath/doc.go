// Package urlpath normalises viewer request paths before the edge decides
// anything with them: which cache behaviour serves the request, whether a
// signed URL or signed cookie grants it, which cache key stores it, which
// invalidations purge it and what path the origin is asked for. Every one
// of those decisions uses this package, so two spellings of one resource
// cannot get two different answers.
//
// Why. An origin that normalises paths (nginx, most web servers) serves
// /private/secret.txt for /public/../private/secret.txt,
// /public/%2e%2e/private/secret.txt, /./private/secret.txt,
// //private/secret.txt, /%70rivate/secret.txt and /private%2Fsecret.txt.
// Matching the behaviour /private/* (signed URLs required) against the path
// as received lets every one of them past the signature check.
//
// What CloudFront documents (Developer Guide, "Cache behavior settings",
// section "Path pattern" / "Path normalization",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern):
// "CloudFront normalizes URI paths consistent with RFC 3986 and then
// matches the path with the correct cache behavior. Once the cache behavior
// is matched, CloudFront sends the raw URI path to the origin." and "Some
// characters are normalized and removed from the path, such as multiple
// slashes (//) or periods (..)". RFC 3986 §6.2.2 normalisation decodes
// percent-encoded unreserved characters only; reserved ones such as %2F
// stay encoded, because they are not equivalent to their literal form.
//
// The two forms. Normalize returns the canonical form (RFC 3986 §6.2.2):
//   - percent-encoded unreserved characters (ALPHA DIGIT - . _ ~) are
//     decoded: /%70rivate → /private;
//   - the hex digits of every other escape are upper case: %2f → %2F;
//   - raw bytes that a URI path cannot hold as they are (non-ASCII,
//     space, `"`, `<`, `>`, `\`, `^`, "`", `{`, `|`, `}`) are
//     percent-encoded, as Go's URL parser does; the other characters Go
//     keeps unescaped (unreserved, sub-delims, `:`, `@`, `[`, `]`) stay;
//   - dot segments are removed (RFC 3986 §5.2.4 remove_dot_segments), %2E
//     counting as `.`; `..` never climbs above the root (/../a → /a); a
//     trailing `.` or `..` segment leaves a trailing `/` (/a/b/.. → /a/);
//     `...` and `.a` are ordinary segments;
//   - empty segments (//) and %2F stay: the canonical form is still the
//     same resource to any origin, including S3, whose keys may hold `//`.
//
// ForAccess returns the access form: the canonical form with %2F and %5C
// counted as `/`, runs of `/` merged into one, and dot segments removed
// again. Behaviour selection and signed URL/cookie checks use it;
// invalidation matching uses it on both sides (an invalidation purges
// every spelling of a path, never fewer).
//
// Two departures from CloudFront, both on the safe side:
//   - Runs of `/` are merged and %2F (and %5C) separate segments when the
//     edge chooses a behaviour or checks a signature, one step further than
//     RFC 3986. Most origins merge slashes (nginx merge_slashes, Apache,
//     Go's ServeMux redirect) and many decode %2F before routing (nginx),
//     so /private%2Fsecret.txt and //private/secret.txt must not dodge
//     /private/*. A consequence: a path pattern containing `//` never
//     matches, and a custom policy Resource is matched against the merged
//     path.
//   - The origin is asked for the canonical path, not the raw one. The
//     cache key holds the canonical path, so the origin must be asked for
//     exactly that: with the raw path, an origin that resolves `..` or an
//     escape differently than RFC 3986 (S3 keys are literal) could fill the
//     cache entry of /b with its answer for /a/../b. The canonical form is
//     the same resource by RFC 3986, and it keeps `//` and %2F, so the
//     origin sees no more than an equivalent spelling.
//
// Refused (the edge answers 400 Bad Request): a path not starting with `/`,
// a malformed escape (%zz, a `%` without two hex digits), %00 (NUL
// truncates paths in C origins and file systems) and raw control bytes.
//
// Not covered (an origin doing these can still resolve a path that the
// edge sees differently; write patterns that allow for it, for example
// /private* instead of /private/*): case-insensitive file systems
// (/PRIVATE/x), `;` path parameters stripped by Java servlet containers
// (/private;x=1/secret), Windows stripping trailing dots and spaces
// (/private./secret), double decoding (%252e%252e) and overlong UTF-8
// (%C0%AE); all of them stay as they are, literal or escaped.
//
// IsNormal is the allocation-free check the edge's fast path uses: a path
// it accepts is its own canonical and access form, so the fast path can
// serve it as received; any other path goes to the full pipeline.
//
// This package imports nothing of OpenFront's and does no I/O.
package urlpath
