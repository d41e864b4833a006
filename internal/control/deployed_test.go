package control_test

import (
	"testing"

	"openfront/internal/control"
	"openfront/internal/model"
)

// TestDistribution_statusFollowsWhatItUses: a change to a record the edge
// compiles into a distribution shows the distribution InProgress, in
// GetDistribution and ListDistributions, until the fleet has applied it;
// the distribution's ETag does not change. Each row makes what the
// distribution uses (setup) and then changes it (change), with the edge
// caught up in between. The rows whose change is no deployment keep the
// distribution Deployed. See deployed.go.
func TestDistribution_statusFollowsWhatItUses(t *testing.T) {
	tests := []struct {
		name string
		// setup makes what the distribution uses and returns its config
		// and the change to make once it is Deployed.
		setup func(t *testing.T, e *env) (model.Tree, func())
		// deployment: the change is one the edges must apply.
		deployment bool
	}{
		{"UpdateCachePolicy", func(t *testing.T, e *env) (model.Tree, func()) {
			p := mustPolicy(t, e, control.CachePolicies, cachePolicyCfg("cp"))
			return withPolicies("d", p.ID, ""), func() {
				mustUpdatePolicy(t, e, control.CachePolicies, p, cachePolicyCfg("cp", func(c model.Tree) { c["DefaultTTL"] = "0"; c["MinTTL"] = "0" }))
			}
		}, true},
		{"UpdateOriginRequestPolicy", func(t *testing.T, e *env) (model.Tree, func()) {
			p := mustPolicy(t, e, control.OriginRequestPolicies, originRequestPolicyCfg("orp"))
			return withPolicies("d", cachingOptimized, p.ID), func() {
				cfg := originRequestPolicyCfg("orp")
				cfg["QueryStringsConfig"] = model.Tree{"QueryStringBehavior": "none"}
				mustUpdatePolicy(t, e, control.OriginRequestPolicies, p, cfg)
			}
		}, true},
		{"UpdateResponseHeadersPolicy", func(t *testing.T, e *env) (model.Tree, func()) {
			p := mustPolicy(t, e, control.ResponseHeadersPolicies, responseHeadersCfg("rhp"))
			return withResponseHeadersPolicy("d", p.ID), func() {
				mustUpdatePolicy(t, e, control.ResponseHeadersPolicies, p, responseHeadersCfg("rhp", cors()))
			}
		}, true},
		{"PublishFunction", func(t *testing.T, e *env) (model.Tree, func()) {
			fn := e.createFunction("rewrite", rewriteCode)
			if _, err := e.c.PublishFunction(e.ctx, fn.Name, fn.ETag); err != nil {
				t.Fatal(err)
			}
			cfg := distConfig("d")
			cfg["DefaultCacheBehavior"].(model.Tree)["FunctionAssociations"] = wrap(model.Tree{"FunctionARN": fn.ARN, "EventType": "viewer-request"})
			return cfg, func() {
				dev, err := e.c.DescribeFunction(e.ctx, fn.Name, control.StageDevelopment)
				if err != nil {
					t.Fatal(err)
				}
				dev, err = e.c.UpdateFunction(e.ctx, fn.Name, dev.ETag, fnInput(rewriteCode+"\n// v2"))
				if err != nil {
					t.Fatal(err)
				}
				// The DEVELOPMENT change applied, so that the publish
				// alone is what the edges have yet to apply.
				e.deploy()
				if _, err := e.c.PublishFunction(e.ctx, fn.Name, dev.ETag); err != nil {
					t.Fatal(err)
				}
			}
		}, true},
		{"UpdateKeyGroup", func(t *testing.T, e *env) (model.Tree, func()) {
			k1, k2 := e.mustPublicKey("k1"), e.mustPublicKey("k2")
			g := mustKeyGroup(t, e, keyGroupCfg("g", k1.ID))
			return withKeyGroups("d", g.ID), func() {
				if _, err := e.c.UpdateKeyGroup(e.ctx, g.ID, g.ETag, replaceWith(keyGroupCfg("g", k1.ID, k2.ID))); err != nil {
					t.Fatal(err)
				}
			}
		}, true},
		{"CreatePublicKey trusted as the account's own signer", func(t *testing.T, e *env) (model.Tree, func()) {
			e.mustPublicKey("k1")
			cfg := distConfig("d")
			cfg["DefaultCacheBehavior"].(model.Tree)["TrustedSigners"] = model.Tree{"Enabled": "true", "Quantity": "1", "Items": strs("self")}
			return cfg, func() { e.mustPublicKey("k2") }
		}, true},
		{"UpdateFieldLevelEncryptionProfile", func(t *testing.T, e *env) (model.Tree, func()) {
			key, prof, fc := e.mustFLEConfig(t)
			return withFLE("d", fc.ID), func() {
				if _, err := e.c.UpdateFLEProfile(e.ctx, prof.ID, prof.ETag, replaceWith(fleProfileCfg("p", "prof", key.ID, "card", "ssn"))); err != nil {
					t.Fatal(err)
				}
			}
		}, true},
		{"UpdateFieldLevelEncryptionConfig", func(t *testing.T, e *env) (model.Tree, func()) {
			_, prof, fc := e.mustFLEConfig(t)
			return withFLE("d", fc.ID), func() {
				next := fleConfigCfg("c", prof.ID)
				next["Comment"] = "v2"
				if _, err := e.c.UpdateFLEConfig(e.ctx, fc.ID, fc.ETag, replaceWith(next)); err != nil {
					t.Fatal(err)
				}
			}
		}, true},
		{"UpdateRealtimeLogConfig", func(t *testing.T, e *env) (model.Tree, func()) {
			rec, err := e.c.CreateRealtimeLogConfig(e.ctx, rtConfig("rt", 100, "timestamp"))
			if err != nil {
				t.Fatal(err)
			}
			return withRealtimeLog("d", rec.ARN), func() {
				if _, err := e.c.UpdateRealtimeLogConfig(e.ctx, rtConfig("rt", 50, "timestamp", "c-ip")); err != nil {
					t.Fatal(err)
				}
			}
		}, true},
		{"UpdateOriginAccessControl", func(t *testing.T, e *env) (model.Tree, func()) {
			oac, err := e.c.CreateOriginAccessControl(e.ctx, oacCfg("o"))
			if err != nil {
				t.Fatal(err)
			}
			return withOAC("d", oac.ID), func() {
				next := oacCfg("o")
				next["SigningBehavior"] = "no-override"
				if _, err := e.c.UpdateOriginAccessControl(e.ctx, oac.ID, oac.ETag, replaceWith(next)); err != nil {
					t.Fatal(err)
				}
			}
		}, true},
		{"UpdatePublicKey of a trusted key group (Comment only)", func(t *testing.T, e *env) (model.Tree, func()) {
			k := e.mustPublicKey("k1")
			g := mustKeyGroup(t, e, keyGroupCfg("g", k.ID))
			return withKeyGroups("d", g.ID), func() {
				cfg := model.Tree{"CallerReference": "ref-k1", "Name": "k1", "EncodedKey": k.Config["EncodedKey"], "Comment": "renamed"}
				if _, err := e.c.UpdatePublicKey(e.ctx, k.ID, k.ETag, replaceWith(cfg)); err != nil {
					t.Fatal(err)
				}
			}
		}, false},
		{"PutKey in the function's key value store", func(t *testing.T, e *env) (model.Tree, func()) {
			kvs, err := e.c.CreateKeyValueStore(e.ctx, control.KVSInput{Name: "routes"})
			if err != nil {
				t.Fatal(err)
			}
			in := fnInput(rewriteCode)
			in.KeyValueStoreARNs = []string{kvs.ARN}
			fn, err := e.c.CreateFunction(e.ctx, "rewrite", in)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.c.PublishFunction(e.ctx, fn.Name, fn.ETag); err != nil {
				t.Fatal(err)
			}
			cfg := distConfig("d")
			cfg["DefaultCacheBehavior"].(model.Tree)["FunctionAssociations"] = wrap(model.Tree{"FunctionARN": fn.ARN, "EventType": "viewer-request"})
			return cfg, func() {
				d, err := e.c.DescribeKeyValueStoreData(e.ctx, kvs.ARN)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.c.UpdateKeys(e.ctx, kvs.ARN, d.ETag, []control.KVSItem{{Key: "a", Value: "b"}}, nil); err != nil {
					t.Fatal(err)
				}
			}
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			cfg, change := tc.setup(t, e)
			d := e.create(cfg)
			e.deploy()
			before := e.get(d.ID)
			if before.Status != "Deployed" {
				t.Fatalf("before the change: %s", before.Status)
			}
			change()
			want := "Deployed"
			if tc.deployment {
				want = "InProgress"
			}
			got := e.get(d.ID)
			if got.Status != want {
				t.Errorf("GetDistribution after the change, before the edges applied it: %s, want %s", got.Status, want)
			}
			if got.ETag != before.ETag {
				t.Errorf("ETag changed from %s to %s: the distribution itself did not", before.ETag, got.ETag)
			}
			if s := listedStatus(t, e, d.ID); s != want {
				t.Errorf("ListDistributions after the change: %s, want %s", s, want)
			}
			e.deploy()
			if s := e.get(d.ID).Status; s != "Deployed" {
				t.Errorf("GetDistribution once the edges applied the change: %s", s)
			}
			if s := listedStatus(t, e, d.ID); s != "Deployed" {
				t.Errorf("ListDistributions once the edges applied the change: %s", s)
			}
		})
	}
}

