package edge

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// TestServer_staleWhileRevalidate: an expired object whose origin allows
// stale-while-revalidate is served at once as a RefreshHit, with its age,
// while one background fetch refreshes it for the next viewer (RFC 5861
// §3; "Manage how long content stays in the cache (expiration)", AWS
// CloudFront Developer Guide). Run with -race: the background refresh
// must not read the exchange while the viewer's response is written.
func TestServer_staleWhileRevalidate(t *testing.T) {
	var version atomic.Int32
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=10, stale-while-revalidate=60")
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "v%d", version.Add(1))
	})
	te := newTestEdge(t, distConfig(o, nil))
	if w := te.get(t, "/swr", nil); w.Body.String() != "v1" || w.Header().Get("X-Cache") != "Miss from cloudfront" {
		t.Fatalf("first: %q %q", w.Body.String(), w.Header().Get("X-Cache"))
	}
	te.advance(15 * time.Second)
	w := te.get(t, "/swr", nil)
	if w.Body.String() != "v1" || w.Header().Get("X-Cache") != "RefreshHit from cloudfront" || w.Header().Get("Age") != "15" {
		t.Fatalf("stale within stale-while-revalidate: %q %q Age %q, want v1 RefreshHit Age 15", w.Body.String(), w.Header().Get("X-Cache"), w.Header().Get("Age"))
	}
	deadline := time.Now().Add(2 * time.Second)
	for o.count("/swr") < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	te.settle()
	if w := te.get(t, "/swr", nil); w.Body.String() != "v2" || w.Header().Get("X-Cache") != "Hit from cloudfront" {
		t.Fatalf("after the background refresh: %q %q, want v2 Hit", w.Body.String(), w.Header().Get("X-Cache"))
	}
	if n := o.count("/swr"); n != 2 {
		t.Errorf("origin asked %d times, want 2", n)
	}
}
