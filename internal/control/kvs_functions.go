package control

import (
	"context"
	"slices"
	"strings"

	"openfront/internal/functions"

	"openfront/internal/model"
	"openfront/internal/store"
)

// Functions associate key value stores (FunctionConfig.KeyValueStoreAssociations;
// "Associate a key value store with a function", CloudFront Developer
// Guide: one store per function). A store stays in use, and cannot be
// deleted, while either stage of a function names it: each association is
// a reference key kvsref/<store name>/<function name>.

// checkKVSAssociations checks that a function's associations name at most
// one store, an existing one of this account.
func (c *Control) checkKVSAssociations(tx store.ReadTxn, arns []string) error {
	switch len(arns) {
	case 0:
		return nil
	case 1:
	default:
		return model.Errorf("InvalidArgument", "A function can be associated with only one key value store, not %d.", len(arns))
	}
	if _, _, err := c.kvsByARN(tx, arns[0]); err != nil {
		return model.Errorf("InvalidArgument", "The key value store %q does not exist.", arns[0])
	}
	return nil
}

// syncKVSRefs rewrites a function's reference keys after its record
// changed (next nil: the function is deleted).
func (c *Control) syncKVSRefs(tx store.Txn, name string, prev, next *model.FunctionRecord) error {
	stores := func(rec *model.FunctionRecord) []string {
		if rec == nil {
			return nil
		}
		var out []string
		for _, st := range []*model.FunctionStage{&rec.Development, rec.Live} {
			if st == nil {
				continue
			}
			for _, arn := range st.KeyValueStoreARNs {
				if kvs, _, err := c.kvsByARN(tx, arn); err == nil && !slices.Contains(out, kvs.Name) {
					out = append(out, kvs.Name)
				}
			}
		}
		return out
	}
	want := stores(next)
	for _, s := range stores(prev) {
		if !slices.Contains(want, s) {
			if err := tx.Delete(kvsRefPrefix(s) + name); err != nil {
				return err
			}
		}
	}
	for _, s := range want {
		if err := tx.Put(kvsRefPrefix(s)+name, []byte("{}")); err != nil {
			return err
		}
	}
	return nil
}

// kvsForFunction reads a store for TestFunction's cf.kvs() (nil when the
// store is gone: the function's reads then reject).
func (c *Control) kvsForFunction(ctx context.Context, arn string) (*functions.KeyValueStore, error) {
	var out *functions.KeyValueStore
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		rec, _, err := c.kvsByARN(tx, arn)
		if err != nil {
			return nil
		}
		created := rec.Created
		if created.IsZero() {
			created = rec.LastModified
		}
		out = &functions.KeyValueStore{ID: rec.ID, Created: created, LastModified: rec.LastModified, Items: map[string]string{}}
		prefix := model.KeyValueStoreItemsPrefix(rec.ID)
		kvs, err := tx.List(prefix)
		for _, kv := range kvs {
			out.Items[strings.TrimPrefix(kv.Key, prefix)] = string(kv.Value)
		}
		return err
	})
	return out, err
}
