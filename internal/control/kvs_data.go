package control

import (
	"cmp"
	"context"
	"encoding/base64"
	"strings"
	"time"
	"unicode/utf8"

	"openfront/internal/model"
	"openfront/internal/store"
)

// The keys and values of key value stores: the cloudfront-keyvaluestore
// API (2022-07-26: DescribeKeyValueStore, GetKey, ListKeys, PutKey,
// DeleteKey, UpdateKeys). Each key is one store key (model.KeyValueStoreItemKey),
// so the data reaches the edge's snapshot like any other record; every
// write also rewrites the store's record with its new ItemCount,
// TotalSizeInBytes and LastModified. The data plane's ETag changes with
// every key write and only then; the CloudFront API's ETag does not change
// with key writes (see model.KeyValueStoreRecord).
//
// Errors carry the data plane's exception names (the API maps them to
// their statuses): ValidationException, ResourceNotFoundException,
// ConflictException and ServiceQuotaExceededException.

// Limits of key value stores ("Quotas on key value stores", CloudFront
// Developer Guide; UpdateKeys in the API reference).
const (
	MaxKVSKeyBytes   = 512     // a key
	MaxKVSValueBytes = 1024    // a value
	MaxKVSTotalBytes = 5 << 20 // keys and values of one store
	MaxKVSBatchKeys  = 50      // puts and deletes of one UpdateKeys
	MaxKVSBatchBytes = 3 << 20 // keys and values of one UpdateKeys
	// The model's own bounds (Key: 1..1024 characters; MaxResults 1..50).
	maxKVSKeyModel        = 1024
	MaxKVSListResults     = 50
	defaultKVSListResults = 10
	maxKVSARNLength       = 2048
	kvsStatusFailed       = "PROVISIONING_FAILED"
	kvsARNResourceType    = "key-value-store/"
)

// Exception names of the cloudfront-keyvaluestore model.
const (
	CodeKVSValidation    = "ValidationException"
	CodeKVSNotFound      = "ResourceNotFoundException"
	CodeKVSConflict      = "ConflictException"
	CodeKVSQuotaExceeded = "ServiceQuotaExceededException"
)

// KVSData is a key value store as the data plane describes it.
type KVSData struct {
	ARN                   string
	Created, LastModified time.Time
	ItemCount             int
	TotalSizeInBytes      int64
	ETag                  string
	Status, FailureReason string
}

// KVSItem is one key and its value.
type KVSItem struct{ Key, Value string }

// KVSWrite is what a write answers: the store's new ETag and totals.
type KVSWrite struct {
	ETag             string
	ItemCount        int
	TotalSizeInBytes int64
}

