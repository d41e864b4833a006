package memory_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"openfront/internal/cache"
	"openfront/internal/cache/cachetest"
	"openfront/internal/cache/memory"
)

func TestConformance(t *testing.T) {
	cachetest.Run(t, func(t testing.TB, maxBytes int64) cache.Storage {
		s, err := memory.New(maxBytes)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// The body comes back as it was stored: the same bytes, non-nil when it
// was non-nil (even empty), nil when it was nil.
func TestBodyIdentity(t *testing.T) {
	s, err := memory.New(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("hello")
	for key, b := range map[string][]byte{"full": body, "empty": {}, "nil": nil} {
		if err := s.Put(key, &cache.Meta{Size: int64(len(b))}, b); err != nil {
			t.Fatal(err)
		}
		e, ok := s.Get(key)
		if !ok || len(e.Body) != len(b) || (e.Body == nil) != (b == nil) {
			t.Fatalf("%s: got %q (nil %v), want %q (nil %v)", key, e.Body, e.Body == nil, b, b == nil)
		}
		if len(b) > 0 && &e.Body[0] != &b[0] {
			t.Fatalf("%s: body was copied", key)
		}
	}
}

// Headers of every length come back as they were stored, whether their
// values go in the item's allocation (up to 16) or stay in their own.
func TestHeaderLengths(t *testing.T) {
	s, err := memory.New(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	for n := range 20 {
		h := http.Header{}
		for i := range n {
			h.Add(fmt.Sprintf("X-Field-%02d", i/2), fmt.Sprintf("value %d of %d", i, n))
		}
		key := fmt.Sprintf("k%d", n)
		m := &cache.Meta{Status: 200, Header: cache.MakeHeader(h), Size: 1}
		if err := s.Put(key, m, []byte("x")); err != nil {
			t.Fatal(err)
		}
		e, ok := s.Get(key)
		if !ok {
			t.Fatalf("%d fields: not stored", n)
		}
		if got := e.Meta.Header.Clone(); !reflect.DeepEqual(got, h) && !(n == 0 && len(got) == 0) {
			t.Errorf("%d fields: got %v, want %v", n, got, h)
		}
	}
}

// A rendering kept for an entry is seen by later reads of that object and
// weighed with it; one kept for an entry the key no longer holds (the
// object was stored again, or deleted) changes nothing.
func TestKeepRendering(t *testing.T) {
	s, err := memory.New(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	put := func(body string) {
		t.Helper()
		m := &cache.Meta{Status: 200, Header: cache.MakeHeader(http.Header{"Content-Type": {"text/plain"}}), Size: int64(len(body))}
		if err := s.Put("k", m, []byte(body)); err != nil {
			t.Fatal(err)
		}
		s.CleanUp()
	}
	get := func() cache.Entry {
		t.Helper()
		e, ok := s.Get("k")
		if !ok {
			t.Fatal("k not stored")
		}
		return e
	}
	put("one")
	e := get()
	if e.Rendering == nil || e.Rendering.Load() != nil {
		t.Fatalf("a stored object's slot: %v, want an empty one", e.Rendering)
	}
	before := s.Usage().Bytes
	r := &cache.Rendering{Head: make([]byte, 200), Dated: true}
	s.KeepRendering("k", e, r)
	s.CleanUp()
	if got := get().Rendering.Load(); got != r {
		t.Fatalf("rendering after KeepRendering: %p, want %p", got, r)
	}
	if grew := s.Usage().Bytes - before; grew < 200 {
		t.Errorf("keeping a 200-byte rendering added %d bytes to the tier's weight, want at least 200", grew)
	}

	put("two") // e is now a replaced object's entry
	fresh := get()
	s.KeepRendering("k", e, &cache.Rendering{Head: []byte("stale")})
	s.CleanUp()
	if got := get().Rendering.Load(); got != nil {
		t.Errorf("a replaced entry's rendering reached the new object: %q", got.Head)
	}
	if !s.Delete("k") {
		t.Fatal("k not deleted")
	}
	s.KeepRendering("k", fresh, &cache.Rendering{Head: []byte("gone")})
	if _, ok := s.Get("k"); ok {
		t.Error("keeping a rendering for a deleted object stored it again")
	}
}
