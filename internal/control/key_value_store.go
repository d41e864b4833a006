package control

import (
	"cmp"
	"context"
	"slices"
	"time"

	"openfront/internal/model"
	"openfront/internal/store"
)

// CloudFront KeyValueStore resources (2020-05-31: CreateKeyValueStore,
// DescribeKeyValueStore, UpdateKeyValueStore, DeleteKeyValueStore,
// ListKeyValueStores). The keys and values themselves are in
// kvs_data.go, the ImportSource in kvs_import.go.

// Key value store statuses. An empty store is ready at once, so only the
// CreateKeyValueStore answer shows PROVISIONING; a store created with an
// ImportSource stays PROVISIONING until its file is read, then is READY
// or PROVISIONING_FAILED.
const (
	KVSProvisioning       = "PROVISIONING"
	KVSReady              = "READY"
	KVSProvisioningFailed = kvsStatusFailed
)

// kvsRefPrefix lists the functions that associate a store:
// kvsref/<name>/<function key>.
func kvsRefPrefix(name string) string { return model.RefsPrefix(model.KeyValueStoreRefPrefix, name) }

// KeyValueStore is a key value store as the API shows it.
type KeyValueStore struct {
	ID, Name, Comment, ARN, Status, ETag string
	LastModified                         time.Time
}

func errNoSuchKVS(name string) error {
	return model.Errorf("EntityNotFound", "The key value store %q does not exist.", name)
}

// kvsConfigETag is the ETag of CloudFront's DescribeKeyValueStore: that of
// the last change to the store itself, not to its keys (see
// model.KeyValueStoreRecord). modRev is the record's ModRevision.
func kvsConfigETag(rec *model.KeyValueStoreRecord, modRev int64) string {
	return etag(rec.ID, cmp.Or(rec.ConfigRevision, modRev))
}

func (c *Control) kvsView(ctx context.Context, rec *model.KeyValueStoreRecord, modRev int64) *KeyValueStore {
	status := rec.Status
	if status == "" {
		status = KVSReady
	}
	return &KeyValueStore{ID: rec.ID, Name: rec.Name, Comment: rec.Comment, ARN: c.arn(ctx, "key-value-store", rec.ID),
		Status: status, ETag: kvsConfigETag(rec, modRev), LastModified: rec.LastModified}
}

func checkKVSComment(comment string) error {
	if len(comment) > maxFunctionComment {
		return model.Errorf("InvalidArgument", "The parameter Comment is too long (maximum %d characters).", maxFunctionComment)
	}
	return nil
}

// KVSInput is what CreateKeyValueStore sets.
type KVSInput struct {
	Name, Comment string
	// ImportSource is the S3 object the store's keys are read from (nil:
	// create the store empty).
	ImportSource *model.KeyValueStoreImportSource
	Tags         []Tag
}

// CreateKeyValueStore creates an empty key value store.
func (c *Control) CreateKeyValueStore(ctx context.Context, in KVSInput) (*KeyValueStore, error) {
	if !functionName.MatchString(in.Name) {
		return nil, model.Errorf("InvalidArgument", "The key value store name %q is not valid: use 1 to 64 letters, digits, hyphens and underscores.", in.Name)
	}
	if err := checkKVSComment(in.Comment); err != nil {
		return nil, err
	}
	var bucket, object string
	if in.ImportSource != nil {
		var err error
		if bucket, object, err = c.checkImportSource(in.ImportSource); err != nil {
			return nil, err
		}
	}
	if len(in.Tags) > 0 {
		return nil, model.Errorf("InvalidArgument", "Tags on key value stores are not supported by OpenFront yet.")
	}
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		if _, ok, err := tx.Get(model.KeyValueStoreKey(in.Name)); err != nil {
			return err
		} else if ok {
			return model.Errorf("EntityAlreadyExists", "A key value store with the name %q already exists.", in.Name)
		}
		n, err := countKeys(tx, model.KeyValueStorePrefix)
		if err != nil {
			return err
		}
		if n >= c.settings.Quotas.KeyValueStores {
			return model.Errorf("EntityLimitExceeded", "You have reached the maximum number of key value stores for this account (%d).", c.settings.Quotas.KeyValueStores)
		}
		now := c.now().UTC()
		rec := &model.KeyValueStoreRecord{ID: newUUID(), Name: in.Name, Comment: in.Comment, Created: now, LastModified: now,
			KeysLastModified: now, ImportSource: in.ImportSource}
		if in.ImportSource != nil {
			rec.Status = KVSProvisioning
		}
		return putJSON(tx, model.KeyValueStoreKey(in.Name), rec)
	})
	if err != nil {
		return nil, err
	}
	if in.ImportSource != nil {
		c.startImport(in.Name, bucket, object)
	}
	// Read back: the ETag is that of the stored revision.
	got, err := c.DescribeKeyValueStore(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	got.Status = KVSProvisioning
	return got, nil
}

