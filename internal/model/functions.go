package model

import (
	"strings"
	"time"
)

// FunctionPrefix is the store prefix of CloudFront Functions.
const FunctionPrefix = "function/"

// FunctionRecord is a CloudFront function, under function/<name>: its
// DEVELOPMENT stage and, once published, its LIVE stage. The edge's
// snapshot will read the LIVE stage only.
type FunctionRecord struct {
	Name string
	// Nonce is random per creation, so a function deleted and created again
	// under the same name never repeats an ETag.
	Nonce       string
	CreatedTime time.Time
	Development FunctionStage
	Live        *FunctionStage // nil until the first PublishFunction
}

// FunctionStage is one stage of a function.
type FunctionStage struct {
	// Version counts the DEVELOPMENT stage's updates; PublishFunction
	// copies it to LIVE, so the stages are the same code when equal.
	Version           int64
	Comment           string
	Runtime           string // cloudfront-js-1.0 or cloudfront-js-2.0
	KeyValueStoreARNs []string
	Code              []byte
	LastModified      time.Time
}

// FunctionKey is the store key of a function.
func FunctionKey(name string) string { return FunctionPrefix + name }

// KeyValueStorePrefix is the store prefix of key value stores.
const KeyValueStorePrefix = "kvs/"

// KeyValueStoreRecord is a CloudFront KeyValueStore, under kvs/<name>.
// Its keys are stored next to it, one store key each (KeyValueStoreItemKey);
// ItemCount and TotalSizeInBytes are kept up to date by every write, which
// also rewrites this record, so the record's revision (its ETag) changes
// with the data ("ETag" in the cloudfront-keyvaluestore API reference).
type KeyValueStoreRecord struct {
	ID           string // a UUID, the last part of the ARN
	Name         string
	Comment      string
	Created      time.Time // zero in records written before it existed: use LastModified
	LastModified time.Time

	ItemCount        int
	TotalSizeInBytes int64 // keys and values, in bytes

	// Status is "" (READY), PROVISIONING while an ImportSource is read, or
	// PROVISIONING_FAILED with FailureReason.
	Status        string                     `json:",omitempty"`
	FailureReason string                     `json:",omitempty"`
	ImportSource  *KeyValueStoreImportSource `json:",omitempty"`
}

// KeyValueStoreImportSource is CreateKeyValueStore's ImportSource.
type KeyValueStoreImportSource struct {
	SourceType string // S3
	SourceARN  string // arn:aws:s3:::bucket/key
}

// KeyValueStoreKey is the store key of a key value store.
func KeyValueStoreKey(name string) string { return KeyValueStorePrefix + name }

// KeyValueStoreItemPrefix is the store prefix of the keys of every key
// value store: kvsitem/<store id>/<key>, the value being the key's value
// as stored (raw bytes, not JSON). The id (not the name) keys them, as the
// data-plane API and functions name a store by its ARN.
const KeyValueStoreItemPrefix = "kvsitem/"

// KeyValueStoreItemsPrefix is the store prefix of one store's keys.
func KeyValueStoreItemsPrefix(storeID string) string { return KeyValueStoreItemPrefix + storeID + "/" }

// KeyValueStoreItemKey is the store key of one key of a key value store.
func KeyValueStoreItemKey(storeID, key string) string {
	return KeyValueStoreItemsPrefix(storeID) + key
}

// SplitKeyValueStoreItemKey returns the store id and key of a store key
// under KeyValueStoreItemPrefix.
func SplitKeyValueStoreItemKey(storeKey string) (storeID, key string, ok bool) {
	rest, ok := strings.CutPrefix(storeKey, KeyValueStoreItemPrefix)
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, "/")
}
