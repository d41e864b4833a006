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

// publishTraffic publishes the edge's running totals until ctx ends. A
// failed publication is logged at debug level: the next one follows within
// the interval, and the edge keeps serving either way.
func publishTraffic(ctx context.Context, node string, traffic *stats.Recorder, publish func(context.Context, string, []byte) error, log *slog.Logger) {
	t := time.NewTicker(trafficPublishInterval)
	defer t.Stop()
	for {
		value, err := json.Marshal(stats.NodeTraffic{Time: time.Now().UTC(), Live: traffic.Live()})
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
