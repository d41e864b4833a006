package control

import (
	"cmp"
	"context"
	"slices"
	"time"

	"openfront/internal/model"
	"openfront/internal/store"
)

// Cache policies, origin request policies and response headers policies
// share one implementation:
// a kind describes what differs (names, error codes, the managed set).

// PolicyKind is one of the two policy kinds.
type PolicyKind[P any] struct {
	prefix   string // store prefix of the custom policies
	refs     string // index prefix: <refs><policy id>/<owner key>
	names    string // index prefix: <names><name> -> policy key
	what     string // "cache policy"
	noSuch   string
	exists   string
	inUse    string
	tooMany  string
	managed  map[string]P
	parse    func(model.Tree) (P, error)
	config   func(P) model.Tree
	name     func(P) string
	quota    func(Quotas) int
	behavior func(*model.Behavior) string // the id a behaviour names
	field    string                       // the cache behaviour member naming it
}

// CachePolicies and OriginRequestPolicies are the two kinds.
var (
	CachePolicies = &PolicyKind[model.CachePolicy]{
		prefix: model.CachePolicyPrefix, refs: model.CachePolicyRefPrefix, names: model.NameCachePolicyPrefix, what: "cache policy",
		noSuch: "NoSuchCachePolicy", exists: "CachePolicyAlreadyExists", inUse: "CachePolicyInUse", tooMany: "TooManyCachePolicies",
		managed: model.ManagedCachePolicies, parse: incoming(model.ParseCachePolicyConfig, model.CheckIncomingCachePolicy),
		config: model.CachePolicy.Config, name: func(p model.CachePolicy) string { return p.Name },
		quota:    func(q Quotas) int { return q.CachePolicies },
		behavior: func(b *model.Behavior) string { return b.CachePolicyID },
		field:    "CachePolicyId",
	}
	OriginRequestPolicies = &PolicyKind[model.OriginRequestPolicy]{
		prefix: model.OriginRequestPolicyPrefix, refs: model.OriginRequestPolicyRefPrefix, names: model.NameOriginRequestPolicyPrefix, what: "origin request policy",
		noSuch: "NoSuchOriginRequestPolicy", exists: "OriginRequestPolicyAlreadyExists", inUse: "OriginRequestPolicyInUse", tooMany: "TooManyOriginRequestPolicies",
		managed: model.ManagedOriginRequestPolicies, parse: incoming(model.ParseOriginRequestPolicyConfig, model.CheckIncomingOriginRequestPolicy),
		config: model.OriginRequestPolicy.Config, name: func(p model.OriginRequestPolicy) string { return p.Name },
		quota:    func(q Quotas) int { return q.OriginRequestPolicies },
		behavior: func(b *model.Behavior) string { return b.OriginRequestPolicyID },
		field:    "OriginRequestPolicyId",
	}
	// ResponseHeadersPolicies: what the edge adds to and removes from a
	// behaviour's responses (Developer Guide, "Understand response headers
	// policies").
	ResponseHeadersPolicies = &PolicyKind[model.ResponseHeadersPolicy]{
		prefix: model.ResponseHeadersPolicyPrefix, refs: model.ResponseHeadersPolicyRefPrefix, names: model.NameResponseHeadersPolicyPrefix, what: "response headers policy",
		noSuch: "NoSuchResponseHeadersPolicy", exists: "ResponseHeadersPolicyAlreadyExists", inUse: "ResponseHeadersPolicyInUse", tooMany: "TooManyResponseHeadersPolicies",
		managed: model.ManagedResponseHeadersPolicies, parse: model.ParseResponseHeadersPolicyConfig,
		config: model.ResponseHeadersPolicy.Config, name: func(p model.ResponseHeadersPolicy) string { return p.Name },
		quota:    func(q Quotas) int { return q.ResponseHeadersPolicies },
		behavior: func(b *model.Behavior) string { return b.ResponseHeadersPolicyID },
		field:    "ResponseHeadersPolicyId",
	}
)

// incoming is a kind's parse: the config's reading plus the rules only a
// policy being created or updated must pass (parse reads only configs
// sent by a client).
func incoming[P any](parse func(model.Tree) (P, error), check func(P) error) func(model.Tree) (P, error) {
	return func(t model.Tree) (P, error) {
		p, err := parse(t)
		if err == nil {
			err = check(p)
		}
		return p, err
	}
}

// managedSince is the LastModifiedTime shown for managed policies.
var managedSince = time.Date(2020, 5, 31, 0, 0, 0, 0, time.UTC)

// Policy is a cache or origin request policy as the API shows it.
type Policy struct {
	ID           string
	ETag         string
	LastModified time.Time
	Managed      bool
	Config       model.Tree // CachePolicyConfig or OriginRequestPolicyConfig
}

func (k *PolicyKind[P]) key(id string) string { return k.prefix + id }

func (k *PolicyKind[P]) notFound() error { return errNotFound(k.noSuch, k.what) }

