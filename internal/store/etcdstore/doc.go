// Package etcdstore is the multi-node store.Store: the control plane kept in
// an etcd cluster (v3 API through go.etcd.io/etcd/client/v3), so that API
// nodes and edge nodes on many machines share one source of truth.
//
// Open returns a *Store; Close releases it (and its client). The behaviour
// is the store.Store contract, checked by store/storetest, with the
// differences listed under "Revisions" below. Only plain KV, Txn, Watch and
// Compact calls are used, so etcd 3.4 servers (Debian 12) and newer behave
// the same.
//
// # Layout
//
// Under Options.Prefix (default "/openfront/"):
//
//	<prefix>kv/<key>   the store's keys; the value is stored as is
//	<prefix>lock       the writers' guard key (see Update); its value is unused
//
// Other keys under the prefix (the fleet's leased "edges/<node>/<lease>"
// reports, internal/fleet/etcdfleet) are outside the store: List and Watch
// never see them. The fleet reads the guard key's ModRevision, the
// revision of the last Update, to tell when an edge back from a lost lease
// has caught up.
//
// # Revisions
//
// The store's revision is etcd's cluster revision: a key's CreateRevision
// and ModRevision are etcd's, Update returns the revision of its etcd Txn,
// Watch(afterRev) is an etcd watch from afterRev+1, and a compacted start
// revision is store.ErrCompacted. One writing Update is one Txn, so one
// revision, and all its writes carry it. Unlike boltstore, the revision
// space is shared with every other writer of the cluster (fleet reports,
// other prefixes), so revisions of this store increase but may skip numbers,
// a new store need not start at 0, and inside Update, Revision() is the
// revision the transaction reads at, while the commit's own revision is only
// known when Update returns (own writes read back with the predicted
// ModRevision Revision()+1; the committed one may be higher). storetest's
// SharedRevisions option states exactly that.
//
// # Update
//
// Update is optimistic. It reads the guard key, which gives the read
// revision R; every read of fn (Get, List) is served by etcd at R, so fn sees
// one consistent state, plus its own buffered writes. The commit is one Txn:
// if the guard key's ModRevision is still the one read, apply fn's writes
// (one Put or Delete per key, in the order of each key's first write) and
// put the guard key; otherwise re-run fn on a fresh read, with jittered
// backoff, up to a bound (ErrContention).
//
// Every Update writes the guard key, so a successful compare proves that no
// Update committed since R: all of fn's reads, including the absence of keys
// and whole List results, are still current. That is a per-prefix global
// lock in effect: writers of the control plane are serialised (Updates of
// one process also queue on a mutex, so they never waste a round trip on
// each other). Control-plane writes are rare, so this costs nothing that
// matters, and it is far simpler than comparing every read key plus a guard
// per listed prefix, which would also run into etcd's --max-txn-ops limit
// (128 by default) on Lists of many keys. The one cost: unrelated Updates
// from different nodes conflict and retry.
//
// # Caveats
//
//   - An Update may write at most --max-txn-ops - 1 keys (127 by default);
//     bigger ones fail with etcd's "too many operations in txn request".
//   - fn may run more than once (store.Store allows it): no side effects.
//   - A key deleted and put again in one Update is one etcd Put, so it keeps
//     its CreateRevision (boltstore gives it a new one); etcd refuses two
//     operations on one key in a Txn.
//   - A View or Update whose read revision is compacted while fn runs fails
//     (View) or retries (Update).
//   - Options.CompactRetain compacts the whole cluster (etcd compaction is
//     not per prefix). Leave it 0 in production and let etcd's
//     --auto-compaction-retention do the job; the snapshot watcher reloads
//     when its watch meets a compaction.
//   - A watcher that does not read is buffered by the etcd client, in
//     memory, without bound.
package etcdstore
