package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// CountEdgeRequests counts each result under its own label, hits (which
// skip the map of usual results) and results outside that map alike, one
// or several at a time.
func TestCountEdgeRequests(t *testing.T) {
	m := New()
	for _, c := range []struct {
		result string
		n      int
	}{{"Hit", 1}, {"Hit", 2}, {"Hit", 0}, {"Miss", 1}, {"RefreshHit", 1}, {"FunctionExecutionError", 1}, {"FunctionExecutionError", 4}, {"Redirect", -1}} {
		m.CountEdgeRequests(c.result, c.n)
	}
	want := `
# HELP openfront_edge_requests_total Edge responses by result (Hit, Miss, RefreshHit, Error, ...).
# TYPE openfront_edge_requests_total counter
openfront_edge_requests_total{result="Error"} 0
openfront_edge_requests_total{result="FunctionExecutionError"} 5
openfront_edge_requests_total{result="Hit"} 3
openfront_edge_requests_total{result="Miss"} 1
openfront_edge_requests_total{result="Redirect"} 0
openfront_edge_requests_total{result="RefreshHit"} 1
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), "openfront_edge_requests_total"); err != nil {
		t.Error(err)
	}
}