// kvsIDOfARN returns the store id of arn:<partition>:cloudfront::<account>:key-value-store/<id>
// of this account.
func (c *Control) kvsIDOfARN(arn string) (string, error) {
	if arn == "" || len(arn) > maxKVSARNLength {
		return "", model.Errorf(CodeKVSValidation, "The KvsARN must be 1 to %d characters long.", maxKVSARNLength)
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "cloudfront" || parts[3] != "" || !strings.HasPrefix(parts[5], kvsARNResourceType) {
		return "", model.Errorf(CodeKVSValidation, "The KvsARN %q is not a key value store ARN (arn:aws:cloudfront::<account>:key-value-store/<id>).", arn)
	}
	id := strings.TrimPrefix(parts[5], kvsARNResourceType)
	if parts[4] != c.settings.AccountID || id == "" || strings.ContainsAny(id, "/") {
		return "", errNoSuchKVSARN(arn)
	}
	return id, nil
}

func errNoSuchKVSARN(arn string) error {
	return model.Errorf(CodeKVSNotFound, "The key value store %s does not exist.", arn)
}

// kvsByARN finds the store an ARN names.
func (c *Control) kvsByARN(tx store.ReadTxn, arn string) (*model.KeyValueStoreRecord, store.KV, error) {
	id, err := c.kvsIDOfARN(arn)
	if err != nil {
		return nil, store.KV{}, err
	}
	all, err := tx.List(model.KeyValueStorePrefix)
	if err != nil {
		return nil, store.KV{}, err
	}
	for _, kv := range all {
		rec, err := decode[model.KeyValueStoreRecord](c, kv)
		if err != nil {
			return nil, store.KV{}, err
		}
		if rec.ID == id {
			return rec, kv, nil
		}
	}
	return nil, store.KV{}, errNoSuchKVSARN(arn)
}

// kvsKeysETag is the data plane's ETag of a store at the revision of its
// last key write. It differs from the CloudFront API's ETag of the same
// revision, so neither is taken for the other.
func kvsKeysETag(id string, keysRev int64) string { return etag(id+"/keys", keysRev) }

// kvsKeysLastModified is when a store's keys last changed ("LastModified"
// in the data plane's DescribeKeyValueStore: "when the key-value pairs in
// the key value store was last modified").
func kvsKeysLastModified(rec *model.KeyValueStoreRecord) time.Time {
	if rec.KeysLastModified.IsZero() {
		return rec.LastModified
	}
	return rec.KeysLastModified
}

func (c *Control) kvsData(ctx context.Context, rec *model.KeyValueStoreRecord, modRev int64) *KVSData {
	v := c.kvsView(ctx, rec, modRev)
	created := rec.Created
	if created.IsZero() {
		created = rec.LastModified
	}
	return &KVSData{ARN: v.ARN, Created: created, LastModified: kvsKeysLastModified(rec), ItemCount: rec.ItemCount,
		TotalSizeInBytes: rec.TotalSizeInBytes, ETag: kvsKeysETag(rec.ID, cmp.Or(rec.KeysRevision, modRev)),
		Status: v.Status, FailureReason: rec.FailureReason}
}

// DescribeKeyValueStoreData describes the store an ARN names.
func (c *Control) DescribeKeyValueStoreData(ctx context.Context, arn string) (*KVSData, error) {
	var out *KVSData
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		rec, kv, err := c.kvsByARN(tx, arn)
		if err != nil {
			return err
		}
		out = c.kvsData(ctx, rec, kv.ModRevision)
		return nil
	})
	return out, err
}

// checkKVSKey checks a key against the model's bounds (ValidationException)
// and the documented key size (ServiceQuotaExceededException).
func checkKVSKey(key string) error {
	switch {
	case key == "" || utf8.RuneCountInString(key) > maxKVSKeyModel:
		return model.Errorf(CodeKVSValidation, "A key must be 1 to %d characters long.", maxKVSKeyModel)
	case !utf8.ValidString(key):
		return model.Errorf(CodeKVSValidation, "A key must be valid UTF-8.")
	case len(key) > MaxKVSKeyBytes:
		return model.Errorf(CodeKVSQuotaExceeded, "The key is %d bytes long; keys are limited to %d bytes.", len(key), MaxKVSKeyBytes)
	}
	return nil
}

func checkKVSValue(key, value string) error {
	switch {
	case !utf8.ValidString(value):
		return model.Errorf(CodeKVSValidation, "The value of %q must be valid UTF-8.", key)
	case len(value) > MaxKVSValueBytes:
		return model.Errorf(CodeKVSQuotaExceeded, "The value of %q is %d bytes long; values are limited to %d bytes.", truncateKey(key), len(value), MaxKVSValueBytes)
	}
	return nil
}

func truncateKey(k string) string {
	if len(k) > 64 {
		return k[:64] + "..."
	}
	return k
}

