package cache_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"openfront/internal/cache"
	"openfront/internal/cache/cachetest"
	"openfront/internal/cache/disk"
	"openfront/internal/cache/memory"
)

// newCache returns a Cache with a memory tier and, when withDisk, a disk
// tier in a temp dir.
func newCache(t testing.TB, withDisk bool, cfg cache.Config) *cache.Cache {
	t.Helper()
	mem, err := memory.New(64 << 20)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Memory = mem
	if withDisk {
		d, err := disk.Open(disk.Config{Dir: t.TempDir(), MaxBytes: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Disk = d
	}
	c, err := cache.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// origin is a fake origin that counts fetches.
type origin struct {
	calls     atomic.Int64
	delay     time.Duration
	body      func() io.ReadCloser
	size      int64
	cacheable bool
	err       error
	hold      chan struct{} // if set, headers wait until it is closed
}

func (o *origin) fetch(ctx context.Context) (*cache.FetchResult, error) {
	o.calls.Add(1)
	if o.hold != nil {
		select {
		case <-o.hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	select {
	case <-time.After(o.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if o.err != nil {
		return nil, o.err
	}
	return &cache.FetchResult{
		Status:    http.StatusOK,
		Header:    http.Header{"Content-Type": {"application/octet-stream"}},
		Expires:   time.Now().Add(time.Minute),
		Size:      o.size,
		Body:      o.body(),
		Cacheable: o.cacheable,
	}, nil
}

func bytesBody(b []byte) func() io.ReadCloser {
	return func() io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }
}

func request(key string, o *origin) *cache.FillRequest {
	return &cache.FillRequest{Key: key, DistID: "E1", Path: strings.Split(key, "|")[1], Fetch: o.fetch}
}

func readAll(t testing.TB, s *cache.Stream) []byte {
	t.Helper()
	defer s.Close()
	b, err := io.ReadAll(s)
	if err != nil {
		t.Errorf("read stream: %v", err)
	}
	return b
}

func TestCache_Fill_collapses(t *testing.T) {
	for _, withDisk := range []bool{false, true} {
		t.Run(fmt.Sprintf("disk=%v", withDisk), func(t *testing.T) {
			// 1.2 MiB with disk goes through the spool, 100 KiB without
			// stays in memory.
			size := 100 << 10
			if withDisk {
				size = 1200 << 10
			}
			want := cachetest.Body("collapse", size)
			o := &origin{delay: 50 * time.Millisecond, body: bytesBody(want), size: int64(size), cacheable: true, hold: make(chan struct{})}
			c := newCache(t, withDisk, cache.Config{})
			key := cachetest.Key("E1", "/c")

			var wg sync.WaitGroup
			var shared atomic.Int64
			bodies := make([][]byte, 200)
			for i := range bodies {
				wg.Go(func() {
					s, err := c.Fill(t.Context(), request(key, o))
					if err != nil {
						t.Error(err)
						return
					}
					if s.Shared {
						shared.Add(1)
					}
					bodies[i] = readAll(t, s)
				})
			}
			waitJoins(t, c, 199) // all 200 are collapsed before the origin answers
			close(o.hold)
			wg.Wait()
			if n := o.calls.Load(); n != 1 {
				t.Fatalf("origin fetched %d times, want 1", n)
			}
			if n := shared.Load(); n != 199 {
				t.Errorf("%d streams shared, want 199", n)
			}
			for i, b := range bodies {
				if !bytes.Equal(b, want) {
					t.Fatalf("caller %d got %d bytes, not the body", i, len(b))
				}
			}
			waitIdle(t, c)
			e, ok := c.Lookup(key)
			if !ok {
				t.Fatal("miss after fill")
			}
			defer e.Close()
			if (e.File != nil) != withDisk || e.Meta.Size != int64(size) {
				t.Errorf("stored entry: file=%v size=%d", e.File != nil, e.Meta.Size)
			}
		})
	}
}

// waitIdle waits until no fill is in flight (stores happen after readers
// see EOF).
func waitIdle(t testing.TB, c *cache.Cache) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); c.Stats().InFlight > 0; {
		if time.Now().After(deadline) {
			t.Fatal("fill still in flight")
		}
		time.Sleep(time.Millisecond)
	}
}

// waitJoins waits until n Fill calls have joined a fill.
func waitJoins(t testing.TB, c *cache.Cache, n uint64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); c.Stats().Joins < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d joins, want %d", c.Stats().Joins, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// gatedBody releases one chunk each time release is called.
type gatedBody struct {
	chunks [][]byte
	gate   chan struct{}
}

func (g *gatedBody) Read(p []byte) (int, error) {
	if len(g.chunks) == 0 {
		return 0, io.EOF
	}
	<-g.gate
	n := copy(p, g.chunks[0])
	g.chunks = g.chunks[1:]
	return n, nil
}

func (g *gatedBody) Close() error { return nil }

func newGated(n, size int) (*gatedBody, []byte) {
	g := &gatedBody{gate: make(chan struct{}, n)}
	var all []byte
	for i := range n {
		ch := cachetest.Body(fmt.Sprintf("chunk%d", i), size)
		g.chunks = append(g.chunks, ch)
		all = append(all, ch...)
	}
	return g, all
}

func TestCache_Fill_streamsBeforeComplete(t *testing.T) {
	for _, size := range []int64{-1, 10 * 1000} {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			g, want := newGated(10, 1000)
			o := &origin{body: func() io.ReadCloser { return g }, size: size, cacheable: true}
			c := newCache(t, false, cache.Config{})
			key := cachetest.Key("E1", "/stream")

			first, err := c.Fill(t.Context(), request(key, o))
			if err != nil {
				t.Fatal(err)
			}
			second, err := c.Fill(t.Context(), request(key, o))
			if err != nil {
				t.Fatal(err)
			}
			g.gate <- struct{}{} // only the first chunk is available
			for _, s := range []*cache.Stream{first, second} {
				buf := make([]byte, 1000)
				if _, err := io.ReadFull(s, buf); err != nil || !bytes.Equal(buf, want[:1000]) {
					t.Fatalf("first chunk: %v", err)
				}
			}
			for range 9 {
				g.gate <- struct{}{}
			}
			if rest := readAll(t, first); !bytes.Equal(rest, want[1000:]) {
				t.Error("first stream: rest differs")
			}
			if rest := readAll(t, second); !bytes.Equal(rest, want[1000:]) {
				t.Error("second stream: rest differs")
			}
			if o.calls.Load() != 1 {
				t.Errorf("calls = %d", o.calls.Load())
			}
		})
	}
}

func TestCache_Fill_firstCallerLeaves(t *testing.T) {
	g, want := newGated(4, 1000)
	o := &origin{body: func() io.ReadCloser { return g }, size: -1, cacheable: true, hold: make(chan struct{})}
	c := newCache(t, false, cache.Config{})
	key := cachetest.Key("E1", "/leave")

	ctx, cancel := context.WithCancel(t.Context())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := c.Fill(ctx, request(key, o))
		leaderErr <- err
	}()
	for c.Stats().Fills == 0 {
		time.Sleep(time.Millisecond)
	}
	waiter := make(chan *cache.Stream)
	go func() {
		s, err := c.Fill(t.Context(), request(key, o))
		if err != nil {
			t.Error(err)
		}
		waiter <- s
	}()
	for c.Stats().Joins == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel() // the viewer that started the fill disconnects before headers
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Errorf("leader Fill = %v, want context.Canceled", err)
	}
	close(o.hold)
	for range 4 {
		g.gate <- struct{}{}
	}
	s := <-waiter
	if s == nil {
		t.FailNow()
	}
	if got := readAll(t, s); !bytes.Equal(got, want) {
		t.Fatalf("waiter got %d bytes", len(got))
	}
	waitIdle(t, c)
	if e, ok := c.Lookup(key); !ok || e.Meta.Size != int64(len(want)) {
		t.Fatal("fill not stored after its first caller left")
	}
	if o.calls.Load() != 1 {
		t.Errorf("calls = %d", o.calls.Load())
	}
}

