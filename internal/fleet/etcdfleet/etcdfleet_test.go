package etcdfleet_test

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"openfront/internal/fleet/etcdfleet"
	"openfront/internal/store/etcdstore/etcdtest"
)

// ttl is the shortest lease etcdtest's server grants.
const ttl = time.Second

func TestFleet_AppliedRevision(t *testing.T) {
	endpoints := etcdtest.Start(t)
	ctx := t.Context()
	reader := etcdfleet.New(newClient(t, endpoints), etcdfleet.Options{Prefix: "/p/", TTL: ttl})
	if rev, ok := reader.AppliedRevision(ctx); ok {
		t.Fatalf("no edge reported, yet AppliedRevision = %d", rev)
	}

	a := etcdfleet.New(newClient(t, endpoints), etcdfleet.Options{Prefix: "/p/", TTL: ttl})
	defer a.Close()
	crashed := newClient(t, endpoints) // the process of edge b, which will die
	b := etcdfleet.New(crashed, etcdfleet.Options{Prefix: "/p/", TTL: ttl})
	mustReport(t, a, "a", 7)
	mustReport(t, b, "b", 5)
	if rev, ok := reader.AppliedRevision(ctx); !ok || rev != 5 {
		t.Fatalf("AppliedRevision = %d, %v; want the lowest, 5", rev, ok)
	}
	// Both leases are kept alive past their TTL.
	time.Sleep(3 * ttl)
	if rev, ok := reader.AppliedRevision(ctx); !ok || rev != 5 {
		t.Fatalf("after 3 TTLs: AppliedRevision = %d, %v; want 5 (leases kept alive)", rev, ok)
	}

	// b dies without a word: no revoke, no more keep-alives.
	crashed.Close()
	start := time.Now()
	waitFor(t, 10*time.Second, func() bool {
		rev, ok := reader.AppliedRevision(ctx)
		return ok && rev == 7
	})
	t.Logf("dead edge dropped out after %v (TTL %v)", time.Since(start).Round(10*time.Millisecond), ttl)

	// A clean stop drops out at once.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if rev, ok := reader.AppliedRevision(ctx); ok {
		t.Fatalf("after the last edge closed, AppliedRevision = %d", rev)
	}
}

// TestFleet_leaseLost: when etcd forgets the lease of a live process, its
// reports come back under a new one.
func TestFleet_leaseLost(t *testing.T) {
	endpoints := etcdtest.Start(t)
	ctx := t.Context()
	c := newClient(t, endpoints)
	f := etcdfleet.New(c, etcdfleet.Options{Prefix: "/p/", TTL: ttl})
	defer f.Close()
	mustReport(t, f, "n1", 3)
	mustReport(t, f, "n2", 4)
	resp, err := c.Get(ctx, f.Key("n1"))
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("Get %s: %v, %d keys", f.Key("n1"), err, len(resp.Kvs))
	}
	old := clientv3.LeaseID(resp.Kvs[0].Lease)
	if _, err := c.Revoke(ctx, old); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool {
		nodes, err := f.Nodes(ctx)
		return err == nil && nodes["n1"] == 3 && nodes["n2"] == 4
	})
	resp, err = c.Get(ctx, f.Key("n2"))
	if err != nil || len(resp.Kvs) != 1 || clientv3.LeaseID(resp.Kvs[0].Lease) == old || resp.Kvs[0].Lease == 0 {
		t.Fatalf("n2 after the lease was lost: %v, %+v", err, resp.Kvs)
	}
	f.Leave(ctx, "n1")
	if nodes, _ := f.Nodes(ctx); len(nodes) != 1 {
		t.Fatalf("after Leave: nodes %v", nodes)
	}
}

func mustReport(t testing.TB, f *etcdfleet.Fleet, node string, rev int64) {
	t.Helper()
	if err := f.Report(t.Context(), node, rev); err != nil {
		t.Fatal(err)
	}
}

func newClient(t testing.TB, endpoints []string) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func waitFor(t testing.TB, d time.Duration, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("condition not met within %v", d)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestFleet_Traffic: nodes' published counters are read back by node, live
// with the node's lease, and never taken for edge reports.
func TestFleet_Traffic(t *testing.T) {
	endpoints := etcdtest.Start(t)
	ctx := t.Context()
	reader := etcdfleet.New(newClient(t, endpoints), etcdfleet.Options{Prefix: "/p/", TTL: ttl})
	a := etcdfleet.New(newClient(t, endpoints), etcdfleet.Options{Prefix: "/p/", TTL: ttl})
	defer a.Close()
	crashed := newClient(t, endpoints)
	b := etcdfleet.New(crashed, etcdfleet.Options{Prefix: "/p/", TTL: ttl})
	mustReport(t, a, "a", 7)
	if err := a.PublishTraffic(ctx, "a", []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := b.PublishTraffic(ctx, "b", []byte(`{"n":2}`)); err != nil { // before any report: takes a lease
		t.Fatal(err)
	}
	got, err := reader.Traffic(ctx)
	if err != nil || len(got) != 2 || string(got["a"]) != `{"n":1}` || string(got["b"]) != `{"n":2}` {
		t.Fatalf("Traffic = %q, %v", got, err)
	}
	if nodes, _ := reader.Nodes(ctx); len(nodes) != 1 || nodes["a"] != 7 {
		t.Errorf("Nodes = %v: traffic keys taken for reports", nodes)
	}
	if rev, ok := reader.AppliedRevision(ctx); !ok || rev != 7 {
		t.Errorf("AppliedRevision = %d, %v", rev, ok)
	}
	crashed.Close()
	waitFor(t, 10*time.Second, func() bool {
		got, err := reader.Traffic(ctx)
		return err == nil && len(got) == 1 && got["b"] == nil
	})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := reader.Traffic(ctx); len(got) != 0 {
		t.Errorf("after Close: %q", got)
	}
}
