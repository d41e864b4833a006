package edge_test

// Benchmarks of the edge's hot paths, built through
// exported API only: an in-process edge.Server with a compiled snapshot of
// one distribution, a memory-tier cache and a loopback origin. Run with
//
//	go test -run '^$' -bench . -benchmem ./internal/edge/
//
// BenchmarkHit* pre-fill the cache and then call ServeHTTP with a reused
// request and ResponseWriter, so ns/op and allocs/op are the edge's own
// cost of a hit (no network, no net/http server). BenchmarkMissCollapsed
// measures one collapsed miss: 32 concurrent requests for a new key, one
// origin fetch over loopback.

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"openfront/internal/cache"
	"openfront/internal/cache/memory"
	"openfront/internal/edge"
	"openfront/internal/fastpath"
	"openfront/internal/model"
	"openfront/internal/origin"
	"openfront/internal/snapshot"
)

const benchHost = "dbench0000000a.cloudfront.localhost"

// benchOrigin answers /<anything>?size=N (default 1024) with N bytes,
// cacheable for an hour, and counts its requests.
type benchOrigin struct {
	*httptest.Server
	requests atomic.Int64
}

func newBenchOrigin(b testing.TB) *benchOrigin {
	o := &benchOrigin{}
	block := make([]byte, 64<<10)
	for i := range block {
		block[i] = 'a' + byte(i%26)
	}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.requests.Add(1)
		size := 1024
		if v, err := strconv.Atoi(r.URL.Query().Get("size")); err == nil && v >= 0 {
			size = v
		}
		h := w.Header()
		h.Set("Cache-Control", "max-age=3600")
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Length", strconv.Itoa(size))
		for left := size; left > 0; {
			n := min(left, len(block))
			if _, err := w.Write(block[:n]); err != nil {
				return
			}
			left -= n
		}
	}))
	b.Cleanup(o.Close)
	return o
}

// newBenchEdge returns an edge serving benchHost from o: legacy
// ForwardedValues with the query string in the cache key and forwarded,
// TTLs from the origin, a 1 GiB memory tier.
func newBenchEdge(b testing.TB, o *benchOrigin) *edge.Server {
	b.Helper()
	return newBenchEdgeWith(b, o, nil, nil)
}

// benchConfig is the benchmarks' distribution config: o as the origin,
// legacy ForwardedValues with the query string in the key, TTLs from the
// origin.
func benchConfig(o *benchOrigin) model.Tree {
	_, port, _ := net.SplitHostPort(o.Listener.Addr().String())
	return model.Tree{
		"CallerReference": "bench", "Comment": "", "Enabled": "true",
		"Origins": model.Wrapper([]model.Tree{{
			"Id": "o1", "DomainName": "127.0.0.1",
			"CustomOriginConfig": model.Tree{"HTTPPort": port, "HTTPSPort": "443", "OriginProtocolPolicy": "http-only"},
		}}),
		"DefaultCacheBehavior": model.Tree{
			"TargetOriginId": "o1", "ViewerProtocolPolicy": "allow-all", "MinTTL": "0",
			"ForwardedValues": model.Tree{"QueryString": "true", "Cookies": model.Tree{"Forward": "none"}},
		},
	}
}

// newBenchEdgeWith is newBenchEdge with edit applied to the config before
// it compiles, and prepare to the compiled distribution before it is live.
func newBenchEdgeWith(b testing.TB, o *benchOrigin, edit func(model.Tree), prepare func(*snapshot.Distribution)) *edge.Server {
	b.Helper()
	cfg := benchConfig(o)
	if edit != nil {
		edit(cfg)
	}
	if _, err := model.ParseDistributionConfig(cfg); err != nil {
		b.Fatalf("bench config does not parse: %v", err)
	}
	mem, err := memory.New(1 << 30)
	if err != nil {
		b.Fatal(err)
	}
	c, err := cache.New(cache.Config{Memory: mem})
	if err != nil {
		b.Fatal(err)
	}
	s := edge.New(edge.Options{Cache: c, Origin: origin.New(origin.S3{}), Log: slog.New(slog.DiscardHandler)})
	snap := snapshot.Compile(1, []*model.DistributionRecord{{ID: "EBENCH", DomainName: benchHost, Config: cfg}}, nil, nil)
	d := snap.Lookup(benchHost)
	if d == nil {
		b.Fatal("distribution did not compile into the snapshot")
	}
	if prepare != nil {
		prepare(d)
	}
	s.Apply(snap, nil)
	return s
}

