package control

import (
	"strings"

	"openfront/internal/model"
	"openfront/internal/store"
)

// A distribution is Deployed once every live edge has applied the highest
// ModRevision among its own record and every stored record the edge
// compiles into it (package snapshot): a change to any of them changes
// what the distribution's viewers get, and is live fleet-wide only when
// the edges have applied it. "After you publish the function, all cache
// behaviors that are associated with that function automatically start
// using the newly published copy, as soon as the distributions finish
// deploying" ("Publish functions", Amazon CloudFront Developer Guide,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/publish-function.html);
// a policy, key group, configuration or OAC a distribution uses is
// deployed to its behaviours the same way.
//
// What counts, as the snapshot resolves it:
//
//   - custom cache, origin request and response headers policies
//     (managed ones are not stored and never change);
//   - CloudFront Functions: the function record, which holds the LIVE
//     stage. UpdateFunction writes the same record, so it too shows the
//     distribution InProgress until the edges have applied it: a
//     conservative answer, never a false Deployed;
//   - trusted key groups (their members are in the group's record) and,
//     with a trusted signer naming the account itself, the set of stored
//     public keys (keys.go in package snapshot): the newest key's
//     creation;
//   - field-level encryption configurations and their profiles (which
//     name their public keys);
//   - real-time log configurations and origin access controls;
//   - a primary's continuous deployment policy, and for a staging
//     distribution the policy naming it, whose session stickiness the
//     edge applies to the staging distribution's behaviours too.
//
// Not counted: a public key's own record (only its Comment can change,
// and the edge never reads it: "UpdatePublicKey", Amazon CloudFront API
// Reference), key value store data (a PutKey is not a deployment:
// functions read the store's current keys), monitoring subscriptions
// (metrics, not what viewers get), OAIs and tags (the edge does not read
// them), and a staging distribution's config for its primary (the
// staging distribution's own Status says when that is live).
//
// Caveat: a deleted record leaves no revision behind. The API refuses
// deleting anything a distribution uses, except a public key in no key
// group or profile while a behaviour trusts the account's own signers:
// that deletion does not show such a distribution InProgress.

// distDeps are the store keys of the records a distribution config
// compiles in directly; a field-level encryption configuration brings its
// profiles, and a staging index key its policy (deployment.rev).
type distDeps struct {
	keys []string
	// storedKeys: a behaviour trusts the account's own signers, so every
	// stored public key.
	storedKeys bool
}

// deployment resolves the revisions distributions depend on within one
// read transaction, reading each referenced record once per request.
type deployment struct {
	c          *Control
	tx         store.ReadTxn
	revs       map[string]int64 // by key: the record's and its own references' highest ModRevision
	storedKeys int64            // the newest public key's CreateRevision (-1: not read yet)
}

func (c *Control) newDeployment(tx store.ReadTxn) *deployment {
	return &deployment{c: c, tx: tx, revs: map[string]int64{}, storedKeys: -1}
}

// revision is the highest ModRevision among the distribution stored in
// kv and everything the edge compiles into it: the revision every edge
// must have applied for the distribution to be Deployed.
func (dp *deployment) revision(kv store.KV, rec *model.DistributionRecord) (int64, error) {
	deps := dp.c.dependencies(kv, rec)
	rev := kv.ModRevision
	for _, key := range deps.keys {
		r, err := dp.rev(key)
		if err != nil {
			return 0, err
		}
		rev = max(rev, r)
	}
	if deps.storedKeys {
		if dp.storedKeys < 0 {
			kvs, err := dp.tx.ListKeys(model.PublicKeyPrefix)
			if err != nil {
				return 0, err
			}
			dp.storedKeys = 0
			for _, k := range kvs {
				dp.storedKeys = max(dp.storedKeys, k.CreateRevision)
			}
		}
		rev = max(rev, dp.storedKeys)
	}
	return rev, nil
}

// rev is the highest ModRevision of the record under key and of the
// records it brings in (a field-level encryption configuration's
// profiles; the policy a staging index key names); 0 when it does not
// exist.
func (dp *deployment) rev(key string) (int64, error) {
	if r, ok := dp.revs[key]; ok {
		return r, nil
	}
	kv, ok, err := dp.tx.Get(key)
	if err != nil {
		return 0, err
	}
	if !ok {
		dp.revs[key] = 0
		return 0, nil
	}
	var refs []string
	switch {
	case strings.HasPrefix(key, model.FLEConfigPrefix):
		cfg, err := decode[model.FLERecord](dp.c, kv)
		if err != nil {
			return 0, err
		}
		for _, ct := range model.FLEContentTypeProfiles(cfg.Config) {
			if ct.ProfileID != "" {
				refs = append(refs, model.FLEProfileKey(ct.ProfileID))
			}
		}
		for _, qa := range model.FLEQueryArgProfiles(cfg.Config) {
			refs = append(refs, model.FLEProfileKey(qa.ProfileID))
		}
	case strings.HasPrefix(key, model.CDStagingPrefix):
		refs = append(refs, string(kv.Value)) // cdpolicy/<id>
	}
	r := kv.ModRevision
	for _, ref := range refs {
		rr, err := dp.rev(ref)
		if err != nil {
			return 0, err
		}
		r = max(r, rr)
	}
	dp.revs[key] = r
	return r, nil
}

// dependencies returns what the distribution stored in kv compiles in,
// worked out once per ModRevision.
func (c *Control) dependencies(kv store.KV, rec *model.DistributionRecord) *distDeps {
	c.mu.Lock()
	e, ok := c.deps[kv.Key]
	c.mu.Unlock()
	if ok && e.modRev == kv.ModRevision {
		return e.deps
	}
	deps := &distDeps{}
	p, err := model.ParseDistributionConfig(rec.Config)
	if err != nil {
		// The edge leaves out a stored config that no longer parses
		// (snapshot's compile), so it compiles nothing else in; the
		// distribution stays readable.
		p = &model.DistributionConfig{}
	}
	add := func(key string) {
		deps.keys = appendNew(deps.keys, key)
	}
	for _, id := range CachePolicies.customRefs(p) {
		add(CachePolicies.prefix + id)
	}
	for _, id := range OriginRequestPolicies.customRefs(p) {
		add(OriginRequestPolicies.prefix + id)
	}
	for _, id := range ResponseHeadersPolicies.customRefs(p) {
		add(ResponseHeadersPolicies.prefix + id)
	}
	for _, id := range trustedKeyGroups(p) {
		add(model.KeyGroupKey(id))
	}
	for _, id := range oacReferences(p) {
		add(model.OACKey(id))
	}
	for _, id := range fleConfigRefs(p) {
		add(model.FLEConfigKey(id))
	}
	for _, name := range associatedFunctions(p) {
		add(model.FunctionKey(name))
	}
	for _, b := range p.AllBehaviors() {
		if name, ok := model.RealtimeLogConfigNameOf(b.RealtimeLogConfigARN); ok {
			add(model.RealtimeLogConfigKey(name))
		}
		for _, s := range b.TrustedSigners {
			deps.storedKeys = deps.storedKeys || model.OwnSigner(s, c.settings.AccountID)
		}
	}
	if p.ContinuousDeploymentPolicyID != "" {
		add(model.ContinuousDeploymentPolicyKey(p.ContinuousDeploymentPolicyID))
	}
	if p.Staging {
		add(cdStagingKey(rec.ID))
	}
	c.mu.Lock()
	c.deps[kv.Key] = cachedDeps{modRev: kv.ModRevision, deps: deps}
	c.mu.Unlock()
	return deps
}
