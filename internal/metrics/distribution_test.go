package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"openfront/internal/stats"
)

func TestDistributionCollector(t *testing.T) {
	rec := stats.New(0)
	rec.Record("E1", time.Now(), "Hit", 200, 0, 100)
	rec.Record("E1", time.Now(), "Error", 404, 5, 10)
	rec.Record("E1", time.Now(), "LimitExceeded", 503, 0, 0)
	rec.RecordOrigin("E1", 2*time.Millisecond, nil)
	rec.Record("EGONE", time.Now(), "Hit", 200, 0, 1) // not served any more: not exported
	dists := []DistributionInfo{
		{ID: "E1", API: "cloudfront", DomainName: "d1.cloudfront.localhost", AdditionalMetrics: true},
		{ID: "E2", API: "lightsail", Name: "my-site", DomainName: "d2.cloudfront.localhost"},
	}
	m := New()
	m.RegisterDistributions("n1", DistributionSource{Distributions: func() []DistributionInfo { return dists }, Live: rec.Live})

	want := `
# HELP openfront_distribution_info Distributions the edge serves (value 1), with their API, Lightsail name and domain name.
# TYPE openfront_distribution_info gauge
openfront_distribution_info{api="cloudfront",distribution_id="E1",domain_name="d1.cloudfront.localhost",name="",node="n1"} 1
openfront_distribution_info{api="lightsail",distribution_id="E2",domain_name="d2.cloudfront.localhost",name="my-site",node="n1"} 1
# HELP openfront_distribution_requests_total Edge responses by result type (x-edge-result-type: Hit, RefreshHit, Miss, Error, Redirect, LimitExceeded, ...).
# TYPE openfront_distribution_requests_total counter
openfront_distribution_requests_total{distribution_id="E1",node="n1",result="Error"} 1
openfront_distribution_requests_total{distribution_id="E1",node="n1",result="Hit"} 1
openfront_distribution_requests_total{distribution_id="E1",node="n1",result="LimitExceeded"} 1
openfront_distribution_requests_total{distribution_id="E1",node="n1",result="Miss"} 0
openfront_distribution_requests_total{distribution_id="E1",node="n1",result="RefreshHit"} 0
openfront_distribution_requests_total{distribution_id="E2",node="n1",result="Error"} 0
openfront_distribution_requests_total{distribution_id="E2",node="n1",result="Hit"} 0
openfront_distribution_requests_total{distribution_id="E2",node="n1",result="Miss"} 0
openfront_distribution_requests_total{distribution_id="E2",node="n1",result="RefreshHit"} 0
# HELP openfront_distribution_responses_by_code_total Edge responses with status 401, 403, 404, 502, 503 or 504; exported for distributions with an enabled monitoring subscription (CloudFront's additional metrics).
# TYPE openfront_distribution_responses_by_code_total counter
openfront_distribution_responses_by_code_total{code="401",distribution_id="E1",node="n1"} 0
openfront_distribution_responses_by_code_total{code="403",distribution_id="E1",node="n1"} 0
openfront_distribution_responses_by_code_total{code="404",distribution_id="E1",node="n1"} 1
openfront_distribution_responses_by_code_total{code="502",distribution_id="E1",node="n1"} 0
openfront_distribution_responses_by_code_total{code="503",distribution_id="E1",node="n1"} 1
openfront_distribution_responses_by_code_total{code="504",distribution_id="E1",node="n1"} 0
# HELP openfront_distribution_uploaded_bytes_total Request body bytes received from viewers (CloudFront's BytesUploaded).
# TYPE openfront_distribution_uploaded_bytes_total counter
openfront_distribution_uploaded_bytes_total{distribution_id="E1",node="n1"} 5
openfront_distribution_uploaded_bytes_total{distribution_id="E2",node="n1"} 0
`
	names := []string{"openfront_distribution_info", "openfront_distribution_requests_total",
		"openfront_distribution_responses_by_code_total", "openfront_distribution_uploaded_bytes_total"}
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	// The histogram: 2 ms lands in the 2.5 ms bucket and every one above.
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "openfront_distribution_origin_latency_seconds" {
			continue
		}
		for _, metric := range mf.GetMetric() {
			h := metric.GetHistogram()
			id := metric.GetLabel()[0].GetValue()
			if id == "E1" && (h.GetSampleCount() != 1 || h.GetBucket()[1].GetCumulativeCount() != 0 || h.GetBucket()[2].GetCumulativeCount() != 1) {
				t.Errorf("E1 latency histogram = %v", h)
			}
			if id == "E2" && h.GetSampleCount() != 0 {
				t.Errorf("E2 latency histogram = %v", h)
			}
		}
	}
	problems, err := testutil.CollectAndLint(newDistributionCollector("n1", DistributionSource{Distributions: func() []DistributionInfo { return dists }, Live: rec.Live}))
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}

