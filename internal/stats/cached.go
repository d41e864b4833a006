package stats

import (
	"cmp"
	"iter"
	"slices"

	"openfront/internal/cache"
)

// What the cache holds, per distribution, for the console's "top objects"
// page ("Popular objects report", Amazon CloudFront Developer Guide, ranks
// objects by requests; the console ranks what the edge holds now by hits
// and by bytes). Each edge node summarises its own cache; in an etcd fleet
// it publishes the summary with its counters (NodeTraffic.Cache).

// CachedObject is one stored object: its path (with the query string
// when the behaviour keys on it), body bytes and the hits served from it
// since it was stored.
type CachedObject struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
	Hits  uint64 `json:"hits"`
	// Node is the edge node holding it (empty for this node's).
	Node string `json:"node,omitempty"`
}

// CacheSummary is what one distribution's cache holds: totals and the top
// objects by hits and by bytes (at most TopObjects each).
type CacheSummary struct {
	Objects int64          `json:"objects"`
	Bytes   int64          `json:"bytes"`
	Hits    uint64         `json:"hits"`
	ByHits  []CachedObject `json:"byHits"`
	ByBytes []CachedObject `json:"byBytes"`
}

// TopObjects is how many objects a summary ranks by hits and by bytes.
const TopObjects = 20

func moreHits(a, b CachedObject) int {
	return cmp.Or(cmp.Compare(b.Hits, a.Hits), cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Node, b.Node))
}

func moreBytes(a, b CachedObject) int {
	return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(b.Hits, a.Hits), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Node, b.Node))
}

// keepTop inserts o into top (sorted by order), keeping at most n.
func keepTop(top []CachedObject, o CachedObject, n int, order func(a, b CachedObject) int) []CachedObject {
	if len(top) == n && order(o, top[n-1]) >= 0 {
		return top
	}
	i, _ := slices.BinarySearchFunc(top, o, order)
	if len(top) == n {
		top = top[:n-1]
	}
	return slices.Insert(top, i, o)
}

func (s *CacheSummary) add(o CachedObject, n int) {
	s.Objects++
	s.Bytes += o.Bytes
	s.Hits += o.Hits
	s.ByHits = keepTop(s.ByHits, o, n, moreHits)
	s.ByBytes = keepTop(s.ByBytes, o, n, moreBytes)
}

// SummarizeCache summarises stored objects by distribution, ranking at
// most n objects by hits and n by bytes in each; keep selects the
// distributions (nil: all). One pass, memory bounded by the distributions
// times n.
func SummarizeCache(objects iter.Seq[cache.Ref], n int, keep func(distID string) bool) map[string]*CacheSummary {
	out := map[string]*CacheSummary{}
	for r := range objects {
		if keep != nil && !keep(r.DistID) {
			continue
		}
		s := out[r.DistID]
		if s == nil {
			s = &CacheSummary{}
			out[r.DistID] = s
		}
		s.add(CachedObject{Path: r.Path, Bytes: r.Size, Hits: r.Hits}, n)
	}
	return out
}

// Merge adds other's totals and objects (from node) to s, keeping at most
// n objects in each ranking: the fleet's summary from its nodes'.
func (s *CacheSummary) Merge(other *CacheSummary, node string, n int) {
	s.Objects += other.Objects
	s.Bytes += other.Bytes
	s.Hits += other.Hits
	for _, o := range other.ByHits {
		o.Node = node
		s.ByHits = keepTop(s.ByHits, o, n, moreHits)
	}
	for _, o := range other.ByBytes {
		o.Node = node
		s.ByBytes = keepTop(s.ByBytes, o, n, moreBytes)
	}
}
