// Package cachetest is the conformance suite for cache.Storage: every tier
// (cache/memory, cache/disk) runs it from a three-line test.
package cachetest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"openfront/internal/cache"
)

// NewStorage returns an empty tier bounded to maxBytes, cleaned up with t.
type NewStorage func(t testing.TB, maxBytes int64) cache.Storage

// cleaner is implemented by tiers whose eviction runs in the background.
type cleaner interface{ CleanUp() }

// Run runs every conformance test against tiers made by newStorage.
func Run(t *testing.T, newStorage NewStorage) {
	tests := []struct {
		name string
		fn   func(*testing.T, NewStorage)
	}{
		{"PutGet", testPutGet},
		{"GetMissing", testGetMissing},
		{"Replace", testReplace},
		{"Delete", testDelete},
		{"EmptyBody", testEmptyBody},
		{"SizeMismatch", testSizeMismatch},
		{"TooLarge", testTooLarge},
		{"CopySafety", testCopySafety},
		{"All", testAll},
		{"EvictionByBytes", testEvictionByBytes},
		{"Purge", testPurge},
		{"Concurrent", testConcurrent},
		{"Hits", testHits},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStorage) })
	}
}

// NewMeta returns metadata for a body of size bytes with a typical header.
func NewMeta(distID, path string, size int64) *cache.Meta {
	h := http.Header{
		"Content-Type":  {"text/plain; charset=utf-8"},
		"Etag":          {`"` + path + `"`},
		"Cache-Control": {"max-age=60"},
		"Last-Modified": {"Mon, 02 Jan 2006 15:04:05 GMT"},
	}
	now := time.Unix(1_700_000_000, 123)
	return &cache.Meta{
		DistID:   distID,
		Path:     path,
		Status:   http.StatusOK,
		Header:   cache.MakeHeader(h),
		StoredAt: cache.InstantOf(now),
		Expires:  cache.InstantOf(now.Add(time.Minute)),
		Size:     size,
	}
}

// Body returns size deterministic bytes derived from seed.
func Body(seed string, size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = seed[i%len(seed)] + byte(i/len(seed))
	}
	return b
}

// Key builds a cache key the way the edge does: distribution first.
func Key(distID, path string) string { return distID + "|" + path + "|" }

// MustGet returns the entry under key with its whole body, or fails.
func MustGet(t testing.TB, s cache.Storage, key string) (*cache.Meta, []byte) {
	t.Helper()
	e, ok := s.Get(key)
	if !ok {
		t.Fatalf("Get(%q): miss, want hit", key)
	}
	defer e.Close()
	body, err := io.ReadAll(io.NewSectionReader(e, 0, e.Meta.Size))
	if err != nil {
		t.Fatalf("Get(%q): read body: %v", key, err)
	}
	return e.Meta, body
}

