package snapshot

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"openfront/internal/model"
)

// What the edge does with each member of a DistributionConfig, and the
// report of the members it does not act on: OpenFront stores and returns
// every member CloudFront has, but never silently ignores one. When a
// distribution revision is deployed with a member the edge does not act on
// set to a value that would change CloudFront's behaviour, the edge logs
// one WARN line naming the distribution and the member, and counts it
// (openfront_config_ignored_fields_total). The README's table "What the
// edge acts on" is rendered from this list (TestREADME_fieldTable).

// Support is what OpenFront does with a DistributionConfig member.
type Support int

const (
	// ActedOn: the edge serves by it.
	ActedOn Support = iota
	// ControlPlane: it means something to the API only (idempotency,
	// descriptions), which OpenFront implements.
	ControlPlane
	// Refused: it names a resource OpenFront cannot have yet; the API
	// refuses any value but the defaults with CloudFront's error.
	Refused
	// NotActedOn: stored and returned, not acted on by the edge yet.
	NotActedOn
)

func (s Support) String() string {
	switch s {
	case ActedOn:
		return "acted on"
	case ControlPlane:
		return "control plane"
	case Refused:
		return "refused"
	}
	return "not acted on"
}

// Field is one leaf member of a DistributionConfig (2020-05-31), by its
// path: members joined by ".", list items as "[]" (shape.Model.LeafPaths).
type Field struct {
	Path    string
	Support Support
	// Defaults are the values that ask for nothing the edge lacks (absent
	// counts as a default). A Refused or NotActedOn member set to any other
	// value is reported at deploy time. Quantity members are never
	// reported: their Items are.
	Defaults []string
	Note     string
}

// behaviorPrefixes are where cache behaviour members live.
var behaviorPrefixes = []string{"DefaultCacheBehavior.", "CacheBehaviors.Items[]."}

// behaviorFields are the members of a cache behaviour (default or not).
var behaviorFields = []Field{
	{Path: "PathPattern", Support: ActedOn},
	{Path: "TargetOriginId", Support: ActedOn},
	{Path: "TrustedSigners.Enabled", Support: ActedOn},
	{Path: "TrustedSigners.Quantity", Support: ActedOn},
	{Path: "TrustedSigners.Items[]", Support: ActedOn},
	{Path: "TrustedKeyGroups.Enabled", Support: ActedOn},
	{Path: "TrustedKeyGroups.Quantity", Support: ActedOn},
	{Path: "TrustedKeyGroups.Items[]", Support: ActedOn},
	{Path: "ViewerProtocolPolicy", Support: ActedOn},
	{Path: "AllowedMethods.Quantity", Support: ActedOn},
	{Path: "AllowedMethods.Items[]", Support: ActedOn},
	{Path: "AllowedMethods.CachedMethods.Quantity", Support: ActedOn},
	{Path: "AllowedMethods.CachedMethods.Items[]", Support: ActedOn},
	{Path: "SmoothStreaming", Support: NotActedOn, Defaults: []string{"false"}, Note: "no Microsoft Smooth Streaming format handling"},
	{Path: "Compress", Support: ActedOn},
	{Path: "LambdaFunctionAssociations.Quantity", Support: Refused},
	{Path: "LambdaFunctionAssociations.Items[].LambdaFunctionARN", Support: Refused, Note: "InvalidLambdaFunctionAssociation: OpenFront runs no Lambda@Edge"},
	{Path: "LambdaFunctionAssociations.Items[].EventType", Support: Refused},
	{Path: "LambdaFunctionAssociations.Items[].IncludeBody", Support: Refused},
	{Path: "FunctionAssociations.Quantity", Support: ActedOn},
	{Path: "FunctionAssociations.Items[].FunctionARN", Support: ActedOn},
	{Path: "FunctionAssociations.Items[].EventType", Support: ActedOn},
	{Path: "FieldLevelEncryptionId", Support: ActedOn, Note: "form fields of POST and PUT bodies encrypted before the origin (package fle)"},
	{Path: "RealtimeLogConfigArn", Support: ActedOn, Note: "sampled requests are put to the Kinesis stream on --kinesis-endpoint"},
	{Path: "CachePolicyId", Support: ActedOn},
	{Path: "OriginRequestPolicyId", Support: ActedOn},
	{Path: "ResponseHeadersPolicyId", Support: ActedOn, Note: "managed or custom (package responseheaders), on every response including the edge's errors"},
	{Path: "GrpcConfig.Enabled", Support: ActedOn, Note: "application/grpc requests over HTTP/2 are proxied over HTTP/2 to HTTPS origins, streams and trailers included; needs POST allowed and HttpVersion http2 or http2and3"},
	{Path: "ForwardedValues.QueryString", Support: ActedOn},
	{Path: "ForwardedValues.Cookies.Forward", Support: ActedOn},
	{Path: "ForwardedValues.Cookies.WhitelistedNames.Quantity", Support: ActedOn},
	{Path: "ForwardedValues.Cookies.WhitelistedNames.Items[]", Support: ActedOn},
	{Path: "ForwardedValues.Headers.Quantity", Support: ActedOn},
	{Path: "ForwardedValues.Headers.Items[]", Support: ActedOn},
	{Path: "ForwardedValues.QueryStringCacheKeys.Quantity", Support: ActedOn},
	{Path: "ForwardedValues.QueryStringCacheKeys.Items[]", Support: ActedOn},
	{Path: "MinTTL", Support: ActedOn},
	{Path: "DefaultTTL", Support: ActedOn},
	{Path: "MaxTTL", Support: ActedOn},
}

