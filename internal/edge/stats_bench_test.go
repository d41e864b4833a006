package edge_test

import (
	"log/slog"
	"net"
	"testing"

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

// BenchmarkServeFast1KiBCounted is BenchmarkServeFast1KiB with the
// counting `openfront serve` wires in: the result counter of /metrics and
// the per-distribution stats.Recorder (minute buckets and the running
// totals the per-distribution Prometheus series are read from).
func BenchmarkServeFast1KiBCounted(b *testing.B) {
	const size = 1 << 10
	o := newBenchOrigin(b)
	_, port, _ := net.SplitHostPort(o.Listener.Addr().String())
	cfg := model.Tree{
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
	mem, err := memory.New(1 << 30)
	if err != nil {
		b.Fatal(err)
	}
	c, err := cache.New(cache.Config{Memory: mem})
	if err != nil {
		b.Fatal(err)
	}
	m := metrics.New()
	s := edge.New(edge.Options{Cache: c, Origin: origin.New(origin.S3{}), Log: slog.New(slog.DiscardHandler),
		Count: m.CountEdgeRequest, Stats: stats.New(0)})
	s.Apply(snapshot.Compile(1, []*model.DistributionRecord{{ID: "EBENCH", DomainName: benchHost, Config: cfg}}, nil, nil), nil)
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
