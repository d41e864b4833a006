package stats

import (
	"errors"
	"time"

	"openfront/internal/origin"
)

// Besides the minute buckets, each distribution has running totals since
// the process started (Prometheus counters: internal/metrics reads them at
// scrape time with Live). Counting is plain adds, under the series lock
// the minute bucket takes anyway, on counters resolved by a switch, never
// a label lookup, so the edge's hit path stays allocation-free.

// Results are the result types counted apart (CloudFront's
// x-edge-result-type values, "Standard log file fields", Amazon CloudFront
// Developer Guide); any other is counted as "Other".
var Results = [...]string{"Hit", "RefreshHit", "Miss", "Error", "Redirect", "LimitExceeded", "CapacityExceeded",
	"FunctionExecutionError", "FunctionThrottledError", "LambdaExecutionError", "Other"}

func resultIndex(result string) int {
	switch result {
	case "Hit":
		return 0
	case "RefreshHit":
		return 1
	case "Miss":
		return 2
	case "Error":
		return 3
	case "Redirect":
		return 4
	case "LimitExceeded":
		return 5
	case "CapacityExceeded":
		return 6
	case "FunctionExecutionError":
		return 7
	case "FunctionThrottledError":
		return 8
	case "LambdaExecutionError":
		return 9
	}
	return len(Results) - 1
}

// StatusCodes are the statuses counted one by one: those of CloudFront's
// additional metrics ("401/403/404/502/503/504 error rate", "Viewing
// additional CloudFront distribution metrics", Amazon CloudFront Developer
// Guide).
var StatusCodes = [...]int{401, 403, 404, 502, 503, 504}

func statusCodeIndex(status int) int {
	switch status {
	case 401:
		return 0
	case 403:
		return 1
	case 404:
		return 2
	case 502:
		return 3
	case 503:
		return 4
	case 504:
		return 5
	}
	return -1
}

// OriginLatencyBuckets are the upper bounds (seconds) of the origin
// latency histogram: from a loopback origin's fraction of a millisecond to
// CloudFront's default 30-second response timeout.
var OriginLatencyBuckets = [...]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// OriginErrorReasons are the reasons of failed origin fetches, as the
// access log's x-edge-detailed-result-type names them (package origin);
// anything else is "OriginError".
var OriginErrorReasons = [...]string{"OriginConnectError", "OriginDnsError", "OriginReadError", "OriginHeaderTooBigError", "OriginError"}

func originErrorIndex(err error) int {
	var oe *origin.Error
	if errors.As(err, &oe) {
		for i, r := range OriginErrorReasons {
			if r == oe.Detail {
				return i
			}
		}
	}
	return len(OriginErrorReasons) - 1
}

// live are a distribution's running totals (guarded by series.mu). The
// copy Live hands out is the same shape.
type live = Live

func (l *live) record(result string, status int, n, up, down int64) {
	l.Results[resultIndex(result)] += n
	class := status / 100
	if class < 1 || class > 5 {
		class = 0
	}
	l.StatusClasses[class] += n
	if i := statusCodeIndex(status); i >= 0 {
		l.StatusCodes[i] += n
	}
	if down > 0 {
		l.BytesDownloaded += down
	}
	if up > 0 {
		l.BytesUploaded += up
	}
}

// Live is a copy of a distribution's running totals.
type Live struct {
	Results         [len(Results)]int64 // by Results' order
	StatusClasses   [6]int64            // [1] 1xx ... [5] 5xx; [0] any other
	StatusCodes     [len(StatusCodes)]int64
	BytesDownloaded int64
	BytesUploaded   int64

	// OriginLatency counts origin fetches by latency bucket (not
	// cumulative; the last one is above every bound).
	OriginLatency    [len(OriginLatencyBuckets) + 1]uint64
	OriginLatencySum time.Duration
	OriginErrors     [len(OriginErrorReasons)]int64

	// Functions are the totals of the distribution's CloudFront
	// Functions by name (functions.go); nil until one runs.
	Functions map[string]FunctionTotals
}

// RecordOrigin counts one origin fetch of a distribution: how long the
// origin took to start answering (time to the response head, what
// CloudFront's OriginLatency measures), or the error it failed with.
func (r *Recorder) RecordOrigin(distID string, latency time.Duration, err error) {
	s := r.series(distID)
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &s.live
	if err != nil {
		l.OriginErrors[originErrorIndex(err)]++
		return
	}
	latency = max(latency, 0)
	secs := latency.Seconds()
	i := 0
	for i < len(OriginLatencyBuckets) && secs > OriginLatencyBuckets[i] {
		i++
	}
	l.OriginLatency[i]++
	l.OriginLatencySum += latency
}

// Live returns the running totals of every distribution counted, by id.
func (r *Recorder) Live() map[string]Live {
	dists := *r.dists.Load()
	out := make(map[string]Live, len(dists))
	for id, s := range dists {
		s.mu.Lock()
		out[id] = copyLive(&s.live)
		s.mu.Unlock()
	}
	return out
}

// Keep forgets every distribution that keep reports false for (deleted
// distributions: their counters and series go).
func (r *Recorder) Keep(keep func(distID string) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.dists.Load()
	next := make(map[string]*series, len(old))
	for id, s := range old {
		if keep(id) {
			next[id] = s
		}
	}
	r.dists.Store(&next)
}
