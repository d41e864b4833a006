package cloudfront

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"openfront/internal/api/awsproto"
	"openfront/internal/control"
	"openfront/internal/model"
)

// createDistribution serves CreateDistribution and, with ?WithTags,
// CreateDistributionWithTags.
func (h *Handler) createDistribution(w http.ResponseWriter, r *http.Request) error {
	var cfg model.Tree
	var tags []control.Tag
	if _, withTags := r.URL.Query()["WithTags"]; withTags {
		if versionOf(r) < "2020-05-31" {
			return awsproto.Errorf(http.StatusBadRequest, "InvalidURI", "CreateDistributionWithTags is not part of API version %s.", versionOf(r))
		}
		t, err := h.decode(r, "DistributionConfigWithTags", "DistributionConfigWithTags")
		if err != nil {
			return err
		}
		cfg, tags = model.Sub(t, "DistributionConfig"), tagsFromTree(model.Sub(t, "Tags"))
	} else {
		var err error
		if cfg, err = h.decode(r, "DistributionConfig", "DistributionConfig"); err != nil {
			return err
		}
	}
	d, _, err := h.control.CreateDistribution(r.Context(), cfg, tags)
	if err != nil {
		return err
	}
	w.Header().Set("Location", location(r, "/distribution/"+d.ID))
	w.Header().Set("ETag", d.ETag)
	return h.write(w, r, http.StatusCreated, "Distribution", "Distribution", h.distributionTree(r, d))
}

