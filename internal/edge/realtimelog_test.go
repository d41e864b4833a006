package edge

import (
	"context"
	"sync"
	"testing"
	"time"

	"openfront/internal/model"
	"openfront/internal/realtimelog"
)

// recordingPutter keeps what a real-time log sends.
type recordingPutter struct {
	mu      sync.Mutex
	records []string
}

func (p *recordingPutter) PutRecords(_ context.Context, _ string, entries []realtimelog.Entry) ([]bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range entries {
		p.records = append(p.records, string(e.Data))
	}
	return make([]bool, len(entries)), nil
}

// TestRealtimeLog_everyRequestOnceFastPathDeclines: a behaviour with a
// real-time log configuration gets one record per request, hits
// included: the fast path, which keeps no per-request record, declines
// its distribution; a behaviour without one gets none.
func TestRealtimeLog_everyRequestOnceFastPathDeclines(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	f := newFastFronts(t, distConfig(o, func(cfg model.Tree) {
		other := model.Clone(model.Sub(cfg, "DefaultCacheBehavior"))
		other["PathPattern"] = "/quiet/*"
		cfg["CacheBehaviors"] = model.Wrapper([]model.Tree{other})
	}))
	p := &recordingPutter{}
	logger := realtimelog.New(realtimelog.Options{Putter: p, FlushInterval: time.Hour})
	f.te.opts.RealtimeLog = logger
	snap := f.te.Snapshot()
	d := snap.Lookup(testHost)
	d.RealtimeLogs = true
	d.Match("/s").RealtimeLog = &model.RealtimeLogConfigRecord{Name: "rt", SamplingRate: 100,
		Fields:    []string{"x-edge-result-type", "sc-status", "cs-uri-stem", "cache-behavior-path-pattern"},
		EndPoints: []model.KinesisEndPoint{{StreamType: "Kinesis", StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/s"}}}
	f.te.Apply(snap, nil)

	raw := "GET /s HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n"
	for i := 0; i < 3; i++ {
		roundTrip(t, f.fast, raw)
		f.settle(t)
	}
	roundTrip(t, f.fast, "GET /quiet/a HTTP/1.1\r\nHost: "+testHost+"\r\n\r\n")
	if err := logger.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []string{"Miss\t200\t/s\t*\n", "Hit\t200\t/s\t*\n", "Hit\t200\t/s\t*\n"}
	if len(p.records) != len(want) {
		t.Fatalf("records %q, want %q", p.records, want)
	}
	for i := range want {
		if p.records[i] != want[i] {
			t.Errorf("record %d: %q, want %q", i, p.records[i], want[i])
		}
	}
	if n := f.fs.Stats().Served; n != 0 {
		t.Errorf("the fast path answered %d requests of a distribution with real-time logs", n)
	}
}
