package control

import (
	"context"
	"strings"
	"time"

	"openfront/internal/model"
	"openfront/internal/store"
)

// Continuous deployment ("Use CloudFront continuous deployment to safely
// test CDN configuration changes", Amazon CloudFront Developer Guide): a
// staging distribution is a copy of a primary (CopyDistribution), a
// continuous deployment policy names the staging distribution by its DNS
// name, and the primary names the policy in its
// ContinuousDeploymentPolicyId. Index keys:
//   - cdref/<policy id>/dist/<primary id>: the primary that names the policy
//     (ContinuousDeploymentPolicyInUse; one primary per policy);
//   - cdstaging/<staging id>: the policy that names the staging
//     distribution (StagingDistributionInUse; deleting a staging
//     distribution a policy names is ResourceInUse).

// Quotas ("Quotas and other considerations for continuous deployment").
const (
	maxStagingDistributions       = 20
	maxContinuousDeploymentPolicy = 20
)

func cdPolicyKey(id string) string { return model.ContinuousDeploymentPolicyKey(id) }

func cdRefKey(policy, owner string) string {
	return model.RefKey(model.ContinuousDeploymentPolicyRefPrefix, policy, owner)
}

// cdRefsPrefix lists the primaries (dist/<id>) that name the policy.
func cdRefsPrefix(policy string) string {
	return model.RefsPrefix(model.ContinuousDeploymentPolicyRefPrefix, policy)
}

func cdStagingKey(stagingID string) string { return model.CDStagingPrefix + stagingID }

// cdPolicyRefKeys are the index keys marking the policy a primary names.
func cdPolicyRefKeys(p *model.DistributionConfig, owner string) []string {
	if p.ContinuousDeploymentPolicyID == "" {
		return nil
	}
	return []string{cdRefKey(p.ContinuousDeploymentPolicyID, owner)}
}

// ContinuousDeploymentPolicy is a policy as the API shows it.
type ContinuousDeploymentPolicy struct {
	ID           string
	ETag         string
	LastModified time.Time
	Config       model.Tree // ContinuousDeploymentPolicyConfig
}

func (c *Control) cdPolicyView(kv store.KV) (*ContinuousDeploymentPolicy, error) {
	rec, err := decode[model.ContinuousDeploymentPolicyRecord](c, kv)
	if err != nil {
		return nil, err
	}
	return &ContinuousDeploymentPolicy{ID: rec.ID, ETag: etag(rec.ID, kv.ModRevision), LastModified: rec.LastModified, Config: rec.Policy.Config()}, nil
}

func errNoSuchCDPolicy() error {
	return errNotFound("NoSuchContinuousDeploymentPolicy", "continuous deployment policy")
}

// stagingByDNSName returns the id of the staging distribution whose
// domain name is name; a distribution that is not a staging one, or no
// distribution, is InvalidArgument (the policy must name a staging
// distribution: CreateContinuousDeploymentPolicy, API Reference).
func (c *Control) stagingByDNSName(tx store.ReadTxn, name string) (string, error) {
	kvs, err := tx.List(model.DistributionPrefix)
	if err != nil {
		return "", err
	}
	for _, kv := range kvs {
		rec, err := decode[model.DistributionRecord](c, kv)
		if err != nil {
			return "", err
		}
		if !strings.EqualFold(rec.DomainName, name) {
			continue
		}
		if !model.Bool(rec.Config, "Staging") {
			return "", model.Errorf("InvalidArgument", "The distribution %q (%s) is not a staging distribution: make one with CopyDistribution.", rec.ID, name)
		}
		return rec.ID, nil
	}
	return "", model.Errorf("InvalidArgument", "StagingDistributionDnsNames names %q, which is not the domain name of a staging distribution.", name)
}

// claimStaging resolves the policy's staging distribution and fails with
// StagingDistributionInUse when another policy names it.
func (c *Control) claimStaging(tx store.ReadTxn, policyID string, p model.ContinuousDeploymentPolicy) (string, error) {
	stagingID, err := c.stagingByDNSName(tx, p.StagingDomain())
	if err != nil {
		return "", err
	}
	kv, ok, err := tx.Get(cdStagingKey(stagingID))
	if err != nil {
		return "", err
	}
	if ok && string(kv.Value) != cdPolicyKey(policyID) {
		return "", model.Errorf("StagingDistributionInUse", "A continuous deployment policy for the staging distribution %q already exists.", p.StagingDNSNames[0])
	}
	return stagingID, nil
}

