package model

import "time"

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

// KeyValueStoreRecord is a CloudFront KeyValueStore, under kvs/<name>.
// Its keys are stored next to it, one store key each (KeyValueStoreItemKey);
// ItemCount and TotalSizeInBytes are kept up to date by every write, which
// also rewrites this record.
//
// The two APIs that describe a store each have their own ETag ("Work with
// key value data", CloudFront Developer Guide: CloudFront's
// DescribeKeyValueStore describes the store, CloudFront KeyValueStore's
// describes its key-value pairs): the first changes with the store
// (CreateKeyValueStore, UpdateKeyValueStore), the second with its keys
// (PutKey, DeleteKey, UpdateKeys). Since writes of both kinds rewrite this
// one record, each ETag comes from the revision of the last write of its
// own kind: ConfigRevision and KeysRevision, where 0 stands for the
// record's own ModRevision (the last write was of that kind). Records
// written before these fields existed have both 0.
type KeyValueStoreRecord struct {
	ID           string // a UUID, the last part of the ARN
	Name         string
	Comment      string
	Created      time.Time // zero in records written before it existed: use LastModified
	LastModified time.Time // of any change, keys included

	// KeysLastModified is when the keys last changed (the data plane's
	// LastModified); zero in records written before it existed: use
	// LastModified.
	KeysLastModified time.Time `json:",omitzero"`
	ConfigRevision   int64     `json:",omitempty"`
	KeysRevision     int64     `json:",omitempty"`

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
