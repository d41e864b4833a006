package edge_test

import (
	"net/http"
	"runtime"
	"testing"
	"time"

	"openfront/internal/functions"
	"openfront/internal/snapshot"
)

// BenchmarkHit1KiBFunction is a 1 KiB memory-tier hit through ServeHTTP
// without a function and with a viewer-request function that rewrites the
// URI (/v/hit -> /obj/hit, the object cached under the rewritten key):
// the difference is what running a function costs per request (event
// object, pooled runtime, handler, returned request, re-planned key). It
// reports what the function adds (µs-added/op) and the ratio to the run
// without (x-none) on the uri-rewrite line, and logs both absolute
// figures with -v (the target: under 20 µs added per request).
func BenchmarkHit1KiBFunction(b *testing.B) {
	type figure struct {
		perOp  time.Duration
		allocs float64
	}
	figures := map[string]figure{}
	const size = 1 << 10
	rewrite := uriRewrite
	for _, tc := range []struct {
		name, path string
		code       []byte
	}{
		{"none", "/obj/hit?size=1024", nil},
		{"uri-rewrite", "/v/hit?size=1024", rewrite},
	} {
		b.Run(tc.name, func(b *testing.B) {
			o := newBenchOrigin(b)
			s := newBenchEdgeWith(b, o, nil, func(d *snapshot.Distribution) {
				if tc.code == nil {
					return
				}
				p, err := functions.Compile(tc.code, functions.Runtime20)
				if err != nil {
					b.Fatal(err)
				}
				d.Behaviors[len(d.Behaviors)-1].ViewerRequest = &snapshot.Function{Name: "rewrite", ARN: "arn:aws:cloudfront::123456789012:function/rewrite", Program: p}
			})
			prefill(b, s, tc.path, size)
			r := newBenchRequest(tc.path)
			w := newBenchWriter()
			b.SetBytes(size)
			b.ReportAllocs()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			for b.Loop() {
				w.reset()
				s.ServeHTTP(w, r)
			}
			runtime.ReadMemStats(&m1)
			figures[tc.name] = figure{b.Elapsed() / time.Duration(b.N), float64(m1.Mallocs-m0.Mallocs) / float64(b.N)}
			if none, ok := figures["none"]; ok && tc.code != nil && none.perOp > 0 {
				// On the benchmark line: what the function adds and the ratio.
				b.ReportMetric(us(figures[tc.name].perOp-none.perOp), "µs-added/op")
				b.ReportMetric(float64(figures[tc.name].perOp)/float64(none.perOp), "x-none")
			}
			if w.status != http.StatusOK || w.n != size || w.h.Get("X-Cache") != "Hit from cloudfront" {
				b.Fatalf("last response: status %d, %d bytes, X-Cache %q", w.status, w.n, w.h.Get("X-Cache"))
			}
		})
	}
	none, fn := figures["none"], figures["uri-rewrite"]
	if none.perOp > 0 && fn.perOp > 0 {
		b.Logf("1 KiB hit: %.2f µs/op (%.0f allocs) without a function, %.2f µs/op (%.0f allocs) with the URI rewrite: +%.2f µs, ratio %.2fx",
			us(none.perOp), none.allocs, us(fn.perOp), fn.allocs, us(fn.perOp-none.perOp), float64(fn.perOp)/float64(none.perOp))
	}
}

// uriRewrite is the benchmark's viewer-request function.
var uriRewrite = []byte(`function handler(event) {
  var request = event.request;
  request.uri = request.uri.replace('/v/', '/obj/');
  return request;
}`)

// maxFunctionAllocs is how many allocations a URI-rewrite function may add
// to a 1 KiB hit (BenchmarkHit1KiBFunction). Most are goja's: the event
// and request objects (with their properties and lazy accessors) and the
// handler's own string work; the engine's share is a few.
const maxFunctionAllocs = 40

// TestFunctionHitAllocations keeps what running a viewer-request function
// allocates per request bounded: the runtime comes from the pool, its
// timer is reused, the event's fields share one allocation with it, and an
// untouched query string is the viewer's.
func TestFunctionHitAllocations(t *testing.T) {
	allocs := func(path string, code []byte) float64 {
		o := newBenchOrigin(t)
		s := newBenchEdgeWith(t, o, nil, func(d *snapshot.Distribution) {
			if code == nil {
				return
			}
			p, err := functions.Compile(code, functions.Runtime20)
			if err != nil {
				t.Fatal(err)
			}
			d.Behaviors[len(d.Behaviors)-1].ViewerRequest = &snapshot.Function{Name: "rewrite", ARN: "arn:aws:cloudfront::123456789012:function/rewrite", Program: p}
		})
		prefill(t, s, path, 1024)
		r, w := newBenchRequest(path), newBenchWriter()
		n := testing.AllocsPerRun(200, func() {
			w.reset()
			s.ServeHTTP(w, r)
		})
		if w.status != http.StatusOK || w.h.Get("X-Cache") != "Hit from cloudfront" {
			t.Fatalf("%s: status %d, X-Cache %q", path, w.status, w.h.Get("X-Cache"))
		}
		return n
	}
	none, fn := allocs("/obj/hit?size=1024", nil), allocs("/v/hit?size=1024", uriRewrite)
	if added := fn - none; added > maxFunctionAllocs {
		t.Errorf("a URI-rewrite function adds %.0f allocations to a hit (%.0f without, %.0f with), want at most %d", added, none, fn, maxFunctionAllocs)
	}
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
