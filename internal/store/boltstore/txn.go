package boltstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"openfront/internal/store"
)

// readTxn is the store.ReadTxn of View, and the reading half of writeTxn.
type readTxn struct {
	kv    *bolt.Bucket
	rev   int64 // the committed revision the transaction started at
	ended bool  // fn has returned: bbolt's transaction is gone
}

// errTxnEnded is returned by a transaction used after its fn returned.
var errTxnEnded = errors.New("boltstore: transaction used after its function returned")

// end marks the transaction unusable once fn has returned, so a kept
// transaction fails cleanly instead of reaching into a closed bbolt one.
func (r *readTxn) end() { r.ended = true }

func newReadTxn(tx *bolt.Tx) (*readTxn, error) {
	rev, err := readRevision(tx)
	if err != nil {
		return nil, err
	}
	return &readTxn{kv: tx.Bucket(bucketKV), rev: rev}, nil
}

// Get implements store.ReadTxn.
func (r *readTxn) Get(key string) (store.KV, bool, error) {
	if r.ended {
		return store.KV{}, false, errTxnEnded
	}
	b := r.kv.Get([]byte(key))
	if b == nil {
		return store.KV{}, false, nil
	}
	kv, err := decodeRecord(key, b)
	if err != nil {
		return store.KV{}, false, fmt.Errorf("get %q: %w", key, err)
	}
	return kv, true, nil
}

// List implements store.ReadTxn.
func (r *readTxn) List(prefix string) ([]store.KV, error) {
	if r.ended {
		return nil, errTxnEnded
	}
	p := []byte(prefix)
	var kvs []store.KV
	c := r.kv.Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		kv, err := decodeRecord(string(k), v)
		if err != nil {
			return nil, fmt.Errorf("list %q: %w", prefix, err)
		}
		kvs = append(kvs, kv)
	}
	return kvs, nil
}

// ListKeys implements store.ReadTxn.
func (r *readTxn) ListKeys(prefix string) ([]store.KV, error) {
	if r.ended {
		return nil, errTxnEnded
	}
	p := []byte(prefix)
	var kvs []store.KV
	c := r.kv.Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if len(v) < recordHeader {
			return nil, fmt.Errorf("list keys %q: record %q: %w", prefix, k, errCorrupt)
		}
		kvs = append(kvs, store.KV{
			Key:            string(k),
			CreateRevision: int64(binary.BigEndian.Uint64(v[0:8])),
			ModRevision:    int64(binary.BigEndian.Uint64(v[8:16])),
		})
	}
	return kvs, nil
}

// Revision implements store.ReadTxn. In an Update it is the revision before
// the commit; the transaction's own writes carry Revision()+1.
func (r *readTxn) Revision() int64 { return r.rev }

// writeTxn is the store.Txn of Update. Writes go straight into the bbolt
// transaction (so reads see them, and a failed fn rolls them back with it);
// writeTxn also notes each written key once for the change log.
type writeTxn struct {
	readTxn
	pending []pendingChange
	index   map[string]int // key -> position in pending
}

// pendingChange is the latest write to one key in this transaction.
type pendingChange struct {
	store.Change
	existed bool // the key existed before the transaction
}

func newWriteTxn(tx *bolt.Tx) (*writeTxn, error) {
	r, err := newReadTxn(tx)
	if err != nil {
		return nil, err
	}
	return &writeTxn{readTxn: *r, index: make(map[string]int)}, nil
}

// Put implements store.Txn.
func (w *writeTxn) Put(key string, value []byte) error {
	if w.ended {
		return errTxnEnded
	}
	if key == "" {
		return errors.New("put: empty key")
	}
	if err := store.CheckPut(key, value); err != nil {
		return err
	}
	k := []byte(key)
	rev := w.rev + 1
	create := rev
	old := w.kv.Get(k)
	if old != nil {
		if len(old) < recordHeader {
			return fmt.Errorf("put %q: %w", key, errCorrupt)
		}
		create = int64(binary.BigEndian.Uint64(old[0:8]))
	}
	rec := encodeRecord(create, rev, value)
	if err := w.kv.Put(k, rec); err != nil {
		return fmt.Errorf("put %q: %w", key, err)
	}
	// rec is never modified, so the change can share its value bytes.
	w.note(key, old != nil, store.Change{Key: key, Value: rec[recordHeader:]})
	return nil
}

// Delete implements store.Txn. Deleting a missing key writes nothing.
func (w *writeTxn) Delete(key string) error {
	if w.ended {
		return errTxnEnded
	}
	k := []byte(key)
	if w.kv.Get(k) == nil {
		return nil
	}
	if err := w.kv.Delete(k); err != nil {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	w.note(key, true, store.Change{Key: key, Deleted: true})
	return nil
}

// note records c as the latest write to its key. existsNow says whether the
// key existed just before this write; it is kept from the key's first write,
// when it is the state before the transaction.
func (w *writeTxn) note(key string, existsNow bool, c store.Change) {
	if i, ok := w.index[key]; ok {
		w.pending[i].Change = c
		return
	}
	w.index[key] = len(w.pending)
	w.pending = append(w.pending, pendingChange{Change: c, existed: existsNow})
}

// changes returns what the transaction changed, one entry per key in the
// order of each key's first write: a key both created and deleted in the
// transaction changed nothing.
func (w *writeTxn) changes() []store.Change {
	var cs []store.Change
	for _, p := range w.pending {
		if p.Deleted && !p.existed {
			continue
		}
		cs = append(cs, p.Change)
	}
	return cs
}

var (
	_ store.ReadTxn = (*readTxn)(nil)
	_ store.Txn     = (*writeTxn)(nil)
)
