package functions

import (
	"time"

	"github.com/dop251/goja"
)

// KeyValueStore is the read-only view of a key value store that a
// function's cf.kvs() handle reads ("Helper methods for key value stores",
// CloudFront Developer Guide). The edge's snapshot builds one per store
// and revision; a run reads it from memory only.
type KeyValueStore struct {
	ID                    string // the store's id, the last part of its ARN
	Created, LastModified time.Time
	Items                 map[string]string // never changed once built
}

// Get returns a key's value.
func (k *KeyValueStore) Get(key string) (string, bool) {
	v, ok := k.Items[key]
	return v, ok
}

// installKVS adds the natives behind the prelude's cf.kvs() handle.
func installKVS(v *vm, native *goja.Object) {
	rt := v.rt
	set := func(name string, f func(goja.FunctionCall) goja.Value) { _ = native.Set(name, f) }
	// kvsCheck returns why the handle cannot be used now ("" when it can).
	set("kvsCheck", func(c goja.FunctionCall) goja.Value {
		want := c.Argument(0).String()
		switch {
		case v.kvs == nil:
			return rt.ToValue("No key value store is associated with this function.")
		case want != "" && want != v.kvs.ID:
			return rt.ToValue("The key value store " + want + " is not associated with this function.")
		}
		return rt.ToValue("")
	})
	set("kvsGet", func(c goja.FunctionCall) goja.Value {
		if val, ok := v.kvs.Get(c.Argument(0).String()); ok {
			return rt.ToValue(val)
		}
		return goja.Undefined()
	})
	set("kvsMeta", func(goja.FunctionCall) goja.Value {
		m := rt.NewObject()
		_ = m.Set("creationDateTime", v.kvs.Created.UTC().Format(time.RFC3339))
		_ = m.Set("lastUpdatedDateTime", v.kvs.LastModified.UTC().Format(time.RFC3339))
		_ = m.Set("keyCount", len(v.kvs.Items))
		return m
	})
}