// benchWriter is a reusable ResponseWriter that discards the body.
type benchWriter struct {
	h      http.Header
	status int
	n      int64
}

func newBenchWriter() *benchWriter { return &benchWriter{h: make(http.Header, 16)} }

func (w *benchWriter) Header() http.Header { return w.h }
func (w *benchWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *benchWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += int64(len(p))
	return len(p), nil
}

func (w *benchWriter) reset() {
	clear(w.h)
	w.status, w.n = 0, 0
}

func newBenchRequest(path string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://"+benchHost+path, nil)
	r.Header.Set("User-Agent", "wrk")
	return r
}

// prefill requests path until the edge answers it from the cache (the fill
// stores the object just after the first viewer has read it).
func prefill(b testing.TB, s *edge.Server, path string, size int64) {
	b.Helper()
	w := newBenchWriter()
	for range 1000 {
		w.reset()
		s.ServeHTTP(w, newBenchRequest(path))
		if w.status != http.StatusOK || w.n != size {
			b.Fatalf("prefill %s: status %d, %d bytes", path, w.status, w.n)
		}
		if w.h.Get("X-Cache") == "Hit from cloudfront" {
			return
		}
	}
	b.Fatalf("prefill %s: never a hit", path)
}

func benchHit(b *testing.B, size int64) {
	o := newBenchOrigin(b)
	s := newBenchEdge(b, o)
	path := "/obj/hit?size=" + strconv.FormatInt(size, 10)
	prefill(b, s, path, size)
	before := o.requests.Load()
	r := newBenchRequest(path)
	w := newBenchWriter()
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		w.reset()
		s.ServeHTTP(w, r)
	}
	if w.status != http.StatusOK || w.n != size || w.h.Get("X-Cache") != "Hit from cloudfront" {
		b.Fatalf("last response: status %d, %d bytes, X-Cache %q", w.status, w.n, w.h.Get("X-Cache"))
	}
	if n := o.requests.Load() - before; n != 0 {
		b.Fatalf("%d origin requests during the hit loop", n)
	}
}

func benchHitParallel(b *testing.B, size int64) {
	o := newBenchOrigin(b)
	s := newBenchEdge(b, o)
	path := "/obj/hit?size=" + strconv.FormatInt(size, 10)
	prefill(b, s, path, size)
	b.SetBytes(size)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := newBenchRequest(path)
		w := newBenchWriter()
		for pb.Next() {
			w.reset()
			s.ServeHTTP(w, r)
			if w.n != size {
				panic(fmt.Sprintf("short hit: %d bytes", w.n))
			}
		}
	})
}

// BenchmarkHit1KiB is one memory-tier hit of a 1 KiB object.
func BenchmarkHit1KiB(b *testing.B) { benchHit(b, 1<<10) }

// BenchmarkHit1MiB is one memory-tier hit of a 1 MiB object (the largest
// the memory tier keeps by default); the body is one Write of the stored
// slice, so this should cost about what BenchmarkHit1KiB does.
func BenchmarkHit1MiB(b *testing.B) { benchHit(b, 1<<20) }

// BenchmarkServeFast1KiB is BenchmarkHit1KiB through the fast path's entry
// point (ServeFast, as package fastpath calls it for a plain HTTP/1.1
// hit): the response head is rendered into a reused buffer.
func BenchmarkServeFast1KiB(b *testing.B) {
	benchServeFast1KiB(b, newBenchEdge(b, newBenchOrigin(b)))
}

