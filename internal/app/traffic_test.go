package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"openfront/internal/stats"
)

// The published value stays under the limit however many distributions
// and long paths the cache holds: the rankings shorten, the totals stay.
func TestMarshalTraffic_bounded(t *testing.T) {
	summary := map[string]*stats.CacheSummary{}
	for d := range 50 {
		s := &stats.CacheSummary{Objects: 100, Bytes: 1000, Hits: 7}
		for i := range stats.TopObjects {
			o := stats.CachedObject{Path: fmt.Sprintf("/%d/%s", i, strings.Repeat("p", 1000)), Bytes: 10, Hits: 1}
			s.ByHits, s.ByBytes = append(s.ByHits, o), append(s.ByBytes, o)
		}
		summary[fmt.Sprintf("E%d", d)] = s
	}
	for _, tc := range []struct {
		limit   int
		wantTop int
	}{{1 << 30, stats.TopObjects}, {1 << 20, 10}, {300 << 10, 2}, {64 << 10, 0}} {
		value, err := marshalTraffic(stats.NodeTraffic{}, summary, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(value) > tc.limit && tc.wantTop > 0 {
			t.Errorf("limit %d: %d bytes", tc.limit, len(value))
		}
		var nt stats.NodeTraffic
		if err := json.Unmarshal(value, &nt); err != nil {
			t.Fatal(err)
		}
		s := nt.Cache["E3"]
		if s == nil || s.Objects != 100 || s.Hits != 7 || len(s.ByHits) != tc.wantTop || len(s.ByBytes) != tc.wantTop {
			t.Errorf("limit %d: E3 totals %d %d, %d and %d ranked, want totals kept and %d ranked", tc.limit, s.Objects, s.Hits, len(s.ByHits), len(s.ByBytes), tc.wantTop)
		}
	}
	if len(summary["E3"].ByHits) != stats.TopObjects {
		t.Error("marshalTraffic changed the summary it was given")
	}
}
