package control

import (
	"context"
	"crypto/rsa"
	"reflect"
	"slices"
	"strings"

	"openfront/internal/model"
	"openfront/internal/store"
)

// Field-level encryption profiles and configurations ("Use field-level
// encryption to help protect sensitive data", Amazon CloudFront Developer
// Guide). A profile names public keys (pubkeyref/<key>/fleprofile/<id>
// marks each, so that a key in use cannot be deleted: PublicKeyInUse); a
// configuration names profiles (fleprofileref/<profile>/fleconfig/<id>:
// FieldLevelEncryptionProfileInUse); a cache behaviour names a
// configuration (fleconfigref/<config>/dist/<id>:
// FieldLevelEncryptionConfigInUse).

// The quotas on field-level encryption ("Quotas on field-level
// encryption", Amazon CloudFront Developer Guide). The guide gives no
// number for encryption entities per profile, content-type mappings per
// configuration, or a profile's size: OpenFront's are those below (an
// entity names a public key, of which an account has at most 10; the
// only content type is application/x-www-form-urlencoded).
const (
	maxFLEConfigs          = 10
	maxFLEProfiles         = 10
	maxFLEFieldPatterns    = 10 // fields to encrypt in one profile
	maxFLEEntities         = 10
	maxFLEQueryArgProfiles = 5
	maxFLEContentTypes     = 1
	maxFLEDistributions    = 20 // distributions associated with one configuration
	maxFLEProfileSize      = 4096
	maxFLENameLength       = 128
	fleContentType         = "application/x-www-form-urlencoded"
)

// The characters the guide allows ("Step 3: Create a profile", "Step 4:
// Create a configuration"): profile and provider names without spaces,
// field name patterns with an optional trailing wildcard, query argument
// values.
var (
	fleProfileName  = model.LazyRegexp(`^[A-Za-z0-9_-]{1,128}$`)
	fleProviderID   = model.LazyRegexp(`^[A-Za-z0-9:_-]{1,128}$`)
	fleFieldPattern = model.LazyRegexp(`^[A-Za-z0-9\[\]._-]*\*?$`)
	fleQueryArg     = model.LazyRegexp(`^[A-Za-z0-9._*+%-]{1,128}$`)
)

// FLEResource is a field-level encryption configuration or profile as the
// API shows it.
type FLEResource struct {
	ID     string
	ETag   string
	Record *model.FLERecord
}

// checkFLEProfile validates a FieldLevelEncryptionProfileConfig alone (the
// public keys' existence is checked in the transaction).
func checkFLEProfile(cfg model.Tree) error {
	name, comment := model.StrOr(cfg, "", "Name"), model.StrOr(cfg, "", "Comment")
	entities := model.FLEEntities(cfg)
	size := len(name) + len(comment)
	patterns := 0
	for _, e := range entities {
		size += len(e.PublicKeyID) + len(e.ProviderID)
		for _, p := range e.FieldPatterns {
			size += len(p)
		}
		patterns += len(e.FieldPatterns)
	}
	switch {
	case size > maxFLEProfileSize:
		return model.Errorf("FieldLevelEncryptionProfileSizeExceeded", "The field-level encryption profile is larger than %d characters.", maxFLEProfileSize)
	case !fleProfileName.MatchString(name):
		return model.Errorf("InvalidArgument", "The profile Name %q must be 1 to 128 letters, digits, underscores and hyphens.", name)
	case len(comment) > 128:
		return model.Errorf("InvalidArgument", "The parameter Comment is too long (maximum 128 characters).")
	case len(entities) > maxFLEEntities:
		return model.Errorf("TooManyFieldLevelEncryptionEncryptionEntities", "A field-level encryption profile can have at most %d encryption entities.", maxFLEEntities)
	case patterns > maxFLEFieldPatterns:
		return model.Errorf("TooManyFieldLevelEncryptionFieldPatterns", "A field-level encryption profile can have at most %d field patterns.", maxFLEFieldPatterns)
	case len(entities) == 0:
		return model.Errorf("InvalidArgument", "A field-level encryption profile needs at least one encryption entity.")
	}
	var all []string
	var keys []string
	for _, e := range entities {
		if e.PublicKeyID == "" {
			return model.Errorf("InvalidArgument", "The parameter PublicKeyId cannot be empty.")
		}
		if slices.Contains(keys, e.PublicKeyID) {
			return model.Errorf("InvalidArgument", "The public key %q is named by more than one encryption entity.", e.PublicKeyID)
		}
		keys = append(keys, e.PublicKeyID)
		if !fleProviderID.MatchString(e.ProviderID) {
			return model.Errorf("InvalidArgument", "The ProviderId %q must be 1 to 128 letters, digits, colons, underscores and hyphens.", e.ProviderID)
		}
		if len(e.FieldPatterns) == 0 {
			return model.Errorf("InvalidArgument", "The encryption entity for public key %q needs at least one field pattern.", e.PublicKeyID)
		}
		for _, p := range e.FieldPatterns {
			if p == "" || p == "*" || len(p) > maxFLENameLength || !fleFieldPattern.MatchString(p) {
				return model.Errorf("InvalidArgument", "The field pattern %q must be a field name of at most 128 letters, digits, square brackets, periods, underscores and hyphens, optionally followed by a wildcard (*).", p)
			}
			for _, q := range all {
				if fleOverlap(p, q) {
					return model.Errorf("InvalidArgument", "The field patterns %q and %q overlap: a field name could match both.", q, p)
				}
			}
			all = append(all, p)
		}
	}
	return nil
}

