package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"openfront/internal/store"
)

func testWatchFromZero(t *testing.T, s store.Store, c config) {
	history, revs := commitHistory(t, s, c)
	evs := mustRecv(t, s.Watch(t.Context(), 0), len(history))
	checkRevisions(t, evs, revs)
	for i, ev := range evs {
		if got := changesString(ev); got != history[i] {
			t.Errorf("revision %d: changes %q, want %q", ev.Revision, got, history[i])
		}
	}
}

func testWatchFromMiddle(t *testing.T, s store.Store, c config) {
	history, revs := commitHistory(t, s, c)
	for _, i := range []int{0, 1, len(history) - 2} {
		after := revs[i] // so the watch starts with commit i+1
		evs := mustRecv(t, s.Watch(t.Context(), after), len(history)-1-i)
		checkRevisions(t, evs, revs[i+1:])
		if got, want := changesString(evs[0]), history[i+1]; got != want {
			t.Errorf("Watch(%d): first changes %q, want %q", after, got, want)
		}
	}
	// Nothing more is sent until the next commit.
	w := s.Watch(t.Context(), revs[len(revs)-1])
	select {
	case ev := <-w:
		t.Fatalf("Watch(current revision) sent %+v before any commit", ev)
	case <-time.After(50 * time.Millisecond):
	}
}

// commitHistory commits a few Updates with puts, overwrites and deletes, and
// returns each revision's changes as changesString renders them, and the
// revisions.
func commitHistory(t *testing.T, s store.Store, c config) ([]string, []int64) {
	t.Helper()
	steps := []struct {
		fn   func(store.Txn) error
		want string
	}{
		{put("dist/A", "1"), "dist/A=1"},
		{func(tx store.Txn) error {
			if err := tx.Put("dist/B", []byte("2")); err != nil {
				return err
			}
			if err := tx.Put("oai/C", []byte("3")); err != nil {
				return err
			}
			return tx.Put("dist/B", []byte("2b")) // one change per key: the last write
		}, "dist/B=2b oai/C=3"},
		{del("dist/A"), "-dist/A"},
		{func(tx store.Txn) error {
			if err := tx.Delete("oai/C"); err != nil {
				return err
			}
			return tx.Put("inval/B/1", nil)
		}, "-oai/C inval/B/1="},
		{put("dist/B", "4"), "dist/B=4"},
	}
	var history []string
	var revs []int64
	prev := c.firstRevision(t, s)
	for _, st := range steps {
		rev := mustUpdate(t, s, st.fn)
		c.checkNext(t, prev, rev)
		history = append(history, st.want)
		revs = append(revs, rev)
		prev = rev
	}
	return history, revs
}

func testWatchLive(t *testing.T, s store.Store) {
	w := s.Watch(t.Context(), mustUpdate(t, s, put("before", "0")))
	for i := range 5 {
		rev := mustUpdate(t, s, put(fmt.Sprintf("live/%d", i), "v"))
		ev := mustRecv(t, w, 1)[0]
		if ev.Revision != rev || changesString(ev) != fmt.Sprintf("live/%d=v", i) {
			t.Fatalf("after commit %d: event %d %q", rev, ev.Revision, changesString(ev))
		}
	}
}

func testWatchFuture(t *testing.T, s store.Store, c config) {
	future := c.firstRevision(t, s) + 3
	w := s.Watch(t.Context(), future)
	// A store that owns its revisions sends the last 2 of the 5; in a shared
	// revision space, other writers decide how many of them are past future.
	want := revisionsAfter(putRevs(t, s, "f/", 5), future)
	evs := mustRecv(t, w, len(want))
	checkRevisions(t, evs, want)
}

func testWatchConcurrentWriters(t *testing.T, s store.Store, c config) {
	const writers, updates = 8, 50
	const total = writers * updates
	ctx := t.Context()
	first := c.firstRevision(t, s)
	watchers := []<-chan store.Event{s.Watch(ctx, 0), s.Watch(ctx, 0)}

	keyOf := make(map[int64]string, total) // revision -> key its Update wrote
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range updates {
				key := fmt.Sprintf("w%d/%03d", w, i)
				rev, err := s.Update(ctx, put(key, key))
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if rev <= first || !c.shared && rev > first+total || keyOf[rev] != "" {
					mu.Unlock()
					errs <- fmt.Errorf("Update of %s returned revision %d, out of range or reused", key, rev)
					return
				}
				keyOf[rev] = key
				mu.Unlock()
			}
		})
	}
	// A watcher started mid-way must also see everything.
	watchers = append(watchers, s.Watch(ctx, 0))
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	revs := slices.Sorted(maps.Keys(keyOf))
	for i, w := range watchers {
		evs := mustRecv(t, w, total)
		checkRevisions(t, evs, revs)
		for _, ev := range evs {
			if want := keyOf[ev.Revision] + "=" + keyOf[ev.Revision]; changesString(ev) != want {
				t.Fatalf("watcher %d, revision %d: %q, want %q", i, ev.Revision, changesString(ev), want)
			}
		}
	}
}

