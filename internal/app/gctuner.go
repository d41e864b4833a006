package app

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// tuneGC keeps the heap's growth headroom at max(minHeadroom, 10% of the
// live heap) until ctx ends. The object cache is most of the heap and
// long-lived: Go's default (GOGC=100) lets the heap grow to twice the
// cached bytes before collecting, while a fixed low GOGC makes a small
// heap collect constantly on the hit path. A fixed headroom gives both a
// small heap that collects rarely and a large one whose RSS stays near
// what it caches.
func tuneGC(ctx context.Context, minHeadroom uint64) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	last := -1
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			live := sample[0].Value.Uint64()
			pct := 100
			if live > 0 {
				pct = int(max(minHeadroom, live/10) * 100 / live)
			}
			pct = min(max(pct, 10), 100)
			if pct != last {
				debug.SetGCPercent(pct)
				last = pct
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
