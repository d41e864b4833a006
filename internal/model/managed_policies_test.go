package model_test

import (
	"net/http"
	"reflect"
	"testing"

	"openfront/internal/model"
	"openfront/internal/responseheaders"
)

// The managed policies pinned to the CloudFront Developer Guide pages
// "Use managed response headers policies", "Use managed cache policies" and
// "Use managed origin request policies": names, ids and settings.

// TestManagedResponseHeadersPolicies_documented: each documented header
// with its value and "Override origin?" column. Applied to an origin
// response that already carries every header with another value, a header
// the table overrides takes the policy's value and the others keep the
// origin's.
func TestManagedResponseHeadersPolicies_documented(t *testing.T) {
	type header struct {
		value    string
		override bool
	}
	security := map[string]header{
		"Referrer-Policy":           {"strict-origin-when-cross-origin", false},
		"Strict-Transport-Security": {"max-age=31536000", false},
		"X-Content-Type-Options":    {"nosniff", true}, // "adds X-Content-Type-Options: nosniff to all responses"
		"X-Frame-Options":           {"SAMEORIGIN", false},
		"X-Xss-Protection":          {"1; mode=block", false},
	}
	simpleCORS := map[string]header{"Access-Control-Allow-Origin": {"*", false}}
	with := func(sets ...map[string]header) map[string]header {
		out := map[string]header{}
		for _, s := range sets {
			for k, v := range s {
				out[k] = v
			}
		}
		return out
	}
	docs := []struct {
		id, name string
		headers  map[string]header // on a simple CORS GET with an Origin
	}{
		{"e61eb60c-9c35-4d20-a928-2b84e02af89c", "Managed-CORS-and-SecurityHeadersPolicy", with(simpleCORS, security)},
		{"5cc3b908-e619-4b99-88e5-2cf7f45965bd", "Managed-CORS-With-Preflight", with(simpleCORS, map[string]header{"Access-Control-Expose-Headers": {"*", false}})},
		{"eaab4381-ed33-4a86-88ca-d9558dc6cd63", "Managed-CORS-with-preflight-and-SecurityHeadersPolicy", with(simpleCORS, security, map[string]header{"Access-Control-Expose-Headers": {"*", false}})},
		{"67f7725c-6f97-4210-82d7-5512b31e9d03", "Managed-SecurityHeadersPolicy", security},
		{"60669652-455b-4ae9-85a4-c4c02393f86c", "Managed-SimpleCORS", simpleCORS},
	}
	if len(model.ManagedResponseHeadersPolicies) != len(docs) {
		t.Errorf("%d managed response headers policies, the guide lists %d", len(model.ManagedResponseHeadersPolicies), len(docs))
	}
	for _, d := range docs {
		t.Run(d.name, func(t *testing.T) {
			p, ok := model.ManagedResponseHeadersPolicies[d.id]
			if !ok || p.Name != d.name {
				t.Fatalf("policy %s: %q, %v", d.id, p.Name, ok)
			}
			compiled := responseheaders.Compile(p)
			req := http.Header{"Origin": {"https://app.example"}}
			// From an origin that sends none of them: the documented values.
			got := http.Header{}
			responseheaders.Apply(compiled, req, got)
			want := http.Header{}
			for k, h := range d.headers {
				want.Set(k, h.value)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("added to a bare response:\n got %v\nwant %v", got, want)
			}
			// From an origin that sends all of them: only the overriding
			// ones change. (CORS headers follow OriginOverride: any
			// Access-Control-* header from the origin keeps them all.)
			origin := http.Header{}
			for k := range d.headers {
				origin.Set(k, "from-origin")
			}
			responseheaders.Apply(compiled, req, origin)
			for k, h := range d.headers {
				wantValue := "from-origin"
				if h.override {
					wantValue = h.value
				}
				if v := origin.Get(k); v != wantValue {
					t.Errorf("%s over the origin's: %q, want %q (override %v)", k, v, wantValue, h.override)
				}
			}
		})
	}
	// The preflight policies allow every method and header.
	for _, id := range []string{"5cc3b908-e619-4b99-88e5-2cf7f45965bd", "eaab4381-ed33-4a86-88ca-d9558dc6cd63"} {
		c := model.ManagedResponseHeadersPolicies[id].CORS
		if c == nil || !reflect.DeepEqual(c.AllowMethods, []string{"ALL"}) || !reflect.DeepEqual(c.AllowHeaders, []string{"*"}) || c.AllowCredentials || c.OriginOverride {
			t.Errorf("%s CORS = %+v", id, c)
		}
	}
}

