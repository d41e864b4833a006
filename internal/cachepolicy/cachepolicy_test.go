package cachepolicy

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"openfront/internal/cfheaders"

	"openfront/internal/model"
)

func legacy(fv model.ForwardedValues) *Policy {
	return mustCompile(&model.Behavior{PathPattern: "*", Forwarded: &fv, MinTTL: 0, DefaultTTL: 86400, MaxTTL: 31536000}, Custom{})
}

func mustCompile(b *model.Behavior, custom Custom) *Policy {
	p, err := Compile(b, false, custom)
	if err != nil {
		panic(err)
	}
	return p
}

// A custom cache policy keys what it lists.
var customKeyed = Custom{Cache: map[string]model.CachePolicy{"c1": {Name: "keyed", MaxTTL: 600, DefaultTTL: 60,
	QueryStrings: model.Selection{Behavior: "whitelist", Names: []string{"v"}}, Headers: []string{"X-Device"}}}}

func key(p *Policy, path, query string, h http.Header) string {
	return string(p.AppendKey(nil, "E1", "*", path, query, h, "d1.example", nil))
}

// TestPolicy_AppendKey encodes the legacy cache-key rules of "Cache content
// based on query string parameters", "Cache content based on cookies" and
// "Cache content based on request headers" (AWS CloudFront Developer Guide).
func TestPolicy_AppendKey(t *testing.T) {
	tests := []struct {
		name       string
		policy     *Policy
		a, b       [2]string // path, query of two requests
		ha, hb     http.Header
		sameObject bool
	}{
		{"QueryString=false ignores the query", legacy(model.ForwardedValues{}), [2]string{"/a", "x=1"}, [2]string{"/a", "x=2"}, nil, nil, true},
		{"QueryString=true keys the whole query", legacy(model.ForwardedValues{QueryString: true}), [2]string{"/a", "x=1"}, [2]string{"/a", "x=2"}, nil, nil, false},
		{"query order matters", legacy(model.ForwardedValues{QueryString: true}), [2]string{"/a", "a=1&b=2"}, [2]string{"/a", "b=2&a=1"}, nil, nil, false},
		{"QueryStringCacheKeys keys only the listed names", legacy(model.ForwardedValues{QueryString: true, QueryStringCacheKeys: []string{"a"}}), [2]string{"/a", "a=1&z=1"}, [2]string{"/a", "z=2&a=1"}, nil, nil, true},
		{"QueryStringCacheKeys: a listed value differs", legacy(model.ForwardedValues{QueryString: true, QueryStringCacheKeys: []string{"a"}}), [2]string{"/a", "a=1"}, [2]string{"/a", "a=2"}, nil, nil, false},
		{"semicolon does not split parameters", legacy(model.ForwardedValues{QueryString: true, QueryStringCacheKeys: []string{"color"}}), [2]string{"/a", "color=red;size=l"}, [2]string{"/a", "color=red;size=xl"}, nil, nil, false},
		{"paths are case-sensitive", legacy(model.ForwardedValues{}), [2]string{"/A", ""}, [2]string{"/a", ""}, nil, nil, false},
		{"cookies none ignores cookies", legacy(model.ForwardedValues{CookieForward: "none"}), [2]string{"/a", ""}, [2]string{"/a", ""}, http.Header{"Cookie": {"s=1"}}, http.Header{"Cookie": {"s=2"}}, true},
		{"cookies whitelist keys listed cookies", legacy(model.ForwardedValues{CookieForward: "whitelist", CookieNames: []string{"s"}}), [2]string{"/a", ""}, [2]string{"/a", ""}, http.Header{"Cookie": {"s=1; t=1"}}, http.Header{"Cookie": {"t=2; s=1"}}, true},
		{"cookies whitelist wildcard", legacy(model.ForwardedValues{CookieForward: "whitelist", CookieNames: []string{"user_*"}}), [2]string{"/a", ""}, [2]string{"/a", ""}, http.Header{"Cookie": {"user_id=1"}}, http.Header{"Cookie": {"user_id=2"}}, false},
		{"cookies all keys every cookie", legacy(model.ForwardedValues{CookieForward: "all"}), [2]string{"/a", ""}, [2]string{"/a", ""}, http.Header{"Cookie": {"x=1"}}, http.Header{"Cookie": {"x=2"}}, false},
		{"whitelisted header keys its value", legacy(model.ForwardedValues{Headers: []string{"x-device"}}), [2]string{"/a", ""}, [2]string{"/a", ""}, http.Header{"X-Device": {"m"}}, http.Header{"X-Device": {"d"}}, false},
		{"other headers do not key", legacy(model.ForwardedValues{}), [2]string{"/a", ""}, [2]string{"/a", ""}, http.Header{"X-Device": {"m"}}, http.Header{"X-Device": {"d"}}, true},
		{"Accept-Encoding is normalised", legacy(model.ForwardedValues{}), [2]string{"/a", ""}, [2]string{"/a", ""}, http.Header{"Accept-Encoding": {"gzip, deflate"}}, http.Header{"Accept-Encoding": {"deflate, gzip, sdch"}}, true},
		{"gzip and identity viewers get different objects", legacy(model.ForwardedValues{}), [2]string{"/a", ""}, [2]string{"/a", ""}, http.Header{"Accept-Encoding": {"gzip"}}, nil, false},
		{"managed CachingOptimized ignores query and cookies", mustCompile(&model.Behavior{CachePolicyID: "658327ea-f89d-4fab-a63d-7e88639e58f6"}, Custom{}), [2]string{"/a", "x=1"}, [2]string{"/a", "x=2"}, http.Header{"Cookie": {"a=1"}}, http.Header{"Cookie": {"a=2"}}, true},
		{"managed Amplify keys the query", mustCompile(&model.Behavior{CachePolicyID: "2e54312d-136d-493c-8eb9-b001f22f67d2"}, Custom{}), [2]string{"/a", "x=1"}, [2]string{"/a", "x=2"}, nil, nil, false},
		{"custom policy keys its query whitelist", mustCompile(&model.Behavior{CachePolicyID: "c1"}, customKeyed), [2]string{"/a", "v=1&x=1"}, [2]string{"/a", "x=2&v=1"}, nil, nil, true},
		{"custom policy: another listed value", mustCompile(&model.Behavior{CachePolicyID: "c1"}, customKeyed), [2]string{"/a", "v=1"}, [2]string{"/a", "v=2"}, nil, nil, false},
		{"custom policy keys its header", mustCompile(&model.Behavior{CachePolicyID: "c1"}, customKeyed), [2]string{"/a", ""}, [2]string{"/a", ""}, http.Header{"X-Device": {"m"}}, http.Header{"X-Device": {"d"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ka, kb := key(tc.policy, tc.a[0], tc.a[1], tc.ha), key(tc.policy, tc.b[0], tc.b[1], tc.hb)
			if (ka == kb) != tc.sameObject {
				t.Errorf("keys %q and %q: same object = %v, want %v", ka, kb, ka == kb, tc.sameObject)
			}
			// Only the headers KeyHeaderNames lists make the key.
			for _, h := range []http.Header{tc.ha, tc.hb} {
				full := http.Header{"X-Noise": {"1"}, "User-Agent": {"ua"}}
				for k, v := range h {
					full[k] = v
				}
				only := http.Header{}
				for _, name := range tc.policy.KeyHeaderNames() {
					if v, ok := full[name]; ok {
						only[name] = v
					}
				}
				if a, b := key(tc.policy, "/p", "", full), key(tc.policy, "/p", "", only); a != b {
					t.Errorf("key from the whole header %q, from KeyHeaderNames %v only %q", a, tc.policy.KeyHeaderNames(), b)
				}
			}
		})
	}
}

func TestPolicy_forwarding(t *testing.T) {
	p := legacy(model.ForwardedValues{QueryString: true, QueryStringCacheKeys: []string{"a"}, CookieForward: "whitelist", CookieNames: []string{"s"}, Headers: []string{"X-Device"}})
	if got := p.ForwardQuery("a=1&z=2", nil); got != "a=1&z=2" {
		t.Errorf("ForwardQuery = %q; legacy QueryStringCacheKeys still forwards the whole query", got)
	}
	if got := p.ForwardQuery("a=1&Signature=x&Expires=1", func(n string) bool { return n == "Signature" || n == "Expires" }); got != "a=1" {
		t.Errorf("ForwardQuery with signing params = %q, want a=1", got)
	}
	if got := p.ForwardCookies(http.Header{"Cookie": {"t=9; s=1"}}); got != "s=1" {
		t.Errorf("ForwardCookies = %q, want s=1", got)
	}
	dst := http.Header{}
	p.ForwardHeaders(dst, http.Header{"X-Device": {"m"}, "Accept-Language": {"fr"}, "Authorization": {"x"}, "X-Custom": {"c"}})
	if dst.Get("X-Device") != "m" || dst.Get("X-Custom") != "c" {
		t.Errorf("whitelisted and custom headers must be forwarded: %v", dst)
	}
	if dst.Get("Accept-Language") != "" || dst.Get("Authorization") != "" {
		t.Errorf("Accept-Language and Authorization are removed by default: %v", dst)
	}
	all := legacy(model.ForwardedValues{Headers: []string{"*"}})
	if !all.CachingDisabled {
		t.Error(`Headers=["*"] must disable caching`)
	}
}

// TestPolicy_generatedHeaders: CloudFront-generated headers are keyed and
// forwarded with the edge's values only; a viewer's copies (any case,
// underscores, duplicates, through "all viewer headers") never reach the
// key or the origin ("Add CloudFront request headers").
func TestPolicy_generatedHeaders(t *testing.T) {
	orp := Custom{
		Cache: map[string]model.CachePolicy{"none": {Name: "none", MaxTTL: 600, DefaultTTL: 60}},
		OriginRequest: map[string]model.OriginRequestPolicy{"addr": {Name: "addr",
			Headers: model.Selection{Behavior: "whitelist", Names: []string{"cloudfront-viewer-address", "X-Custom"}}}},
	}
	const (
		allViewer        = "216adef6-5c7f-47e4-b989-5492eafa07d3"
		allViewerAndCF   = "33f36d7e-f396-46d9-90e0-52428a34d9dc"
		cachingOptimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"
		amplify          = "2e54312d-136d-493c-8eb9-b001f22f67d2"
	)
	tests := []struct {
		name           string
		policy         *Policy
		keyGen, fwdGen []string
		customFwd      bool // X-Custom reaches the origin
	}{
		{"legacy whitelist keys and forwards the country", legacy(model.ForwardedValues{Headers: []string{"CloudFront-Viewer-Country", "cloudfront-is-mobile-viewer"}}),
			[]string{cfheaders.IsMobileViewer, cfheaders.ViewerCountry}, []string{cfheaders.IsMobileViewer, cfheaders.ViewerCountry}, true},
		{"legacy default forwards customs, never viewer CloudFront-*", legacy(model.ForwardedValues{}), nil, nil, true},
		{"legacy all headers: the legacy generated ones, no viewer copies", legacy(model.ForwardedValues{Headers: []string{"*"}}),
			nil, []string{cfheaders.ForwardedProto, cfheaders.IsDesktopViewer, cfheaders.IsMobileViewer, cfheaders.IsSmartTVViewer,
				cfheaders.IsTabletViewer, cfheaders.ViewerCountry}, true},
		{"managed Amplify keys CloudFront-Viewer-Country", mustCompile(&model.Behavior{CachePolicyID: amplify}, Custom{}),
			[]string{cfheaders.ViewerCountry}, []string{cfheaders.ViewerCountry}, false},
		{"AllViewer: viewer headers but no CloudFront ones", mustCompile(&model.Behavior{CachePolicyID: cachingOptimized, OriginRequestPolicyID: allViewer}, Custom{}),
			nil, nil, true},
		{"AllViewerAndCloudFrontHeaders forwards the generated ones unkeyed", mustCompile(&model.Behavior{CachePolicyID: cachingOptimized, OriginRequestPolicyID: allViewerAndCF}, Custom{}),
			nil, canonical(model.ManagedOriginRequestPolicies[allViewerAndCF].Headers.Names), true},
		{"origin request policy whitelist", mustCompile(&model.Behavior{CachePolicyID: "none", OriginRequestPolicyID: "addr"}, orp),
			nil, []string{cfheaders.ViewerAddress}, true},
	}
	hostile := http.Header{
		"Cloudfront-Viewer-Country":   {"ZZ", "YY"}, // duplicates
		"Cloudfront_viewer_country":   {"ZZ"},       // CGI gateways read it as the same variable
		"Cloudfront-Is-Mobile-Viewer": {"true"},
		"Cloudfront-Forwarded-Proto":  {"https"},
		"Cloudfront-Viewer-Address":   {"10.0.0.1:1"},
		"Cloudfront-Viewer-New-Thing": {"x"},
		"X-Custom":                    {"c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.policy.KeyGenerated(); !slices.Equal(got, tc.keyGen) && len(got)+len(tc.keyGen) > 0 {
				t.Errorf("KeyGenerated = %v, want %v", got, tc.keyGen)
			}
			if got := tc.policy.GeneratedHeaders(); !slices.Equal(got, tc.fwdGen) && len(got)+len(tc.fwdGen) > 0 {
				t.Errorf("GeneratedHeaders = %v, want %v", got, tc.fwdGen)
			}
			for _, name := range tc.policy.KeyHeaderNames() {
				if cfheaders.IsGenerated(name) {
					t.Errorf("KeyHeaderNames lists %s: the fast path would key on the viewer's copy", name)
				}
			}
			dst := http.Header{}
			tc.policy.ForwardHeaders(dst, hostile.Clone())
			for name := range dst {
				if cfheaders.IsGenerated(name) {
					t.Errorf("viewer's %s forwarded: %v", name, dst)
				}
			}
			if got := dst.Get("X-Custom") == "c"; got != tc.customFwd {
				t.Errorf("X-Custom forwarded = %v, want %v", got, tc.customFwd)
			}
			// The key: viewer copies never count; generated values do
			// when keyed.
			plain := key(tc.policy, "/a", "", nil)
			if got := key(tc.policy, "/a", "", hostile); got != plain {
				t.Errorf("viewer copies changed the key: %q vs %q", got, plain)
			}
			genKey := func(h, gen http.Header) string {
				return string(tc.policy.AppendKeyWith(nil, "E1", "*", "/a", "", h, gen, "d1.example", nil))
			}
			de := http.Header{cfheaders.ViewerCountry: {"DE"}, cfheaders.IsMobileViewer: {"false"}}
			fr := http.Header{cfheaders.ViewerCountry: {"FR"}, cfheaders.IsMobileViewer: {"false"}}
			if genKey(hostile, de) != genKey(nil, de) {
				t.Error("with generated values, viewer copies still changed the key")
			}
			if differ := genKey(nil, de) != genKey(nil, fr); differ != (len(tc.keyGen) > 0) {
				t.Errorf("generated country splits the key = %v, want %v", differ, len(tc.keyGen) > 0)
			}
		})
	}
}

