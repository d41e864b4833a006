// Package pathpattern implements CloudFront's cache-behaviour PathPattern:
// validation of a pattern as the API accepts it and matching of a viewer
// request path against a compiled pattern.
//
// It follows the CloudFront Developer Guide, "Path pattern" in
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-web-values-specify.html#DownloadDistValuesPathPattern
// (also the "Cache behavior settings" page), which also gives the validation
// rule; matching the raw, still percent-encoded path is OpenFront's choice.
//
// Semantics:
//   - `*` matches zero or more characters, including `/`.
//   - `?` matches exactly one character (one byte, see Caveats).
//   - Every other character is literal; matching is case-sensitive and must
//     cover the whole path.
//   - A leading `/` is optional on the pattern: `images/*.jpg` ≡
//     `/images/*.jpg`. Both pattern and path are normalised by dropping one
//     leading `/`, which is the same as adding one to both.
//   - The default cache behaviour's pattern is `*` (see Default).
//
// Main types: Pattern (from Compile) and its Match method; ValidatePattern
// for the control plane.
//
// Implementation: Compile splits the pattern at `*` into literal segments
// (which may contain `?`). Match anchors the first segment at the start and
// the last at the end, then finds each middle segment leftmost-first. This is
// the "backtrack only to the last star" glob algorithm expressed over
// segments: greedy leftmost placement is always correct because the stars
// between segments absorb anything, so no segment is ever retried. The cost
// is O(len(path)·len(segment)) in the worst case for a segment containing
// `?`, and strings.Index speed for plain segments; never exponential, no
// regexp at match time, and no allocation. Hand-written rather than
// path.Match or regexp because `*` must cross `/` and the hit path must not
// allocate.
//
// This package imports nothing of OpenFront's and does no I/O.
//
// Caveats:
//   - Match compares bytes; it does not normalise. The edge passes the
//     access form of the viewer path (internal/urlpath.ForAccess: RFC 3986
//     normalised as CloudFront documents, %2F as `/`, runs of `/` merged),
//     without the query string. So a pattern containing `//` never matches
//     a request, and a pattern is best written with unreserved characters
//     unescaped (`~`, not `%7E`), as the path it is compared with has them.
//   - `?` matches one byte, not one UTF-8 character. Request paths on the
//     wire are percent-encoded ASCII, so the two agree for every conforming
//     request; a raw non-ASCII byte sequence in a path counts byte by byte.
//   - Compile validates with ValidatePattern, so a pattern the API would
//     reject never compiles.
package pathpattern
