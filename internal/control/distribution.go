package control

import (
	"cmp"
	"context"
	"reflect"
	"slices"
	"strings"
	"time"

	"openfront/internal/model"
	"openfront/internal/store"
)

func distKey(id string) string { return model.DistributionKey(id) }

// Distribution is a distribution as the API shows it.
type Distribution struct {
	ID                            string
	ARN                           string
	ETag                          string
	Status                        string // InProgress or Deployed
	DomainName                    string
	LastModified                  time.Time
	InProgressInvalidationBatches int
	// Config is shared with the decode cache: read it, never modify it
	// (UpdateDistribution hands Apply a copy).
	Config model.Tree
	// Active signers are computed from the config's trusted signers.
	TrustedSigners   []string
	TrustedKeyGroups []string
}

// Tag is one resource tag.
type Tag struct{ Key, Value string }

// Apply turns the stored config into the updated one: the front-end
// merges the request body into it, and returns here the body's decode
// error (so that existence and If-Match are checked before the body, as
// CloudFront does). It runs inside the store transaction, which may run
// it more than once (store.Store.Update): it must not read the request
// (a body can be read once; the front-end decodes it before the
// transaction), change anything outside its result, or keep state
// between runs.
type Apply func(stored model.Tree) (model.Tree, error)

// CreateDistribution creates a distribution, or returns the existing one
// when the CallerReference was used before with an identical config
// (created=false). The same reference with another config is
// DistributionAlreadyExists.
func (c *Control) CreateDistribution(ctx context.Context, cfg model.Tree, tags []Tag) (d *Distribution, created bool, err error) {
	return c.createDistribution(ctx, cfg, tags, nil)
}

