package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"openfront/internal/store"
	"openfront/internal/store/etcdstore"
	"openfront/internal/store/etcdstore/etcdtest"
	"openfront/internal/store/storetest"
)

// TestStore runs the conformance suite with every store under its own
// prefix of one etcd server, which the parallel subtests share: so
// revisions are shared too, as in production.
func TestStore(t *testing.T) {
	endpoints := etcdtest.Start(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return mustOpen(t, endpoints, etcdstore.Options{Prefix: newPrefix()})
	}, storetest.SharedRevisions())
}

// TestStore_compaction has a server of its own: etcd compacts the whole
// cluster, which would break the replays of other stores.
func TestStore_compaction(t *testing.T) {
	endpoints := etcdtest.Start(t)
	storetest.RunCompaction(t, func(t *testing.T, retain int) store.Store {
		return mustOpen(t, endpoints, etcdstore.Options{Prefix: newPrefix(), CompactRetain: int64(retain)})
	})
}

// TestUpdate_concurrentNodes has several stores (as on several nodes) on
// one prefix increment one counter: every increment must survive, which
// takes the optimistic retry of a lost commit.
func TestUpdate_concurrentNodes(t *testing.T) {
	endpoints := etcdtest.Start(t)
	prefix := newPrefix()
	const nodes, increments = 4, 25
	var runs atomic.Int64
	var wg sync.WaitGroup
	for range nodes {
		s := mustOpen(t, endpoints, etcdstore.Options{Prefix: prefix, MaxAttempts: 1000})
		wg.Go(func() {
			for range increments {
				_, err := s.Update(t.Context(), func(tx store.Txn) error {
					runs.Add(1)
					kv, _, err := tx.Get("counter")
					if err != nil {
						return err
					}
					n, _ := strconv.Atoi(string(kv.Value))
					return tx.Put("counter", []byte(strconv.Itoa(n+1)))
				})
				if err != nil {
					t.Errorf("Update: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	s := mustOpen(t, endpoints, etcdstore.Options{Prefix: prefix})
	var got string
	if err := s.View(t.Context(), func(tx store.ReadTxn) error {
		kv, _, err := tx.Get("counter")
		got = string(kv.Value)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(nodes * increments); got != want {
		t.Fatalf("counter = %s, want %s (lost updates)", got, want)
	}
	t.Logf("%d increments took %d runs of fn", nodes*increments, runs.Load())
}

// TestStore_layout pins where the keys are in etcd, which the fleet and
// operators (etcdctl) rely on, and that keys outside the store's space are
// neither listed nor watched.
func TestStore_layout(t *testing.T) {
	endpoints := etcdtest.Start(t)
	s := mustOpen(t, endpoints, etcdstore.Options{Prefix: "/of/"})
	w := s.Watch(t.Context(), 0)
	c := s.Client()
	if _, err := c.Put(t.Context(), "/of/edges/n1", "7"); err != nil {
		t.Fatal(err)
	}
	rev, err := s.Update(t.Context(), func(tx store.Txn) error { return tx.Put("dist/E1", []byte("v")) })
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(t.Context(), "/of/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, kv := range resp.Kvs {
		keys = append(keys, fmt.Sprintf("%s@%d", kv.Key, kv.ModRevision))
	}
	want := fmt.Sprint([]string{"/of/edges/n1@" + strconv.FormatInt(rev-1, 10), "/of/kv/dist/E1@" + strconv.FormatInt(rev, 10), "/of/lock@" + strconv.FormatInt(rev, 10)})
	if got := fmt.Sprint(keys); got != want {
		t.Errorf("etcd keys %s, want %s", got, want)
	}
	if err := s.View(t.Context(), func(tx store.ReadTxn) error {
		kvs, err := tx.List("")
		if err != nil || len(kvs) != 1 || kvs[0].Key != "dist/E1" {
			return fmt.Errorf("List(\"\") = %+v, %v; want only dist/E1", kvs, err)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	ev := <-w
	if ev.Revision != rev || len(ev.Changes) != 1 || ev.Changes[0].Key != "dist/E1" {
		t.Errorf("first event %+v, want dist/E1 at %d", ev, rev)
	}
}

func TestOpen_noServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := etcdstore.Open(ctx, []string{"http://127.0.0.1:1"}, etcdstore.Options{DialTimeout: 300e6})
	if err == nil {
		t.Fatal("Open with no server answering succeeded")
	}
}

var prefixes atomic.Int64

// newPrefix returns a prefix no other store of the test binary uses.
func newPrefix() string { return fmt.Sprintf("/t%d/", prefixes.Add(1)) }

// mustOpen opens a store that is closed when the test ends.
func mustOpen(t testing.TB, endpoints []string, opts etcdstore.Options) *etcdstore.Store {
	t.Helper()
	s, err := etcdstore.Open(t.Context(), endpoints, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}
