package cache

import (
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultMaxMemoryObject = 1 << 20
	DefaultFillTimeout     = 5 * time.Minute
)

// Config wires the tiers into a Cache.
type Config struct {
	// Memory is the memory tier (cache/memory). Required.
	Memory Storage
	// Disk is the optional disk tier (cache/disk). Bodies larger than
	// MaxMemoryObject (or of unknown length that grow past it) are spooled
	// to it while they stream; smaller ones are written through to it
	// after they complete, and promoted back to memory on a disk hit.
	Disk Spooler
	// MaxMemoryObject is the largest body kept in the memory tier
	// (default 1 MiB). Bodies of unknown length are buffered in 32 KiB
	// chunks up to this size rounded down to whole chunks.
	MaxMemoryObject int64
	// FillTimeout bounds a whole fill (origin headers and body) when the
	// FillRequest gives no Timeout (default 5 minutes).
	FillTimeout time.Duration
	// Now is the clock used for Meta.StoredAt (default time.Now).
	Now func() time.Time
}

// Cache is the edge's object cache: tiered storage, collapsed fills and
// purges. It is safe for concurrent use.
type Cache struct {
	mem     Storage
	disk    Spooler
	maxMem  int64
	timeout time.Duration
	now     func() time.Time

	mu       sync.Mutex
	inflight map[string]*fill // fills that new requests may still join
	finished atomic.Uint64    // fills removed from inflight, see Fill

	// commitMu orders stores against purges: fills and promotions store
	// under RLock after checking that no purge happened; Purge holds Lock.
	commitMu sync.RWMutex
	purges   atomic.Uint64 // bumped by every purge; guards promotions

	memHits, diskHits, misses    atomic.Uint64
	fills, joins, alone, dropped atomic.Uint64
}