func (k *PolicyKind[P]) managedView(id string, p P) *Policy {
	return &Policy{ID: id, ETag: etag(id, 1), LastModified: managedSince, Managed: true, Config: k.config(p)}
}

func (k *PolicyKind[P]) view(c *Control, kv store.KV) (*Policy, error) {
	rec, err := decode[model.PolicyRecord[P]](c, kv)
	if err != nil {
		return nil, err
	}
	return &Policy{ID: rec.ID, ETag: etag(rec.ID, kv.ModRevision), LastModified: rec.LastModified, Config: k.config(rec.Policy)}, nil
}

// claimName fails with the kind's AlreadyExists code when another custom
// policy has the name.
func (k *PolicyKind[P]) claimName(tx store.ReadTxn, id, name string) error {
	kv, ok, err := tx.Get(k.names + name)
	if err != nil {
		return err
	}
	if ok && string(kv.Value) != k.key(id) {
		return model.Errorf(k.exists, "A %s with the name %q already exists.", k.what, name)
	}
	return nil
}

// CreatePolicy creates a custom policy of kind k.
func CreatePolicy[P any](ctx context.Context, c *Control, k *PolicyKind[P], cfg model.Tree) (*Policy, error) {
	p, err := k.parse(cfg)
	if err != nil {
		return nil, err
	}
	id := newUUID()
	_, err = c.store.Update(ctx, func(tx store.Txn) error {
		if err := k.claimName(tx, id, k.name(p)); err != nil {
			return err
		}
		n, err := countKeys(tx, k.prefix)
		if err != nil {
			return err
		}
		if max := k.quota(c.settings.Quotas); n >= max {
			return model.Errorf(k.tooMany, "You have reached the maximum number of %s policies (%d).", k.what, max)
		}
		if err := putJSON(tx, k.key(id), model.PolicyRecord[P]{ID: id, LastModified: c.now().UTC(), Policy: p}); err != nil {
			return err
		}
		return syncIndex(tx, k.key(id), nil, []string{k.names + k.name(p)})
	})
	if err != nil {
		return nil, err
	}
	return GetPolicy(ctx, c, k, id)
}

// GetPolicy returns a managed or custom policy.
func GetPolicy[P any](ctx context.Context, c *Control, k *PolicyKind[P], id string) (*Policy, error) {
	if p, ok := k.managed[id]; ok {
		return k.managedView(id, p), nil
	}
	var out *Policy
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kv, ok, err := tx.Get(k.key(id))
		if err != nil {
			return err
		}
		if !ok {
			return k.notFound()
		}
		out, err = k.view(c, kv)
		return err
	})
	return out, err
}

// UpdatePolicy replaces a custom policy's config; managed policies cannot
// change (IllegalUpdate). Distributions using it pick the change up with
// the next snapshot.
func UpdatePolicy[P any](ctx context.Context, c *Control, k *PolicyKind[P], id, ifMatch string, apply Apply) (*Policy, error) {
	if _, ok := k.managed[id]; ok {
		return nil, model.Errorf("IllegalUpdate", "A managed %s cannot be updated.", k.what)
	}
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, k.key(id), id, ifMatch, k.notFound())
		if err != nil {
			return err
		}
		old, err := decode[model.PolicyRecord[P]](c, kv)
		if err != nil {
			return err
		}
		cfg, err := apply(k.config(old.Policy))
		if err != nil {
			return err
		}
		p, err := k.parse(cfg)
		if err != nil {
			return err
		}
		if err := k.claimName(tx, id, k.name(p)); err != nil {
			return err
		}
		if err := syncIndex(tx, k.key(id), []string{k.names + k.name(old.Policy)}, []string{k.names + k.name(p)}); err != nil {
			return err
		}
		return putJSON(tx, k.key(id), model.PolicyRecord[P]{ID: id, LastModified: c.now().UTC(), Policy: p})
	})
	if err != nil {
		return nil, err
	}
	return GetPolicy(ctx, c, k, id)
}

// DeletePolicy deletes a custom policy no cache behaviour names (the
// kind's InUse code otherwise); managed policies cannot be deleted
// (IllegalDelete).
func DeletePolicy[P any](ctx context.Context, c *Control, k *PolicyKind[P], id, ifMatch string) error {
	if _, ok := k.managed[id]; ok {
		return model.Errorf("IllegalDelete", "A managed %s cannot be deleted.", k.what)
	}
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, k.key(id), id, ifMatch, k.notFound())
		if err != nil {
			return err
		}
		refs, err := tx.ListKeys(model.RefsPrefix(k.refs, id))
		if err != nil {
			return err
		}
		if len(refs) > 0 {
			return model.Errorf(k.inUse, "The %s is in use by a distribution's cache behavior.", k.what)
		}
		rec, err := decode[model.PolicyRecord[P]](c, kv)
		if err != nil {
			return err
		}
		if err := tx.Delete(k.names + k.name(rec.Policy)); err != nil {
			return err
		}
		return tx.Delete(k.key(id))
	})
	if err == nil {
		c.forget(k.key(id))
	}
	return err
}

