package memory_test

import (
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"openfront/internal/cache"
	"openfront/internal/cache/memory"
)

// footprint stores n objects of size bytes the way a fill does (a key built
// into a fresh string, a header copied from an origin response, an exact
// body) and returns the heap bytes each one holds beyond its body, and the
// bytes the tier weighs each one at beyond its body.
// With render, every object also gets the rendering of its head that the
// edge's fast path keeps from its second hit (KeepRendering).
func footprint(t *testing.T, n, size int, header func(i int, date string) http.Header, render bool) (heap, weight float64) {
	s, err := memory.New(1 << 40)
	if err != nil {
		t.Fatal(err)
	}
	heap, weight, _ = footprintObjects(t, s, n, size, header, render)
	return heap, weight
}

// footprintObjects is footprint in s, and also returns the heap objects
// each stored object holds (its key and body included).
func footprintObjects(t *testing.T, s *memory.Storage, n, size int, header func(i int, date string) http.Header, render bool) (heap, weight, objects float64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	for i := range n {
		path := "/obj/rss" + strconv.Itoa(i) + "?size=" + strconv.Itoa(size)
		key := string(fmt.Appendf(nil, "E2QWRUHAPOMQZL\x00*\x00%s", path))
		// A fill runs at ~5000 objects a second: Date changes every 5000.
		date := start.Add(time.Duration(i/5000) * time.Second).Format(http.TimeFormat)
		m := &cache.Meta{DistID: "E2QWRUHAPOMQZL", Path: path, Status: 200,
			Header: cache.MakeHeader(header(i, date)), StoredAt: cache.InstantOf(time.Now()),
			Expires: cache.InstantOf(time.Now().Add(time.Hour)), Size: int64(size)}
		if err := s.Put(key, m, make([]byte, size)); err != nil {
			t.Fatal(err)
		}
		if render {
			e, ok := s.Get(key)
			if !ok {
				t.Fatalf("%s not stored", key)
			}
			s.KeepRendering(key, e, &cache.Rendering{Head: renderHead(e.Meta), Dated: true})
		}
	}
	s.CleanUp()
	runtime.GC()
	runtime.ReadMemStats(&after)
	u := s.Usage()
	if u.Entries != n {
		t.Fatalf("stored %d entries, want %d", u.Entries, n)
	}
	runtime.KeepAlive(s)
	heap = float64(after.HeapAlloc-before.HeapAlloc)/float64(n) - float64(size)
	objects = float64(after.HeapObjects-before.HeapObjects) / float64(n)
	return heap, float64(u.Bytes)/float64(n) - float64(size), objects
}

// Each stored object is four heap objects: its key, its body, otter's
// node, and the item with the header's values in it (the header's names
// and its recurring values are shared). The garbage collector marks every
// one of them each cycle, so with 100,000 small objects cached each one
// more costs every miss (bench/FILL-RESULTS.md).
func TestObjectsPerEntry(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header func(int, string) http.Header
		max    float64
	}{
		{"bench", benchHeader, 4.1},
		// The per-object ETag and Last-Modified are one more: the bytes
		// of values the header owns.
		{"typical", typicalHeader, 5.1},
	} {
		s, err := memory.New(1 << 40)
		if err != nil {
			t.Fatal(err)
		}
		_, _, objects := footprintObjects(t, s, 20_000, 1024, tc.header, false)
		t.Logf("%s header: %.2f heap objects per stored object", tc.name, objects)
		if objects > tc.max {
			t.Errorf("%s header: %.2f heap objects per stored object, want at most %.1f", tc.name, objects, tc.max)
		}
	}
}

// benchHeader is what bench/origin sends, as the edge stores it.
func benchHeader(_ int, date string) http.Header {
	return http.Header{
		"Cache-Control":  {"max-age=3600"},
		"Content-Type":   {"application/octet-stream"},
		"Content-Length": {"1024"},
		"Last-Modified":  {"Mon, 02 Jan 2006 15:04:05 GMT"},
		"Date":           {date},
	}
}

// typicalHeader adds what most origins send: a per-object ETag and
// Last-Modified, and Accept-Ranges.
func typicalHeader(i int, date string) http.Header {
	lm := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).Format(http.TimeFormat)
	return http.Header{
		"Accept-Ranges":  {"bytes"},
		"Cache-Control":  {"public, max-age=86400"},
		"Content-Type":   {"image/png"},
		"Content-Length": {"1024"},
		"Etag":           {fmt.Sprintf(`"%x-%x"`, 1024, 0x5e8f3a00+i*7919)},
		"Last-Modified":  {lm},
		"Date":           {date},
	}
}

// TestFootprint reports the heap bytes one small object costs beyond its
// body (go test -run Footprint -v ./internal/cache/memory).
func TestFootprint(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 200k objects")
	}
	for _, tc := range []struct {
		name   string
		header func(int, string) http.Header
		max    float64 // regression bound on heap bytes beyond the body
		render bool    // with the head's rendering (KeepRendering), as from a second fast hit
	}{
		{"bench", benchHeader, 360, false}, {"typical", typicalHeader, 440, false},
		{"bench, rendered", benchHeader, 640, true}, {"typical, rendered", typicalHeader, 780, true},
	} {
		heap, weight := footprint(t, 100_000, 1024, tc.header, tc.render)
		t.Logf("%s header: %.0f heap bytes per 1 KiB object beyond its body, weighed at %.0f", tc.name, heap, weight)
		if heap > tc.max {
			t.Errorf("%s header: %.0f heap bytes per object beyond its body, want at most %.0f", tc.name, heap, tc.max)
		}
		if weight < heap {
			t.Errorf("%s header: objects weighed at %.0f bytes beyond their body but take %.0f: the byte bound undercounts", tc.name, weight, heap)
		}
	}
}

// renderHead is a head the size of the edge's rendering of m (status line,
// one line per stored field, Content-Length), in an allocation of its own
// as the edge makes it.
func renderHead(m *cache.Meta) []byte {
	b := []byte("HTTP/1.1 200 OK\r\n")
	for name, value := range m.Header.All() {
		b = append(append(append(append(b, name...), ": "...), value...), "\r\n"...)
	}
	b = append(b, "Content-Length: "+strconv.FormatInt(m.Size, 10)+"\r\n"...)
	return slices.Clone(b)
}
