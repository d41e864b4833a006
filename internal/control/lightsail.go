package control

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"openfront/internal/model"
	"openfront/internal/store"
	"openfront/internal/tlsconfig"
)

// Lightsail distributions are CloudFront distributions in disguise: each is
// stored under lsdist/<name> with its Lightsail settings and the
// DistributionConfig derived from them, which the snapshot compiles like any
// other distribution. Errors carry Lightsail's exception names as codes
// (InvalidInputException, NotFoundException, OperationFailureException).

// LightsailPageSize is how many distributions one GetDistributions page
// holds.
const LightsailPageSize = 25

// LightsailDistribution is a Lightsail distribution as the API shows it.
type LightsailDistribution struct {
	*model.LightsailDistributionRecord
	ARN                string
	Status             string // InProgress or Deployed
	AbleToUpdateBundle bool
	// Origin is where the origin name resolved to.
	Origin model.LightsailOriginAddress
	// AlternativeDomainNames are the domains of the attached certificate.
	AlternativeDomainNames []string
}

// LightsailCreate is the input of CreateLightsailDistribution.
type LightsailCreate struct {
	Name     string
	BundleID string
	Settings model.LightsailSettings
	Tags     []model.LightsailTag
}

// LightsailCacheReset is a cache reset (an invalidation of "/*").
type LightsailCacheReset struct {
	ID         string
	Status     string // InProgress or Completed
	CreateTime time.Time
}

func lightsailNotFound(name string) error {
	return model.Errorf("NotFoundException", "The distribution %q does not exist.", name)
}

func lightsailInvalid(format string, args ...any) error {
	return model.Errorf("InvalidInputException", format, args...)
}

// lightsailOrigin resolves an origin name through this node's
// --lightsail-origin map, for the view's originPublicDNS; the edge resolves
// it again with its own map (snapshot.compileLightsail).
func (c *Control) lightsailOrigin(name string) model.LightsailOriginAddress {
	return model.ResolveLightsailOrigin(name, c.settings.LightsailOrigins)
}

// deriveLightsail validates the settings and derives the config the edge
// will serve; the derived config is checked by the same parser the
// snapshot uses, so a stored Lightsail distribution always compiles.
//
// The origin is derived unresolved (the origin name as its host): where
// the name really is depends on the --lightsail-origin map of the edge
// that serves it, which resolves it when it compiles the distribution
// (model.LightsailDistributionRecord.Config), so nothing in the store
// depends on this node's map.
func (c *Control) deriveLightsail(name string, s *model.LightsailSettings) (model.Tree, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	cfg := model.LightsailDistributionConfig(s, model.ResolveLightsailOrigin(s.Origin.Name, nil), "lightsail/"+name)
	err := model.CheckLimits("DistributionConfig", cfg)
	if err == nil {
		_, err = model.ParseDistributionConfig(cfg)
	}
	if err != nil {
		var me *model.Error
		if errors.As(err, &me) {
			return nil, lightsailInvalid("%s", me.Message)
		}
		return nil, err
	}
	if err := c.checkLightsailCertificate(s.CertificateName); err != nil {
		return nil, err
	}
	// "After the certificate is attached, your distribution accepts HTTPS
	// traffic for all of the domains that are associated with the
	// certificate" (Amazon Lightsail API Reference,
	// AttachCertificateToDistribution): its names become the derived
	// config's Aliases, routed and claimed as CloudFront's are.
	if namer, ok := c.settings.Certificates.(certificateNamer); ok && s.CertificateName != "" {
		names, err := namer.Names(tlsconfig.LightsailCertificate(s.CertificateName))
		if err != nil {
			return nil, lightsailInvalid("The certificate %q cannot be used: %v.", s.CertificateName, err)
		}
		cfg["Aliases"] = model.Wrapper(lightsailDomains(names))
	}
	return cfg, nil
}

// certificateNamer is a CertificateChecker that also tells a
// certificate's DNS names (tlsconfig.Store).
type certificateNamer interface {
	Names(name string) ([]string, error)
}