func mustPut(t testing.TB, s cache.Storage, key string, m *cache.Meta, body []byte) {
	t.Helper()
	if err := s.Put(key, m, body); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func testPutGet(t *testing.T, newStorage NewStorage) {
	s := newStorage(t, 1<<20)
	key := Key("E1", "/a.txt")
	want := Body("a", 1000)
	m := NewMeta("E1", "/a.txt", int64(len(want)))
	m.Header = cache.MakeHeader(http.Header{"Set-Cookie": {"a=1", "b=2"}, "X-One": {"1"}})
	mustPut(t, s, key, m, bytes.Clone(want))

	got, body := MustGet(t, s, key)
	if !bytes.Equal(body, want) {
		t.Fatalf("body differs: got %d bytes", len(body))
	}
	if got.DistID != "E1" || got.Path != "/a.txt" || got.Status != 200 || got.Size != 1000 {
		t.Errorf("meta = %+v", got)
	}
	if got.StoredAt != m.StoredAt || got.Expires != m.Expires {
		t.Errorf("times = %v, %v; want %v, %v", got.StoredAt, got.Expires, m.StoredAt, m.Expires)
	}
	h := got.Header.Clone()
	if fmt.Sprint(h["Set-Cookie"]) != "[a=1 b=2]" || h.Get("X-One") != "1" || len(h) != 2 {
		t.Errorf("header = %v", h)
	}
	// Entry.WriteRange serves a part of the body.
	e, _ := s.Get(key)
	defer e.Close()
	var buf bytes.Buffer
	if n, err := e.WriteRange(&buf, 10, 20); err != nil || n != 20 || !bytes.Equal(buf.Bytes(), want[10:30]) {
		t.Errorf("WriteRange(10, 20) = %d, %v, %q", n, err, buf.Bytes())
	}
	if _, err := e.WriteRange(&buf, 990, 20); err == nil {
		t.Error("WriteRange past the end: no error")
	}
}

func testGetMissing(t *testing.T, newStorage NewStorage) {
	s := newStorage(t, 1<<20)
	if _, ok := s.Get("nope"); ok {
		t.Fatal("Get on empty tier: hit")
	}
}

func testReplace(t *testing.T, newStorage NewStorage) {
	s := newStorage(t, 1<<20)
	key := Key("E1", "/r")
	mustPut(t, s, key, NewMeta("E1", "/r", 3), []byte("old"))
	mustPut(t, s, key, NewMeta("E1", "/r", 5), []byte("newer"))
	if _, body := MustGet(t, s, key); string(body) != "newer" {
		t.Fatalf("body = %q, want newer", body)
	}
	if u := s.Usage(); u.Entries != 1 {
		t.Errorf("entries = %d, want 1", u.Entries)
	}
}

func testDelete(t *testing.T, newStorage NewStorage) {
	s := newStorage(t, 1<<20)
	key := Key("E1", "/d")
	mustPut(t, s, key, NewMeta("E1", "/d", 4), []byte("body"))
	e, ok := s.Get(key) // a reader holding the entry keeps reading it
	if !ok {
		t.Fatal("miss after Put")
	}
	defer e.Close()
	if !s.Delete(key) {
		t.Fatal("Delete of a stored key = false")
	}
	if s.Delete(key) {
		t.Error("second Delete = true")
	}
	if _, ok := s.Get(key); ok {
		t.Error("hit after Delete")
	}
	b := make([]byte, 4)
	if _, err := e.ReadAt(b, 0); err != nil || string(b) != "body" {
		t.Errorf("read after Delete = %q, %v", b, err)
	}
}

func testEmptyBody(t *testing.T, newStorage NewStorage) {
	s := newStorage(t, 1<<20)
	key := Key("E1", "/empty")
	m := NewMeta("E1", "/empty", 0)
	m.Status = http.StatusNoContent
	mustPut(t, s, key, m, nil)
	got, body := MustGet(t, s, key)
	if len(body) != 0 || got.Status != http.StatusNoContent {
		t.Fatalf("got %d, %q", got.Status, body)
	}
}

func testSizeMismatch(t *testing.T, newStorage NewStorage) {
	s := newStorage(t, 1<<20)
	err := s.Put(Key("E1", "/m"), NewMeta("E1", "/m", 10), []byte("short"))
	if !errors.Is(err, cache.ErrSizeMismatch) {
		t.Fatalf("Put = %v, want ErrSizeMismatch", err)
	}
	if _, ok := s.Get(Key("E1", "/m")); ok {
		t.Error("hit after a refused Put")
	}
}

func testTooLarge(t *testing.T, newStorage NewStorage) {
	s := newStorage(t, 64<<10)
	err := s.Put(Key("E1", "/big"), NewMeta("E1", "/big", 128<<10), make([]byte, 128<<10))
	if !errors.Is(err, cache.ErrTooLarge) {
		t.Fatalf("Put = %v, want ErrTooLarge", err)
	}
}

func testCopySafety(t *testing.T, newStorage NewStorage) {
	s := newStorage(t, 1<<20)
	key := Key("E1", "/c")
	h := http.Header{"X-A": {"1"}}
	m := NewMeta("E1", "/c", 2)
	m.Header = cache.MakeHeader(h)
	mustPut(t, s, key, m, []byte("hi"))
	h["X-A"][0] = "changed"
	m.Status = 500
	m.Path = "/other"

	got, _ := MustGet(t, s, key)
	if got.Status != 200 || got.Path != "/c" || got.Header.Get("X-A") != "1" {
		t.Fatalf("stored meta changed with the caller's copy: %+v", got)
	}
	dst := http.Header{}
	got.Header.CopyTo(dst)
	dst.Add("X-A", "2")
	dst.Set("X-B", "3")
	if again, _ := MustGet(t, s, key); again.Header.Len() != 1 || again.Header.Get("X-A") != "1" {
		t.Fatalf("stored header changed through CopyTo's result: %v", again.Header.Clone())
	}
}

func testAll(t *testing.T, newStorage NewStorage) {
	s := newStorage(t, 1<<20)
	want := map[string]cache.Ref{}
	for i := range 20 {
		dist := []string{"E1", "E2"}[i%2]
		path := fmt.Sprintf("/obj/%d", i)
		key := Key(dist, path)
		body := Body(path, i+1)
		mustPut(t, s, key, NewMeta(dist, path, int64(len(body))), body)
		want[key] = cache.Ref{Key: key, DistID: dist, Path: path, Size: int64(len(body))}
	}
	got := map[string]cache.Ref{}
	for r := range s.All() {
		got[r.Key] = r
	}
	if len(got) != len(want) {
		t.Fatalf("All yielded %d objects, want %d", len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("All: %q = %+v, want %+v", k, got[k], w)
		}
	}
	// Deleting from inside the loop is allowed, and stopping early works.
	n := 0
	for r := range s.All() {
		if r.DistID == "E1" {
			s.Delete(r.Key)
		}
		n++
	}
	if n != 20 {
		t.Errorf("second iteration saw %d objects, want 20", n)
	}
	for r := range s.All() {
		if r.DistID == "E1" {
			t.Errorf("%q still stored after Delete", r.Key)
		}
		break
	}
	if u := s.Usage(); u.Entries != 10 {
		t.Errorf("entries = %d, want 10", u.Entries)
	}
}

func testEvictionByBytes(t *testing.T, newStorage NewStorage) {
	const maxBytes = 64 << 10
	s := newStorage(t, maxBytes)
	for i := range 200 {
		path := fmt.Sprintf("/e/%d", i)
		body := Body(path, 1024)
		mustPut(t, s, Key("E1", path), NewMeta("E1", path, 1024), body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if c, ok := s.(cleaner); ok {
			c.CleanUp()
		}
		u := s.Usage()
		if u.Bytes <= maxBytes {
			if u.Entries == 0 || u.Entries >= 200 {
				t.Fatalf("entries = %d after eviction, want some but not all", u.Entries)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("usage %d bytes, bound %d", u.Bytes, maxBytes)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// What is still listed is still readable and intact.
	for r := range s.All() {
		if _, body := MustGet(t, s, r.Key); !bytes.Equal(body, Body(r.Path, 1024)) {
			t.Fatalf("%q: body damaged", r.Key)
		}
	}
}

func testPurge(t *testing.T, newStorage NewStorage) {
	s := newStorage(t, 1<<20)
	c, err := cache.New(cache.Config{Memory: s})
	if err != nil {
		t.Fatal(err)
	}
	for _, dist := range []string{"E1", "E2"} {
		for _, p := range []string{"/img/a.jpg", "/img/b.jpg", "/css/a.css"} {
			mustPut(t, s, Key(dist, p), NewMeta(dist, p, 1), []byte("x"))
		}
	}
	n := c.Purge("E1", func(p string) bool { return len(p) >= 5 && p[:5] == "/img/" })
	if n != 2 {
		t.Errorf("Purge = %d, want 2", n)
	}
	for _, tc := range []struct {
		dist, path string
		hit        bool
	}{
		{"E1", "/img/a.jpg", false}, {"E1", "/img/b.jpg", false}, {"E1", "/css/a.css", true},
		{"E2", "/img/a.jpg", true}, {"E2", "/css/a.css", true},
	} {
		e, ok := c.Lookup(Key(tc.dist, tc.path))
		if ok {
			e.Close()
		}
		if ok != tc.hit {
			t.Errorf("Lookup(%s %s) hit = %v, want %v", tc.dist, tc.path, ok, tc.hit)
		}
	}
	if n := c.PurgeDistribution("E2"); n != 3 {
		t.Errorf("PurgeDistribution = %d, want 3", n)
	}
	if u := s.Usage(); u.Entries != 1 {
		t.Errorf("entries = %d, want 1", u.Entries)
	}
}

func testConcurrent(t *testing.T, newStorage NewStorage) {
	s := newStorage(t, 256<<10)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				path := fmt.Sprintf("/k/%d", (i*7+g)%50)
				key := Key("E1", path)
				switch i % 4 {
				case 0:
					body := Body(path, 512+i%50)
					if err := s.Put(key, NewMeta("E1", path, int64(len(body))), body); err != nil {
						t.Error(err)
						return
					}
				case 1:
					s.Delete(key)
				default:
					e, ok := s.Get(key)
					if !ok {
						continue
					}
					body, err := io.ReadAll(io.NewSectionReader(e, 0, e.Meta.Size))
					e.Close()
					if err != nil || !bytes.Equal(body, Body(path, len(body))) {
						t.Errorf("%q: torn read (%v)", key, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// testHits checks the per-object hit counter: hits counted through the
// entries Get returns show in All, per object, and a replaced object
// starts again from zero.
func testHits(t *testing.T, newStorage NewStorage) {
	s := newStorage(t, 1<<20)
	a, b := Key("E1", "/a"), Key("E1", "/b")
	mustPut(t, s, a, NewMeta("E1", "/a", 3), []byte("aaa"))
	mustPut(t, s, b, NewMeta("E1", "/b", 3), []byte("bbb"))
	for key, n := range map[string]int{a: 3, b: 1} {
		for range n {
			e, ok := s.Get(key)
			if !ok {
				t.Fatalf("Get(%q) missed", key)
			}
			if e.Hits == nil {
				t.Fatalf("Get(%q): entry without a hit counter", key)
			}
			e.CountHit()
			e.Close()
		}
	}
	hits := func() map[string]uint64 {
		got := map[string]uint64{}
		for r := range s.All() {
			got[r.Path] = r.Hits
		}
		return got
	}
	if got := hits(); got["/a"] != 3 || got["/b"] != 1 {
		t.Errorf("hits = %v, want /a:3 /b:1", got)
	}
	mustPut(t, s, a, NewMeta("E1", "/a", 4), []byte("aaaa"))
	if got := hits(); got["/a"] != 0 || got["/b"] != 1 {
		t.Errorf("after replacing /a: hits = %v, want /a:0 /b:1", got)
	}
}
