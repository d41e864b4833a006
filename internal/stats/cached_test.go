package stats

import (
	"fmt"
	"slices"
	"testing"

	"openfront/internal/cache"
)

func TestSummarizeCache(t *testing.T) {
	refs := []cache.Ref{
		{DistID: "E1", Path: "/small-popular", Size: 10, Hits: 50},
		{DistID: "E1", Path: "/big-cold", Size: 5000, Hits: 0},
		{DistID: "E1", Path: "/mid", Size: 300, Hits: 7},
		{DistID: "E1", Path: "/tiny", Size: 1, Hits: 1},
		{DistID: "E2", Path: "/other", Size: 99, Hits: 3},
		{DistID: "E3", Path: "/dropped", Size: 1, Hits: 1},
	}
	got := SummarizeCache(slices.Values(refs), 2, func(id string) bool { return id != "E3" })
	paths := func(objs []CachedObject) string {
		var out []string
		for _, o := range objs {
			out = append(out, o.Path)
		}
		return fmt.Sprint(out)
	}
	for _, tc := range []struct {
		dist            string
		objects, bytes  int64
		hits            uint64
		byHits, byBytes string
	}{
		{"E1", 4, 5311, 58, "[/small-popular /mid]", "[/big-cold /mid]"},
		{"E2", 1, 99, 3, "[/other]", "[/other]"},
	} {
		s := got[tc.dist]
		if s == nil {
			t.Fatalf("%s: no summary", tc.dist)
		}
		if s.Objects != tc.objects || s.Bytes != tc.bytes || s.Hits != tc.hits {
			t.Errorf("%s: totals %d objects %d bytes %d hits, want %d %d %d", tc.dist, s.Objects, s.Bytes, s.Hits, tc.objects, tc.bytes, tc.hits)
		}
		if p := paths(s.ByHits); p != tc.byHits {
			t.Errorf("%s: by hits %s, want %s", tc.dist, p, tc.byHits)
		}
		if p := paths(s.ByBytes); p != tc.byBytes {
			t.Errorf("%s: by bytes %s, want %s", tc.dist, p, tc.byBytes)
		}
	}
	if _, ok := got["E3"]; ok {
		t.Error("E3 summarised although keep refused it")
	}

	// The fleet's summary: totals add up, rankings interleave the nodes'.
	var fleet CacheSummary
	fleet.Merge(got["E1"], "a", 3)
	fleet.Merge(&CacheSummary{Objects: 1, Bytes: 20, Hits: 9, ByHits: []CachedObject{{Path: "/b-hot", Bytes: 20, Hits: 9}},
		ByBytes: []CachedObject{{Path: "/b-hot", Bytes: 20, Hits: 9}}}, "b", 3)
	if fleet.Objects != 5 || fleet.Bytes != 5331 || fleet.Hits != 67 {
		t.Errorf("fleet totals %+v", fleet)
	}
	if p := paths(fleet.ByHits); p != "[/small-popular /b-hot /mid]" {
		t.Errorf("fleet by hits %s", p)
	}
	if fleet.ByHits[1].Node != "b" || fleet.ByHits[0].Node != "a" {
		t.Errorf("fleet by hits nodes %+v", fleet.ByHits)
	}
}
