package control

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"openfront/internal/model"
	"openfront/internal/store"
)

// ListKeyGroupDistributions lists, in creation order, the ids of the
// distributions one of whose cache behaviours trusts the key group
// (ListDistributionsByKeyGroup); an unknown key group is NoSuchResource.
func (c *Control) ListKeyGroupDistributions(ctx context.Context, keyGroupID string, opts ListOptions) ([]string, Page, error) {
	if _, err := c.GetKeyGroup(ctx, keyGroupID); err != nil {
		return nil, Page{}, err
	}
	return c.distributionIDsWhere(ctx, opts, func(cfg model.Tree) bool {
		for _, b := range behaviorTrees(cfg) {
			if slices.Contains(model.StringItems(b, "TrustedKeyGroups"), keyGroupID) {
				return true
			}
		}
		return false
	})
}

// ListDistributionsByConnectionMode lists the distributions whose
// ConnectionMode is mode (direct when unset, its default).
func (c *Control) ListDistributionsByConnectionMode(ctx context.Context, mode string, opts ListOptions) ([]*Distribution, Page, error) {
	if mode != "direct" && mode != "tenant-only" {
		return nil, Page{}, model.Errorf("InvalidArgument", "The parameter ConnectionMode must be direct or tenant-only, not %q.", mode)
	}
	return c.listDistributions(ctx, opts, func(tx store.ReadTxn, kv store.KV) (bool, error) {
		rec, err := decodeAt[model.DistributionRecord](c, tx, kv)
		if err != nil {
			return false, err
		}
		return model.StrOr(rec.Config, "direct", "ConnectionMode") == mode, nil
	})
}

// distributionIDsWhere lists, in creation order, the ids of the
// distributions whose stored config keep accepts.
func (c *Control) distributionIDsWhere(ctx context.Context, opts ListOptions, keep func(model.Tree) bool) ([]string, Page, error) {
	var ids []string
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		ids = nil
		kvs, err := tx.ListKeys(model.DistributionPrefix)
		if err != nil {
			return err
		}
		slices.SortFunc(kvs, func(a, b store.KV) int { return cmp.Compare(a.CreateRevision, b.CreateRevision) })
		for _, kv := range kvs {
			rec, err := decodeAt[model.DistributionRecord](c, tx, kv)
			if err != nil {
				return err
			}
			if keep(rec.Config) {
				ids = append(ids, strings.TrimPrefix(kv.Key, model.DistributionPrefix))
			}
		}
		return nil
	})
	if err != nil {
		return nil, Page{}, err
	}
	items, next, truncated := page(ids, func(s string) string { return s }, opts.Marker, opts.MaxItems)
	return items, Page{Marker: opts.Marker, NextMarker: next, MaxItems: opts.MaxItems, IsTruncated: truncated}, nil
}

// Resources OpenFront cannot have: VPC origins, Anycast static IP lists,
// trust stores and connection functions are not served, and a
// distribution naming one is refused (checkUnservedReferences). Listing
// the distributions of one therefore answers what CloudFront answers for
// an id that does not exist: EntityNotFound, the not-found error
// botocore's model lists for ListDistributionsByVpcOriginId,
// ...ByAnycastIpListId, ...ByTrustStore and ...ByConnectionFunction.

// UnservedResourceNotFound is the error for listing the distributions of
// a resource of an unserved kind (what: "VPC origin").
func UnservedResourceNotFound(what, id string) error {
	return model.Errorf("EntityNotFound", "The %s %q does not exist (OpenFront does not serve %ss).", what, id, what)
}

// Shared resources. CloudFront shares (through AWS RAM) and attaches
// resource policies to VPC origins only ("Currently, CloudFront supports
// sharing VPC origins", Developer Guide, "Working with shared resources in
// CloudFront"), and OpenFront has none. A CloudFront ARN of a VPC origin
// is therefore EntityNotFound; one of any other kind of resource is
// UnsupportedOperation; anything else is InvalidArgument.

// CheckShareableResource checks a ResourceArn of ListDistributionsByOwnedResource
// and the resource policy operations, and returns the error CloudFront
// gives for it here.
func (c *Control) CheckShareableResource(arn string) error {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "cloudfront" || parts[5] == "" {
		return model.Errorf("InvalidArgument", "The parameter ResourceArn %q is not a CloudFront resource ARN.", arn)
	}
	kind, id, _ := strings.Cut(parts[5], "/")
	if kind == "vpc-origin" && id != "" {
		return UnservedResourceNotFound("VPC origin", id)
	}
	return model.Errorf("UnsupportedOperation", "The resource %q cannot be shared: CloudFront shares VPC origins only.", arn)
}