// lightsailDomains are a certificate's DNS names as aliases: lower case,
// each once, sorted.
func lightsailDomains(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// claimLightsailDomains claims the aliases of a Lightsail distribution's
// derived config (its certificate's domains) for it, releasing those of
// its previous config; a domain another distribution serves is refused.
func claimLightsailDomains(tx store.Txn, key string, old, next model.Tree) error {
	oldAliases, nextAliases := lightsailAliases(old), lightsailAliases(next)
	if err := claimAliases(tx, key, nextAliases); err != nil {
		var me *model.Error
		if errors.As(err, &me) {
			return lightsailInvalid("%s", me.Message)
		}
		return err
	}
	return syncIndex(tx, key, aliasKeys(oldAliases), aliasKeys(nextAliases))
}

func lightsailAliases(cfg model.Tree) []string { return model.StringItems(cfg, "Aliases") }

// checkLightsailCertificate refuses a certificateName the edge could not
// serve, as CloudFront's ViewerCertificate check does (checkViewerCertificate):
// a certificate that does not exist gets Lightsail's NotFoundException
// ("Lightsail throws this exception when it cannot find a resource",
// Amazon Lightsail API Reference, Common Errors), one that is expired or
// does not load InvalidInputException.
func (c *Control) checkLightsailCertificate(name string) error {
	if name == "" {
		return nil
	}
	certs := c.settings.Certificates
	if certs == nil {
		return model.Errorf("NotFoundException", "The certificate %q does not exist: this OpenFront was started without --certificate-dir.", name)
	}
	err := certs.Check(tlsconfig.LightsailCertificate(name), nil)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return model.Errorf("NotFoundException", "The certificate %q does not exist (%v).", name, err)
	}
	return lightsailInvalid("The certificate %q cannot be used: %v.", name, err)
}

func validateLightsailTags(tags []model.LightsailTag) error {
	if len(tags) > lightsailMaxTags {
		return lightsailInvalid("tags: a resource can have at most %d tags.", lightsailMaxTags)
	}
	for i, t := range tags {
		if !validTag(t.Key, 1, 128) || !validTag(t.Value, 0, 256) {
			return lightsailInvalid("tags[%d]: the tag %q=%q is not valid: keys are 1-128 and values 0-256 characters of letters, digits, spaces and _.:/=+-@.", i, t.Key, t.Value)
		}
	}
	return nil
}

// CreateLightsailDistribution creates a distribution; a name already in use
// is InvalidInputException.
func (c *Control) CreateLightsailDistribution(ctx context.Context, in LightsailCreate, op *model.LightsailOperationRecord) (*LightsailDistribution, error) {
	if _, ok := model.FindLightsailBundle(in.BundleID); !ok {
		return nil, lightsailInvalid("bundleId %q is not a valid distribution bundle; use GetDistributionBundles.", in.BundleID)
	}
	if err := validateLightsailTags(in.Tags); err != nil {
		return nil, err
	}
	cfg, err := c.deriveLightsail(in.Name, &in.Settings)
	if err != nil {
		return nil, err
	}
	key := model.LightsailDistributionKey(in.Name)
	_, err = c.store.Update(ctx, c.withLightsailOperation(op, func(tx store.Txn) error {
		if _, ok, err := tx.Get(key); err != nil {
			return err
		} else if ok {
			return lightsailInvalid("distributionName %q is already in use.", in.Name)
		}
		now := c.now().UTC()
		rec := model.LightsailDistributionRecord{
			Name: in.Name, ID: newID("E"), UUID: lightsailUUID(), DomainName: c.newDomainName("d"),
			CreatedAt: now, BundleID: in.BundleID, Tags: in.Tags, Settings: in.Settings, Config: cfg,
		}
		if err := claimLightsailDomains(tx, key, nil, rec.Config); err != nil {
			return err
		}
		return putJSON(tx, key, rec)
	}))
	if err != nil {
		return nil, err
	}
	return c.LightsailDistribution(ctx, in.Name)
}

// LightsailDistribution returns one distribution.
func (c *Control) LightsailDistribution(ctx context.Context, name string) (*LightsailDistribution, error) {
	var d *LightsailDistribution
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kv, err := getLightsail(tx, model.LightsailDistributionKey(name), name)
		if err != nil {
			return err
		}
		d, err = c.lightsailView(ctx, kv, c.applied(ctx))
		return err
	})
	return d, err
}

