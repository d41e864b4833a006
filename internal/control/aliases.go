package control

import (
	"context"
	"slices"
	"strings"

	"openfront/internal/model"
	"openfront/internal/store"
)

// Moving an alternate domain name (CloudFront Developer Guide, "Move an
// alternate domain name"): the target distribution must have a viewer
// certificate that covers the alias ("Set up the target standard
// distribution"); the alias then leaves its source distribution and joins
// the target in one change, so no request finds it on neither. OpenFront
// publishes no DNS, so the documented _<alias> TXT record is not looked
// up.

// AssociateAlias moves alias to the target distribution (AssociateAlias):
// from the distribution that has it, if any. NoSuchDistribution for an
// unknown target; IllegalUpdate when the target's certificate does not
// cover the alias or the alias belongs to something other than a
// distribution; TooManyDistributionCNAMEs when the target is full.
func (c *Control) AssociateAlias(ctx context.Context, targetID, alias string) error {
	if !model.ValidAlias(alias) {
		return model.Errorf("InvalidArgument", "The parameter Alias %q is not a valid alternate domain name.", alias)
	}
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, ok, err := tx.Get(distKey(targetID))
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("NoSuchDistribution", "distribution")
		}
		return c.moveAlias(tx, kv, alias, false)
	})
	return err
}

// UpdateDomainAssociation moves domain to the target distribution
// (UpdateDomainAssociation): ifMatch is the target's ETag, and the source
// must be disabled first (API Reference, UpdateDomainAssociation). It
// returns the target's new ETag.
func (c *Control) UpdateDomainAssociation(ctx context.Context, domain, targetID, targetTenantID, ifMatch string) (string, error) {
	if !model.ValidAlias(domain) {
		return "", model.Errorf("InvalidArgument", "The parameter Domain %q is not a valid domain name.", domain)
	}
	if (targetID == "") == (targetTenantID == "") {
		return "", model.Errorf("InvalidArgument", "Specify either TargetResource.DistributionId or TargetResource.DistributionTenantId, not both.")
	}
	if targetTenantID != "" {
		return "", model.Errorf("EntityNotFound", "The distribution tenant %q does not exist (OpenFront has no distribution tenants).", targetTenantID)
	}
	rev, err := c.store.Update(ctx, func(tx store.Txn) error {
		kv, err := getForChange(tx, distKey(targetID), targetID, ifMatch, model.Errorf("EntityNotFound", "The distribution %q does not exist.", targetID))
		if err != nil {
			return err
		}
		return c.moveAlias(tx, kv, domain, true)
	})
	if err != nil {
		return "", err
	}
	if rev == 0 { // the domain was there already: nothing written
		d, err := c.GetDistribution(ctx, targetID)
		if err != nil {
			return "", err
		}
		return d.ETag, nil
	}
	return etag(targetID, rev), nil
}

// moveAlias adds alias to the distribution stored in targetKV and takes it
// off the distribution that has it. requireDisabledSource refuses a move
// from an enabled distribution (UpdateDomainAssociation).
func (c *Control) moveAlias(tx store.Txn, targetKV store.KV, alias string, requireDisabledSource bool) error {
	target, err := decode[model.DistributionRecord](c, targetKV)
	if err != nil {
		return err
	}
	next := model.Clone(target.Config)
	parsed, err := model.ParseDistributionConfig(next)
	if err != nil {
		return err
	}
	if err := c.certificateCovers(parsed, alias); err != nil {
		return model.Errorf("IllegalUpdate", "The target distribution %s must have a viewer certificate that covers %q: %v.", target.ID, alias, err)
	}
	owner := ""
	if kv, ok, err := tx.Get(aliasKey(alias)); err != nil {
		return err
	} else if ok {
		owner = string(kv.Value)
	}
	if owner == distKey(target.ID) {
		return nil // already there
	}
	if len(parsed.Aliases)+1 > c.settings.Quotas.AliasesPerDistribution {
		return model.Errorf("TooManyDistributionCNAMEs", "Your request contains more CNAMEs than are allowed per distribution.")
	}
	if owner != "" {
		if !strings.HasPrefix(owner, model.DistributionPrefix) {
			return model.Errorf("IllegalUpdate", "The alias %q belongs to a resource that is not a standard distribution; only aliases of standard distributions can be moved.", alias)
		}
		if err := c.removeAlias(tx, strings.TrimPrefix(owner, model.DistributionPrefix), alias, requireDisabledSource); err != nil {
			return err
		}
	}
	aliases := append(slices.Clone(parsed.Aliases), strings.ToLower(alias))
	next["Aliases"] = model.Wrapper(aliases)
	nextParsed, err := model.ParseDistributionConfig(next)
	if err != nil {
		return err
	}
	if err := syncIndex(tx, distKey(target.ID), distIndexKeys(target.ID, parsed), distIndexKeys(target.ID, nextParsed)); err != nil {
		return err
	}
	return putJSON(tx, distKey(target.ID), model.DistributionRecord{ID: target.ID, DomainName: target.DomainName, LastModified: c.now().UTC(), Config: next})
}