func TestCache_Fill_leaderClosesMidBody(t *testing.T) {
	g, want := newGated(3, 1000)
	o := &origin{body: func() io.ReadCloser { return g }, size: 3000, cacheable: true}
	c := newCache(t, true, cache.Config{MaxMemoryObject: 1000}) // spool to disk
	key := cachetest.Key("E1", "/mid")
	s, err := c.Fill(t.Context(), request(key, o))
	if err != nil {
		t.Fatal(err)
	}
	g.gate <- struct{}{}
	if _, err := io.ReadFull(s, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	g.gate <- struct{}{}
	g.gate <- struct{}{}
	waitIdle(t, c)
	e, ok := c.Lookup(key)
	if !ok {
		t.Fatal("miss")
	}
	defer e.Close()
	got := make([]byte, 3000)
	if _, err := e.ReadAt(got, 0); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("stored body differs (%v)", err)
	}
}

func TestCache_Purge_duringFill(t *testing.T) {
	for _, withDisk := range []bool{false, true} {
		t.Run(fmt.Sprintf("disk=%v", withDisk), func(t *testing.T) {
			g, want := newGated(2, 1000)
			o := &origin{body: func() io.ReadCloser { return g }, size: 2000, cacheable: true}
			c := newCache(t, withDisk, cache.Config{MaxMemoryObject: 1500})
			key := cachetest.Key("E1", "/img/p.jpg")
			s, err := c.Fill(t.Context(), request(key, o))
			if err != nil {
				t.Fatal(err)
			}
			g.gate <- struct{}{}
			if n := c.Purge("E1", func(p string) bool { return strings.HasPrefix(p, "/img/") }); n != 0 {
				t.Errorf("Purge = %d, want 0 stored objects", n)
			}
			g.gate <- struct{}{}
			if got := readAll(t, s); !bytes.Equal(got, want) {
				t.Fatal("the reader of a purged fill must still get the whole response")
			}
			waitIdle(t, c)
			if _, ok := c.Lookup(key); ok {
				t.Fatal("hit after Purge: the in-flight fill was stored")
			}
			o.body = bytesBody(want)
			s2, err := c.Fill(t.Context(), request(key, o))
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, s2)
			if s2.Shared || o.calls.Load() != 2 {
				t.Errorf("request after purge: shared=%v calls=%d, want a new fetch", s2.Shared, o.calls.Load())
			}
			// The second fill stores after its reader is done: let it end
			// before TempDir's cleanup removes the disk tier under it.
			waitIdle(t, c)
		})
	}
}