// createDistribution creates a distribution; copyCheck, when not nil,
// runs first in the transaction (CopyDistribution: the primary is still
// the version its If-Match named).
func (c *Control) createDistribution(ctx context.Context, cfg model.Tree, tags []Tag, copyCheck func(store.Txn) error) (d *Distribution, created bool, err error) {
	model.FillDefaults(cfg)
	parsed, err := model.ParseDistributionConfig(cfg)
	if err != nil {
		return nil, false, err
	}
	if err := model.CheckIncomingDistributionConfig(cfg); err != nil {
		return nil, false, err
	}
	if err := c.checkDistributionLimits(parsed); err != nil {
		return nil, false, err
	}
	if err := checkUnservedReferences(cfg, parsed, c.settings.Certificates); err != nil {
		return nil, false, err
	}
	if err := validateNewTags(tags, c.settings.Quotas.TagsPerResource); err != nil {
		return nil, false, err
	}
	var existingID, id string
	_, err = c.store.Update(ctx, func(tx store.Txn) error {
		existingID, id = "", ""
		if copyCheck != nil {
			if err := copyCheck(tx); err != nil {
				return err
			}
		}
		refKey := model.CallerRefDistributionPrefix + parsed.CallerReference
		if kv, ok, err := tx.Get(refKey); err != nil {
			return err
		} else if ok {
			rec, err := c.getDist(tx, string(kv.Value))
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(rec.Config, cfg) {
				return model.Errorf("DistributionAlreadyExists", "The caller reference that you are using to create a distribution is associated with another distribution.")
			}
			existingID = rec.ID
			return nil
		}
		n, err := countKeys(tx, model.DistributionPrefix)
		if err != nil {
			return err
		}
		if n >= c.settings.Quotas.Distributions {
			return model.Errorf("TooManyDistributions", "Processing your request would cause you to exceed the maximum number of distributions allowed.")
		}
		if err := c.checkStoredReferences(tx, distKey(id), cfg, parsed); err != nil {
			return err
		}
		id = newID("E")
		if err := c.checkContinuousDeployment(tx, id, parsed, nil); err != nil {
			return err
		}
		if err := claimAliases(tx, distKey(id), parsed.Aliases); err != nil {
			return err
		}
		rec := model.DistributionRecord{ID: id, DomainName: c.newDomainName("d"), LastModified: c.now().UTC(), Config: cfg}
		if err := putJSON(tx, distKey(id), rec); err != nil {
			return err
		}
		if err := tx.Put(refKey, []byte(id)); err != nil {
			return err
		}
		if err := syncIndex(tx, distKey(id), nil, distIndexKeys(id, parsed)); err != nil {
			return err
		}
		if len(tags) > 0 {
			return putJSON(tx, tagsKey("distribution/"+id), tags)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if existingID != "" {
		d, err := c.GetDistribution(ctx, existingID)
		return d, false, err
	}
	d, err = c.GetDistribution(ctx, id)
	if d != nil {
		d.Status = "InProgress" // as of the commit, as CloudFront answers a create
	}
	return d, true, err
}

func (c *Control) checkDistributionLimits(p *model.DistributionConfig) error {
	q := c.settings.Quotas
	switch {
	case len(p.Aliases) > q.AliasesPerDistribution:
		return model.Errorf("TooManyDistributionCNAMEs", "Your request contains more CNAMEs than are allowed per distribution.")
	case len(p.Origins) > q.Origins:
		return model.Errorf("TooManyOrigins", "You cannot create more origins for the distribution.")
	case len(p.Behaviors) > q.CacheBehaviors:
		return model.Errorf("TooManyCacheBehaviors", "You cannot create more cache behaviors for the distribution.")
	case len(p.OriginGroups) > q.OriginGroupsPerDistribution:
		return model.Errorf("TooManyOriginGroupsPerDistribution", "Processing your request would cause you to exceed the maximum number of origin groups allowed.")
	}
	for _, b := range p.AllBehaviors() {
		if len(b.TrustedKeyGroups) > q.KeyGroupsPerBehavior {
			return model.Errorf("TooManyKeyGroupsAssociatedToDistribution", "The number of key groups referenced by this distribution is more than the maximum allowed (%d per cache behavior).", q.KeyGroupsPerBehavior)
		}
	}
	return nil
}

// checkOAIs fails with InvalidOriginAccessIdentity when an S3 origin names
// a malformed or unknown origin access identity.
func (c *Control) checkOAIs(tx store.ReadTxn, p *model.DistributionConfig) error {
	ids, malformed := p.OAIReferences()
	if malformed != "" {
		return model.Errorf("InvalidOriginAccessIdentity", "The origin access identity is not valid or doesn't exist: %q.", malformed)
	}
	for _, id := range ids {
		if _, ok, err := tx.Get(oaiKey(id)); err != nil {
			return err
		} else if !ok {
			return model.Errorf("InvalidOriginAccessIdentity", "The origin access identity is not valid or doesn't exist: %q.", "origin-access-identity/cloudfront/"+id)
		}
	}
	return nil
}

// distIndexKeys are the index keys a distribution owns: its aliases and the
// OAIs, key groups, OACs, custom policies and real-time log configurations
// it references.
func distIndexKeys(id string, p *model.DistributionConfig) []string {
	keys := aliasKeys(p.Aliases)
	oais, _ := p.OAIReferences()
	for _, o := range oais {
		keys = append(keys, oaiRefKey(o, distKey(id)))
	}
	for _, kg := range trustedKeyGroups(p) {
		keys = append(keys, keyGroupRefKey(kg, distKey(id)))
	}
	for _, o := range oacReferences(p) {
		keys = append(keys, oacRefKey(o, distKey(id)))
	}
	keys = append(keys, realtimeLogRefKeys(p, distKey(id))...)
	keys = append(keys, functionRefKeys(p, distKey(id))...)
	keys = append(keys, fleConfigRefKeys(p, distKey(id))...)
	keys = append(keys, cdPolicyRefKeys(p, distKey(id))...)
	return append(keys, policyRefKeys(p, distKey(id))...)
}

func (c *Control) getDist(tx store.ReadTxn, id string) (*model.DistributionRecord, error) {
	kv, ok, err := tx.Get(distKey(id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNotFound("NoSuchDistribution", "distribution")
	}
	return decode[model.DistributionRecord](c, kv)
}

// GetDistribution returns a distribution with its status.
func (c *Control) GetDistribution(ctx context.Context, id string) (*Distribution, error) {
	var d *Distribution
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kv, ok, err := tx.Get(distKey(id))
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("NoSuchDistribution", "distribution")
		}
		applied := c.applied(ctx)
		d, err = c.distView(ctx, c.newDeployment(tx), kv, applied)
		if err != nil {
			return err
		}
		d.InProgressInvalidationBatches, err = c.inProgressInvalidations(tx, id, applied)
		return err
	})
	return d, err
}

// distView is the distribution stored in kv as the API shows it: Deployed
// once the fleet has applied it and everything it uses (deployed.go).
func (c *Control) distView(ctx context.Context, dp *deployment, kv store.KV, applied int64) (*Distribution, error) {
	rec, err := decode[model.DistributionRecord](c, kv)
	if err != nil {
		return nil, err
	}
	// Configs stored before defaults were filled on write are shown whole
	// too (an upgraded data dir must not crash Terraform's provider).
	model.FillDefaults(rec.Config)
	rev, err := dp.revision(kv, rec)
	if err != nil {
		return nil, err
	}
	d := &Distribution{
		ID:           rec.ID,
		ARN:          c.arn(ctx, "distribution", rec.ID),
		ETag:         etag(rec.ID, kv.ModRevision),
		Status:       "InProgress",
		DomainName:   rec.DomainName,
		LastModified: rec.LastModified,
		Config:       rec.Config,
	}
	if rev <= applied {
		d.Status = "Deployed"
	}
	for _, b := range append([]model.Tree{model.Sub(rec.Config, "DefaultCacheBehavior")}, model.StructItems(rec.Config, "CacheBehaviors")...) {
		if model.Bool(b, "TrustedSigners", "Enabled") {
			d.TrustedSigners = appendNew(d.TrustedSigners, model.StringItems(b, "TrustedSigners")...)
		}
		if model.Bool(b, "TrustedKeyGroups", "Enabled") {
			d.TrustedKeyGroups = appendNew(d.TrustedKeyGroups, model.StringItems(b, "TrustedKeyGroups")...)
		}
	}
	return d, nil
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

// UpdateDistribution replaces a distribution's config. Checks run in
// CloudFront's order: existence, If-Match present, If-Match current, then
// the body (apply's error) and the config's rules.
func (c *Control) UpdateDistribution(ctx context.Context, id, ifMatch string, apply Apply) (*Distribution, error) {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, distKey(id), id, ifMatch, errNotFound("NoSuchDistribution", "distribution"))
		if err != nil {
			return err
		}
		rec, err := decode[model.DistributionRecord](c, kv)
		if err != nil {
			return err
		}
		next, err := apply(model.Clone(rec.Config))
		if err != nil {
			return err
		}
		return c.putUpdatedDistribution(tx, id, rec, next)
	})
	if err != nil {
		return nil, err
	}
	d, err := c.GetDistribution(ctx, id)
	if d != nil {
		d.Status = "InProgress" // as of the commit: the edges have yet to apply it
	}
	return d, err
}

