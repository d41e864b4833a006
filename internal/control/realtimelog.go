package control

import (
	"context"
	"strings"

	"openfront/internal/model"
	"openfront/internal/store"
)

// Real-time log configurations ("Use real-time logs", Amazon CloudFront
// Developer Guide) are named resources: rtlogconfig/<name>. A cache
// behaviour names one by ARN; rtlogref/<name>/dist/<id> marks each
// distribution that does, so that a configuration in use cannot be
// deleted (RealtimeLogConfigInUse) and ListDistributionsByRealtimeLogConfig
// reads an index.

// maxRealtimeLogConfigs is CloudFront's quota of real-time log
// configurations per account ("Quotas on real-time log configurations",
// Amazon CloudFront Developer Guide).
const maxRealtimeLogConfigs = 15

func rtlogRefKey(name, owner string) string {
	return model.RefKey(model.RealtimeLogConfigRefPrefix, name, owner)
}

// rtlogRefsPrefix lists the distributions (dist/<id>) that name the
// configuration.
func rtlogRefsPrefix(name string) string {
	return model.RefsPrefix(model.RealtimeLogConfigRefPrefix, name)
}

// RealtimeLogConfigRef names a configuration by Name or ARN, as the Get,
// Update, Delete and ListDistributionsBy operations take it; when both are
// given they must agree.
type RealtimeLogConfigRef struct{ Name, ARN string }

// resolve returns the configuration name of the reference.
func (c *Control) resolveRealtimeLogConfig(ref RealtimeLogConfigRef) (string, error) {
	if ref.Name == "" && ref.ARN == "" {
		return "", model.Errorf("InvalidArgument", "Specify the real-time log configuration's Name or ARN.")
	}
	name := ref.Name
	if ref.ARN != "" {
		n, err := c.realtimeLogConfigNameOf(ref.ARN)
		if err != nil {
			return "", err
		}
		if name != "" && name != n {
			return "", model.Errorf("InvalidArgument", "The Name %q and the ARN %q name different real-time log configurations.", name, ref.ARN)
		}
		name = n
	}
	return name, nil
}

// realtimeLogConfigNameOf checks that arn is a real-time log configuration
// ARN of this account and returns its name.
func (c *Control) realtimeLogConfigNameOf(arn string) (string, error) {
	name, ok := model.RealtimeLogConfigNameOf(arn)
	if !ok {
		return "", model.Errorf("InvalidArgument", "%q is not a real-time log configuration ARN (arn:aws:cloudfront::<account>:realtime-log-config/<name>).", arn)
	}
	if account := strings.Split(arn, ":")[4]; account != c.settings.AccountID {
		return "", model.Errorf("RealtimeLogConfigOwnerMismatch", "The real-time log configuration %q belongs to another account.", arn)
	}
	return name, nil
}

// CreateRealtimeLogConfig stores a new configuration; cfg is the
// CreateRealtimeLogConfigRequest.
func (c *Control) CreateRealtimeLogConfig(ctx context.Context, cfg model.Tree) (*model.RealtimeLogConfigRecord, error) {
	rec, err := model.ParseRealtimeLogConfig(cfg)
	if err != nil {
		return nil, err
	}
	rec.ARN = c.arn(ctx, "realtime-log-config", rec.Name)
	_, err = c.store.Update(ctx, func(tx store.Txn) error {
		if _, ok, err := tx.Get(model.RealtimeLogConfigKey(rec.Name)); err != nil {
			return err
		} else if ok {
			return model.Errorf("RealtimeLogConfigAlreadyExists", "A real-time log configuration named %q already exists.", rec.Name)
		}
		if n, err := countKeys(tx, model.RealtimeLogConfigPrefix); err != nil {
			return err
		} else if n >= maxRealtimeLogConfigs {
			return model.Errorf("TooManyRealtimeLogConfigs", "You have reached the maximum number of real-time log configurations (%d).", maxRealtimeLogConfigs)
		}
		return putJSON(tx, model.RealtimeLogConfigKey(rec.Name), rec)
	})
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

func (c *Control) getRealtimeLogConfig(tx store.ReadTxn, name string) (*model.RealtimeLogConfigRecord, error) {
	kv, ok, err := tx.Get(model.RealtimeLogConfigKey(name))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNoSuchRealtimeLogConfig(name)
	}
	return decode[model.RealtimeLogConfigRecord](c, kv)
}

// GetRealtimeLogConfig returns a configuration by name or ARN.
func (c *Control) GetRealtimeLogConfig(ctx context.Context, ref RealtimeLogConfigRef) (*model.RealtimeLogConfigRecord, error) {
	name, err := c.resolveRealtimeLogConfig(ref)
	if err != nil {
		return nil, err
	}
	var rec *model.RealtimeLogConfigRecord
	err = c.store.View(ctx, func(tx store.ReadTxn) error {
		rec, err = c.getRealtimeLogConfig(tx, name)
		return err
	})
	return rec, err
}

