package etcdstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"openfront/internal/store"
	"openfront/internal/store/etcdstore"
	"openfront/internal/store/etcdstore/etcdtest"
)

// TestUnavailable_failsFast: with etcd hung (SIGSTOP: connections accepted,
// nothing answers) or down (killed: connections refused), View and Update
// fail with store.ErrUnavailable within about RequestTimeout, even when the
// caller's context has no deadline, instead of hanging until the caller
// gives up. Once etcd is back, the store works again and the data written
// before is intact.
func TestUnavailable_failsFast(t *testing.T) {
	srv := etcdtest.StartServer(t)
	const timeout = time.Second
	s := mustOpen(t, srv.Endpoints, etcdstore.Options{Prefix: newPrefix(), RequestTimeout: timeout})
	if _, err := s.Update(t.Context(), func(tx store.Txn) error { return tx.Put("kept", []byte("v1")) }); err != nil {
		t.Fatal(err)
	}
	for _, outage := range []struct {
		name      string
		stop, end func(testing.TB)
	}{
		{"paused", srv.Pause, srv.Resume},
		{"killed", srv.Kill, srv.Restart},
	} {
		t.Run(outage.name, func(t *testing.T) {
			outage.stop(t)
			ops := map[string]func(context.Context) error{
				"View": func(ctx context.Context) error {
					return s.View(ctx, func(tx store.ReadTxn) error { _, _, err := tx.Get("kept"); return err })
				},
				"Update": func(ctx context.Context) error {
					_, err := s.Update(ctx, func(tx store.Txn) error { return tx.Put("lost", []byte("x")) })
					return err
				},
			}
			for name, op := range ops {
				start := time.Now()
				err := within(t, 15*time.Second, op)
				if took := time.Since(start); !errors.Is(err, store.ErrUnavailable) || took > 3*timeout {
					t.Errorf("%s with etcd %s: %v after %v; want store.ErrUnavailable within %v", name, outage.name, err, took.Round(time.Millisecond), 3*timeout)
				}
			}
			outage.end(t)
			var got string
			deadline := time.Now().Add(20 * time.Second)
			for {
				err := s.View(t.Context(), func(tx store.ReadTxn) error {
					kv, _, err := tx.Get("kept")
					got = string(kv.Value)
					return err
				})
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("store still failing after etcd came back: %v", err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if got != "v1" {
				t.Errorf("after the outage kept = %q, want v1", got)
			}
			if _, err := s.Update(t.Context(), func(tx store.Txn) error { return tx.Put("after", []byte("1")) }); err != nil {
				t.Errorf("Update after the outage: %v", err)
			}
		})
	}
}

// within runs op with a context that has no deadline and fails the test if
// op has not returned after limit (the bug this guards against is a hang).
func within(t *testing.T, limit time.Duration, op func(context.Context) error) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- op(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		cancel()
		<-done
		t.Fatalf("no answer after %v", limit)
		return nil
	}
}
