package stats

import "maps"

// A distribution's CloudFront Functions are counted by function name, as
// CloudFront's function metrics are ("CloudFront Functions metrics":
// FunctionInvocations, FunctionExecutionErrors, FunctionValidationErrors,
// FunctionThrottles, FunctionComputeUtilization; "Viewing CloudFront and
// edge function metrics", Amazon CloudFront Developer Guide).

// FunctionErrors are the failures counted apart, by their result type.
var FunctionErrors = [...]string{"FunctionExecutionError", "FunctionValidationError", "FunctionThrottledError"}

// ComputeUtilizationBuckets are the upper bounds of the compute
// utilization histogram: the run's CPU time as a percentage of the time
// CloudFront counts as 100%.
var ComputeUtilizationBuckets = [...]float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}

// FunctionTotals are one function's running totals at one distribution.
type FunctionTotals struct {
	Invocations int64
	Errors      [len(FunctionErrors)]int64 // by FunctionErrors' order
	// ComputeUtilization counts runs by utilization bucket (not
	// cumulative; the last one is above every bound).
	ComputeUtilization    [len(ComputeUtilizationBuckets) + 1]uint64
	ComputeUtilizationSum float64
}

// RecordFunctionRun counts one run of a distribution's function and its
// compute utilization (percent).
func (r *Recorder) RecordFunctionRun(distID, function string, utilization float64) {
	i := 0
	for i < len(ComputeUtilizationBuckets) && utilization > ComputeUtilizationBuckets[i] {
		i++
	}
	r.updateFunction(distID, function, func(t *FunctionTotals) {
		t.Invocations++
		t.ComputeUtilization[i]++
		t.ComputeUtilizationSum += utilization
	})
}

// RecordFunctionError counts one failure of a distribution's function, by
// its result type (one of FunctionErrors; others are not counted).
func (r *Recorder) RecordFunctionError(distID, function, resultType string) {
	i := 0
	for i < len(FunctionErrors) && FunctionErrors[i] != resultType {
		i++
	}
	if i == len(FunctionErrors) {
		return
	}
	r.updateFunction(distID, function, func(t *FunctionTotals) { t.Errors[i]++ })
}

// updateFunction changes one function's totals under its series' lock.
func (r *Recorder) updateFunction(distID, function string, change func(*FunctionTotals)) {
	s := r.series(distID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live.Functions == nil {
		s.live.Functions = map[string]FunctionTotals{}
	}
	t := s.live.Functions[function]
	change(&t)
	s.live.Functions[function] = t
}

// copyLive is a copy of running totals that shares nothing with them.
func copyLive(l *Live) Live {
	c := *l
	c.Functions = maps.Clone(l.Functions)
	return c
}
