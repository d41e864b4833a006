package model

import (
	"strconv"
	"strings"
	"time"
)

// CachePolicy is a cache policy: TTLs and what goes into the cache key
// (and so is forwarded to the origin): CloudFront's managed policies below,
// or a custom one (CachePolicyRecord).
type CachePolicy struct {
	Name                       string
	Comment                    string
	MinTTL, DefaultTTL, MaxTTL int64
	Headers                    []string  // header names in the key
	Cookies                    Selection // cookies in the key
	QueryStrings               Selection // query strings in the key
	AcceptEncodingGzip         bool
	AcceptEncodingBrotli       bool
}

// OriginRequestPolicy adds what is forwarded to the origin without being
// in the cache key.
type OriginRequestPolicy struct {
	Name    string
	Comment string
	// Headers: Behavior is none, whitelist, allViewer,
	// allViewerAndWhitelistCloudFront or allExcept.
	Headers      Selection
	Cookies      Selection
	QueryStrings Selection
}

// Selection picks cookies, query strings or headers: Behavior is none,
// whitelist, allExcept or all (allViewer... for headers).
type Selection struct {
	Behavior string
	Names    []string
}

// ManagedCachePolicies are CloudFront's managed cache policies by id
// (using-managed-cache-policies.html).
var ManagedCachePolicies = map[string]CachePolicy{
	"658327ea-f89d-4fab-a63d-7e88639e58f6": {Name: "Managed-CachingOptimized", MinTTL: 1, DefaultTTL: 86400, MaxTTL: 31536000,
		Cookies: Selection{Behavior: "none"}, QueryStrings: Selection{Behavior: "none"}, AcceptEncodingGzip: true, AcceptEncodingBrotli: true},
	"b2884449-e4de-46a7-ac36-70bc7f1ddd6d": {Name: "Managed-CachingOptimizedForUncompressedObjects", MinTTL: 1, DefaultTTL: 86400, MaxTTL: 31536000,
		Cookies: Selection{Behavior: "none"}, QueryStrings: Selection{Behavior: "none"}},
	"4135ea2d-6df8-44a3-9df3-4b5a84be39ad": {Name: "Managed-CachingDisabled",
		Cookies: Selection{Behavior: "none"}, QueryStrings: Selection{Behavior: "none"}},
	"08627262-05a9-4f76-9ded-b50ca2e3a84f": {Name: "Managed-Elemental-MediaPackage", MinTTL: 0, DefaultTTL: 86400, MaxTTL: 31536000,
		Headers: []string{"Origin"}, Cookies: Selection{Behavior: "none"},
		QueryStrings: Selection{Behavior: "whitelist", Names: []string{"aws.manifestfilter", "start", "end", "m"}}, AcceptEncodingGzip: true},
	"2e54312d-136d-493c-8eb9-b001f22f67d2": {Name: "Managed-Amplify", MinTTL: 2, DefaultTTL: 2, MaxTTL: 600,
		Headers: []string{"Authorization", "CloudFront-Viewer-Country", "Host"}, Cookies: Selection{Behavior: "all"},
		QueryStrings: Selection{Behavior: "all"}, AcceptEncodingGzip: true, AcceptEncodingBrotli: true},
	"83da9c7e-98b4-4e11-a168-04f0df8e2c65": {Name: "UseOriginCacheControlHeaders", MinTTL: 0, DefaultTTL: 0, MaxTTL: 31536000,
		Headers: []string{"Host", "Origin", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"}, Cookies: Selection{Behavior: "all"},
		QueryStrings: Selection{Behavior: "none"}, AcceptEncodingGzip: true, AcceptEncodingBrotli: true},
	"4cc15a8a-d715-48a4-82b8-cc0b614638fe": {Name: "UseOriginCacheControlHeaders-QueryStrings", MinTTL: 0, DefaultTTL: 0, MaxTTL: 31536000,
		Headers: []string{"Host", "Origin", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"}, Cookies: Selection{Behavior: "all"},
		QueryStrings: Selection{Behavior: "all"}, AcceptEncodingGzip: true, AcceptEncodingBrotli: true},
}

// ManagedOriginRequestPolicies are CloudFront's managed origin request
// policies by id (using-managed-origin-request-policies.html).
var ManagedOriginRequestPolicies = map[string]OriginRequestPolicy{
	"216adef6-5c7f-47e4-b989-5492eafa07d3": {Name: "Managed-AllViewer",
		Headers: Selection{Behavior: "allViewer"}, Cookies: Selection{Behavior: "all"}, QueryStrings: Selection{Behavior: "all"}},
	"33f36d7e-f396-46d9-90e0-52428a34d9dc": {Name: "Managed-AllViewerAndCloudFrontHeaders-2022-06",
		// "all CloudFront headers that were released through June 2022".
		Headers: Selection{Behavior: "allViewerAndWhitelistCloudFront", Names: []string{
			"CloudFront-Forwarded-Proto", "CloudFront-Is-Android-Viewer", "CloudFront-Is-Desktop-Viewer", "CloudFront-Is-IOS-Viewer",
			"CloudFront-Is-Mobile-Viewer", "CloudFront-Is-SmartTV-Viewer", "CloudFront-Is-Tablet-Viewer", "CloudFront-Viewer-Address",
			"CloudFront-Viewer-ASN", "CloudFront-Viewer-City", "CloudFront-Viewer-Country", "CloudFront-Viewer-Country-Name",
			"CloudFront-Viewer-Country-Region", "CloudFront-Viewer-Country-Region-Name", "CloudFront-Viewer-Http-Version",
			"CloudFront-Viewer-Latitude", "CloudFront-Viewer-Longitude", "CloudFront-Viewer-Metro-Code", "CloudFront-Viewer-Postal-Code",
			"CloudFront-Viewer-Time-Zone", "CloudFront-Viewer-TLS"}},
		Cookies: Selection{Behavior: "all"}, QueryStrings: Selection{Behavior: "all"}},
	"b689b0a8-53d0-40ab-baf2-68738e2966ac": {Name: "Managed-AllViewerExceptHostHeader",
		Headers: Selection{Behavior: "allExcept", Names: []string{"Host"}}, Cookies: Selection{Behavior: "all"}, QueryStrings: Selection{Behavior: "all"}},
	"59781a5b-3903-41f3-afcb-af62929ccde1": {Name: "Managed-CORS-CustomOrigin",
		Headers: Selection{Behavior: "whitelist", Names: []string{"Origin"}}, Cookies: Selection{Behavior: "none"}, QueryStrings: Selection{Behavior: "none"}},
	"88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": {Name: "Managed-CORS-S3Origin",
		Headers: Selection{Behavior: "whitelist", Names: []string{"Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method"}},
		Cookies: Selection{Behavior: "none"}, QueryStrings: Selection{Behavior: "none"}},
	"775133bc-15f2-49f9-abea-afb2e0bf67d2": {Name: "Managed-Elemental-MediaTailor-PersonalizedManifests",
		Headers: Selection{Behavior: "whitelist", Names: []string{"Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method", "User-Agent", "X-Forwarded-For"}},
		Cookies: Selection{Behavior: "none"}, QueryStrings: Selection{Behavior: "all"}},
	"bf0718e1-ba1e-49d1-88b1-f726733018ae": {Name: "Managed-HostHeaderOnly",
		Headers: Selection{Behavior: "whitelist", Names: []string{"Host"}}, Cookies: Selection{Behavior: "none"}, QueryStrings: Selection{Behavior: "none"}},
	"acba4595-bd28-49b8-b9fe-13317c0390fa": {Name: "Managed-UserAgentRefererHeaders",
		Headers: Selection{Behavior: "whitelist", Names: []string{"User-Agent", "Referer"}}, Cookies: Selection{Behavior: "none"}, QueryStrings: Selection{Behavior: "all"}},
}

// PolicyRecord is a custom policy, under cachepolicy/<id> or
// originrequestpolicy/<id>.
type PolicyRecord[P any] struct {
	ID           string
	LastModified time.Time
	Policy       P
}

// CachePolicyRecord is a custom cache policy.
type CachePolicyRecord = PolicyRecord[CachePolicy]

// OriginRequestPolicyRecord is a custom origin request policy.
type OriginRequestPolicyRecord = PolicyRecord[OriginRequestPolicy]

// Quotas of a policy (CloudFront's defaults, cloudfront-limits.html).
const (
	maxPolicyNameLen    = 128
	maxPolicyListLength = 10 // headers, cookies or query strings in one policy
)

// ParseCachePolicyConfig reads and checks a CachePolicyConfig. The decoder
// has already checked the members the model requires and the enums. TTLs
// left out get CloudFront's defaults: DefaultTTL one day (or MinTTL if
// larger), MaxTTL one year (or DefaultTTL if larger).
func ParseCachePolicyConfig(t Tree) (CachePolicy, error) {
	cp := CachePolicy{Name: StrOr(t, "", "Name"), Comment: StrOr(t, "", "Comment")}
	if err := checkPolicyName(cp.Name); err != nil {
		return cp, err
	}
	cp.MinTTL, _ = Int(t, "MinTTL")
	def, hasDef := Int(t, "DefaultTTL")
	if !hasDef {
		def = max(86400, cp.MinTTL)
	}
	maxTTL, hasMax := Int(t, "MaxTTL")
	if !hasMax {
		maxTTL = max(31536000, def)
	}
	cp.DefaultTTL, cp.MaxTTL = def, maxTTL
	if cp.MinTTL < 0 || cp.MinTTL > cp.DefaultTTL || cp.DefaultTTL > cp.MaxTTL {
		return cp, Errorf("InvalidArgument", "The TTLs must satisfy 0 <= MinTTL (%d) <= DefaultTTL (%d) <= MaxTTL (%d).", cp.MinTTL, cp.DefaultTTL, cp.MaxTTL)
	}
	p := Sub(t, "ParametersInCacheKeyAndForwardedToOrigin")
	cp.AcceptEncodingGzip = Bool(p, "EnableAcceptEncodingGzip")
	cp.AcceptEncodingBrotli = Bool(p, "EnableAcceptEncodingBrotli")
	var err error
	if cp.Headers, err = policyNames(p, "TooManyHeadersInCachePolicy", "HeadersConfig", "HeaderBehavior", "Headers"); err != nil {
		return cp, err
	}
	if cp.Cookies, err = policySelection(p, "TooManyCookiesInCachePolicy", "CookiesConfig", "CookieBehavior", "Cookies"); err != nil {
		return cp, err
	}
	if cp.QueryStrings, err = policySelection(p, "TooManyQueryStringsInCachePolicy", "QueryStringsConfig", "QueryStringBehavior", "QueryStrings"); err != nil {
		return cp, err
	}
	return cp, nil
}

// Config is the policy as a CachePolicyConfig.
func (cp CachePolicy) Config() Tree {
	headerBehavior := "none"
	if len(cp.Headers) > 0 {
		headerBehavior = "whitelist"
	}
	return Tree{
		"Comment": cp.Comment, "Name": cp.Name,
		"DefaultTTL": itoa(cp.DefaultTTL), "MaxTTL": itoa(cp.MaxTTL), "MinTTL": itoa(cp.MinTTL),
		"ParametersInCacheKeyAndForwardedToOrigin": Tree{
			"EnableAcceptEncodingGzip":   boolString(cp.AcceptEncodingGzip),
			"EnableAcceptEncodingBrotli": boolString(cp.AcceptEncodingBrotli),
			"HeadersConfig":              selectionTree("HeaderBehavior", "Headers", Selection{Behavior: headerBehavior, Names: cp.Headers}),
			"CookiesConfig":              selectionTree("CookieBehavior", "Cookies", cp.Cookies),
			"QueryStringsConfig":         selectionTree("QueryStringBehavior", "QueryStrings", cp.QueryStrings),
		},
	}
}

// ParseOriginRequestPolicyConfig reads and checks an
// OriginRequestPolicyConfig (the decoder has checked required members and
// enums).
func ParseOriginRequestPolicyConfig(t Tree) (OriginRequestPolicy, error) {
	p := OriginRequestPolicy{Name: StrOr(t, "", "Name"), Comment: StrOr(t, "", "Comment")}
	if err := checkPolicyName(p.Name); err != nil {
		return p, err
	}
	var err error
	if p.Headers, err = policySelection(t, "TooManyHeadersInOriginRequestPolicy", "HeadersConfig", "HeaderBehavior", "Headers"); err != nil {
		return p, err
	}
	if p.Cookies, err = policySelection(t, "TooManyCookiesInOriginRequestPolicy", "CookiesConfig", "CookieBehavior", "Cookies"); err != nil {
		return p, err
	}
	if p.QueryStrings, err = policySelection(t, "TooManyQueryStringsInOriginRequestPolicy", "QueryStringsConfig", "QueryStringBehavior", "QueryStrings"); err != nil {
		return p, err
	}
	return p, nil
}

// Config is the policy as an OriginRequestPolicyConfig.
func (p OriginRequestPolicy) Config() Tree {
	return Tree{
		"Comment": p.Comment, "Name": p.Name,
		"HeadersConfig":      selectionTree("HeaderBehavior", "Headers", p.Headers),
		"CookiesConfig":      selectionTree("CookieBehavior", "Cookies", p.Cookies),
		"QueryStringsConfig": selectionTree("QueryStringBehavior", "QueryStrings", p.QueryStrings),
	}
}

// CheckIncomingCachePolicy applies the rules a cache policy must pass when
// it is created or updated, beyond ParseCachePolicyConfig, which also
// reads stored policies (a policy stored before a rule existed still
// reads). API reference, ParametersInCacheKeyAndForwardedToOrigin: only
// when both EnableAcceptEncoding flags are false can Accept-Encoding be
// listed in the headers like any other header; otherwise CloudFront
// normalizes it into the key itself.
func CheckIncomingCachePolicy(cp CachePolicy) error {
	if cp.AcceptEncodingGzip || cp.AcceptEncodingBrotli {
		return refuseHeaders(cp.Headers, "Accept-Encoding")
	}
	return nil
}

// CheckIncomingOriginRequestPolicy is CheckIncomingCachePolicy for an
// origin request policy. AWS Knowledge Center, "How do I configure
// CloudFront to forward the Authorization header to the origin?": an
// origin request policy that forwards Authorization is refused with a 400;
// it belongs in the cache key (a cache policy). API reference,
// ParametersInCacheKeyAndForwardedToOrigin: Accept-Encoding is the cache
// policy's too (EnableAcceptEncodingGzip/Brotli). Leaving them out
// (allExcept) is allowed, and so is Host: the managed HostHeaderOnly
// origin request policy lists it ("Use managed origin request policies").
func CheckIncomingOriginRequestPolicy(p OriginRequestPolicy) error {
	if p.Headers.Behavior == "allExcept" {
		return nil
	}
	return refuseHeaders(p.Headers.Names, "Authorization", "Accept-Encoding")
}

// refuseHeaders answers InvalidArgument, in CloudFront's words ("The
// parameter Headers contains Authorization that is not allowed."), when
// names holds one of refused (header names compare without case).
func refuseHeaders(names []string, refused ...string) error {
	for _, n := range names {
		for _, r := range refused {
			if strings.EqualFold(n, r) {
				return Errorf("InvalidArgument", "The parameter Headers contains %s that is not allowed.", n)
			}
		}
	}
	return nil
}

func checkPolicyName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return Errorf("InvalidArgument", "The parameter Name cannot be empty.")
	case len(name) > maxPolicyNameLen:
		return Errorf("InvalidArgument", "The parameter Name is too long (maximum %d characters).", maxPolicyNameLen)
	}
	return nil
}