// TestManagedCachePolicies_documented pins TTLs and cache key settings.
func TestManagedCachePolicies_documented(t *testing.T) {
	none := model.Selection{Behavior: "none"}
	all := model.Selection{Behavior: "all"}
	methodHeaders := []string{"Host", "Origin", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"}
	want := map[string]model.CachePolicy{
		"2e54312d-136d-493c-8eb9-b001f22f67d2": {Name: "Managed-Amplify", MinTTL: 2, DefaultTTL: 2, MaxTTL: 600,
			Headers: []string{"Authorization", "CloudFront-Viewer-Country", "Host"}, Cookies: all, QueryStrings: all, AcceptEncodingGzip: true, AcceptEncodingBrotli: true},
		"4135ea2d-6df8-44a3-9df3-4b5a84be39ad": {Name: "Managed-CachingDisabled", Cookies: none, QueryStrings: none},
		"658327ea-f89d-4fab-a63d-7e88639e58f6": {Name: "Managed-CachingOptimized", MinTTL: 1, DefaultTTL: 86400, MaxTTL: 31536000,
			Cookies: none, QueryStrings: none, AcceptEncodingGzip: true, AcceptEncodingBrotli: true},
		"b2884449-e4de-46a7-ac36-70bc7f1ddd6d": {Name: "Managed-CachingOptimizedForUncompressedObjects", MinTTL: 1, DefaultTTL: 86400, MaxTTL: 31536000,
			Cookies: none, QueryStrings: none},
		"08627262-05a9-4f76-9ded-b50ca2e3a84f": {Name: "Managed-Elemental-MediaPackage", DefaultTTL: 86400, MaxTTL: 31536000,
			Headers: []string{"Origin"}, Cookies: none, QueryStrings: model.Selection{Behavior: "whitelist", Names: []string{"aws.manifestfilter", "start", "end", "m"}}, AcceptEncodingGzip: true},
		"83da9c7e-98b4-4e11-a168-04f0df8e2c65": {Name: "UseOriginCacheControlHeaders", MaxTTL: 31536000,
			Headers: methodHeaders, Cookies: all, QueryStrings: none, AcceptEncodingGzip: true, AcceptEncodingBrotli: true},
		"4cc15a8a-d715-48a4-82b8-cc0b614638fe": {Name: "UseOriginCacheControlHeaders-QueryStrings", MaxTTL: 31536000,
			Headers: methodHeaders, Cookies: all, QueryStrings: all, AcceptEncodingGzip: true, AcceptEncodingBrotli: true},
	}
	if !reflect.DeepEqual(model.ManagedCachePolicies, want) {
		for id, w := range want {
			if g := model.ManagedCachePolicies[id]; !reflect.DeepEqual(g, w) {
				t.Errorf("%s:\n got %+v\nwant %+v", id, g, w)
			}
		}
		t.Errorf("%d managed cache policies, the guide lists %d", len(model.ManagedCachePolicies), len(want))
	}
}

// TestManagedOriginRequestPolicies_documented pins what each forwards.
func TestManagedOriginRequestPolicies_documented(t *testing.T) {
	none := model.Selection{Behavior: "none"}
	all := model.Selection{Behavior: "all"}
	want := map[string]model.OriginRequestPolicy{
		"216adef6-5c7f-47e4-b989-5492eafa07d3": {Name: "Managed-AllViewer", Headers: model.Selection{Behavior: "allViewer"}, Cookies: all, QueryStrings: all},
		// "all CloudFront headers that were released through June 2022".
		"33f36d7e-f396-46d9-90e0-52428a34d9dc": {Name: "Managed-AllViewerAndCloudFrontHeaders-2022-06", Headers: model.Selection{Behavior: "allViewerAndWhitelistCloudFront", Names: []string{
			"CloudFront-Forwarded-Proto", "CloudFront-Is-Android-Viewer", "CloudFront-Is-Desktop-Viewer", "CloudFront-Is-IOS-Viewer",
			"CloudFront-Is-Mobile-Viewer", "CloudFront-Is-SmartTV-Viewer", "CloudFront-Is-Tablet-Viewer", "CloudFront-Viewer-Address",
			"CloudFront-Viewer-ASN", "CloudFront-Viewer-City", "CloudFront-Viewer-Country", "CloudFront-Viewer-Country-Name",
			"CloudFront-Viewer-Country-Region", "CloudFront-Viewer-Country-Region-Name", "CloudFront-Viewer-Http-Version",
			"CloudFront-Viewer-Latitude", "CloudFront-Viewer-Longitude", "CloudFront-Viewer-Metro-Code", "CloudFront-Viewer-Postal-Code",
			"CloudFront-Viewer-Time-Zone", "CloudFront-Viewer-TLS"}}, Cookies: all, QueryStrings: all},
		"b689b0a8-53d0-40ab-baf2-68738e2966ac": {Name: "Managed-AllViewerExceptHostHeader", Headers: model.Selection{Behavior: "allExcept", Names: []string{"Host"}}, Cookies: all, QueryStrings: all},
		"59781a5b-3903-41f3-afcb-af62929ccde1": {Name: "Managed-CORS-CustomOrigin", Headers: model.Selection{Behavior: "whitelist", Names: []string{"Origin"}}, Cookies: none, QueryStrings: none},
		"88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": {Name: "Managed-CORS-S3Origin", Headers: model.Selection{Behavior: "whitelist", Names: []string{"Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method"}}, Cookies: none, QueryStrings: none},
		"775133bc-15f2-49f9-abea-afb2e0bf67d2": {Name: "Managed-Elemental-MediaTailor-PersonalizedManifests", Headers: model.Selection{Behavior: "whitelist", Names: []string{"Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method", "User-Agent", "X-Forwarded-For"}}, Cookies: none, QueryStrings: all},
		"bf0718e1-ba1e-49d1-88b1-f726733018ae": {Name: "Managed-HostHeaderOnly", Headers: model.Selection{Behavior: "whitelist", Names: []string{"Host"}}, Cookies: none, QueryStrings: none},
		"acba4595-bd28-49b8-b9fe-13317c0390fa": {Name: "Managed-UserAgentRefererHeaders", Headers: model.Selection{Behavior: "whitelist", Names: []string{"User-Agent", "Referer"}}, Cookies: none, QueryStrings: all},
	}
	for id, w := range want {
		if g, ok := model.ManagedOriginRequestPolicies[id]; !ok || !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got %+v (%v)\nwant %+v", id, g, ok, w)
		}
	}
	if len(model.ManagedOriginRequestPolicies) != len(want) {
		t.Errorf("%d managed origin request policies, the guide lists %d", len(model.ManagedOriginRequestPolicies), len(want))
	}
}