func TestCache_Fill_uncacheable(t *testing.T) {
	want := []byte("private answer")
	o := &origin{delay: 30 * time.Millisecond, body: bytesBody(want), size: int64(len(want))}
	c := newCache(t, false, cache.Config{})
	key := cachetest.Key("E1", "/private")
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			s, err := c.Fill(t.Context(), request(key, o))
			if err != nil {
				t.Error(err)
				return
			}
			if got := readAll(t, s); !bytes.Equal(got, want) {
				t.Errorf("got %q", got)
			}
		})
	}
	wg.Wait()
	if n := o.calls.Load(); n != 5 {
		t.Errorf("origin fetched %d times, want 5 (waiters go alone)", n)
	}
	if _, ok := c.Lookup(key); ok {
		t.Error("uncacheable response stored")
	}
}

func TestCache_Fill_fetchError(t *testing.T) {
	boom := errors.New("origin down")
	o := &origin{err: boom, hold: make(chan struct{})}
	c := newCache(t, false, cache.Config{})
	key := cachetest.Key("E1", "/err")
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := c.Fill(t.Context(), request(key, o)); !errors.Is(err, boom) {
				t.Errorf("Fill = %v, want %v", err, boom)
			}
		})
	}
	waitJoins(t, c, 9)
	close(o.hold)
	wg.Wait()
	if n := o.calls.Load(); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
	o.err, o.hold = nil, nil
	o.body = bytesBody([]byte("ok"))
	o.size = 2
	o.cacheable = true
	s, err := c.Fill(t.Context(), request(key, o))
	if err != nil || string(readAll(t, s)) != "ok" {
		t.Fatalf("retry after error: %v", err)
	}
}

func TestCache_Fill_shortBodyNotStored(t *testing.T) {
	o := &origin{body: bytesBody([]byte("half")), size: 8, cacheable: true}
	c := newCache(t, false, cache.Config{})
	key := cachetest.Key("E1", "/short")
	s, err := c.Fill(t.Context(), request(key, o))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := io.ReadAll(s); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read = %v, want ErrUnexpectedEOF", err)
	}
	waitIdle(t, c)
	if _, ok := c.Lookup(key); ok {
		t.Error("short body stored")
	}
}

func TestCache_Fill_unknownLengthOutgrowsMemory(t *testing.T) {
	want := cachetest.Body("grow", 300<<10)
	for _, withDisk := range []bool{false, true} {
		t.Run(fmt.Sprintf("disk=%v", withDisk), func(t *testing.T) {
			o := &origin{body: bytesBody(want), size: -1, cacheable: true, delay: 10 * time.Millisecond}
			c := newCache(t, withDisk, cache.Config{MaxMemoryObject: 100 << 10})
			key := cachetest.Key("E1", "/grow")
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(func() {
					s, err := c.Fill(t.Context(), request(key, o))
					if err != nil {
						t.Error(err)
						return
					}
					if got := readAll(t, s); !bytes.Equal(got, want) {
						t.Errorf("got %d bytes", len(got))
					}
				})
			}
			wg.Wait()
			waitIdle(t, c)
			e, ok := c.Lookup(key)
			if ok != withDisk {
				t.Fatalf("stored = %v, want %v", ok, withDisk)
			}
			if ok {
				defer e.Close()
				if e.File == nil || e.Meta.Size != int64(len(want)) {
					t.Errorf("entry: file=%v size=%d", e.File != nil, e.Meta.Size)
				}
			}
		})
	}
}