// TestDistributionCollector_functions: a distribution's function runs,
// failures by type and compute utilization are exported per function.
func TestDistributionCollector_functions(t *testing.T) {
	rec := stats.New(0)
	rec.RecordFunctionRun("E1", "rewrite", 5)
	rec.RecordFunctionRun("E1", "rewrite", 35)
	rec.RecordFunctionRun("E1", "rewrite", 100)
	rec.RecordFunctionError("E1", "rewrite", "FunctionThrottledError")
	rec.RecordFunctionError("E1", "rewrite", "Hit") // not a function failure: not counted
	m := New()
	m.RegisterDistributions("n1", DistributionSource{
		Distributions: func() []DistributionInfo { return []DistributionInfo{{ID: "E1", API: "cloudfront"}} },
		Live:          rec.Live})
	want := `
# HELP openfront_function_invocations_total Runs of a CloudFront function associated with the distribution (CloudFront's FunctionInvocations).
# TYPE openfront_function_invocations_total counter
openfront_function_invocations_total{distribution_id="E1",function="rewrite",node="n1"} 3
# HELP openfront_function_errors_total Failed runs of a CloudFront function, by result type (FunctionExecutionError, FunctionValidationError, FunctionThrottledError).
# TYPE openfront_function_errors_total counter
openfront_function_errors_total{distribution_id="E1",function="rewrite",node="n1",type="FunctionExecutionError"} 0
openfront_function_errors_total{distribution_id="E1",function="rewrite",node="n1",type="FunctionThrottledError"} 1
openfront_function_errors_total{distribution_id="E1",function="rewrite",node="n1",type="FunctionValidationError"} 0
# HELP openfront_function_compute_utilization Run time of a function (wall clock at the edge) as a percentage of the 1 ms CloudFront counts as 100% (CloudFront's FunctionComputeUtilization).
# TYPE openfront_function_compute_utilization histogram
openfront_function_compute_utilization_bucket{distribution_id="E1",function="rewrite",node="n1",le="10"} 1
openfront_function_compute_utilization_bucket{distribution_id="E1",function="rewrite",node="n1",le="20"} 1
openfront_function_compute_utilization_bucket{distribution_id="E1",function="rewrite",node="n1",le="30"} 1
openfront_function_compute_utilization_bucket{distribution_id="E1",function="rewrite",node="n1",le="40"} 2
openfront_function_compute_utilization_bucket{distribution_id="E1",function="rewrite",node="n1",le="50"} 2
openfront_function_compute_utilization_bucket{distribution_id="E1",function="rewrite",node="n1",le="60"} 2
openfront_function_compute_utilization_bucket{distribution_id="E1",function="rewrite",node="n1",le="70"} 2
openfront_function_compute_utilization_bucket{distribution_id="E1",function="rewrite",node="n1",le="80"} 2
openfront_function_compute_utilization_bucket{distribution_id="E1",function="rewrite",node="n1",le="90"} 2
openfront_function_compute_utilization_bucket{distribution_id="E1",function="rewrite",node="n1",le="100"} 3
openfront_function_compute_utilization_bucket{distribution_id="E1",function="rewrite",node="n1",le="+Inf"} 3
openfront_function_compute_utilization_sum{distribution_id="E1",function="rewrite",node="n1"} 140
openfront_function_compute_utilization_count{distribution_id="E1",function="rewrite",node="n1"} 3
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want),
		"openfront_function_invocations_total", "openfront_function_errors_total", "openfront_function_compute_utilization"); err != nil {
		t.Error(err)
	}
	// Live's copy shares nothing with the recorder's totals.
	live := rec.Live()
	f := live["E1"].Functions
	f["rewrite"] = stats.FunctionTotals{}
	if rec.Live()["E1"].Functions["rewrite"].Invocations != 3 {
		t.Error("changing Live's copy changed the recorder")
	}
}
