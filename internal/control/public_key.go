package control

import (
	"context"
	"reflect"
	"time"

	"openfront/internal/model"
	"openfront/internal/store"
)

func publicKeyKey(id string) string { return model.PublicKeyKey(id) }

// pubKeyRefKey marks that the key group references the public key.
func pubKeyRefKey(pubKey, keyGroup string) string {
	return model.RefKey(model.PublicKeyRefPrefix, pubKey, keyGroupKey(keyGroup))
}

func pubKeyNameKey(name string) string { return model.NamePublicKeyPrefix + name }

// PublicKey is a public key as the API shows it.
type PublicKey struct {
	ID          string
	ETag        string
	CreatedTime time.Time
	Config      model.Tree // PublicKeyConfig
}

func (c *Control) publicKeyView(kv store.KV) (*PublicKey, error) {
	rec, err := decode[model.PublicKeyRecord](c, kv)
	if err != nil {
		return nil, err
	}
	return &PublicKey{ID: rec.ID, ETag: etag(rec.ID, kv.ModRevision), CreatedTime: rec.CreatedTime, Config: publicKeyConfig(rec)}, nil
}

func publicKeyConfig(rec *model.PublicKeyRecord) model.Tree {
	// Comment is shown ("") when none was given.
	return model.Tree{"CallerReference": rec.CallerReference, "Name": rec.Name, "EncodedKey": rec.EncodedKey, "Comment": rec.Comment}
}

// publicKeyRecord reads and checks a PublicKeyConfig: a name, a key
// CloudFront accepts (model.ParsePublicKey) and a comment of at most 128
// characters.
func publicKeyRecord(cfg model.Tree) (*model.PublicKeyRecord, error) {
	rec := &model.PublicKeyRecord{
		CallerReference: model.StrOr(cfg, "", "CallerReference"),
		Name:            model.StrOr(cfg, "", "Name"),
		EncodedKey:      model.StrOr(cfg, "", "EncodedKey"),
		Comment:         model.StrOr(cfg, "", "Comment"),
	}
	if err := checkNameAndComment(rec.Name, rec.Comment); err != nil {
		return nil, err
	}
	if _, err := model.ParsePublicKey(rec.EncodedKey); err != nil {
		return nil, err
	}
	return rec, nil
}

func checkNameAndComment(name, comment string) error {
	if name == "" {
		return model.Errorf("InvalidArgument", "The parameter Name cannot be empty.")
	}
	if len(comment) > 128 {
		return model.Errorf("InvalidArgument", "The parameter Comment is too long (maximum 128 characters).")
	}
	return nil
}

// CreatePublicKey uploads a public key. A CallerReference used before
// returns the existing key when the config is identical (created=false,
// as for every other resource: OpenFront's choice, AWS documents only the
// error) and is PublicKeyAlreadyExists otherwise ("CreatePublicKey" in
// the Amazon CloudFront API Reference); so is a Name another key has.
func (c *Control) CreatePublicKey(ctx context.Context, cfg model.Tree) (pk *PublicKey, created bool, err error) {
	rec, err := publicKeyRecord(cfg)
	if err != nil {
		return nil, false, err
	}
	var id string
	_, err = c.store.Update(ctx, func(tx store.Txn) error {
		id, created = "", false
		refKey := model.CallerRefPublicKeyPrefix + rec.CallerReference
		if kv, ok, err := tx.Get(refKey); err != nil {
			return err
		} else if ok {
			existing, err := c.getPublicKey(tx, string(kv.Value))
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(publicKeyConfig(existing), publicKeyConfig(rec)) {
				return model.Errorf("PublicKeyAlreadyExists", "The caller reference that you are using to create a public key is associated with another public key.")
			}
			id = existing.ID
			return nil
		}
		if _, ok, err := tx.Get(pubKeyNameKey(rec.Name)); err != nil {
			return err
		} else if ok {
			return model.Errorf("PublicKeyAlreadyExists", "The name that you are using to create a public key is associated with another public key: %q.", rec.Name)
		}
		n, err := countKeys(tx, model.PublicKeyPrefix)
		if err != nil {
			return err
		}
		if n >= c.settings.Quotas.PublicKeys {
			return model.Errorf("TooManyPublicKeys", "The maximum number of public keys has been created. To create a new public key, delete one of the existing keys.")
		}
		id = newID("K")
		next := *rec
		next.ID, next.CreatedTime = id, c.now().UTC()
		if err := putJSON(tx, publicKeyKey(id), next); err != nil {
			return err
		}
		if err := tx.Put(pubKeyNameKey(next.Name), []byte(publicKeyKey(id))); err != nil {
			return err
		}
		created = true
		return tx.Put(refKey, []byte(id))
	})
	if err != nil {
		return nil, false, err
	}
	pk, err = c.GetPublicKey(ctx, id)
	return pk, created, err
}