// TestPolicy_NormalizedAcceptEncoding: a cache policy with both
// EnableAcceptEncoding flags normalises to br, gzip or both; a legacy
// behaviour to gzip alone ("Serve compressed files": Brotli doesn't
// support legacy cache settings).
func TestPolicy_NormalizedAcceptEncoding(t *testing.T) {
	optimized := mustCompile(&model.Behavior{CachePolicyID: managedCachingOptimized}, Custom{})
	old := legacy(model.ForwardedValues{})
	tests := []struct {
		in, policy, legacy string
	}{
		{"gzip", "gzip", "gzip"},
		{"gzip, deflate, br", "br,gzip", "gzip"},
		{"br", "br", ""},
		{"deflate", "", ""},
		{"gzip;q=0, br", "br", ""},
		{"identity", "", ""},
		{"GZIP", "gzip", "gzip"},
		{"br;q=0.5, gzip;q=1.0", "br,gzip", "gzip"},
		{"zstd, br, gzip", "br,gzip", "gzip"},
	}
	for _, tc := range tests {
		h := http.Header{"Accept-Encoding": {tc.in}}
		if got := optimized.NormalizedAcceptEncoding(h); got != tc.policy {
			t.Errorf("cache policy: NormalizedAcceptEncoding(%q) = %q, want %q", tc.in, got, tc.policy)
		}
		if got := old.NormalizedAcceptEncoding(h); got != tc.legacy {
			t.Errorf("legacy: NormalizedAcceptEncoding(%q) = %q, want %q", tc.in, got, tc.legacy)
		}
	}
	raw := legacy(model.ForwardedValues{Headers: []string{"Accept-Encoding"}})
	if raw.Compressible() || raw.NormalizedAcceptEncoding(http.Header{"Accept-Encoding": {"gzip"}}) != "" {
		t.Error("a whitelisted Accept-Encoding is keyed raw and disables edge compression")
	}
}