// fleOverlap reports whether two field patterns can match the same name
// ("Make sure that you don't use overlapping characters for different
// field name patterns", Developer Guide).
func fleOverlap(a, b string) bool {
	pa, wa := strings.CutSuffix(a, "*")
	pb, wb := strings.CutSuffix(b, "*")
	switch {
	case wa && wb:
		return strings.HasPrefix(pa, pb) || strings.HasPrefix(pb, pa)
	case wa:
		return strings.HasPrefix(pb, pa)
	case wb:
		return strings.HasPrefix(pa, pb)
	}
	return a == b
}

// checkFLEConfig validates a FieldLevelEncryptionConfig alone (the
// profiles' existence is checked in the transaction).
func checkFLEConfig(cfg model.Tree) error {
	if len(model.StrOr(cfg, "", "Comment")) > 128 {
		return model.Errorf("InvalidArgument", "The parameter Comment is too long (maximum 128 characters).")
	}
	cts := model.FLEContentTypeProfiles(cfg)
	if len(cts) > maxFLEContentTypes {
		return model.Errorf("TooManyFieldLevelEncryptionContentTypeProfiles", "A field-level encryption configuration can map at most %d content type.", maxFLEContentTypes)
	}
	for _, ct := range cts {
		// The console's "Content type (can't be changed)": the one
		// content type field-level encryption reads.
		if !strings.EqualFold(ct.ContentType, fleContentType) {
			return model.Errorf("InvalidArgument", "The content type %q cannot be encrypted: field-level encryption reads %s bodies only.", ct.ContentType, fleContentType)
		}
		if ct.Format != "URLEncoded" {
			return model.Errorf("InvalidArgument", "The content format %q is not valid: use URLEncoded.", ct.Format)
		}
	}
	qas := model.FLEQueryArgProfiles(cfg)
	if len(qas) > maxFLEQueryArgProfiles {
		return model.Errorf("TooManyFieldLevelEncryptionQueryArgProfiles", "A field-level encryption configuration can have at most %d query argument profiles.", maxFLEQueryArgProfiles)
	}
	var seen []string
	for _, qa := range qas {
		if qa.ProfileID == "" {
			return model.Errorf("QueryArgProfileEmpty", "The query argument %q names no profile.", qa.QueryArg)
		}
		if !fleQueryArg.MatchString(qa.QueryArg) {
			return model.Errorf("InvalidArgument", "The query argument %q must be 1 to 128 letters, digits, and - . _ * + %% characters.", qa.QueryArg)
		}
		if slices.Contains(seen, qa.QueryArg) {
			return model.Errorf("InvalidArgument", "The query argument %q is mapped more than once.", qa.QueryArg)
		}
		seen = append(seen, qa.QueryArg)
	}
	return nil
}

// fleProfileRefs are the profiles a configuration names, each once.
func fleProfileRefs(cfg model.Tree) []string {
	var ids []string
	for _, ct := range model.FLEContentTypeProfiles(cfg) {
		if ct.ProfileID != "" {
			ids = appendNew(ids, ct.ProfileID)
		}
	}
	for _, qa := range model.FLEQueryArgProfiles(cfg) {
		ids = appendNew(ids, qa.ProfileID)
	}
	return ids
}

