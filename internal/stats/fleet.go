package stats

import "time"

// NodeTraffic is one node's running totals as it publishes them for the
// fleet (with etcd: internal/fleet/etcdfleet, every second), so that any
// API node's console can graph the whole fleet's traffic.
type NodeTraffic struct {
	Time time.Time
	Live map[string]Live // by distribution id
	// Cache summarises what the node's cache holds, by distribution id
	// (refreshed less often than Live: it walks the whole cache).
	Cache map[string]*CacheSummary `json:",omitempty"`
}