func TestCompile_unknownPolicy(t *testing.T) {
	if _, err := Compile(&model.Behavior{CachePolicyID: "nope"}, false, Custom{}); err == nil {
		t.Error("an unknown cache policy compiled")
	}
	if _, err := Compile(&model.Behavior{CachePolicyID: "c1", OriginRequestPolicyID: "nope"}, false, customKeyed); err == nil {
		t.Error("an unknown origin request policy compiled")
	}
}

func FuzzAppendKey(f *testing.F) {
	f.Add("/a/b", "x=1&y=2", "s=1; t=2", "gzip")
	f.Fuzz(func(t *testing.T, path, query, cookie, ae string) {
		p := legacy(model.ForwardedValues{QueryString: true, QueryStringCacheKeys: []string{"x"}, CookieForward: "whitelist", CookieNames: []string{"s*"}})
		h := http.Header{"Cookie": {cookie}, "Accept-Encoding": {ae}}
		if a, b := key(p, path, query, h), key(p, path, query, h); a != b {
			t.Fatalf("key not deterministic: %q vs %q", a, b)
		}
		_ = p.ForwardQuery(query, nil)
		_ = p.ForwardCookies(h)
	})
}

func BenchmarkAppendKey(b *testing.B) {
	p := legacy(model.ForwardedValues{QueryString: true})
	h := http.Header{"Accept-Encoding": {"gzip, br"}}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = p.AppendKey(buf[:0], "E1ABCDEFGHIJKL", "*", "/images/logo.png", "v=3", h, "d1.example", nil)
	}
}

