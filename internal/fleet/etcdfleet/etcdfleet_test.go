package etcdfleet_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
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
// reports come back under a new one, also when a traffic publication
// found the lease gone first and took the new one.
func TestFleet_leaseLost(t *testing.T) {
	t.Run("keep-alive first", func(t *testing.T) { testLeaseLost(t, false) })
	t.Run("traffic first", func(t *testing.T) { testLeaseLost(t, true) })
}

func testLeaseLost(t *testing.T, trafficFirst bool) {
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
	if !f.Fence().Counted(time.Now()) {
		t.Fatal("not counted before the lease was lost")
	}
	if _, err := c.Revoke(ctx, old); err != nil {
		t.Fatal(err)
	}
	if trafficFirst {
		if err := f.PublishTraffic(ctx, "n1", []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, func() bool {
		nodes, err := f.Nodes(ctx)
		return err == nil && len(nodes) == 0 || !f.Fence().Counted(time.Now())
	})
	waitFor(t, 5*time.Second, func() bool {
		nodes, err := f.Nodes(ctx)
		return err == nil && nodes["n1"] == 3 && nodes["n2"] == 4
	})
	resp, err = c.Get(ctx, f.Key("n2"))
	if err != nil || len(resp.Kvs) != 1 || clientv3.LeaseID(resp.Kvs[0].Lease) == old || resp.Kvs[0].Lease == 0 {
		t.Fatalf("n2 after the lease was lost: %v, %+v", err, resp.Kvs)
	}
	waitFor(t, 5*time.Second, func() bool { return f.Fence().Counted(time.Now()) })
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

// TestFleet_Fence_deadline: the fence is up while the process runs and
// the lease is renewed, and its deadline is never more than half a TTL
// ahead (the liveness window: a pause longer than that is noticed, and
// a healthy lease always has more than that left).
func TestFleet_Fence_deadline(t *testing.T) {
	endpoints := etcdtest.Start(t)
	f := etcdfleet.New(newClient(t, endpoints), etcdfleet.Options{Prefix: "/p/", TTL: ttl})
	defer f.Close()
	fence := f.Fence()
	if fence.Counted(time.Now()) {
		t.Fatal("counted before any report")
	}
	mustReport(t, f, "n1", 3)
	if !fence.Counted(time.Now()) {
		t.Fatal("not counted after a report")
	}
	for end := time.Now().Add(3 * ttl); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		now := time.Now()
		if !fence.Counted(now) {
			t.Fatalf("fence down at %v while the process runs and etcd renews the lease", now)
		}
		if fence.Counted(now.Add(ttl / 2)) {
			t.Fatalf("fence up half a TTL ahead: a pause that long would go unnoticed")
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if fence.Counted(time.Now()) {
		t.Error("counted after Close")
	}
}

// TestFleet_Fence_etcdPaused: an edge that cannot reach etcd (etcd paused:
// an outage, or a partition, which the edge cannot tell apart) is not
// fenced: it keeps serving for as long as the outage lasts. When etcd
// answers again, a lease that outlived the pause is still the edge's; one
// that expired meanwhile is replaced, and the edge is fenced until it has
// caught up with the store changes it missed, then counted again.
func TestFleet_Fence_etcdPaused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pause time.Duration
	}{
		{"shorter than the lease", 300 * time.Millisecond},
		{"longer than the lease", 3 * ttl},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := etcdtest.StartServer(t)
			ctx := t.Context()
			c := newClient(t, srv.Endpoints)
			f := etcdfleet.New(c, etcdfleet.Options{Prefix: "/p/", TTL: ttl})
			defer f.Close()
			mustReport(t, f, "n1", 1)
			// A store change the edge has not applied yet.
			put, err := c.Put(ctx, "/p/lock", "")
			if err != nil {
				t.Fatal(err)
			}
			storeRev := put.Header.Revision
			key := f.Key("n1")
			time.Sleep(ttl / 2) // a renewal or two
			srv.Pause(t)
			for end := time.Now().Add(tc.pause); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
				if !f.Fence().Counted(time.Now()) {
					srv.Resume(t)
					t.Fatalf("fenced while etcd was merely unreachable")
				}
			}
			srv.Resume(t)
			if tc.pause < ttl {
				for end := time.Now().Add(2 * ttl); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
					if !f.Fence().Counted(time.Now()) {
						t.Fatal("fenced after etcd came back; the lease outlived the pause")
					}
				}
				if got := f.Key("n1"); got != key {
					t.Errorf("report moved from %s to %s: the lease outlived the pause", key, got)
				}
			} else {
				// etcd expires the lease when it runs again: the edge
				// reports its last revision under a new one, and refuses
				// until it has caught up.
				waitFor(t, 10*time.Second, func() bool { return f.Key("n1") != key && f.Key("n1") != "" })
				if f.Fence().Counted(time.Now()) {
					t.Fatal("fence up under the new lease before the edge caught up")
				}
				time.Sleep(ttl)
				if f.Fence().Counted(time.Now()) {
					t.Fatal("fence up under the new lease before the edge caught up")
				}
				mustReport(t, f, "n1", storeRev)
				if !f.Fence().Counted(time.Now()) {
					t.Fatal("fence down after the edge caught up")
				}
			}
			waitFor(t, 10*time.Second, func() bool {
				nodes, err := f.Nodes(ctx)
				return err == nil && len(nodes) == 1 && nodes["n1"] >= 1
			})
		})
	}
}