// UpdateRealtimeLogConfig replaces a configuration's sampling rate, fields
// and endpoints. The API has no ETag for these: the request carries the
// whole configuration (UpdateRealtimeLogConfig, API Reference: "provide
// all of the configuration's fields, even the ones you are not changing").
func (c *Control) UpdateRealtimeLogConfig(ctx context.Context, cfg model.Tree) (*model.RealtimeLogConfigRecord, error) {
	name, err := c.resolveRealtimeLogConfig(RealtimeLogConfigRef{Name: model.StrOr(cfg, "", "Name"), ARN: model.StrOr(cfg, "", "ARN")})
	if err != nil {
		return nil, err
	}
	var out model.RealtimeLogConfigRecord
	_, err = c.store.Update(ctx, func(tx store.Txn) error {
		old, err := c.getRealtimeLogConfig(tx, name)
		if err != nil {
			return err
		}
		next := model.Clone(cfg)
		next["Name"] = name
		rec, err := model.ParseRealtimeLogConfig(next)
		if err != nil {
			return err
		}
		rec.ARN = old.ARN
		out = rec
		return putJSON(tx, model.RealtimeLogConfigKey(name), rec)
	})
	if err != nil {
		return nil, err
	}
	c.forget(model.RealtimeLogConfigKey(name))
	return &out, nil
}

// DeleteRealtimeLogConfig deletes a configuration no cache behaviour names.
func (c *Control) DeleteRealtimeLogConfig(ctx context.Context, ref RealtimeLogConfigRef) error {
	name, err := c.resolveRealtimeLogConfig(ref)
	if err != nil {
		return err
	}
	_, err = c.store.Update(ctx, func(tx store.Txn) error {
		if _, err := c.getRealtimeLogConfig(tx, name); err != nil {
			return err
		}
		refs, err := tx.ListKeys(rtlogRefsPrefix(name))
		if err != nil {
			return err
		}
		if len(refs) > 0 {
			return model.Errorf("RealtimeLogConfigInUse", "The real-time log configuration %q is attached to a cache behavior of a distribution.", name)
		}
		return tx.Delete(model.RealtimeLogConfigKey(name))
	})
	if err == nil {
		c.forget(model.RealtimeLogConfigKey(name))
	}
	return err
}

// ListRealtimeLogConfigs lists the configurations in creation order.
func (c *Control) ListRealtimeLogConfigs(ctx context.Context, opts ListOptions) ([]*model.RealtimeLogConfigRecord, Page, error) {
	return listPage(ctx, c, model.RealtimeLogConfigPrefix, opts, func(tx store.ReadTxn, kv store.KV) (*model.RealtimeLogConfigRecord, error) {
		return decode[model.RealtimeLogConfigRecord](c, kv)
	}, func(r *model.RealtimeLogConfigRecord) string { return r.Name })
}

// DistributionsUsingRealtimeLogConfig returns the ids of the distributions
// whose cache behaviours name the configuration (which must exist).
func (c *Control) DistributionsUsingRealtimeLogConfig(ctx context.Context, ref RealtimeLogConfigRef) (map[string]bool, error) {
	name, err := c.resolveRealtimeLogConfig(ref)
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	err = c.store.View(ctx, func(tx store.ReadTxn) error {
		if _, err := c.getRealtimeLogConfig(tx, name); err != nil {
			return err
		}
		kvs, err := tx.ListKeys(rtlogRefsPrefix(name))
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			owner := strings.TrimPrefix(kv.Key, rtlogRefsPrefix(name))
			if id, ok := strings.CutPrefix(owner, model.DistributionPrefix); ok {
				ids[id] = true
			}
		}
		return nil
	})
	return ids, err
}

// checkRealtimeLogRefs fails with NoSuchRealtimeLogConfig (or
// RealtimeLogConfigOwnerMismatch) when a cache behaviour names a
// configuration that is not stored.
func (c *Control) checkRealtimeLogRefs(tx store.ReadTxn, p *model.DistributionConfig) error {
	for _, b := range p.AllBehaviors() {
		arn := b.RealtimeLogConfigARN
		if arn == "" {
			continue
		}
		name, ok := model.RealtimeLogConfigNameOf(arn)
		if !ok {
			return errNoSuchRealtimeLogConfig(arn)
		}
		if account := strings.Split(arn, ":")[4]; account != c.settings.AccountID {
			return model.Errorf("RealtimeLogConfigOwnerMismatch", "The real-time log configuration %q belongs to another account.", arn)
		}
		if _, ok, err := tx.Get(model.RealtimeLogConfigKey(name)); err != nil {
			return err
		} else if !ok {
			return model.Errorf("NoSuchRealtimeLogConfig", "The real-time log configuration %q of cache behavior %q does not exist.", arn, b.PathPattern)
		}
	}
	return nil
}

// realtimeLogRefKeys are the index keys marking the configurations a
// distribution's behaviours name (owner is its key).
func realtimeLogRefKeys(p *model.DistributionConfig, owner string) []string {
	var names []string
	for _, b := range p.AllBehaviors() {
		if name, ok := model.RealtimeLogConfigNameOf(b.RealtimeLogConfigARN); ok {
			names = appendNew(names, name)
		}
	}
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = rtlogRefKey(n, owner)
	}
	return keys
}

func errNoSuchRealtimeLogConfig(name string) error {
	return model.Errorf("NoSuchRealtimeLogConfig", "The real-time log configuration %q does not exist.", name)
}
