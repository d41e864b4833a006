package control_test

import (
	"encoding/json"
	"strings"
	"testing"

	"openfront/internal/control"
	"openfront/internal/model"
	"openfront/internal/store"
)

func cdHeaderPolicy(dns string) model.Tree {
	return model.Tree{
		"StagingDistributionDnsNames": wrap(dns), "Enabled": "true",
		"TrafficConfig": model.Tree{"Type": "SingleHeader", "SingleHeaderConfig": model.Tree{"Header": "aws-cf-cd-test", "Value": "1"}},
	}
}

func cdWeightPolicy(dns, weight string, sticky model.Tree) model.Tree {
	w := model.Tree{"Weight": weight}
	if sticky != nil {
		w["SessionStickinessConfig"] = sticky
	}
	return model.Tree{
		"StagingDistributionDnsNames": wrap(dns), "Enabled": "true",
		"TrafficConfig": model.Tree{"Type": "SingleWeight", "SingleWeightConfig": w},
	}
}

// copyStaging makes a staging copy of the distribution.
func (e *env) copyStaging(primary *control.Distribution, ref string) *control.Distribution {
	e.t.Helper()
	s, _, err := e.c.CopyDistribution(e.ctx, primary.ID, e.get(primary.ID).ETag, true, ref, nil)
	if err != nil {
		e.t.Fatalf("CopyDistribution: %v", err)
	}
	return s
}

