package control_test

import (
	"strings"
	"testing"

	"openfront/internal/control"
	"openfront/internal/model"
)

const cachingOptimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"

func cachePolicyCfg(name string, edit ...func(model.Tree)) model.Tree {
	cfg := model.Tree{
		"Name": name, "Comment": "c", "MinTTL": "0", "DefaultTTL": "60", "MaxTTL": "600",
		"ParametersInCacheKeyAndForwardedToOrigin": model.Tree{
			"EnableAcceptEncodingGzip": "true",
			"HeadersConfig":            model.Tree{"HeaderBehavior": "none"},
			"CookiesConfig":            model.Tree{"CookieBehavior": "none"},
			"QueryStringsConfig":       model.Tree{"QueryStringBehavior": "whitelist", "QueryStrings": wrap(strs("v")...)},
		},
	}
	for _, e := range edit {
		e(cfg)
	}
	return cfg
}

func originRequestPolicyCfg(name string) model.Tree {
	return model.Tree{
		"Name":               name,
		"HeadersConfig":      model.Tree{"HeaderBehavior": "whitelist", "Headers": wrap(strs("X-Trace")...)},
		"CookiesConfig":      model.Tree{"CookieBehavior": "none"},
		"QueryStringsConfig": model.Tree{"QueryStringBehavior": "all"},
	}
}

// withPolicies is distConfig whose default behaviour names a cache policy
// (and an origin request policy when orp is not empty).
func withPolicies(ref, cp, orp string) model.Tree {
	c := distConfig(ref)
	b := c["DefaultCacheBehavior"].(model.Tree)
	delete(b, "ForwardedValues")
	delete(b, "MinTTL")
	b["CachePolicyId"] = cp
	if orp != "" {
		b["OriginRequestPolicyId"] = orp
	}
	return c
}

func TestCachePolicy_rules(t *testing.T) {
	e := newEnvQuotas(t, control.Quotas{CachePolicies: 2})
	first, err := control.CreatePolicy(e.ctx, e.c, control.CachePolicies, cachePolicyCfg("first"))
	if err != nil {
		t.Fatal(err)
	}
	if first.ID == "" || first.ETag == "" || first.Managed || model.StrOr(first.Config, "", "Name") != "first" {
		t.Errorf("created %+v", first)
	}
	many := func(n int) []any {
		var names []string
		for i := 0; i < n; i++ {
			names = append(names, "n"+strings.Repeat("x", i))
		}
		return strs(names...)
	}
	params := func(c model.Tree) model.Tree { return c["ParametersInCacheKeyAndForwardedToOrigin"].(model.Tree) }
	tests := []struct {
		name    string
		cfg     model.Tree
		wantErr string
	}{
		{"name taken", cachePolicyCfg("first"), "CachePolicyAlreadyExists"},
		{"blank name", cachePolicyCfg(" "), "InvalidArgument"},
		{"MinTTL above DefaultTTL", cachePolicyCfg("p", func(c model.Tree) { c["MinTTL"] = "61" }), "InvalidArgument"},
		{"DefaultTTL above MaxTTL", cachePolicyCfg("p", func(c model.Tree) { c["DefaultTTL"] = "601" }), "InvalidArgument"},
		{"11 headers", cachePolicyCfg("p", func(c model.Tree) {
			params(c)["HeadersConfig"] = model.Tree{"HeaderBehavior": "whitelist", "Headers": wrap(many(11)...)}
		}), "TooManyHeadersInCachePolicy"},
		{"11 cookies", cachePolicyCfg("p", func(c model.Tree) {
			params(c)["CookiesConfig"] = model.Tree{"CookieBehavior": "whitelist", "Cookies": wrap(many(11)...)}
		}), "TooManyCookiesInCachePolicy"},
		{"11 query strings", cachePolicyCfg("p", func(c model.Tree) {
			params(c)["QueryStringsConfig"] = model.Tree{"QueryStringBehavior": "allExcept", "QueryStrings": wrap(many(11)...)}
		}), "TooManyQueryStringsInCachePolicy"},
		{"Accept-Encoding with gzip on", cachePolicyCfg("p", func(c model.Tree) {
			params(c)["HeadersConfig"] = model.Tree{"HeaderBehavior": "whitelist", "Headers": wrap(strs("Accept-Encoding")...)}
		}), "InvalidArgument"},
		{"whitelist without names", cachePolicyCfg("p", func(c model.Tree) {
			params(c)["CookiesConfig"] = model.Tree{"CookieBehavior": "whitelist"}
		}), "InvalidArgument"},
		{"10 headers", cachePolicyCfg("second", func(c model.Tree) {
			params(c)["HeadersConfig"] = model.Tree{"HeaderBehavior": "whitelist", "Headers": wrap(many(10)...)}
		}), ""},
		{"over the quota", cachePolicyCfg("third"), "TooManyCachePolicies"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rev := e.revision()
			_, err := control.CreatePolicy(e.ctx, e.c, control.CachePolicies, tc.cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tc.wantErr)
			if e.revision() != rev {
				t.Error("a refused create changed the store")
			}
		})
	}
}

func TestCachePolicy_defaultTTLs(t *testing.T) {
	e := newEnv(t)
	p, err := control.CreatePolicy(e.ctx, e.c, control.CachePolicies, cachePolicyCfg("d", func(c model.Tree) {
		delete(c, "DefaultTTL")
		delete(c, "MaxTTL")
		c["MinTTL"] = "5"
	}))
	if err != nil {
		t.Fatal(err)
	}
	if p.Config["DefaultTTL"] != "86400" || p.Config["MaxTTL"] != "31536000" {
		t.Errorf("default TTLs: %v / %v, want 86400 / 31536000", p.Config["DefaultTTL"], p.Config["MaxTTL"])
	}
}

