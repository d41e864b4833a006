package control

import (
	"context"
	"slices"
	"time"

	"openfront/internal/invalidation"
	"openfront/internal/model"
	"openfront/internal/store"
)

func invalPrefix(distID string) string  { return model.InvalidationsPrefix(distID) }
func invalKey(distID, id string) string { return model.InvalidationKey(distID, id) }
func invalRefKey(distID, ref string) string {
	return model.CallerRefInvalidationPrefix + distID + "/" + ref
}

// Invalidation is an invalidation as the API shows it.
type Invalidation struct {
	ID              string
	DistributionID  string
	Status          string // InProgress or Completed
	CreateTime      time.Time
	CallerReference string
	Paths           []string
}

func (c *Control) invalView(kv store.KV, applied int64) (*Invalidation, error) {
	rec, err := decode[model.InvalidationRecord](c, kv)
	if err != nil {
		return nil, err
	}
	inv := &Invalidation{ID: rec.ID, DistributionID: rec.DistributionID, Status: "InProgress", CreateTime: rec.CreateTime, CallerReference: rec.CallerReference, Paths: rec.Paths}
	// An edge reports a revision only once it has purged every invalidation
	// up to it, so applied >= the creating revision means purged everywhere.
	if kv.CreateRevision <= applied {
		inv.Status = "Completed"
	}
	return inv, nil
}

// CreateInvalidation records an invalidation batch; edges purge it and it
// turns Completed once every live edge has. The same CallerReference with
// the same paths returns the existing invalidation (created=false).
func (c *Control) CreateInvalidation(ctx context.Context, distID, callerRef string, paths []string) (*Invalidation, bool, error) {
	if len(paths) == 0 {
		return nil, false, model.Errorf("InvalidArgument", "Your request must contain at least one invalidation path.")
	}
	if len(paths) > c.settings.Quotas.PathsPerBatch {
		return nil, false, model.Errorf("BatchTooLarge", "Invalidation batch specified is too large: %d paths (maximum %d).", len(paths), c.settings.Quotas.PathsPerBatch)
	}
	for _, p := range paths {
		if err := invalidation.ValidatePath(p); err != nil {
			return nil, false, model.Errorf("InvalidArgument", "Your request contains one or more invalid invalidation paths: %v.", err)
		}
	}
	applied := c.applied(ctx)
	var id string
	created := false
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		created = false
		if _, ok, err := tx.Get(distKey(distID)); err != nil {
			return err
		} else if !ok {
			return errNotFound("NoSuchDistribution", "distribution")
		}
		if kv, ok, err := tx.Get(invalRefKey(distID, callerRef)); err != nil {
			return err
		} else if ok {
			id = string(kv.Value)
			ikv, found, err := tx.Get(invalKey(distID, id))
			if err != nil || !found {
				return err
			}
			rec, err := decode[model.InvalidationRecord](c, ikv)
			if err != nil {
				return err
			}
			if !slices.Equal(rec.Paths, paths) {
				return model.Errorf("InvalidationBatchAlreadyExists", "The CallerReference %q was already used for an invalidation batch with other paths.", callerRef)
			}
			return nil
		}
		// Quotas count the paths still in progress, this batch included.
		inProgress, wildcards := 0, 0
		count := func(ps []string) {
			for _, p := range ps {
				if invalidation.IsWildcard(p) {
					wildcards++
				} else {
					inProgress++
				}
			}
		}
		kvs, err := tx.List(invalPrefix(distID))
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			if kv.CreateRevision <= applied {
				continue
			}
			rec, err := decode[model.InvalidationRecord](c, kv)
			if err != nil {
				return err
			}
			count(rec.Paths)
		}
		count(paths)
		if inProgress > c.settings.Quotas.InvalidationPaths || wildcards > c.settings.Quotas.InvalidationWildcards {
			return model.Errorf("TooManyInvalidationsInProgress", "You have exceeded the maximum number of allowable InProgress invalidation batch requests, or invalidation objects.")
		}
		id = newID("I")
		rec := model.InvalidationRecord{ID: id, DistributionID: distID, CallerReference: callerRef, Paths: paths, CreateTime: c.now().UTC()}
		if err := putJSON(tx, invalKey(distID, id), rec); err != nil {
			return err
		}
		created = true
		return tx.Put(invalRefKey(distID, callerRef), []byte(id))
	})
	if err != nil {
		return nil, false, err
	}
	inv, err := c.GetInvalidation(ctx, distID, id)
	if inv != nil && created {
		inv.Status = "InProgress" // as of the commit, as CloudFront answers a create
	}
	return inv, created, err
}

// GetInvalidation returns one invalidation of a distribution.
func (c *Control) GetInvalidation(ctx context.Context, distID, id string) (*Invalidation, error) {
	var inv *Invalidation
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		if _, ok, err := tx.Get(distKey(distID)); err != nil {
			return err
		} else if !ok {
			return errNotFound("NoSuchDistribution", "distribution")
		}
		kv, ok, err := tx.Get(invalKey(distID, id))
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("NoSuchInvalidation", "invalidation")
		}
		inv, err = c.invalView(kv, c.applied(ctx))
		return err
	})
	return inv, err
}

// ListInvalidations lists a distribution's invalidations, most recent first.
func (c *Control) ListInvalidations(ctx context.Context, distID string, opts ListOptions) ([]*Invalidation, Page, error) {
	var all []*Invalidation
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		if _, ok, err := tx.Get(distKey(distID)); err != nil {
			return err
		} else if !ok {
			return errNotFound("NoSuchDistribution", "distribution")
		}
		kvs, err := tx.List(invalPrefix(distID))
		if err != nil {
			return err
		}
		slices.SortFunc(kvs, func(a, b store.KV) int { return int(b.CreateRevision - a.CreateRevision) })
		applied := c.applied(ctx)
		for _, kv := range kvs {
			inv, err := c.invalView(kv, applied)
			if err != nil {
				return err
			}
			all = append(all, inv)
		}
		return nil
	})
	if err != nil {
		return nil, Page{}, err
	}
	items, next, truncated := page(all, func(i *Invalidation) string { return i.ID }, opts.Marker, opts.MaxItems)
	return items, Page{Marker: opts.Marker, NextMarker: next, MaxItems: opts.MaxItems, IsTruncated: truncated}, nil
}

func (c *Control) inProgressInvalidations(tx store.ReadTxn, distID string, applied int64) (int, error) {
	kvs, err := tx.List(invalPrefix(distID))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, kv := range kvs {
		if kv.CreateRevision > applied {
			n++
		}
	}
	return n, nil
}