// benchServeFast1KiB fills s's cache with a 1 KiB object and serves it
// through ServeFast, which must answer every time.
func benchServeFast1KiB(b *testing.B, s *edge.Server) {
	const size = 1 << 10
	prefill(b, s, "/obj/hit?size=1024", size)
	r := &fastpath.Request{Method: "GET", Path: "/obj/hit", RawQuery: "size=1024", Host: benchHost, RemoteAddr: "127.0.0.1:40000"}
	buf := make([]byte, 0, 4096)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		head, body, ok := s.ServeFast(r, buf[:0])
		if !ok || len(body) != size || len(head) == 0 {
			b.Fatalf("ServeFast declined a fresh hit (ok=%v, %d body bytes)", ok, len(body))
		}
	}
}

// BenchmarkServeFast1KiBStagingPolicy is BenchmarkServeFast1KiB for a
// primary with a header-based continuous deployment policy (its staging
// distribution is itself, so that the hit is the same object): the cost
// of the routing phase on the fast path, for a request without the header.
func BenchmarkServeFast1KiBStagingPolicy(b *testing.B) {
	benchServeFast1KiB(b, newBenchEdgeWith(b, newBenchOrigin(b), nil, func(d *snapshot.Distribution) {
		d.Staging = &snapshot.StagingRoute{PolicyID: "p", Staging: d, Header: "Aws-Cf-Cd-Staging", Value: "1"}
	}))
}

// BenchmarkHit1KiBParallel is BenchmarkHit1KiB from GOMAXPROCS goroutines.
func BenchmarkHit1KiBParallel(b *testing.B) { benchHitParallel(b, 1<<10) }

// BenchmarkMissCollapsed is one cold 16 KiB object asked for by 32
// concurrent viewers: one origin fetch (reported as fetches/op) shared by
// all of them. ns/op is per collapsed miss, not per viewer.
func BenchmarkMissCollapsed(b *testing.B) {
	const viewers, size = 32, 16 << 10
	o := newBenchOrigin(b)
	s := newBenchEdge(b, o)
	ws := make([]*benchWriter, viewers)
	for i := range ws {
		ws[i] = newBenchWriter()
	}
	before := o.requests.Load()
	var failed atomic.Int64
	b.SetBytes(size)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		path := "/obj/miss-" + strconv.Itoa(i) + "?size=" + strconv.Itoa(size)
		var start, done sync.WaitGroup
		start.Add(1)
		for _, w := range ws {
			done.Add(1)
			go func() {
				defer done.Done()
				r := newBenchRequest(path)
				w.reset()
				start.Wait()
				s.ServeHTTP(w, r)
				if w.status != http.StatusOK || w.n != size {
					failed.Add(1)
				}
			}()
		}
		start.Done()
		done.Wait()
	}
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d viewers got a wrong answer", n)
	}
	b.ReportMetric(float64(o.requests.Load()-before)/float64(i), "fetches/op")
}

var _ io.Writer = (*benchWriter)(nil)

// BenchmarkMiss1KiB is one cold 1 KiB object for one viewer: the miss path
// of bench/tls.sh's fill test (plan, fill, origin fetch over loopback,
// store, response). allocs/op include the in-process origin's.
func BenchmarkMiss1KiB(b *testing.B) {
	const size = 1 << 10
	o := newBenchOrigin(b)
	s := newBenchEdge(b, o)
	w := newBenchWriter()
	b.SetBytes(size)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		r := newBenchRequest("/obj/miss-" + strconv.Itoa(i) + "?size=1024")
		w.reset()
		s.ServeHTTP(w, r)
		if w.status != http.StatusOK || w.n != size {
			b.Fatalf("miss %d: status %d, %d bytes", i, w.status, w.n)
		}
	}
}