// GetKey returns a key's value and the store's totals.
func (c *Control) GetKey(ctx context.Context, arn, key string) (value string, totals KVSWrite, err error) {
	if err := checkKVSKey(key); err != nil {
		return "", totals, err
	}
	err = c.store.View(ctx, func(tx store.ReadTxn) error {
		rec, _, err := c.kvsByARN(tx, arn)
		if err != nil {
			return err
		}
		totals = KVSWrite{ItemCount: rec.ItemCount, TotalSizeInBytes: rec.TotalSizeInBytes}
		kv, ok, err := tx.Get(model.KeyValueStoreItemKey(rec.ID, key))
		if err != nil {
			return err
		}
		if !ok {
			return model.Errorf(CodeKVSNotFound, "The key %q does not exist in the key value store.", truncateKey(key))
		}
		value = string(kv.Value)
		return nil
	})
	return value, totals, err
}

// ListKeys lists a store's keys in byte order, at most maxResults (0: 10,
// the default the ListKeys reference gives) from the token a previous call
// returned.
func (c *Control) ListKeys(ctx context.Context, arn, nextToken string, maxResults int) (items []KVSItem, next string, err error) {
	if maxResults == 0 {
		maxResults = defaultKVSListResults
	}
	if maxResults < 1 || maxResults > MaxKVSListResults {
		return nil, "", model.Errorf(CodeKVSValidation, "MaxResults must be between 1 and %d.", MaxKVSListResults)
	}
	after := ""
	if nextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil || len(b) == 0 || len(b) > 4*maxKVSKeyModel {
			return nil, "", model.Errorf(CodeKVSValidation, "The NextToken is not valid.")
		}
		after = string(b)
	}
	err = c.store.View(ctx, func(tx store.ReadTxn) error {
		rec, _, err := c.kvsByARN(tx, arn)
		if err != nil {
			return err
		}
		prefix := model.KeyValueStoreItemsPrefix(rec.ID)
		kvs, err := tx.List(prefix)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			key := strings.TrimPrefix(kv.Key, prefix)
			if after != "" && key <= after {
				continue
			}
			if len(items) == maxResults {
				next = base64.RawURLEncoding.EncodeToString([]byte(items[len(items)-1].Key))
				break
			}
			items = append(items, KVSItem{Key: key, Value: string(kv.Value)})
		}
		return nil
	})
	return items, next, err
}

// PutKey sets one key.
func (c *Control) PutKey(ctx context.Context, arn, ifMatch, key, value string) (*KVSWrite, error) {
	return c.UpdateKeys(ctx, arn, ifMatch, []KVSItem{{Key: key, Value: value}}, nil)
}

// DeleteKey deletes one key; a key that does not exist is
// ResourceNotFoundException.
func (c *Control) DeleteKey(ctx context.Context, arn, ifMatch, key string) (*KVSWrite, error) {
	return c.updateKeys(ctx, arn, ifMatch, nil, []string{key}, true)
}

// UpdateKeys applies puts and deletes all or nothing, after checking
// If-Match against the store's ETag. Deleting a key that does not exist
// is not an error in a batch.
func (c *Control) UpdateKeys(ctx context.Context, arn, ifMatch string, puts []KVSItem, deletes []string) (*KVSWrite, error) {
	return c.updateKeys(ctx, arn, ifMatch, puts, deletes, false)
}

// CheckKVSBatch validates a batch without a store: key and value sizes,
// duplicates and the batch limits.
func CheckKVSBatch(puts []KVSItem, deletes []string) error {
	if n := len(puts) + len(deletes); n > MaxKVSBatchKeys {
		return model.Errorf(CodeKVSQuotaExceeded, "The request has %d puts and deletes; at most %d are allowed in one request.", n, MaxKVSBatchKeys)
	}
	seen := make(map[string]bool, len(puts)+len(deletes))
	size := 0
	for _, p := range puts {
		if err := checkKVSKey(p.Key); err != nil {
			return err
		}
		if err := checkKVSValue(p.Key, p.Value); err != nil {
			return err
		}
		if seen[p.Key] {
			return model.Errorf(CodeKVSValidation, "The key %q appears more than once in the request.", truncateKey(p.Key))
		}
		seen[p.Key] = true
		size += len(p.Key) + len(p.Value)
	}
	for _, k := range deletes {
		if err := checkKVSKey(k); err != nil {
			return err
		}
		if seen[k] {
			return model.Errorf(CodeKVSValidation, "The key %q appears more than once in the request.", truncateKey(k))
		}
		seen[k] = true
		size += len(k)
	}
	if size > MaxKVSBatchBytes {
		return model.Errorf(CodeKVSQuotaExceeded, "The request carries %d bytes of keys and values; at most %d are allowed in one request.", size, MaxKVSBatchBytes)
	}
	return nil
}

