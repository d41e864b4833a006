package control_test

import (
	"testing"

	"openfront/internal/model"
)

func TestMonitoringSubscription_lifecycle(t *testing.T) {
	e := newEnv(t)
	d := e.create(distConfig("ref-1", "www.example.com"))
	_, err := e.c.GetMonitoringSubscription(e.ctx, d.ID)
	wantCode(t, err, "NoSuchMonitoringSubscription")
	wantCode(t, e.c.DeleteMonitoringSubscription(e.ctx, d.ID), "NoSuchMonitoringSubscription")
	for _, status := range []string{"Enabled", "Disabled", "", "Enabled"} { // each replaces the last
		if _, err := e.c.PutMonitoringSubscription(e.ctx, d.ID, status); err != nil {
			t.Fatalf("put %q: %v", status, err)
		}
		got, err := e.c.GetMonitoringSubscription(e.ctx, d.ID)
		if err != nil || got.RealtimeMetricsSubscriptionStatus != status || got.DistributionID != d.ID {
			t.Fatalf("after put %q: %+v, %v", status, got, err)
		}
	}
	_, err = e.c.PutMonitoringSubscription(e.ctx, d.ID, "enabled")
	wantCode(t, err, "InvalidArgument")
	for _, id := range []string{"ENOSUCHDIST000", "", "../" + d.ID} {
		_, err = e.c.PutMonitoringSubscription(e.ctx, id, "Enabled")
		wantCode(t, err, "NoSuchDistribution")
		_, err = e.c.GetMonitoringSubscription(e.ctx, id)
		wantCode(t, err, "NoSuchDistribution")
		wantCode(t, e.c.DeleteMonitoringSubscription(e.ctx, id), "NoSuchDistribution")
	}
	if err := e.c.DeleteMonitoringSubscription(e.ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.GetMonitoringSubscription(e.ctx, d.ID)
	wantCode(t, err, "NoSuchMonitoringSubscription")
}

// A deleted distribution takes its subscription with it.
func TestMonitoringSubscription_goesWithTheDistribution(t *testing.T) {
	e := newEnv(t)
	d := e.create(distConfig("ref-1", "www.example.com"))
	if _, err := e.c.PutMonitoringSubscription(e.ctx, d.ID, "Enabled"); err != nil {
		t.Fatal(err)
	}
	off := e.mustUpdate(d.ID, func(c model.Tree) { c["Enabled"] = "false" })
	e.deploy()
	if err := e.c.DeleteDistribution(e.ctx, d.ID, off.ETag); err != nil {
		t.Fatal(err)
	}
	if k := e.keys(model.MonitoringSubscriptionPrefix); len(k) != 0 {
		t.Errorf("subscription left after the distribution's delete: %v", k)
	}
}
