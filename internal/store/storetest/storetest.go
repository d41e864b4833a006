package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"openfront/internal/store"
)

// Run runs the conformance suite against stores made by newStore, which
// must return a new, empty store for each call and release it in
// t.Cleanup (the suite closes some stores itself; a second Close returning
// store.ErrClosed there is expected). The store must keep enough history
// for Watch to replay at least 1000 revisions.
func Run(t *testing.T, newStore func(t *testing.T) store.Store, opts ...Option) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	// plain adapts a test that holds for every revision numbering.
	plain := func(fn func(*testing.T, store.Store)) func(*testing.T, store.Store, config) {
		return func(t *testing.T, s store.Store, _ config) { fn(t, s) }
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store, c config)
	}{
		{"PutGetDelete", plain(testPutGetDelete)},
		{"List_prefixOrderAndIsolation", plain(testListPrefix)},
		{"Update_bumpsRevisionOncePerCommit", testRevisionOncePerCommit},
		{"Update_noWriteNoRevision", testNoWriteNoRevision},
		{"Update_fnErrorRollsBack", testRollback},
		{"Update_canceledContext", plain(testCanceledContext)},
		{"Put_tooLarge", plain(testPutTooLarge)},
		{"Revisions_createAndMod", testCreateModRevision},
		{"Update_readsOwnWrites", testReadsOwnWrites},
		{"Values_areCopies", plain(testValuesAreCopies)},
		{"Watch_fromZeroReplaysAll", testWatchFromZero},
		{"Watch_fromMiddle", testWatchFromMiddle},
		{"Watch_followsLiveCommits", plain(testWatchLive)},
		{"Watch_fromFutureRevision", testWatchFuture},
		{"Watch_concurrentWriters", testWatchConcurrentWriters},
		{"Watch_slowWatcherDoesNotBlockWriters", testSlowWatcher},
		{"Watch_cancelClosesChannel", plain(testWatchCancel)},
		{"Close_endsWatchesAndCalls", plain(testClose)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t), c)
		})
	}
}

// Option adapts the suite to how an implementation numbers its revisions.
type Option func(*config)

type config struct {
	shared bool // see SharedRevisions
}

// SharedRevisions is for a store whose revisions are numbers of a space it
// shares with other writers, such as etcdstore (etcd's cluster revision,
// also bumped by the fleet's reports and by other prefixes). The suite then
// checks that each writing Update's revision is above the previous one
// rather than the next number after it, that a new store's revision is any
// number (not 0), that a View reads at a revision at least that of the last
// Update rather than exactly it, and that inside an Update the
// transaction's own writes read back with a ModRevision above Revision()
// rather than exactly Revision()+1 (the commit's revision is only known
// when it commits). Everything else is checked as for a store that owns its
// revisions (boltstore): in particular, every write of a commit carries the
// revision Update returned, and Watch delivers exactly the revisions the
// Updates returned, in order.
func SharedRevisions() Option { return func(c *config) { c.shared = true } }

// checkNext fails unless rev is a valid revision for the writing Update
// after the one (or the new store's revision) at prev.
func (c config) checkNext(t testing.TB, prev, rev int64) {
	t.Helper()
	if c.shared && rev <= prev || !c.shared && rev != prev+1 {
		t.Fatalf("Update returned revision %d after revision %d (shared revision space: %v)", rev, prev, c.shared)
	}
}

// checkViewAt fails unless a View reads at rev, the last Update's revision
// (at least rev in a shared revision space).
func (c config) checkViewAt(t testing.TB, s store.Store, rev int64) {
	t.Helper()
	if got := viewRevision(t, s); c.shared && got < rev || !c.shared && got != rev {
		t.Errorf("View at revision %d after the last commit at %d (shared revision space: %v)", got, rev, c.shared)
	}
}

// firstRevision is the revision of a new store: 0 unless shared.
func (c config) firstRevision(t testing.TB, s store.Store) int64 {
	t.Helper()
	rev := viewRevision(t, s)
	if !c.shared && rev != 0 {
		t.Fatalf("new store at revision %d, want 0", rev)
	}
	return rev
}