// FuzzGeneratedNeverFromViewer: whatever header a viewer sends, a
// CloudFront-generated name never reaches the origin request or the key.
func FuzzGeneratedNeverFromViewer(f *testing.F) {
	for _, s := range []string{"CloudFront-Viewer-Country", "cloudfront_viewer_country", "Cloudfront-Is-Mobile-Viewer", "X-Custom", "CloudFront-Forwarded-Proto"} {
		f.Add(s, "ZZ")
	}
	policies := []*Policy{
		legacy(model.ForwardedValues{}),
		legacy(model.ForwardedValues{Headers: []string{"*"}}),
		legacy(model.ForwardedValues{Headers: []string{"CloudFront-Viewer-Country", "CloudFront-Forwarded-Proto", "CloudFront-Is-Mobile-Viewer"}}),
		mustCompile(&model.Behavior{CachePolicyID: "2e54312d-136d-493c-8eb9-b001f22f67d2"}, Custom{}),
		mustCompile(&model.Behavior{CachePolicyID: "658327ea-f89d-4fab-a63d-7e88639e58f6", OriginRequestPolicyID: "216adef6-5c7f-47e4-b989-5492eafa07d3"}, Custom{}),
		mustCompile(&model.Behavior{CachePolicyID: "658327ea-f89d-4fab-a63d-7e88639e58f6", OriginRequestPolicyID: "33f36d7e-f396-46d9-90e0-52428a34d9dc"}, Custom{}),
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		src := http.Header{name: {value}, "X-Other": {"1"}}
		for i, p := range policies {
			dst := http.Header{}
			p.ForwardHeaders(dst, src)
			for n := range dst {
				if cfheaders.IsGenerated(n) {
					t.Fatalf("policy %d forwarded the viewer's %q", i, n)
				}
			}
			if cfheaders.IsGenerated(name) {
				gen := http.Header{"Cloudfront-Viewer-Country": {"DE"}}
				with := p.AppendKeyWith(nil, "E1", "*", "/a", "", src, gen, "h", nil)
				without := p.AppendKeyWith(nil, "E1", "*", "/a", "", http.Header{"X-Other": {"1"}}, gen, "h", nil)
				if string(with) != string(without) {
					t.Fatalf("policy %d: the viewer's %q changed the key", i, name)
				}
			}
		}
	})
}

