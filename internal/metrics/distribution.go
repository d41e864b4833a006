package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"openfront/internal/stats"
)

// The per-distribution series are read at scrape time from the edge's
// running totals (package stats) by a custom collector: the edge counts
// with atomic adds and never touches a label map. Only the distributions
// the edge serves now are exported, so the series of a deleted
// distribution go with it and the cardinality is bounded by the number
// of distributions (CloudFront's and Lightsail's).

// DistributionInfo describes a distribution the edge serves.
type DistributionInfo struct {
	ID         string
	API        string // "cloudfront" or "lightsail"
	Name       string // the Lightsail distribution's name; "" for CloudFront
	DomainName string
	// AdditionalMetrics exports the series CloudFront keeps for a
	// monitoring subscription (the per-status-code counts).
	AdditionalMetrics bool
}

// DistributionSource is where the collector reads from at scrape time.
type DistributionSource struct {
	// Distributions are those the edge serves now.
	Distributions func() []DistributionInfo
	// Live are the running totals by distribution id.
	Live func() map[string]stats.Live
}

type distributionCollector struct {
	src DistributionSource

	info, requests, responses, statusCodes, downloaded, uploaded, originLatency, originErrors *prometheus.Desc

	functionInvocations, functionErrors, functionCompute *prometheus.Desc
}

// RegisterDistributions registers the per-distribution series. node names
// the edge node (a constant label, so that a fleet's series are told apart
// whatever the scrape configuration).
func (m *Metrics) RegisterDistributions(node string, src DistributionSource) {
	c := newDistributionCollector(node, src)
	m.Registry.MustRegister(c)
}

func newDistributionCollector(node string, src DistributionSource) *distributionCollector {
	constLabels := prometheus.Labels{"node": node}
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, append([]string{"distribution_id"}, labels...), constLabels)
	}
	return &distributionCollector{
		src:  src,
		info: desc("openfront_distribution_info", "Distributions the edge serves (value 1), with their API, Lightsail name and domain name.", "api", "name", "domain_name"),
		requests: desc("openfront_distribution_requests_total",
			"Edge responses by result type (x-edge-result-type: Hit, RefreshHit, Miss, Error, Redirect, LimitExceeded, ...).", "result"),
		responses: desc("openfront_distribution_responses_total", "Edge responses by status class (1xx-5xx).", "status_class"),
		statusCodes: desc("openfront_distribution_responses_by_code_total",
			"Edge responses with status 401, 403, 404, 502, 503 or 504; exported for distributions with an enabled monitoring subscription (CloudFront's additional metrics).", "code"),
		downloaded:    desc("openfront_distribution_downloaded_bytes_total", "Response body bytes sent to viewers (CloudFront's BytesDownloaded)."),
		uploaded:      desc("openfront_distribution_uploaded_bytes_total", "Request body bytes received from viewers (CloudFront's BytesUploaded)."),
		originLatency: desc("openfront_distribution_origin_latency_seconds", "Time from sending an origin request to the origin's response head (CloudFront's OriginLatency)."),
		originErrors:  desc("openfront_distribution_origin_errors_total", "Origin fetches that failed, by reason (OriginConnectError, OriginDnsError, OriginReadError, ...).", "reason"),
		functionInvocations: desc("openfront_function_invocations_total",
			"Runs of a CloudFront function associated with the distribution (CloudFront's FunctionInvocations).", "function"),
		functionErrors: desc("openfront_function_errors_total",
			"Failed runs of a CloudFront function, by result type (FunctionExecutionError, FunctionValidationError, FunctionThrottledError).", "function", "type"),
		functionCompute: desc("openfront_function_compute_utilization",
			"Run time of a function (wall clock at the edge) as a percentage of the 1 ms CloudFront counts as 100% (CloudFront's FunctionComputeUtilization).", "function"),
	}
}

func (c *distributionCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.info, c.requests, c.responses, c.statusCodes, c.downloaded, c.uploaded, c.originLatency, c.originErrors,
		c.functionInvocations, c.functionErrors, c.functionCompute} {
		ch <- d
	}
}

// alwaysResults are exported even at zero, so that rates and the hit
// ratio have a series from the distribution's creation.
var alwaysResults = map[string]bool{"Hit": true, "RefreshHit": true, "Miss": true, "Error": true}

var statusClasses = [...]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

func (c *distributionCollector) Collect(ch chan<- prometheus.Metric) {
	live := c.src.Live()
	for _, d := range c.src.Distributions() {
		id := d.ID
		l := live[id]
		ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1, id, d.API, d.Name, d.DomainName)
		for i, n := range l.Results {
			if n > 0 || alwaysResults[stats.Results[i]] {
				ch <- prometheus.MustNewConstMetric(c.requests, prometheus.CounterValue, float64(n), id, stats.Results[i])
			}
		}
		for i, n := range l.StatusClasses {
			if n > 0 || i >= 2 {
				ch <- prometheus.MustNewConstMetric(c.responses, prometheus.CounterValue, float64(n), id, statusClasses[i])
			}
		}
		if d.AdditionalMetrics {
			for i, n := range l.StatusCodes {
				ch <- prometheus.MustNewConstMetric(c.statusCodes, prometheus.CounterValue, float64(n), id, strconv.Itoa(stats.StatusCodes[i]))
			}
		}
		ch <- prometheus.MustNewConstMetric(c.downloaded, prometheus.CounterValue, float64(l.BytesDownloaded), id)
		ch <- prometheus.MustNewConstMetric(c.uploaded, prometheus.CounterValue, float64(l.BytesUploaded), id)
		buckets := make(map[float64]uint64, len(stats.OriginLatencyBuckets))
		var count uint64
		for i, bound := range stats.OriginLatencyBuckets {
			count += l.OriginLatency[i]
			buckets[bound] = count
		}
		count += l.OriginLatency[len(stats.OriginLatencyBuckets)]
		ch <- prometheus.MustNewConstHistogram(c.originLatency, count, l.OriginLatencySum.Seconds(), buckets, id)
		for i, n := range l.OriginErrors {
			if n > 0 {
				ch <- prometheus.MustNewConstMetric(c.originErrors, prometheus.CounterValue, float64(n), id, stats.OriginErrorReasons[i])
			}
		}
		c.collectFunctions(ch, id, l.Functions)
	}
}

// collectFunctions exports the totals of a distribution's functions.
func (c *distributionCollector) collectFunctions(ch chan<- prometheus.Metric, id string, fns map[string]stats.FunctionTotals) {
	for name, t := range fns {
		ch <- prometheus.MustNewConstMetric(c.functionInvocations, prometheus.CounterValue, float64(t.Invocations), id, name)
		for i, n := range t.Errors {
			ch <- prometheus.MustNewConstMetric(c.functionErrors, prometheus.CounterValue, float64(n), id, name, stats.FunctionErrors[i])
		}
		buckets := make(map[float64]uint64, len(stats.ComputeUtilizationBuckets))
		var count uint64
		for i, bound := range stats.ComputeUtilizationBuckets {
			count += t.ComputeUtilization[i]
			buckets[bound] = count
		}
		count += t.ComputeUtilization[len(stats.ComputeUtilizationBuckets)]
		ch <- prometheus.MustNewConstHistogram(c.functionCompute, count, t.ComputeUtilizationSum, buckets, id, name)
	}
}