func fleProfileRefKeys(cfg model.Tree, owner string) []string {
	var keys []string
	for _, id := range fleProfileRefs(cfg) {
		keys = append(keys, model.RefKey(model.FLEProfileRefPrefix, id, owner))
	}
	return keys
}

func flePublicKeyRefKeys(profile model.Tree, owner string) []string {
	var keys []string
	for _, e := range model.FLEEntities(profile) {
		keys = append(keys, pubKeyRefKey(e.PublicKeyID, owner))
	}
	return keys
}

// checkFLEProfileKeys: every public key a profile names exists and is an
// RSA key (the guide's key pair is RSA 2048; CloudFront encrypts with
// RSA-OAEP).
func (c *Control) checkFLEProfileKeys(tx store.ReadTxn, cfg model.Tree) error {
	for _, e := range model.FLEEntities(cfg) {
		pk, err := c.getPublicKey(tx, e.PublicKeyID)
		if err != nil {
			return model.Errorf("NoSuchPublicKey", "The public key %q of the field-level encryption profile does not exist.", e.PublicKeyID)
		}
		key, err := model.ParsePublicKey(pk.EncodedKey)
		if err != nil {
			return err
		}
		if _, ok := key.(*rsa.PublicKey); !ok {
			return model.Errorf("InvalidArgument", "The public key %q is not an RSA key: field-level encryption needs an RSA 2048 key.", e.PublicKeyID)
		}
	}
	return nil
}

func (c *Control) checkFLEConfigProfiles(tx store.ReadTxn, cfg model.Tree) error {
	for _, id := range fleProfileRefs(cfg) {
		if _, ok, err := tx.Get(model.FLEProfileKey(id)); err != nil {
			return err
		} else if !ok {
			return model.Errorf("NoSuchFieldLevelEncryptionProfile", "The field-level encryption profile %q does not exist.", id)
		}
	}
	return nil
}

// fleKind is what differs between configurations and profiles.
type fleKind struct {
	what, prefix, idPrefix, callerRefs, noSuch, exists, tooMany, inUse string
	max                                                                int
	check                                                              func(model.Tree) error
	checkTx                                                            func(c *Control, tx store.ReadTxn, cfg model.Tree) error
	refKeys                                                            func(cfg model.Tree, owner string) []string
	inUsePrefix                                                        string
	nameIndex                                                          string // "" when names need not be unique
}

var (
	fleConfigs = &fleKind{
		what: "field-level encryption configuration", prefix: model.FLEConfigPrefix, idPrefix: "C", callerRefs: model.CallerRefFLEConfigPrefix,
		noSuch: "NoSuchFieldLevelEncryptionConfig", exists: "FieldLevelEncryptionConfigAlreadyExists",
		tooMany: "TooManyFieldLevelEncryptionConfigs", inUse: "FieldLevelEncryptionConfigInUse", max: maxFLEConfigs,
		check: checkFLEConfig, checkTx: (*Control).checkFLEConfigProfiles, refKeys: fleProfileRefKeys,
		inUsePrefix: model.FLEConfigRefPrefix,
	}
	fleProfiles = &fleKind{
		what: "field-level encryption profile", prefix: model.FLEProfilePrefix, idPrefix: "P", callerRefs: model.CallerRefFLEProfilePrefix,
		noSuch: "NoSuchFieldLevelEncryptionProfile", exists: "FieldLevelEncryptionProfileAlreadyExists",
		tooMany: "TooManyFieldLevelEncryptionProfiles", inUse: "FieldLevelEncryptionProfileInUse", max: maxFLEProfiles,
		check: checkFLEProfile, checkTx: (*Control).checkFLEProfileKeys, refKeys: flePublicKeyRefKeys,
		inUsePrefix: model.FLEProfileRefPrefix, nameIndex: model.NameFLEProfilePrefix,
	}
)

func (k *fleKind) key(id string) string { return k.prefix + id }

func (k *fleKind) errNoSuch() error {
	return model.Errorf(k.noSuch, "The specified %s does not exist.", k.what)
}

func (c *Control) fleView(kv store.KV) (*FLEResource, error) {
	rec, err := decode[model.FLERecord](c, kv)
	if err != nil {
		return nil, err
	}
	return &FLEResource{ID: rec.ID, ETag: etag(rec.ID, kv.ModRevision), Record: rec}, nil
}