// LightsailDistributions lists distributions in creation order, one page
// after pageToken (from the previous page's next token; "" for the first).
func (c *Control) LightsailDistributions(ctx context.Context, pageToken string) (list []*LightsailDistribution, next string, err error) {
	after := ""
	if pageToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(pageToken)
		if err != nil || len(b) == 0 {
			return nil, "", lightsailInvalid("pageToken %q is not valid.", pageToken)
		}
		after = string(b)
	}
	var all []*LightsailDistribution
	err = c.store.View(ctx, func(tx store.ReadTxn) error {
		kvs, err := tx.List(model.LightsailDistributionPrefix)
		if err != nil {
			return err
		}
		slices.SortFunc(kvs, func(a, b store.KV) int { return int(a.CreateRevision - b.CreateRevision) })
		applied := c.applied(ctx)
		for _, kv := range kvs {
			d, err := c.lightsailView(ctx, kv, applied)
			if err != nil {
				return err
			}
			all = append(all, d)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	items, nextName, truncated := page(all, func(d *LightsailDistribution) string { return d.Name }, after, LightsailPageSize)
	if truncated {
		next = base64.RawURLEncoding.EncodeToString([]byte(nextName))
	}
	return items, next, nil
}

func (c *Control) lightsailView(ctx context.Context, kv store.KV, applied int64) (*LightsailDistribution, error) {
	rec, err := decode[model.LightsailDistributionRecord](c, kv)
	if err != nil {
		return nil, err
	}
	d := &LightsailDistribution{
		LightsailDistributionRecord: rec,
		ARN:                         c.lightsailARN(ctx, rec.UUID),
		Status:                      "InProgress",
		AbleToUpdateBundle:          c.ableToUpdateBundle(rec),
		Origin:                      c.lightsailOrigin(rec.Settings.Origin.Name),
		AlternativeDomainNames:      lightsailAliases(rec.Config),
	}
	if kv.ModRevision <= applied {
		d.Status = "Deployed"
	}
	return d, nil
}

// ableToUpdateBundle: a bundle can change once per calendar month (UTC).
func (c *Control) ableToUpdateBundle(rec *model.LightsailDistributionRecord) bool {
	if rec.BundleChangedAt.IsZero() {
		return true
	}
	now, then := c.now().UTC(), rec.BundleChangedAt.UTC()
	return now.Year() != then.Year() || now.Month() != then.Month()
}

// UpdateLightsailDistribution applies change to a copy of the stored
// settings (a partial update: change sets only what the request gave),
// validates the result and stores it with its new derived config.
func (c *Control) UpdateLightsailDistribution(ctx context.Context, name string, change func(*model.LightsailSettings) error, op *model.LightsailOperationRecord) (*LightsailDistribution, error) {
	key := model.LightsailDistributionKey(name)
	_, err := c.store.Update(ctx, c.withLightsailOperation(op, func(tx store.Txn) error {
		kv, err := getLightsail(tx, key, name)
		if err != nil {
			return err
		}
		rec, err := decode[model.LightsailDistributionRecord](c, kv)
		if err != nil {
			return err
		}
		next := *rec
		next.Settings = cloneLightsailSettings(rec.Settings)
		if err := change(&next.Settings); err != nil {
			return err
		}
		if next.Config, err = c.deriveLightsail(name, &next.Settings); err != nil {
			return err
		}
		if err := claimLightsailDomains(tx, key, rec.Config, next.Config); err != nil {
			return err
		}
		return putJSON(tx, key, next)
	}))
	if err != nil {
		return nil, err
	}
	return c.LightsailDistribution(ctx, name)
}

func cloneLightsailSettings(s model.LightsailSettings) model.LightsailSettings {
	s.PathBehaviors = slices.Clone(s.PathBehaviors)
	s.Cache.Cookies = slices.Clone(s.Cache.Cookies)
	s.Cache.Headers = slices.Clone(s.Cache.Headers)
	s.Cache.QueryStringNames = slices.Clone(s.Cache.QueryStringNames)
	return s
}

// DeleteLightsailDistribution deletes a distribution (enabled or not) with
// its cache resets, and returns what was deleted; the edge drops its cached
// objects when the deletion reaches it.
func (c *Control) DeleteLightsailDistribution(ctx context.Context, name string, op *model.LightsailOperationRecord) (*LightsailDistribution, error) {
	var d *LightsailDistribution
	key := model.LightsailDistributionKey(name)
	_, err := c.store.Update(ctx, c.withLightsailOperation(op, func(tx store.Txn) error {
		kv, err := getLightsail(tx, key, name)
		if err != nil {
			return err
		}
		if d, err = c.lightsailView(ctx, kv, 0); err != nil {
			return err
		}
		if err := deletePrefix(tx, invalPrefix(d.ID)); err != nil {
			return err
		}
		rec, err := decode[model.LightsailDistributionRecord](c, kv)
		if err != nil {
			return err
		}
		if err := claimLightsailDomains(tx, key, rec.Config, nil); err != nil {
			return err
		}
		return tx.Delete(key)
	}))
	if err != nil {
		return nil, err
	}
	c.forget(key)
	return d, nil
}

// UpdateLightsailDistributionBundle changes the bundle, at most once per
// calendar month (OperationFailureException otherwise). Asking for the
// bundle already applied changes nothing.
func (c *Control) UpdateLightsailDistributionBundle(ctx context.Context, name, bundleID string, op *model.LightsailOperationRecord) (*LightsailDistribution, error) {
	if _, ok := model.FindLightsailBundle(bundleID); !ok {
		return nil, lightsailInvalid("bundleId %q is not a valid distribution bundle; use GetDistributionBundles.", bundleID)
	}
	key := model.LightsailDistributionKey(name)
	_, err := c.store.Update(ctx, c.withLightsailOperation(op, func(tx store.Txn) error {
		kv, err := getLightsail(tx, key, name)
		if err != nil {
			return err
		}
		rec, err := decode[model.LightsailDistributionRecord](c, kv)
		if err != nil {
			return err
		}
		if rec.BundleID == bundleID {
			return nil
		}
		if !c.ableToUpdateBundle(rec) {
			return model.Errorf("OperationFailureException", "The bundle of distribution %q was already changed this month (ableToUpdateBundle is false).", name)
		}
		next := *rec
		next.BundleID, next.BundleChangedAt = bundleID, c.now().UTC()
		return putJSON(tx, key, next)
	}))
	if err != nil {
		return nil, err
	}
	return c.LightsailDistribution(ctx, name)
}

// ResetLightsailDistributionCache records an invalidation of "/*" for the
// distribution's derived id: the edges purge it like any invalidation, and
// the reset is Completed once every live edge has.
func (c *Control) ResetLightsailDistributionCache(ctx context.Context, name string, op *model.LightsailOperationRecord) (*LightsailCacheReset, error) {
	var reset *LightsailCacheReset
	_, err := c.store.Update(ctx, c.withLightsailOperation(op, func(tx store.Txn) error {
		kv, err := getLightsail(tx, model.LightsailDistributionKey(name), name)
		if err != nil {
			return err
		}
		rec, err := decode[model.LightsailDistributionRecord](c, kv)
		if err != nil {
			return err
		}
		id := newID("I")
		inv := model.InvalidationRecord{ID: id, DistributionID: rec.ID, CallerReference: "lightsail-reset/" + id, Paths: []string{"/*"}, CreateTime: c.now().UTC()}
		reset = &LightsailCacheReset{ID: id, Status: "InProgress", CreateTime: inv.CreateTime}
		return putJSON(tx, model.InvalidationKey(rec.ID, id), inv)
	}))
	if err != nil {
		return nil, err
	}
	return reset, nil
}

// LatestLightsailCacheReset returns the most recent cache reset, or nil when
// the cache was never reset.
//
// With name "" it is the latest reset of all the distributions: the
// Lightsail API Reference (GetDistributionLatestCacheReset,
// distributionName) says that when the name is omitted "the response
// includes the latest cache reset timestamp of all your distributions",
// and the response has room for one status and one createTime.
func (c *Control) LatestLightsailCacheReset(ctx context.Context, name string) (*LightsailCacheReset, error) {
	var reset *LightsailCacheReset
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		var recs []store.KV
		if name == "" {
			all, err := tx.List(model.LightsailDistributionPrefix)
			if err != nil {
				return err
			}
			recs = all
		} else {
			kv, err := getLightsail(tx, model.LightsailDistributionKey(name), name)
			if err != nil {
				return err
			}
			recs = []store.KV{kv}
		}
		var kvs []store.KV
		for _, kv := range recs {
			rec, err := decode[model.LightsailDistributionRecord](c, kv)
			if err != nil {
				return err
			}
			invals, err := tx.List(invalPrefix(rec.ID))
			if err != nil {
				return err
			}
			kvs = append(kvs, invals...)
		}
		if len(kvs) == 0 {
			return nil
		}
		latest := slices.MaxFunc(kvs, func(a, b store.KV) int { return int(a.CreateRevision - b.CreateRevision) })
		inv, err := c.invalView(latest, c.applied(ctx))
		if err != nil {
			return err
		}
		reset = &LightsailCacheReset{ID: inv.ID, Status: inv.Status, CreateTime: inv.CreateTime}
		return nil
	})
	return reset, err
}

// lightsailUUID returns a random UUID v4 (the ARN resource part).
func lightsailUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// getLightsail reads a Lightsail distribution's record, NotFoundException
// when there is none.
func getLightsail(tx store.ReadTxn, key, name string) (store.KV, error) {
	kv, ok, err := tx.Get(key)
	if err == nil && !ok {
		err = lightsailNotFound(name)
	}
	return kv, err
}