func (c *Control) updateKeys(ctx context.Context, arn, ifMatch string, puts []KVSItem, deletes []string, mustExist bool) (*KVSWrite, error) {
	if err := CheckKVSBatch(puts, deletes); err != nil {
		return nil, err
	}
	if strings.TrimSpace(ifMatch) == "" {
		return nil, model.Errorf(CodeKVSValidation, "The If-Match header is required: send the ETag of DescribeKeyValueStore.")
	}
	var out KVSWrite
	var id string
	rev, err := c.store.Update(ctx, func(tx store.Txn) error {
		rec, kv, err := c.kvsByARN(tx, arn)
		if err != nil {
			return err
		}
		if ifMatch != kvsKeysETag(rec.ID, cmp.Or(rec.KeysRevision, kv.ModRevision)) {
			return model.Errorf(CodeKVSConflict, "The If-Match ETag %q is not the key value store's current ETag.", ifMatch)
		}
		if rec.Status != "" {
			return model.Errorf(CodeKVSConflict, "The key value store is %s: its keys cannot be changed.", rec.Status)
		}
		next := *rec
		for _, p := range puts {
			k := model.KeyValueStoreItemKey(rec.ID, p.Key)
			old, ok, err := tx.Get(k)
			if err != nil {
				return err
			}
			if ok {
				next.TotalSizeInBytes -= int64(len(p.Key) + len(old.Value))
				next.ItemCount--
			}
			next.TotalSizeInBytes += int64(len(p.Key) + len(p.Value))
			next.ItemCount++
			if err := tx.Put(k, []byte(p.Value)); err != nil {
				return err
			}
		}
		for _, key := range deletes {
			k := model.KeyValueStoreItemKey(rec.ID, key)
			old, ok, err := tx.Get(k)
			if err != nil {
				return err
			}
			if !ok {
				if mustExist {
					return model.Errorf(CodeKVSNotFound, "The key %q does not exist in the key value store.", truncateKey(key))
				}
				continue
			}
			next.TotalSizeInBytes -= int64(len(key) + len(old.Value))
			next.ItemCount--
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		if next.TotalSizeInBytes > MaxKVSTotalBytes {
			return model.Errorf(CodeKVSQuotaExceeded, "The key value store would hold %d bytes; a store is limited to %d bytes.", next.TotalSizeInBytes, MaxKVSTotalBytes)
		}
		// The store's own ETag stays: pin its revision before this write
		// moves the record's. LastModified, which CloudFront's
		// DescribeKeyValueStore shows, follows the keys too (its reference
		// says only "the last-modified time of the key value store").
		next.ConfigRevision, next.KeysRevision = cmp.Or(rec.ConfigRevision, kv.ModRevision), 0
		next.LastModified = c.now().UTC()
		next.KeysLastModified = next.LastModified
		id, out.ItemCount, out.TotalSizeInBytes = rec.ID, next.ItemCount, next.TotalSizeInBytes
		return putJSON(tx, model.KeyValueStoreKey(rec.Name), &next)
	})
	if err != nil {
		return nil, err
	}
	// The record was written by this commit: its revision is rev.
	out.ETag = kvsKeysETag(id, rev)
	return &out, nil
}
