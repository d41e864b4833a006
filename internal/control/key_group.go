package control

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"openfront/internal/model"
	"openfront/internal/store"
)

func keyGroupKey(id string) string { return model.KeyGroupKey(id) }

// keyGroupRefKey marks that owner (dist/<id>) trusts the key group in a
// cache behaviour.
func keyGroupRefKey(keyGroup, owner string) string {
	return model.RefKey(model.KeyGroupRefPrefix, keyGroup, owner)
}

func keyGroupNameKey(name string) string { return model.NameKeyGroupPrefix + name }

// KeyGroup is a key group as the API shows it.
type KeyGroup struct {
	ID           string
	ETag         string
	LastModified time.Time
	Config       model.Tree // KeyGroupConfig
}

func (c *Control) keyGroupView(kv store.KV) (*KeyGroup, error) {
	rec, err := decode[model.KeyGroupRecord](c, kv)
	if err != nil {
		return nil, err
	}
	return &KeyGroup{ID: rec.ID, ETag: etag(rec.ID, kv.ModRevision), LastModified: rec.LastModified, Config: keyGroupConfig(rec)}, nil
}

func keyGroupConfig(rec *model.KeyGroupRecord) model.Tree {
	items := make([]any, len(rec.PublicKeyIDs))
	for i, id := range rec.PublicKeyIDs {
		items[i] = id
	}
	t := model.Tree{"Name": rec.Name, "Items": items}
	if rec.Comment != "" {
		t["Comment"] = rec.Comment
	}
	return t
}

// keyGroupRecord reads and checks a KeyGroupConfig; that its keys exist is
// checked in the transaction (checkPublicKeys).
func (c *Control) keyGroupRecord(cfg model.Tree) (*model.KeyGroupRecord, error) {
	rec := &model.KeyGroupRecord{Name: model.StrOr(cfg, "", "Name"), Comment: model.StrOr(cfg, "", "Comment")}
	items, _ := cfg["Items"].([]any)
	for _, it := range items {
		if s, ok := it.(string); ok {
			rec.PublicKeyIDs = append(rec.PublicKeyIDs, s)
		}
	}
	if err := checkNameAndComment(rec.Name, rec.Comment); err != nil {
		return nil, err
	}
	if len(rec.PublicKeyIDs) > c.settings.Quotas.PublicKeysPerKeyGroup {
		return nil, model.Errorf("TooManyPublicKeysInKeyGroup", "The number of public keys in this key group is more than the maximum allowed (%d).", c.settings.Quotas.PublicKeysPerKeyGroup)
	}
	return rec, nil
}

// checkPublicKeys fails with NoSuchPublicKey when the group names a key
// that does not exist.
func checkPublicKeys(tx store.ReadTxn, ids []string) error {
	for _, id := range ids {
		if _, ok, err := tx.Get(publicKeyKey(id)); err != nil {
			return err
		} else if !ok {
			return model.Errorf("NoSuchPublicKey", "The specified public key does not exist: %q.", id)
		}
	}
	return nil
}

// claimKeyGroupName fails with KeyGroupAlreadyExists when another group
// has the name (the name key holds its owner's key, as syncIndex writes).
func claimKeyGroupName(tx store.ReadTxn, id, name string) error {
	kv, ok, err := tx.Get(keyGroupNameKey(name))
	if err != nil {
		return err
	}
	if ok && string(kv.Value) != keyGroupKey(id) {
		return model.Errorf("KeyGroupAlreadyExists", "A key group with the name %q already exists.", name)
	}
	return nil
}

// keyGroupIndexKeys are the index keys a key group owns: its name and the
// public keys it contains.
func keyGroupIndexKeys(rec *model.KeyGroupRecord) []string {
	keys := []string{keyGroupNameKey(rec.Name)}
	for _, pk := range rec.PublicKeyIDs {
		keys = append(keys, pubKeyRefKey(pk, rec.ID))
	}
	return keys
}

// CreateKeyGroup creates a key group of existing public keys. Key groups
// have no CallerReference: the Name is unique (KeyGroupAlreadyExists).
func (c *Control) CreateKeyGroup(ctx context.Context, cfg model.Tree) (*KeyGroup, error) {
	rec, err := c.keyGroupRecord(cfg)
	if err != nil {
		return nil, err
	}
	id := newUUID()
	_, err = c.store.Update(ctx, func(tx store.Txn) error {
		if err := claimKeyGroupName(tx, id, rec.Name); err != nil {
			return err
		}
		n, err := countKeys(tx, model.KeyGroupPrefix)
		if err != nil {
			return err
		}
		if n >= c.settings.Quotas.KeyGroups {
			return model.Errorf("TooManyKeyGroups", "You have reached the maximum number of key groups for this account (%d).", c.settings.Quotas.KeyGroups)
		}
		if err := checkPublicKeys(tx, rec.PublicKeyIDs); err != nil {
			return err
		}
		next := *rec
		next.ID, next.LastModified = id, c.now().UTC()
		if err := putJSON(tx, keyGroupKey(id), next); err != nil {
			return err
		}
		owner := keyGroupKey(id)
		return syncIndex(tx, owner, nil, keyGroupIndexKeys(&next))
	})
	if err != nil {
		return nil, err
	}
	return c.GetKeyGroup(ctx, id)
}

