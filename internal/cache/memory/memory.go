package memory

import (
	"fmt"
	"iter"
	"math"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/maypok86/otter/v2"

	"openfront/internal/cache"
)

// entryOverhead is a rough count of the heap bytes one entry costs besides
// its key, body and header values: otter's node and hash-table slot plus
// our item (about 216: item 128, node 64, slot ~24; TestFootprint checks
// that weights do not undercount). It keeps the byte bound honest for
// small objects.
const entryOverhead = 256

// item is what otter stores per key: the metadata by value, the body, the
// hit counter and the reader's rendering of the head (cache.Rendering), in
// one allocation. The body's length is meta.Size and its capacity is not
// kept, so a pointer is all it takes (104 bytes).
type item struct {
	meta      cache.Meta
	body      *byte // nil for a nil body
	hits      atomic.Uint64
	rendering atomic.Pointer[cache.Rendering]
}

// bytes returns the body.
func (it *item) bytes() []byte { return unsafe.Slice(it.body, it.meta.Size) }

// itemWith is an item with the array of its header's values after it: one
// allocation where an item and the values' array were two, so the garbage
// collector marks one object fewer per entry (with 100,000 small objects
// cached, marking them is most of a miss's GC cost: bench/FILL-RESULTS.md).
// V is [n]string for exactly n values, so that it takes no more memory
// than the two allocations did (size classes step by 16 bytes up to 256).
type itemWith[V any] struct {
	item
	vals V
}

// newItem returns an item and room for n header values in the same
// allocation (none past 16 values: the rare long header keeps its own
// array).
func newItem(n int) (*item, []string) {
	if 0 < n && n < len(itemMakers) {
		return itemMakers[n](n)
	}
	return new(item), nil // the values stay in the header's own array
}

// itemMakers[n] makes an itemWith[[n]string].
var itemMakers = [...]func(n int) (*item, []string){
	1:  newItemWith[[1]string],
	2:  newItemWith[[2]string],
	3:  newItemWith[[3]string],
	4:  newItemWith[[4]string],
	5:  newItemWith[[5]string],
	6:  newItemWith[[6]string],
	7:  newItemWith[[7]string],
	8:  newItemWith[[8]string],
	9:  newItemWith[[9]string],
	10: newItemWith[[10]string],
	11: newItemWith[[11]string],
	12: newItemWith[[12]string],
	13: newItemWith[[13]string],
	14: newItemWith[[14]string],
	15: newItemWith[[15]string],
	16: newItemWith[[16]string],
}

// newItemWith allocates an itemWith[A], A being [n]string, and returns
// its item and its n values.
func newItemWith[A any](n int) (*item, []string) {
	x := new(itemWith[A])
	return &x.item, unsafe.Slice((*string)(unsafe.Pointer(&x.vals)), n)
}

// Storage is the in-memory tier: an otter W-TinyLFU cache weighted by bytes.
type Storage struct {
	c *otter.Cache[string, *item]
}

// New returns a memory tier holding at most maxBytes (bodies, headers, keys
// and a fixed per-entry overhead).
func New(maxBytes int64) (*Storage, error) {
	if maxBytes <= 0 {
		return nil, fmt.Errorf("memory cache: maxBytes must be positive, got %d", maxBytes)
	}
	c, err := otter.New(&otter.Options[string, *item]{
		MaximumWeight: uint64(maxBytes),
		Weigher:       weigh,
		Executor:      runMaintenance,
	})
	if err != nil {
		return nil, fmt.Errorf("memory cache: %w", err)
	}
	return &Storage{c: c}, nil
}

// runMaintenance runs otter's maintenance (applying buffered writes and
// reads to its eviction policy, evicting) on the goroutine that triggered
// it, the one storing an object, instead of otter's default of a new
// goroutine each time: with the edge's fills stored one at a time that
// was a goroutine start and hand-over per cache miss (bench/FILL-RESULTS.md).
// The work is the same, and bounded per run by otter's buffers. The
// tier registers no deletion listener, the other thing otter would run
// here.
func runMaintenance(fn func()) { fn() }

func weigh(key string, it *item) uint32 {
	w := uint64(len(key)) + uint64(it.meta.Size) + uint64(it.meta.Weight()) + entryOverhead
	if r := it.rendering.Load(); r != nil {
		w += renderingOverhead + uint64(cap(r.Head))
	}
	return uint32(min(w, math.MaxUint32))
}

// renderingOverhead is a Rendering's struct and its head's allocation
// rounding (size classes step by at most 1/8 up to 32 KiB; heads are a
// few hundred bytes, where classes step by 32 to 64).
const renderingOverhead = 32 + 64

// KeepRendering stores r in the entry e, which Get returned under key, and
// weighs the object again with it (otter re-weighs a value on a write, so
// the item is written back in place: the same item, now with r). It does
// nothing when key no longer holds that item.
func (s *Storage) KeepRendering(key string, e cache.Entry, r *cache.Rendering) {
	s.c.ComputeIfPresent(key, func(it *item) (*item, otter.ComputeOp) {
		if &it.rendering != e.Rendering {
			return it, otter.CancelOp // replaced since e was read
		}
		it.rendering.Store(r)
		return it, otter.WriteOp
	})
}

// Get returns the object under key. It does not allocate.
func (s *Storage) Get(key string) (cache.Entry, bool) {
	it, ok := s.c.GetIfPresent(key)
	if !ok {
		return cache.Entry{}, false
	}
	return cache.Entry{Meta: &it.meta, Body: it.bytes(), Hits: &it.hits, Rendering: &it.rendering}, true
}

// Put stores body under key. The slice is kept as is: the caller must not
// modify it afterwards.
func (s *Storage) Put(key string, m *cache.Meta, body []byte) error {
	if m.Size != int64(len(body)) {
		return cache.ErrSizeMismatch
	}
	it, vals := newItem(m.Header.Len())
	it.meta, it.body = *m, unsafe.SliceData(body)
	it.meta.Header = m.Header.CopiedInto(vals)
	// DistID and Path are usually substrings of the key (the edge builds
	// the key from them); share the key's bytes instead of keeping copies.
	it.meta.DistID = within(key, it.meta.DistID)
	it.meta.Path = within(key, it.meta.Path)
	if uint64(weigh(key, it)) > s.c.GetMaximum() {
		return cache.ErrTooLarge
	}
	s.c.Set(key, it)
	return nil
}

// within returns s as a substring of key when key contains it, else s.
func within(key, s string) string {
	if i := strings.Index(key, s); i >= 0 && s != "" {
		return key[i : i+len(s)]
	}
	return s
}

// Delete removes key.
func (s *Storage) Delete(key string) bool {
	_, ok := s.c.Invalidate(key)
	return ok
}

// All yields every stored object.
func (s *Storage) All() iter.Seq[cache.Ref] {
	return func(yield func(cache.Ref) bool) {
		for k, it := range s.c.All() {
			if !yield(cache.Ref{Key: k, DistID: it.meta.DistID, Path: it.meta.Path, Size: it.meta.Size, Hits: it.hits.Load()}) {
				return
			}
		}
	}
}

// Usage reports the approximate entry count and weighted bytes.
func (s *Storage) Usage() cache.Usage {
	return cache.Usage{Entries: s.c.EstimatedSize(), Bytes: int64(s.c.WeightedSize())}
}

// CleanUp runs otter's pending maintenance (evictions) now; tests use it
// to observe the byte bound without waiting.
func (s *Storage) CleanUp() { s.c.CleanUp() }

var _ cache.Storage = (*Storage)(nil)