// CreateFLEConfig creates a field-level encryption configuration.
func (c *Control) CreateFLEConfig(ctx context.Context, cfg model.Tree) (*FLEResource, bool, error) {
	return c.createFLE(ctx, fleConfigs, cfg)
}

// CreateFLEProfile creates a field-level encryption profile.
func (c *Control) CreateFLEProfile(ctx context.Context, cfg model.Tree) (*FLEResource, bool, error) {
	return c.createFLE(ctx, fleProfiles, cfg)
}

// createFLE stores a new configuration or profile. A CallerReference used
// before returns the existing resource when the document is identical
// (created=false, as for every other resource) and is ...AlreadyExists
// otherwise; so is a profile Name another profile has.
func (c *Control) createFLE(ctx context.Context, k *fleKind, cfg model.Tree) (*FLEResource, bool, error) {
	if err := k.check(cfg); err != nil {
		return nil, false, err
	}
	var id string
	var created bool
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		id, created = "", false
		refKey := k.callerRefs + model.StrOr(cfg, "", "CallerReference")
		if kv, ok, err := tx.Get(refKey); err != nil {
			return err
		} else if ok {
			existing, err := c.getFLE(tx, k, string(kv.Value))
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(existing.Config, cfg) {
				return model.Errorf(k.exists, "The caller reference that you are using to create a %s is associated with another one.", k.what)
			}
			id = existing.ID
			return nil
		}
		if k.nameIndex != "" {
			if _, ok, err := tx.Get(k.nameIndex + model.StrOr(cfg, "", "Name")); err != nil {
				return err
			} else if ok {
				return model.Errorf(k.exists, "A %s named %q already exists.", k.what, model.StrOr(cfg, "", "Name"))
			}
		}
		if n, err := countKeys(tx, k.prefix); err != nil {
			return err
		} else if n >= k.max {
			return model.Errorf(k.tooMany, "You have reached the maximum number of %ss (%d).", k.what, k.max)
		}
		if err := k.checkTx(c, tx, cfg); err != nil {
			return err
		}
		id = newID(k.idPrefix)
		rec := model.FLERecord{ID: id, LastModified: c.now().UTC(), Config: cfg}
		if err := putJSON(tx, k.key(id), rec); err != nil {
			return err
		}
		if k.nameIndex != "" {
			if err := tx.Put(k.nameIndex+model.StrOr(cfg, "", "Name"), []byte(k.key(id))); err != nil {
				return err
			}
		}
		if err := syncIndex(tx, k.key(id), nil, k.refKeys(cfg, k.key(id))); err != nil {
			return err
		}
		created = true
		return tx.Put(refKey, []byte(id))
	})
	if err != nil {
		return nil, false, err
	}
	r, err := c.getFLEView(ctx, k, id)
	return r, created, err
}

func (c *Control) getFLE(tx store.ReadTxn, k *fleKind, id string) (*model.FLERecord, error) {
	kv, ok, err := tx.Get(k.key(id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, k.errNoSuch()
	}
	return decode[model.FLERecord](c, kv)
}

func (c *Control) getFLEView(ctx context.Context, k *fleKind, id string) (*FLEResource, error) {
	var r *FLEResource
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kv, ok, err := tx.Get(k.key(id))
		if err != nil {
			return err
		}
		if !ok {
			return k.errNoSuch()
		}
		r, err = c.fleView(kv)
		return err
	})
	return r, err
}

// GetFLEConfig returns a field-level encryption configuration.
func (c *Control) GetFLEConfig(ctx context.Context, id string) (*FLEResource, error) {
	return c.getFLEView(ctx, fleConfigs, id)
}

// GetFLEProfile returns a field-level encryption profile.
func (c *Control) GetFLEProfile(ctx context.Context, id string) (*FLEResource, error) {
	return c.getFLEView(ctx, fleProfiles, id)
}

// UpdateFLEConfig replaces a configuration (If-Match); its CallerReference
// cannot change (IllegalUpdate).
func (c *Control) UpdateFLEConfig(ctx context.Context, id, ifMatch string, apply Apply) (*FLEResource, error) {
	return c.updateFLE(ctx, fleConfigs, id, ifMatch, apply)
}