// removeAlias takes alias off the distribution id.
func (c *Control) removeAlias(tx store.Txn, id, alias string, requireDisabled bool) error {
	src, err := c.getDist(tx, id)
	if err != nil {
		return err
	}
	if requireDisabled && model.Bool(src.Config, "Enabled") {
		return model.Errorf("IllegalUpdate", "The distribution %s that has %q is enabled: disable it before moving the domain.", id, alias)
	}
	old, err := model.ParseDistributionConfig(src.Config)
	if err != nil {
		return err
	}
	next := model.Clone(src.Config)
	next["Aliases"] = model.Wrapper(slices.DeleteFunc(slices.Clone(old.Aliases), func(a string) bool { return strings.EqualFold(a, alias) }))
	parsed, err := model.ParseDistributionConfig(next)
	if err != nil {
		return err
	}
	if err := syncIndex(tx, distKey(id), distIndexKeys(id, old), distIndexKeys(id, parsed)); err != nil {
		return err
	}
	return putJSON(tx, distKey(id), model.DistributionRecord{ID: id, DomainName: src.DomainName, LastModified: c.now().UTC(), Config: next})
}

// certificateCovers tells (nil) whether the distribution's viewer
// certificate is one of the operator's (ACM or IAM) that covers alias;
// CloudFront's default certificate covers no alternate domain name.
func (c *Control) certificateCovers(p *model.DistributionConfig, alias string) error {
	vc := p.ViewerCertificate
	name := vc.ACMCertificateARN + vc.IAMCertificateID
	switch {
	case name == "":
		return errString("it uses the CloudFront default certificate")
	case c.settings.Certificates == nil:
		return errString("no certificate directory is configured")
	}
	return c.settings.Certificates.Check(name, []string{alias})
}

type errString string

func (e errString) Error() string { return string(e) }

// ConflictingAlias is an alias in use that conflicts or overlaps with
// another, with the (partly hidden) distribution and account that have it.
type ConflictingAlias struct {
	Alias          string
	DistributionID string
	AccountID      string
}

// ConflictingAliases lists, sorted by alias, the aliases in use that
// conflict or overlap with alias (ListConflictingAliases,
// ListDomainConflicts): the alias itself, wildcards that cover it and, for
// a wildcard, the names it covers. distributionID must name a distribution
// whose certificate covers alias ("the ID of a standard distribution in
// your account that has an attached TLS certificate that includes the
// provided alias", API Reference); notFound is the error for an unknown
// one.
func (c *Control) ConflictingAliases(ctx context.Context, distributionID, alias string, notFound error, opts ListOptions) ([]ConflictingAlias, Page, error) {
	if !model.ValidAlias(alias) {
		return nil, Page{}, model.Errorf("InvalidArgument", "The parameter Alias %q is not a valid alternate domain name.", alias)
	}
	alias = strings.ToLower(alias)
	var out []ConflictingAlias
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		out = nil
		kv, ok, err := tx.Get(distKey(distributionID))
		if err != nil {
			return err
		}
		if !ok {
			return notFound
		}
		rec, err := decode[model.DistributionRecord](c, kv)
		if err != nil {
			return err
		}
		parsed, err := model.ParseDistributionConfig(rec.Config)
		if err != nil {
			return err
		}
		if err := c.certificateCovers(parsed, alias); err != nil {
			return model.Errorf("InvalidArgument", "The distribution %s must have a viewer certificate that covers %q: %v.", distributionID, alias, err)
		}
		kvs, err := tx.List(model.AliasPrefix)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			a := strings.TrimPrefix(kv.Key, model.AliasPrefix)
			owner := string(kv.Value)
			if !aliasesOverlap(alias, a) || !strings.HasPrefix(owner, model.DistributionPrefix) {
				continue
			}
			out = append(out, ConflictingAlias{Alias: a, DistributionID: strings.TrimPrefix(owner, model.DistributionPrefix)})
		}
		return nil
	})
	if err != nil {
		return nil, Page{}, err
	}
	slices.SortFunc(out, func(a, b ConflictingAlias) int { return strings.Compare(a.Alias, b.Alias) })
	for i := range out {
		out[i].DistributionID = partlyHidden(out[i].DistributionID)
		out[i].AccountID = partlyHidden(c.settings.AccountID)
	}
	items, next, truncated := page(out, func(a ConflictingAlias) string { return a.Alias }, opts.Marker, opts.MaxItems)
	return items, Page{Marker: opts.Marker, NextMarker: next, MaxItems: opts.MaxItems, IsTruncated: truncated}, nil
}

// aliasesOverlap tells whether two lower-case aliases conflict or overlap:
// equal, or one a wildcard that covers the other. A wildcard
// *.example.com covers names at any depth below example.com, as the edge
// routes them, and the narrower wildcards there.
func aliasesOverlap(a, b string) bool {
	return a == b || wildcardCovers(a, b) || wildcardCovers(b, a)
}

func wildcardCovers(wildcard, name string) bool {
	suffix, ok := strings.CutPrefix(wildcard, "*.")
	return ok && strings.HasSuffix(name, "."+suffix)
}

// partlyHidden masks the middle of an id, as CloudFront shows the
// distribution and account ids of conflicting aliases ("partially hidden,
// which allows you to identify the distributions and accounts that you
// own", API Reference, ConflictingAlias).
func partlyHidden(id string) string {
	if len(id) <= 6 {
		return strings.Repeat("*", len(id))
	}
	return id[:3] + strings.Repeat("*", len(id)-6) + id[len(id)-3:]
}