func testSlowWatcher(t *testing.T, s store.Store, c config) {
	const n = 200
	first := c.firstRevision(t, s)
	w := s.Watch(t.Context(), 0) // never read until every Update is done
	done := make(chan []int64)
	go func() {
		var revs []int64
		for i := range n {
			r, err := s.Update(t.Context(), put(fmt.Sprintf("slow/%03d", i), "v"))
			if err != nil {
				t.Errorf("Update: %v", err)
				break
			}
			revs = append(revs, r)
		}
		done <- revs
	}()
	var revs []int64
	select {
	case revs = <-done:
		if len(revs) != n {
			t.Fatalf("%d Updates done, want %d", len(revs), n)
		}
		if !c.shared && revs[n-1] != first+n {
			t.Fatalf("last revision %d, want %d", revs[n-1], first+n)
		}
	case <-time.After(timeout):
		t.Fatal("writers blocked by a watcher that is not reading")
	}
	checkRevisions(t, mustRecv(t, w, n), revs)
}

func testWatchCancel(t *testing.T, s store.Store) {
	mustUpdate(t, s, put("a", "1"))
	ctx, cancel := context.WithCancel(t.Context())
	w := s.Watch(ctx, 0)
	mustRecv(t, w, 1)
	cancel()
	if evs, err := collect(t, w, 0); err != nil || len(evs) != 0 {
		t.Fatalf("after cancel: %d events, err %v; want the channel closed", len(evs), err)
	}
	// A watch whose consumer left without reading must not hold up the store.
	ctx, cancel = context.WithCancel(t.Context())
	s.Watch(ctx, 0)
	cancel()
	mustUpdate(t, s, put("b", "2"))
}

func testClose(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustUpdate(t, s, put("a", "1"))
	w := s.Watch(ctx, 0)
	mustRecv(t, w, 1)
	s.Watch(ctx, 0) // never read: Close must not wait for it
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if evs, err := collect(t, w, 0); !errors.Is(err, store.ErrClosed) || len(evs) != 0 {
		t.Fatalf("watch after Close: %d events, err %v; want ErrClosed then closed", len(evs), err)
	}
	if _, err := s.Update(ctx, put("b", "2")); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Update after Close = %v, want ErrClosed", err)
	}
	if err := s.View(ctx, func(store.ReadTxn) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Errorf("View after Close = %v, want ErrClosed", err)
	}
	if _, err := collect(t, s.Watch(ctx, 0), 0); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Watch after Close ended with %v, want ErrClosed", err)
	}
	if err := s.Close(); !errors.Is(err, store.ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
}

// mustRecv receives n events without error, failing on a closed channel, an
// error event or timeout.
func mustRecv(t testing.TB, w <-chan store.Event, n int) []store.Event {
	t.Helper()
	evs := make([]store.Event, 0, n)
	deadline := time.After(timeout)
	for len(evs) < n {
		select {
		case ev, ok := <-w:
			if !ok {
				t.Fatalf("watch closed after %d of %d events", len(evs), n)
			}
			if ev.Err != nil {
				t.Fatalf("watch error after %d of %d events: %v", len(evs), n, ev.Err)
			}
			evs = append(evs, ev)
		case <-deadline:
			t.Fatalf("timed out after %d of %d events", len(evs), n)
		}
	}
	return evs
}

// expectQuiet fails if the watch sends anything within a short while.
func expectQuiet(t testing.TB, w <-chan store.Event) {
	t.Helper()
	select {
	case ev := <-w:
		t.Fatalf("unexpected event at revision %d: %q (err %v)", ev.Revision, changesString(ev), ev.Err)
	case <-time.After(50 * time.Millisecond):
	}
}

// collect reads the watch until it closes and returns the events before the
// first error event, and that error. After an error event only the close may
// follow; at most limit events are read before it gives up (0 means none).
func collect(t testing.TB, w <-chan store.Event, limit int) ([]store.Event, error) {
	t.Helper()
	var evs []store.Event
	var last error
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-w:
			switch {
			case !ok:
				return evs, last
			case last != nil:
				t.Fatalf("event %+v after the error event %v", ev, last)
			case ev.Err != nil:
				last = ev.Err
			case len(evs) == limit:
				t.Fatalf("more than %d events (revision %d)", limit, ev.Revision)
			default:
				evs = append(evs, ev)
			}
		case <-deadline:
			t.Fatalf("watch not closed after %d events", len(evs))
		}
	}
}

// checkRevisions fails unless evs have exactly the revisions want, in
// order. (Callers take want from the revisions Updates returned; the checks
// of those make them consecutive in a store that owns its revisions.)
func checkRevisions(t testing.TB, evs []store.Event, want []int64) {
	t.Helper()
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d", len(evs), len(want))
	}
	for i, ev := range evs {
		if ev.Revision != want[i] {
			t.Fatalf("event %d has revision %d, want %d (gap, duplicate or reorder)", i, ev.Revision, want[i])
		}
		if ev.Err != nil || len(ev.Changes) == 0 {
			t.Fatalf("revision %d: err %v, %d changes", ev.Revision, ev.Err, len(ev.Changes))
		}
	}
}