func TestCache_Lookup_promotesSmallDiskObjects(t *testing.T) {
	mem, _ := memory.New(1 << 20)
	d, err := disk.Open(disk.Config{Dir: t.TempDir(), MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := cache.New(cache.Config{Memory: mem, Disk: d})
	key := cachetest.Key("E1", "/small")
	if err := d.Put(key, cachetest.NewMeta("E1", "/small", 5), []byte("hello")); err != nil {
		t.Fatal(err)
	}
	e, ok := c.Lookup(key)
	if !ok || string(e.Body) != "hello" {
		t.Fatalf("disk hit = %v, body %q; want a promoted memory entry", ok, e.Body)
	}
	if _, ok := mem.Get(key); !ok {
		t.Error("not promoted")
	}
	if st := c.Stats(); st.Disk.Hits != 1 || st.Disk.Entries != 1 {
		t.Errorf("stats: %v", st)
	}
}

func TestCache_Fill_writesSmallObjectsThroughToDisk(t *testing.T) {
	dir := t.TempDir()
	mem, _ := memory.New(1 << 20)
	d, _ := disk.Open(disk.Config{Dir: dir, MaxBytes: 1 << 20})
	c, _ := cache.New(cache.Config{Memory: mem, Disk: d})
	key := cachetest.Key("E1", "/wt")
	o := &origin{body: bytesBody([]byte("through")), size: 7, cacheable: true}
	s, err := c.Fill(t.Context(), request(key, o))
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, s)
	waitIdle(t, c)
	// A new process finds it.
	d2, err := disk.Open(disk.Config{Dir: dir, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if _, body := cachetest.MustGet(t, d2, key); string(body) != "through" {
		t.Fatalf("disk body = %q", body)
	}
}

// patternReader yields n deterministic bytes without holding them.
type patternReader struct{ off, n int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	for i := range p {
		p[i] = byte((r.off + int64(i)) % 251)
	}
	r.off += int64(len(p))
	return len(p), nil
}

func (r *patternReader) Close() error { return nil }

func TestCache_Fill_largeObjectStreamsThroughDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 256 MiB through the disk tier")
	}
	const size = 256 << 20
	wantSum := sha256.New()
	if _, err := io.Copy(wantSum, &patternReader{n: size}); err != nil {
		t.Fatal(err)
	}
	o := &origin{body: func() io.ReadCloser { return &patternReader{n: size} }, size: size, cacheable: true}
	c := newCache(t, true, cache.Config{})
	key := cachetest.Key("E1", "/big.bin")

	runtime.GC()
	var before, ms runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak uint64
	sample := func() {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}

	var wg sync.WaitGroup
	sums := make([][]byte, 2)
	for i := range sums {
		wg.Go(func() {
			s, err := c.Fill(t.Context(), request(key, o))
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			h := sha256.New()
			buf := make([]byte, 64<<10)
			for read := 0; ; {
				n, err := s.Read(buf)
				h.Write(buf[:n])
				read += n
				if read%(16<<20) < n && i == 0 {
					sample()
				}
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
			sums[i] = h.Sum(nil)
		})
	}
	wg.Wait()
	sample()
	growth := int64(peak) - int64(before.HeapInuse)
	t.Logf("HeapInuse before %d KiB, peak during fill %d KiB, growth %d KiB", before.HeapInuse>>10, peak>>10, growth>>10)
	if growth > 8<<20 {
		t.Errorf("heap grew by %d MiB while streaming 256 MiB", growth>>20)
	}
	for _, s := range sums {
		if !bytes.Equal(s, wantSum.Sum(nil)) {
			t.Fatal("streamed body differs")
		}
	}
	waitIdle(t, c)
	e, ok := c.Lookup(key)
	if !ok || e.File == nil {
		t.Fatal("large object not on disk")
	}
	defer e.Close()
	h := sha256.New()
	if n, err := e.WriteRange(h, 0, size); err != nil || n != size {
		t.Fatalf("read back: %d, %v", n, err)
	}
	if !bytes.Equal(h.Sum(nil), wantSum.Sum(nil)) {
		t.Fatal("stored body differs")
	}
	if o.calls.Load() != 1 {
		t.Errorf("calls = %d", o.calls.Load())
	}
}

// capStorage records the capacity of the bodies stored in the memory tier.
type capStorage struct {
	cache.Storage
	mu   sync.Mutex
	caps map[string][2]int // key: len, cap
}

func (s *capStorage) Put(key string, m *cache.Meta, body []byte) error {
	s.mu.Lock()
	s.caps[key] = [2]int{len(body), cap(body)}
	s.mu.Unlock()
	return s.Storage.Put(key, m, body)
}

// A body kept in memory holds exactly its bytes, however it arrived: a
// body of unknown length must not pin a whole read chunk.
func TestCache_Fill_memoryBodiesAreExact(t *testing.T) {
	mem, err := memory.New(64 << 20)
	if err != nil {
		t.Fatal(err)
	}
	st := &capStorage{Storage: mem, caps: map[string][2]int{}}
	c, err := cache.New(cache.Config{Memory: st})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		n    int
		size int64 // -1: unknown
	}{{1024, 1024}, {1024, -1}, {0, -1}, {0, 0}, {40 << 10, -1}, {40 << 10, 40 << 10}, {64 << 10, -1}} {
		want := cachetest.Body(fmt.Sprint(tc), tc.n)
		o := &origin{body: bytesBody(want), size: tc.size, cacheable: true}
		key := cachetest.Key("E1", fmt.Sprintf("/exact/%d/%d", tc.n, tc.size))
		s, err := c.Fill(t.Context(), request(key, o))
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, s); !bytes.Equal(got, want) {
			t.Fatalf("%v: read %d bytes", tc, len(got))
		}
		waitIdle(t, c)
		st.mu.Lock()
		lc, ok := st.caps[key]
		st.mu.Unlock()
		if !ok || lc != [2]int{tc.n, tc.n} {
			t.Errorf("%v: stored len/cap %v (stored %v), want %d/%d", tc, lc, ok, tc.n, tc.n)
		}
		e, ok := c.Lookup(key)
		if !ok || !bytes.Equal(e.Body, want) {
			t.Errorf("%v: lookup found %v", tc, ok)
		}
	}
}

