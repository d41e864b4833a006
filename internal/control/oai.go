package control

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"reflect"

	"openfront/internal/model"
	"openfront/internal/store"
)

func oaiKey(id string) string { return model.OAIKey(id) }

// oaiRefKey marks that owner (dist/<id> or sdist/<id>) references the OAI.
func oaiRefKey(oai, owner string) string { return model.RefKey(model.OAIRefPrefix, oai, owner) }

// OAI is an origin access identity as the API shows it.
type OAI struct {
	ID                string
	ETag              string
	S3CanonicalUserID string
	Config            model.Tree
}

func (c *Control) oaiView(kv store.KV) (*OAI, error) {
	rec, err := decode[model.OAIRecord](c, kv)
	if err != nil {
		return nil, err
	}
	return &OAI{ID: rec.ID, ETag: etag(rec.ID, kv.ModRevision), S3CanonicalUserID: rec.S3CanonicalUserID, Config: rec.Config}, nil
}

func checkOAIConfig(cfg model.Tree) error {
	if len(model.StrOr(cfg, "", "Comment")) > 128 {
		return model.Errorf("InvalidArgument", "The parameter Comment is too long (maximum 128 characters).")
	}
	return nil
}

// CreateOAI creates an origin access identity (idempotent by
// CallerReference).
func (c *Control) CreateOAI(ctx context.Context, cfg model.Tree) (*OAI, bool, error) {
	if err := checkOAIConfig(cfg); err != nil {
		return nil, false, err
	}
	ref := model.StrOr(cfg, "", "CallerReference")
	var id string
	created := false
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		created = false
		refKey := model.CallerRefOAIPrefix + ref
		if kv, ok, err := tx.Get(refKey); err != nil {
			return err
		} else if ok {
			id = string(kv.Value)
			okv, found, err := tx.Get(oaiKey(id))
			if err != nil || !found {
				return err
			}
			rec, err := decode[model.OAIRecord](c, okv)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(rec.Config, cfg) {
				return model.Errorf("CloudFrontOriginAccessIdentityAlreadyExists", "If the CallerReference is a value you already sent in a previous request to create an identity but the content of the CloudFrontOriginAccessIdentityConfig is different from the original request, CloudFront returns this error.")
			}
			return nil
		}
		n, err := countKeys(tx, model.OAIPrefix)
		if err != nil {
			return err
		}
		if n >= c.settings.Quotas.OAIs {
			return model.Errorf("TooManyCloudFrontOriginAccessIdentities", "Processing your request would cause you to exceed the maximum number of origin access identities allowed.")
		}
		id = newID("E")
		sum := sha512.Sum384([]byte("openfront-oai/" + id))
		rec := model.OAIRecord{ID: id, S3CanonicalUserID: hex.EncodeToString(sum[:]), Config: cfg}
		if err := putJSON(tx, oaiKey(id), rec); err != nil {
			return err
		}
		created = true
		return tx.Put(refKey, []byte(id))
	})
	if err != nil {
		return nil, false, err
	}
	o, err := c.GetOAI(ctx, id)
	return o, created, err
}

// GetOAI returns an origin access identity.
func (c *Control) GetOAI(ctx context.Context, id string) (*OAI, error) {
	var o *OAI
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kv, ok, err := tx.Get(oaiKey(id))
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("NoSuchCloudFrontOriginAccessIdentity", "origin access identity")
		}
		o, err = c.oaiView(kv)
		return err
	})
	return o, err
}

// UpdateOAI replaces an OAI's config; its CallerReference cannot change.
func (c *Control) UpdateOAI(ctx context.Context, id, ifMatch string, apply Apply) (*OAI, error) {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, oaiKey(id), id, ifMatch, errNotFound("NoSuchCloudFrontOriginAccessIdentity", "origin access identity"))
		if err != nil {
			return err
		}
		rec, err := decode[model.OAIRecord](c, kv)
		if err != nil {
			return err
		}
		next, err := apply(model.Clone(rec.Config))
		if err != nil {
			return err
		}
		if err := checkOAIConfig(next); err != nil {
			return err
		}
		if model.StrOr(next, "", "CallerReference") != model.StrOr(rec.Config, "", "CallerReference") {
			return model.Errorf("IllegalUpdate", "The CallerReference of an origin access identity cannot be updated.")
		}
		return putJSON(tx, oaiKey(id), model.OAIRecord{ID: id, S3CanonicalUserID: rec.S3CanonicalUserID, Config: next})
	})
	if err != nil {
		return nil, err
	}
	return c.GetOAI(ctx, id)
}

// DeleteOAI deletes an OAI that no distribution references.
func (c *Control) DeleteOAI(ctx context.Context, id, ifMatch string) error {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, oaiKey(id), id, ifMatch, errNotFound("NoSuchCloudFrontOriginAccessIdentity", "origin access identity"))
		if err != nil {
			return err
		}
		refs, err := tx.List(model.RefsPrefix(model.OAIRefPrefix, id))
		if err != nil {
			return err
		}
		if len(refs) > 0 {
			return model.Errorf("CloudFrontOriginAccessIdentityInUse", "The Origin Access Identity specified is already in use.")
		}
		rec, err := decode[model.OAIRecord](c, kv)
		if err != nil {
			return err
		}
		if err := tx.Delete(model.CallerRefOAIPrefix + model.StrOr(rec.Config, "", "CallerReference")); err != nil {
			return err
		}
		return tx.Delete(oaiKey(id))
	})
	if err == nil {
		c.forget(oaiKey(id))
	}
	return err
}

// ListOAIs lists origin access identities in creation order.
func (c *Control) ListOAIs(ctx context.Context, opts ListOptions) ([]*OAI, Page, error) {
	return listPage(ctx, c, model.OAIPrefix, opts, func(tx store.ReadTxn, kv store.KV) (*OAI, error) {
		return c.oaiView(kv)
	}, func(v *OAI) string { return v.ID })
}
