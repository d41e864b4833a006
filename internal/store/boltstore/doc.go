// Package boltstore is the single-node store.Store: the whole control plane
// in one bbolt file, with every commit fsynced before Update returns.
//
// Open returns a *Store; Close releases it. There is nothing else to learn:
// the behaviour is the store.Store contract, checked by store/storetest.
// Check verifies a file's invariants for tests and diagnosis.
//
// # Layout
//
// The file has three buckets:
//
//	kv    key -> CreateRevision (8 bytes, big-endian) | ModRevision (8 bytes) | value
//	meta  "revision" -> current revision (8 bytes, big-endian); "format" -> "1"
//	log   revision (8 bytes, big-endian) -> that commit's []store.Change
//
// A writing Update changes all three in one bbolt transaction: its keys in
// kv, the revision in meta, and a new log entry, trimming log entries older
// than the latest Options.LogRetain revisions (default 10000). So the log
// always ends at the current revision and holds consecutive revisions. A log
// entry lists each key the commit changed once, with its final value or as
// deleted, in the order of the key's first write. An Update that changes
// nothing (only reads, deletes a missing key, or creates and deletes the same
// key) is rolled back: no revision, no fsync.
//
// # Watch
//
// Every watch is a goroutine that reads the log bucket, in short read
// transactions, from the last revision it delivered; when it has caught up it
// sleeps until the next commit. Commits wake watchers by closing a channel
// (and replacing it) after the bbolt commit returns; a watcher takes that
// channel before each read, so a commit landing between its read and its
// sleep still wakes it.
//
// This is simpler than it may look next to the alternative, a broadcaster
// that pushes each commit's events into per-watcher queues, and it has the
// properties that one would need care to get:
//
//   - The replay and live phases are one loop over one source, so nothing is
//     delivered twice or skipped where replay ends and live begins.
//   - Order is the log's key order; concurrent commits need no ordering of
//     their notifications, because a notification says only "look again".
//   - A slow watcher holds no lock, no queue and no read transaction while it
//     waits on its consumer, so writers never wait for it. If it falls so far
//     behind that its next revision has been trimmed, it gets
//     store.ErrCompacted, like one that asks for an old revision.
//
// A watch ends when its context ends (the channel is closed) or the store
// closes (Event{Err: store.ErrClosed} is sent first, unless the context ends
// while it waits to be read).
//
// # Caveats
//
//   - Single writer. bbolt serialises read-write transactions, and so Updates
//     run one at a time, each paying one fsync (about 1 ms on an SSD; much
//     more on spinning disks or network storage). That is plenty for a control
//     plane, which writes rarely. Updates do not use bbolt's Batch, which would
//     share one commit and one revision between callers.
//   - One process. bbolt locks the file; a second Open (from another process,
//     or this one) fails with ErrInUse after Options.LockTimeout.
//   - Long transactions hurt. A View holds a read transaction for as long as
//     its fn runs, and bbolt cannot grow the file's memory map while one is
//     open, so a slow View can stall writers. Read, copy, return.
//   - A transaction belongs to its fn: it is not safe for concurrent use, and
//     once fn returns, its methods fail.
//   - Values returned by Get and List and carried by events are copies, so
//     they can be kept and changed freely; this costs an allocation per value.
//   - Revisions count commits, not keys: one Update writing many keys takes
//     one revision.
package boltstore
