package control

import (
	"context"

	"openfront/internal/model"
	"openfront/internal/store"
)

func oacKey(id string) string { return model.OACKey(id) }

// oacRefKey marks that owner (dist/<id>) has an origin that names the OAC.
func oacRefKey(oac, owner string) string { return model.RefKey(model.OACRefPrefix, oac, owner) }

func oacNameKey(name string) string { return model.NameOACPrefix + name }

// OAC is an origin access control as the API shows it.
type OAC struct {
	ID     string
	ETag   string
	Config model.Tree // OriginAccessControlConfig
}

func (c *Control) oacView(kv store.KV) (*OAC, error) {
	rec, err := decode[model.OACRecord](c, kv)
	if err != nil {
		return nil, err
	}
	return &OAC{ID: rec.ID, ETag: etag(rec.ID, kv.ModRevision), Config: oacConfig(rec)}, nil
}

func oacConfig(rec *model.OACRecord) model.Tree {
	return model.Tree{
		"Name":                          rec.Name,
		"Description":                   rec.Description,
		"SigningProtocol":               rec.SigningProtocol,
		"SigningBehavior":               rec.SigningBehavior,
		"OriginAccessControlOriginType": rec.OriginType,
	}
}

// oacRecord reads and checks an OriginAccessControlConfig. The decoder has
// already checked the members the model requires and its enums (sigv4;
// never, always, no-override; s3, mediastore, mediapackagev2, lambda).
func oacRecord(cfg model.Tree) (*model.OACRecord, error) {
	rec := &model.OACRecord{
		Name:            model.StrOr(cfg, "", "Name"),
		Description:     model.StrOr(cfg, "", "Description"),
		SigningProtocol: model.StrOr(cfg, "", "SigningProtocol"),
		SigningBehavior: model.StrOr(cfg, "", "SigningBehavior"),
		OriginType:      model.StrOr(cfg, "", "OriginAccessControlOriginType"),
	}
	// Limits from the API reference (OriginAccessControlConfig): a name of
	// up to 64 characters.
	switch {
	case rec.Name == "":
		return nil, model.Errorf("InvalidArgument", "The parameter Name cannot be empty.")
	case len(rec.Name) > 64:
		return nil, model.Errorf("InvalidArgument", "The parameter Name is too long (maximum 64 characters).")
	}
	return rec, nil
}

// claimOACName fails with OriginAccessControlAlreadyExists when another
// OAC has the name (the name key holds its owner's key).
func claimOACName(tx store.ReadTxn, id, name string) error {
	kv, ok, err := tx.Get(oacNameKey(name))
	if err != nil {
		return err
	}
	if ok && string(kv.Value) != oacKey(id) {
		return model.Errorf("OriginAccessControlAlreadyExists", "An origin access control with the name %q already exists.", name)
	}
	return nil
}

// CreateOriginAccessControl creates an origin access control. OACs have no
// CallerReference: the Name is unique (OriginAccessControlAlreadyExists).
func (c *Control) CreateOriginAccessControl(ctx context.Context, cfg model.Tree) (*OAC, error) {
	rec, err := oacRecord(cfg)
	if err != nil {
		return nil, err
	}
	id := newID("E")
	_, err = c.store.Update(ctx, func(tx store.Txn) error {
		if err := claimOACName(tx, id, rec.Name); err != nil {
			return err
		}
		n, err := countKeys(tx, model.OACPrefix)
		if err != nil {
			return err
		}
		if n >= c.settings.Quotas.OACs {
			return model.Errorf("TooManyOriginAccessControls", "The number of origin access controls in your account exceeds the maximum allowed (%d).", c.settings.Quotas.OACs)
		}
		next := *rec
		next.ID = id
		if err := putJSON(tx, oacKey(id), next); err != nil {
			return err
		}
		return syncIndex(tx, oacKey(id), nil, []string{oacNameKey(next.Name)})
	})
	if err != nil {
		return nil, err
	}
	return c.GetOriginAccessControl(ctx, id)
}

// GetOriginAccessControl returns an origin access control.
func (c *Control) GetOriginAccessControl(ctx context.Context, id string) (*OAC, error) {
	var o *OAC
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kv, ok, err := tx.Get(oacKey(id))
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("NoSuchOriginAccessControl", "origin access control")
		}
		o, err = c.oacView(kv)
		return err
	})
	return o, err
}

// UpdateOriginAccessControl replaces an OAC's config; a new Name must not
// be another OAC's.
func (c *Control) UpdateOriginAccessControl(ctx context.Context, id, ifMatch string, apply Apply) (*OAC, error) {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, oacKey(id), id, ifMatch, errNotFound("NoSuchOriginAccessControl", "origin access control"))
		if err != nil {
			return err
		}
		old, err := decode[model.OACRecord](c, kv)
		if err != nil {
			return err
		}
		cfg, err := apply(oacConfig(old))
		if err != nil {
			return err
		}
		rec, err := oacRecord(cfg)
		if err != nil {
			return err
		}
		if err := claimOACName(tx, id, rec.Name); err != nil {
			return err
		}
		rec.ID = id
		if err := syncIndex(tx, oacKey(id), []string{oacNameKey(old.Name)}, []string{oacNameKey(rec.Name)}); err != nil {
			return err
		}
		return putJSON(tx, oacKey(id), rec)
	})
	if err != nil {
		return nil, err
	}
	return c.GetOriginAccessControl(ctx, id)
}

// DeleteOriginAccessControl deletes an OAC that no origin names
// (OriginAccessControlInUse otherwise).
func (c *Control) DeleteOriginAccessControl(ctx context.Context, id, ifMatch string) error {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, oacKey(id), id, ifMatch, errNotFound("NoSuchOriginAccessControl", "origin access control"))
		if err != nil {
			return err
		}
		refs, err := tx.List(model.RefsPrefix(model.OACRefPrefix, id))
		if err != nil {
			return err
		}
		if len(refs) > 0 {
			return model.Errorf("OriginAccessControlInUse", "The origin access control is in use by a distribution's origin.")
		}
		rec, err := decode[model.OACRecord](c, kv)
		if err != nil {
			return err
		}
		if err := tx.Delete(oacNameKey(rec.Name)); err != nil {
			return err
		}
		return tx.Delete(oacKey(id))
	})
	if err == nil {
		c.forget(oacKey(id))
	}
	return err
}

// ListOriginAccessControls lists origin access controls in creation order.
func (c *Control) ListOriginAccessControls(ctx context.Context, opts ListOptions) ([]*OAC, Page, error) {
	return listPage(ctx, c, model.OACPrefix, opts, func(tx store.ReadTxn, kv store.KV) (*OAC, error) {
		return c.oacView(kv)
	}, func(v *OAC) string { return v.ID })
}

// checkOACs fails with NoSuchOriginAccessControl when an origin names an
// origin access control that does not exist.
func checkOACs(tx store.ReadTxn, p *model.DistributionConfig) error {
	for _, id := range oacReferences(p) {
		if _, ok, err := tx.Get(oacKey(id)); err != nil {
			return err
		} else if !ok {
			return model.Errorf("NoSuchOriginAccessControl", "The origin access control does not exist: %q.", id)
		}
	}
	return nil
}

// oacReferences are the OACs the distribution's origins name, each once.
func oacReferences(p *model.DistributionConfig) []string {
	var ids []string
	for _, o := range p.Origins {
		if o.OACID != "" {
			ids = appendNew(ids, o.OACID)
		}
	}
	return ids
}
