// Package disk is the on-disk tier of the object cache: a cache.Spooler
// with one file per object under a directory, bounded by total bytes with
// least-recently-used eviction. It is our own code rather than an embedded
// store: files give sendfile(2) on hits, simple
// crash recovery, and exact control of eviction.
//
// # Layout
//
// An object for key lives at Dir/hh/hh/<sha256(key) in hex>. Its file is
// the body, then a metadata blob (the key and cache.Meta in binary), then a
// 16-byte trailer: blob length, CRC-32C of the blob, magic. The body comes
// first so that file offsets are body offsets: readers of an in-progress
// fill follow the temporary file with the same offsets, and hits seek and
// copy without arithmetic. Objects are written to Dir/tmp and renamed into
// place on Commit, so a reader sees either the old file or the complete new
// one.
//
// # Index
//
// The index (key -> distribution, path, sizes, LRU position) is in memory.
// Open rebuilds it by scanning Dir, oldest modification time first; it
// removes leftover temporary files and every file that fails the trailer,
// CRC, length or name check. Get reads the metadata from the opened file
// itself (one fstat and one pread for most objects), so a hit is consistent
// even if the object is replaced concurrently.
//
// # Caveats
//
//   - No fsync: after a power loss a file may be short or empty; it fails
//     its check at the next Open (or Get) and is removed. A cache loses
//     nothing by that.
//   - The body has no checksum; only metadata and length are verified.
//   - Recency is not persisted: after a restart the LRU order is the files'
//     write order.
//   - Eviction and Delete remove files under the tier's lock, and Commit
//     renames under it, so a concurrent commit of the same key is never
//     deleted by mistake; open readers keep reading a removed file.
//   - Everything under Dir belongs to the tier: foreign files are deleted.
package disk