// topFields are the other members, in model order; "*Behavior*" marks
// where behaviorFields go.
var topFields = []Field{
	{Path: "CallerReference", Support: ControlPlane, Note: "idempotency of CreateDistribution"},
	{Path: "Aliases.Quantity", Support: ActedOn},
	{Path: "Aliases.Items[]", Support: ActedOn},
	{Path: "DefaultRootObject", Support: ActedOn},
	{Path: "Origins.Quantity", Support: ActedOn},
	{Path: "Origins.Items[].Id", Support: ActedOn},
	{Path: "Origins.Items[].DomainName", Support: ActedOn},
	{Path: "Origins.Items[].OriginPath", Support: ActedOn},
	{Path: "Origins.Items[].CustomHeaders.Quantity", Support: ActedOn},
	{Path: "Origins.Items[].CustomHeaders.Items[].HeaderName", Support: ActedOn},
	{Path: "Origins.Items[].CustomHeaders.Items[].HeaderValue", Support: ActedOn},
	{Path: "Origins.Items[].S3OriginConfig.OriginAccessIdentity", Support: ActedOn},
	{Path: "Origins.Items[].S3OriginConfig.OriginReadTimeout", Support: ActedOn},
	{Path: "Origins.Items[].CustomOriginConfig.HTTPPort", Support: ActedOn},
	{Path: "Origins.Items[].CustomOriginConfig.HTTPSPort", Support: ActedOn},
	{Path: "Origins.Items[].CustomOriginConfig.OriginProtocolPolicy", Support: ActedOn},
	{Path: "Origins.Items[].CustomOriginConfig.OriginSslProtocols.Quantity", Support: ActedOn},
	{Path: "Origins.Items[].CustomOriginConfig.OriginSslProtocols.Items[]", Support: ActedOn, Note: "an allow-list: TLS versions from the lowest listed to the highest (TLSv1.2 includes TLS 1.3)"},
	{Path: "Origins.Items[].CustomOriginConfig.OriginReadTimeout", Support: ActedOn},
	{Path: "Origins.Items[].CustomOriginConfig.OriginKeepaliveTimeout", Support: ActedOn, Note: "idle pooled origin connections are closed after it"},
	{Path: "Origins.Items[].CustomOriginConfig.IpAddressType", Support: NotActedOn, Defaults: []string{"dualstack"}, Note: "the origin is reached at whatever address its name resolves to"},
	{Path: "Origins.Items[].CustomOriginConfig.OriginMtlsConfig.ClientCertificateArn", Support: Refused, Note: "EntityNotFound: no ACM certificates"},
	{Path: "Origins.Items[].VpcOriginConfig.VpcOriginId", Support: Refused, Note: "EntityNotFound: no VPC origins"},
	{Path: "Origins.Items[].VpcOriginConfig.OwnerAccountId", Support: Refused},
	{Path: "Origins.Items[].VpcOriginConfig.OriginReadTimeout", Support: Refused},
	{Path: "Origins.Items[].VpcOriginConfig.OriginKeepaliveTimeout", Support: Refused},
	{Path: "Origins.Items[].ConnectionAttempts", Support: ActedOn},
	{Path: "Origins.Items[].ConnectionTimeout", Support: ActedOn},
	{Path: "Origins.Items[].ResponseCompletionTimeout", Support: ActedOn, Note: "bounds the whole origin response, headers to last byte (504 OriginReadError)"},
	{Path: "Origins.Items[].OriginShield.Enabled", Support: NotActedOn, Defaults: []string{"false"}, Note: "no Origin Shield tier"},
	{Path: "Origins.Items[].OriginShield.OriginShieldRegion", Support: NotActedOn},
	{Path: "Origins.Items[].OriginAccessControlId", Support: ActedOn},
	{Path: "OriginGroups.Quantity", Support: ActedOn},
	{Path: "OriginGroups.Items[].Id", Support: ActedOn},
	{Path: "OriginGroups.Items[].FailoverCriteria.StatusCodes.Quantity", Support: ActedOn},
	{Path: "OriginGroups.Items[].FailoverCriteria.StatusCodes.Items[]", Support: ActedOn},
	{Path: "OriginGroups.Items[].Members.Quantity", Support: ActedOn},
	{Path: "OriginGroups.Items[].Members.Items[].OriginId", Support: ActedOn},
	{Path: "OriginGroups.Items[].SelectionCriteria", Support: NotActedOn, Defaults: []string{"default"}, Note: "media-quality-based selection is not done"},
	{Path: "*Behavior*"},
	{Path: "CustomErrorResponses.Quantity", Support: ActedOn},
	{Path: "CustomErrorResponses.Items[].ErrorCode", Support: ActedOn},
	{Path: "CustomErrorResponses.Items[].ResponsePagePath", Support: ActedOn},
	{Path: "CustomErrorResponses.Items[].ResponseCode", Support: ActedOn},
	{Path: "CustomErrorResponses.Items[].ErrorCachingMinTTL", Support: ActedOn},
	{Path: "Comment", Support: ControlPlane},
	{Path: "Logging.Enabled", Support: ActedOn},
	{Path: "Logging.IncludeCookies", Support: ActedOn},
	{Path: "Logging.Bucket", Support: ActedOn},
	{Path: "Logging.Prefix", Support: ActedOn},
	{Path: "PriceClass", Support: NotActedOn, Defaults: []string{"PriceClass_All"}, Note: "every edge serves every distribution"},
	{Path: "Enabled", Support: ActedOn},
	{Path: "ViewerCertificate.CloudFrontDefaultCertificate", Support: ActedOn, Note: "the edge's `*.<domain-suffix>` certificate"},
	{Path: "ViewerCertificate.IAMCertificateId", Support: ActedOn, Note: "the operator's certificate from `--certificate-dir`; InvalidViewerCertificate when it is missing, expired, has an RSA key over 4096 bits or does not cover an alias"},
	{Path: "ViewerCertificate.ACMCertificateArn", Support: ActedOn, Note: "the operator's certificate from `--certificate-dir`; InvalidViewerCertificate when it is missing, expired, has an RSA key over 4096 bits or does not cover an alias"},
	{Path: "ViewerCertificate.SSLSupportMethod", Support: NotActedOn, Defaults: []string{"sni-only"}, Note: "the edge picks certificates by SNI only"},
	{Path: "ViewerCertificate.MinimumProtocolVersion", Support: ActedOn, Note: "protocol floor and cipher suites of CloudFront's security policy (TLSv1 with the default certificate, as CloudFront); no SSLv3"},
	{Path: "ViewerCertificate.Certificate", Support: ActedOn, Note: "the legacy form of ACMCertificateArn / IAMCertificateId"},
	{Path: "ViewerCertificate.CertificateSource", Support: ActedOn},
	{Path: "Restrictions.GeoRestriction.RestrictionType", Support: ActedOn, Note: "countries from `--geoip-db`"},
	{Path: "Restrictions.GeoRestriction.Quantity", Support: ActedOn},
	{Path: "Restrictions.GeoRestriction.Items[]", Support: ActedOn},
	{Path: "WebACLId", Support: NotActedOn, Note: "no WAF; a malformed id is refused (InvalidWebACLId)"},
	{Path: "HttpVersion", Support: ActedOn, Note: "ALPN per distribution; HTTP/3 over QUIC on `--edge-quic-addr` for http3 and http2and3"},
	// IsIPV6Enabled only says whether CloudFront answers IPv6 (AAAA) DNS
	// queries for the distribution: with false "CloudFront responds to
	// IPv6 DNS requests with the DNS response code NOERROR and with no IP
	// addresses" (CloudFront API Reference, DistributionConfig). OpenFront
	// answers no DNS queries, for either family, and the edge serves
	// IPv4 and IPv6 viewers alike on the addresses it listens on; neither
	// value asks it for something it does not do, so neither is reported
	// (the Terraform AWS provider always sends false, the API's default is
	// true).
	{Path: "IsIPV6Enabled", Support: NotActedOn, Defaults: []string{"true", "false"}, Note: "OpenFront publishes no DNS records (the member only decides CloudFront's AAAA answers); the edge serves IPv4 and IPv6 viewers alike on the addresses it listens on, whatever the value"},
	{Path: "ContinuousDeploymentPolicyId", Support: ActedOn, Note: "the policy routes some requests to the staging distribution"},
	{Path: "Staging", Support: ActedOn, Note: "a staging distribution is served only through its primary's policy"},
	{Path: "AnycastIpListId", Support: Refused, Note: "EntityNotFound: no Anycast IP lists"},
	{Path: "TenantConfig.ParameterDefinitions[].Name", Support: NotActedOn, Note: "no multi-tenant distributions yet"},
	{Path: "TenantConfig.ParameterDefinitions[].Definition.StringSchema.Comment", Support: NotActedOn},
	{Path: "TenantConfig.ParameterDefinitions[].Definition.StringSchema.DefaultValue", Support: NotActedOn},
	{Path: "TenantConfig.ParameterDefinitions[].Definition.StringSchema.Required", Support: NotActedOn, Defaults: []string{"false"}},
	{Path: "ConnectionMode", Support: NotActedOn, Defaults: []string{"direct"}, Note: "no multi-tenant distributions yet"},
	{Path: "ViewerMtlsConfig.Mode", Support: NotActedOn, Note: "no viewer mTLS yet"},
	{Path: "ViewerMtlsConfig.TrustStoreConfig.TrustStoreId", Support: Refused, Note: "EntityNotFound: no trust stores yet"},
	{Path: "ViewerMtlsConfig.TrustStoreConfig.AdvertiseTrustStoreCaNames", Support: NotActedOn, Defaults: []string{"false"}},
	{Path: "ViewerMtlsConfig.TrustStoreConfig.IgnoreCertificateExpiry", Support: NotActedOn, Defaults: []string{"false"}},
	{Path: "ConnectionFunctionAssociation.Id", Support: Refused, Note: "EntityNotFound: no connection functions yet"},
	{Path: "CacheTagConfig.HeaderName", Support: NotActedOn, Note: "no cache tags"},
}