// ListPolicies lists the managed policies (by name) and then the custom
// ones (in creation order); typ "managed" or "custom" keeps one set.
func ListPolicies[P any](ctx context.Context, c *Control, k *PolicyKind[P], typ string, opts ListOptions) ([]*Policy, Page, error) {
	var all []*Policy
	if typ != "custom" {
		for id, p := range k.managed {
			all = append(all, k.managedView(id, p))
		}
		slices.SortFunc(all, func(a, b *Policy) int {
			return cmp.Compare(model.StrOr(a.Config, "", "Name"), model.StrOr(b.Config, "", "Name"))
		})
	}
	if typ != "managed" {
		custom, _, err := listPage(ctx, c, k.prefix, ListOptions{MaxItems: int(^uint(0) >> 1)}, func(tx store.ReadTxn, kv store.KV) (*Policy, error) {
			return k.view(c, kv)
		}, func(p *Policy) string { return p.ID })
		if err != nil {
			return nil, Page{}, err
		}
		all = append(all, custom...)
	}
	items, next, truncated := page(all, func(p *Policy) string { return p.ID }, opts.Marker, opts.MaxItems)
	return items, Page{Marker: opts.Marker, NextMarker: next, MaxItems: opts.MaxItems, IsTruncated: truncated}, nil
}

// checkPolicyRefs fails with NoSuchCachePolicy or NoSuchOriginRequestPolicy
// when a cache behaviour names a policy that is neither managed nor stored.
func checkPolicyRefs(tx store.ReadTxn, p *model.DistributionConfig) error {
	if err := checkRefs(tx, CachePolicies, p); err != nil {
		return err
	}
	if err := checkRefs(tx, OriginRequestPolicies, p); err != nil {
		return err
	}
	return checkRefs(tx, ResponseHeadersPolicies, p)
}

func checkRefs[P any](tx store.ReadTxn, k *PolicyKind[P], p *model.DistributionConfig) error {
	for _, id := range k.customRefs(p) {
		if _, ok, err := tx.Get(k.key(id)); err != nil {
			return err
		} else if !ok {
			return model.Errorf(k.noSuch, "The %s %q does not exist.", k.what, id)
		}
	}
	return nil
}

// customRefs are the non-managed policies of kind k the behaviours name,
// each once.
func (k *PolicyKind[P]) customRefs(p *model.DistributionConfig) []string {
	var ids []string
	for _, b := range p.AllBehaviors() {
		if id := k.behavior(&b); id != "" {
			if _, managed := k.managed[id]; !managed {
				ids = appendNew(ids, id)
			}
		}
	}
	return ids
}

// policyRefKeys are the index keys marking the custom policies a
// distribution uses (owner is its key).
func policyRefKeys(p *model.DistributionConfig, owner string) []string {
	var keys []string
	for _, id := range CachePolicies.customRefs(p) {
		keys = append(keys, model.RefKey(CachePolicies.refs, id, owner))
	}
	for _, id := range OriginRequestPolicies.customRefs(p) {
		keys = append(keys, model.RefKey(OriginRequestPolicies.refs, id, owner))
	}
	for _, id := range ResponseHeadersPolicies.customRefs(p) {
		keys = append(keys, model.RefKey(ResponseHeadersPolicies.refs, id, owner))
	}
	return keys
}

// ListPolicyDistributions lists the ids of the distributions one of whose
// cache behaviours names the policy (ListDistributionsBy...PolicyId), in
// creation order. The stored configs are read rather than the reference
// index, which does not track managed policies.
func ListPolicyDistributions[P any](ctx context.Context, c *Control, k *PolicyKind[P], id string, opts ListOptions) ([]string, Page, error) {
	if _, managed := k.managed[id]; !managed {
		if _, err := GetPolicy(ctx, c, k, id); err != nil {
			return nil, Page{}, err
		}
	}
	type ref struct {
		id   string
		uses bool
	}
	refs, _, err := listPage(ctx, c, model.DistributionPrefix, ListOptions{MaxItems: int(^uint(0) >> 1)}, func(tx store.ReadTxn, kv store.KV) (ref, error) {
		rec, err := decode[model.DistributionRecord](c, kv)
		if err != nil {
			return ref{}, err
		}
		for _, b := range behaviorTrees(rec.Config) {
			if model.StrOr(b, "", k.field) == id {
				return ref{rec.ID, true}, nil
			}
		}
		return ref{rec.ID, false}, nil
	}, func(r ref) string { return r.id })
	if err != nil {
		return nil, Page{}, err
	}
	var ids []string
	for _, r := range refs {
		if r.uses {
			ids = append(ids, r.id)
		}
	}
	items, next, truncated := page(ids, func(s string) string { return s }, opts.Marker, opts.MaxItems)
	return items, Page{Marker: opts.Marker, NextMarker: next, MaxItems: opts.MaxItems, IsTruncated: truncated}, nil
}