// policySelection reads a {Behavior, Names} config such as CookiesConfig.
// Names are required for whitelist and allExcept; at most
// maxPolicyListLength (tooMany otherwise).
func policySelection(t Tree, tooMany, config, behavior, list string) (Selection, error) {
	c := Sub(t, config)
	sel := Selection{Behavior: StrOr(c, "none", behavior), Names: StringItems(c, list)}
	switch {
	case len(sel.Names) > maxPolicyListLength:
		return sel, Errorf(tooMany, "The %s has more than %d names.", config, maxPolicyListLength)
	case (sel.Behavior == "whitelist" || sel.Behavior == "allExcept") && len(sel.Names) == 0:
		return sel, Errorf("InvalidArgument", "The %s %s %q needs at least one name.", config, behavior, sel.Behavior)
	case sel.Behavior == "none" || sel.Behavior == "all" || sel.Behavior == "allViewer":
		if len(sel.Names) > 0 {
			return sel, Errorf("InvalidArgument", "The %s %s %q takes no names.", config, behavior, sel.Behavior)
		}
	}
	return sel, nil
}

// policyNames is policySelection for a cache policy's headers (none or
// whitelist): the names, nil for none.
func policyNames(t Tree, tooMany, config, behavior, list string) ([]string, error) {
	sel, err := policySelection(t, tooMany, config, behavior, list)
	return sel.Names, err
}

func selectionTree(behaviorName, listName string, sel Selection) Tree {
	b := sel.Behavior
	if b == "" {
		b = "none"
	}
	t := Tree{behaviorName: b}
	if len(sel.Names) > 0 || b != "none" && b != "all" && b != "allViewer" {
		t[listName] = Wrapper(sel.Names)
	}
	return t
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func boolString(b bool) string { return strconv.FormatBool(b) }