// DistributionFields is every leaf member of a 2020-05-31
// DistributionConfig with what OpenFront does with it, in model order.
var DistributionFields = func() []Field {
	var out []Field
	for _, f := range topFields {
		if f.Path != "*Behavior*" {
			out = append(out, f)
			continue
		}
		for _, prefix := range behaviorPrefixes {
			if prefix == "CacheBehaviors.Items[]." {
				out = append(out, Field{Path: "CacheBehaviors.Quantity", Support: ActedOn})
			}
			for _, bf := range behaviorFields {
				if prefix == "DefaultCacheBehavior." && bf.Path == "PathPattern" {
					continue // the default behaviour has none
				}
				bf.Path = prefix + bf.Path
				out = append(out, bf)
			}
		}
	}
	return out
}()

// reported are the members IgnoredFields looks at, split into segments.
var reported = func() []reportedField {
	var out []reportedField
	for _, f := range DistributionFields {
		if (f.Support == Refused || f.Support == NotActedOn) && !strings.HasSuffix(f.Path, "Quantity") {
			out = append(out, reportedField{Field: f, segments: strings.Split(f.Path, ".")})
		}
	}
	return out
}()

type reportedField struct {
	Field
	segments []string
}

// IgnoredFields returns the paths of the members of cfg the edge does not
// act on that are set to a value other than their defaults, in model
// order, each once.
func IgnoredFields(cfg model.Tree) []string {
	var out []string
	for _, f := range reported {
		defaults := f.Defaults
		if f.Path == "ViewerCertificate.SSLSupportMethod" && model.Bool(cfg, "ViewerCertificate", "CloudFrontDefaultCertificate") {
			// CloudFront shows the default certificate as vip, and the
			// edge does serve it to every viewer, with SNI or without.
			defaults = []string{"vip", "sni-only"}
		}
		if anyValue(cfg, f.segments, func(v string) bool { return v != "" && !slices.Contains(defaults, v) }) {
			out = append(out, f.Path)
		}
	}
	return out
}