// CreateContinuousDeploymentPolicy stores a new policy.
func (c *Control) CreateContinuousDeploymentPolicy(ctx context.Context, cfg model.Tree) (*ContinuousDeploymentPolicy, error) {
	p, err := model.ParseContinuousDeploymentPolicyConfig(cfg)
	if err != nil {
		return nil, err
	}
	id := newUUID()
	_, err = c.store.Update(ctx, func(tx store.Txn) error {
		n, err := countKeys(tx, model.ContinuousDeploymentPolicyPrefix)
		if err != nil {
			return err
		}
		if n >= maxContinuousDeploymentPolicy {
			return model.Errorf("TooManyContinuousDeploymentPolicies", "You have reached the maximum number of continuous deployment policies (%d).", maxContinuousDeploymentPolicy)
		}
		stagingID, err := c.claimStaging(tx, id, p)
		if err != nil {
			return err
		}
		rec := model.ContinuousDeploymentPolicyRecord{ID: id, LastModified: c.now().UTC(), Policy: p, SessionEpoch: 1}
		if err := putJSON(tx, cdPolicyKey(id), rec); err != nil {
			return err
		}
		return syncIndex(tx, cdPolicyKey(id), nil, []string{cdStagingKey(stagingID)})
	})
	if err != nil {
		return nil, err
	}
	return c.GetContinuousDeploymentPolicy(ctx, id)
}

// GetContinuousDeploymentPolicy returns a policy.
func (c *Control) GetContinuousDeploymentPolicy(ctx context.Context, id string) (*ContinuousDeploymentPolicy, error) {
	var out *ContinuousDeploymentPolicy
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kv, ok, err := tx.Get(cdPolicyKey(id))
		if err != nil {
			return err
		}
		if !ok {
			return errNoSuchCDPolicy()
		}
		out, err = c.cdPolicyView(kv)
		return err
	})
	return out, err
}

// UpdateContinuousDeploymentPolicy replaces a policy's config (If-Match).
// The edges apply it with the next snapshot; the primary's Status is
// InProgress until they have (GetDistribution).
func (c *Control) UpdateContinuousDeploymentPolicy(ctx context.Context, id, ifMatch string, apply Apply) (*ContinuousDeploymentPolicy, error) {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, cdPolicyKey(id), id, ifMatch, errNoSuchCDPolicy())
		if err != nil {
			return err
		}
		old, err := decode[model.ContinuousDeploymentPolicyRecord](c, kv)
		if err != nil {
			return err
		}
		cfg, err := apply(old.Policy.Config())
		if err != nil {
			return err
		}
		p, err := model.ParseContinuousDeploymentPolicyConfig(cfg)
		if err != nil {
			return err
		}
		stagingID, err := c.claimStaging(tx, id, p)
		if err != nil {
			return err
		}
		oldStaging, err := c.stagingOf(tx, id)
		if err != nil {
			return err
		}
		var oldKeys []string
		if oldStaging != "" {
			oldKeys = []string{cdStagingKey(oldStaging)}
		}
		if err := syncIndex(tx, cdPolicyKey(id), oldKeys, []string{cdStagingKey(stagingID)}); err != nil {
			return err
		}
		return putJSON(tx, cdPolicyKey(id), model.ContinuousDeploymentPolicyRecord{ID: id, LastModified: c.now().UTC(), Policy: p,
			SessionEpoch: model.NextSessionEpoch(old.SessionEpoch, old.Policy, p)})
	})
	if err != nil {
		return nil, err
	}
	return c.GetContinuousDeploymentPolicy(ctx, id)
}

