// Package fleet records what each edge has applied, so that a
// distribution's Status (Deployed) and an invalidation's Completed are
// true statements about the fleet: computed from the edges' reports, never
// assumed.
//
// An edge reports the store revision it has compiled into its live snapshot
// after purging every invalidation up to that revision. The control plane
// reads the lowest reported revision among live edges. Liveness is a lease:
// an edge that stops reporting drops out after its TTL, so a dead edge stops
// blocking. Local is the single-process registry (embedded store); the
// etcd-backed one keeps the same contract with etcd leases.
package fleet

import (
	"context"
	"sync"
	"time"
)

// Local is an in-memory registry for the edges of one process.
type Local struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	nodes   map[string]report
	changed chan struct{} // closed and replaced on every report
}

type report struct {
	applied int64
	seen    time.Time
}

// NewLocal returns a registry whose edges stay live for ttl after their
// last report (0: forever, the in-process edge reports for as long as it
// runs).
func NewLocal(ttl time.Duration) *Local {
	return &Local{ttl: ttl, now: time.Now, nodes: map[string]report{}, changed: make(chan struct{})}
}

// Report records that node has applied the revision.
func (l *Local) Report(_ context.Context, node string, applied int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nodes[node] = report{applied: applied, seen: l.now()}
	close(l.changed)
	l.changed = make(chan struct{})
	return nil
}

// Leave removes a node (an edge shutting down cleanly).
func (l *Local) Leave(_ context.Context, node string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.nodes, node)
}

// AppliedRevision is the lowest revision applied by every live node; ok is
// false when no node is live.
func (l *Local) AppliedRevision(context.Context) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	min, ok := int64(0), false
	for _, r := range l.nodes {
		if l.ttl > 0 && now.Sub(r.seen) > l.ttl {
			continue
		}
		if !ok || r.applied < min {
			min, ok = r.applied, true
		}
	}
	return min, ok
}

// WaitApplied blocks until every live node has applied rev or ctx ends.
func (l *Local) WaitApplied(ctx context.Context, rev int64) error {
	for {
		l.mu.Lock()
		ch := l.changed
		l.mu.Unlock()
		if got, ok := l.AppliedRevision(ctx); !ok || got >= rev {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
