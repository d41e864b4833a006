// Package store is the single source of truth of the control plane: a small,
// revisioned key-value interface that both the embedded bbolt store
// (store/boltstore) and the etcd store (later, store/etcdstore) implement.
//
// Every committed Update bumps one global revision. Each key remembers the
// revision that created it and the one that last modified it, so an ETag or
// an edge's "applied revision" is always one number. Watch delivers every
// change after a revision, in order, so edges can follow the store without
// ever reading it on a request path.
//
// The conformance suite in store/storetest is the contract: every
// implementation runs it.
package store

import (
	"context"
	"errors"
	"fmt"
)

// Errors returned by implementations.
var (
	// ErrCompacted is sent on a watch (as Event.Err) when the requested start
	// revision is older than the oldest change the store still keeps. The
	// consumer resyncs from a full listing (View) and watches again from
	// that revision.
	ErrCompacted = errors.New("store: revision compacted")
	// ErrClosed is returned by any call on a closed store.
	ErrClosed = errors.New("store: closed")
	// ErrTooLarge is returned (wrapped) by Txn.Put for a key longer than
	// MaxKeyBytes or a value larger than MaxValueBytes; nothing is written.
	// The API answers it as a client error: the request carried the value.
	ErrTooLarge = errors.New("store: key or value too large")
	// ErrUnavailable is returned (wrapped) when the backend does not answer
	// in time or cannot be reached (etcd down or partitioned away). The
	// call may be retried later; the API answers 503.
	ErrUnavailable = errors.New("store: unavailable")
)

// Size limits every implementation enforces in Txn.Put, below those of
// every backend (bbolt refuses keys over 32 KiB; etcd refuses requests
// over 1.5 MiB by default), so that an oversize write is ErrTooLarge and
// never the backend's own failure. Requests are checked against
// CloudFront's field limits long before these (model.CheckLimits); these
// are the last line.
const (
	MaxKeyBytes   = 20 << 10
	MaxValueBytes = 1 << 20
)

// CheckPut returns ErrTooLarge, wrapped with the sizes, when key or value
// is over the limits. Implementations call it first in Txn.Put.
func CheckPut(key string, value []byte) error {
	switch {
	case len(key) > MaxKeyBytes:
		return fmt.Errorf("%w: key of %d bytes (at most %d)", ErrTooLarge, len(key), MaxKeyBytes)
	case len(value) > MaxValueBytes:
		return fmt.Errorf("%w: value of %q is %d bytes (at most %d)", ErrTooLarge, key[:min(len(key), 64)], len(value), MaxValueBytes)
	}
	return nil
}

// KV is one stored key with its value and revisions.
type KV struct {
	Key            string
	Value          []byte
	CreateRevision int64 // revision of the Update that created the key
	ModRevision    int64 // revision of the Update that last wrote the key
}

// ReadTxn reads a consistent view of the store at one revision.
// Values returned are copies: they stay valid after the transaction ends.
type ReadTxn interface {
	// Get returns the key, or ok=false when it does not exist.
	Get(key string) (kv KV, ok bool, err error)
	// List returns every key with the prefix, in byte order of the keys.
	List(prefix string) ([]KV, error)
	// ListKeys is List without the values (Value is nil): for counting and
	// paging a large prefix without copying every value.
	ListKeys(prefix string) ([]KV, error)
	// Revision is the store revision this transaction reads at.
	Revision() int64
}

// Txn is a read-write transaction. Reads see the transaction's own writes.
type Txn interface {
	ReadTxn
	Put(key string, value []byte) error
	// Delete removes the key; deleting a missing key is not an error.
	Delete(key string) error
}

// Store is the revisioned key-value store.
type Store interface {
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(ReadTxn) error) error
	// Update runs fn in a read-write transaction and commits it when fn
	// returns nil (and rolls back otherwise). A commit that wrote anything
	// bumps the global revision by exactly one; all its writes carry that
	// revision, which Update returns (0 when nothing was written or fn
	// failed). Update returns only once the commit is durable.
	//
	// Implementations with optimistic concurrency (etcd) may run fn more
	// than once: fn must not have side effects outside the transaction.
	Update(ctx context.Context, fn func(Txn) error) (rev int64, err error)
	// Watch sends, in revision order, every committed change with a
	// revision greater than afterRev, then follows new commits until ctx
	// ends (the channel is then closed). An Event with Err set is the last
	// one on the channel.
	Watch(ctx context.Context, afterRev int64) <-chan Event
	// Close releases the store. Watches end.
	Close() error
}

// Event is one committed Update as seen by a watcher.
type Event struct {
	Revision int64
	Changes  []Change
	Err      error // ErrCompacted or ErrClosed; no other field is set then
}

// Change is one key written or deleted by a commit.
type Change struct {
	Key     string
	Value   []byte // nil when Deleted
	Deleted bool
}