// stagingOf returns the id of the staging distribution the policy's index
// key names ("" none).
func (c *Control) stagingOf(tx store.ReadTxn, policyID string) (string, error) {
	kvs, err := tx.List(model.CDStagingPrefix)
	if err != nil {
		return "", err
	}
	for _, kv := range kvs {
		if string(kv.Value) == cdPolicyKey(policyID) {
			return strings.TrimPrefix(kv.Key, model.CDStagingPrefix), nil
		}
	}
	return "", nil
}

// DeleteContinuousDeploymentPolicy deletes a policy no primary names
// (ContinuousDeploymentPolicyInUse otherwise).
func (c *Control) DeleteContinuousDeploymentPolicy(ctx context.Context, id, ifMatch string) error {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		if _, err := getForChange(tx, cdPolicyKey(id), id, ifMatch, errNoSuchCDPolicy()); err != nil {
			return err
		}
		refs, err := tx.ListKeys(cdRefsPrefix(id))
		if err != nil {
			return err
		}
		if len(refs) > 0 {
			return model.Errorf("ContinuousDeploymentPolicyInUse", "The continuous deployment policy %q is associated with the primary distribution %q: remove its ContinuousDeploymentPolicyId first.", id, strings.TrimPrefix(refs[0].Key, cdRefsPrefix(id)+model.DistributionPrefix))
		}
		staging, err := c.stagingOf(tx, id)
		if err != nil {
			return err
		}
		if staging != "" {
			if err := tx.Delete(cdStagingKey(staging)); err != nil {
				return err
			}
		}
		return tx.Delete(cdPolicyKey(id))
	})
	if err == nil {
		c.forget(cdPolicyKey(id))
	}
	return err
}

// ListContinuousDeploymentPolicies lists the policies in creation order.
func (c *Control) ListContinuousDeploymentPolicies(ctx context.Context, opts ListOptions) ([]*ContinuousDeploymentPolicy, Page, error) {
	return listPage(ctx, c, model.ContinuousDeploymentPolicyPrefix, opts, func(_ store.ReadTxn, kv store.KV) (*ContinuousDeploymentPolicy, error) {
		return c.cdPolicyView(kv)
	}, func(p *ContinuousDeploymentPolicy) string { return p.ID })
}

// checkContinuousDeployment applies the staging rules to a distribution's
// config (old is the stored config on update, nil on create or copy):
//   - a staging distribution is made by CopyDistribution or created with
//     Staging true (as AWS CloudFormation's and Terraform's staging
//     distributions are), at most maxStagingDistributions of them;
//     Staging cannot change afterwards (IllegalUpdate);
//   - a staging distribution has no aliases (viewers cannot reach it by
//     CNAME: "Learn how continuous deployment works") and no policy of its
//     own;
//   - a primary's ContinuousDeploymentPolicyId names an existing policy
//     (NoSuchContinuousDeploymentPolicy) that no other primary names
//     (ContinuousDeploymentPolicyInUse), whose staging distribution is not
//     the primary itself;
//   - a distribution that supports HTTP/3 cannot use continuous deployment
//     ("Quotas and other considerations for continuous deployment").
func (c *Control) checkContinuousDeployment(tx store.ReadTxn, id string, p *model.DistributionConfig, old *model.DistributionConfig) error {
	if old != nil && old.Staging != p.Staging {
		return model.Errorf("IllegalUpdate", "Staging cannot be updated: a staging distribution stays one, and a primary cannot become one.")
	}
	if p.Staging {
		code := "IllegalUpdate"
		if old == nil {
			code = "InvalidArgument"
		}
		if len(p.Aliases) > 0 {
			return model.Errorf(code, "A staging distribution cannot have alternate domain names (Aliases): viewers reach it through its primary.")
		}
		if p.ContinuousDeploymentPolicyID != "" {
			return model.Errorf(code, "A staging distribution cannot have a continuous deployment policy.")
		}
		if old == nil {
			return c.checkStagingQuota(tx)
		}
		return nil
	}
	pid := p.ContinuousDeploymentPolicyID
	if pid == "" {
		return nil
	}
	if strings.Contains(p.HTTPVersion, "3") {
		return model.Errorf("InvalidArgument", "A distribution that supports HTTP/3 (HttpVersion %s) cannot use continuous deployment.", p.HTTPVersion)
	}
	if _, ok, err := tx.Get(cdPolicyKey(pid)); err != nil {
		return err
	} else if !ok {
		return model.Errorf("NoSuchContinuousDeploymentPolicy", "The continuous deployment policy %q does not exist.", pid)
	}
	refs, err := tx.ListKeys(cdRefsPrefix(pid))
	if err != nil {
		return err
	}
	for _, r := range refs {
		if r.Key != cdRefKey(pid, distKey(id)) {
			return model.Errorf("ContinuousDeploymentPolicyInUse", "The continuous deployment policy %q is already associated with the primary distribution %q.", pid, strings.TrimPrefix(r.Key, cdRefsPrefix(pid)+model.DistributionPrefix))
		}
	}
	staging, err := c.stagingOf(tx, pid)
	if err != nil {
		return err
	}
	if staging == id {
		return model.Errorf("InvalidArgument", "The continuous deployment policy %q names this distribution as its staging distribution.", pid)
	}
	return nil
}

