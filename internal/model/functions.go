package model

import "time"

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
// Only the resource is kept so far: the keys and values (the
// cloudfront-keyvaluestore data plane) are not served yet.
type KeyValueStoreRecord struct {
	ID           string // a UUID, the last part of the ARN
	Name         string
	Comment      string
	LastModified time.Time
}

// KeyValueStoreKey is the store key of a key value store.
func KeyValueStoreKey(name string) string { return KeyValueStorePrefix + name }
