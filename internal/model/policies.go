package model

// CachePolicy is a cache policy: TTLs and what goes into the cache key
// (and so is forwarded to the origin). OpenFront serves CloudFront's managed
// policies; the policy CRUD API is not served yet.
type CachePolicy struct {
	Name                       string
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
	Name string
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
		Headers: Selection{Behavior: "allViewerAndWhitelistCloudFront", Names: []string{"CloudFront-Viewer-Country", "CloudFront-Forwarded-Proto", "CloudFront-Is-Desktop-Viewer", "CloudFront-Is-Mobile-Viewer", "CloudFront-Is-Tablet-Viewer", "CloudFront-Is-SmartTV-Viewer", "CloudFront-Viewer-Address", "CloudFront-Viewer-Http-Version"}},
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
	"acba4595-bd28-49b8-b9fe-13317c0390fa": {Name: "Managed-UserAgentRefererHeaders",
		Headers: Selection{Behavior: "whitelist", Names: []string{"User-Agent", "Referer"}}, Cookies: Selection{Behavior: "none"}, QueryStrings: Selection{Behavior: "all"}},
}