// checkStagingDelete fails with ResourceInUse when a continuous
// deployment policy names the staging distribution.
func checkStagingDelete(tx store.ReadTxn, id string) error {
	kv, ok, err := tx.Get(cdStagingKey(id))
	if err != nil || !ok {
		return err
	}
	return model.Errorf("ResourceInUse", "The staging distribution %q is named by the continuous deployment policy %q: delete the policy first.", id, strings.TrimPrefix(string(kv.Value), model.ContinuousDeploymentPolicyPrefix))
}

// CopyDistribution makes a staging distribution from a primary: its
// config with the given CallerReference, Staging true, no Aliases, no
// ContinuousDeploymentPolicyId, and Enabled as given (the primary's when
// nil). ifMatch is the primary's ETag. staging is the request's Staging
// header: CloudFront copies only to staging distributions ("The only
// valid value is True", API Reference, CopyDistribution).
func (c *Control) CopyDistribution(ctx context.Context, primaryID, ifMatch string, staging bool, callerRef string, enabled *bool) (*Distribution, bool, error) {
	var cfg model.Tree
	var primaryRev int64
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kv, err := getForChange(tx, distKey(primaryID), primaryID, ifMatch, errNotFound("NoSuchDistribution", "distribution"))
		if err != nil {
			return err
		}
		rec, err := decode[model.DistributionRecord](c, kv)
		if err != nil {
			return err
		}
		primaryRev = kv.ModRevision
		if model.Bool(rec.Config, "Staging") {
			return model.Errorf("InvalidArgument", "The distribution %q is a staging distribution: copy its primary instead.", primaryID)
		}
		cfg = model.Clone(rec.Config)
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if !staging {
		return nil, false, model.Errorf("InvalidArgument", "CopyDistribution copies to staging distributions only: send the header Staging: true.")
	}
	if callerRef == "" {
		return nil, false, model.Errorf("InvalidArgument", "CallerReference is required.")
	}
	cfg["CallerReference"] = callerRef
	cfg["Staging"] = "true"
	cfg["Aliases"] = model.Wrapper[string](nil)
	cfg["ContinuousDeploymentPolicyId"] = ""
	if enabled != nil {
		cfg["Enabled"] = map[bool]string{true: "true", false: "false"}[*enabled]
	}
	return c.createDistribution(ctx, cfg, nil, func(tx store.Txn) error {
		// The primary must still be the version If-Match named.
		kv, ok, err := tx.Get(distKey(primaryID))
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("NoSuchDistribution", "distribution")
		}
		if kv.ModRevision != primaryRev {
			return model.Errorf("PreconditionFailed", "The precondition given in one or more of the request-header fields evaluated to false.")
		}
		return nil
	})
}

// checkStagingQuota fails with TooManyDistributions when the account has
// its maximum number of staging distributions.
func (c *Control) checkStagingQuota(tx store.ReadTxn) error {
	kvs, err := tx.List(model.DistributionPrefix)
	if err != nil {
		return err
	}
	n := 0
	for _, kv := range kvs {
		rec, err := decode[model.DistributionRecord](c, kv)
		if err != nil {
			return err
		}
		if model.Bool(rec.Config, "Staging") {
			n++
		}
	}
	if n >= maxStagingDistributions {
		return model.Errorf("TooManyDistributions", "You have reached the maximum number of staging distributions (%d).", maxStagingDistributions)
	}
	return nil
}

