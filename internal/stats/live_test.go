package stats

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"openfront/internal/origin"
)

func TestRecorder_LiveCounts(t *testing.T) {
	r := New(0)
	at := time.Now()
	responses := []struct {
		result   string
		status   int
		up, down int64
	}{
		{"Hit", 200, 0, 100},
		{"Hit", 304, 0, 0},
		{"Miss", 200, 10, 50},
		{"Error", 404, 0, 7},
		{"Error", 502, 0, 3},
		{"Redirect", 301, 0, 0},
		{"LimitExceeded", 503, 0, 0},
		{"", 403, 0, 0},               // no result (an edge error page): Other
		{"SomethingNew", 999, -5, -1}, // unknown result, odd status, negative sizes ignored
	}
	for _, resp := range responses {
		r.Record("D", at, resp.result, resp.status, resp.up, resp.down)
	}
	l := r.Live()["D"]
	wantResults := map[string]int64{"Hit": 2, "Miss": 1, "Error": 2, "Redirect": 1, "LimitExceeded": 1, "Other": 2}
	for i, name := range Results {
		if l.Results[i] != wantResults[name] {
			t.Errorf("result %s = %d, want %d", name, l.Results[i], wantResults[name])
		}
	}
	if want := [6]int64{1, 0, 2, 2, 2, 2}; l.StatusClasses != want {
		t.Errorf("status classes = %v, want %v", l.StatusClasses, want)
	}
	if want := [len(StatusCodes)]int64{0, 1, 1, 1, 1, 0}; l.StatusCodes != want { // 401 403 404 502 503 504
		t.Errorf("status codes = %v, want %v", l.StatusCodes, want)
	}
	if l.BytesDownloaded != 160 || l.BytesUploaded != 10 {
		t.Errorf("bytes down/up = %d/%d, want 160/10", l.BytesDownloaded, l.BytesUploaded)
	}
}

func TestRecorder_RecordOrigin(t *testing.T) {
	r := New(0)
	for _, d := range []time.Duration{300 * time.Microsecond, 3 * time.Millisecond, 2 * time.Second, time.Minute} {
		r.RecordOrigin("D", d, nil)
	}
	for _, err := range []error{
		&origin.Error{Status: 504, Detail: "OriginConnectError", Err: errors.New("refused")},
		fmt.Errorf("wrapped: %w", &origin.Error{Status: 502, Detail: "OriginDnsError"}),
		&origin.Error{Status: 502, Detail: "NotAReasonWeKnow"},
		errors.New("plain"),
	} {
		r.RecordOrigin("D", time.Second, err)
	}
	l := r.Live()["D"]
	var want [len(OriginLatencyBuckets) + 1]uint64
	want[0]++                         // 0.3 ms <= 0.5 ms
	want[3]++                         // 3 ms <= 5 ms
	want[11]++                        // 2 s <= 2.5 s
	want[len(OriginLatencyBuckets)]++ // 60 s > 30 s
	if l.OriginLatency != want {
		t.Errorf("latency buckets = %v, want %v", l.OriginLatency, want)
	}
	if wantSum := 300*time.Microsecond + 3*time.Millisecond + 2*time.Second + time.Minute; l.OriginLatencySum != wantSum {
		t.Errorf("latency sum = %v, want %v", l.OriginLatencySum, wantSum)
	}
	if want := [len(OriginErrorReasons)]int64{1, 1, 0, 0, 2}; l.OriginErrors != want {
		t.Errorf("origin errors = %v, want %v (%v)", l.OriginErrors, want, OriginErrorReasons)
	}
}

func TestRecorder_Keep(t *testing.T) {
	r := New(0)
	r.Record("A", time.Now(), "Hit", 200, 0, 1)
	r.Record("B", time.Now(), "Hit", 200, 0, 1)
	r.Keep(func(id string) bool { return id == "A" })
	live := r.Live()
	if _, ok := live["B"]; ok || len(live) != 1 {
		t.Errorf("after Keep(A): %v", live)
	}
	if r.Minutes("B", time.Time{}, time.Now().Add(time.Hour)) != nil {
		t.Error("B's minutes survive Keep")
	}
}

// BenchmarkRecordHit is the counting a fast-path hit does: it must not
// allocate.
func BenchmarkRecordHit(b *testing.B) {
	r := New(0)
	at := time.Now()
	r.Record("EBENCH", at, "Hit", 200, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		r.Record("EBENCH", at, "Hit", 200, 0, 1024)
	}
}

// FuzzRecorder checks the running totals' invariants for any response:
// every response lands in exactly one result and one status class, the
// per-code counts never exceed their class, and byte counts never go
// negative.
func FuzzRecorder(f *testing.F) {
	f.Add("Hit", 200, int64(0), int64(1024), int64(5_000_000))
	f.Add("", 0, int64(-1), int64(-1), int64(-1))
	f.Add("Error", 504, int64(1<<62), int64(1<<62), int64(1<<62))
	f.Add("LimitExceeded\x00", 99999, int64(3), int64(4), int64(0))
	f.Fuzz(func(t *testing.T, result string, status int, up, down, latencyNanos int64) {
		r := New(0)
		r.Record("D", time.Unix(1700000000, 0), result, status, up, down)
		r.Record("D", time.Unix(1700000000, 0), "Hit", 200, 0, 0)
		r.RecordOrigin("D", time.Duration(latencyNanos), nil)
		l := r.Live()["D"]
		var results, classes, codes, buckets int64
		for _, n := range l.Results {
			results += n
		}
		for _, n := range l.StatusClasses {
			classes += n
		}
		for _, n := range l.StatusCodes {
			codes += n
		}
		for _, n := range l.OriginLatency {
			buckets += int64(n)
		}
		if results != 2 || classes != 2 || codes > 1 || buckets != 1 {
			t.Fatalf("results %d, classes %d, codes %d, latency buckets %d for (%q, %d)", results, classes, codes, buckets, result, status)
		}
		if l.OriginLatencySum < 0 {
			t.Fatalf("latency sum %v", l.OriginLatencySum)
		}
		if l.BytesDownloaded < 0 || l.BytesUploaded < 0 || l.BytesDownloaded != max(down, 0) || l.BytesUploaded != max(up, 0) {
			t.Fatalf("bytes %d/%d for up %d down %d", l.BytesUploaded, l.BytesDownloaded, up, down)
		}
	})
}

// BenchmarkRecordHitParallel is the edge's case: every core counting hits
// of the same distribution at once.
func BenchmarkRecordHitParallel(b *testing.B) {
	r := New(0)
	at := time.Now()
	r.Record("EBENCH", at, "Hit", 200, 0, 1024)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Record("EBENCH", at, "Hit", 200, 0, 1024)
		}
	})
}
