package control_test

import (
	"slices"
	"strings"
	"testing"

	"openfront/internal/control"
	"openfront/internal/model"
)

const managedSimpleCORS = "60669652-455b-4ae9-85a4-c4c02393f86c"

func responseHeadersCfg(name string, edit ...func(model.Tree)) model.Tree {
	cfg := model.Tree{
		"Name":                name,
		"CustomHeadersConfig": wrap(model.Tree{"Header": "X-Site", "Value": "mine", "Override": "true"}),
		"RemoveHeadersConfig": wrap(model.Tree{"Header": "X-Powered-By"}),
	}
	for _, e := range edit {
		e(cfg)
	}
	return cfg
}

func cors(edit ...func(model.Tree)) func(model.Tree) {
	return func(c model.Tree) {
		cc := model.Tree{
			"AccessControlAllowOrigins":     wrap(strs("https://example.com")...),
			"AccessControlAllowHeaders":     wrap(strs("*")...),
			"AccessControlAllowMethods":     wrap(strs("GET")...),
			"AccessControlAllowCredentials": "false",
			"OriginOverride":                "true",
		}
		for _, e := range edit {
			e(cc)
		}
		c["CorsConfig"] = cc
	}
}

func withResponseHeadersPolicy(ref, id string) model.Tree {
	c := distConfig(ref)
	c["DefaultCacheBehavior"].(model.Tree)["ResponseHeadersPolicyId"] = id
	return c
}

// TestResponseHeadersPolicy_validation: what the Developer Guide's
// "Understand response headers policies" and "Response headers policy
// quotas" pages forbid is refused with CloudFront's codes.
func TestResponseHeadersPolicy_validation(t *testing.T) {
	custom := func(headers ...string) func(model.Tree) {
		return func(c model.Tree) {
			var items []any
			for _, h := range headers {
				items = append(items, model.Tree{"Header": h, "Value": "v", "Override": "false"})
			}
			c["CustomHeadersConfig"] = wrap(items...)
		}
	}
	remove := func(headers ...string) func(model.Tree) {
		return func(c model.Tree) {
			var items []any
			for _, h := range headers {
				items = append(items, model.Tree{"Header": h})
			}
			c["RemoveHeadersConfig"] = wrap(items...)
		}
	}
	security := func(name string, v model.Tree) func(model.Tree) {
		return func(c model.Tree) { c["SecurityHeadersConfig"] = model.Tree{name: v} }
	}
	many := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, "X-H"+strings.Repeat("a", i+1))
		}
		return out
	}
	tests := []struct {
		name string
		edit func(model.Tree)
		code string // "" accepted
	}{
		{"plain", func(model.Tree) {}, ""},
		{"empty name", func(c model.Tree) { c["Name"] = " " }, "InvalidArgument"},
		{"remove Content-Length", remove("Content-Length"), "InvalidArgument"},
		{"remove Via", remove("via"), "InvalidArgument"},
		{"remove X-Amz-Cf-Pop", remove("X-Amz-Cf-Pop"), "InvalidArgument"},
		{"remove X-Edge-Location", remove("X-Edge-Location"), "InvalidArgument"},
		{"remove X-Cache", remove("X-Cache"), "InvalidArgument"},
		{"remove Server", remove("Server"), ""},
		{"remove twice", remove("X-A", "x-a"), "InvalidArgument"},
		{"remove bad name", remove("X A"), "InvalidArgument"},
		{"add Transfer-Encoding", custom("Transfer-Encoding"), "InvalidArgument"},
		{"add Connection", custom("Connection"), "InvalidArgument"},
		{"add header with a colon", custom("X-A:b"), "InvalidArgument"},
		{"add CRLF value", func(c model.Tree) {
			c["CustomHeadersConfig"] = wrap(model.Tree{"Header": "X-A", "Value": "a\r\nSet-Cookie: x", "Override": "true"})
		}, "InvalidArgument"},
		{"10 custom headers", custom(many(10)...), ""},
		{"11 custom headers", custom(many(11)...), "TooManyCustomHeadersInResponseHeadersPolicy"},
		{"11 removed headers", remove(many(11)...), "TooManyRemoveHeadersInResponseHeadersPolicy"},
		{"CSP 1783", security("ContentSecurityPolicy", model.Tree{"Override": "true", "ContentSecurityPolicy": strings.Repeat("a", 1783)}), ""},
		{"CSP 1784", security("ContentSecurityPolicy", model.Tree{"Override": "true", "ContentSecurityPolicy": strings.Repeat("a", 1784)}), "TooLongCSPInResponseHeadersPolicy"},
		{"HSTS negative", security("StrictTransportSecurity", model.Tree{"Override": "true", "AccessControlMaxAgeSec": "-1"}), "InvalidArgument"},
		{"HSTS ok", security("StrictTransportSecurity", model.Tree{"Override": "true", "AccessControlMaxAgeSec": "63072000", "Preload": "true"}), ""},
		{"XSS mode block and report", security("XSSProtection", model.Tree{"Override": "true", "Protection": "true", "ModeBlock": "true", "ReportUri": "https://r.example"}), "InvalidArgument"},
		{"XSS off with mode block", security("XSSProtection", model.Tree{"Override": "true", "Protection": "false", "ModeBlock": "true"}), "InvalidArgument"},
		{"CORS ok", cors(), ""},
		{"CORS wildcard subdomain", cors(func(c model.Tree) { c["AccessControlAllowOrigins"] = wrap(strs("https://*.example.com")...) }), ""},
		{"CORS wildcard in the middle", cors(func(c model.Tree) { c["AccessControlAllowOrigins"] = wrap(strs("https://a.*.example.com")...) }), "InvalidArgument"},
		{"CORS origin with a path", cors(func(c model.Tree) { c["AccessControlAllowOrigins"] = wrap(strs("https://example.com/x")...) }), "InvalidArgument"},
		{"CORS no origins", cors(func(c model.Tree) { c["AccessControlAllowOrigins"] = wrap() }), "InvalidArgument"},
		{"CORS no methods", cors(func(c model.Tree) { c["AccessControlAllowMethods"] = wrap() }), "InvalidArgument"},
		{"CORS ALL and GET", cors(func(c model.Tree) { c["AccessControlAllowMethods"] = wrap(strs("ALL", "GET")...) }), "InvalidArgument"},
		{"CORS negative max age", cors(func(c model.Tree) { c["AccessControlMaxAgeSec"] = "-5" }), "InvalidArgument"},
		{"sampling rate 101", func(c model.Tree) {
			c["ServerTimingHeadersConfig"] = model.Tree{"Enabled": "true", "SamplingRate": "101"}
		}, "InvalidArgument"},
		{"total over 10240", func(c model.Tree) {
			c["CustomHeadersConfig"] = wrap(model.Tree{"Header": "X-A", "Value": strings.Repeat("v", 6000), "Override": "true"},
				model.Tree{"Header": "X-B", "Value": strings.Repeat("v", 6000), "Override": "true"})
		}, "InvalidArgument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := control.CreatePolicy(e.ctx, e.c, control.ResponseHeadersPolicies, responseHeadersCfg("p", tc.edit))
			if tc.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantCode(t, err, tc.code)
		})
	}
}

