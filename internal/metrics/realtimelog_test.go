package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"openfront/internal/realtimelog"
)

// TestRealtimeLogs: each configuration's counters are exported by outcome.
func TestRealtimeLogs(t *testing.T) {
	m := New()
	m.RegisterRealtimeLogs(func() []realtimelog.Counts {
		return []realtimelog.Counts{{Config: "rt", Delivered: 7, Dropped: 2, Failed: 1}}
	})
	want := `# HELP openfront_realtime_log_records_total Real-time log records by configuration and outcome (delivered, dropped: queue full, failed: delivery given up).
# TYPE openfront_realtime_log_records_total counter
openfront_realtime_log_records_total{config="rt",outcome="delivered"} 7
openfront_realtime_log_records_total{config="rt",outcome="dropped"} 2
openfront_realtime_log_records_total{config="rt",outcome="failed"} 1
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), "openfront_realtime_log_records_total"); err != nil {
		t.Error(err)
	}
}