// GetKeyGroup returns a key group; an unknown id is NoSuchResource, the
// code CloudFront uses for key groups ("GetKeyGroup" and "DeleteKeyGroup"
// in the Amazon CloudFront API Reference).
func (c *Control) GetKeyGroup(ctx context.Context, id string) (*KeyGroup, error) {
	var kg *KeyGroup
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kv, ok, err := tx.Get(keyGroupKey(id))
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("NoSuchResource", "key group")
		}
		kg, err = c.keyGroupView(kv)
		return err
	})
	return kg, err
}

// UpdateKeyGroup replaces a key group's config.
func (c *Control) UpdateKeyGroup(ctx context.Context, id, ifMatch string, apply Apply) (*KeyGroup, error) {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, keyGroupKey(id), id, ifMatch, errNotFound("NoSuchResource", "key group"))
		if err != nil {
			return err
		}
		old, err := decode[model.KeyGroupRecord](c, kv)
		if err != nil {
			return err
		}
		cfg, err := apply(keyGroupConfig(old))
		if err != nil {
			return err
		}
		rec, err := c.keyGroupRecord(cfg)
		if err != nil {
			return err
		}
		if err := claimKeyGroupName(tx, id, rec.Name); err != nil {
			return err
		}
		if err := checkPublicKeys(tx, rec.PublicKeyIDs); err != nil {
			return err
		}
		rec.ID, rec.LastModified = id, c.now().UTC()
		if err := syncIndex(tx, keyGroupKey(id), keyGroupIndexKeys(old), keyGroupIndexKeys(rec)); err != nil {
			return err
		}
		return putJSON(tx, keyGroupKey(id), rec)
	})
	if err != nil {
		return nil, err
	}
	return c.GetKeyGroup(ctx, id)
}

// DeleteKeyGroup deletes a key group no cache behaviour trusts
// (ResourceInUse otherwise, "DeleteKeyGroup" in the Amazon CloudFront API Reference).
func (c *Control) DeleteKeyGroup(ctx context.Context, id, ifMatch string) error {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, keyGroupKey(id), id, ifMatch, errNotFound("NoSuchResource", "key group"))
		if err != nil {
			return err
		}
		refs, err := tx.List(model.RefsPrefix(model.KeyGroupRefPrefix, id))
		if err != nil {
			return err
		}
		if len(refs) > 0 {
			return model.Errorf("ResourceInUse", "Cannot delete this resource because it is in use: the key group is trusted by a distribution's cache behavior.")
		}
		rec, err := decode[model.KeyGroupRecord](c, kv)
		if err != nil {
			return err
		}
		if err := syncIndex(tx, keyGroupKey(id), keyGroupIndexKeys(rec), nil); err != nil {
			return err
		}
		return tx.Delete(keyGroupKey(id))
	})
	if err == nil {
		c.forget(keyGroupKey(id))
	}
	return err
}

// ListKeyGroups lists key groups in creation order.
func (c *Control) ListKeyGroups(ctx context.Context, opts ListOptions) ([]*KeyGroup, Page, error) {
	return listPage(ctx, c, model.KeyGroupPrefix, opts, func(tx store.ReadTxn, kv store.KV) (*KeyGroup, error) {
		return c.keyGroupView(kv)
	}, func(v *KeyGroup) string { return v.ID })
}

// checkTrustedKeyGroups fails with TrustedKeyGroupDoesNotExist when a
// cache behaviour trusts a key group that does not exist.
func checkTrustedKeyGroups(tx store.ReadTxn, p *model.DistributionConfig) error {
	for _, id := range trustedKeyGroups(p) {
		if _, ok, err := tx.Get(keyGroupKey(id)); err != nil {
			return err
		} else if !ok {
			return model.Errorf("TrustedKeyGroupDoesNotExist", "The specified key group does not exist: %q.", id)
		}
	}
	return nil
}

// trustedKeyGroups are the key groups any of the distribution's cache
// behaviours trusts, each once.
func trustedKeyGroups(p *model.DistributionConfig) []string {
	var ids []string
	for _, b := range p.AllBehaviors() {
		ids = appendNew(ids, b.TrustedKeyGroups...)
	}
	return ids
}

// newUUID returns a random (version 4) UUID in lower case, the form of
// CloudFront key group ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error (Go 1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// checkReferences checks that the key groups the distribution's
// cache behaviours trust, the policies they name and the OACs its origins
// name exist.
func checkReferences(tx store.ReadTxn, p *model.DistributionConfig) error {
	if err := checkTrustedKeyGroups(tx, p); err != nil {
		return err
	}
	if err := checkPolicyRefs(tx, p); err != nil {
		return err
	}
	return checkOACs(tx, p)
}
