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

// RecordN counts as n calls of Record with the bytes split among them
// would, in the minute buckets and the running totals; n of 0 or less
// counts nothing.
func TestRecorder_RecordN(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 12, 0, 30, 0, time.UTC)
	cases := []struct {
		status   int
		n, bytes int64
	}{
		{200, 3, 3072},
		{304, 1, 0},
		{404, 2, 40},
		{503, 4, 0},
		{200, 0, 99},
		{200, -1, 99},
	}
	one, many := New(0), New(0)
	for _, c := range cases {
		many.RecordN("D", t0, "Hit", c.status, c.n, 7*c.n, c.bytes)
		for i := range c.n {
			down := int64(0)
			if i == 0 {
				down = c.bytes
			}
			one.Record("D", t0, "Hit", c.status, 7, down)
		}
	}
	if got, want := many.Minutes("D", t0.Add(-time.Hour), t0.Add(time.Hour)), one.Minutes("D", t0.Add(-time.Hour), t0.Add(time.Hour)); len(got) != 1 || got[0] != want[0] {
		t.Errorf("minutes: RecordN %+v, Record %+v", got, want)
	}
	if got, want := many.Live()["D"], one.Live()["D"]; got.Results != want.Results || got.StatusClasses != want.StatusClasses ||
		got.StatusCodes != want.StatusCodes || got.BytesDownloaded != want.BytesDownloaded || got.BytesUploaded != want.BytesUploaded {
		t.Errorf("running totals: RecordN %+v, Record %+v", got, want)
	}
	if got := many.Live()["D"].Results[0]; got != 10 {
		t.Errorf("hits = %d, want 10", got)
	}
}
