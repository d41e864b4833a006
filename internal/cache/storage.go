package cache

import (
	"errors"
	"io"
	"iter"
)

// Errors returned by tiers.
var (
	// ErrTooLarge is returned by Put or Spool.Commit when one object is
	// larger than the whole tier.
	ErrTooLarge = errors.New("cache: object larger than the tier")
	// ErrSizeMismatch is returned by Put or Spool.Commit when Meta.Size
	// differs from the body actually given.
	ErrSizeMismatch = errors.New("cache: body length differs from Meta.Size")
)

// Ref names one stored object, as yielded by Storage.All.
type Ref struct {
	Key    string
	DistID string
	Path   string
	Size   int64 // body bytes
	// Hits counts the responses served from the object since it was
	// stored (Entry.CountHit).
	Hits uint64
}

// Usage is a tier's current occupancy.
type Usage struct {
	Entries int
	Bytes   int64 // bytes the tier counts against its bound
}

// Storage is one tier of the object cache, keyed by cache key. Both
// cache/memory and cache/disk implement it; cache/cachetest is its contract.
// Every method is safe for concurrent use.
type Storage interface {
	// Get returns the object stored under key, fresh or stale. The caller
	// closes the returned Entry.
	Get(key string) (Entry, bool)
	// Put stores body under key with the metadata m, replacing any object
	// already there. m is copied; body is owned by the tier afterwards (the
	// memory tier keeps the slice itself, so the caller must not modify it).
	// m.Size must equal len(body). A tier may drop the object at once when
	// it is full (admission), so a Put is not a promise of a later hit.
	Put(key string, m *Meta, body []byte) error
	// Delete removes key and reports whether it was stored. Readers that
	// already hold the entry keep reading it.
	Delete(key string) bool
	// All yields every stored object. It is weakly consistent: objects
	// added or removed during the iteration may or may not be seen. The
	// loop body may call Delete.
	All() iter.Seq[Ref]
	// Usage reports entries and bytes.
	Usage() Usage
}

// Spooler is a Storage that can take a body while it streams, so large
// objects never sit whole in memory (the disk tier).
type Spooler interface {
	Storage
	// Create starts a new object for key. Nothing is visible to Get until
	// the spool's Commit.
	Create(key string) (Spool, error)
}

// Spool is an object being written. Write appends to the body; ReadAt
// reads any byte already written, concurrently with Write, and keeps
// working after Commit until Close.
type Spool interface {
	io.Writer
	io.ReaderAt
	// Commit completes the object with metadata m (m.Size must equal the
	// bytes written) and makes it visible, replacing any object under the
	// same key. m is copied, as by Put.
	Commit(m *Meta) error
	// Close releases the spool; an uncommitted object is discarded.
	Close() error
}
