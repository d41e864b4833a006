package control

import (
	"context"
	"reflect"
	"time"

	"openfront/internal/model"
	"openfront/internal/store"
)

func sdistKey(id string) string { return model.StreamingDistributionKey(id) }

// StreamingDistribution is a streaming (RTMP) distribution as the API
// shows it.
type StreamingDistribution struct {
	ID             string
	ARN            string
	ETag           string
	Status         string
	DomainName     string
	LastModified   time.Time
	Config         model.Tree
	TrustedSigners []string
}

func sdistIndexKeys(id string, p *model.StreamingDistributionConfig) []string {
	keys := aliasKeys(p.Aliases)
	if oai, ok := model.ParseOAIReference(p.OAI); ok {
		keys = append(keys, oaiRefKey(oai, sdistKey(id)))
	}
	return keys
}

func (c *Control) checkStreamingOAI(tx store.ReadTxn, p *model.StreamingDistributionConfig) error {
	if oai, ok := model.ParseOAIReference(p.OAI); ok {
		if _, found, err := tx.Get(oaiKey(oai)); err != nil {
			return err
		} else if !found {
			return model.Errorf("InvalidOriginAccessIdentity", "The origin access identity is not valid or doesn't exist: %q.", p.OAI)
		}
	}
	return nil
}

// CreateStreamingDistribution creates a streaming distribution (idempotent
// by CallerReference, like CreateDistribution).
func (c *Control) CreateStreamingDistribution(ctx context.Context, cfg model.Tree, tags []Tag) (*StreamingDistribution, bool, error) {
	model.FillStreamingDefaults(cfg)
	parsed, err := model.ParseStreamingDistributionConfig(cfg)
	if err != nil {
		return nil, false, err
	}
	if len(parsed.Aliases) > c.settings.Quotas.AliasesPerDistribution {
		return nil, false, model.Errorf("TooManyStreamingDistributionCNAMEs", "Your request contains more CNAMEs than are allowed per distribution.")
	}
	if err := validateNewTags(tags, c.settings.Quotas.TagsPerResource); err != nil {
		return nil, false, err
	}
	var existingID, id string
	_, err = c.store.Update(ctx, func(tx store.Txn) error {
		existingID, id = "", ""
		refKey := model.CallerRefStreamingDistributionPrefix + parsed.CallerReference
		if kv, ok, err := tx.Get(refKey); err != nil {
			return err
		} else if ok {
			rec, err := c.getSdist(tx, string(kv.Value))
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(rec.Config, cfg) {
				return model.Errorf("StreamingDistributionAlreadyExists", "The caller reference you attempted to create the streaming distribution with is associated with another distribution.")
			}
			existingID = rec.ID
			return nil
		}
		n, err := countKeys(tx, model.StreamingDistributionPrefix)
		if err != nil {
			return err
		}
		if n >= c.settings.Quotas.StreamingDistributions {
			return model.Errorf("TooManyStreamingDistributions", "Processing your request would cause you to exceed the maximum number of streaming distributions allowed.")
		}
		if err := c.checkStreamingOAI(tx, parsed); err != nil {
			return err
		}
		id = newID("E")
		if err := claimAliases(tx, sdistKey(id), parsed.Aliases); err != nil {
			return err
		}
		rec := model.StreamingDistributionRecord{ID: id, DomainName: c.newDomainName("s"), LastModified: c.now().UTC(), Config: cfg}
		if err := putJSON(tx, sdistKey(id), rec); err != nil {
			return err
		}
		if err := tx.Put(refKey, []byte(id)); err != nil {
			return err
		}
		if err := syncIndex(tx, sdistKey(id), nil, sdistIndexKeys(id, parsed)); err != nil {
			return err
		}
		if len(tags) > 0 {
			return putJSON(tx, tagsKey("streaming-distribution/"+id), tags)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if existingID != "" {
		d, err := c.GetStreamingDistribution(ctx, existingID)
		return d, false, err
	}
	d, err := c.GetStreamingDistribution(ctx, id)
	if d != nil {
		d.Status = "InProgress" // as of the commit, as CloudFront answers a create
	}
	return d, true, err
}

func (c *Control) getSdist(tx store.ReadTxn, id string) (*model.StreamingDistributionRecord, error) {
	kv, ok, err := tx.Get(sdistKey(id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNotFound("NoSuchStreamingDistribution", "streaming distribution")
	}
	return decode[model.StreamingDistributionRecord](c, kv)
}

func (c *Control) sdistView(ctx context.Context, kv store.KV, applied int64) (*StreamingDistribution, error) {
	rec, err := decode[model.StreamingDistributionRecord](c, kv)
	if err != nil {
		return nil, err
	}
	model.FillStreamingDefaults(rec.Config) // configs stored before defaults were filled on write
	d := &StreamingDistribution{
		ID:           rec.ID,
		ARN:          c.arn(ctx, "streaming-distribution", rec.ID),
		ETag:         etag(rec.ID, kv.ModRevision),
		Status:       "InProgress",
		DomainName:   rec.DomainName,
		LastModified: rec.LastModified,
		Config:       rec.Config,
	}
	if kv.ModRevision <= applied {
		d.Status = "Deployed"
	}
	if model.Bool(rec.Config, "TrustedSigners", "Enabled") {
		d.TrustedSigners = model.StringItems(rec.Config, "TrustedSigners")
	}
	return d, nil
}

// GetStreamingDistribution returns a streaming distribution with its status.
func (c *Control) GetStreamingDistribution(ctx context.Context, id string) (*StreamingDistribution, error) {
	var d *StreamingDistribution
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kv, ok, err := tx.Get(sdistKey(id))
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("NoSuchStreamingDistribution", "streaming distribution")
		}
		d, err = c.sdistView(ctx, kv, c.applied(ctx))
		return err
	})
	return d, err
}

// UpdateStreamingDistribution replaces a streaming distribution's config;
// its CallerReference and S3 origin domain cannot change (IllegalUpdate).
func (c *Control) UpdateStreamingDistribution(ctx context.Context, id, ifMatch string, apply Apply) (*StreamingDistribution, error) {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, sdistKey(id), id, ifMatch, errNotFound("NoSuchStreamingDistribution", "streaming distribution"))
		if err != nil {
			return err
		}
		rec, err := decode[model.StreamingDistributionRecord](c, kv)
		if err != nil {
			return err
		}
		next, err := apply(model.Clone(rec.Config))
		if err != nil {
			return err
		}
		model.FillStreamingDefaults(next)
		parsed, err := model.ParseStreamingDistributionConfig(next)
		if err != nil {
			return err
		}
		old, err := model.ParseStreamingDistributionConfig(rec.Config)
		if err != nil {
			return err
		}
		if parsed.CallerReference != old.CallerReference || parsed.S3DomainName != old.S3DomainName {
			return model.Errorf("IllegalUpdate", "Origin and CallerReference cannot be updated.")
		}
		if len(parsed.Aliases) > c.settings.Quotas.AliasesPerDistribution {
			return model.Errorf("TooManyStreamingDistributionCNAMEs", "Your request contains more CNAMEs than are allowed per distribution.")
		}
		if err := c.checkStreamingOAI(tx, parsed); err != nil {
			return err
		}
		if err := claimAliases(tx, sdistKey(id), parsed.Aliases); err != nil {
			return err
		}
		if err := syncIndex(tx, sdistKey(id), sdistIndexKeys(id, old), sdistIndexKeys(id, parsed)); err != nil {
			return err
		}
		return putJSON(tx, sdistKey(id), model.StreamingDistributionRecord{ID: id, DomainName: rec.DomainName, LastModified: c.now().UTC(), Config: next})
	})
	if err != nil {
		return nil, err
	}
	d, err := c.GetStreamingDistribution(ctx, id)
	if d != nil {
		d.Status = "InProgress" // as of the commit: the edges have yet to apply it
	}
	return d, err
}

