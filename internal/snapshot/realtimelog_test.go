package snapshot

import (
	"context"
	"testing"
	"time"

	"openfront/internal/model"
	"openfront/internal/store"
)

// TestWatcher_realtimeLogConfigs: a behaviour naming a stored real-time log
// configuration carries it (and its distribution is marked), an update of
// the configuration reaches the behaviour, and its deletion detaches it.
func TestWatcher_realtimeLogConfigs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st := openStore(t)
	put := func(key string, v any) int64 { t.Helper(); return putJSON(ctx, t, st, key, v) }
	const arn = "arn:aws:cloudfront::123456789012:realtime-log-config/rt"
	withLog := distRecord("E1", "d1.example")
	model.Sub(withLog.Config, "DefaultCacheBehavior")["RealtimeLogConfigArn"] = arn
	put(model.DistributionKey("E1"), withLog)
	put(model.DistributionKey("E2"), distRecord("E2", "d2.example"))
	put(model.RealtimeLogConfigKey("rt"), model.RealtimeLogConfigRecord{Name: "rt", ARN: arn, SamplingRate: 100, Fields: []string{"timestamp"}})

	next := watchSnapshots(ctx, t, st)
	s := next()
	b := s.Distributions["E1"].Match("/x")
	if b.RealtimeLog == nil || b.RealtimeLog.SamplingRate != 100 || !s.Distributions["E1"].RealtimeLogs {
		t.Fatalf("E1's behaviour has no real-time log config: %+v", b.RealtimeLog)
	}
	if s.Distributions["E2"].RealtimeLogs || s.Distributions["E2"].Match("/x").RealtimeLog != nil {
		t.Fatal("E2 has a real-time log config")
	}
	put(model.RealtimeLogConfigKey("rt"), model.RealtimeLogConfigRecord{Name: "rt", ARN: arn, SamplingRate: 5, Fields: []string{"c-ip"}})
	for s = next(); s.Distributions["E1"].Match("/x").RealtimeLog.SamplingRate != 5; s = next() {
	}
	if _, err := st.Update(ctx, func(tx store.Txn) error { return tx.Delete(model.RealtimeLogConfigKey("rt")) }); err != nil {
		t.Fatal(err)
	}
	if s = next(); s.Distributions["E1"].Match("/x").RealtimeLog != nil || s.Distributions["E1"].RealtimeLogs {
		t.Error("E1 keeps its real-time log config after its deletion")
	}
}
