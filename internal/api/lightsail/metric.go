package lightsail

import (
	"context"
	"slices"
	"strings"
	"time"

	"openfront/internal/stats"
)

// distributionMetrics are the metrics and the units each is asked in:
// first the unit AWS documents as published (GetDistributionMetricData,
// metricName: "None" for Requests and the byte counts, "Percent" for the
// rates), then the natural unit OpenFront also accepts. Datapoints carry
// the unit asked for.
var distributionMetrics = map[string]struct {
	units []string
	value func(stats.Counts) (float64, bool)
}{
	"Requests":         {[]string{"None", "Count"}, func(c stats.Counts) (float64, bool) { return float64(c.Requests), true }},
	"BytesDownloaded":  {[]string{"None", "Bytes"}, func(c stats.Counts) (float64, bool) { return float64(c.BytesDownloaded), true }},
	"BytesUploaded":    {[]string{"None", "Bytes"}, func(c stats.Counts) (float64, bool) { return float64(c.BytesUploaded), true }},
	"TotalErrorRate":   {[]string{"Percent"}, rate(func(c stats.Counts) int64 { return c.Status4xx + c.Status5xx })},
	"Http4xxErrorRate": {[]string{"Percent"}, rate(func(c stats.Counts) int64 { return c.Status4xx })},
	"Http5xxErrorRate": {[]string{"Percent"}, rate(func(c stats.Counts) int64 { return c.Status5xx })},
}

// rate is a percentage of the minute's requests; a minute without requests
// has no sample.
func rate(errors func(stats.Counts) int64) func(stats.Counts) (float64, bool) {
	return func(c stats.Counts) (float64, bool) {
		if c.Requests == 0 {
			return 0, false
		}
		return 100 * float64(errors(c)) / float64(c.Requests), true
	}
}

var (
	metricUnits = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"}
	statistics  = []string{"Minimum", "Maximum", "Sum", "Average", "SampleCount"}
)

// maxDatapoints caps one request, as CloudWatch does.
const maxDatapoints = 1440

type getDistributionMetricDataRequest struct {
	DistributionName *string   `json:"distributionName"`
	MetricName       *string   `json:"metricName"`
	StartTime        *epoch    `json:"startTime"`
	EndTime          *epoch    `json:"endTime"`
	Period           *int64    `json:"period"`
	Unit             *string   `json:"unit"`
	Statistics       *[]string `json:"statistics"`
}

type metricQuery struct {
	name, metric, unit string
	start, end         time.Time
	period             time.Duration
	statistics         []string
}

func parseGetDistributionMetricData(body []byte) (metricQuery, error) {
	var req getDistributionMetricDataRequest
	var q metricQuery
	if err := decode(body, &req); err != nil {
		return q, err
	}
	if err := checkName("distributionName", req.DistributionName, true); err != nil {
		return q, err
	}
	if req.MetricName == nil {
		return q, invalid("metricName is required.")
	}
	m, ok := distributionMetrics[*req.MetricName]
	if !ok {
		return q, invalid("metricName %q is not valid: it must be one of Requests, BytesDownloaded, BytesUploaded, TotalErrorRate, Http4xxErrorRate, Http5xxErrorRate.", *req.MetricName)
	}
	switch {
	case req.StartTime == nil:
		return q, invalid("startTime is required.")
	case req.EndTime == nil:
		return q, invalid("endTime is required.")
	case req.Period == nil:
		return q, invalid("period is required.")
	case req.Unit == nil:
		return q, invalid("unit is required.")
	case req.Statistics == nil || len(*req.Statistics) == 0:
		return q, invalid("statistics is required.")
	}
	q = metricQuery{name: *req.DistributionName, metric: *req.MetricName, unit: *req.Unit,
		start: time.Time(*req.StartTime), end: time.Time(*req.EndTime), statistics: *req.Statistics}
	if !q.start.Before(q.end) {
		return q, invalid("startTime must be before endTime.")
	}
	p := *req.Period
	if p < 60 || p > 86400 || p%60 != 0 {
		return q, invalid("period %d is not valid: it must be a multiple of 60 between 60 and 86400.", p)
	}
	q.period = time.Duration(p) * time.Second
	if n := q.end.Sub(q.start) / q.period; n > maxDatapoints {
		return q, invalid("The query would return %d data points (startTime to endTime by period); at most %d are allowed.", n, maxDatapoints)
	}
	if err := checkEnum("unit", req.Unit, metricUnits); err != nil {
		return q, err
	}
	if !slices.Contains(m.units, *req.Unit) {
		return q, invalid("unit %q is not valid for metric %s: use %s.", *req.Unit, q.metric, strings.Join(m.units, " or "))
	}
	for _, s := range q.statistics {
		if err := checkEnum("statistics item", &s, statistics); err != nil {
			return q, err
		}
	}
	return q, nil
}

type metricDatapointOut struct {
	Average     *float64 `json:"average,omitempty"`
	Maximum     *float64 `json:"maximum,omitempty"`
	Minimum     *float64 `json:"minimum,omitempty"`
	SampleCount *float64 `json:"sampleCount,omitempty"`
	Sum         *float64 `json:"sum,omitempty"`
	Timestamp   epoch    `json:"timestamp"`
	Unit        string   `json:"unit"`
}

type getDistributionMetricDataResult struct {
	MetricName string               `json:"metricName"`
	MetricData []metricDatapointOut `json:"metricData"`
}

// GetDistributionMetricData returns the statistics of a metric, per
// period, from this node's edge counters.
func (h *Handler) GetDistributionMetricData(ctx context.Context, body []byte) (any, error) {
	q, err := parseGetDistributionMetricData(body)
	if err != nil {
		return nil, err
	}
	d, err := h.control.LightsailDistribution(ctx, q.name)
	if err != nil {
		return nil, err
	}
	out := &getDistributionMetricDataResult{MetricName: q.metric, MetricData: []metricDatapointOut{}}
	if h.metrics == nil {
		return out, nil
	}
	minutes := h.metrics.Minutes(d.ID, q.start, q.end)
	for _, dp := range stats.Aggregate(minutes, distributionMetrics[q.metric].value, q.start, q.end, q.period) {
		o := metricDatapointOut{Timestamp: epoch(dp.Timestamp), Unit: q.unit}
		for _, s := range q.statistics {
			v := map[string]float64{"Minimum": dp.Minimum, "Maximum": dp.Maximum, "Sum": dp.Sum, "Average": dp.Average, "SampleCount": dp.SampleCount}[s]
			switch s {
			case "Minimum":
				o.Minimum = &v
			case "Maximum":
				o.Maximum = &v
			case "Sum":
				o.Sum = &v
			case "Average":
				o.Average = &v
			case "SampleCount":
				o.SampleCount = &v
			}
		}
		out.MetricData = append(out.MetricData, o)
	}
	slices.SortFunc(out.MetricData, func(a, b metricDatapointOut) int { return time.Time(a.Timestamp).Compare(time.Time(b.Timestamp)) })
	return out, nil
}
