package storetest

import (
	"context"
	"errors"

	"openfront/internal/store"
)

// Rerun returns s with an Update that runs fn twice, as a store with
// optimistic concurrency does when its commit loses to another writer
// (etcdstore: another node wrote first): the first run's writes are rolled
// back, then fn runs again and its writes are committed. An error from the
// first run is returned at once, as etcdstore returns it. Tests of
// Update's callers use it to check the rule of store.Store.Update: fn must
// not have side effects outside the transaction (a request body it read,
// a slice it appended to).
func Rerun(s store.Store) store.Store { return rerun{s} }

type rerun struct{ store.Store }

// errFirstRun rolls back the first run of fn.
var errFirstRun = errors.New("storetest: first run rolled back")

func (s rerun) Update(ctx context.Context, fn func(store.Txn) error) (int64, error) {
	_, err := s.Store.Update(ctx, func(tx store.Txn) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errFirstRun
	})
	if !errors.Is(err, errFirstRun) {
		return 0, err
	}
	return s.Store.Update(ctx, fn)
}

var _ store.Store = rerun{}
