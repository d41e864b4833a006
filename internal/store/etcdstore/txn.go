package etcdstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"openfront/internal/store"
)

// errTxnEnded is returned by a transaction used after its fn returned.
var errTxnEnded = errors.New("etcdstore: transaction used after its function returned")

// readTxn is the store.ReadTxn of View, and the reading half of writeTxn:
// every read is an etcd range at the transaction's revision.
type readTxn struct {
	s     *Store
	ctx   context.Context
	rev   int64
	ended bool
}

func (r *readTxn) end() { r.ended = true }

// Revision implements store.ReadTxn: the etcd revision every read sees.
func (r *readTxn) Revision() int64 { return r.rev }

// Get implements store.ReadTxn.
func (r *readTxn) Get(key string) (store.KV, bool, error) {
	if r.ended {
		return store.KV{}, false, errTxnEnded
	}
	ctx, cancel := r.s.callContext(r.ctx)
	defer cancel()
	resp, err := r.s.client.Get(ctx, r.s.kvPrefix+key, clientv3.WithRev(r.rev))
	if err != nil {
		return store.KV{}, false, r.readErr("get "+key, err)
	}
	if len(resp.Kvs) == 0 {
		return store.KV{}, false, nil
	}
	return r.kv(resp.Kvs[0]), true, nil
}

// List implements store.ReadTxn. etcd returns ranges in byte order of keys.
func (r *readTxn) List(prefix string) ([]store.KV, error) {
	if r.ended {
		return nil, errTxnEnded
	}
	ctx, cancel := r.s.callContext(r.ctx)
	defer cancel()
	resp, err := r.s.client.Get(ctx, r.s.kvPrefix+prefix, clientv3.WithPrefix(), clientv3.WithRev(r.rev))
	if err != nil {
		return nil, r.readErr("list "+prefix, err)
	}
	var kvs []store.KV
	for _, kv := range resp.Kvs {
		kvs = append(kvs, r.kv(kv))
	}
	return kvs, nil
}

// ListKeys implements store.ReadTxn.
func (r *readTxn) ListKeys(prefix string) ([]store.KV, error) {
	if r.ended {
		return nil, errTxnEnded
	}
	ctx, cancel := r.s.callContext(r.ctx)
	defer cancel()
	resp, err := r.s.client.Get(ctx, r.s.kvPrefix+prefix, clientv3.WithPrefix(), clientv3.WithRev(r.rev), clientv3.WithKeysOnly())
	if err != nil {
		return nil, r.readErr("list keys "+prefix, err)
	}
	kvs := make([]store.KV, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		k := r.kv(kv)
		k.Value = nil
		kvs = append(kvs, k)
	}
	return kvs, nil
}

func (r *readTxn) kv(kv *mvccpb.KeyValue) store.KV {
	return store.KV{
		Key:            strings.TrimPrefix(string(kv.Key), r.s.kvPrefix),
		Value:          bytes.Clone(kv.Value),
		CreateRevision: kv.CreateRevision,
		ModRevision:    kv.ModRevision,
	}
}

// readErr maps a read's error. A compacted read revision is errRetry, which
// Update answers by running fn again on a fresh revision (and which is also
// store.ErrCompacted for a View).
func (r *readTxn) readErr(op string, err error) error {
	if errors.Is(err, rpctypes.ErrCompacted) && !r.s.closed() && r.ctx.Err() == nil {
		return fmt.Errorf("%s: %w (%w)", op, errRetry, store.ErrCompacted)
	}
	return fmt.Errorf("%s: %w", op, r.s.mapErr(r.ctx, err))
}

// writeTxn is the store.Txn of Update: reads go to etcd at the read
// revision and then through the transaction's own buffered writes.
type writeTxn struct {
	readTxn
	pending []pending      // one per written key, in first-write order
	index   map[string]int // key -> position in pending
}

// pending is the latest write to one key in this transaction.
type pending struct {
	key     string
	value   []byte
	deleted bool
	existed bool  // the key existed at the read revision
	create  int64 // CreateRevision the key has in the transaction's view
}

// Get implements store.Txn: the transaction's own writes first.
func (w *writeTxn) Get(key string) (store.KV, bool, error) {
	if w.ended {
		return store.KV{}, false, errTxnEnded
	}
	if i, ok := w.index[key]; ok {
		p := w.pending[i]
		if p.deleted {
			return store.KV{}, false, nil
		}
		return w.pendingKV(p), true, nil
	}
	return w.readTxn.Get(key)
}

// pendingKV is how a buffered write reads back: ModRevision is the
// predicted commit revision Revision()+1 (see the package documentation).
func (w *writeTxn) pendingKV(p pending) store.KV {
	return store.KV{Key: p.key, Value: bytes.Clone(p.value), CreateRevision: p.create, ModRevision: w.rev + 1}
}

// List implements store.Txn: the stored keys at the read revision merged
// with the transaction's own writes.
func (w *writeTxn) List(prefix string) ([]store.KV, error) {
	if w.ended {
		return nil, errTxnEnded
	}
	kvs, err := w.readTxn.List(prefix)
	if err != nil {
		return nil, err
	}
	out := kvs[:0:0]
	for _, kv := range kvs {
		if _, ok := w.index[kv.Key]; !ok {
			out = append(out, kv)
		}
	}
	for _, p := range w.pending {
		if !p.deleted && strings.HasPrefix(p.key, prefix) {
			out = append(out, w.pendingKV(p))
		}
	}
	slices.SortFunc(out, func(a, b store.KV) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// ListKeys implements store.Txn: the keys at the read revision overlaid
// with the transaction's own writes, without values.
func (w *writeTxn) ListKeys(prefix string) ([]store.KV, error) {
	kvs, err := w.List(prefix)
	for i := range kvs {
		kvs[i].Value = nil
	}
	return kvs, err
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
	cur, exists, err := w.Get(key)
	if err != nil {
		return err
	}
	create := w.rev + 1
	if exists {
		create = cur.CreateRevision
	}
	w.note(key, pending{key: key, value: bytes.Clone(value), create: create})
	return nil
}

// Delete implements store.Txn. Deleting a missing key writes nothing.
func (w *writeTxn) Delete(key string) error {
	if w.ended {
		return errTxnEnded
	}
	_, exists, err := w.Get(key)
	if err != nil || !exists {
		return err
	}
	w.note(key, pending{key: key, deleted: true})
	return nil
}

// note records p as the latest write to its key, keeping the key's first
// position and whether it existed at the read revision.
func (w *writeTxn) note(key string, p pending) {
	if i, ok := w.index[key]; ok {
		p.existed = w.pending[i].existed
		w.pending[i] = p
		return
	}
	// The key was read (through Get, just before) at the read revision:
	// a first write to a key that exists now means it existed before.
	p.existed = p.deleted || p.create <= w.rev
	w.index[key] = len(w.pending)
	w.pending = append(w.pending, p)
}

// ops are the etcd operations of the commit: one per changed key, in the
// order of the key's first write. A key created and deleted in the
// transaction changed nothing.
func (w *writeTxn) ops() []clientv3.Op {
	var ops []clientv3.Op
	for _, p := range w.pending {
		switch {
		case p.deleted && !p.existed:
		case p.deleted:
			ops = append(ops, clientv3.OpDelete(w.s.kvPrefix+p.key))
		default:
			ops = append(ops, clientv3.OpPut(w.s.kvPrefix+p.key, string(p.value)))
		}
	}
	return ops
}

var (
	_ store.ReadTxn = (*readTxn)(nil)
	_ store.Txn     = (*writeTxn)(nil)
)
