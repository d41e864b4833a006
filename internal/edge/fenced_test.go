package edge

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"openfront/internal/fleet"
)

// TestServer_fenced: an edge the fleet does not count answers every
// request 503, with CloudFront's error page saying why, on every front: a
// cached object is not served, and the fast path leaves the request to
// ServeHTTP. Counted again, it serves the hit again.
func TestServer_fenced(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=600"))
	for _, overTLS := range []bool{false, true} {
		f := newFastFrontsOver(t, distConfig(o, nil), overTLS)
		fence := fleet.NewFence()
		fence.CountUntil(time.Now().Add(time.Hour))
		f.te.Server.opts.Fence = fence
		raw := "GET /cached HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n"
		f.roundTrip(t, f.slow, raw)
		f.settle(t)
		tests := []struct {
			name string
			addr string
		}{
			{f.scheme() + " net/http", f.slow},
			{f.scheme() + " fast path", f.fast},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				fence.CountUntil(time.Now().Add(time.Hour))
				if r := f.roundTrip(t, tc.addr, raw); r.StatusCode != http.StatusOK || r.Header.Get("X-Cache") != "Hit from cloudfront" {
					t.Fatalf("counted: %d %q, want a hit", r.StatusCode, r.Header.Get("X-Cache"))
				}
				served := f.fs.Stats().Served
				fence.Drop()
				r := f.roundTrip(t, tc.addr, raw)
				body, _ := io.ReadAll(r.Body)
				if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("X-Cache") != "Error from cloudfront" ||
					!strings.Contains(string(body), "out of contact with the rest of the fleet") {
					t.Errorf("fenced: %d %q %q, want CloudFront's 503 page", r.StatusCode, r.Header.Get("X-Cache"), body)
				}
				if got := f.fs.Stats().Served; got != served {
					t.Errorf("fenced: the fast path answered %d requests", got-served)
				}
				// A deadline in the past is the same as a dropped one.
				fence.CountUntil(time.Now().Add(-time.Millisecond))
				if r := f.roundTrip(t, tc.addr, raw); r.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("past the deadline: %d, want 503", r.StatusCode)
				}
				fence.CountUntil(time.Now().Add(time.Hour))
				if r := f.roundTrip(t, tc.addr, raw); r.Header.Get("X-Cache") != "Hit from cloudfront" {
					t.Errorf("counted again: %d %q, want a hit", r.StatusCode, r.Header.Get("X-Cache"))
				}
			})
		}
	}
}