// UpdateFLEProfile replaces a profile (If-Match); its CallerReference
// cannot change (IllegalUpdate), its Name can if no other profile has it.
func (c *Control) UpdateFLEProfile(ctx context.Context, id, ifMatch string, apply Apply) (*FLEResource, error) {
	return c.updateFLE(ctx, fleProfiles, id, ifMatch, apply)
}

func (c *Control) updateFLE(ctx context.Context, k *fleKind, id, ifMatch string, apply Apply) (*FLEResource, error) {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, k.key(id), id, ifMatch, k.errNoSuch())
		if err != nil {
			return err
		}
		rec, err := decode[model.FLERecord](c, kv)
		if err != nil {
			return err
		}
		cfg, err := apply(model.Clone(rec.Config))
		if err != nil {
			return err
		}
		if model.StrOr(cfg, "", "CallerReference") != model.StrOr(rec.Config, "", "CallerReference") {
			return model.Errorf("IllegalUpdate", "The CallerReference of a %s cannot be updated.", k.what)
		}
		if err := k.check(cfg); err != nil {
			return err
		}
		if k.nameIndex != "" {
			oldName, name := model.StrOr(rec.Config, "", "Name"), model.StrOr(cfg, "", "Name")
			if name != oldName {
				if _, ok, err := tx.Get(k.nameIndex + name); err != nil {
					return err
				} else if ok {
					return model.Errorf(k.exists, "A %s named %q already exists.", k.what, name)
				}
				if err := tx.Delete(k.nameIndex + oldName); err != nil {
					return err
				}
				if err := tx.Put(k.nameIndex+name, []byte(k.key(id))); err != nil {
					return err
				}
			}
		}
		if err := k.checkTx(c, tx, cfg); err != nil {
			return err
		}
		if err := syncIndex(tx, k.key(id), k.refKeys(rec.Config, k.key(id)), k.refKeys(cfg, k.key(id))); err != nil {
			return err
		}
		next := model.FLERecord{ID: id, LastModified: c.now().UTC(), Config: cfg}
		return putJSON(tx, k.key(id), next)
	})
	if err != nil {
		return nil, err
	}
	c.forget(k.key(id))
	return c.getFLEView(ctx, k, id)
}

// DeleteFLEConfig deletes a configuration no cache behaviour names.
func (c *Control) DeleteFLEConfig(ctx context.Context, id, ifMatch string) error {
	return c.deleteFLE(ctx, fleConfigs, id, ifMatch)
}

// DeleteFLEProfile deletes a profile no configuration names.
func (c *Control) DeleteFLEProfile(ctx context.Context, id, ifMatch string) error {
	return c.deleteFLE(ctx, fleProfiles, id, ifMatch)
}

func (c *Control) deleteFLE(ctx context.Context, k *fleKind, id, ifMatch string) error {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, k.key(id), id, ifMatch, k.errNoSuch())
		if err != nil {
			return err
		}
		if refs, err := tx.ListKeys(model.RefsPrefix(k.inUsePrefix, id)); err != nil {
			return err
		} else if len(refs) > 0 {
			return model.Errorf(k.inUse, "The %s %q is in use.", k.what, id)
		}
		rec, err := decode[model.FLERecord](c, kv)
		if err != nil {
			return err
		}
		if err := syncIndex(tx, k.key(id), k.refKeys(rec.Config, k.key(id)), nil); err != nil {
			return err
		}
		if k.nameIndex != "" {
			if err := tx.Delete(k.nameIndex + model.StrOr(rec.Config, "", "Name")); err != nil {
				return err
			}
		}
		if err := tx.Delete(k.callerRefs + model.StrOr(rec.Config, "", "CallerReference")); err != nil {
			return err
		}
		return tx.Delete(k.key(id))
	})
	if err == nil {
		c.forget(k.key(id))
	}
	return err
}

// ListFLEConfigs lists the configurations in creation order.
func (c *Control) ListFLEConfigs(ctx context.Context, opts ListOptions) ([]*FLEResource, Page, error) {
	return listPage(ctx, c, model.FLEConfigPrefix, opts, func(tx store.ReadTxn, kv store.KV) (*FLEResource, error) {
		return c.fleView(kv)
	}, func(r *FLEResource) string { return r.ID })
}