// DeleteStreamingDistribution deletes a disabled, deployed streaming
// distribution.
func (c *Control) DeleteStreamingDistribution(ctx context.Context, id, ifMatch string) error {
	applied := c.applied(ctx)
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, sdistKey(id), id, ifMatch, errNotFound("NoSuchStreamingDistribution", "streaming distribution"))
		if err != nil {
			return err
		}
		rec, err := decode[model.StreamingDistributionRecord](c, kv)
		if err != nil {
			return err
		}
		if model.Bool(rec.Config, "Enabled") || kv.ModRevision > applied {
			return model.Errorf("StreamingDistributionNotDisabled", "The specified streaming distribution has not been disabled.")
		}
		parsed, err := model.ParseStreamingDistributionConfig(rec.Config)
		if err != nil {
			return err
		}
		if err := syncIndex(tx, sdistKey(id), sdistIndexKeys(id, parsed), nil); err != nil {
			return err
		}
		if err := tx.Delete(model.CallerRefStreamingDistributionPrefix + parsed.CallerReference); err != nil {
			return err
		}
		if err := tx.Delete(tagsKey("streaming-distribution/" + id)); err != nil {
			return err
		}
		return tx.Delete(sdistKey(id))
	})
	if err == nil {
		c.forget(sdistKey(id))
	}
	return err
}

// ListStreamingDistributions lists streaming distributions in creation order.
func (c *Control) ListStreamingDistributions(ctx context.Context, opts ListOptions) ([]*StreamingDistribution, Page, error) {
	applied := c.applied(ctx)
	return listPage(ctx, c, model.StreamingDistributionPrefix, opts, func(tx store.ReadTxn, kv store.KV) (*StreamingDistribution, error) {
		return c.sdistView(ctx, kv, applied)
	}, func(v *StreamingDistribution) string { return v.ID })
}
