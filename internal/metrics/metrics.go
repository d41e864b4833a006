// Package metrics holds OpenFront's Prometheus collectors. They are
// registered on a registry the application creates (no global registry),
// and served on the API listener's /metrics.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the collectors of one process.
type Metrics struct {
	Registry *prometheus.Registry
	// APIRequests counts control-plane API requests by API and result code.
	APIRequests *prometheus.CounterVec
	// EdgeRequests counts edge responses by X-Cache result.
	EdgeRequests *prometheus.CounterVec
	// SnapshotRevision is the store revision the edge has applied.
	SnapshotRevision prometheus.Gauge
	// IgnoredFields counts deployed distribution revisions that set a
	// DistributionConfig member the edge does not act on, by member path
	// (one increment per revision and member; see internal/snapshot/ignored.go).
	IgnoredFields *prometheus.CounterVec

	// edgeResults holds EdgeRequests' counters for the usual results, so
	// counting one is a map read and an atomic add, not a label lookup;
	// edgeHits is the hits' own, read without the map (the hit path
	// counts every response).
	edgeResults map[string]prometheus.Counter
	edgeHits    prometheus.Counter
}

// New creates and registers the collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		APIRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openfront_api_requests_total", Help: "Control-plane API requests by API and result code.",
		}, []string{"api", "code"}),
		EdgeRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openfront_edge_requests_total", Help: "Edge responses by result (Hit, Miss, RefreshHit, Error, ...).",
		}, []string{"result"}),
		SnapshotRevision: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "openfront_snapshot_revision", Help: "Store revision of the configuration the edge serves.",
		}),
		IgnoredFields: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openfront_config_ignored_fields_total",
			Help: "Distribution revisions deployed with a DistributionConfig field the edge does not act on, by field.",
		}, []string{"field"}),
	}
	m.edgeResults = map[string]prometheus.Counter{}
	for _, result := range []string{"Hit", "Miss", "RefreshHit", "Error", "Redirect"} {
		m.edgeResults[result] = m.EdgeRequests.WithLabelValues(result)
	}
	m.edgeHits = m.edgeResults["Hit"]
	m.Registry.MustRegister(m.APIRequests, m.EdgeRequests, m.SnapshotRevision, m.IgnoredFields,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// CountEdgeRequests counts n edge responses with one result (the edge's
// epoll loop counts a batch of hits at once).
func (m *Metrics) CountEdgeRequests(result string, n int) {
	if n <= 0 {
		return
	}
	if result == "Hit" {
		m.edgeHits.Add(float64(n))
		return
	}
	if c, ok := m.edgeResults[result]; ok {
		c.Add(float64(n))
		return
	}
	m.EdgeRequests.WithLabelValues(result).Add(float64(n))
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}