func TestCachePolicy_managed(t *testing.T) {
	e := newEnv(t)
	p, err := control.GetPolicy(e.ctx, e.c, control.CachePolicies, cachingOptimized)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Managed || p.Config["Name"] != "Managed-CachingOptimized" || p.Config["MinTTL"] != "1" {
		t.Errorf("managed policy %+v", p)
	}
	_, err = control.UpdatePolicy(e.ctx, e.c, control.CachePolicies, cachingOptimized, p.ETag, replaceWith(cachePolicyCfg("x")))
	wantCode(t, err, "IllegalUpdate")
	wantCode(t, control.DeletePolicy(e.ctx, e.c, control.CachePolicies, cachingOptimized, p.ETag), "IllegalDelete")
	custom, err := control.CreatePolicy(e.ctx, e.c, control.CachePolicies, cachePolicyCfg("mine"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		typ            string
		managed, mine  bool
		wantAtLeastOne bool
	}{{"", true, true, true}, {"managed", true, false, true}, {"custom", false, true, true}} {
		ps, _, err := control.ListPolicies(e.ctx, e.c, control.CachePolicies, tc.typ, control.ListOptions{MaxItems: 100})
		if err != nil {
			t.Fatal(err)
		}
		var managed, mine bool
		for _, p := range ps {
			managed = managed || p.Managed
			mine = mine || p.ID == custom.ID
		}
		if managed != tc.managed || mine != tc.mine {
			t.Errorf("Type=%q: managed listed %v (want %v), custom listed %v (want %v)", tc.typ, managed, tc.managed, mine, tc.mine)
		}
	}
	ps, page, err := control.ListPolicies(e.ctx, e.c, control.CachePolicies, "", control.ListOptions{MaxItems: 2})
	if err != nil || len(ps) != 2 || !page.IsTruncated {
		t.Fatalf("page of 2: %d items, %+v, %v", len(ps), page, err)
	}
	rest, _, err := control.ListPolicies(e.ctx, e.c, control.CachePolicies, "", control.ListOptions{Marker: page.NextMarker, MaxItems: 100})
	if err != nil || len(rest) != len(model.ManagedCachePolicies)+1-2 {
		t.Errorf("after the marker: %d items, want %d (%v)", len(rest), len(model.ManagedCachePolicies)+1-2, err)
	}
}

// Distributions may name custom policies; unknown ids are refused, a
// policy in use cannot be deleted, and updates reach the stored record.
func TestPolicies_references(t *testing.T) {
	e := newEnv(t)
	cp, err := control.CreatePolicy(e.ctx, e.c, control.CachePolicies, cachePolicyCfg("keyed"))
	if err != nil {
		t.Fatal(err)
	}
	orp, err := control.CreatePolicy(e.ctx, e.c, control.OriginRequestPolicies, originRequestPolicyCfg("fwd"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.c.CreateDistribution(e.ctx, withPolicies("r0", "00000000-0000-4000-8000-000000000000", ""), nil)
	wantCode(t, err, "NoSuchCachePolicy")
	_, _, err = e.c.CreateDistribution(e.ctx, withPolicies("r0", cachingOptimized, "00000000-0000-4000-8000-000000000000"), nil)
	wantCode(t, err, "NoSuchOriginRequestPolicy")

	d := e.create(withPolicies("r1", cp.ID, orp.ID))
	wantCode(t, control.DeletePolicy(e.ctx, e.c, control.CachePolicies, cp.ID, cp.ETag), "CachePolicyInUse")
	wantCode(t, control.DeletePolicy(e.ctx, e.c, control.OriginRequestPolicies, orp.ID, orp.ETag), "OriginRequestPolicyInUse")

	updated, err := control.UpdatePolicy(e.ctx, e.c, control.CachePolicies, cp.ID, cp.ETag, replaceWith(cachePolicyCfg("keyed", func(c model.Tree) { c["MaxTTL"] = "900" })))
	if err != nil {
		t.Fatal(err)
	}
	if updated.ETag == cp.ETag || updated.Config["MaxTTL"] != "900" {
		t.Errorf("update: %+v", updated)
	}
	_, err = control.UpdatePolicy(e.ctx, e.c, control.CachePolicies, cp.ID, cp.ETag, replaceWith(cachePolicyCfg("keyed")))
	wantCode(t, err, "PreconditionFailed")

	e.mustUpdate(d.ID, func(c model.Tree) {
		b := c["DefaultCacheBehavior"].(model.Tree)
		b["CachePolicyId"] = cachingOptimized
		delete(b, "OriginRequestPolicyId")
	})
	if err := control.DeletePolicy(e.ctx, e.c, control.CachePolicies, cp.ID, updated.ETag); err != nil {
		t.Errorf("delete after the distribution let go: %v", err)
	}
	if err := control.DeletePolicy(e.ctx, e.c, control.OriginRequestPolicies, orp.ID, orp.ETag); err != nil {
		t.Errorf("delete after the distribution let go: %v", err)
	}
	_, err = control.GetPolicy(e.ctx, e.c, control.CachePolicies, cp.ID)
	wantCode(t, err, "NoSuchCachePolicy")
}
