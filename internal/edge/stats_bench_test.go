package edge_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"openfront/internal/cache"
	"openfront/internal/cache/memory"
	"openfront/internal/edge"
	"openfront/internal/fastpath"
	"openfront/internal/metrics"
	"openfront/internal/model"
	"openfront/internal/origin"
	"openfront/internal/snapshot"
	"openfront/internal/stats"
)

// countedEdge is an edge with the counting `openfront serve` wires in:
// the result counter of /metrics and the per-distribution stats.Recorder
// (minute buckets and the running totals the per-distribution Prometheus
// series are read from). It serves one distribution per host, with ids
// "E0", "E1", ... in the order given.
type countedEdge struct {
	*edge.Server
	cache   *cache.Cache
	metrics *metrics.Metrics
	stats   *stats.Recorder
}

func newCountedEdge(tb testing.TB, o *benchOrigin, hosts ...string) *countedEdge {
	tb.Helper()
	var recs []*model.DistributionRecord
	for i, host := range hosts {
		recs = append(recs, &model.DistributionRecord{ID: "E" + string(rune('0'+i)), DomainName: host, Config: benchConfig(o)})
	}
	mem, err := memory.New(1 << 30)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := cache.New(cache.Config{Memory: mem})
	if err != nil {
		tb.Fatal(err)
	}
	e := &countedEdge{cache: c, metrics: metrics.New(), stats: stats.New(0)}
	e.Server = edge.New(edge.Options{Cache: c, Origin: origin.New(origin.S3{}), Log: slog.New(slog.DiscardHandler),
		Count: e.metrics.CountEdgeRequests, Stats: e.stats})
	e.Apply(snapshot.Compile(1, recs, nil, nil), nil)
	return e
}

// fill requests host's path through ServeHTTP until it is a hit.
func (e *countedEdge) fill(tb testing.TB, host, path string) {
	tb.Helper()
	w := newBenchWriter()
	for range 1000 {
		w.reset()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://"+host+path, nil))
		if w.h.Get("X-Cache") == "Hit from cloudfront" {
			return
		}
	}
	tb.Fatalf("fill %s%s: never a hit", host, path)
}

// BenchmarkServeFast1KiBCounted is BenchmarkServeFast1KiB with the
// counting `openfront serve` wires in, each hit counted at once (as on a
// TLS or HTTP/2 connection).
func BenchmarkServeFast1KiBCounted(b *testing.B) {
	benchServeFastCounted(b, nil)
}

// BenchmarkServeFast1KiBCountedInBatches is BenchmarkServeFast1KiBCounted
// with the hits counted as the epoll loop counts them: in its scratch
// (fastpath.Batcher), recorded once per batch of four.
func BenchmarkServeFast1KiBCountedInBatches(b *testing.B) {
	benchServeFastCounted(b, 4)
}

func benchServeFastCounted(b *testing.B, batch any) {
	const size = 1 << 10
	e := newCountedEdge(b, newBenchOrigin(b), benchHost)
	e.fill(b, benchHost, "/obj/hit?size=1024")
	r := &fastpath.Request{Method: "GET", Path: "/obj/hit", RawQuery: "size=1024", Host: benchHost, RemoteAddr: "127.0.0.1:40000"}
	every := 0
	if batch != nil {
		every, r.Batch = batch.(int), e.NewBatch()
	}
	buf := make([]byte, 0, 4096)
	b.SetBytes(size)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		head, body, ok := e.ServeFast(r, buf[:0])
		if !ok || len(body) != size || len(head) == 0 {
			b.Fatalf("ServeFast declined a fresh hit (ok=%v, %d body bytes)", ok, len(body))
		}
		if n++; n == every {
			e.EndBatch(r.Batch)
			n = 0
		}
	}
}