// RunCompaction runs the tests of a store that has forgotten old revisions.
// newStore must return a new, empty store that keeps only (about) the latest
// retain revisions for Watch: once an Update has returned, revisions older
// than the latest 2*retain must be gone, and the latest retain kept.
func RunCompaction(t *testing.T, newStore func(t *testing.T, retain int) store.Store) {
	t.Run("Watch_compactedRevision", func(t *testing.T) {
		t.Parallel()
		const retain = 5
		s := newStore(t, retain)
		revs := putRevs(t, s, "k/", 4*retain)
		last := revs[len(revs)-1]

		evs, err := collect(t, s.Watch(t.Context(), 0), 0)
		if !errors.Is(err, store.ErrCompacted) || len(evs) != 0 {
			t.Fatalf("Watch(0) after compaction: %d events, err %v; want only ErrCompacted", len(evs), err)
		}
		// The latest retain revisions are kept: in a store that owns its
		// revisions, exactly the last retain Updates.
		want := revisionsAfter(revs, last-retain)
		evs = mustRecv(t, s.Watch(t.Context(), last-retain), len(want))
		checkRevisions(t, evs, want)
	})
}

// timeout bounds every wait in the suite; it is only reached on failure.
const timeout = 10 * time.Second

func testPutGetDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustUpdate(t, s, func(tx store.Txn) error { return tx.Put("dist/E1", []byte("one")) })
	if kv := mustGet(t, s, "dist/E1"); string(kv.Value) != "one" || kv.Key != "dist/E1" {
		t.Fatalf("Get = %+v, want dist/E1=one", kv)
	}
	mustUpdate(t, s, func(tx store.Txn) error { return tx.Put("dist/E1", []byte("two")) })
	if kv := mustGet(t, s, "dist/E1"); string(kv.Value) != "two" {
		t.Fatalf("Get after overwrite = %q, want two", kv.Value)
	}
	mustUpdate(t, s, func(tx store.Txn) error { return tx.Delete("dist/E1") })
	err := s.View(ctx, func(tx store.ReadTxn) error {
		if kv, ok, err := tx.Get("dist/E1"); err != nil || ok {
			return fmt.Errorf("Get deleted key = %+v, %v, %v; want not found", kv, ok, err)
		}
		if _, ok, err := tx.Get("never"); err != nil || ok {
			return fmt.Errorf("Get missing key: ok %v, err %v", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testListPrefix(t *testing.T, s store.Store) {
	keys := []string{"dist/b", "distX", "dist/a/x", "dis", "sdist/1", "dist/a", "dist/Z", "dist/\u00e9", "dist0"}
	mustUpdate(t, s, func(tx store.Txn) error {
		for _, k := range keys {
			if err := tx.Put(k, []byte("v:"+k)); err != nil {
				return err
			}
		}
		return nil
	})
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"dist/", []string{"dist/Z", "dist/a", "dist/a/x", "dist/b", "dist/\u00e9"}},
		{"dist/a", []string{"dist/a", "dist/a/x"}},
		{"sdist/", []string{"sdist/1"}},
		{"oai/", nil},
		{"", []string{"dis", "dist/Z", "dist/a", "dist/a/x", "dist/b", "dist/\u00e9", "dist0", "distX", "sdist/1"}},
	} {
		kvs := mustList(t, s, tc.prefix)
		var got []string
		for _, kv := range kvs {
			got = append(got, kv.Key)
			if string(kv.Value) != "v:"+kv.Key {
				t.Errorf("List(%q): %s has value %q", tc.prefix, kv.Key, kv.Value)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
		// ListKeys is the same listing without values, in a View and
		// inside an Update that adds and removes keys of the prefix.
		err := s.View(context.Background(), func(tx store.ReadTxn) error {
			keys, err := tx.ListKeys(tc.prefix)
			if err != nil {
				return err
			}
			if len(keys) != len(kvs) {
				t.Errorf("ListKeys(%q) returned %d keys, List %d", tc.prefix, len(keys), len(kvs))
				return nil
			}
			for i, k := range keys {
				if k.Key != kvs[i].Key || k.ModRevision != kvs[i].ModRevision || k.CreateRevision != kvs[i].CreateRevision || k.Value != nil {
					t.Errorf("ListKeys(%q)[%d] = %+v, want %+v without value", tc.prefix, i, k, kvs[i])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var inTxn []string
	errStop := errors.New("stop")
	_, err := s.Update(context.Background(), func(tx store.Txn) error {
		if err := tx.Put("dist/c", []byte("new")); err != nil {
			return err
		}
		if err := tx.Delete("dist/a"); err != nil {
			return err
		}
		keys, err := tx.ListKeys("dist/")
		for _, k := range keys {
			inTxn = append(inTxn, k.Key)
		}
		if err != nil {
			return err
		}
		return errStop // roll back: the listing is what was checked
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Update: %v", err)
	}
	if want := []string{"dist/Z", "dist/a/x", "dist/b", "dist/c", "dist/\u00e9"}; !slices.Equal(inTxn, want) {
		t.Errorf("ListKeys inside Update = %q, want %q (own writes seen)", inTxn, want)
	}
}

func testRevisionOncePerCommit(t *testing.T, s store.Store, c config) {
	prev := c.firstRevision(t, s)
	for range 3 {
		rev := mustUpdate(t, s, func(tx store.Txn) error {
			for _, k := range []string{"a", "b", "c"} {
				if err := tx.Put(k, []byte(k)); err != nil {
					return err
				}
			}
			return tx.Delete("b")
		})
		c.checkNext(t, prev, rev)
		c.checkViewAt(t, s, rev)
		for _, kv := range mustList(t, s, "") {
			if kv.ModRevision != rev {
				t.Errorf("%s: ModRevision %d, want %d", kv.Key, kv.ModRevision, rev)
			}
		}
		prev = rev
	}
}

func testNoWriteNoRevision(t *testing.T, s store.Store, c config) {
	first := mustUpdate(t, s, func(tx store.Txn) error { return tx.Put("x", []byte("1")) })
	for name, fn := range map[string]func(store.Txn) error{
		"read only": func(tx store.Txn) error {
			_, _, err := tx.Get("x")
			return err
		},
		"delete missing key": func(tx store.Txn) error { return tx.Delete("missing") },
		"put then delete a new key": func(tx store.Txn) error {
			if err := tx.Put("new", []byte("1")); err != nil {
				return err
			}
			return tx.Delete("new")
		},
	} {
		if rev := mustUpdate(t, s, fn); rev != 0 {
			t.Errorf("%s: Update returned revision %d, want 0", name, rev)
		}
		c.checkViewAt(t, s, first)
		if kv := mustGet(t, s, "x"); kv.ModRevision != first {
			t.Errorf("%s: x rewritten at %d", name, kv.ModRevision)
		}
	}
	if _, ok := get(t, s, "new"); ok {
		t.Error("key put then deleted in one Update exists")
	}
	w := s.Watch(t.Context(), 0)
	checkRevisions(t, mustRecv(t, w, 1), []int64{first})
	expectQuiet(t, w)
}

func testRollback(t *testing.T, s store.Store, c config) {
	first := mustUpdate(t, s, func(tx store.Txn) error { return tx.Put("keep", []byte("old")) })
	errBoom := errors.New("boom")
	rev, err := s.Update(t.Context(), func(tx store.Txn) error {
		if err := tx.Put("keep", []byte("new")); err != nil {
			return err
		}
		if err := tx.Put("fresh", []byte("x")); err != nil {
			return err
		}
		if err := tx.Delete("keep"); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", errBoom)
	})
	if !errors.Is(err, errBoom) || rev != 0 {
		t.Fatalf("Update = %d, %v; want 0 and the fn's error", rev, err)
	}
	if kv := mustGet(t, s, "keep"); string(kv.Value) != "old" || kv.ModRevision != first {
		t.Errorf("keep = %q at %d after rollback, want old at %d", kv.Value, kv.ModRevision, first)
	}
	if _, ok := get(t, s, "fresh"); ok {
		t.Error("key put by a failed Update exists")
	}
	c.checkViewAt(t, s, first)
}

// testPutTooLarge: keys and values up to the limits are stored; one byte
// more is ErrTooLarge from Put, whatever the backend's own limits, and the
// Update writes nothing.
func testPutTooLarge(t *testing.T, s store.Store) {
	longKey := "k/" + strings.Repeat("x", store.MaxKeyBytes-2)
	bigValue := bytes.Repeat([]byte("v"), store.MaxValueBytes)
	mustUpdate(t, s, func(tx store.Txn) error {
		if err := tx.Put(longKey, []byte("1")); err != nil {
			return err
		}
		return tx.Put("big", bigValue)
	})
	if kv := mustGet(t, s, longKey); string(kv.Value) != "1" {
		t.Errorf("key of MaxKeyBytes = %q", kv.Value)
	}
	if kv := mustGet(t, s, "big"); len(kv.Value) != store.MaxValueBytes {
		t.Errorf("value of MaxValueBytes read back with %d bytes", len(kv.Value))
	}
	for name, put := range map[string]func(store.Txn) error{
		"key":         func(tx store.Txn) error { return tx.Put(longKey+"x", []byte("1")) },
		"bbolt's key": func(tx store.Txn) error { return tx.Put(strings.Repeat("y", 40000), []byte("1")) },
		"value":       func(tx store.Txn) error { return tx.Put("big2", append(bigValue, 'v')) },
	} {
		rev, err := s.Update(t.Context(), func(tx store.Txn) error {
			if err := tx.Put("sibling", []byte("1")); err != nil {
				return err
			}
			return put(tx)
		})
		if !errors.Is(err, store.ErrTooLarge) || rev != 0 {
			t.Errorf("%s too large: Update = %d, %.200v; want store.ErrTooLarge", name, rev, err)
		}
	}
	if _, ok := get(t, s, "sibling"); ok {
		t.Error("an Update whose Put was too large wrote")
	}
}

func testCanceledContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rev, err := s.Update(ctx, func(tx store.Txn) error { return tx.Put("x", []byte("1")) })
	if !errors.Is(err, context.Canceled) || rev != 0 {
		t.Errorf("Update with canceled ctx = %d, %v; want context.Canceled", rev, err)
	}
	if err := s.View(ctx, func(store.ReadTxn) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("View with canceled ctx = %v, want context.Canceled", err)
	}
	if _, ok := get(t, s, "x"); ok {
		t.Error("Update with a canceled context wrote")
	}
}

// In the steps, create and mod are step numbers: the revision of the n-th
// Update.
func testCreateModRevision(t *testing.T, s store.Store, c config) {
	steps := []struct {
		fn           func(store.Txn) error
		key          string
		create, mod  int
		wantNotFound bool
	}{
		{fn: put("a", "1"), key: "a", create: 1, mod: 1},
		{fn: put("b", "1"), key: "a", create: 1, mod: 1},
		{fn: put("a", "2"), key: "a", create: 1, mod: 3},
		{fn: del("a"), key: "a", wantNotFound: true},
		{fn: put("a", "3"), key: "a", create: 5, mod: 5},
		{fn: put("c", "1"), key: "b", create: 2, mod: 2},
	}
	revs := []int64{c.firstRevision(t, s)} // revs[n]: the n-th Update's
	for i, st := range steps {
		rev := mustUpdate(t, s, st.fn)
		c.checkNext(t, revs[i], rev)
		revs = append(revs, rev)
		kv, ok := get(t, s, st.key)
		if ok == st.wantNotFound || ok && (kv.CreateRevision != revs[st.create] || kv.ModRevision != revs[st.mod]) {
			t.Errorf("step %d: %s = %+v (found %v), want create %d mod %d (found %v)",
				i+1, st.key, kv, ok, revs[st.create], revs[st.mod], !st.wantNotFound)
		}
	}
}

func testReadsOwnWrites(t *testing.T, s store.Store, c config) {
	first := mustUpdate(t, s, func(tx store.Txn) error {
		for _, k := range []string{"p/1", "p/2", "p/3"} {
			if err := tx.Put(k, []byte("old")); err != nil {
				return err
			}
		}
		return nil
	})
	// ownMod says whether mod is a ModRevision the Update's own writes may
	// read back with, inside the Update.
	var inside int64
	ownMod := func(mod int64) bool { return mod == inside+1 || c.shared && mod > inside }
	rev := mustUpdate(t, s, func(tx store.Txn) error {
		inside = tx.Revision()
		if inside != first && !(c.shared && inside > first) {
			return fmt.Errorf("Revision() = %d inside Update, want %d", inside, first)
		}
		if err := tx.Put("p/2", []byte("new")); err != nil {
			return err
		}
		if err := tx.Put("p/0", []byte("added")); err != nil {
			return err
		}
		if err := tx.Delete("p/3"); err != nil {
			return err
		}
		kv, ok, err := tx.Get("p/2")
		if err != nil || !ok || string(kv.Value) != "new" || kv.CreateRevision != first || !ownMod(kv.ModRevision) {
			return fmt.Errorf("Get own put = %+v, %v, %v; want new, create %d, mod %d", kv, ok, err, first, inside+1)
		}
		kv, ok, err = tx.Get("p/0")
		if err != nil || !ok || kv.CreateRevision != kv.ModRevision || !ownMod(kv.ModRevision) {
			return fmt.Errorf("Get own new key = %+v, %v, %v; want create and mod %d", kv, ok, err, inside+1)
		}
		if _, ok, err := tx.Get("p/3"); err != nil || ok {
			return fmt.Errorf("Get own delete: found %v, err %v", ok, err)
		}
		kvs, err := tx.List("p/")
		if err != nil {
			return err
		}
		if got := fmt.Sprint(keyValues(kvs)); got != "[p/0=added p/1=old p/2=new]" {
			return fmt.Errorf("List inside Update = %s", got)
		}
		return nil
	})
	c.checkNext(t, first, rev)
	if got := fmt.Sprint(keyValues(mustList(t, s, "p/"))); got != "[p/0=added p/1=old p/2=new]" {
		t.Errorf("List after commit = %s", got)
	}
	for key, create := range map[string]int64{"p/0": rev, "p/2": first} {
		if kv := mustGet(t, s, key); kv.CreateRevision != create || kv.ModRevision != rev {
			t.Errorf("%s after commit: create %d, mod %d; want %d, %d", key, kv.CreateRevision, kv.ModRevision, create, rev)
		}
	}
}

func testValuesAreCopies(t *testing.T, s store.Store) {
	ctx := t.Context()
	// Large enough that an embedded store cannot keep it inline in some
	// small structure that happens to be copied anyway.
	want := "value" + strings.Repeat(".", 4000)
	w := s.Watch(ctx, 0)
	mustUpdate(t, s, func(tx store.Txn) error {
		v := []byte(want)
		if err := tx.Put("k", v); err != nil {
			return err
		}
		v[0] = 'X' // the caller may reuse its buffer after Put
		return nil
	})
	if got := mustGet(t, s, "k").Value; string(got) != want {
		t.Fatalf("value changed through the slice given to Put: %.10q", got)
	}
	mustGet(t, s, "k").Value[0] = 'X'
	mustList(t, s, "")[0].Value[0] = 'X'
	var kept []byte
	if err := s.View(ctx, func(tx store.ReadTxn) error {
		kv, _, err := tx.Get("k")
		kept = kv.Value
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ev := mustRecv(t, w, 1)[0]
	ev.Changes[0].Value[0] = 'X'
	// Rewrite the key: memory a store freed or reused would show in kept.
	mustUpdate(t, s, put("k", strings.Repeat("z", len(want))))
	if string(kept) != want {
		t.Errorf("value kept from a finished View changed to %.10q", kept)
	}
	if got := mustGet(t, s, "k").Value; string(got) != strings.Repeat("z", len(want)) {
		t.Errorf("stored value %.10q after changing returned copies", got)
	}
	if ev := mustRecv(t, s.Watch(ctx, 0), 1)[0]; string(ev.Changes[0].Value) != want {
		t.Errorf("replayed value %.10q after a watcher changed its copy", ev.Changes[0].Value)
	}
}

// put returns an Update fn that puts one key.
func put(key, value string) func(store.Txn) error {
	return func(tx store.Txn) error { return tx.Put(key, []byte(value)) }
}

// del returns an Update fn that deletes one key.
func del(key string) func(store.Txn) error {
	return func(tx store.Txn) error { return tx.Delete(key) }
}

// putRevs commits n Updates that each put one key under prefix, and
// returns their revisions.
func putRevs(t testing.TB, s store.Store, prefix string, n int) []int64 {
	t.Helper()
	var revs []int64
	for i := range n {
		rev := mustUpdate(t, s, put(fmt.Sprintf("%s%04d", prefix, i), fmt.Sprint(i)))
		if len(revs) > 0 && rev <= revs[len(revs)-1] {
			t.Fatalf("Update %d returned revision %d after %d", i+1, rev, revs[len(revs)-1])
		}
		revs = append(revs, rev)
	}
	return revs
}

// revisionsAfter returns the revisions in revs above after.
func revisionsAfter(revs []int64, after int64) []int64 {
	var out []int64
	for _, r := range revs {
		if r > after {
			out = append(out, r)
		}
	}
	return out
}

func mustUpdate(t testing.TB, s store.Store, fn func(store.Txn) error) int64 {
	t.Helper()
	rev, err := s.Update(t.Context(), fn)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	return rev
}

func get(t testing.TB, s store.Store, key string) (store.KV, bool) {
	t.Helper()
	var kv store.KV
	var ok bool
	err := s.View(t.Context(), func(tx store.ReadTxn) error {
		var err error
		kv, ok, err = tx.Get(key)
		return err
	})
	if err != nil {
		t.Fatalf("Get %s: %v", key, err)
	}
	return kv, ok
}

func mustGet(t testing.TB, s store.Store, key string) store.KV {
	t.Helper()
	kv, ok := get(t, s, key)
	if !ok {
		t.Fatalf("Get %s: not found", key)
	}
	return kv
}

func mustList(t testing.TB, s store.Store, prefix string) []store.KV {
	t.Helper()
	var kvs []store.KV
	err := s.View(t.Context(), func(tx store.ReadTxn) error {
		var err error
		kvs, err = tx.List(prefix)
		return err
	})
	if err != nil {
		t.Fatalf("List %q: %v", prefix, err)
	}
	return kvs
}

func viewRevision(t testing.TB, s store.Store) int64 {
	t.Helper()
	var rev int64
	if err := s.View(t.Context(), func(tx store.ReadTxn) error {
		rev = tx.Revision()
		return nil
	}); err != nil {
		t.Fatalf("View: %v", err)
	}
	return rev
}

func keyValues(kvs []store.KV) []string {
	var out []string
	for _, kv := range kvs {
		out = append(out, kv.Key+"="+string(kv.Value))
	}
	return out
}

// changesString renders an event's changes as "key=value" and "-key".
func changesString(ev store.Event) string {
	var b bytes.Buffer
	for i, c := range ev.Changes {
		if i > 0 {
			b.WriteByte(' ')
		}
		if c.Deleted {
			if c.Value != nil {
				fmt.Fprintf(&b, "-%s(value %q)", c.Key, c.Value)
				continue
			}
			b.WriteString("-" + c.Key)
			continue
		}
		b.WriteString(c.Key + "=" + string(c.Value))
	}
	return b.String()
}