// pausableTicker is a liveness ticker a test can hold, as if the process
// were paused while the rest of it (its keep-alives) runs on.
type pausableTicker struct{ held atomic.Bool }

func (p *pausableTicker) tick(period time.Duration) (<-chan time.Time, func()) {
	ch := make(chan time.Time)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case now := <-time.After(period):
				if p.held.Load() {
					continue
				}
				select {
				case ch <- now:
				case <-done:
					return
				}
			}
		}
	}()
	return ch, func() { close(done) }
}

// TestFleet_Fence_frozen: when the liveness ticker does not run for longer
// than half a TTL (a frozen process), the fence goes down as soon as its
// deadline passes, though etcd still renews the lease; when the ticker runs
// again it holds the fence down until a keep-alive sent after it is
// answered (here at once: the lease ran all along, the edge keeps it),
// and as long as etcd cannot answer one.
func TestFleet_Fence_frozen(t *testing.T) {
	srv := etcdtest.StartServer(t)
	logs := &syncWriter{w: new(strings.Builder)}
	var pt pausableTicker
	f := etcdfleet.New(newClient(t, srv.Endpoints), etcdfleet.Options{Prefix: "/p/", TTL: ttl, Tick: pt.tick,
		Log: slog.New(slog.NewTextHandler(logs, nil))})
	defer f.Close()
	mustReport(t, f, "n1", 3)
	key := f.Key("n1")
	if !f.Fence().Counted(time.Now()) {
		t.Fatal("not counted after a report")
	}

	pt.held.Store(true)
	held := time.Now()
	waitFor(t, 2*ttl, func() bool { return !f.Fence().Counted(time.Now()) })
	if took := time.Since(held); took > ttl*3/4 {
		t.Errorf("fenced %v after the ticker stopped; want within half a TTL (and a tick)", took)
	}
	time.Sleep(ttl) // keep-alives go on meanwhile: they do not lift the fence
	if f.Fence().Counted(time.Now()) {
		t.Fatal("fence up while the ticker is held")
	}
	pt.held.Store(false)
	waitFor(t, ttl, func() bool { return f.Fence().Counted(time.Now()) })
	if got := f.Key("n1"); got != key {
		t.Errorf("report moved from %s to %s: the lease ran all along", key, got)
	}
	if !strings.Contains(logs.String(), "did not run for") {
		t.Errorf("the pause is not logged:\n%s", logs.String())
	}

	// Frozen with etcd out of reach: fenced until etcd answers.
	pt.held.Store(true)
	waitFor(t, 2*ttl, func() bool { return !f.Fence().Counted(time.Now()) })
	srv.Pause(t)
	pt.held.Store(false)
	for end := time.Now().Add(ttl); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if f.Fence().Counted(time.Now()) {
			srv.Resume(t)
			t.Fatal("a process seen frozen is counted again with no word from etcd")
		}
	}
	srv.Resume(t)
	waitFor(t, 10*time.Second, func() bool { return f.Fence().Counted(time.Now()) })
}