// TestContinuousDeployment_stagingFollowsItsPolicy: the policy naming a
// staging distribution is compiled into it too (session stickiness), so a
// policy change shows primary and staging InProgress until applied.
func TestContinuousDeployment_stagingFollowsItsPolicy(t *testing.T) {
	e := newEnv(t)
	primary := e.create(distConfig("p"))
	staging := e.copyStaging(primary, "s")
	p, err := e.c.CreateContinuousDeploymentPolicy(e.ctx, cdHeaderPolicy(staging.DomainName))
	if err != nil {
		t.Fatal(err)
	}
	e.mustUpdate(primary.ID, func(c model.Tree) { c["ContinuousDeploymentPolicyId"] = p.ID })
	e.deploy()
	for _, id := range []string{primary.ID, staging.ID} {
		if s := e.get(id).Status; s != "Deployed" {
			t.Fatalf("%s before the policy changed: %s", id, s)
		}
	}
	sticky := model.Tree{"IdleTTL": "300", "MaximumTTL": "600"}
	if _, err := e.c.UpdateContinuousDeploymentPolicy(e.ctx, p.ID, p.ETag, replaceWith(cdWeightPolicy(staging.DomainName, "0.1", sticky))); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{primary.ID, staging.ID} {
		if s := e.get(id).Status; s != "InProgress" {
			t.Errorf("%s after the policy changed, before the edges applied it: %s", id, s)
		}
		if s := listedStatus(t, e, id); s != "InProgress" {
			t.Errorf("ListDistributions shows %s %s after the policy changed", id, s)
		}
	}
	e.deploy()
	for _, id := range []string{primary.ID, staging.ID} {
		if s := e.get(id).Status; s != "Deployed" {
			t.Errorf("%s once the edges applied the policy: %s", id, s)
		}
	}
}