func (h *Handler) getDistribution(w http.ResponseWriter, r *http.Request) error {
	d, err := h.control.GetDistribution(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", d.ETag)
	return h.write(w, r, http.StatusOK, "Distribution", "Distribution", h.distributionTree(r, d))
}

func (h *Handler) getDistributionConfig(w http.ResponseWriter, r *http.Request) error {
	d, err := h.control.GetDistribution(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", d.ETag)
	return h.write(w, r, http.StatusOK, "DistributionConfig", "DistributionConfig", h.configView(r, d.Config))
}

func (h *Handler) updateDistribution(w http.ResponseWriter, r *http.Request) error {
	m := h.model(r)
	body := h.decodeOnce(r, "DistributionConfig", "DistributionConfig")
	d, err := h.control.UpdateDistribution(r.Context(), r.PathValue("Id"), ifMatch(r), func(stored model.Tree) (model.Tree, error) {
		cfg, err := body()
		if err != nil {
			return nil, err
		}
		merged := m.Merge(stored, cfg, "DistributionConfig")
		if !m.HasMember("DefaultCacheBehavior", "CachePolicyId") {
			model.DropLegacyCacheSettings(merged)
		}
		return merged, nil
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", d.ETag)
	return h.write(w, r, http.StatusOK, "Distribution", "Distribution", h.distributionTree(r, d))
}

func (h *Handler) deleteDistribution(w http.ResponseWriter, r *http.Request) error {
	if err := h.control.DeleteDistribution(r.Context(), r.PathValue("Id"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listDistributions(w http.ResponseWriter, r *http.Request) error {
	return h.writeDistributionList(w, r, nil, 0)
}

// listDistributionsByWebACLID serves ListDistributionsByWebACLId; the id
// "null" lists distributions without a web ACL.
func (h *Handler) listDistributionsByWebACLID(w http.ResponseWriter, r *http.Request) error {
	id, err := url.PathUnescape(r.PathValue("WebACLId"))
	if err != nil || id == "" || len(id) > 2048 {
		return awsproto.Errorf(http.StatusBadRequest, "InvalidWebACLId", "The web ACL id %q is not valid.", r.PathValue("WebACLId"))
	}
	if id == "null" {
		id = ""
	}
	return h.writeDistributionList(w, r, &id, 100)
}

func (h *Handler) writeDistributionList(w http.ResponseWriter, r *http.Request, webACLID *string, limit int) error {
	opts, err := listOptions(r, limit)
	if err != nil {
		return err
	}
	ds, p, err := h.control.ListDistributions(r.Context(), opts, webACLID)
	if err != nil {
		return err
	}
	return h.writeDistributions(w, r, ds, p)
}

// writeDistributions writes a page of distributions as a DistributionList.
func (h *Handler) writeDistributions(w http.ResponseWriter, r *http.Request, ds []*control.Distribution, p control.Page) error {
	// Each summary is encoded once per version of the distribution and
	// status, then reused: encoding dominates a List otherwise.
	m := h.model(r)
	items := make([][]byte, len(ds))
	for i, d := range ds {
		// A legacy view of a cache policy follows the policy, which can
		// change without the distribution's ETag: not cached.
		cached := m.HasMember("DefaultCacheBehavior", "CachePolicyId") || len(model.BehaviorsNamingCachePolicy(d.Config)) == 0
		key := m.Version() + "|" + d.ARN + "|" + d.ETag + "|" + d.Status + "|" + strconv.Itoa(d.InProgressInvalidationBatches)
		if b, ok := h.summaries.get(key); ok && cached {
			items[i] = b
			continue
		}
		b, err := m.EncodeElement("DistributionSummary", "DistributionSummary", distributionSummary(d, h.configView(r, d.Config)))
		if err != nil {
			return fmt.Errorf("encode DistributionSummary: %w", err)
		}
		if cached {
			h.summaries.put(key, b)
		}
		items[i] = b
	}
	return writeList(w, m.Namespace(), "DistributionList", p, items)
}

// configView is the stored config as the request's API version shows it:
// for a version without cache policies (2016-01-13), a copy in which each
// behaviour that names a cache policy carries the legacy settings that
// express it (model.ShowCachePolicyAsLegacy); cfg itself otherwise.
func (h *Handler) configView(r *http.Request, cfg model.Tree) model.Tree {
	if h.model(r).HasMember("DefaultCacheBehavior", "CachePolicyId") || len(model.BehaviorsNamingCachePolicy(cfg)) == 0 {
		return cfg
	}
	out := model.Clone(cfg)
	for _, b := range model.BehaviorsNamingCachePolicy(out) {
		p, err := control.GetPolicy(r.Context(), h.control, control.CachePolicies, model.StrOr(b, "", "CachePolicyId"))
		if err != nil {
			continue // deleted under a read: shown as it is
		}
		cp, err := model.ParseCachePolicyConfig(p.Config)
		if err != nil {
			continue
		}
		model.ShowCachePolicyAsLegacy(b, cp)
	}
	return out
}

// distributionTree is the Distribution response document. AliasICPRecordals
// lists each alias as APPROVED, as CloudFront does outside China (API
// Reference, AliasICPRecordal).
func (h *Handler) distributionTree(r *http.Request, d *control.Distribution) model.Tree {
	t := model.Tree{
		"Id":                            d.ID,
		"ARN":                           d.ARN,
		"Status":                        d.Status,
		"LastModifiedTime":              timestamp(d.LastModified),
		"InProgressInvalidationBatches": strconv.Itoa(d.InProgressInvalidationBatches),
		"DomainName":                    d.DomainName,
		"ActiveTrustedSigners":          h.activeTrustedSigners(r, d.TrustedSigners),
		"ActiveTrustedKeyGroups":        h.activeTrustedKeyGroups(r, d.TrustedKeyGroups),
		"DistributionConfig":            h.configView(r, d.Config),
	}
	if r := aliasICPRecordals(d.Config); r != nil {
		t["AliasICPRecordals"] = r
	}
	return t
}

func aliasICPRecordals(cfg model.Tree) []any {
	aliases := model.StringItems(cfg, "Aliases")
	if len(aliases) == 0 {
		return nil
	}
	recordals := make([]any, len(aliases))
	for i, a := range aliases {
		recordals[i] = model.Tree{"CNAME": a, "ICPRecordalStatus": "APPROVED"}
	}
	return recordals
}

// activeTrustedSigners lists each trusted signer with its active key
// pairs (API Reference, Signer): for "self" and the account's own id,
// the stored public keys, which the edge trusts for them; another
// account has none here, and the edge trusts nothing for it.
func (h *Handler) activeTrustedSigners(r *http.Request, signers []string) model.Tree {
	items := make([]model.Tree, len(signers))
	var own []string
	for i, s := range signers {
		var ids []string
		if model.OwnSigner(s, h.control.Settings().AccountID) {
			if own == nil {
				own = h.publicKeyIDs(r)
			}
			ids = own
		}
		items[i] = model.Tree{"AwsAccountNumber": s, "KeyPairIds": model.Wrapper(ids)}
	}
	t := model.Wrapper(items)
	t["Enabled"] = strconv.FormatBool(len(signers) > 0)
	return t
}

// publicKeyIDs lists the stored public keys' ids (an empty, non-nil list
// when there are none or the store does not answer).
func (h *Handler) publicKeyIDs(r *http.Request) []string {
	ids := []string{}
	opts := control.ListOptions{MaxItems: 100}
	for {
		keys, page, err := h.control.ListPublicKeys(r.Context(), opts)
		if err != nil {
			return ids
		}
		for _, k := range keys {
			ids = append(ids, k.ID)
		}
		if !page.IsTruncated {
			return ids
		}
		opts.Marker = page.NextMarker
	}
}

// activeTrustedKeyGroups lists each trusted key group with the ids of its
// public keys (API Reference, KGKeyPairIds).
func (h *Handler) activeTrustedKeyGroups(r *http.Request, groups []string) model.Tree {
	items := make([]model.Tree, len(groups))
	for i, g := range groups {
		var keys []string
		if kg, err := h.control.GetKeyGroup(r.Context(), g); err == nil {
			keys = model.StringItems(kg.Config)
		}
		items[i] = model.Tree{"KeyGroupId": g, "KeyPairIds": model.Wrapper(keys)}
	}
	t := model.Wrapper(items)
	t["Enabled"] = strconv.FormatBool(len(groups) > 0)
	return t
}

// distributionSummary is a DistributionSummary: the config's listed
// members. Configs are stored with CloudFront's defaults filled in
// (model.FillDefaults); the defaults here cover configs stored before that.
func distributionSummary(d *control.Distribution, c model.Tree) model.Tree {
	s := model.Tree{
		"Id":                   d.ID,
		"ARN":                  d.ARN,
		"ETag":                 d.ETag,
		"Status":               d.Status,
		"LastModifiedTime":     timestamp(d.LastModified),
		"DomainName":           d.DomainName,
		"Aliases":              orDefault(c, "Aliases", model.Wrapper[string](nil)),
		"Origins":              c["Origins"],
		"DefaultCacheBehavior": c["DefaultCacheBehavior"],
		"CacheBehaviors":       orDefault(c, "CacheBehaviors", model.Wrapper[string](nil)),
		"CustomErrorResponses": orDefault(c, "CustomErrorResponses", model.Wrapper[string](nil)),
		"Comment":              model.StrOr(c, "", "Comment"),
		"PriceClass":           model.StrOr(c, "PriceClass_All", "PriceClass"),
		"Enabled":              model.StrOr(c, "false", "Enabled"),
		"ViewerCertificate":    orDefault(c, "ViewerCertificate", model.Tree{"CloudFrontDefaultCertificate": "true", "SSLSupportMethod": "vip", "MinimumProtocolVersion": "TLSv1", "CertificateSource": "cloudfront"}),
		"Restrictions":         orDefault(c, "Restrictions", model.Tree{"GeoRestriction": model.Tree{"RestrictionType": "none", "Quantity": "0"}}),
		"WebACLId":             model.StrOr(c, "", "WebACLId"),
		"HttpVersion":          model.StrOr(c, "http2", "HttpVersion"),
		"IsIPV6Enabled":        model.StrOr(c, "true", "IsIPV6Enabled"),
		"Staging":              model.StrOr(c, "false", "Staging"),
	}
	if r := aliasICPRecordals(c); r != nil {
		s["AliasICPRecordals"] = r
	}
	for _, k := range []string{"OriginGroups", "ConnectionMode", "AnycastIpListId", "ViewerMtlsConfig", "ConnectionFunctionAssociation"} {
		if v, ok := c[k]; ok {
			s[k] = v
		}
	}
	return s
}

func orDefault(t model.Tree, key string, def any) any {
	if v, ok := t[key]; ok {
		return v
	}
	return def
}

// tagsFromTree reads a Tags document.
func tagsFromTree(t model.Tree) []control.Tag {
	var tags []control.Tag
	items, _ := t["Items"].([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		tags = append(tags, control.Tag{Key: model.StrOr(m, "", "Key"), Value: model.StrOr(m, "", "Value")})
	}
	return tags
}

func tagsTree(tags []control.Tag) model.Tree {
	items := make([]any, len(tags))
	for i, t := range tags {
		items[i] = model.Tree{"Key": t.Key, "Value": t.Value}
	}
	return model.Tree{"Items": items}
}