// Hits answered with an epoll loop's scratch are counted when the loop
// ends the batch, all of them: by distribution, minute bucket and bytes
// in the stats, in /metrics and in the memory tier's hits; a hit without
// a scratch is counted at once.
func TestServeFast_countsABatchAtItsEnd(t *testing.T) {
	const other = "dother000000000.cloudfront.localhost"
	e := newCountedEdge(t, newBenchOrigin(t), benchHost, other)
	e.fill(t, benchHost, "/a?size=1024")
	e.fill(t, other, "/b?size=100")
	hits := func(id string) (int64, int64) {
		l := e.stats.Live()[id]
		return l.Results[0], l.BytesDownloaded
	}
	metricHits := func() float64 {
		return testutil.ToFloat64(e.metrics.EdgeRequests.WithLabelValues("Hit"))
	}
	requests := func(id string) (n int64) {
		for _, m := range e.stats.Minutes(id, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)) {
			n += m.Requests
		}
		return n
	}
	h0, b0 := hits("E0")
	h1, b1 := hits("E1")
	m0, r0, before := metricHits(), requests("E0"), e.cache.Stats().Memory.Hits

	batch := e.NewBatch()
	buf := make([]byte, 0, 4096)
	serve := func(method, host, path string, batch any) {
		t.Helper()
		r := &fastpath.Request{Method: method, Path: path, RawQuery: "size=" + map[string]string{benchHost: "1024", other: "100"}[host],
			Host: host, RemoteAddr: "127.0.0.1:40000", Batch: batch}
		if _, _, ok := e.ServeFast(r, buf[:0]); !ok {
			t.Fatalf("%s %s%s: declined", method, host, path)
		}
	}
	// Runs of one distribution, broken by the other and by a HEAD (no
	// bytes, same run).
	for _, q := range []struct{ method, host, path string }{
		{"GET", benchHost, "/a"}, {"GET", benchHost, "/a"}, {"GET", other, "/b"},
		{"HEAD", benchHost, "/a"}, {"GET", benchHost, "/a"}, {"GET", other, "/b"},
	} {
		serve(q.method, q.host, q.path, batch)
	}
	if got := metricHits(); got != m0 {
		t.Errorf("/metrics counted hits before the batch ended: %v -> %v", m0, got)
	}
	if got := e.cache.Stats().Memory.Hits; got != before {
		t.Errorf("memory hits counted before the batch ended: %d -> %d", before, got)
	}
	// A run is recorded when a hit of another run comes: E1's first
	// run then, its last one not before the batch ends.
	if h, _ := hits("E1"); h != h1+1 {
		t.Errorf("E1: %d hits counted before the batch ended, want 1 (its first run)", h-h1)
	}
	e.EndBatch(batch)
	if h, b := hits("E0"); h-h0 != 4 || b-b0 != 3*1024 {
		t.Errorf("E0: %d hits, %d bytes counted; want 4, %d", h-h0, b-b0, 3*1024)
	}
	if h, b := hits("E1"); h-h1 != 2 || b-b1 != 200 {
		t.Errorf("E1: %d hits, %d bytes counted; want 2, 200", h-h1, b-b1)
	}
	if got := metricHits() - m0; got != 6 {
		t.Errorf("/metrics counted %v hits, want 6", got)
	}
	if got := e.cache.Stats().Memory.Hits - before; got != 6 {
		t.Errorf("memory tier counted %d hits, want 6", got)
	}
	if got := requests("E0") - r0; got != 4 {
		t.Errorf("E0's minute buckets counted %d requests, want 4", got)
	}
	e.EndBatch(batch) // an empty batch counts nothing
	if got := metricHits() - m0; got != 6 {
		t.Errorf("an empty batch changed /metrics' hits: %v", got)
	}

	serve("GET", other, "/b", nil) // no scratch: counted at once
	if h, _ := hits("E1"); h-h1 != 3 {
		t.Errorf("a hit without a scratch was not counted at once (%d)", h-h1)
	}
	if got := metricHits() - m0; got != 7 {
		t.Errorf("/metrics: %v hits, want 7", got)
	}

	// A batch whose hits fall in two minutes records a run for each: the
	// later hit lands in the later minute's bucket.
	now := time.Now()
	later := now.Add(2 * time.Minute)
	for _, at := range []time.Time{now, later} {
		r := &fastpath.Request{Method: "GET", Path: "/a", RawQuery: "size=1024", Host: benchHost, RemoteAddr: "127.0.0.1:40000",
			Received: at, Batch: batch}
		if _, _, ok := e.ServeFast(r, buf[:0]); !ok {
			t.Fatalf("hit at %v: declined", at)
		}
	}
	e.EndBatch(batch)
	ms := e.stats.Minutes("E0", later.Truncate(time.Minute), later.Add(time.Minute))
	if len(ms) != 1 || ms[0].Requests != 1 {
		t.Errorf("the later minute's bucket holds %+v, want one request", ms)
	}
}
