package edge_test

import (
	"testing"
	"time"

	"openfront/internal/fastpath"
)

// TestServeFast_requestTime: the fast path takes a request's time from the
// connection loop's read (fastpath.Request.Received) instead of reading
// the clock again, and reads the clock when the loop gave none.
func TestServeFast_requestTime(t *testing.T) {
	s := newBenchEdge(t, newBenchOrigin(t))
	prefill(t, s, "/obj/hit?size=1024", 1024) // max-age=3600
	for _, c := range []struct {
		name     string
		received time.Time
		served   bool
	}{
		{"no time from the loop", time.Time{}, true},
		{"read just now", time.Now(), true},
		{"read two hours on: stale by then", time.Now().Add(2 * time.Hour), false},
	} {
		r := &fastpath.Request{Method: "GET", Path: "/obj/hit", RawQuery: "size=1024", Host: benchHost, RemoteAddr: "127.0.0.1:40000", Received: c.received}
		if _, _, ok := s.ServeFast(r, nil); ok != c.served {
			t.Errorf("%s: served %v, want %v", c.name, ok, c.served)
		}
	}
}
