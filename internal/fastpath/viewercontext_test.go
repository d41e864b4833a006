package fastpath

import (
	"context"
	"errors"
	"runtime/metrics"
	"testing"
	"time"
)

// viewerContext behaves as context.WithCancel(context.Background()) does,
// whether Done is asked for before the end, after it, or never.
func TestViewerContext(t *testing.T) {
	for _, tc := range []struct {
		name       string
		doneBefore bool // Done asked for before cancel
		derive     bool // a context derived before cancel
	}{
		{"never asked for Done", false, false},
		{"Done before the end", true, false},
		{"derived before the end", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c viewerContext
			var ctx context.Context = &c
			if _, ok := ctx.Deadline(); ok {
				t.Error("a deadline")
			}
			if err := ctx.Err(); err != nil {
				t.Fatalf("Err before the end: %v", err)
			}
			if ctx.Value("k") != nil {
				t.Error("a value")
			}
			var early <-chan struct{}
			if tc.doneBefore {
				early = ctx.Done()
				select {
				case <-early:
					t.Fatal("Done closed before the end")
				default:
				}
			}
			var child context.Context
			ran := make(chan struct{})
			if tc.derive {
				var cancelChild context.CancelFunc
				child, cancelChild = context.WithCancel(ctx)
				defer cancelChild()
				context.AfterFunc(ctx, func() { close(ran) })
			}
			c.cancel()
			c.cancel() // idempotent
			if err := ctx.Err(); !errors.Is(err, context.Canceled) {
				t.Fatalf("Err after the end: %v", err)
			}
			if cause := context.Cause(ctx); !errors.Is(cause, context.Canceled) {
				t.Errorf("Cause after the end: %v", cause)
			}
			for _, done := range []<-chan struct{}{early, ctx.Done()} {
				if done == nil {
					continue
				}
				select {
				case <-done:
				default:
					t.Fatal("Done not closed after the end")
				}
			}
			if tc.derive {
				select {
				case <-child.Done():
				case <-time.After(5 * time.Second):
					t.Fatal("a derived context did not end with it")
				}
				select {
				case <-ran:
				case <-time.After(5 * time.Second):
					t.Fatal("an AfterFunc did not run")
				}
			}
		})
	}
}

// A context derived from a viewerContext registers with its inner
// cancelCtx (found through Value) instead of starting a goroutine that
// watches Done, as the context package does for a parent it cannot see
// into: one per derived context would be a goroutine per miss that
// waits on the viewer.
func TestViewerContext_derivedStartNoGoroutine(t *testing.T) {
	created := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(created)
	before := created[0].Value.Uint64()
	const n = 100
	for range n {
		var c viewerContext
		child, cancel := context.WithCancel(&c)
		stop := context.AfterFunc(&c, func() {})
		stop()
		cancel()
		c.cancel()
		<-child.Done()
	}
	metrics.Read(created)
	if started := created[0].Value.Uint64() - before; started > n/10 {
		t.Errorf("%d goroutines started for %d derived contexts", started, n)
	}
}