// UpdateDistributionWithStagingConfig copies the staging distribution's
// config onto the primary, which keeps its Aliases,
// ContinuousDeploymentPolicyId and CallerReference (and stays a primary),
// and disables the primary's continuous deployment policy, so that all of
// the primary's traffic is served by the promoted config
// (UpdateDistributionWithStagingConfig, API Reference). ifMatch is
// "<primary ETag>, <staging ETag>".
func (c *Control) UpdateDistributionWithStagingConfig(ctx context.Context, primaryID, stagingID, ifMatch string) (*Distribution, error) {
	primaryTag, stagingTag, ok := strings.Cut(ifMatch, ",")
	primaryTag, stagingTag = strings.TrimSpace(primaryTag), strings.TrimSpace(stagingTag)
	if stagingID == "" {
		return nil, model.Errorf("InvalidArgument", "StagingDistributionId is required.")
	}
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		pkv, ok2, err := tx.Get(distKey(primaryID))
		if err != nil {
			return err
		}
		if !ok2 {
			return errNotFound("NoSuchDistribution", "distribution")
		}
		skv, ok3, err := tx.Get(distKey(stagingID))
		if err != nil {
			return err
		}
		if !ok3 {
			return errNotFound("NoSuchDistribution", "distribution")
		}
		if !ok || primaryTag == "" || stagingTag == "" {
			return model.Errorf("InvalidIfMatchVersion", "The If-Match version is missing or not valid: give the ETags of the primary and the staging distribution as \"<primary ETag>, <staging ETag>\".")
		}
		if err := checkIfMatch(primaryTag, etag(primaryID, pkv.ModRevision)); err != nil {
			return err
		}
		if err := checkIfMatch(stagingTag, etag(stagingID, skv.ModRevision)); err != nil {
			return err
		}
		prec, err := decode[model.DistributionRecord](c, pkv)
		if err != nil {
			return err
		}
		srec, err := decode[model.DistributionRecord](c, skv)
		if err != nil {
			return err
		}
		if model.Bool(prec.Config, "Staging") {
			return model.Errorf("InvalidArgument", "The distribution %q is a staging distribution, not a primary.", primaryID)
		}
		if !model.Bool(srec.Config, "Staging") {
			return model.Errorf("InvalidArgument", "The distribution %q is not a staging distribution.", stagingID)
		}
		pid := model.StrOr(prec.Config, "", "ContinuousDeploymentPolicyId")
		if pid != "" {
			if s, err := c.stagingOf(tx, pid); err != nil {
				return err
			} else if s != stagingID {
				return model.Errorf("InvalidArgument", "The staging distribution %q is not the one the primary's continuous deployment policy %q names.", stagingID, pid)
			}
		}
		next := model.Clone(srec.Config)
		for _, keep := range []string{"Aliases", "ContinuousDeploymentPolicyId", "CallerReference"} {
			if v, ok := prec.Config[keep]; ok {
				next[keep] = model.Clone(model.Tree{"v": v})["v"]
			} else {
				delete(next, keep)
			}
		}
		next["Staging"] = "false"
		if err := c.putUpdatedDistribution(tx, primaryID, prec, next); err != nil {
			return err
		}
		if pid == "" {
			return nil
		}
		kv, ok, err := tx.Get(cdPolicyKey(pid))
		if err != nil || !ok {
			return err
		}
		pol, err := decode[model.ContinuousDeploymentPolicyRecord](c, kv)
		if err != nil {
			return err
		}
		disabled := *pol
		disabled.Policy.Enabled = false
		disabled.LastModified = c.now().UTC()
		disabled.SessionEpoch = model.NextSessionEpoch(pol.SessionEpoch, pol.Policy, disabled.Policy)
		return putJSON(tx, cdPolicyKey(pid), disabled)
	})
	if err != nil {
		return nil, err
	}
	d, err := c.GetDistribution(ctx, primaryID)
	if d != nil {
		d.Status = "InProgress"
	}
	return d, err
}