func (c *Control) getPublicKey(tx store.ReadTxn, id string) (*model.PublicKeyRecord, error) {
	kv, ok, err := tx.Get(publicKeyKey(id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNotFound("NoSuchPublicKey", "public key")
	}
	return decode[model.PublicKeyRecord](c, kv)
}

// GetPublicKey returns a public key.
func (c *Control) GetPublicKey(ctx context.Context, id string) (*PublicKey, error) {
	var pk *PublicKey
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kv, ok, err := tx.Get(publicKeyKey(id))
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("NoSuchPublicKey", "public key")
		}
		pk, err = c.publicKeyView(kv)
		return err
	})
	return pk, err
}

// UpdatePublicKey changes a public key's comment, the only member that
// can change (API reference, UpdatePublicKey): a new CallerReference is
// IllegalUpdate, a new EncodedKey or Name is
// CannotChangeImmutablePublicKeyFields.
func (c *Control) UpdatePublicKey(ctx context.Context, id, ifMatch string, apply Apply) (*PublicKey, error) {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, publicKeyKey(id), id, ifMatch, errNotFound("NoSuchPublicKey", "public key"))
		if err != nil {
			return err
		}
		rec, err := decode[model.PublicKeyRecord](c, kv)
		if err != nil {
			return err
		}
		cfg, err := apply(publicKeyConfig(rec))
		if err != nil {
			return err
		}
		if model.StrOr(cfg, "", "CallerReference") != rec.CallerReference {
			return model.Errorf("IllegalUpdate", "The CallerReference of a public key cannot be updated.")
		}
		if !model.SamePublicKey(model.StrOr(cfg, "", "EncodedKey"), rec.EncodedKey) || model.StrOr(cfg, "", "Name") != rec.Name {
			return model.Errorf("CannotChangeImmutablePublicKeyFields", "You can't change the value of a public key's EncodedKey or Name; only its Comment can be updated.")
		}
		next := *rec
		next.Comment = model.StrOr(cfg, "", "Comment")
		if err := checkNameAndComment(next.Name, next.Comment); err != nil {
			return err
		}
		return putJSON(tx, publicKeyKey(id), next)
	})
	if err != nil {
		return nil, err
	}
	return c.GetPublicKey(ctx, id)
}

// DeletePublicKey deletes a public key that no key group contains and no
// field-level encryption profile names.
func (c *Control) DeletePublicKey(ctx context.Context, id, ifMatch string) error {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, publicKeyKey(id), id, ifMatch, errNotFound("NoSuchPublicKey", "public key"))
		if err != nil {
			return err
		}
		refs, err := tx.List(model.RefsPrefix(model.PublicKeyRefPrefix, id))
		if err != nil {
			return err
		}
		if len(refs) > 0 {
			return model.Errorf("PublicKeyInUse", "The specified public key is in use by a key group or a field-level encryption profile.")
		}
		rec, err := decode[model.PublicKeyRecord](c, kv)
		if err != nil {
			return err
		}
		if err := tx.Delete(model.CallerRefPublicKeyPrefix + rec.CallerReference); err != nil {
			return err
		}
		if err := tx.Delete(pubKeyNameKey(rec.Name)); err != nil {
			return err
		}
		return tx.Delete(publicKeyKey(id))
	})
	if err == nil {
		c.forget(publicKeyKey(id))
	}
	return err
}

// ListPublicKeys lists public keys in creation order.
func (c *Control) ListPublicKeys(ctx context.Context, opts ListOptions) ([]*PublicKey, Page, error) {
	return listPage(ctx, c, model.PublicKeyPrefix, opts, func(tx store.ReadTxn, kv store.KV) (*PublicKey, error) {
		return c.publicKeyView(kv)
	}, func(v *PublicKey) string { return v.ID })
}
