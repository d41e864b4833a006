package fleet

import (
	"sync/atomic"
	"time"
)

// Fence is an edge's own view of whether the fleet counts it: a deadline
// on the monotonic clock. The registry that keeps the edge's report alive
// moves the deadline (CountUntil) while it has no reason to believe the
// edge has been away, and drops it (Drop) the moment it learns it has (the
// report is gone, or the process was paused: etcdfleet's package doc,
// "Fence"); the edge asks Counted before it answers a viewer, and refuses
// while it is not, so that Deployed and Completed, computed without it,
// are not false about what it serves.
//
// The registry keeps the deadline a short liveness window ahead, so a
// paused process finds it passed when it runs again, before the registry
// has had a chance to look. A Fence starts out not counted. fleet.Local
// needs none: its edge runs in the process that reads the reports.
type Fence struct {
	origin time.Time    // the monotonic origin of until
	until  atomic.Int64 // nanoseconds after origin; <= 0: not counted
}

// NewFence returns a Fence that does not count its edge yet.
func NewFence() *Fence { return &Fence{origin: time.Now()} }

// Counted reports whether now, a time.Now reading (with its monotonic
// clock), is before the deadline. It is one atomic load and a
// subtraction: the hit path calls it with the clock it already read.
func (f *Fence) Counted(now time.Time) bool {
	return int64(now.Sub(f.origin)) < f.until.Load()
}

// CountUntil moves the deadline to t, a time.Now reading plus a duration.
func (f *Fence) CountUntil(t time.Time) { f.until.Store(max(1, int64(t.Sub(f.origin)))) }

// Drop ends the count at once.
func (f *Fence) Drop() { f.until.Store(0) }
