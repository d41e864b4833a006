package etcdstore

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"openfront/internal/store"
)

// Watch implements store.Store with one etcd watch on the store's keys from
// afterRev+1. etcd delivers a revision's events together and in the order of
// the Txn's operations, so each revision becomes one store.Event.
func (s *Store) Watch(ctx context.Context, afterRev int64) <-chan store.Event {
	if s.closed() {
		out := make(chan store.Event, 1)
		out <- store.Event{Err: store.ErrClosed}
		close(out)
		return out
	}
	out := make(chan store.Event)
	go s.watch(ctx, max(afterRev, 0)+1, out)
	return out
}

func (s *Store) watch(ctx context.Context, from int64, out chan<- store.Event) {
	defer close(out)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// WithRequireLeader would cancel the watch when the member loses its
	// leader; without it the client keeps the watch and resumes it, from the
	// last revision it delivered, on another member.
	wch := s.client.Watch(wctx, s.kvPrefix, clientv3.WithPrefix(), clientv3.WithRev(from))
	for {
		var resp clientv3.WatchResponse
		var ok bool
		select {
		case resp, ok = <-wch:
		case <-ctx.Done():
			return
		case <-s.done:
			s.sendLast(ctx, out, store.ErrClosed)
			return
		}
		switch {
		case !ok:
			if ctx.Err() == nil {
				s.sendLast(ctx, out, s.mapErr(ctx, fmt.Errorf("watch: etcd ended the watch")))
			}
			return
		case resp.CompactRevision != 0:
			s.sendLast(ctx, out, store.ErrCompacted)
			return
		case resp.Err() != nil:
			s.sendLast(ctx, out, fmt.Errorf("watch: %w", s.mapErr(ctx, resp.Err())))
			return
		}
		for _, ev := range s.events(resp.Events) {
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			case <-s.done:
				s.sendLast(ctx, out, store.ErrClosed)
				return
			}
		}
	}
}

// events groups etcd's events by revision.
func (s *Store) events(evs []*clientv3.Event) []store.Event {
	var out []store.Event
	for _, e := range evs {
		rev := e.Kv.ModRevision
		c := store.Change{Key: strings.TrimPrefix(string(e.Kv.Key), s.kvPrefix)}
		if e.Type == clientv3.EventTypeDelete {
			c.Deleted = true
		} else {
			c.Value = bytes.Clone(e.Kv.Value)
			if c.Value == nil {
				c.Value = []byte{}
			}
		}
		if n := len(out); n > 0 && out[n-1].Revision == rev {
			out[n-1].Changes = append(out[n-1].Changes, c)
			continue
		}
		out = append(out, store.Event{Revision: rev, Changes: []store.Change{c}})
	}
	return out
}

// sendLast sends the event that ends a watch, unless ctx ends first (the
// consumer may be gone).
func (s *Store) sendLast(ctx context.Context, out chan<- store.Event, err error) {
	select {
	case out <- store.Event{Err: err}:
	case <-ctx.Done():
	}
}
