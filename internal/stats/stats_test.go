package stats

import (
	"testing"
	"time"
)

func TestRecorder_MinutesAndRetention(t *testing.T) {
	r := New(10 * time.Minute)
	t0 := time.Date(2024, 5, 1, 12, 0, 30, 0, time.UTC)
	r.Record("D", t0, "Miss", 200, 5, 100)
	r.Record("D", t0.Add(10*time.Second), "Miss", 404, 0, 20)
	r.Record("D", t0.Add(2*time.Minute), "Miss", 503, 0, 0)
	r.Record("D", t0.Add(time.Minute), "Miss", 200, 0, 1) // late, inserted in order
	got := r.Minutes("D", t0.Add(-time.Hour), t0.Add(time.Hour))
	if len(got) != 3 || got[0].Requests != 2 || got[0].BytesDownloaded != 120 || got[0].BytesUploaded != 5 || got[0].Status4xx != 1 || got[2].Status5xx != 1 {
		t.Fatalf("minutes = %+v", got)
	}
	if !got[1].Start.Equal(time.Date(2024, 5, 1, 12, 1, 0, 0, time.UTC)) {
		t.Errorf("second minute starts %v", got[1].Start)
	}
	// Buckets older than the retention fall out as time moves on.
	r.Record("D", t0.Add(11*time.Minute), "Miss", 200, 0, 0)
	if got := r.Minutes("D", t0.Add(-time.Hour), t0.Add(time.Hour)); len(got) != 2 || !got[0].Start.Equal(t0.Add(2*time.Minute).Truncate(time.Minute)) {
		t.Errorf("after retention: %+v", got)
	}
	if r.Minutes("other", t0, t0.Add(time.Hour)) != nil {
		t.Error("unknown distribution has minutes")
	}
}

func TestAggregate_periods(t *testing.T) {
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	minutes := []Minute{
		{Start: base, Counts: Counts{Requests: 4}},
		{Start: base.Add(time.Minute), Counts: Counts{Requests: 2}},
		{Start: base.Add(5 * time.Minute), Counts: Counts{Requests: 0}},
	}
	value := func(c Counts) (float64, bool) { return float64(c.Requests), c.Requests > 0 }
	dps := Aggregate(minutes, value, base, base.Add(10*time.Minute), 5*time.Minute)
	if len(dps) != 1 {
		t.Fatalf("datapoints = %+v", dps)
	}
	d := dps[0]
	if d.Sum != 6 || d.SampleCount != 2 || d.Minimum != 2 || d.Maximum != 4 || d.Average != 3 || !d.Timestamp.Equal(base) {
		t.Errorf("datapoint = %+v", d)
	}
}
