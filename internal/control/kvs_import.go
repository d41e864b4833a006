package control

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"openfront/internal/model"
	"openfront/internal/store"
)

// CreateKeyValueStore's ImportSource: the store's first keys come from a
// JSON file in S3 ("Create a key value store" and "File format for
// key-value pairs", CloudFront Developer Guide):
//
//	{"data": [{"key": "key1", "value": "value"}, ...]}
//
// The store is PROVISIONING while the file is read, then READY, or
// PROVISIONING_FAILED with a FailureReason saying what is wrong with it.

// Limits of an import file (the same page: file 5 MB, key 512 characters,
// value 1024 characters).
const (
	maxImportFileBytes  = 5 << 20
	maxImportKeyChars   = 512
	maxImportValueChars = 1024
	importTimeout       = time.Minute
)

// checkImportSource validates an ImportSource and returns its bucket and
// object key (arn:aws:s3:::bucket/key).
func (c *Control) checkImportSource(src *model.KeyValueStoreImportSource) (bucket, key string, err error) {
	if src.SourceType != "S3" {
		return "", "", model.Errorf("InvalidArgument", "The ImportSource SourceType %q is not valid: use S3.", src.SourceType)
	}
	parts := strings.SplitN(src.SourceARN, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] == "s3" && parts[3] == "" && parts[4] == "" {
		bucket, key, _ = strings.Cut(parts[5], "/")
	}
	if bucket == "" || key == "" {
		return "", "", model.Errorf("InvalidArgument", "The ImportSource SourceARN %q is not an S3 object ARN (arn:aws:s3:::bucket/key).", src.SourceARN)
	}
	if c.settings.ReadImportSource == nil {
		return "", "", model.Errorf("UnsupportedOperation", "This OpenFront has no S3 to import key value stores from.")
	}
	return bucket, key, nil
}

// startImport reads the file in the background; the store's status tells
// the client how it went.
func (c *Control) startImport(name, bucket, key string) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), importTimeout)
		defer cancel()
		if err := c.importKVS(ctx, name, bucket, key); err != nil {
			slog.Warn("control: key value store import failed", "name", name, "bucket", bucket, "key", key, "err", err)
		}
	}()
}

func (c *Control) importKVS(ctx context.Context, name, bucket, key string) error {
	body, err := c.settings.ReadImportSource(ctx, bucket, key)
	var items []KVSItem
	if err != nil {
		err = fmt.Errorf("The import source s3://%s/%s could not be read: %v", bucket, key, err)
	} else {
		items, err = ParseImportFile(body)
	}
	if err != nil {
		return c.finishImport(ctx, name, nil, err.Error())
	}
	return c.finishImport(ctx, name, items, "")
}

// finishImport writes the imported keys, a chunk per Update (etcd caps a
// transaction's operations), then the store's totals and status. A store
// deleted meanwhile stays deleted.
func (c *Control) finishImport(ctx context.Context, name string, items []KVSItem, failure string) error {
	var id string
	if err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kv, ok, err := tx.Get(model.KeyValueStoreKey(name))
		if err != nil || !ok {
			return err
		}
		rec, err := decode[model.KeyValueStoreRecord](c, kv)
		if err == nil && rec.Status == KVSProvisioning {
			id = rec.ID
		}
		return err
	}); err != nil || id == "" {
		return err
	}
	var total int64
	errGone := errors.New("the store was deleted during its import")
	for start := 0; start < len(items) && failure == ""; start += kvsWriteChunk {
		chunk := items[start:min(len(items), start+kvsWriteChunk)]
		if _, err := c.store.Update(ctx, func(tx store.Txn) error {
			// A store deleted (or re-created) meanwhile gets no keys.
			kv, ok, err := tx.Get(model.KeyValueStoreKey(name))
			if err != nil {
				return err
			}
			if !ok {
				return errGone
			}
			if rec, err := decode[model.KeyValueStoreRecord](c, kv); err != nil || rec.ID != id {
				return cmp.Or(err, errGone)
			}
			for _, it := range chunk {
				if err := tx.Put(model.KeyValueStoreItemKey(id, it.Key), []byte(it.Value)); err != nil {
					return err
				}
			}
			return nil
		}); errors.Is(err, errGone) {
			return c.deleteKVSItems(ctx, id)
		} else if err != nil {
			failure = "The imported keys could not be stored: " + err.Error()
		}
	}
	for _, it := range items {
		total += int64(len(it.Key) + len(it.Value))
	}
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, ok, err := tx.Get(model.KeyValueStoreKey(name))
		if err != nil || !ok {
			return err
		}
		rec, err := decode[model.KeyValueStoreRecord](c, kv)
		if err != nil || rec.ID != id {
			return err
		}
		next := *rec
		// Both ETags change: the store's status does, and its keys.
		next.Status, next.LastModified = "", c.now().UTC()
		next.KeysLastModified, next.ConfigRevision, next.KeysRevision = next.LastModified, 0, 0
		if failure != "" {
			next.Status, next.FailureReason = KVSProvisioningFailed, failure
		} else {
			next.ItemCount, next.TotalSizeInBytes = len(items), total
		}
		return putJSON(tx, model.KeyValueStoreKey(name), &next)
	})
	if err == nil && failure != "" {
		err = c.deleteKVSItems(ctx, id)
	}
	return err
}

// ParseImportFile reads an import file: UTF-8 JSON {"data": [{"key": ...,
// "value": ...}]}, at most 5 MB, no duplicate keys, keys of 1 to 512
// characters, values of at most 1024. The error says what is wrong, as a
// FailureReason.
func ParseImportFile(b []byte) ([]KVSItem, error) {
	if len(b) > maxImportFileBytes {
		return nil, fmt.Errorf("The import file is %d bytes; at most %d are allowed", len(b), maxImportFileBytes)
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("The import file is not UTF-8 encoded")
	}
	var file struct {
		Data *[]struct {
			Key   *string `json:"key"`
			Value *string `json:"value"`
		} `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("The import file is not valid JSON of the form {\"data\":[{\"key\":...,\"value\":...}]}: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("The import file has data after its JSON object")
	}
	if file.Data == nil {
		return nil, fmt.Errorf("The import file has no \"data\" list")
	}
	items := make([]KVSItem, 0, len(*file.Data))
	seen := make(map[string]bool, len(*file.Data))
	for i, d := range *file.Data {
		switch {
		case d.Key == nil || d.Value == nil:
			return nil, fmt.Errorf("Item %d of the import file needs a string \"key\" and a string \"value\"", i)
		case *d.Key == "" || utf8.RuneCountInString(*d.Key) > maxImportKeyChars:
			return nil, fmt.Errorf("Item %d of the import file has a key of %d characters; keys have 1 to %d", i, utf8.RuneCountInString(*d.Key), maxImportKeyChars)
		case len(*d.Key) > MaxKVSKeyBytes:
			return nil, fmt.Errorf("Item %d of the import file has a key of %d bytes; keys have at most %d", i, len(*d.Key), MaxKVSKeyBytes)
		case utf8.RuneCountInString(*d.Value) > maxImportValueChars || len(*d.Value) > MaxKVSValueBytes:
			return nil, fmt.Errorf("Item %d of the import file has a value of %d bytes; values have at most %d", i, len(*d.Value), MaxKVSValueBytes)
		case seen[*d.Key]:
			return nil, fmt.Errorf("The import file has the key %q more than once", truncateKey(*d.Key))
		}
		seen[*d.Key] = true
		items = append(items, KVSItem{Key: *d.Key, Value: *d.Value})
	}
	return items, nil
}