// TestDeleteDistribution_waitsForWhatItUses: "disabled and Deployed" is
// the Status GetDistribution shows, so a change to a policy the disabled
// distribution names holds the delete back until the edges apply it.
func TestDeleteDistribution_waitsForWhatItUses(t *testing.T) {
	e := newEnv(t)
	p := mustPolicy(t, e, control.CachePolicies, cachePolicyCfg("cp"))
	cfg := withPolicies("d", p.ID, "")
	cfg["Enabled"] = "false"
	d := e.create(cfg)
	e.deploy()
	mustUpdatePolicy(t, e, control.CachePolicies, p, cachePolicyCfg("cp", func(c model.Tree) { c["Comment"] = "v2" }))
	if s := e.get(d.ID).Status; s != "InProgress" {
		t.Fatalf("after the policy changed: %s", s)
	}
	wantCode(t, e.c.DeleteDistribution(e.ctx, d.ID, d.ETag), "DistributionNotDisabled")
	e.deploy()
	if err := e.c.DeleteDistribution(e.ctx, d.ID, d.ETag); err != nil {
		t.Fatalf("once Deployed: %v", err)
	}
}

func mustPolicy[P any](t *testing.T, e *env, k *control.PolicyKind[P], cfg model.Tree) *control.Policy {
	t.Helper()
	p, err := control.CreatePolicy(e.ctx, e.c, k, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustUpdatePolicy[P any](t *testing.T, e *env, k *control.PolicyKind[P], p *control.Policy, cfg model.Tree) {
	t.Helper()
	if _, err := control.UpdatePolicy(e.ctx, e.c, k, p.ID, p.ETag, replaceWith(cfg)); err != nil {
		t.Fatal(err)
	}
}

func mustKeyGroup(t *testing.T, e *env, cfg model.Tree) *control.KeyGroup {
	t.Helper()
	g, err := e.c.CreateKeyGroup(e.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// withFLE is distConfig whose default behaviour names the field-level
// encryption configuration (HTTPS to viewer and origin, POST allowed).
func withFLE(ref, configID string) model.Tree {
	d := distConfig(ref)
	b := model.Sub(d, "DefaultCacheBehavior")
	b["FieldLevelEncryptionId"] = configID
	b["ViewerProtocolPolicy"] = "https-only"
	b["AllowedMethods"] = model.Tree{"Quantity": "7", "Items": strs("GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"),
		"CachedMethods": wrap(strs("GET", "HEAD")...)}
	model.StructItems(d, "Origins")[0]["CustomOriginConfig"].(map[string]any)["OriginProtocolPolicy"] = "https-only"
	return d
}

// listedStatus is the distribution's Status in ListDistributions.
func listedStatus(t *testing.T, e *env, id string) string {
	t.Helper()
	ds, _, err := e.c.ListDistributions(e.ctx, control.ListOptions{MaxItems: 100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.ID == id {
			return d.Status
		}
	}
	t.Fatalf("ListDistributions does not list %s", id)
	return ""
}

// mustFLEConfig creates an RSA public key, a field-level encryption
// profile encrypting "card" with it, and a configuration using the profile.
func (e *env) mustFLEConfig(t *testing.T) (*control.PublicKey, *control.FLEResource, *control.FLEResource) {
	t.Helper()
	key, _, err := e.c.CreatePublicKey(e.ctx, pubKeyCfg("rsa", "rsa", pemPKIX(t, &rsaKey(t, 2048).PublicKey)))
	if err != nil {
		t.Fatal(err)
	}
	prof, _, err := e.c.CreateFLEProfile(e.ctx, fleProfileCfg("p", "prof", key.ID, "card"))
	if err != nil {
		t.Fatal(err)
	}
	fc, _, err := e.c.CreateFLEConfig(e.ctx, fleConfigCfg("c", prof.ID))
	if err != nil {
		t.Fatal(err)
	}
	return key, prof, fc
}
