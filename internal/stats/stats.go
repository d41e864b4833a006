// Package stats counts the edge's traffic per distribution: requests, bytes
// downloaded (response bytes) and uploaded (request bytes), and 4xx/5xx
// responses, in one-minute buckets kept in memory for at most two weeks;
// and running totals since the start (by result type, status, origin
// latency and origin errors: live.go) for Prometheus.
//
// The counters are per node: each edge process counts what it served, and
// nothing is stored or shared through the store. In a multi-node fleet an
// API node reports only its own in-process edge's traffic (Lightsail's
// GetDistributionMetricData reads this package through the application's
// wiring).
//
// Recording is one map read and one short per-distribution lock: cheap
// enough for the hit path, which records its hits once per batch of the
// epoll loop (RecordN) rather than one by one.
package stats

import (
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Retention is how long minute buckets are kept.
const Retention = 14 * 24 * time.Hour

// Counts are the counters of one minute (or any span).
type Counts struct {
	Requests        int64
	BytesDownloaded int64 // response bytes sent to viewers
	BytesUploaded   int64 // request bytes received from viewers
	Status4xx       int64
	Status5xx       int64
}

// Minute is one minute's counters.
type Minute struct {
	Start time.Time
	Counts
}

// Recorder keeps the counters of every distribution.
//
// The map of series is copied on write: every edge core looks its
// distribution up on every response, and a read lock's shared counter
// would bounce between cores; series are added or dropped only when the
// set of distributions changes.
type Recorder struct {
	retention int64      // minutes
	mu        sync.Mutex // serialises writers of dists
	dists     atomic.Pointer[map[string]*series]
}

// series are a distribution's counters, all guarded by mu: one lock per
// response, no further atomic operations.
type series struct {
	mu      sync.Mutex
	buckets []bucket // ascending by minute
	live    live     // running totals (live.go)
}

// lookup returns a distribution's series (nil: none yet).
func (r *Recorder) lookup(distID string) *series {
	return (*r.dists.Load())[distID]
}

// series returns a distribution's series, creating it.
func (r *Recorder) series(distID string) *series {
	if s := r.lookup(distID); s != nil {
		return s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.dists.Load()
	if s := old[distID]; s != nil {
		return s
	}
	s := &series{}
	next := make(map[string]*series, len(old)+1)
	for id, v := range old {
		next[id] = v
	}
	next[distID] = s
	r.dists.Store(&next)
	return s
}

type bucket struct {
	minute int64 // Unix minutes
	c      Counts
}

// New returns a recorder keeping retention of history (Retention when 0 or
// more than Retention).
func New(retention time.Duration) *Recorder {
	if retention <= 0 || retention > Retention {
		retention = Retention
	}
	r := &Recorder{retention: int64(retention / time.Minute)}
	r.dists.Store(&map[string]*series{})
	return r
}

// Record counts one response of a distribution at a time, with its
// result type (x-edge-result-type: Hit, Miss, Error, ...).
func (r *Recorder) Record(distID string, at time.Time, result string, status int, bytesUploaded, bytesDownloaded int64) {
	r.RecordN(distID, at, result, status, 1, bytesUploaded, bytesDownloaded)
}

// RecordN counts n responses of a distribution at a time that share their
// result type and status, with their bytes summed: a batch of hits
// counted at once (the edge's epoll loop counts a batch so).
func (r *Recorder) RecordN(distID string, at time.Time, result string, status int, n, bytesUploaded, bytesDownloaded int64) {
	if n <= 0 {
		return
	}
	s := r.series(distID)
	minute := floorDiv(at.Unix(), 60)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live.record(result, status, n, bytesUploaded, bytesDownloaded)
	b := s.bucket(minute, r.retention)
	if b == nil {
		return // older than the retention
	}
	b.c.Requests += n
	b.c.BytesUploaded += max(bytesUploaded, 0)
	b.c.BytesDownloaded += max(bytesDownloaded, 0)
	switch {
	case status >= 400 && status < 500:
		b.c.Status4xx += n
	case status >= 500 && status < 600:
		b.c.Status5xx += n
	}
}

// bucket returns the bucket of a minute, creating it, and drops buckets
// that fell out of the retention.
func (s *series) bucket(minute, retention int64) *bucket {
	n := len(s.buckets)
	if n > 0 && s.buckets[n-1].minute == minute {
		return &s.buckets[n-1]
	}
	if n == 0 || s.buckets[n-1].minute < minute {
		s.buckets = append(s.buckets, bucket{minute: minute})
		cut := 0
		for cut < len(s.buckets) && s.buckets[cut].minute <= minute-retention {
			cut++
		}
		if cut > 0 {
			s.buckets = append(s.buckets[:0], s.buckets[cut:]...)
		}
		return &s.buckets[len(s.buckets)-1]
	}
	// A late response (its clock reading predates the newest bucket).
	if minute <= s.buckets[n-1].minute-retention {
		return nil
	}
	i := sort.Search(n, func(i int) bool { return s.buckets[i].minute >= minute })
	if s.buckets[i].minute != minute {
		s.buckets = append(s.buckets, bucket{})
		copy(s.buckets[i+1:], s.buckets[i:])
		s.buckets[i] = bucket{minute: minute}
	}
	return &s.buckets[i]
}

// Minutes returns the non-empty minutes of a distribution that start in
// [start, end), oldest first.
func (r *Recorder) Minutes(distID string, start, end time.Time) []Minute {
	s := r.lookup(distID)
	if s == nil {
		return nil
	}
	from, to := ceilDiv(start.Unix(), 60), ceilDiv(end.Unix(), 60)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Minute
	i := sort.Search(len(s.buckets), func(i int) bool { return s.buckets[i].minute >= from })
	for ; i < len(s.buckets) && s.buckets[i].minute < to; i++ {
		out = append(out, Minute{Start: time.Unix(s.buckets[i].minute*60, 0).UTC(), Counts: s.buckets[i].c})
	}
	return out
}

// Datapoint is the statistics of one period: the samples are the
// per-minute values of the minutes that have one.
type Datapoint struct {
	Timestamp   time.Time // start of the period
	SampleCount float64
	Sum         float64
	Minimum     float64
	Maximum     float64
	Average     float64
}

// Aggregate groups minutes into periods aligned to the Unix epoch, starting
// in [start, end), and computes the statistics of value over each period
// that has at least one sample. value reports false when a minute has no
// sample (an error rate in a minute without requests).
func Aggregate(minutes []Minute, value func(Counts) (float64, bool), start, end time.Time, period time.Duration) []Datapoint {
	p := int64(period / time.Second)
	if p <= 0 {
		return nil
	}
	var out []Datapoint
	var cur *Datapoint
	for _, m := range minutes {
		if m.Start.Before(start) || !m.Start.Before(end) {
			continue
		}
		v, ok := value(m.Counts)
		if !ok {
			continue
		}
		ts := time.Unix(floorDiv(m.Start.Unix(), p)*p, 0).UTC()
		if cur == nil || !cur.Timestamp.Equal(ts) {
			out = append(out, Datapoint{Timestamp: ts, Minimum: math.Inf(1), Maximum: math.Inf(-1)})
			cur = &out[len(out)-1]
		}
		cur.SampleCount++
		cur.Sum += v
		cur.Minimum = math.Min(cur.Minimum, v)
		cur.Maximum = math.Max(cur.Maximum, v)
	}
	for i := range out {
		out[i].Average = out[i].Sum / out[i].SampleCount
	}
	return out
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }
