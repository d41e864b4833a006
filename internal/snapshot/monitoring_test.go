package snapshot

import (
	"context"
	"testing"
	"time"

	"openfront/internal/model"
	"openfront/internal/store"
)

// TestWatcher_monitoringSubscriptions: an Enabled subscription marks its
// distribution's AdditionalMetrics, a Disabled one or its deletion clears
// it, and a subscription of an unknown distribution marks nothing.
func TestWatcher_monitoringSubscriptions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st := openStore(t)
	put := func(key string, v any) int64 { t.Helper(); return putJSON(ctx, t, st, key, v) }
	put(model.DistributionKey("E1"), distRecord("E1", "d1.example"))
	put(model.DistributionKey("E2"), distRecord("E2", "d2.example"))
	put(model.MonitoringSubscriptionKey("E1"), model.MonitoringSubscriptionRecord{DistributionID: "E1", RealtimeMetricsSubscriptionStatus: "Enabled"})
	put(model.MonitoringSubscriptionKey("EGONE"), model.MonitoringSubscriptionRecord{DistributionID: "EGONE", RealtimeMetricsSubscriptionStatus: "Enabled"})

	next := watchSnapshots(ctx, t, st)
	s := next()
	if !s.Distributions["E1"].AdditionalMetrics || s.Distributions["E2"].AdditionalMetrics || s.Distributions["EGONE"] != nil {
		t.Fatalf("first snapshot: E1 %v, E2 %v", s.Distributions["E1"].AdditionalMetrics, s.Distributions["E2"].AdditionalMetrics)
	}
	put(model.MonitoringSubscriptionKey("E1"), model.MonitoringSubscriptionRecord{DistributionID: "E1", RealtimeMetricsSubscriptionStatus: "Disabled"})
	put(model.MonitoringSubscriptionKey("E2"), model.MonitoringSubscriptionRecord{DistributionID: "E2", RealtimeMetricsSubscriptionStatus: "Enabled"})
	for s = next(); s.Distributions["E1"].AdditionalMetrics || !s.Distributions["E2"].AdditionalMetrics; s = next() {
	}
	if _, err := st.Update(ctx, func(tx store.Txn) error { return tx.Delete(model.MonitoringSubscriptionKey("E2")) }); err != nil {
		t.Fatal(err)
	}
	if s = next(); s.Distributions["E2"].AdditionalMetrics {
		t.Error("E2 keeps its additional metrics after its subscription's deletion")
	}
}
