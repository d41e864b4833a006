// Package storetest is the conformance suite of store.Store: the contract
// every implementation (boltstore now, etcdstore later) must pass. An
// implementation's test file calls it with a constructor:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return mustOpen(t, boltstore.Options{}) })
//		storetest.RunCompaction(t, func(t *testing.T, retain int) store.Store {
//			return mustOpen(t, boltstore.Options{LogRetain: retain})
//		})
//	}
//
// Run covers reads and writes (Get, List by prefix in byte order, Put,
// Delete), revisions (one per writing Update, none for an Update that writes
// nothing or fails, CreateRevision and ModRevision), rollback, reads of a
// transaction's own writes, copies of returned values, and Watch: replay from
// any revision, live commits, every revision exactly once and in order under
// concurrent writers, a slow watcher that must not block writers, and the end
// of a watch by cancellation or Close. RunCompaction covers a watch that asks
// for revisions the store no longer keeps (store.ErrCompacted). Retention is
// a constructor argument there because each implementation forgets history
// its own way (a trimmed log in bbolt, compaction in etcd).
//
// Subtests run in parallel, each on its own store. Waits are bounded by a
// timeout that is only reached when a test fails.
//
// Two details the suite pins down beyond the interface's comments: an
// event's Changes hold one entry per key, its last write in the commit, in
// the order of the key's first write; and inside Update, Revision() is the
// revision before the commit, so the transaction's own writes read back with
// ModRevision Revision()+1.
//
// By default the suite expects a store that owns its revision space
// (boltstore): a new store is at revision 0 and each writing Update takes the
// next number. An implementation whose revisions are numbers of a space
// shared with other writers (etcdstore: etcd's cluster revision) passes the
// SharedRevisions option, which relaxes exactly those rules to "increasing"
// and "at least" (see its documentation); the links between revisions are
// checked the same way in both cases: every write of a commit carries the
// revision Update returned, and Watch delivers exactly the revisions the
// Updates returned, in order, with their changes.
//
//	storetest.Run(t, newEtcdStore, storetest.SharedRevisions())
package storetest