func TestCache_Objects(t *testing.T) {
	for _, withDisk := range []bool{false, true} {
		t.Run(fmt.Sprintf("disk=%v", withDisk), func(t *testing.T) {
			// MaxMemoryObject 1500: the 2000-byte object lives on disk only
			// when there is a disk tier (and is not kept at all without one).
			c := newCache(t, withDisk, cache.Config{MaxMemoryObject: 1500})
			for _, o := range []struct {
				dist, path string
				size       int
			}{{"E1", "/a", 100}, {"E1", "/big", 2000}, {"E2", "/a", 300}} {
				body := bytes.Repeat([]byte("x"), o.size)
				req := request(cachetest.Key(o.dist, o.path), &origin{body: bytesBody(body), size: int64(o.size), cacheable: true})
				req.DistID = o.dist
				s, err := c.Fill(t.Context(), req)
				if err != nil {
					t.Fatal(err)
				}
				readAll(t, s)
			}
			waitIdle(t, c)
			got := map[string]int64{}
			for _, r := range c.Objects("E1") {
				if r.DistID != "E1" {
					t.Errorf("another distribution's object: %+v", r)
				}
				if _, dup := got[r.Path]; dup {
					t.Errorf("listed twice: %+v", r)
				}
				got[r.Path] = r.Size
			}
			want := map[string]int64{"/a": 100}
			if withDisk {
				want["/big"] = 2000
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("Objects(E1) = %v, want %v", got, want)
			}
			// Hits counted on looked-up entries show per object.
			for range 2 {
				e, ok := c.Lookup(cachetest.Key("E1", "/a"))
				if !ok {
					t.Fatal("lookup of E1 /a missed")
				}
				e.CountHit()
				e.Close()
			}
			for _, r := range c.Objects("E1") {
				if want := map[string]uint64{"/a": 2}[r.Path]; r.Hits != want {
					t.Errorf("Objects(E1): %s has %d hits, want %d", r.Path, r.Hits, want)
				}
			}
		})
	}
}

// The collapsed fill's fetch runs on a fill context (IsFillContext: it
// ends only at its deadline), a waiter's own fetch of an uncacheable
// response on its viewer's context, which is not one.
func TestCache_Fill_IsFillContext(t *testing.T) {
	want := []byte("private answer")
	var mu sync.Mutex
	var seen []bool
	o := &origin{delay: 30 * time.Millisecond, body: bytesBody(want), size: int64(len(want))}
	c := newCache(t, false, cache.Config{})
	key := cachetest.Key("E1", "/private")
	req := func() *cache.FillRequest {
		return &cache.FillRequest{Key: key, DistID: "E1", Path: "/private", Fetch: func(ctx context.Context) (*cache.FetchResult, error) {
			mu.Lock()
			seen = append(seen, cache.IsFillContext(ctx))
			mu.Unlock()
			return o.fetch(ctx)
		}}
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			s, err := c.Fill(t.Context(), req())
			if err != nil {
				t.Error(err)
				return
			}
			readAll(t, s)
		})
	}
	wg.Wait()
	fill, alone := 0, 0
	for _, f := range seen {
		if f {
			fill++
		} else {
			alone++
		}
	}
	if fill != 1 || alone != 2 {
		t.Errorf("fetches on a fill context %d, alone %d; want 1 and 2 (seen %v)", fill, alone, seen)
	}
	if cache.IsFillContext(t.Context()) {
		t.Error("a viewer's context reported as a fill context")
	}
}

