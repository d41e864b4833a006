// Package memory is the in-memory tier of the object cache: a
// cache.Storage over an otter v2 cache (W-TinyLFU admission and eviction)
// bounded by bytes through a weigher.
//
// An entry is one small struct holding the cache.Meta by value and the body
// slice; the header is a cache.Header (a sorted []string of name/value
// pairs sharing one string), and DistID and Path reuse the key's bytes when
// the key contains them, so per-entry overhead stays small: about 0.6 KiB
// over a 1 KiB body with four headers (TestMemory_overheadPer1KiBObject).
// Get does not allocate. The edge's fast path may leave a rendering of an
// object's head with its item (cache.Rendering, KeepRendering, from the
// object's second hit); the item is then weighed again with it, so that
// the byte bound covers it (TestFootprint's rendered cases).
//
// Otter's expiry is not used: stale objects stay until evicted by weight or
// deleted, because the edge serves them stale or revalidates them.
//
// # Caveats
//
//   - Put keeps the caller's body slice; the caller must not modify it.
//   - Eviction runs in otter's maintenance, so Usage may exceed the bound
//     briefly; CleanUp forces it.
//   - The weight counts a fixed 256-byte overhead per entry as an estimate
//     of otter's node and our item; it is not measured.
package memory