// putUpdatedDistribution checks next, the new config of the stored
// distribution rec, against CloudFront's rules and writes it.
func (c *Control) putUpdatedDistribution(tx store.Txn, id string, rec *model.DistributionRecord, next model.Tree) error {
	model.FillDefaults(next)
	parsed, err := model.ParseDistributionConfig(next)
	if err != nil {
		return err
	}
	if parsed.CallerReference != model.StrOr(rec.Config, "", "CallerReference") {
		return model.Errorf("IllegalUpdate", "Origin and CallerReference cannot be updated.")
	}
	if err := model.CheckIncomingDistributionConfig(next); err != nil {
		return err
	}
	if err := c.checkDistributionLimits(parsed); err != nil {
		return err
	}
	if err := checkUnservedReferences(next, parsed, c.settings.Certificates); err != nil {
		return err
	}
	if err := c.checkStoredReferences(tx, distKey(id), next, parsed); err != nil {
		return err
	}
	if err := claimAliases(tx, distKey(id), parsed.Aliases); err != nil {
		return err
	}
	oldParsed, err := model.ParseDistributionConfig(rec.Config)
	if err != nil {
		return err
	}
	if err := c.checkContinuousDeployment(tx, id, parsed, oldParsed); err != nil {
		return err
	}
	if err := syncIndex(tx, distKey(id), distIndexKeys(id, oldParsed), distIndexKeys(id, parsed)); err != nil {
		return err
	}
	updated := model.DistributionRecord{ID: id, DomainName: rec.DomainName, LastModified: c.now().UTC(), Config: next}
	return putJSON(tx, distKey(id), updated)
}

// checkStoredReferences checks, in the transaction, a distribution
// config's references to resources in the store (OAIs, functions, cache
// and origin request policies, key groups, real-time log and field-level
// encryption configs); self is the distribution's key ("dist/" while it
// is being created), which does not count against its own in-use quotas.
// Create and update share it so that a new kind of reference is checked
// on both.
func (c *Control) checkStoredReferences(tx store.Txn, self string, cfg model.Tree, parsed *model.DistributionConfig) error {
	if err := c.checkOAIs(tx, parsed); err != nil {
		return err
	}
	if err := c.checkFunctionAssociations(tx, self, cfg); err != nil {
		return err
	}
	if err := checkReferences(tx, parsed); err != nil {
		return err
	}
	if err := c.checkRealtimeLogRefs(tx, parsed); err != nil {
		return err
	}
	return c.checkFLERefs(tx, parsed, self)
}