// A viewer whose context ends while its body is still arriving gets the
// context's cause from Read (the fill goes on and is stored); a viewer
// whose context ends after the whole body is in reads it all.
func TestCache_Fill_viewerLeavesMidBody(t *testing.T) {
	for _, tc := range []struct {
		name     string
		gated    bool // the body arrives in 3 gated parts
		wantErr  error
		wantRead int
	}{
		{"body still arriving", true, context.Canceled, 1000},
		{"body all in", false, nil, 3000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, want := newGated(3, 1000)
			o := &origin{body: func() io.ReadCloser { return g }, size: 3000, cacheable: true}
			if !tc.gated {
				o.body = bytesBody(want)
			}
			c := newCache(t, false, cache.Config{})
			key := cachetest.Key("E1", "/leave-mid-body-"+strconv.FormatBool(tc.gated))
			ctx, cancel := context.WithCancel(t.Context())
			s, err := c.Fill(ctx, request(key, o))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if tc.gated {
				g.gate <- struct{}{}
			} else {
				waitIdle(t, c) // the fill is over: the body is all in
			}
			buf := make([]byte, 1000)
			if _, err := io.ReadFull(s, buf); err != nil {
				t.Fatal(err)
			}
			cancel()
			read := 1000
			var rerr error
			for rerr == nil {
				var n int
				n, rerr = s.Read(buf)
				read += n
			}
			if tc.wantErr == nil && rerr != io.EOF || tc.wantErr != nil && !errors.Is(rerr, tc.wantErr) {
				t.Errorf("Read ended with %v, want %v", rerr, tc.wantErr)
			}
			if read != tc.wantRead {
				t.Errorf("read %d bytes, want %d", read, tc.wantRead)
			}
			if tc.gated {
				g.gate <- struct{}{}
				g.gate <- struct{}{}
			}
			waitIdle(t, c)
			if e, ok := c.Lookup(key); !ok || e.Meta.Size != 3000 {
				t.Fatal("fill not stored")
			} else {
				e.Close()
			}
		})
	}
}

type viewerKey struct{}

// A collapsed fill's fetch context: the viewer's values, not its
// cancellation, ends at the fill's deadline (whether the fetch waits on
// Done or only asks Err) and once the fill is over.
func TestCache_Fill_fetchContext(t *testing.T) {
	body := []byte("x")
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		fetch   func(ctx context.Context) error // what the fetch does before answering
		wantErr error                           // Err seen by the fetch before it answers
		after   error                           // Err once the fill is over
	}{
		{"waits on Done past the deadline", 30 * time.Millisecond, func(ctx context.Context) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Second):
				return nil
			}
		}, context.DeadlineExceeded, context.DeadlineExceeded},
		{"asks Err past the deadline", 30 * time.Millisecond, func(ctx context.Context) error {
			time.Sleep(60 * time.Millisecond)
			if err := ctx.Err(); err != nil {
				select {
				case <-ctx.Done():
				default:
					t.Error("Err is set but Done is not closed")
				}
				return err
			}
			return nil
		}, context.DeadlineExceeded, context.DeadlineExceeded},
		{"viewer leaves, fill goes on", time.Minute, func(ctx context.Context) error {
			time.Sleep(40 * time.Millisecond) // the viewer's context ends meanwhile
			if context.Cause(ctx) != nil {
				t.Error("the viewer's cause reached the fill's context")
			}
			return ctx.Err()
		}, nil, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCache(t, false, cache.Config{})
			key := cachetest.Key("E1", "/ctx-"+strings.ReplaceAll(tc.name, " ", "-"))
			var fetchCtx context.Context
			var fetchErr error
			r := &cache.FillRequest{Key: key, DistID: "E1", Path: "/ctx", Timeout: tc.timeout, Fetch: func(ctx context.Context) (*cache.FetchResult, error) {
				fetchCtx = ctx
				if got := ctx.Value(viewerKey{}); got != "v" {
					t.Errorf("viewer's value = %v", got)
				}
				if d, ok := ctx.Deadline(); !ok || time.Until(d) > tc.timeout || time.Until(d) < tc.timeout-time.Second {
					t.Errorf("Deadline() = %v, %v", d, ok)
				}
				if fetchErr = tc.fetch(ctx); fetchErr != nil {
					return nil, fetchErr
				}
				return &cache.FetchResult{Status: 200, Header: http.Header{}, Size: 1, Body: io.NopCloser(bytes.NewReader(body)), Cacheable: true, Expires: time.Now().Add(time.Minute)}, nil
			}}
			ctx, cancel := context.WithCancel(context.WithValue(t.Context(), viewerKey{}, "v"))
			time.AfterFunc(10*time.Millisecond, cancel)
			if s, err := c.Fill(ctx, r); err == nil {
				s.Close()
			}
			waitIdle(t, c)
			if fetchErr != tc.wantErr {
				t.Errorf("fetch saw %v, want %v", fetchErr, tc.wantErr)
			}
			for end := time.Now().Add(time.Second); fetchCtx.Err() == nil && time.Now().Before(end); {
				time.Sleep(time.Millisecond) // the fill ends its context just after it leaves
			}
			if err := fetchCtx.Err(); err != tc.after {
				t.Errorf("once over, Err() = %v, want %v", err, tc.after)
			}
			select {
			case <-fetchCtx.Done():
			default:
				t.Error("once over, Done is not closed")
			}
		})
	}
}