// DescribeKeyValueStore returns a key value store by name.
func (c *Control) DescribeKeyValueStore(ctx context.Context, name string) (*KeyValueStore, error) {
	var kvs *KeyValueStore
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kv, ok, err := tx.Get(model.KeyValueStoreKey(name))
		if err != nil {
			return err
		}
		if !ok || !functionName.MatchString(name) {
			return errNoSuchKVS(name)
		}
		rec, err := decode[model.KeyValueStoreRecord](c, kv)
		if err != nil {
			return err
		}
		kvs = c.kvsView(ctx, rec, kv.ModRevision)
		return nil
	})
	return kvs, err
}

// UpdateKeyValueStore changes a store's comment. The store gets a new ETag;
// the ETag and LastModified of its keys (the data plane's) stay.
func (c *Control) UpdateKeyValueStore(ctx context.Context, name, ifMatch, comment string) (*KeyValueStore, error) {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		rec, modRev, err := c.kvsForChange(tx, name, ifMatch)
		if err != nil {
			return err
		}
		if err := checkKVSComment(comment); err != nil {
			return err
		}
		next := *rec
		next.Comment, next.LastModified = comment, c.now().UTC()
		next.ConfigRevision, next.KeysRevision = 0, cmp.Or(rec.KeysRevision, modRev)
		next.KeysLastModified = kvsKeysLastModified(rec)
		return putJSON(tx, model.KeyValueStoreKey(name), &next)
	})
	if err != nil {
		return nil, err
	}
	return c.DescribeKeyValueStore(ctx, name)
}

// DeleteKeyValueStore deletes a store no function associates
// (CannotDeleteEntityWhileInUse otherwise).
func (c *Control) DeleteKeyValueStore(ctx context.Context, name, ifMatch string) error {
	var id string
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		rec, _, err := c.kvsForChange(tx, name, ifMatch)
		if err != nil {
			return err
		}
		refs, err := tx.ListKeys(kvsRefPrefix(name))
		if err != nil {
			return err
		}
		if len(refs) > 0 {
			return model.Errorf("CannotDeleteEntityWhileInUse", "Cannot delete the key value store %q while a function is associated with it.", name)
		}
		id = rec.ID
		return tx.Delete(model.KeyValueStoreKey(name))
	})
	if err != nil {
		return err
	}
	c.forget(model.KeyValueStoreKey(name))
	// The keys go after the record, a chunk per Update (etcd caps the
	// operations of one transaction); keys left behind by a failure here
	// belong to an id no store has any more, so nothing reads them.
	return c.deleteKVSItems(ctx, id)
}

// kvsWriteChunk is how many keys one Update writes at most when a store is
// imported or deleted: below etcd's default --max-txn-ops (128) with room
// for the store's record.
const kvsWriteChunk = 100

func (c *Control) deleteKVSItems(ctx context.Context, id string) error {
	for {
		n := 0
		_, err := c.store.Update(ctx, func(tx store.Txn) error {
			kvs, err := tx.ListKeys(model.KeyValueStoreItemsPrefix(id))
			if err != nil {
				return err
			}
			kvs = kvs[:min(len(kvs), kvsWriteChunk)]
			n = len(kvs)
			for _, kv := range kvs {
				if err := tx.Delete(kv.Key); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || n < kvsWriteChunk {
			return err
		}
	}
}

// ListKeyValueStores lists stores in creation order, optionally only those
// with the status.
func (c *Control) ListKeyValueStores(ctx context.Context, status string, opts ListOptions) ([]*KeyValueStore, Page, error) {
	var all []*KeyValueStore
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kvs, err := tx.List(model.KeyValueStorePrefix)
		if err != nil {
			return err
		}
		slices.SortFunc(kvs, func(a, b store.KV) int { return int(a.CreateRevision - b.CreateRevision) })
		for _, kv := range kvs {
			rec, err := decode[model.KeyValueStoreRecord](c, kv)
			if err != nil {
				return err
			}
			v := c.kvsView(ctx, rec, kv.ModRevision)
			if status == "" || status == v.Status {
				all = append(all, v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, Page{}, err
	}
	items, next, truncated := page(all, func(k *KeyValueStore) string { return k.Name }, opts.Marker, opts.MaxItems)
	return items, Page{Marker: opts.Marker, NextMarker: next, MaxItems: opts.MaxItems, IsTruncated: truncated}, nil
}

// kvsForChange reads a store about to be updated or deleted, checking
// If-Match against its (CloudFront API) ETag, and returns it with its
// record's ModRevision.
func (c *Control) kvsForChange(tx store.ReadTxn, name, ifMatch string) (*model.KeyValueStoreRecord, int64, error) {
	kv, ok, err := tx.Get(model.KeyValueStoreKey(name))
	if err != nil {
		return nil, 0, err
	}
	if !ok || !functionName.MatchString(name) {
		return nil, 0, errNoSuchKVS(name)
	}
	rec, err := decode[model.KeyValueStoreRecord](c, kv)
	if err != nil {
		return nil, 0, err
	}
	return rec, kv.ModRevision, checkIfMatch(ifMatch, kvsConfigETag(rec, kv.ModRevision))
}
