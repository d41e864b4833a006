package snapshot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"openfront/internal/model"
	"openfront/internal/store"
)

// Applied is called after each swap with the new snapshot and the
// invalidations created since the previous one (on the first call: every
// stored invalidation). It must purge before returning, because returning
// nil lets the revision be reported as applied.
type Applied func(ctx context.Context, s *Snapshot, invalidations []model.InvalidationRecord) error

// Watcher follows the store and keeps the current snapshot.
type Watcher struct {
	store   store.Store
	applied Applied
	log     *slog.Logger
	current atomic.Pointer[Snapshot]
	ready   chan struct{}
	ignored *ignoredReport
	account string
	// lightsailOrigins is this edge's --lightsail-origin map.
	lightsailOrigins map[string]string
}

// NewWatcher returns a watcher; Run starts it.
func NewWatcher(s store.Store, applied Applied, log *slog.Logger) *Watcher {
	if log == nil {
		log = slog.Default()
	}
	return &Watcher{store: s, applied: applied, log: log, ready: make(chan struct{}), ignored: newIgnoredReport(log, nil)}
}

// CountIgnoredFields sets the function called, once per deployed
// distribution revision and member, for each member the edge does not act
// on that the revision sets (ignored.go); call it before Run.
func (w *Watcher) CountIgnoredFields(count func(field string)) { w.ignored.count = count }

// SetAccount sets the account id OpenFront answers as: a trusted signer
// naming it trusts the stored public keys, as "self" does (keys.go); call
// it before Run.
func (w *Watcher) SetAccount(id string) { w.account = id }

// SetLightsailOrigins sets this edge's --lightsail-origin map (Lightsail
// origin name -> HOST[:PORT]), through which the Lightsail distributions'
// origin names are resolved when they are compiled (lightsail.go); call it
// before Run.
func (w *Watcher) SetLightsailOrigins(origins map[string]string) { w.lightsailOrigins = origins }

// Current returns the live snapshot (nil before the first load).
func (w *Watcher) Current() *Snapshot { return w.current.Load() }

// Ready is closed once the first snapshot is live.
func (w *Watcher) Ready() <-chan struct{} { return w.ready }

// Run loads the configuration and follows the store until ctx ends. A
// watch that falls behind the store's compaction resyncs from a full load.
//
// A store that does not answer a load (etcd down or slow: the API answers
// 503 meanwhile) is asked again, with a growing pause, until it answers:
// the edge keeps the snapshot it has, or waits for its first one (Ready),
// instead of the process exiting.
func (w *Watcher) Run(ctx context.Context) error {
	first := true
	pause := loadRetryMin
	for {
		recs, rev, invals, err := w.load(ctx)
		if errors.Is(err, store.ErrUnavailable) && ctx.Err() == nil {
			w.log.Warn("snapshot: the store did not answer; asking again", "err", err, "in", pause)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pause):
			}
			pause = min(2*pause, loadRetryMax)
			continue
		}
		if err != nil {
			return err
		}
		pause = loadRetryMin
		if err := w.swap(ctx, recs.compile(rev, w.log), invals); err != nil {
			return err
		}
		if first {
			close(w.ready)
			first = false
		}
		err = w.follow(ctx, recs, rev)
		if errors.Is(err, store.ErrCompacted) {
			w.log.Warn("snapshot: watch fell behind compaction; reloading", "revision", rev)
			continue
		}
		return err
	}
}

// The pauses between loads of a store that does not answer.
const (
	loadRetryMin = 250 * time.Millisecond
	loadRetryMax = 5 * time.Second
)

func (w *Watcher) load(ctx context.Context) (*records, int64, []model.InvalidationRecord, error) {
	recs := newRecords()
	recs.ignored = w.ignored
	recs.account = w.account
	recs.lightsailOrigins = w.lightsailOrigins
	var rev int64
	var invals []model.InvalidationRecord
	err := w.store.View(ctx, func(tx store.ReadTxn) error {
		rev = tx.Revision()
		for _, prefix := range recordPrefixes {
			kvs, err := tx.List(prefix)
			if err != nil {
				return err
			}
			for _, kv := range kvs {
				recs.apply(kv.Key, kv.Value, false, w.log)
			}
		}
		kvs, err := tx.List(model.InvalidationPrefix)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			inv, err := decodeInvalidation(kv.Value)
			if err != nil {
				w.log.Error("snapshot: undecodable invalidation", "key", kv.Key, "err", err)
				continue
			}
			invals = append(invals, inv)
		}
		return nil
	})
	if err != nil {
		return nil, 0, nil, fmt.Errorf("load snapshot: %w", err)
	}
	return recs, rev, invals, nil
}

func (w *Watcher) follow(ctx context.Context, recs *records, rev int64) error {
	events := w.store.Watch(ctx, rev)
	for {
		var ev store.Event
		var ok bool
		select {
		case ev, ok = <-events:
		case <-ctx.Done():
			return nil
		}
		if !ok {
			return nil
		}
		if ev.Err != nil {
			if errors.Is(ev.Err, store.ErrClosed) {
				return nil
			}
			return ev.Err
		}
		// Take every event already queued, so a burst of writes compiles
		// once.
		relevant := false
		var invals []model.InvalidationRecord
		for {
			for _, ch := range ev.Changes {
				if recs.apply(ch.Key, ch.Value, ch.Deleted, w.log) {
					relevant = true
				}
				if strings.HasPrefix(ch.Key, model.InvalidationPrefix) && !ch.Deleted {
					inv, err := decodeInvalidation(ch.Value)
					if err != nil {
						w.log.Error("snapshot: undecodable invalidation", "key", ch.Key, "err", err)
						continue
					}
					invals = append(invals, inv)
				}
			}
			rev = ev.Revision
			select {
			case next, ok := <-events:
				if !ok {
					return nil
				}
				if next.Err != nil {
					if errors.Is(next.Err, store.ErrClosed) {
						return nil
					}
					return next.Err
				}
				ev = next
				continue
			default:
			}
			break
		}
		snap := w.current.Load()
		if relevant {
			snap = recs.compile(rev, w.log)
		} else {
			// Nothing the edge serves changed: same snapshot, newer revision.
			cp := *snap
			cp.Revision = rev
			snap = &cp
		}
		if err := w.swap(ctx, snap, invals); err != nil {
			return err
		}
	}
}

func (w *Watcher) swap(ctx context.Context, s *Snapshot, invals []model.InvalidationRecord) error {
	w.current.Store(s)
	if w.applied == nil {
		return nil
	}
	if err := w.applied(ctx, s, invals); err != nil {
		return fmt.Errorf("apply revision %d: %w", s.Revision, err)
	}
	return nil
}
