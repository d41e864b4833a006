package cache_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"openfront/internal/cache"
)

// TestCache_Fill_storedAge: the Age a response arrives with is part of the
// stored object's age (RFC 9111 §4.2.3): Meta.StoredAt is moved back by it
// on every path (stored fill, uncacheable fill, disk round trip), so the
// Age of a later hit, now − StoredAt, goes on from it (RFC 9111 §5.1).
func TestCache_Fill_storedAge(t *testing.T) {
	arrival := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		age       time.Duration
		cacheable bool
		disk      bool
		want      time.Duration // now − StoredAt at arrival
	}{
		{"no Age", 0, true, false, 0},
		{"origin Age", 7200 * time.Second, true, false, 7200 * time.Second},
		{"origin Age, disk tier", 90 * time.Second, true, true, 90 * time.Second},
		{"uncacheable keeps it for its one reader", 30 * time.Second, false, false, 30 * time.Second},
		{"negative Age is 0", -5 * time.Second, true, false, 0},
		{"2^31 s", 1 << 31 * time.Second, true, false, 1 << 31 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCache(t, tc.disk, cache.Config{Now: func() time.Time { return arrival }})
			s, err := c.Fill(context.Background(), &cache.FillRequest{Key: "k", Fetch: func(context.Context) (*cache.FetchResult, error) {
				return &cache.FetchResult{Status: http.StatusOK, Header: http.Header{}, Expires: arrival.Add(time.Hour),
					Age: tc.age, Size: 4, Body: io.NopCloser(strings.NewReader("body")), Cacheable: tc.cacheable}, nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, s)
			s.Close()
			if got := arrival.Sub(s.Meta.StoredAt.Time()); got != tc.want {
				t.Errorf("stream: now − StoredAt = %v, want %v", got, tc.want)
			}
			if !tc.cacheable {
				return
			}
			waitStored(t, c, "k")
			e, ok := c.Lookup("k")
			if !ok {
				t.Fatal("not stored")
			}
			defer e.Close()
			if got := arrival.Sub(e.Meta.StoredAt.Time()); got != tc.want {
				t.Errorf("stored: now − StoredAt = %v, want %v", got, tc.want)
			}
			if !e.Meta.Expires.Time().Equal(arrival.Add(time.Hour)) {
				t.Errorf("Expires %v moved: the edge computes it (httpcache.FreshUntil)", e.Meta.Expires.Time())
			}
		})
	}
}

func waitStored(t *testing.T, c *cache.Cache, key string) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if c.Stats().InFlight == 0 {
			if e, ok := c.Lookup(key); ok {
				e.Close()
				return
			}
		}
	}
}
