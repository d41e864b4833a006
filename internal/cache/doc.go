// Package cache is the edge's object cache: tiered storage of origin
// responses keyed by cache key, collapsed fills from the origin, and purges
// for invalidations.
//
// It owns storing and finding objects and sharing one origin fetch between
// concurrent misses. It does not decide what is cacheable, for how long, or
// what is fresh: the edge (internal/httpcache, internal/cachepolicy) makes
// those decisions and hands the results in (FetchResult.Cacheable,
// Expires). It imports nothing of ours; the edge holds a *Cache
// (edge.Options.Cache) and uses Lookup, Fill and the purges.
//
// # Types
//
//   - Cache combines a memory tier and an optional disk tier (Config).
//     Lookup returns an Entry, fresh or stale; Fill collapses misses and
//     returns a Stream per caller; Purge and PurgeDistribution implement
//     invalidations ("Invalidate files", AWS CloudFront Developer Guide);
//     Stats feeds metrics.
//   - Storage is the four-verb-plus-usage interface each tier implements
//     (cache/memory, cache/disk); Spooler adds Create for tiers that take a
//     body while it streams. cache/cachetest is their conformance suite
//     It is deliberately smaller than souin's storage interface:
//     no TTL writes, no fresh/stale split, no
//     identity methods; staleness is a field of Meta.
//   - Meta is an object's metadata; Header is its compact, immutable
//     response header; Entry is a found object with its body as a []byte
//     (memory) or an *os.File (disk).
//
// # Why these pieces
//
// The memory tier is otter v2: W-TinyLFU with a
// byte weigher. The disk tier is our own code: one file per object
// gives sendfile on plain HTTP, crash recovery by rescanning, and exact
// control of eviction, which an LSM store would not. Request collapsing
// could use x/sync singleflight, but singleflight hands the result to
// the waiters only when the function returns, and here waiters must join
// and read while the body is still arriving; so collapsing is a mutex-guarded
// map of in-flight fills that live until their body is complete (the
// "fan-out writer" collapsing needs, without a second mechanism beside it).
//
// # Streaming fill
//
// The first Fill for a key starts the fetch on a context detached from its
// viewer (context.WithoutCancel plus FillRequest.Timeout) and
// registers the fill; later Fills for the key join it. The fetch runs on
// a goroutine of its own, or, with FillRequest.OnCaller (the edge's
// misses), on the first caller's, which then also copies a small body
// before returning. Each caller gets a
// Stream once the origin's headers are in. The fill's goroutine reads the
// origin body into one of three places and publishes the written length
// under a mutex; readers copy what is below that length and wait (on a
// channel closed at every change) for more:
//
//   - memory mode, bodies of known length up to Config.MaxMemoryObject: one
//     buffer of exactly that length, which becomes the stored body without a
//     copy. Unknown length: 32 KiB chunks, joined into one slice at the end.
//   - spool mode, larger bodies with a disk tier: the tier's temporary file;
//     readers pread it. An unknown-length body that outgrows memory is moved
//     to a spool mid-stream. At the end the spool is committed (renamed).
//     If a spool write fails (disk full, I/O error) the fill goes on in
//     window mode: bytes already written are still read from the spool,
//     the rest streams through chunks, and the object is not stored, so
//     every reader still gets the whole body.
//   - window mode, bodies that will not be stored (uncacheable, or too
//     large with no disk tier): chunks are dropped once every reader has
//     passed them, and the fill stops reading from the origin while its
//     slowest reader is 1 MiB behind. Such a fill is no longer joinable.
//
// A reader may leave at any time (Close, or its context ends, which Fill
// watches with context.AfterFunc); the fill goes on and is stored, unless it
// is in window mode and has no reader left. A fill that is purged while in
// flight still streams to its readers but is not stored, and new requests
// start a new fill. Purges and stores are ordered by an RWMutex so a store
// never lands after a purge that should have removed it.
//
// Uncacheable responses (FetchResult.Cacheable false) are read only by the
// request that started the fill; each waiter then fetches for itself. This
// is CloudFront's behaviour for private/no-store responses ("Request and
// response behavior for custom origins", request collapsing) and keeps one
// viewer's private response from reaching another.
//
// # Caveats
//
//   - Entry.Body, Meta and Header are shared by every reader: never modify
//     them. Header.CopyTo puts stored slices into the destination header;
//     replacing or appending is safe, assigning dst[name][i] is not.
//   - Entry.File holds metadata after the body: use Meta.Size, never the
//     file's size, and Close every Entry.
//   - A Stream is for one goroutine. Its Meta.Size is -1 when the origin
//     sent no length.
//   - Small objects are written through to the disk tier when there is one
//     (one file each) and promoted back to memory on a disk hit; purges,
//     stores and promotions are ordered so a purge cannot be undone.
//   - The memory tier may refuse a new object (W-TinyLFU admission), so a
//     completed fill is not a promise of a later hit.
//   - Purge walks every stored object (there is no per-distribution index;
//     purges are rare) and holds the store lock meanwhile, so fills that
//     complete during a purge wait for it.
//   - Fill timeouts bound the whole fill, body included; the edge must pass
//     one fitting the object (Config.FillTimeout is only the default).
package cache
