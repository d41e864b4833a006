package cache_test

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"openfront/internal/cache"
	"openfront/internal/cache/cachetest"
	"openfront/internal/cache/memory"
)

func BenchmarkLookupHit(b *testing.B) {
	mem, err := memory.New(64 << 20)
	if err != nil {
		b.Fatal(err)
	}
	c := mustCache(b, cache.Config{Memory: mem})
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = cachetest.Key("E1", fmt.Sprintf("/static/%d.js", i))
		if err := mem.Put(keys[i], cachetest.NewMeta("E1", "/x", 1024), make([]byte, 1024)); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("lookup-only", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			e, ok := c.Lookup(keys[i&1023])
			if !ok {
				b.Fatal("miss")
			}
			e.Close()
		}
	})
	dst := http.Header{}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			e, ok := c.Lookup(keys[i&1023])
			if !ok {
				b.Fatal("miss")
			}
			e.Meta.Header.CopyTo(dst)
			e.Close()
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			dst := http.Header{}
			for i := 0; pb.Next(); i++ {
				e, ok := c.Lookup(keys[i&1023])
				if !ok {
					b.Fatal("miss")
				}
				e.Meta.Header.CopyTo(dst)
				e.Close()
			}
		})
	})
}

func mustCache(b testing.TB, cfg cache.Config) *cache.Cache {
	c, err := cache.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkFillCollapsed measures one collapsed fill of a 16 KiB object
// shared by 32 concurrent callers (ns/op is per fill, not per caller).
func BenchmarkFillCollapsed(b *testing.B) {
	body := cachetest.Body("fill", 16<<10)
	o := &origin{body: bytesBody(body), size: int64(len(body)), cacheable: true}
	c := newCache(b, false, cache.Config{})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		key := cachetest.Key("E1", fmt.Sprintf("/f/%d", i))
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				s, err := c.Fill(b.Context(), request(key, o))
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, s)
				s.Close()
			})
		}
		wg.Wait()
		c.Delete(key) // keep the tier from filling up: admission would skew fetches/op
	}
	b.ReportMetric(float64(o.calls.Load())/float64(b.N), "fetches/op")
}

// TestMemory_overheadPer1KiBObject stores 100k objects of 1 KiB with a
// typical header and reports the heap they take per object.
func TestMemory_overheadPer1KiBObject(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 100k objects")
	}
	const n, size = 100_000, 1024
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)

	mem, err := memory.New(1 << 30)
	if err != nil {
		t.Fatal(err)
	}
	header := http.Header{
		"Content-Type":  {"application/javascript"},
		"Cache-Control": {"public, max-age=86400"},
		"Last-Modified": {"Mon, 02 Jan 2006 15:04:05 GMT"},
	}
	now := time.Now()
	for i := range n {
		path := fmt.Sprintf("/static/js/chunk-%06d.js", i)
		key := "E2QWRUHAPOMQZL|" + path + "|"
		h := header.Clone()
		h["Etag"] = []string{fmt.Sprintf(`"%016x"`, i)}
		m := &cache.Meta{DistID: "E2QWRUHAPOMQZL", Path: path, Status: 200, Header: cache.MakeHeader(h),
			StoredAt: cache.InstantOf(now), Expires: cache.InstantOf(now.Add(time.Hour)), Size: size}
		if err := mem.Put(key, m, make([]byte, size)); err != nil {
			t.Fatal(err)
		}
	}
	mem.CleanUp()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if u := mem.Usage(); u.Entries != n {
		t.Fatalf("%d entries stored, want %d", u.Entries, n)
	}
	perObject := float64(after.HeapInuse-before.HeapInuse) / n
	t.Logf("heap per 1 KiB object: %.0f bytes (ratio %.2f; %d entries, HeapInuse %d MiB)",
		perObject, perObject/size, n, after.HeapInuse>>20)
	if perObject/size > 2 {
		t.Errorf("heap per object %.0f bytes is more than 2x the body", perObject)
	}
	runtime.KeepAlive(mem)
}
