package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"openfront/internal/store"
	"openfront/internal/store/boltstore"
	"openfront/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "store.db"), boltstore.Options{})
	})
	storetest.RunCompaction(t, func(t *testing.T, retain int) store.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "store.db"), boltstore.Options{LogRetain: retain})
	})
}

// TestStore_rerun runs the conformance suite on storetest.Rerun over a
// bbolt store: running fn a second time after a rolled-back first run is
// invisible to a caller that keeps the rule of store.Store.Update, so
// tests of callers may use it.
func TestStore_rerun(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return storetest.Rerun(mustOpen(t, filepath.Join(t.TempDir(), "store.db"), boltstore.Options{}))
	})
}

// mustOpen opens a store that is closed (and checked) when the test ends.
func mustOpen(t testing.TB, path string, opts boltstore.Options) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Check(context.Background()); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("Check: %v", err)
		}
		if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func put(key, value string) func(store.Txn) error {
	return func(tx store.Txn) error { return tx.Put(key, []byte(value)) }
}

func mustUpdate(t testing.TB, s store.Store, fn func(store.Txn) error) int64 {
	t.Helper()
	rev, err := s.Update(t.Context(), fn)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	return rev
}

func TestOpen_reopenKeepsDataAndRevision(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, s, put("dist/A", "a"))
	mustUpdate(t, s, put("dist/B", "b"))
	mustUpdate(t, s, put("dist/A", "a2"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = mustOpen(t, path, boltstore.Options{})
	var kv store.KV
	var rev int64
	err = s.View(t.Context(), func(tx store.ReadTxn) error {
		rev = tx.Revision()
		var err error
		kv, _, err = tx.Get("dist/A")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if rev != 3 || string(kv.Value) != "a2" || kv.CreateRevision != 1 || kv.ModRevision != 3 {
		t.Fatalf("after reopen: revision %d, dist/A = %+v; want 3 and a2 created 1 modified 3", rev, kv)
	}
	if got := mustUpdate(t, s, put("dist/C", "c")); got != 4 {
		t.Errorf("first commit after reopen got revision %d, want 4", got)
	}
	evs := recvN(t, s.Watch(t.Context(), 0), 4)
	if evs[2].Revision != 3 || evs[2].Changes[0].Key != "dist/A" {
		t.Errorf("replay after reopen: revision 3 = %+v", evs[2])
	}
}

func TestUpdate_txnUsedAfterFnFails(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "store.db"), boltstore.Options{})
	var kept store.Txn
	mustUpdate(t, s, func(tx store.Txn) error {
		kept = tx
		return tx.Put("a", []byte("1"))
	})
	if err := kept.Put("b", []byte("2")); err == nil {
		t.Error("Put on a finished transaction succeeded")
	}
	if _, _, err := kept.Get("a"); err == nil {
		t.Error("Get on a finished transaction succeeded")
	}
	if _, err := s.Update(t.Context(), put("", "x")); err == nil {
		t.Error("Put of an empty key succeeded")
	}
}

func TestOpen_fileInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	mustOpen(t, path, boltstore.Options{})
	start := time.Now()
	s, err := boltstore.Open(path, boltstore.Options{LockTimeout: 200 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("second Open of a file in use succeeded")
	}
	if !errors.Is(err, boltstore.ErrInUse) || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second Open = %v, want ErrInUse", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second Open took %s, want about the lock timeout", d)
	}
}

func TestOpen_unusableDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
		skip             bool
	}{
		{"missing", filepath.Join(dir, "nope", "store.db"), "no such file or directory", false},
		{"not a directory", filepath.Join(file, "store.db"), "not a directory", false},
		// root ignores permission bits.
		{"read-only", filepath.Join(readOnly, "store.db"), "permission denied", os.Geteuid() == 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip {
				t.Skip("running as root: permission bits are not enforced")
			}
			s, err := boltstore.Open(tc.path, boltstore.Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("Open = %v; want the path and %q", err, tc.want)
			}
		})
	}
}

func TestWatch_retention(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "store.db"), boltstore.Options{LogRetain: 5})
	for i := range 20 {
		mustUpdate(t, s, put(fmt.Sprint(i), "v"))
	}
	if evs := recvN(t, s.Watch(t.Context(), 15), 5); evs[0].Revision != 16 {
		t.Errorf("Watch(15) starts at %d, want 16", evs[0].Revision)
	}
	if ev := <-s.Watch(t.Context(), 14); !errors.Is(ev.Err, store.ErrCompacted) {
		t.Errorf("Watch(14) = %+v, want ErrCompacted", ev)
	}
}

func TestWatch_slowWatcherFallsBehindRetention(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "store.db"), boltstore.Options{LogRetain: 5})
	w := s.Watch(t.Context(), 0)
	for i := range 20 {
		mustUpdate(t, s, put(fmt.Sprint(i), "v"))
	}
	var next int64 = 1
	for ev := range w {
		if ev.Err != nil {
			if !errors.Is(ev.Err, store.ErrCompacted) {
				t.Fatalf("watch ended with %v, want ErrCompacted", ev.Err)
			}
			if _, more := <-w; more {
				t.Fatal("event after ErrCompacted")
			}
			return
		}
		if ev.Revision != next {
			t.Fatalf("revision %d, want %d", ev.Revision, next)
		}
		next++
	}
	t.Fatalf("watch closed after revision %d without ErrCompacted", next-1)
}

func TestOpen_smallerRetentionTrimsOldLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := boltstore.Open(path, boltstore.Options{LogRetain: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		mustUpdate(t, s, put(fmt.Sprint(i), "v"))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, path, boltstore.Options{LogRetain: 10})
	mustUpdate(t, s, put("last", "v"))
	if err := s.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ev := <-s.Watch(t.Context(), 40); !errors.Is(ev.Err, store.ErrCompacted) {
		t.Errorf("Watch(40) = %+v, want ErrCompacted", ev)
	}
	recvN(t, s.Watch(t.Context(), 41), 10)
}

func recvN(t testing.TB, w <-chan store.Event, n int) []store.Event {
	t.Helper()
	var evs []store.Event
	timeout := time.After(10 * time.Second)
	for len(evs) < n {
		select {
		case ev, ok := <-w:
			if !ok || ev.Err != nil {
				t.Fatalf("watch ended after %d of %d events: %v", len(evs), n, ev.Err)
			}
			evs = append(evs, ev)
		case <-timeout:
			t.Fatalf("timed out after %d of %d events", len(evs), n)
		}
	}
	return evs
}

// BenchmarkUpdate commits one Put per Update. Each commit is fsynced, so
// this measures the disk more than the code; BenchmarkBolt_Update is the
// same commit on bare bbolt, for the ratio.
func BenchmarkUpdate(b *testing.B) {
	s := mustOpen(b, filepath.Join(b.TempDir(), "store.db"), boltstore.Options{})
	value := make([]byte, 512)
	i := 0
	for b.Loop() {
		key := fmt.Sprintf("dist/%08d", i%1000)
		i++
		if _, err := s.Update(b.Context(), func(tx store.Txn) error { return tx.Put(key, value) }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBolt_Update is the peer of BenchmarkUpdate: one Put per bare
// bbolt transaction, also fsynced.
func BenchmarkBolt_Update(b *testing.B) {
	db := mustOpenBolt(b)
	value := make([]byte, 512)
	i := 0
	for b.Loop() {
		key := fmt.Appendf(nil, "dist/%08d", i%1000)
		i++
		if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("kv")).Put(key, value) }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkView gets one key of 1000 in a View.
func BenchmarkView(b *testing.B) {
	s := mustOpen(b, filepath.Join(b.TempDir(), "store.db"), boltstore.Options{})
	fill(b, s, 1000)
	i := 0
	for b.Loop() {
		key := fmt.Sprintf("dist/%08d", i%1000)
		i++
		err := s.View(b.Context(), func(tx store.ReadTxn) error {
			_, ok, err := tx.Get(key)
			if !ok {
				return fmt.Errorf("%s not found", key)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBolt_View is the peer of BenchmarkView on bare bbolt, copying the
// value out as the store must.
func BenchmarkBolt_View(b *testing.B) {
	db := mustOpenBolt(b)
	value := make([]byte, 512)
	if err := db.Update(func(tx *bolt.Tx) error {
		for i := range 1000 {
			if err := tx.Bucket([]byte("kv")).Put(fmt.Appendf(nil, "dist/%08d", i), value); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		key := fmt.Appendf(nil, "dist/%08d", i%1000)
		i++
		var v []byte
		if err := db.View(func(tx *bolt.Tx) error {
			v = append([]byte(nil), tx.Bucket([]byte("kv")).Get(key)...)
			return nil
		}); err != nil || v == nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList lists 1000 keys of 512 bytes under one prefix, among 1000
// others.
func BenchmarkList(b *testing.B) {
	s := mustOpen(b, filepath.Join(b.TempDir(), "store.db"), boltstore.Options{})
	fill(b, s, 1000)
	mustUpdate(b, s, func(tx store.Txn) error {
		for i := range 1000 {
			if err := tx.Put(fmt.Sprintf("edge/%08d", i), nil); err != nil {
				return err
			}
		}
		return nil
	})
	for b.Loop() {
		err := s.View(b.Context(), func(tx store.ReadTxn) error {
			kvs, err := tx.List("dist/")
			if len(kvs) != 1000 {
				return fmt.Errorf("listed %d keys", len(kvs))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// fill puts n keys dist/00000000... of 512 bytes in one Update.
func fill(b *testing.B, s store.Store, n int) {
	b.Helper()
	value := make([]byte, 512)
	mustUpdate(b, s, func(tx store.Txn) error {
		for i := range n {
			if err := tx.Put(fmt.Sprintf("dist/%08d", i), value); err != nil {
				return err
			}
		}
		return nil
	})
}

func mustOpenBolt(b *testing.B) *bolt.DB {
	b.Helper()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "bolt.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("kv"))
		return err
	}); err != nil {
		b.Fatal(err)
	}
	return db
}