// DeleteDistribution deletes a disabled, deployed distribution, with its
// invalidations, tags and index keys.
func (c *Control) DeleteDistribution(ctx context.Context, id, ifMatch string) error {
	applied := c.applied(ctx)
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, distKey(id), id, ifMatch, errNotFound("NoSuchDistribution", "distribution"))
		if err != nil {
			return err
		}
		rec, err := decode[model.DistributionRecord](c, kv)
		if err != nil {
			return err
		}
		// Disabled and Deployed, as GetDistribution says (deployed.go).
		rev, err := c.newDeployment(tx).revision(kv, rec)
		if err != nil {
			return err
		}
		if model.Bool(rec.Config, "Enabled") || rev > applied {
			return model.Errorf("DistributionNotDisabled", "The distribution you are trying to delete has not been disabled.")
		}
		if err := checkStagingDelete(tx, id); err != nil {
			return err
		}
		parsed, err := model.ParseDistributionConfig(rec.Config)
		if err != nil {
			return err
		}
		if err := syncIndex(tx, distKey(id), distIndexKeys(id, parsed), nil); err != nil {
			return err
		}
		invals, err := tx.List(invalPrefix(id))
		if err != nil {
			return err
		}
		for _, inv := range invals {
			if err := tx.Delete(inv.Key); err != nil {
				return err
			}
		}
		if err := deletePrefix(tx, model.CallerRefInvalidationPrefix+id+"/"); err != nil {
			return err
		}
		if err := tx.Delete(model.CallerRefDistributionPrefix + model.StrOr(rec.Config, "", "CallerReference")); err != nil {
			return err
		}
		if err := tx.Delete(tagsKey("distribution/" + id)); err != nil {
			return err
		}
		if err := tx.Delete(model.MonitoringSubscriptionKey(id)); err != nil {
			return err
		}
		return tx.Delete(distKey(id))
	})
	if err == nil {
		c.forget(distKey(id))
	}
	return err
}

// ListDistributions lists distributions in creation order; when webACLID
// is not nil only those whose WebACLId equals it ("" for none).
func (c *Control) ListDistributions(ctx context.Context, opts ListOptions, webACLID *string) ([]*Distribution, Page, error) {
	if webACLID == nil {
		return c.listDistributions(ctx, opts, nil)
	}
	return c.listDistributions(ctx, opts, func(tx store.ReadTxn, kv store.KV) (bool, error) {
		rec, err := decodeAt[model.DistributionRecord](c, tx, kv)
		if err != nil {
			return false, err
		}
		return model.StrOr(rec.Config, "", "WebACLId") == *webACLID, nil
	})
}

// ListDistributionsWithIDs lists, in creation order, the distributions
// whose ids are in ids.
func (c *Control) ListDistributionsWithIDs(ctx context.Context, opts ListOptions, ids map[string]bool) ([]*Distribution, Page, error) {
	return c.listDistributions(ctx, opts, func(_ store.ReadTxn, kv store.KV) (bool, error) {
		return ids[strings.TrimPrefix(kv.Key, model.DistributionPrefix)], nil
	})
}

// listDistributions lists the distributions keep keeps (all when nil).
func (c *Control) listDistributions(ctx context.Context, opts ListOptions, keep func(store.ReadTxn, store.KV) (bool, error)) ([]*Distribution, Page, error) {
	var items []*Distribution
	var pg Page
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		// Keys only: a value is read (and decoded) only when the decode
		// cache does not already hold that revision of it.
		kvs, err := tx.ListKeys(model.DistributionPrefix)
		if err != nil {
			return err
		}
		slices.SortFunc(kvs, func(a, b store.KV) int { return cmp.Compare(a.CreateRevision, b.CreateRevision) })
		if keep != nil {
			kept := kvs[:0]
			for _, kv := range kvs {
				ok, err := keep(tx, kv)
				if err != nil {
					return err
				}
				if ok {
					kept = append(kept, kv)
				}
			}
			kvs = kept
		}
		// Cut the page first: only the returned items need a full view.
		kvPage, next, truncated := page(kvs, func(kv store.KV) string { return strings.TrimPrefix(kv.Key, model.DistributionPrefix) }, opts.Marker, opts.MaxItems)
		pg = Page{Marker: opts.Marker, NextMarker: next, MaxItems: opts.MaxItems, IsTruncated: truncated}
		applied := c.applied(ctx)
		dp := c.newDeployment(tx) // one per list: shared records are read once
		for _, kv := range kvPage {
			if kv, err = withValue(tx, kv); err != nil {
				return err
			}
			d, err := c.distView(ctx, dp, kv, applied)
			if err != nil {
				return err
			}
			items = append(items, d)
		}
		return nil
	})
	if err != nil {
		return nil, Page{}, err
	}
	return items, pg, nil
}

func countKeys(tx store.ReadTxn, prefix string) (int, error) {
	kvs, err := tx.ListKeys(prefix)
	return len(kvs), err
}

func deletePrefix(tx store.Txn, prefix string) error {
	kvs, err := tx.List(prefix)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		if err := tx.Delete(kv.Key); err != nil {
			return err
		}
	}
	return nil
}

// parseARN splits a distribution or streaming-distribution ARN
// into its resource ("distribution/<id>") part.
func (c *Control) parseARN(arn string) (resource string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "cloudfront" {
		return "", false
	}
	kind, id, found := strings.Cut(parts[5], "/")
	if !found || id == "" || (kind != "distribution" && kind != "streaming-distribution") {
		return "", false
	}
	return parts[5], true
}