// TestFleet_Fence_catchUp: when the lease was lost, the edge is counted
// again at once at its last revision (which keeps control waiting), but
// its fence stays down until it reports the store's revision as it was
// when it came back: an object invalidated meanwhile is not served.
func TestFleet_Fence_catchUp(t *testing.T) {
	endpoints := etcdtest.Start(t)
	ctx := t.Context()
	c := newClient(t, endpoints)
	f := etcdfleet.New(c, etcdfleet.Options{Prefix: "/p/", TTL: ttl})
	defer f.Close()
	mustReport(t, f, "n1", 1) // below any store write to come
	if !f.Fence().Counted(time.Now()) {
		t.Fatal("not counted")
	}
	// A store write (etcdstore writes its guard key with every Update)
	// the edge has not applied, then the lease is lost.
	put, err := c.Put(ctx, "/p/lock", "")
	if err != nil {
		t.Fatal(err)
	}
	storeRev := put.Header.Revision
	resp, err := c.Get(ctx, f.Key("n1"))
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("Get %s: %v", f.Key("n1"), err)
	}
	if _, err := c.Revoke(ctx, clientv3.LeaseID(resp.Kvs[0].Lease)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool {
		resp, err := c.Get(ctx, f.Key("n1"))
		return err == nil && len(resp.Kvs) == 1 && resp.Kvs[0].Lease != 0
	})
	if rev, ok := f.AppliedRevision(ctx); !ok || rev != 1 {
		t.Fatalf("AppliedRevision = %d, %v; want the stale 1", rev, ok)
	}
	time.Sleep(2 * ttl)
	if f.Fence().Counted(time.Now()) {
		t.Fatal("fence up before the edge caught up with the store")
	}
	mustReport(t, f, "n1", storeRev)
	if !f.Fence().Counted(time.Now()) {
		t.Fatal("fence down after the edge caught up")
	}
}

// TestFleet_sameNodeName: two processes reporting under one node name are
// both counted, and one's Leave or Close does not remove the other.
func TestFleet_sameNodeName(t *testing.T) {
	endpoints := etcdtest.Start(t)
	ctx := t.Context()
	reader := etcdfleet.New(newClient(t, endpoints), etcdfleet.Options{Prefix: "/p/", TTL: ttl})
	logs := &syncWriter{w: new(strings.Builder)}
	a := etcdfleet.New(newClient(t, endpoints), etcdfleet.Options{Prefix: "/p/", TTL: ttl})
	defer a.Close()
	b := etcdfleet.New(newClient(t, endpoints), etcdfleet.Options{Prefix: "/p/", TTL: ttl,
		Log: slog.New(slog.NewTextHandler(logs, nil))})
	defer b.Close()
	mustReport(t, a, "edge", 5)
	mustReport(t, b, "edge", 7)
	if rev, ok := reader.AppliedRevision(ctx); !ok || rev != 5 {
		t.Fatalf("AppliedRevision = %d, %v; want 5: the slower twin is hidden", rev, ok)
	}
	if nodes, err := reader.Nodes(ctx); err != nil || len(nodes) != 2 || nodes["edge"] != 5 && nodes["edge"] != 7 {
		t.Errorf("Nodes = %v, %v; want both incarnations", nodes, err)
	}
	if !strings.Contains(logs.String(), "same node name") {
		t.Errorf("no warning about the twin; log:\n%s", logs.String())
	}
	mustReport(t, a, "edge", 6) // a report again must not overwrite b's
	if rev, _ := reader.AppliedRevision(ctx); rev != 6 {
		t.Errorf("AppliedRevision = %d, want 6", rev)
	}
	b.Leave(ctx, "edge")
	if rev, ok := reader.AppliedRevision(ctx); !ok || rev != 6 {
		t.Fatalf("after b left: AppliedRevision = %d, %v; want a's 6", rev, ok)
	}
	mustReport(t, b, "edge", 8)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if nodes, _ := reader.Nodes(ctx); len(nodes) != 1 || nodes["edge"] != 6 {
		t.Errorf("after b closed: Nodes = %v; want a's report only", nodes)
	}
}

// TestFleet_keyForms: old keys (<prefix>edges/<node>, no lease suffix) are
// still read, and node names may contain slashes.
func TestFleet_keyForms(t *testing.T) {
	endpoints := etcdtest.Start(t)
	ctx := t.Context()
	c := newClient(t, endpoints)
	reader := etcdfleet.New(c, etcdfleet.Options{Prefix: "/p/", TTL: ttl})
	if _, err := c.Put(ctx, "/p/edges/old/7f", "4"); err != nil { // no lease: "7f" is part of the name
		t.Fatal(err)
	}
	f := etcdfleet.New(newClient(t, endpoints), etcdfleet.Options{Prefix: "/p/", TTL: ttl})
	defer f.Close()
	mustReport(t, f, "host/127.0.0.1:8080", 9)
	nodes, err := reader.Nodes(ctx)
	if err != nil || len(nodes) != 2 || nodes["old/7f"] != 4 || nodes["host/127.0.0.1:8080"] != 9 {
		t.Errorf("Nodes = %v, %v", nodes, err)
	}
	if rev, ok := reader.AppliedRevision(ctx); !ok || rev != 4 {
		t.Errorf("AppliedRevision = %d, %v; want the old key's 4", rev, ok)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// String is what was written, when w is a *strings.Builder.
func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.(*strings.Builder).String()
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
