package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"openfront/internal/realtimelog"
)

// realtimeLogRecords is openfront_realtime_log_records_total: real-time
// log records by configuration and outcome (delivered: accepted by the
// Kinesis stream; dropped: never queued, the queue was full; failed: given
// up after retries).
var realtimeLogRecords = prometheus.NewDesc("openfront_realtime_log_records_total",
	"Real-time log records by configuration and outcome (delivered, dropped: queue full, failed: delivery given up).",
	[]string{"config", "outcome"}, nil)

type realtimeLogCollector struct{ counts func() []realtimelog.Counts }

func (c realtimeLogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- realtimeLogRecords }

func (c realtimeLogCollector) Collect(ch chan<- prometheus.Metric) {
	for _, n := range c.counts() {
		for _, o := range []struct {
			outcome string
			v       uint64
		}{{"delivered", n.Delivered}, {"dropped", n.Dropped}, {"failed", n.Failed}} {
			ch <- prometheus.MustNewConstMetric(realtimeLogRecords, prometheus.CounterValue, float64(o.v), n.Config, o.outcome)
		}
	}
}

// RegisterRealtimeLogs exports the real-time log delivery counters.
func (m *Metrics) RegisterRealtimeLogs(counts func() []realtimelog.Counts) {
	m.Registry.MustRegister(realtimeLogCollector{counts: counts})
}
