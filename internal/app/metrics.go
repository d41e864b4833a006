package app

import (
	"openfront/internal/metrics"
	"openfront/internal/snapshot"
	"openfront/internal/stats"
)

// registerDistributionMetrics exports the per-distribution series of the
// in-process edge: the distributions of the live snapshot, with the
// running totals traffic counts.
func registerDistributionMetrics(m *metrics.Metrics, node string, live func() *snapshot.Snapshot, traffic *stats.Recorder) {
	m.RegisterDistributions(node, metrics.DistributionSource{
		Distributions: func() []metrics.DistributionInfo {
			snap := live()
			if snap == nil {
				return nil // no snapshot yet, or an API-only node
			}
			out := make([]metrics.DistributionInfo, 0, len(snap.Distributions))
			for _, d := range snap.Distributions {
				info := metrics.DistributionInfo{ID: d.ID, API: "cloudfront", DomainName: d.DomainName, AdditionalMetrics: d.AdditionalMetrics}
				if d.LightsailName != "" {
					info.API, info.Name = "lightsail", d.LightsailName
				}
				out = append(out, info)
			}
			return out
		},
		Live: traffic.Live,
	})
}

// forgetDeletedDistributions drops the counters of distributions a new
// snapshot no longer has, so memory and series stay bounded.
func forgetDeletedDistributions(traffic *stats.Recorder, snap *snapshot.Snapshot) {
	traffic.Keep(func(id string) bool { _, ok := snap.Distributions[id]; return ok })
}
