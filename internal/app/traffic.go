package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"openfront/internal/stats"
)

// trafficPublishInterval is how often an edge of an etcd fleet publishes
// its counters for the console's fleet-wide graphs (which sample every
// second).
const trafficPublishInterval = time.Second

// cacheSummaryInterval is how often the published summary of what the
// cache holds is recomputed: it walks the whole cache, so not every second.
const cacheSummaryInterval = 10 * time.Second

// publishTraffic publishes the edge's running totals, and every
// cacheSummaryInterval the summary of its cache (summarize; nil: none),
// until ctx ends. A failed publication is logged at debug level: the next
// one follows within the interval, and the edge keeps serving either way.
func publishTraffic(ctx context.Context, node string, traffic *stats.Recorder, summarize func() map[string]*stats.CacheSummary,
	publish func(context.Context, string, []byte) error, log *slog.Logger) {
	t := time.NewTicker(trafficPublishInterval)
	defer t.Stop()
	var summary map[string]*stats.CacheSummary
	var summarized time.Time
	for {
		if summarize != nil && time.Since(summarized) >= cacheSummaryInterval {
			summary, summarized = summarize(), time.Now()
		}
		value, err := json.Marshal(stats.NodeTraffic{Time: time.Now().UTC(), Live: traffic.Live(), Cache: summary})
		if err == nil {
			pctx, cancel := context.WithTimeout(ctx, trafficPublishInterval)
			err = publish(pctx, node, value)
			cancel()
		}
		if err != nil && ctx.Err() == nil {
			log.Debug("traffic: publish for the fleet's console", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