// onCallerRequest is request(key, o) with the fetch on the caller
// (FillRequest.OnCaller); onCaller reports, per fetch, whether it ran
// on the goroutine of a Fill call.
func onCallerRequest(key string, o *origin, onCaller *atomic.Int64) *cache.FillRequest {
	r := request(key, o)
	r.OnCaller = true
	fetch := r.Fetch
	r.Fetch = func(ctx context.Context) (*cache.FetchResult, error) {
		if calledFromFill() {
			onCaller.Add(1)
		}
		return fetch(ctx)
	}
	return r
}

// calledFromFill reports whether cache.(*Cache).Fill is on the stack.
func calledFromFill() bool {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	for {
		f, more := frames.Next()
		if strings.HasSuffix(f.Function, "cache.(*Cache).Fill") {
			return true
		}
		if !more {
			return false
		}
	}
}

// fillResult is what one Fill returned.
type fillResult struct {
	s   *cache.Stream
	err error
}

// leaderAndWaiter starts an OnCaller Fill of key under ctx (the leader)
// and, once its fetch has begun, a second one under the test's context
// that joins it; it returns where each Fill's result arrives.
func leaderAndWaiter(t *testing.T, ctx context.Context, c *cache.Cache, key string, o *origin, onCaller *atomic.Int64) (leader, waiter <-chan fillResult) {
	t.Helper()
	fill := func(ctx context.Context) <-chan fillResult {
		ch := make(chan fillResult, 1)
		go func() {
			s, err := c.Fill(ctx, onCallerRequest(key, o, onCaller))
			ch <- fillResult{s, err}
		}()
		return ch
	}
	leader = fill(ctx)
	for c.Stats().Fills == 0 {
		time.Sleep(time.Millisecond)
	}
	waiter = fill(t.Context())
	waitJoins(t, c, 1)
	return leader, waiter
}

// An OnCaller fill runs its fetch on the Fill caller's goroutine, has the
// small body in when Fill returns, and is still shared by the requests
// that join it meanwhile and stored.
func TestCache_Fill_onCallerRunsOnTheCaller(t *testing.T) {
	want := cachetest.Body("small", 1024)
	o := &origin{body: bytesBody(want), size: int64(len(want)), cacheable: true, hold: make(chan struct{})}
	c := newCache(t, false, cache.Config{})
	key := cachetest.Key("E1", "/oncaller")
	var onCaller atomic.Int64

	leader, waiter := leaderAndWaiter(t, t.Context(), c, key, o, &onCaller)
	close(o.hold)
	for _, ch := range []<-chan fillResult{leader, waiter} {
		r := <-ch
		if r.err != nil {
			t.Fatal(r.err)
		}
		if got := readAll(t, r.s); !bytes.Equal(got, want) {
			t.Errorf("got %d bytes, want %d", len(got), len(want))
		}
	}
	if n := o.calls.Load(); n != 1 {
		t.Errorf("fetches = %d, want 1 (collapsed)", n)
	}
	if n := onCaller.Load(); n != 1 {
		t.Errorf("fetches on a Fill caller's goroutine = %d, want 1", n)
	}
	if e, ok := c.Lookup(key); !ok || e.Meta.Size != int64(len(want)) {
		t.Fatal("not stored")
	}
	if n := c.Stats().InFlight; n != 0 {
		t.Errorf("in flight after the leader's Fill returned: %d", n)
	}
}

// The leader of an OnCaller fill whose viewer leaves before the headers
// gets its context's cause once they are in; the fill goes on for the
// request that joined it and is stored.
func TestCache_Fill_onCallerLeaderLeaves(t *testing.T) {
	want := cachetest.Body("left", 1024)
	o := &origin{body: bytesBody(want), size: int64(len(want)), cacheable: true, hold: make(chan struct{})}
	c := newCache(t, false, cache.Config{})
	key := cachetest.Key("E1", "/oncaller-leave")
	var onCaller atomic.Int64

	ctx, cancel := context.WithCancel(t.Context())
	leader, waiter := leaderAndWaiter(t, ctx, c, key, o, &onCaller)
	cancel()
	select {
	case r := <-leader:
		t.Fatalf("leader's Fill returned (%v) before the headers: its goroutine runs the fetch", r.err)
	case <-time.After(20 * time.Millisecond):
	}
	close(o.hold)
	if r := <-leader; !errors.Is(r.err, context.Canceled) {
		t.Errorf("leader Fill = %v, want context.Canceled", r.err)
	}
	r := <-waiter
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := readAll(t, r.s); !bytes.Equal(got, want) {
		t.Fatalf("waiter got %d bytes", len(got))
	}
	waitIdle(t, c)
	if e, ok := c.Lookup(key); !ok || e.Meta.Size != int64(len(want)) {
		t.Fatal("fill not stored after its first caller left")
	}
	if o.calls.Load() != 1 || onCaller.Load() != 1 {
		t.Errorf("fetches = %d, on the caller %d; want 1, 1", o.calls.Load(), onCaller.Load())
	}
}

