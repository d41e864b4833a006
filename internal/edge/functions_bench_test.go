package edge_test

import (
	"net/http"
	"testing"

	"openfront/internal/functions"
	"openfront/internal/snapshot"
)

// BenchmarkHit1KiBFunction is a 1 KiB memory-tier hit through ServeHTTP
// without a function and with a viewer-request function that rewrites the
// URI (/v/hit -> /obj/hit, the object cached under the rewritten key):
// the difference is what running a function costs per request (event
// object, pooled runtime, handler, returned request, re-planned key).
func BenchmarkHit1KiBFunction(b *testing.B) {
	const size = 1 << 10
	rewrite := []byte(`function handler(event) {
  var request = event.request;
  request.uri = request.uri.replace('/v/', '/obj/');
  return request;
}`)
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
			for b.Loop() {
				w.reset()
				s.ServeHTTP(w, r)
			}
			if w.status != http.StatusOK || w.n != size || w.h.Get("X-Cache") != "Hit from cloudfront" {
				b.Fatalf("last response: status %d, %d bytes, X-Cache %q", w.status, w.n, w.h.Get("X-Cache"))
			}
		})
	}
}
