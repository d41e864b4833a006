package signedurl

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"sync"
)

// A cache key identifies one verified (policy, signature, key) triple: the
// hash algorithm, key id, signature and the Policy (custom) or Expires
// (canned) parameter as received, and for a canned policy the request URL
// it was rebuilt from, each length-prefixed. The bytes themselves are the
// map key: looking them up costs no hashing beyond the map's own (a
// SHA-256 per request cost more than the rest of a cached check).
func appendCacheKey(b []byte, hash crypto.Hash, in *inputs, t *target) []byte {
	kind := byte('E')
	if in.custom {
		kind = 'P'
	}
	b = append(b, byte(hash), kind)
	b = appendField(b, in.keyID)
	b = appendField(b, in.signature)
	if in.custom {
		b = appendField(b, in.policy)
	} else {
		b = appendField(b, in.expires)
		b = appendField(b, t.url)
	}
	return b
}

// appendField appends s with its length, so fields cannot run together.
func appendField(b []byte, s string) []byte {
	n := len(s)
	b = append(b, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	return append(b, s...)
}

const lruShards = 16

// lru is a sharded least-recently-used map from cacheKey to verified
// policies; each shard holds at most size/lruShards entries.
type lru struct {
	shards [lruShards]lruShard
}

type lruShard struct {
	mu   sync.Mutex
	m    map[string]*lruEntry
	head lruEntry // sentinel: head.next is the most recent entry
	max  int
}

type lruEntry struct {
	key        string
	pub        crypto.PublicKey
	policy     *Policy
	prev, next *lruEntry
}

// shard picks a key's shard from bytes of its signature, which are
// uniformly distributed.
func (c *lru) shard(k []byte) *lruShard {
	var h byte
	for _, b := range k[min(len(k), 16):min(len(k), 24)] {
		h ^= b
	}
	return &c.shards[h%lruShards]
}

func newLRU(size int) *lru {
	per := (size + lruShards - 1) / lruShards
	c := &lru{}
	for i := range c.shards {
		s := &c.shards[i]
		s.m = make(map[string]*lruEntry)
		s.head.next, s.head.prev = &s.head, &s.head
		s.max = per
	}
	return c
}

// get returns the policy cached under k if it was verified with a key
// equal to pub.
func (c *lru) get(k []byte, pub crypto.PublicKey) *Policy {
	s := c.shard(k)
	s.mu.Lock()
	e := s.m[string(k)] // no allocation: the conversion is only for the lookup
	if e == nil {
		s.mu.Unlock()
		return nil
	}
	s.unlink(e)
	s.pushFront(e)
	p, epub := e.policy, e.pub
	s.mu.Unlock()
	if !sameKey(epub, pub) {
		return nil
	}
	return p
}

func (c *lru) put(k []byte, pub crypto.PublicKey, p *Policy) {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.m[string(k)]; e != nil {
		e.pub, e.policy = pub, p
		s.unlink(e)
		s.pushFront(e)
		return
	}
	if len(s.m) >= s.max {
		old := s.head.prev
		s.unlink(old)
		delete(s.m, old.key)
	}
	e := &lruEntry{key: string(k), pub: pub, policy: p}
	s.m[e.key] = e
	s.pushFront(e)
}

func (c *lru) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

func (s *lruShard) unlink(e *lruEntry) {
	e.prev.next = e.next
	e.next.prev = e.prev
}

func (s *lruShard) pushFront(e *lruEntry) {
	e.prev = &s.head
	e.next = s.head.next
	s.head.next.prev = e
	s.head.next = e
}

// sameKey reports whether two public keys are equal, by pointer first.
func sameKey(a, b crypto.PublicKey) bool {
	switch ka := a.(type) {
	case *rsa.PublicKey:
		kb, ok := b.(*rsa.PublicKey)
		return ok && (ka == kb || ka.Equal(kb))
	case *ecdsa.PublicKey:
		kb, ok := b.(*ecdsa.PublicKey)
		return ok && (ka == kb || ka.Equal(kb))
	}
	if eq, ok := a.(interface{ Equal(crypto.PublicKey) bool }); ok {
		return eq.Equal(b)
	}
	return false
}