// A body larger than inlineBody streams from a goroutine of its own: the
// OnCaller leader's Fill returns with the headers, and the first bytes
// are readable while the rest has not arrived.
func TestCache_Fill_onCallerLargeBodyStreams(t *testing.T) {
	g, want := newGated(10, 1000)
	o := &origin{body: func() io.ReadCloser { return g }, size: int64(len(want)), cacheable: true}
	c := newCache(t, false, cache.Config{})
	key := cachetest.Key("E1", "/oncaller-large")
	var onCaller atomic.Int64

	s, err := c.Fill(t.Context(), onCallerRequest(key, o, &onCaller))
	if err != nil {
		t.Fatal(err)
	}
	g.gate <- struct{}{} // only the first chunk is available
	buf := make([]byte, 1000)
	if _, err := io.ReadFull(s, buf); err != nil || !bytes.Equal(buf, want[:1000]) {
		t.Fatalf("first chunk: %v", err)
	}
	for range 9 {
		g.gate <- struct{}{}
	}
	if rest := readAll(t, s); !bytes.Equal(rest, want[1000:]) {
		t.Error("rest differs")
	}
	waitIdle(t, c)
	if e, ok := c.Lookup(key); !ok || e.Meta.Size != int64(len(want)) {
		t.Fatal("not stored")
	}
	if onCaller.Load() != 1 {
		t.Error("the fetch did not run on the caller")
	}
}

// A fetch that panics on the caller's goroutine panics there (as any
// panic of a handler), after failing the fill: the request that joined
// it gets an error instead of waiting forever, and the next Fill fetches
// again.
func TestCache_Fill_onCallerFetchPanics(t *testing.T) {
	c := newCache(t, false, cache.Config{})
	key := cachetest.Key("E1", "/oncaller-panic")
	hold := make(chan struct{})
	panicky := &cache.FillRequest{Key: key, DistID: "E1", Path: "/oncaller-panic", OnCaller: true,
		Fetch: func(context.Context) (*cache.FetchResult, error) {
			<-hold
			panic("fetch bug")
		}}
	recovered := make(chan any, 1)
	go func() {
		defer func() { recovered <- recover() }()
		c.Fill(t.Context(), panicky)
	}()
	for c.Stats().Fills == 0 {
		time.Sleep(time.Millisecond)
	}
	want := cachetest.Body("after", 100)
	o := &origin{body: bytesBody(want), size: int64(len(want)), cacheable: true}
	waiterErr := make(chan error, 1)
	go func() {
		_, err := c.Fill(t.Context(), request(key, o))
		waiterErr <- err
	}()
	waitJoins(t, c, 1)
	close(hold)
	if p := <-recovered; p != "fetch bug" {
		t.Errorf("leader recovered %v, want the fetch's panic", p)
	}
	select {
	case err := <-waiterErr:
		if err == nil {
			t.Error("waiter of a panicked fetch got no error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter of a panicked fetch still waits")
	}
	s, err := c.Fill(t.Context(), request(key, o))
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, s); !bytes.Equal(got, want) {
		t.Errorf("next fill got %d bytes", len(got))
	}
}

// TestCache_Fill_onCallerAllocations: a cold OnCaller fill of a small body
// that nobody joins allocates no more than it needs; in particular no
// channel for waiters (the fill's ready channel is made by the first).
// maxColdFillAllocs is what a cold fill allocates on go1.26 (the fill, the
// stored object and the memory tier's bookkeeping): 10 when the fill made
// its ready channel up front, 9 when its Meta was an allocation of its own
// and the store copied it.
const maxColdFillAllocs = 7

func TestCache_Fill_onCallerAllocations(t *testing.T) {
	c := newCache(t, false, cache.Config{})
	body := cachetest.Body("alloc", 1024)
	const runs = 200
	keys := make([]string, runs+1)
	for i := range keys {
		keys[i] = cachetest.Key("E1", "/alloc/"+strconv.Itoa(i))
	}
	res := &cache.FetchResult{Status: 200, Header: http.Header{"Content-Type": {"text/plain"}}, Size: int64(len(body)), Cacheable: true}
	reader := bytes.NewReader(body)
	req := &cache.FillRequest{DistID: "E1", Path: "/alloc", OnCaller: true, Fetch: func(context.Context) (*cache.FetchResult, error) {
		reader.Reset(body)
		res.Body = io.NopCloser(reader)
		return res, nil
	}}
	ctx := t.Context()
	i := 0
	n := testing.AllocsPerRun(runs, func() {
		req.Key = keys[i]
		i++
		s, err := c.Fill(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	})
	t.Logf("%.1f allocations per cold fill", n)
	if n > maxColdFillAllocs {
		t.Errorf("a cold OnCaller fill allocates %.1f objects; want <= %d", n, maxColdFillAllocs)
	}
}