// TestResponseHeadersPolicy_lifecycle: managed policies are listed and
// refuse change; a custom one is accepted by a distribution (an unknown id
// is NoSuchResponseHeadersPolicy), is InUse while named, and
// ListDistributionsByResponseHeadersPolicyId finds its users.
func TestResponseHeadersPolicy_lifecycle(t *testing.T) {
	e := newEnv(t)
	k := control.ResponseHeadersPolicies
	managed, _, err := control.ListPolicies(e.ctx, e.c, k, "managed", control.ListOptions{MaxItems: 100})
	if err != nil || len(managed) != 5 {
		t.Fatalf("managed: %d, %v", len(managed), err)
	}
	var names []string
	for _, p := range managed {
		names = append(names, p.Config["Name"].(string))
	}
	if !slices.Contains(names, "Managed-SimpleCORS") || !slices.Contains(names, "Managed-CORS-with-preflight-and-SecurityHeadersPolicy") {
		t.Errorf("managed names: %v", names)
	}
	m, err := control.GetPolicy(e.ctx, e.c, k, managedSimpleCORS)
	if err != nil {
		t.Fatal(err)
	}
	_, err = control.UpdatePolicy(e.ctx, e.c, k, managedSimpleCORS, m.ETag, replaceWith(responseHeadersCfg("x")))
	wantCode(t, err, "IllegalUpdate")
	wantCode(t, control.DeletePolicy(e.ctx, e.c, k, managedSimpleCORS, m.ETag), "IllegalDelete")

	p, err := control.CreatePolicy(e.ctx, e.c, k, responseHeadersCfg("site"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = control.CreatePolicy(e.ctx, e.c, k, responseHeadersCfg("site"))
	wantCode(t, err, "ResponseHeadersPolicyAlreadyExists")
	_, _, err = e.c.CreateDistribution(e.ctx, withResponseHeadersPolicy("r0", "00000000-0000-4000-8000-000000000000"), nil)
	wantCode(t, err, "NoSuchResponseHeadersPolicy")

	d := e.create(withResponseHeadersPolicy("r1", p.ID))
	e.create(withResponseHeadersPolicy("r2", managedSimpleCORS))
	wantCode(t, control.DeletePolicy(e.ctx, e.c, k, p.ID, p.ETag), "ResponseHeadersPolicyInUse")
	ids, _, err := control.ListPolicyDistributions(e.ctx, e.c, k, p.ID, control.ListOptions{MaxItems: 100})
	if err != nil || !slices.Equal(ids, []string{d.ID}) {
		t.Errorf("distributions using the policy: %v, %v; want [%s]", ids, err, d.ID)
	}
	ids, _, _ = control.ListPolicyDistributions(e.ctx, e.c, k, managedSimpleCORS, control.ListOptions{MaxItems: 100})
	if len(ids) != 1 || ids[0] == d.ID {
		t.Errorf("distributions using SimpleCORS: %v", ids)
	}
	_, _, err = control.ListPolicyDistributions(e.ctx, e.c, k, "nope", control.ListOptions{MaxItems: 100})
	wantCode(t, err, "NoSuchResponseHeadersPolicy")

	e.mustUpdate(d.ID, func(c model.Tree) { delete(c["DefaultCacheBehavior"].(model.Tree), "ResponseHeadersPolicyId") })
	if err := control.DeletePolicy(e.ctx, e.c, k, p.ID, p.ETag); err != nil {
		t.Errorf("delete after the distribution let go: %v", err)
	}
}