// TestPolicy_VaryUserAgentWithDeviceHeaders: an origin's Vary: User-Agent
// is kept when a CloudFront-Is-*-Viewer header (decided from it) is
// forwarded, and dropped otherwise ("Request and response behavior for
// custom origins", Vary).
func TestPolicy_VaryUserAgentWithDeviceHeaders(t *testing.T) {
	for _, tc := range []struct {
		policy *Policy
		want   bool
	}{
		{legacy(model.ForwardedValues{Headers: []string{"CloudFront-Is-Mobile-Viewer"}}), true},
		{legacy(model.ForwardedValues{Headers: []string{"CloudFront-Viewer-Country"}}), false},
		{legacy(model.ForwardedValues{}), false},
		{legacy(model.ForwardedValues{Headers: []string{"User-Agent"}}), true},
	} {
		if got := tc.policy.VaryAllowed("user-agent"); got != tc.want {
			t.Errorf("%v: VaryAllowed(User-Agent) = %v, want %v", tc.policy.GeneratedHeaders(), got, tc.want)
		}
	}
}

// canonical is names in net/http's canonical form.
func canonical(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = http.CanonicalHeaderKey(n)
	}
	return out
}

// appendQuery's whole-query shortcut (every parameter, no skip) gives
// what the parameter loop gives, for any query.
func FuzzAppendQueryAll(f *testing.F) {
	for _, raw := range []string{"", "a", "a=1&b=2", "a&", "&a", "a&&b", "&", "&&", "a=1&", "=&=", "x=%26&y"} {
		f.Add(raw)
	}
	all := selection{mode: All}
	f.Fuzz(func(t *testing.T, raw string) {
		got := string(appendQuery([]byte("k?"), raw, all, nil))
		want := string(appendSelected([]byte("k?"), raw, all, nil))
		if got != want {
			t.Fatalf("query %q: key %q, the parameter loop gives %q", raw, got, want)
		}
	})
}