// anyValue reports whether some scalar at the path satisfies pred; a
// segment "X[]" stands for every item of the list X.
func anyValue(t model.Tree, segments []string, pred func(string) bool) bool {
	if t == nil || len(segments) == 0 {
		return false
	}
	seg, rest := segments[0], segments[1:]
	name, isList := strings.CutSuffix(seg, "[]")
	v, ok := t[name]
	if !ok {
		return false
	}
	if isList {
		items, _ := v.([]any)
		for _, it := range items {
			switch it := it.(type) {
			case string:
				if len(rest) == 0 && pred(it) {
					return true
				}
			case map[string]any:
				if anyValue(it, rest, pred) {
					return true
				}
			}
		}
		return false
	}
	if len(rest) == 0 {
		s, ok := v.(string)
		return ok && pred(s)
	}
	sub, _ := v.(map[string]any)
	return anyValue(sub, rest, pred)
}

// ignoredReport logs and counts, once per distribution revision, the
// members the edge does not act on. It belongs to the watcher's goroutine.
type ignoredReport struct {
	log *slog.Logger
	// count is called once per reported member (may be nil).
	count func(field string)
	// seen is the LastModified of the revision last reported, by
	// distribution id: a recompile for another distribution's change, or a
	// resync, reports nothing new.
	seen map[string]time.Time
}

