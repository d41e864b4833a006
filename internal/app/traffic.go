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
		value, err := marshalTraffic(stats.NodeTraffic{Time: time.Now().UTC(), Live: traffic.Live()}, summary, maxTrafficBytes)
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

// maxTrafficBytes bounds a node's published value, well under etcd's
// default 1.5 MiB request limit (a value over it would fail every
// publication, the graphs' counters with it).
const maxTrafficBytes = 1 << 20

// marshalTraffic encodes nt with the cache summary, ranking fewer objects
// per distribution (halving down to none, the totals kept) until the value
// fits in limit: many distributions or long paths shorten the rankings.
func marshalTraffic(nt stats.NodeTraffic, summary map[string]*stats.CacheSummary, limit int) ([]byte, error) {
	for top := stats.TopObjects; ; top /= 2 {
		nt.Cache = nil
		if summary != nil {
			nt.Cache = make(map[string]*stats.CacheSummary, len(summary))
			for id, s := range summary {
				cut := *s
				cut.ByHits, cut.ByBytes = s.ByHits[:min(top, len(s.ByHits))], s.ByBytes[:min(top, len(s.ByBytes))]
				nt.Cache[id] = &cut
			}
		}
		value, err := json.Marshal(nt)
		if err != nil || len(value) <= limit || top == 0 {
			return value, err
		}
	}
}