// allExceptORP is a custom origin request policy forwarding every viewer
// header but X-Secret and User-Agent, with CachingOptimized's key.
var allExceptORP = Custom{OriginRequest: map[string]model.OriginRequestPolicy{"orp-except": {Name: "except",
	Headers: model.Selection{Behavior: "allExcept", Names: []string{"x-secret", "user-agent"}}}}}

const (
	managedCachingOptimized  = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	managedCachingDisabled   = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	managedAllViewer         = "216adef6-5c7f-47e4-b989-5492eafa07d3"
	managedAllViewerExcptHst = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

// TestPolicy_ForwardsHeader: "all viewer headers" leaves out the names of
// an allExcept list (API reference OriginRequestPolicyHeadersConfig;
// "Use managed origin request policies", AllViewerExceptHostHeader), so
// the edge sends the origin's domain name as Host ("Request and response
// behavior for custom origins", Host) and drops those names from Vary.
// A keyed header is always forwarded (ParametersInCacheKeyAndForwardedToOrigin).
func TestPolicy_ForwardsHeader(t *testing.T) {
	exceptHost := mustCompile(&model.Behavior{CachePolicyID: managedCachingOptimized, OriginRequestPolicyID: managedAllViewerExcptHst}, Custom{})
	allViewer := mustCompile(&model.Behavior{CachePolicyID: managedCachingOptimized, OriginRequestPolicyID: managedAllViewer}, Custom{})
	custom := mustCompile(&model.Behavior{CachePolicyID: managedCachingOptimized, OriginRequestPolicyID: "orp-except"}, allExceptORP)
	keyedExcepted := mustCompile(&model.Behavior{CachePolicyID: "c1", OriginRequestPolicyID: "orp-x"}, Custom{
		Cache:         customKeyed.Cache,
		OriginRequest: map[string]model.OriginRequestPolicy{"orp-x": {Headers: model.Selection{Behavior: "allExcept", Names: []string{"X-Device"}}}},
	})
	tests := []struct {
		name     string
		policy   *Policy
		header   string
		forwards bool
	}{
		{"AllViewerExceptHostHeader: Host is not forwarded", exceptHost, "Host", false},
		{"AllViewerExceptHostHeader: other headers are", exceptHost, "X-Custom", true},
		{"AllViewerExceptHostHeader: User-Agent is", exceptHost, "User-Agent", true},
		{"AllViewer forwards Host", allViewer, "Host", true},
		{"custom allExcept: a listed name (any case in the policy)", custom, "X-Secret", false},
		{"custom allExcept: User-Agent listed", custom, "User-Agent", false},
		{"custom allExcept: an unlisted name", custom, "X-Other", true},
		{"custom allExcept: Host unlisted", custom, "Host", true},
		{"a keyed header is forwarded even when excepted", keyedExcepted, "X-Device", true},
		{"legacy default forwards no Host", legacy(model.ForwardedValues{}), "Host", false},
		{"legacy all headers forwards Host", legacy(model.ForwardedValues{Headers: []string{"*"}}), "Host", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.policy.ForwardsHeader(tc.header); got != tc.forwards {
				t.Errorf("ForwardsHeader(%q) = %v, want %v", tc.header, got, tc.forwards)
			}
			if tc.header == "Host" || tc.header == "User-Agent" {
				return // VaryAllowed has its own rules for these (User-Agent: device headers)
			}
			if got := tc.policy.VaryAllowed(strings.ToLower(tc.header)); got != tc.forwards {
				t.Errorf("VaryAllowed(%q) = %v, want %v (Vary keeps only forwarded headers)", tc.header, got, tc.forwards)
			}
			dst := http.Header{}
			tc.policy.ForwardHeaders(dst, http.Header{tc.header: {"v"}})
			if _, got := dst[tc.header]; got != tc.forwards {
				t.Errorf("ForwardHeaders copied %s = %v, want %v", tc.header, got, tc.forwards)
			}
		})
	}
}

