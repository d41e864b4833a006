package fastpath

import (
	"context"
	"sync"
	"time"
)

// viewerContext is a declined request's context: context.WithCancel of
// context.Background, ended (cancel) when the handler returns or the
// viewer goes away (backgroundRead), whose cancelCtx is made only once
// something asks for Done. Most requests never do: a miss's fill runs on
// the handler's goroutine and waits on the origin, not on the viewer
// (cache.FillRequest.OnCaller), and checks Err instead; the cancelCtx and
// its CancelFunc were two of a miss's allocations.
type viewerContext struct {
	mu          sync.Mutex
	ended       bool            // Err is context.Canceled
	inner       context.Context // made by the first Done; ended with c
	cancelInner context.CancelFunc
}

func (c *viewerContext) Deadline() (time.Time, bool) { return time.Time{}, false }

func (c *viewerContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inner == nil {
		c.inner, c.cancelInner = context.WithCancel(context.Background())
		if c.ended {
			c.cancelInner()
		}
	}
	return c.inner.Done()
}

func (c *viewerContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return context.Canceled
	}
	return nil
}

// Value has no values of its own, as context.Background. Once Done has
// made the inner context it answers for it, so that a context derived
// from c (WithCancel, AfterFunc) finds the inner cancelCtx and registers
// with it rather than start a goroutine to watch Done (the context
// package's propagateCancel asks for Done first, then for its key).
func (c *viewerContext) Value(key any) any {
	c.mu.Lock()
	inner := c.inner
	c.mu.Unlock()
	if inner == nil {
		return nil
	}
	return inner.Value(key)
}

// cancel ends c (idempotent): Err is context.Canceled from then on, and
// Done's channel, if it was made, is closed before cancel returns.
func (c *viewerContext) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	c.ended = true
	if c.cancelInner != nil {
		c.cancelInner()
	}
}

func (c *viewerContext) String() string { return "fastpath.viewerContext" }
