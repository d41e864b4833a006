package control

import (
	"cmp"
	"context"
	"encoding/base64"
	"slices"

	"openfront/internal/model"
	"openfront/internal/store"
)

// Lightsail operations: every Lightsail distribution change returns an
// Operation, and clients (the Terraform AWS provider among them) poll
// GetOperation with its id until it is Succeeded. The operations are
// stored under lsop/<id>, so they survive a restart and every node of a
// cluster answers for them.

// LightsailOperationPageSize is how many operations one GetOperations page
// holds ("up to a maximum of 200", GetOperations in the Lightsail API
// Reference).
const LightsailOperationPageSize = 200

// maxLightsailOperationID bounds the ids looked up: the ids handed out are
// UUIDs, and a longer one is not worth a store read (store keys have
// limits of their own).
const maxLightsailOperationID = 128

func lightsailOperationNotFound(id string) error {
	return model.Errorf("NotFoundException", "The operation %q does not exist.", id)
}

// withLightsailOperation wraps a Lightsail change: when change succeeds,
// op (if not nil) is stored in the same transaction, so a change and the
// operation that reports it are committed together or not at all.
func (c *Control) withLightsailOperation(op *model.LightsailOperationRecord, change func(store.Txn) error) func(store.Txn) error {
	return func(tx store.Txn) error {
		if err := change(tx); err != nil || op == nil {
			return err
		}
		return c.putLightsailOperation(tx, op)
	}
}

// RecordLightsailOperation stores op on its own.
func (c *Control) RecordLightsailOperation(ctx context.Context, op model.LightsailOperationRecord) error {
	_, err := c.store.Update(ctx, func(tx store.Txn) error { return c.putLightsailOperation(tx, &op) })
	return err
}

// putLightsailOperation stores op; past LightsailOperationRetain
// operations the oldest are deleted.
func (c *Control) putLightsailOperation(tx store.Txn, op *model.LightsailOperationRecord) error {
	if err := putJSON(tx, model.LightsailOperationKey(op.ID), op); err != nil {
		return err
	}
	kvs, err := tx.ListKeys(model.LightsailOperationPrefix)
	if err != nil || len(kvs) <= model.LightsailOperationRetain {
		return err
	}
	sortByCreation(kvs)
	for _, kv := range kvs[:len(kvs)-model.LightsailOperationRetain] {
		if err := tx.Delete(kv.Key); err != nil {
			return err
		}
		c.forget(kv.Key)
	}
	return nil
}

// LightsailOperation returns one operation; NotFoundException for an id
// that was never returned (or was trimmed).
func (c *Control) LightsailOperation(ctx context.Context, id string) (*model.LightsailOperationRecord, error) {
	if len(id) > maxLightsailOperationID {
		return nil, lightsailOperationNotFound(id[:maxLightsailOperationID] + "...")
	}
	var op *model.LightsailOperationRecord
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kv, ok, err := tx.Get(model.LightsailOperationKey(id))
		if err != nil {
			return err
		}
		if !ok {
			return lightsailOperationNotFound(id)
		}
		op, err = decode[model.LightsailOperationRecord](c, kv)
		return err
	})
	return op, err
}

// LightsailOperations lists operations from oldest to newest, one page
// after pageToken ("" for the first); resourceName, when not "", keeps only
// that resource's operations (GetOperationsForResource).
func (c *Control) LightsailOperations(ctx context.Context, pageToken, resourceName string) (list []*model.LightsailOperationRecord, next string, err error) {
	after := ""
	if pageToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(pageToken)
		if err != nil || len(b) == 0 {
			return nil, "", lightsailInvalid("pageToken %q is not valid.", pageToken)
		}
		after = string(b)
	}
	var all []*model.LightsailOperationRecord
	err = c.store.View(ctx, func(tx store.ReadTxn) error {
		kvs, err := tx.ListKeys(model.LightsailOperationPrefix)
		if err != nil {
			return err
		}
		sortByCreation(kvs)
		for _, kv := range kvs {
			op, err := decodeAt[model.LightsailOperationRecord](c, tx, kv)
			if err != nil {
				return err
			}
			if resourceName == "" || op.ResourceName == resourceName {
				all = append(all, op)
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	items, nextID, truncated := page(all, func(op *model.LightsailOperationRecord) string { return op.ID }, after, LightsailOperationPageSize)
	if truncated {
		next = base64.RawURLEncoding.EncodeToString([]byte(nextID))
	}
	return items, next, nil
}

func sortByCreation(kvs []store.KV) {
	slices.SortFunc(kvs, func(a, b store.KV) int { return cmp.Compare(a.CreateRevision, b.CreateRevision) })
}