// TestPolicy_ForwardHeaders_acceptEncoding: with EnableAcceptEncodingGzip
// and EnableAcceptEncodingBrotli both false, Accept-Encoding is like any
// other viewer header (ParametersInCacheKeyAndForwardedToOrigin, API
// reference): "all viewer headers" forwards it as sent, an allExcept list
// can leave it out; a policy that normalises it leaves it to the caller.
func TestPolicy_ForwardHeaders_acceptEncoding(t *testing.T) {
	noEncoding := Custom{OriginRequest: map[string]model.OriginRequestPolicy{"orp-no-ae": {
		Headers: model.Selection{Behavior: "allExcept", Names: []string{"accept-encoding"}}}}}
	tests := []struct {
		name   string
		policy *Policy
		want   string // the Accept-Encoding ForwardHeaders copies ("" none)
	}{
		{"CachingDisabled + AllViewer forwards it raw", mustCompile(&model.Behavior{CachePolicyID: managedCachingDisabled, OriginRequestPolicyID: managedAllViewer}, Custom{}), "gzip, zstd"},
		{"CachingDisabled + AllViewerExceptHostHeader forwards it raw", mustCompile(&model.Behavior{CachePolicyID: managedCachingDisabled, OriginRequestPolicyID: managedAllViewerExcptHst}, Custom{}), "gzip, zstd"},
		{"CachingDisabled + allExcept Accept-Encoding leaves it out", mustCompile(&model.Behavior{CachePolicyID: managedCachingDisabled, OriginRequestPolicyID: "orp-no-ae"}, noEncoding), ""},
		{"CachingDisabled without an origin request policy leaves it out", mustCompile(&model.Behavior{CachePolicyID: managedCachingDisabled}, Custom{}), ""},
		{"CachingOptimized + AllViewer: normalised by the caller", mustCompile(&model.Behavior{CachePolicyID: managedCachingOptimized, OriginRequestPolicyID: managedAllViewer}, Custom{}), ""},
		{"legacy all headers: normalised by the caller", legacy(model.ForwardedValues{Headers: []string{"*"}}), ""},
		{"legacy whitelist: raw", legacy(model.ForwardedValues{Headers: []string{"Accept-Encoding"}}), "gzip, zstd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := http.Header{}
			tc.policy.ForwardHeaders(dst, http.Header{"Accept-Encoding": {"gzip, zstd"}})
			if got := dst.Get("Accept-Encoding"); got != tc.want {
				t.Errorf("forwarded Accept-Encoding %q, want %q", got, tc.want)
			}
			if tc.want != "" && tc.policy.NormalizedAcceptEncoding(http.Header{"Accept-Encoding": {"gzip"}}) != "" {
				t.Error("a raw Accept-Encoding must not be normalised too")
			}
		})
	}
}