// TestContinuousDeploymentPolicy_validation: the policy's documented
// limits, each refused with InvalidArgument (table).
func TestContinuousDeploymentPolicy_validation(t *testing.T) {
	e := newEnv(t)
	primary := e.create(distConfig("p"))
	staging := e.copyStaging(primary, "s")
	dns := staging.DomainName
	sticky := func(idle, max string) model.Tree { return model.Tree{"IdleTTL": idle, "MaximumTTL": max} }
	for _, c := range []struct {
		name string
		cfg  model.Tree
		ok   bool
	}{
		{"header", cdHeaderPolicy(dns), true},
		{"weight 0.15 with stickiness", cdWeightPolicy(dns, "0.15", sticky("300", "3600")), true},
		{"weight 0", cdWeightPolicy(dns, "0", nil), true},
		{"no traffic config", model.Tree{"StagingDistributionDnsNames": wrap(dns), "Enabled": "false"}, true},
		{"upper-case DNS name", cdHeaderPolicy(strings.ToUpper(dns)), true},
		{"weight 0.151", cdWeightPolicy(dns, "0.151", nil), false},
		{"weight 1", cdWeightPolicy(dns, "1", nil), false},
		{"negative weight", cdWeightPolicy(dns, "-0.01", nil), false},
		{"NaN weight", cdWeightPolicy(dns, "NaN", nil), false},
		{"idle below 300", cdWeightPolicy(dns, "0.1", sticky("299", "600")), false},
		{"maximum over 3600", cdWeightPolicy(dns, "0.1", sticky("300", "3601")), false},
		{"idle over maximum", cdWeightPolicy(dns, "0.1", sticky("900", "600")), false},
		{"header without the prefix", func() model.Tree {
			c := cdHeaderPolicy(dns)
			model.Sub(c, "TrafficConfig", "SingleHeaderConfig")["Header"] = "x-staging"
			return c
		}(), false},
		{"header that is only the prefix", func() model.Tree {
			c := cdHeaderPolicy(dns)
			model.Sub(c, "TrafficConfig", "SingleHeaderConfig")["Header"] = "aws-cf-cd-"
			return c
		}(), false},
		{"header name with a space", func() model.Tree {
			c := cdHeaderPolicy(dns)
			model.Sub(c, "TrafficConfig", "SingleHeaderConfig")["Header"] = "aws-cf-cd-a b"
			return c
		}(), false},
		{"header value with CR LF", func() model.Tree {
			c := cdHeaderPolicy(dns)
			model.Sub(c, "TrafficConfig", "SingleHeaderConfig")["Value"] = "1\r\nX-Injected: 1"
			return c
		}(), false},
		{"empty header value", func() model.Tree {
			c := cdHeaderPolicy(dns)
			model.Sub(c, "TrafficConfig", "SingleHeaderConfig")["Value"] = ""
			return c
		}(), false},
		{"type and config disagree", func() model.Tree {
			c := cdHeaderPolicy(dns)
			model.Sub(c, "TrafficConfig")["Type"] = "SingleWeight"
			return c
		}(), false},
		{"the primary's domain", cdHeaderPolicy(primary.DomainName), false},
		{"an unknown domain", cdHeaderPolicy("d0000000000000.cloudfront.net"), false},
		{"two staging names", model.Tree{"StagingDistributionDnsNames": wrap(dns, dns), "Enabled": "true"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := e.c.CreateContinuousDeploymentPolicy(e.ctx, c.cfg)
			if !c.ok {
				wantCode(t, err, "InvalidArgument")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Read back as sent (a changed value is a perpetual diff in
			// Terraform).
			if got, want := canonicalJSON(t, p.Config), canonicalJSON(t, c.cfg); got != want {
				t.Errorf("read back %s, sent %s", got, want)
			}
			if err := e.c.DeleteContinuousDeploymentPolicy(e.ctx, p.ID, p.ETag); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestContinuousDeployment_rules: staging distributions come from
// CopyDistribution only, stay staging, have no aliases and no policy; a
// policy names one staging distribution (StagingDistributionInUse), is
// named by one primary (ContinuousDeploymentPolicyInUse), must exist,
// cannot serve an HTTP/3 distribution; a policy or staging distribution in
// use cannot be deleted.
func TestContinuousDeployment_rules(t *testing.T) {
	e := newEnv(t)
	primary := e.create(distConfig("p", "www.example.com"))
	staging := e.copyStaging(primary, "s")
	if !model.Bool(staging.Config, "Staging") || len(model.StringItems(staging.Config, "Aliases")) != 0 || staging.DomainName == primary.DomainName {
		t.Fatalf("staging copy: %v", staging.Config)
	}
	if model.StrOr(staging.Config, "", "Origins", "Items") == "" && len(model.StructItems(staging.Config, "Origins")) != 1 {
		t.Fatal("the copy lost the origins")
	}
	// Same CallerReference: DistributionAlreadyExists unless identical.
	_, _, err := e.c.CopyDistribution(e.ctx, primary.ID, e.get(primary.ID).ETag, true, "p", nil)
	wantCode(t, err, "DistributionAlreadyExists")
	_, _, err = e.c.CopyDistribution(e.ctx, staging.ID, staging.ETag, true, "s2", nil)
	wantCode(t, err, "InvalidArgument")
	_, _, err = e.c.CopyDistribution(e.ctx, primary.ID, "", true, "s3", nil)
	wantCode(t, err, "InvalidIfMatchVersion")

	// Created with Staging true (CloudFormation's and Terraform's way):
	// no aliases, no policy, within the quota.
	cfg := distConfig("c", "stage.example.com")
	cfg["Staging"] = "true"
	_, _, err = e.c.CreateDistribution(e.ctx, cfg, nil)
	wantCode(t, err, "InvalidArgument")
	created := e.create(func() model.Tree { c := distConfig("c"); c["Staging"] = "true"; return c }())
	if !model.Bool(created.Config, "Staging") {
		t.Fatal("created without Staging")
	}
	for i := 2; i < 20; i++ { // 20 staging distributions in all
		c := distConfig("q" + itoa(int64(i)))
		c["Staging"] = "true"
		e.create(c)
	}
	_, _, err = e.c.CopyDistribution(e.ctx, primary.ID, e.get(primary.ID).ETag, true, "s21", nil)
	wantCode(t, err, "TooManyDistributions")
	cur := e.get(staging.ID)
	for name, change := range map[string]func(model.Tree){
		"staging off": func(c model.Tree) { c["Staging"] = "false" },
		"alias":       func(c model.Tree) { c["Aliases"] = wrap("stage.example.com") },
	} {
		next := model.Clone(cur.Config)
		change(next)
		_, err := e.update(staging.ID, cur.ETag, next)
		if wantCode(t, err, "IllegalUpdate"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	next := model.Clone(e.get(primary.ID).Config)
	next["Staging"] = "true"
	_, err = e.update(primary.ID, e.get(primary.ID).ETag, next)
	wantCode(t, err, "IllegalUpdate")

	p, err := e.c.CreateContinuousDeploymentPolicy(e.ctx, cdHeaderPolicy(staging.DomainName))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.CreateContinuousDeploymentPolicy(e.ctx, cdWeightPolicy(staging.DomainName, "0.1", nil))
	wantCode(t, err, "StagingDistributionInUse")

	attach := func(id, policy string, edit func(model.Tree)) error {
		cur := e.get(id)
		next := model.Clone(cur.Config)
		next["ContinuousDeploymentPolicyId"] = policy
		if edit != nil {
			edit(next)
		}
		_, err := e.update(id, cur.ETag, next)
		return err
	}
	wantCode(t, attach(primary.ID, "00000000-0000-4000-8000-000000000000", nil), "NoSuchContinuousDeploymentPolicy")
	wantCode(t, attach(primary.ID, p.ID, func(c model.Tree) { c["HttpVersion"] = "http3" }), "InvalidArgument")
	wantCode(t, attach(staging.ID, p.ID, nil), "IllegalUpdate")
	if err := attach(primary.ID, p.ID, nil); err != nil {
		t.Fatalf("attach: %v", err)
	}
	other := e.create(distConfig("o"))
	wantCode(t, attach(other.ID, p.ID, nil), "ContinuousDeploymentPolicyInUse")
	wantCode(t, e.c.DeleteContinuousDeploymentPolicy(e.ctx, p.ID, p.ETag), "ContinuousDeploymentPolicyInUse")

	// Disabled and deployed, the staging distribution still cannot go
	// while a policy names it.
	d := e.mustUpdate(staging.ID, func(c model.Tree) { c["Enabled"] = "false" })
	e.deploy()
	wantCode(t, e.c.DeleteDistribution(e.ctx, staging.ID, d.ETag), "ResourceInUse")

	// Let go in Terraform's order: detach, delete the policy, then the
	// distributions.
	if err := attach(primary.ID, "", nil); err != nil {
		t.Fatal(err)
	}
	if err := e.c.DeleteContinuousDeploymentPolicy(e.ctx, p.ID, p.ETag); err != nil {
		t.Fatal(err)
	}
	e.deploy()
	if err := e.c.DeleteDistribution(e.ctx, staging.ID, e.get(staging.ID).ETag); err != nil {
		t.Fatal(err)
	}
	if keys := append(e.keys("cdref/"), e.keys("cdstaging/")...); len(keys) != 0 {
		t.Errorf("index keys left: %v", keys)
	}
}

// TestContinuousDeployment_promoteAndDeployed: a policy change shows the
// primary InProgress until the edges apply it; promotion copies the
// staging config except Aliases, ContinuousDeploymentPolicyId and
// CallerReference, and disables the policy.
func TestContinuousDeployment_promoteAndDeployed(t *testing.T) {
	e := newEnv(t)
	primary := e.create(distConfig("p", "www.example.com"))
	staging := e.copyStaging(primary, "s")
	staging = e.mustUpdate(staging.ID, func(c model.Tree) {
		c["Comment"] = "next"
		c["Origins"] = wrap(origin("web", "next.example.com"))
	})
	p, err := e.c.CreateContinuousDeploymentPolicy(e.ctx, cdHeaderPolicy(staging.DomainName))
	if err != nil {
		t.Fatal(err)
	}
	e.mustUpdate(primary.ID, func(c model.Tree) { c["ContinuousDeploymentPolicyId"] = p.ID })
	e.deploy()
	if s := e.get(primary.ID).Status; s != "Deployed" {
		t.Fatalf("primary %s after deploy", s)
	}
	p, err = e.c.UpdateContinuousDeploymentPolicy(e.ctx, p.ID, p.ETag, replaceWith(cdWeightPolicy(staging.DomainName, "0.05", nil)))
	if err != nil {
		t.Fatal(err)
	}
	if s := e.get(primary.ID).Status; s != "InProgress" {
		t.Errorf("primary %s after its policy changed, before the edges applied it; want InProgress", s)
	}
	ds, _, err := e.c.ListDistributions(e.ctx, control.ListOptions{MaxItems: 100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.ID == primary.ID && d.Status != "InProgress" {
			t.Errorf("ListDistributions shows the primary %s; want InProgress, as GetDistribution", d.Status)
		}
	}
	e.deploy()
	if s := e.get(primary.ID).Status; s != "Deployed" {
		t.Errorf("primary %s after the edges applied the policy", s)
	}

	pe, se := e.get(primary.ID).ETag, e.get(staging.ID).ETag
	for _, c := range []struct{ ifMatch, code string }{
		{"", "InvalidIfMatchVersion"},
		{pe, "InvalidIfMatchVersion"},
		{pe + ",", "InvalidIfMatchVersion"},
		{se + ", " + pe, "PreconditionFailed"},
	} {
		_, err := e.c.UpdateDistributionWithStagingConfig(e.ctx, primary.ID, staging.ID, c.ifMatch)
		wantCode(t, err, c.code)
	}
	_, err = e.c.UpdateDistributionWithStagingConfig(e.ctx, primary.ID, primary.ID, pe+", "+pe)
	wantCode(t, err, "InvalidArgument")
	_, err = e.c.UpdateDistributionWithStagingConfig(e.ctx, primary.ID, "ENOSUCHDIST000", pe+", "+se)
	wantCode(t, err, "NoSuchDistribution")

	d, err := e.c.UpdateDistributionWithStagingConfig(e.ctx, primary.ID, staging.ID, pe+", "+se)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != "InProgress" || d.ETag == pe {
		t.Errorf("promoted: status %s, ETag %s (was %s)", d.Status, d.ETag, pe)
	}
	c := d.Config
	if model.StrOr(c, "", "Comment") != "next" || model.StructItems(c, "Origins")[0]["DomainName"] != "next.example.com" {
		t.Errorf("the staging config was not copied: %v", c)
	}
	if got := model.StringItems(c, "Aliases"); len(got) != 1 || got[0] != "www.example.com" {
		t.Errorf("aliases %v, want the primary's", got)
	}
	if model.StrOr(c, "", "ContinuousDeploymentPolicyId") != p.ID || model.StrOr(c, "", "CallerReference") != "p" || model.Bool(c, "Staging") {
		t.Errorf("primary's own members changed: %v", c)
	}
	got, err := e.c.GetContinuousDeploymentPolicy(e.ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if model.Bool(got.Config, "Enabled") {
		t.Error("the policy is still enabled after promotion")
	}
	// The staging distribution is unchanged and still a staging one.
	if s := e.get(staging.ID); !model.Bool(s.Config, "Staging") || s.ETag != se {
		t.Errorf("staging changed by the promotion")
	}
}

// TestContinuousDeploymentPolicy_sessionEpoch: enabling or disabling the
// policy or its session stickiness (and promotion, which disables it)
// starts a new session epoch, so that the edges reset every session
// ("Learn how continuous deployment works"); other changes keep it.
func TestContinuousDeploymentPolicy_sessionEpoch(t *testing.T) {
	e := newEnv(t)
	primary := e.create(distConfig("p"))
	staging := e.copyStaging(primary, "s")
	dns := staging.DomainName
	epoch := func(id string) int64 {
		t.Helper()
		var rec model.ContinuousDeploymentPolicyRecord
		if err := e.store.View(e.ctx, func(tx store.ReadTxn) error {
			kv, _, err := tx.Get(model.ContinuousDeploymentPolicyKey(id))
			if err != nil {
				return err
			}
			return json.Unmarshal(kv.Value, &rec)
		}); err != nil {
			t.Fatal(err)
		}
		return rec.SessionEpoch
	}
	sticky := model.Tree{"IdleTTL": "300", "MaximumTTL": "600"}
	p, err := e.c.CreateContinuousDeploymentPolicy(e.ctx, cdWeightPolicy(dns, "0.1", sticky))
	if err != nil {
		t.Fatal(err)
	}
	disabled := cdWeightPolicy(dns, "0.1", sticky)
	disabled["Enabled"] = "false"
	for _, step := range []struct {
		name string
		cfg  model.Tree
		want int64
	}{
		{"created", nil, 1},
		{"weight changed", cdWeightPolicy(dns, "0.15", sticky), 1},
		{"TTLs changed", cdWeightPolicy(dns, "0.15", model.Tree{"IdleTTL": "600", "MaximumTTL": "600"}), 1},
		{"disabled", disabled, 2},
		{"enabled", cdWeightPolicy(dns, "0.1", sticky), 3},
		{"stickiness off", cdWeightPolicy(dns, "0.1", nil), 4},
		{"stickiness on", cdWeightPolicy(dns, "0.1", sticky), 5},
	} {
		if step.cfg != nil {
			cur, err := e.c.GetContinuousDeploymentPolicy(e.ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.c.UpdateContinuousDeploymentPolicy(e.ctx, p.ID, cur.ETag, replaceWith(step.cfg)); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
		}
		if got := epoch(p.ID); got != step.want {
			t.Errorf("%s: session epoch %d, want %d", step.name, got, step.want)
		}
	}
	e.mustUpdate(primary.ID, func(c model.Tree) { c["ContinuousDeploymentPolicyId"] = p.ID })
	if _, err := e.c.UpdateDistributionWithStagingConfig(e.ctx, primary.ID, staging.ID, e.get(primary.ID).ETag+", "+e.get(staging.ID).ETag); err != nil {
		t.Fatal(err)
	}
	if got := epoch(p.ID); got != 6 {
		t.Errorf("after promotion (policy disabled): session epoch %d, want 6", got)
	}
}