// New returns a Cache over the configured tiers.
func New(cfg Config) (*Cache, error) {
	if cfg.Memory == nil {
		return nil, errors.New("cache: Config.Memory is required")
	}
	c := &Cache{
		mem:      cfg.Memory,
		disk:     cfg.Disk,
		maxMem:   cfg.MaxMemoryObject,
		timeout:  cfg.FillTimeout,
		now:      cfg.Now,
		inflight: make(map[string]*fill),
	}
	if c.maxMem <= 0 {
		c.maxMem = DefaultMaxMemoryObject
	}
	if c.timeout <= 0 {
		c.timeout = DefaultFillTimeout
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Lookup returns the object stored under key, fresh or stale (the edge
// judges freshness from Meta.Expires). The caller must Close the entry.
// A memory hit does not allocate. A disk hit on a body no larger than
// MaxMemoryObject is promoted: it is read into memory, stored in the
// memory tier and returned from there.
func (c *Cache) Lookup(key string) (Entry, bool) {
	e, ok := c.lookup(key)
	if !ok {
		c.misses.Add(1)
	}
	return e, ok
}

// LookupMemory returns the object under key from the memory tier only: no
// disk lookup, no promotion, nothing counted. It does not keep key, which
// may therefore alias a reused buffer. The edge's fast path uses it and
// calls CountMemoryHits when it serves the entry (else it goes on to Lookup).
func (c *Cache) LookupMemory(key string) (Entry, bool) {
	return c.mem.Get(key)
}

// KeepRendering stores r in the slot of e, an entry that LookupMemory
// returned under key, and has the memory tier weigh the object again with
// it. It does nothing when the tier no longer holds that entry under key.
func (c *Cache) KeepRendering(key string, e Entry, r *Rendering) {
	if k, ok := c.mem.(renderingKeeper); ok && e.Rendering != nil {
		k.KeepRendering(key, e, r)
	}
}

// renderingKeeper is a tier that keeps Renderings (the memory tier).
type renderingKeeper interface {
	KeepRendering(key string, e Entry, r *Rendering)
}

// CountMemoryHits counts n memory hits served from LookupMemory.
func (c *Cache) CountMemoryHits(n uint64) { c.memHits.Add(n) }

// lookup is Lookup without counting misses.
func (c *Cache) lookup(key string) (Entry, bool) {
	if e, ok := c.mem.Get(key); ok {
		c.memHits.Add(1)
		return e, true
	}
	if c.disk != nil {
		gen := c.purges.Load()
		if e, ok := c.disk.Get(key); ok {
			c.diskHits.Add(1)
			if e.Meta.Size <= c.maxMem {
				return c.promote(key, e, gen), true
			}
			return e, true
		}
	}
	return Entry{}, false
}

// promote copies a small disk object into the memory tier, unless a purge
// ran since the disk lookup started (it could be the purged object).
func (c *Cache) promote(key string, e Entry, gen uint64) Entry {
	body := make([]byte, e.Meta.Size)
	if _, err := e.ReadAt(body, 0); err != nil {
		return e
	}
	e.Close()
	m := e.Meta
	c.commitMu.RLock()
	if c.purges.Load() == gen {
		_ = c.mem.Put(key, m, body) // a refused Put only costs the next hit a disk read
	}
	c.commitMu.RUnlock()
	return Entry{Meta: m, Body: body}
}

// Delete removes key from every tier. An in-flight fill for key still
// stores its result; use Purge to stop that too.
func (c *Cache) Delete(key string) {
	c.mem.Delete(key)
	if c.disk != nil {
		c.disk.Delete(key)
	}
}

// Purge removes every object of distribution distID whose path matches,
// from both tiers, and makes in-flight fills of matching objects discard
// their result (their current readers still get the whole response), so
// the next request after Purge returns is a miss. It returns the number of
// distinct objects removed. Purge walks every stored object.
func (c *Cache) Purge(distID string, match func(path string) bool) int {
	c.commitMu.Lock()
	defer c.commitMu.Unlock()
	c.purges.Add(1)

	c.mu.Lock()
	for key, f := range c.inflight {
		if f.distID == distID && match(f.path) {
			f.purged.Store(true)
			delete(c.inflight, key)
		}
	}
	c.mu.Unlock()

	removed := purgeTier(c.mem, distID, match)
	n := len(removed)
	if c.disk != nil {
		for key := range purgeTier(c.disk, distID, match) {
			if _, dup := removed[key]; !dup {
				n++
			}
		}
	}
	return n
}

// Objects returns the stored objects of distribution distID (see All). It
// walks every stored object: for the console, never the request path.
func (c *Cache) Objects(distID string) []Ref {
	var out []Ref
	for r := range c.All() {
		if r.DistID == distID {
			out = append(out, r)
		}
	}
	return out
}

// All yields every stored object of both tiers, an object in both once,
// with the memory tier's Ref and the hits of both copies. It holds the
// memory tier's refs while it walks the disk tier's: for the console and
// the fleet's published summaries, never the request path.
func (c *Cache) All() iter.Seq[Ref] {
	return func(yield func(Ref) bool) {
		if c.disk == nil {
			for r := range c.mem.All() {
				if !yield(r) {
					return
				}
			}
			return
		}
		inMemory := map[string]Ref{}
		for r := range c.mem.All() {
			inMemory[r.Key] = r
		}
		for r := range c.disk.All() {
			if m, ok := inMemory[r.Key]; ok {
				m.Hits += r.Hits
				inMemory[r.Key] = m
				continue
			}
			if !yield(r) {
				return
			}
		}
		for _, r := range inMemory {
			if !yield(r) {
				return
			}
		}
	}
}

// PurgeDistribution removes every object of distribution distID.
func (c *Cache) PurgeDistribution(distID string) int {
	return c.Purge(distID, func(string) bool { return true })
}

func purgeTier(s Storage, distID string, match func(string) bool) map[string]struct{} {
	var keys []string
	for r := range s.All() {
		if r.DistID == distID && match(r.Path) {
			keys = append(keys, r.Key)
		}
	}
	removed := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		if s.Delete(k) {
			removed[k] = struct{}{}
		}
	}
	return removed
}

// Stats is a snapshot of the cache's counters.
type Stats struct {
	Memory TierStats
	Disk   TierStats // zero without a disk tier
	// Misses counts Lookups that found nothing in any tier.
	Misses uint64
	// Fills counts origin fetches started by Fill for collapsed requests;
	// Joins counts Fill calls that joined one of them instead.
	Fills, Joins uint64
	// Alone counts Fill calls that fetched on their own because the fill
	// they joined turned out uncacheable (CloudFront sends such waiters to
	// the origin individually).
	Alone uint64
	// Dropped counts completed fills that were not stored: purged during
	// the fill, too large for any tier, refused by a tier, or whose disk
	// write failed mid-body (disk full, I/O error).
	Dropped uint64
	// InFlight is the number of fills new requests can currently join.
	InFlight int
}

// TierStats describes one tier.
type TierStats struct {
	Hits    uint64
	Entries int
	Bytes   int64
}

// Stats returns the current counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	inflight := len(c.inflight)
	c.mu.Unlock()
	mu := c.mem.Usage()
	st := Stats{
		Memory:   TierStats{Hits: c.memHits.Load(), Entries: mu.Entries, Bytes: mu.Bytes},
		Misses:   c.misses.Load(),
		Fills:    c.fills.Load(),
		Joins:    c.joins.Load(),
		Alone:    c.alone.Load(),
		Dropped:  c.dropped.Load(),
		InFlight: inflight,
	}
	if c.disk != nil {
		du := c.disk.Usage()
		st.Disk = TierStats{Hits: c.diskHits.Load(), Entries: du.Entries, Bytes: du.Bytes}
	}
	return st
}

func (st Stats) String() string {
	return fmt.Sprintf("memory %d hits %d entries %d B; disk %d hits %d entries %d B; %d misses, %d fills, %d joins",
		st.Memory.Hits, st.Memory.Entries, st.Memory.Bytes, st.Disk.Hits, st.Disk.Entries, st.Disk.Bytes,
		st.Misses, st.Fills, st.Joins)
}