func newIgnoredReport(log *slog.Logger, count func(field string)) *ignoredReport {
	return &ignoredReport{log: log, count: count, seen: map[string]time.Time{}}
}

// check reports rec's ignored members if this revision was not checked yet.
func (r *ignoredReport) check(rec *model.DistributionRecord) {
	if last, ok := r.seen[rec.ID]; ok && last.Equal(rec.LastModified) {
		return
	}
	r.seen[rec.ID] = rec.LastModified
	for _, field := range IgnoredFields(rec.Config) {
		r.log.Warn("distribution sets a field the edge does not act on", "dist_id", rec.ID, "field", field)
		if r.count != nil {
			r.count(field)
		}
	}
}

// forget drops the distributions no longer in the working set.
func (r *ignoredReport) forget(live map[string]*model.DistributionRecord) {
	if len(r.seen) <= len(live) {
		return
	}
	ids := make(map[string]bool, len(live))
	for _, rec := range live {
		ids[rec.ID] = true
	}
	for id := range r.seen {
		if !ids[id] {
			delete(r.seen, id)
		}
	}
}

// FieldTable renders DistributionFields as the README's Markdown table:
// behaviour members once (as CacheBehavior.X), Quantity members left out
// (they follow their Items).
func FieldTable() string {
	var b strings.Builder
	counts := map[Support]int{}
	for _, f := range DistributionFields {
		counts[f.Support]++
	}
	fmt.Fprintf(&b, "Of the %d leaf members of a 2020-05-31 DistributionConfig, %d are acted on by the edge, %d by the control plane only, %d are refused (they name resources OpenFront cannot have yet) and %d are stored and returned but not acted on.\n",
		len(DistributionFields), counts[ActedOn], counts[ControlPlane], counts[Refused], counts[NotActedOn])
	b.WriteString("`CacheBehavior.X` stands for `DefaultCacheBehavior.X` and `CacheBehaviors.Items[].X`; `Quantity` members follow their `Items`.\n\n")
	b.WriteString("| Member | OpenFront | Logged and counted when | Note |\n|---|---|---|---|\n")
	for _, f := range DistributionFields {
		path, isBehavior := strings.CutPrefix(f.Path, behaviorPrefixes[1])
		switch {
		case strings.HasSuffix(f.Path, "Quantity"):
			continue
		case isBehavior && path != "PathPattern":
			continue // shown with DefaultCacheBehavior
		case isBehavior:
			path = "CacheBehavior." + path
		default:
			if p, ok := strings.CutPrefix(f.Path, behaviorPrefixes[0]); ok {
				path = "CacheBehavior." + p
			}
		}
		when := "—"
		if f.Support == Refused || f.Support == NotActedOn {
			when = "set"
			if len(f.Defaults) > 0 {
				when += ", other than `" + strings.Join(f.Defaults, "`, `") + "`"
			}
		}
		support := f.Support.String()
		if f.Support == NotActedOn {
			support = "**" + support + "**"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", path, support, when, f.Note)
	}
	return b.String()
}
