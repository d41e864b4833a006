package fleet

import (
	"context"
	"testing"
	"time"
)

func TestLocal_AppliedRevision(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	l := NewLocal(10 * time.Second)
	l.now = func() time.Time { return now }

	if _, ok := l.AppliedRevision(ctx); ok {
		t.Fatal("no node reported, yet a revision is live")
	}
	l.Report(ctx, "a", 7)
	l.Report(ctx, "b", 5)
	if rev, ok := l.AppliedRevision(ctx); !ok || rev != 5 {
		t.Fatalf("AppliedRevision = %d, %v; want the lowest, 5", rev, ok)
	}
	now = now.Add(5 * time.Second)
	l.Report(ctx, "a", 9)
	now = now.Add(6 * time.Second) // b's lease (10 s) has run out, a's has not
	if rev, ok := l.AppliedRevision(ctx); !ok || rev != 9 {
		t.Fatalf("after b expired: AppliedRevision = %d, %v; want 9", rev, ok)
	}
	l.Leave(ctx, "a")
	if _, ok := l.AppliedRevision(ctx); ok {
		t.Fatal("after every node left, a revision is still live")
	}
}

func TestLocal_WaitApplied(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	l := NewLocal(0)
	l.Report(ctx, "edge", 1)
	done := make(chan error, 1)
	go func() { done <- l.WaitApplied(ctx, 3) }()
	l.Report(ctx, "edge", 2)
	select {
	case err := <-done:
		t.Fatalf("WaitApplied returned %v before revision 3 was applied", err)
	case <-time.After(20 * time.Millisecond):
	}
	l.Report(ctx, "edge", 3)
	if err := <-done; err != nil {
		t.Fatalf("WaitApplied: %v", err)
	}
}