// TestPolicy_VaryAllowed: "Request and response behavior for custom
// origins", HTTP response headers that CloudFront removes or replaces,
// Vary: Accept-Encoding and Cookie are passed on to the viewer whatever
// the behaviour forwards; other names only when forwarded.
func TestPolicy_VaryAllowed(t *testing.T) {
	noCookies := legacy(model.ForwardedValues{CookieForward: "none"})
	cookies := legacy(model.ForwardedValues{CookieForward: "all"})
	optimized := mustCompile(&model.Behavior{CachePolicyID: managedCachingOptimized}, Custom{})
	tests := []struct {
		name   string
		policy *Policy
		vary   string
		kept   bool
	}{
		{"Cookie, cookies not forwarded", noCookies, "Cookie", true},
		{"cookie in lower case, cookies not forwarded", noCookies, " cookie ", true},
		{"Cookie, cookies forwarded", cookies, "Cookie", true},
		{"Cookie, cache policy without cookies", optimized, "Cookie", true},
		{"Accept-Encoding", noCookies, "Accept-Encoding", true},
		{"a header not forwarded", noCookies, "Accept-Language", false},
		{"a whitelisted header", legacy(model.ForwardedValues{Headers: []string{"Accept-Language"}}), "accept-language", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.policy.VaryAllowed(tc.vary); got != tc.kept {
				t.Errorf("VaryAllowed(%q) = %v, want %v", tc.vary, got, tc.kept)
			}
		})
	}
}
