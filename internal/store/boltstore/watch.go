package boltstore

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"openfront/internal/store"
)

// watchBatch bounds how many log entries a watcher reads in one read
// transaction, so catching up from far behind does not hold a big slice or a
// long transaction.
const watchBatch = 128

// Watch implements store.Store. Each watch is one goroutine that reads the
// change log bucket from the last revision it delivered, and sleeps until
// the next commit when it has caught up; see the package documentation for
// why.
func (s *Store) Watch(ctx context.Context, afterRev int64) <-chan store.Event {
	if s.closed() {
		out := make(chan store.Event, 1)
		out <- store.Event{Err: store.ErrClosed}
		close(out)
		return out
	}
	out := make(chan store.Event)
	go s.watch(ctx, max(afterRev, 0), out)
	return out
}

// watch delivers every logged revision after next to out, in order, until
// ctx ends, the store closes or the log no longer holds next+1.
func (s *Store) watch(ctx context.Context, next int64, out chan<- store.Event) {
	defer close(out)
	for {
		// Take the wake-up channel before reading: a commit that lands after
		// the read closes it, so it cannot be missed.
		wake := s.wakeup()
		events, err := s.readLog(next, watchBatch)
		if err != nil {
			sendLast(ctx, out, err)
			return
		}
		// No read transaction is open while we wait on the consumer: a slow
		// consumer holds up only its own goroutine, never a writer.
		for _, ev := range events {
			select {
			case out <- ev:
				next = ev.Revision
			case <-ctx.Done():
				return
			case <-s.done:
				sendLast(ctx, out, store.ErrClosed)
				return
			}
		}
		if len(events) == watchBatch {
			continue // there may be more already
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return
		case <-s.done:
			sendLast(ctx, out, store.ErrClosed)
			return
		}
	}
}

// sendLast sends the event that ends a watch, unless ctx ends first (the
// consumer may be gone).
func sendLast(ctx context.Context, out chan<- store.Event, err error) {
	select {
	case out <- store.Event{Err: err}:
	case <-ctx.Done():
	}
}

// readLog returns up to limit events with the revisions after next, read
// from the change log in one read transaction. It returns ErrCompacted when
// revision next+1 has been committed but is no longer in the log.
func (s *Store) readLog(next int64, limit int) ([]store.Event, error) {
	var events []store.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		cur, err := readRevision(tx)
		if err != nil {
			return err
		}
		want := next + 1
		if want > cur {
			return nil // caught up (or watching from a future revision)
		}
		c := tx.Bucket(bucketLog).Cursor()
		for k, v := c.Seek(revKey(want)); k != nil && len(events) < limit; k, v = c.Next() {
			rev, err := decodeRev(k)
			if err != nil {
				return err
			}
			if rev != want {
				return store.ErrCompacted // trimmed past want
			}
			changes, err := decodeChanges(v)
			if err != nil {
				return fmt.Errorf("revision %d: %w", rev, err)
			}
			events = append(events, store.Event{Revision: rev, Changes: changes})
			want++
		}
		if len(events) == 0 {
			return store.ErrCompacted // committed, yet not in the log
		}
		return nil
	})
	switch {
	case err == nil:
		return events, nil
	case errors.Is(err, store.ErrCompacted):
		return nil, store.ErrCompacted
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return nil, store.ErrClosed
	default:
		return nil, fmt.Errorf("watch: read change log: %w", err)
	}
}
