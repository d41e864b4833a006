// Package invalidation holds the pure parts of CloudFront invalidations:
// validating invalidation paths and batches as the API accepts them, and
// deciding whether a cached object is covered by an invalidation.
//
// It follows the CloudFront Developer Guide: the invalidation overview
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Invalidation.html),
// "Concurrent invalidation request maximum" (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/InvalidationLimits.html)
// and "What you need to know when invalidating paths"
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html).
// Creating the record belongs to internal/control, purging to the cache and
// completion to internal/fleet; this package does no I/O and imports
// nothing of OpenFront's but internal/urlpath.
//
// Main types: Matcher (from Compile) with Match and MatchParts. The edge
// purges what a new invalidation matches when its snapshot arrives
// (edge.Server.Apply), so the next request fetches from the origin.
//
// What a path is compared against. The subject is the object's URI as the
// cache keys it: the escaped request path, followed by "?" and the query
// string only when the cache behaviour puts the query string in the cache
// key. This is what AWS documents: "If you configured CloudFront to forward
// query strings to your origin, you must include the query strings when
// invalidating files" (`/images/image.jpg?parameter1=a`), or use
// `/images/image.jpg*` to cover every query variant. So an exact path
// without `?` invalidates only the variant requested without a query
// string; when the behaviour does not key on the query string the caller
// passes an empty query and the one cached object matches. Cookie, header
// and Accept-Encoding variants are not part of the subject: all of them are
// invalidated together.
//
// Matching rules:
//   - An exact path matches the subject byte for byte (case-sensitive;
//     `/images` and `/images/` differ).
//   - A path ending in `*` matches every subject that starts with the part
//     before the `*`, across `/` and `?`: `/images/*`, `/images*` (also
//     `/images2/...`), `/a.jpg*` (all query variants), `/*` (everything).
//   - A leading `/` is added when missing (console form,
//     "What you need to know when invalidating paths"); the
//     API itself requires it (ValidatePath).
//
// URL encoding and normalisation. The subject is the access form of the
// object's path (internal/urlpath.ForAccess: RFC 3986 normalised, %2F as
// `/`, runs of `/` merged), and Compile brings every invalidation path to
// the same form, so `/a%2Ejpg`, `/x/../a.jpg` and `/a.jpg` name one object,
// and an invalidation reaches every spelling a viewer could have cached it
// under (issue #12). It may purge more than a byte comparison would, never
// less. In a wildcard path the partial last segment keeps a `.` or `..`
// as written (`/a/.*` covers `/a/.htaccess`). A path with a malformed
// escape is compared as submitted.
//
// Caveats:
//   - Default root object: a cached `/` is keyed by the viewer path, so
//     invalidating `/index.html` does not reach it by itself; the caller may
//     also test the rewritten path (OpenFront's choice).
//   - Signed URLs: the signature parameters are not in the cache key, so the
//     subject is the part before `?` as AWS documents.
package invalidation
