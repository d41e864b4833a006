package snapshot

import (
	"log/slog"
	"maps"
	"strings"

	"openfront/internal/functions"
	"openfront/internal/model"
)

// Key value stores reach the edge like any other record: their keys
// (kvsitem/<store id>/<key>) and records (kvs/<name>) are kept in the
// watcher's working set, and each function associating a store gets an
// immutable view of it (functions.KeyValueStore), so cf.kvs() reads memory
// only ("Helper methods for key value stores", CloudFront Developer
// Guide). A view is rebuilt only when its store changed since the last
// snapshot; unchanged stores are shared between snapshots.

// applyKVSItem keeps one key of a store (or deletes it).
func (r *records) applyKVSItem(key string, value []byte, deleted bool) bool {
	id, k, ok := model.SplitKeyValueStoreItemKey(key)
	if !ok {
		return false
	}
	delete(r.kvsViews, id)
	items := r.kvsItems[id]
	if deleted {
		delete(items, k)
		if len(items) == 0 {
			delete(r.kvsItems, id)
		}
		return true
	}
	if items == nil {
		items = map[string]string{}
		r.kvsItems[id] = items
	}
	items[k] = string(value)
	return true
}

// applyKVSRecord keeps a store's record; its view is rebuilt.
func (r *records) applyKVSRecord(key string, value []byte, deleted bool, log *slog.Logger) bool {
	if old := r.kvsRecords[key]; old != nil {
		delete(r.kvsViews, old.ID)
	}
	relevant := applyRecord(r.kvsRecords, key, value, deleted, log)
	if rec := r.kvsRecords[key]; rec != nil {
		delete(r.kvsViews, rec.ID)
	}
	return relevant
}

// kvsView returns the view of the store an ARN names
// (arn:aws:cloudfront::<account>:key-value-store/<id>); nil when no store
// has that id.
func (r *records) kvsView(arn string) *functions.KeyValueStore {
	i := strings.LastIndex(arn, ":key-value-store/")
	if i < 0 {
		return nil
	}
	id := arn[i+len(":key-value-store/"):]
	if v := r.kvsViews[id]; v != nil {
		return v
	}
	for _, rec := range r.kvsRecords {
		if rec.ID != id {
			continue
		}
		created := rec.Created
		if created.IsZero() {
			created = rec.LastModified
		}
		v := &functions.KeyValueStore{ID: id, Created: created, LastModified: rec.LastModified, Items: maps.Clone(r.kvsItems[id])}
		if v.Items == nil {
			v.Items = map[string]string{}
		}
		r.kvsViews[id] = v
		return v
	}
	return nil
}