// ListFLEProfiles lists the profiles in creation order.
func (c *Control) ListFLEProfiles(ctx context.Context, opts ListOptions) ([]*FLEResource, Page, error) {
	return listPage(ctx, c, model.FLEProfilePrefix, opts, func(tx store.ReadTxn, kv store.KV) (*FLEResource, error) {
		return c.fleView(kv)
	}, func(r *FLEResource) string { return r.ID })
}

// checkFLEBehaviors refuses a cache behaviour with a field-level
// encryption configuration that CloudFront would not accept: the
// behaviour must always use HTTPS (redirect-to-https or https-only),
// allow all seven methods, and reach custom origins over HTTPS
// (match-viewer or https-only) ("Step 5: Add a configuration to a cache
// behavior", Developer Guide).
func checkFLEBehaviors(p *model.DistributionConfig) error {
	all := []string{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}
	for _, b := range p.AllBehaviors() {
		if b.FieldLevelEncryption == "" {
			continue
		}
		illegal := func(why string) error {
			return model.Errorf("IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior",
				"The field-level encryption configuration %q cannot be associated with cache behavior %q: %s.", b.FieldLevelEncryption, b.PathPattern, why)
		}
		if b.ViewerProtocolPolicy != "redirect-to-https" && b.ViewerProtocolPolicy != "https-only" {
			return illegal("its ViewerProtocolPolicy must be redirect-to-https or https-only")
		}
		for _, m := range all {
			if !slices.Contains(b.AllowedMethods, m) {
				return illegal("its AllowedMethods must be GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE")
			}
		}
		for _, o := range behaviorOrigins(p, b.TargetOriginID) {
			if o.Custom != nil && o.Custom.ProtocolPolicy != "match-viewer" && o.Custom.ProtocolPolicy != "https-only" {
				return illegal("the OriginProtocolPolicy of origin " + o.ID + " must be match-viewer or https-only")
			}
		}
	}
	return nil
}

// behaviorOrigins are the origins a behaviour's target reaches: the
// origin, or each member of the origin group.
func behaviorOrigins(p *model.DistributionConfig, target string) []*model.Origin {
	ids := []string{target}
	for _, g := range p.OriginGroups {
		if g.ID == target {
			ids = g.Members
		}
	}
	var out []*model.Origin
	for i := range p.Origins {
		if slices.Contains(ids, p.Origins[i].ID) {
			out = append(out, &p.Origins[i])
		}
	}
	return out
}

// checkFLERefs fails with NoSuchFieldLevelEncryptionConfig when a cache
// behaviour names a configuration that is not stored, and with
// TooManyDistributionsAssociatedToFieldLevelEncryptionConfig when the
// configuration already serves its quota of other distributions; then
// checkFLEBehaviors.
func (c *Control) checkFLERefs(tx store.ReadTxn, p *model.DistributionConfig, owner string) error {
	for _, id := range fleConfigRefs(p) {
		if _, ok, err := tx.Get(model.FLEConfigKey(id)); err != nil {
			return err
		} else if !ok {
			return model.Errorf("NoSuchFieldLevelEncryptionConfig", "The field-level encryption configuration %q of a cache behavior does not exist.", id)
		}
		users, err := tx.ListKeys(model.RefsPrefix(model.FLEConfigRefPrefix, id))
		if err != nil {
			return err
		}
		others := 0
		for _, u := range users {
			if u.Key != model.RefKey(model.FLEConfigRefPrefix, id, owner) {
				others++
			}
		}
		if others >= maxFLEDistributions {
			return model.Errorf("TooManyDistributionsAssociatedToFieldLevelEncryptionConfig", "The field-level encryption configuration %q is associated with %d distributions, the maximum.", id, maxFLEDistributions)
		}
	}
	return checkFLEBehaviors(p)
}

func fleConfigRefs(p *model.DistributionConfig) []string {
	var ids []string
	for _, b := range p.AllBehaviors() {
		if b.FieldLevelEncryption != "" {
			ids = appendNew(ids, b.FieldLevelEncryption)
		}
	}
	return ids
}

// fleConfigRefKeys are the index keys marking the configurations a
// distribution's behaviours name (owner is its key).
func fleConfigRefKeys(p *model.DistributionConfig, owner string) []string {
	var keys []string
	for _, id := range fleConfigRefs(p) {
		keys = append(keys, model.RefKey(model.FLEConfigRefPrefix, id, owner))
	}
	return keys
}
