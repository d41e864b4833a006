package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"openfront/internal/control"
	"openfront/internal/model"
	"openfront/internal/store"
)

var (
	distIDPattern     = regexp.MustCompile(`^E[A-Z0-9]{13}$`)
	distDomainPattern = regexp.MustCompile(`^d[a-z0-9]{13}\.cloudfront\.net$`)
	etagPattern       = regexp.MustCompile(`^E[A-Z0-9]{13}$`)
)

func TestCreateDistribution_formats(t *testing.T) {
	e := newEnv(t)
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	e.c.SetClock(func() time.Time { return at })
	d := e.create(distConfig("ref-1"))
	if !distIDPattern.MatchString(d.ID) || !distDomainPattern.MatchString(d.DomainName) || !etagPattern.MatchString(d.ETag) {
		t.Errorf("id %q domain %q etag %q", d.ID, d.DomainName, d.ETag)
	}
	if d.ARN != "arn:aws:cloudfront::"+testAccount+":distribution/"+d.ID {
		t.Errorf("ARN = %q", d.ARN)
	}
	if !d.LastModified.Equal(at) {
		t.Errorf("LastModified = %v, want %v", d.LastModified, at)
	}
	if d.Status != "InProgress" || d.InProgressInvalidationBatches != 0 {
		t.Errorf("status %q batches %d", d.Status, d.InProgressInvalidationBatches)
	}
	if model.StrOr(d.Config, "", "Comment") != "test ref-1" {
		t.Errorf("config not echoed: %v", d.Config)
	}
	cn, _, err := e.c.CreateDistribution(control.WithPartition(e.ctx, "aws-cn"), distConfig("ref-2"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cn.ARN, "arn:aws-cn:cloudfront::") {
		t.Errorf("ARN in aws-cn = %q", cn.ARN)
	}
}

func TestARNPartition(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "aws", "eu-west-3": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov", "": "aws",
	} {
		if got := control.ARNPartition(region); got != want {
			t.Errorf("ARNPartition(%q) = %q, want %q", region, got, want)
		}
	}
}

// TestCreateDistribution_callerReference: the same reference with the same
// tree returns the original (created=false, nothing written); with another
// tree it is DistributionAlreadyExists (CallerReference in
// "DistributionConfig", the Amazon CloudFront API Reference); returning the
// original, and reuse once deleted, are OpenFront's choice.
func TestCreateDistribution_callerReference(t *testing.T) {
	e := newEnv(t)
	first := e.create(distConfig("ref-1"))
	rev := e.revision()

	again, created, err := e.c.CreateDistribution(e.ctx, distConfig("ref-1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if created || again.ID != first.ID || again.ETag != first.ETag || again.DomainName != first.DomainName {
		t.Errorf("retry: created=%v id %s etag %s, want created=false id %s etag %s", created, again.ID, again.ETag, first.ID, first.ETag)
	}
	if e.revision() != rev {
		t.Error("an idempotent retry wrote to the store")
	}

	other := distConfig("ref-1")
	other["Comment"] = "something else"
	_, _, err = e.c.CreateDistribution(e.ctx, other, nil)
	wantCode(t, err, "DistributionAlreadyExists")
	if e.revision() != rev {
		t.Error("a refused create wrote to the store")
	}

	e.disableAndDelete(first.ID)
	reused := e.create(distConfig("ref-1"))
	if reused.ID == first.ID {
		t.Error("a deleted distribution's id was reused")
	}
}

func TestDistribution_statusFollowsFleet(t *testing.T) {
	e := newEnv(t)
	d := e.create(distConfig("ref-1"))
	if d.Status != "InProgress" {
		t.Fatalf("after create: %s", d.Status)
	}
	e.report(e.revision() - 1)
	if got := e.get(d.ID).Status; got != "InProgress" {
		t.Fatalf("edge behind the create: %s", got)
	}
	e.deploy()
	if got := e.get(d.ID); got.Status != "Deployed" || got.ETag != d.ETag {
		t.Fatalf("after report: %s (etag %s, was %s)", got.Status, got.ETag, d.ETag)
	}
	u := e.mustUpdate(d.ID, func(c model.Tree) { c["Comment"] = "v2" })
	if u.Status != "InProgress" {
		t.Fatalf("after update: %s", u.Status)
	}
	e.deploy()
	if got := e.get(d.ID).Status; got != "Deployed" {
		t.Fatalf("after second report: %s", got)
	}

	// A second edge that has applied nothing holds Deployed back; once it
	// leaves, it no longer does.
	e.mustUpdate(d.ID, func(c model.Tree) { c["Comment"] = "v3" })
	e.deploy()
	if err := e.fleet.Report(e.ctx, "edge-2", 1); err != nil {
		t.Fatal(err)
	}
	if got := e.get(d.ID).Status; got != "InProgress" {
		t.Fatalf("with a lagging edge: %s", got)
	}
	e.fleet.Leave(e.ctx, "edge-2")
	if got := e.get(d.ID).Status; got != "Deployed" {
		t.Fatalf("after the lagging edge left: %s", got)
	}
}

func TestControl_noEdgeMeansDeployed(t *testing.T) {
	e := newEnv(t)
	e.fleet.Leave(e.ctx, edgeName)
	d := e.create(distConfig("ref-1"))
	if d.Status != "InProgress" {
		t.Errorf("create answers InProgress, as of its commit: %s", d.Status)
	}
	if got := e.get(d.ID).Status; got != "Deployed" {
		t.Errorf("with no live edge: %s", got)
	}
}

// TestDeleteDistribution_notDisabled: delete is refused while enabled, and
// while the disable has not been applied by every edge
// (DistributionNotDisabled, "DeleteDistribution" in the Amazon CloudFront
// API Reference).
func TestDeleteDistribution_notDisabled(t *testing.T) {
	e := newEnv(t)
	d := e.create(distConfig("ref-1", "www.example.com"))
	e.deploy()
	wantCode(t, e.c.DeleteDistribution(e.ctx, d.ID, d.ETag), "DistributionNotDisabled")

	off := e.mustUpdate(d.ID, func(c model.Tree) { c["Enabled"] = "false" })
	wantCode(t, e.c.DeleteDistribution(e.ctx, d.ID, off.ETag), "DistributionNotDisabled")

	e.deploy()
	if err := e.c.DeleteDistribution(e.ctx, d.ID, off.ETag); err != nil {
		t.Fatalf("delete after the disable is deployed: %v", err)
	}
	_, err := e.c.GetDistribution(e.ctx, d.ID)
	wantCode(t, err, "NoSuchDistribution")
	wantCode(t, e.c.DeleteDistribution(e.ctx, d.ID, off.ETag), "NoSuchDistribution")
	for _, prefix := range []string{"dist/", "alias/", "callerref/dist/", "tags/", "inval/"} {
		if k := e.keys(prefix); len(k) != 0 {
			t.Errorf("keys left under %s after delete: %v", prefix, k)
		}
	}
}

func TestUpdateDistribution_illegalUpdate(t *testing.T) {
	e := newEnv(t)
	d := e.create(distConfig("ref-1"))
	cfg := model.Clone(d.Config)
	cfg["CallerReference"] = "ref-2"
	_, err := e.update(d.ID, d.ETag, cfg)
	wantCode(t, err, "IllegalUpdate")
}

// errBody stands for a request body that fails to decode.
var errBody = errors.New("body does not decode")

func failingApply(called *bool) control.Apply {
	return func(model.Tree) (model.Tree, error) {
		*called = true
		return nil, errBody
	}
}

// TestUpdate_checkOrder proves CloudFront's order for every Update:
// existence (404) before If-Match presence (InvalidIfMatchVersion) before
// its value (PreconditionFailed) before the body, by giving an Apply that
// always fails (the codes are among the errors botocore's cloudfront model
// lists for UpdateDistribution; AWS does not document their order).
func TestUpdate_checkOrder(t *testing.T) {
	e := newEnv(t)
	d := e.create(distConfig("ref-1"))
	sd, _, err := e.c.CreateStreamingDistribution(e.ctx, streamingConfig("sref-1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	o, _, err := e.c.CreateOAI(e.ctx, oaiConfig("oref-1", "c"))
	if err != nil {
		t.Fatal(err)
	}
	type update func(id, ifMatch string, apply control.Apply) error
	for _, res := range []struct {
		name, id, etag, notFound string
		update                   update
	}{
		{"distribution", d.ID, d.ETag, "NoSuchDistribution", func(id, m string, a control.Apply) error {
			_, err := e.c.UpdateDistribution(e.ctx, id, m, a)
			return err
		}},
		{"streaming distribution", sd.ID, sd.ETag, "NoSuchStreamingDistribution", func(id, m string, a control.Apply) error {
			_, err := e.c.UpdateStreamingDistribution(e.ctx, id, m, a)
			return err
		}},
		{"origin access identity", o.ID, o.ETag, "NoSuchCloudFrontOriginAccessIdentity", func(id, m string, a control.Apply) error {
			_, err := e.c.UpdateOAI(e.ctx, id, m, a)
			return err
		}},
	} {
		t.Run(res.name, func(t *testing.T) {
			for _, tc := range []struct {
				name, id, ifMatch, want string
				applied                 bool
			}{
				{"missing resource and If-Match", "ENOSUCHRESOURCE", "", res.notFound, false},
				{"missing resource with stale If-Match", "ENOSUCHRESOURCE", "EWRONGETAG0000", res.notFound, false},
				{"no If-Match", res.id, "", "InvalidIfMatchVersion", false},
				{"blank If-Match", res.id, "  ", "InvalidIfMatchVersion", false},
				{"stale If-Match", res.id, "EWRONGETAG0000", "PreconditionFailed", false},
				{"If-Match differing in case", res.id, strings.ToLower(res.etag), "PreconditionFailed", false},
				{"current If-Match", res.id, res.etag, "", true},
			} {
				t.Run(tc.name, func(t *testing.T) {
					rev := e.revision()
					called := false
					err := res.update(tc.id, tc.ifMatch, failingApply(&called))
					if tc.want == "" {
						if !errors.Is(err, errBody) {
							t.Fatalf("got %v, want the body error", err)
						}
					} else {
						wantCode(t, err, tc.want)
					}
					if called != tc.applied {
						t.Errorf("apply called = %v, want %v", called, tc.applied)
					}
					if e.revision() != rev {
						t.Error("a failed update wrote to the store")
					}
				})
			}
		})
	}
}

// TestDelete_checkOrder: existence, If-Match presence, If-Match value, then
// the disabled check.
func TestDelete_checkOrder(t *testing.T) {
	e := newEnv(t)
	d := e.create(distConfig("ref-1"))
	e.deploy()
	for _, tc := range []struct{ name, id, ifMatch, want string }{
		{"missing", "ENOSUCHRESOURCE", "", "NoSuchDistribution"},
		{"no If-Match", d.ID, "", "InvalidIfMatchVersion"},
		{"stale If-Match", d.ID, "EWRONGETAG0000", "PreconditionFailed"},
		{"enabled", d.ID, d.ETag, "DistributionNotDisabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, e.c.DeleteDistribution(e.ctx, tc.id, tc.ifMatch), tc.want)
		})
	}
}

// TestETag: a new ETag on every successful update, none on reads, deploys
// or invalidations; the old ETag stops working.
func TestETag(t *testing.T) {
	e := newEnv(t)
	d := e.create(distConfig("ref-1"))
	seen := map[string]bool{d.ETag: true}
	if e.get(d.ID).ETag != d.ETag || e.get(d.ID).ETag != d.ETag {
		t.Fatal("reads changed the ETag")
	}
	e.deploy()
	if _, _, err := e.c.CreateInvalidation(e.ctx, d.ID, "inv-1", []string{"/a"}); err != nil {
		t.Fatal(err)
	}
	if e.get(d.ID).ETag != d.ETag {
		t.Fatal("a deploy or an invalidation changed the ETag")
	}
	prev := d.ETag
	for i := range 4 {
		// The same config again still counts as an update.
		u := e.mustUpdate(d.ID, func(c model.Tree) {
			if i%2 == 0 {
				c["Comment"] = "changed"
			}
		})
		if seen[u.ETag] {
			t.Fatalf("update %d reused ETag %s", i, u.ETag)
		}
		seen[u.ETag] = true
		if got := e.get(d.ID).ETag; got != u.ETag {
			t.Fatalf("Get after update %d: %s, want %s", i, got, u.ETag)
		}
		cfg := model.Clone(u.Config)
		_, err := e.update(d.ID, prev, cfg)
		wantCode(t, err, "PreconditionFailed")
		prev = u.ETag
	}
}

// TestUpdateDistribution_failuresChangeNothing: whatever makes an update
// fail, the stored config, ETag, LastModified and index keys stay
// byte-identical and the store revision does not move.
func TestUpdateDistribution_failuresChangeNothing(t *testing.T) {
	e := newEnv(t)
	d := e.create(distConfig("ref-1", "www.example.com"))
	e.create(distConfig("ref-2", "taken.example.com"))
	o, _, err := e.c.CreateOAI(e.ctx, oaiConfig("oref", ""))
	if err != nil {
		t.Fatal(err)
	}
	withGoodOAI := e.mustUpdate(d.ID, func(c model.Tree) {
		c["Origins"] = wrap(origin("web", "example.com"), s3Origin("s3", oaiRef(o.ID)))
	})

	before := e.get(d.ID)
	beforeJSON := canonicalJSON(t, before.Config)
	beforeKeys := strings.Join(e.keys(""), "\n")
	rev := e.revision()

	mod := func(f func(c model.Tree)) control.Apply {
		return func(stored model.Tree) (model.Tree, error) {
			// Change the tree control hands over in place, to prove it is a copy.
			f(stored)
			return stored, nil
		}
	}
	for _, tc := range []struct {
		name    string
		ifMatch string
		apply   control.Apply
		want    string
	}{
		{"stale If-Match", d.ETag, mod(func(c model.Tree) { c["Comment"] = "x" }), "PreconditionFailed"},
		{"body error", withGoodOAI.ETag, func(model.Tree) (model.Tree, error) { return nil, errBody }, ""},
		{"TTL order", withGoodOAI.ETag, mod(func(c model.Tree) { model.Sub(c, "DefaultCacheBehavior")["MaxTTL"] = "1" }), "InvalidTTLOrder"},
		{"unknown origin", withGoodOAI.ETag, mod(func(c model.Tree) { model.Sub(c, "DefaultCacheBehavior")["TargetOriginId"] = "x" }), "NoSuchOrigin"},
		{"CallerReference", withGoodOAI.ETag, mod(func(c model.Tree) { c["CallerReference"] = "other" }), "IllegalUpdate"},
		{"unknown OAI", withGoodOAI.ETag, mod(func(c model.Tree) {
			model.Sub(model.StructItems(c, "Origins")[1], "S3OriginConfig")["OriginAccessIdentity"] = oaiRef("ENOSUCHOAI")
		}), "InvalidOriginAccessIdentity"},
		{"alias of another distribution, with own alias dropped", withGoodOAI.ETag, mod(func(c model.Tree) {
			c["Aliases"] = wrap(strs("new.example.com", "taken.example.com")...)
		}), "CNAMEAlreadyExists"},
		{"Origin Shield in mars-1", withGoodOAI.ETag, mod(func(c model.Tree) {
			model.StructItems(c, "Origins")[0]["OriginShield"] = model.Tree{"Enabled": "true", "OriginShieldRegion": "mars-1"}
		}), "InvalidArgument"},
		{"origin custom header Host", withGoodOAI.ETag, mod(func(c model.Tree) {
			model.StructItems(c, "Origins")[0]["CustomHeaders"] = wrap(model.Tree{"HeaderName": "Host", "HeaderValue": "v"})
		}), "InvalidArgument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.c.UpdateDistribution(e.ctx, d.ID, tc.ifMatch, tc.apply)
			if tc.want == "" {
				if !errors.Is(err, errBody) {
					t.Fatalf("got %v, want the body error", err)
				}
			} else {
				wantCode(t, err, tc.want)
			}
			after := e.get(d.ID)
			if got := canonicalJSON(t, after.Config); got != beforeJSON {
				t.Errorf("stored config changed:\nbefore %s\nafter  %s", beforeJSON, got)
			}
			if after.ETag != before.ETag || !after.LastModified.Equal(before.LastModified) {
				t.Errorf("etag/lastmodified changed: %s %v -> %s %v", before.ETag, before.LastModified, after.ETag, after.LastModified)
			}
			if e.revision() != rev {
				t.Error("store revision moved")
			}
			if got := strings.Join(e.keys(""), "\n"); got != beforeKeys {
				t.Errorf("stored keys changed:\nbefore\n%s\nafter\n%s", beforeKeys, got)
			}
		})
	}
}

// TestCreateDistribution_failuresChangeNothing: refused creates write
// nothing.
func TestCreateDistribution_failuresChangeNothing(t *testing.T) {
	e := newEnvQuotas(t, testQuotas)
	e.create(distConfig("ref-1", "www.example.com"))
	rev := e.revision()
	for _, tc := range []struct {
		name string
		cfg  model.Tree
		want string
	}{
		{"invalid config", func() model.Tree {
			c := distConfig("ref-2")
			model.Sub(c, "DefaultCacheBehavior")["TargetOriginId"] = "nope"
			return c
		}(), "NoSuchOrigin"},
		{"alias taken", distConfig("ref-3", "new.example.com", "WWW.EXAMPLE.COM"), "CNAMEAlreadyExists"},
		{"unknown OAI", withOAI("ref-4", oaiRef("ENOSUCH")), "InvalidOriginAccessIdentity"},
		{"malformed OAI", withOAI("ref-5", "ENOSUCH"), "InvalidOriginAccessIdentity"},
		{"too many aliases", distConfig("ref-6", "a.example.com", "b.example.com", "c.example.com", "d.example.com"), "TooManyDistributionCNAMEs"},
		{"Origin Shield enabled without a region", func() model.Tree {
			c := distConfig("ref-8")
			model.StructItems(c, "Origins")[0]["OriginShield"] = model.Tree{"Enabled": "true"}
			return c
		}(), "InvalidArgument"},
		{"origin custom header X-Amz-Foo", func() model.Tree {
			c := distConfig("ref-7")
			model.StructItems(c, "Origins")[0]["CustomHeaders"] = wrap(model.Tree{"HeaderName": "X-Amz-Foo", "HeaderValue": "v"})
			return c
		}(), "InvalidArgument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.c.CreateDistribution(e.ctx, tc.cfg, nil)
			wantCode(t, err, tc.want)
			if e.revision() != rev {
				t.Error("store revision moved")
			}
		})
	}
	if k := e.keys("dist/"); len(k) != 1 {
		t.Errorf("distributions stored: %v", k)
	}
}

// TestAliases: an alias belongs to one distribution or streaming
// distribution at a time, case-insensitively; an update or delete frees it.
func TestAliases(t *testing.T) {
	e := newEnv(t)
	a := e.create(distConfig("ref-a", "www.example.com"))
	s, _, err := e.c.CreateStreamingDistribution(e.ctx, streamingConfig("sref-s", "rtmp.example.com"), nil)
	if err != nil {
		t.Fatal(err)
	}

	_, _, err = e.c.CreateDistribution(e.ctx, distConfig("ref-b", "WWW.Example.com"), nil)
	wantCode(t, err, "CNAMEAlreadyExists")
	_, _, err = e.c.CreateStreamingDistribution(e.ctx, streamingConfig("sref-t", "www.example.com"), nil)
	wantCode(t, err, "CNAMEAlreadyExists")
	_, _, err = e.c.CreateDistribution(e.ctx, distConfig("ref-b", "rtmp.example.com"), nil)
	wantCode(t, err, "CNAMEAlreadyExists")

	b := e.create(distConfig("ref-b", "other.example.com"))
	_, err = e.update(b.ID, b.ETag, distConfig("ref-b", "other.example.com", "www.example.com"))
	wantCode(t, err, "CNAMEAlreadyExists")

	// Keeping one's own aliases is fine.
	a = e.mustUpdate(a.ID, func(c model.Tree) { c["Comment"] = "same aliases" })

	// A drops the alias: B can take it.
	e.mustUpdate(a.ID, func(c model.Tree) { c["Aliases"] = wrap(strs("www2.example.com")...) })
	b = e.mustUpdate(b.ID, func(c model.Tree) { c["Aliases"] = wrap(strs("other.example.com", "www.example.com")...) })
	_, _, err = e.c.CreateDistribution(e.ctx, distConfig("ref-c", "www.example.com"), nil)
	wantCode(t, err, "CNAMEAlreadyExists")

	// Deleting the streaming distribution frees its alias.
	e.deploy()
	off, err := e.c.UpdateStreamingDistribution(e.ctx, s.ID, s.ETag, func(c model.Tree) (model.Tree, error) {
		c["Enabled"] = "false"
		return c, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.deploy()
	if err := e.c.DeleteStreamingDistribution(e.ctx, s.ID, off.ETag); err != nil {
		t.Fatal(err)
	}
	e.create(distConfig("ref-d", "rtmp.example.com"))

	// Deleting B frees www.example.com.
	e.disableAndDelete(b.ID)
	e.create(distConfig("ref-e", "www.example.com"))
}

func TestQuotas_distributions(t *testing.T) {
	e := newEnvQuotas(t, testQuotas)
	var ids []string
	for _, ref := range []string{"r1", "r2", "r3"} {
		ids = append(ids, e.create(distConfig(ref)).ID)
	}
	_, _, err := e.c.CreateDistribution(e.ctx, distConfig("r4"), nil)
	wantCode(t, err, "TooManyDistributions")
	// A retry of an existing create is not a new distribution.
	if _, created, err := e.c.CreateDistribution(e.ctx, distConfig("r1"), nil); err != nil || created {
		t.Fatalf("idempotent retry at the quota: created=%v err=%v", created, err)
	}
	e.disableAndDelete(ids[0])
	e.create(distConfig("r4"))

	t.Run("origins", func(t *testing.T) {
		c := distConfig("ro")
		c["Origins"] = wrap(origin("a", "a.example.com"), origin("b", "b.example.com"), origin("web", "example.com"))
		d := e.get(ids[1])
		_, err := e.update(d.ID, d.ETag, func() model.Tree {
			u := model.Clone(d.Config)
			u["Origins"] = c["Origins"]
			return u
		}())
		wantCode(t, err, "TooManyOrigins")
	})
	t.Run("cache behaviors", func(t *testing.T) {
		d := e.get(ids[1])
		u := model.Clone(d.Config)
		var bs []any
		for _, p := range []string{"/a/*", "/b/*", "/c/*"} {
			b := behavior("web")
			b["PathPattern"] = p
			bs = append(bs, b)
		}
		u["CacheBehaviors"] = wrap(bs...)
		_, err := e.update(d.ID, d.ETag, u)
		wantCode(t, err, "TooManyCacheBehaviors")
	})
	t.Run("aliases on update", func(t *testing.T) {
		d := e.get(ids[1])
		u := model.Clone(d.Config)
		u["Aliases"] = wrap(strs("a.example.com", "b.example.com", "c.example.com", "d.example.com")...)
		_, err := e.update(d.ID, d.ETag, u)
		wantCode(t, err, "TooManyDistributionCNAMEs")
	})
}

func TestListDistributions_pagination(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for _, ref := range []string{"r1", "r2", "r3", "r4", "r5"} {
		ids = append(ids, e.create(distConfig(ref)).ID)
	}
	// Updates do not move a distribution in the order.
	e.mustUpdate(ids[0], func(c model.Tree) { c["Comment"] = "updated" })

	var got []string
	marker := ""
	pages := 0
	for {
		ds, p, err := e.c.ListDistributions(e.ctx, control.ListOptions{Marker: marker, MaxItems: 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if p.Marker != marker || p.MaxItems != 2 {
			t.Errorf("page %d echoes marker %q maxitems %d", pages, p.Marker, p.MaxItems)
		}
		for _, d := range ds {
			got = append(got, d.ID)
		}
		if !p.IsTruncated {
			if p.NextMarker != "" {
				t.Errorf("NextMarker %q on the last page", p.NextMarker)
			}
			break
		}
		if len(ds) != 2 || p.NextMarker != ds[len(ds)-1].ID {
			t.Fatalf("page %d: %d items, NextMarker %q", pages, len(ds), p.NextMarker)
		}
		marker = p.NextMarker
	}
	if pages != 3 || !slices.Equal(got, ids) {
		t.Errorf("pages %d order %v, want creation order %v", pages, got, ids)
	}

	all, p, err := e.c.ListDistributions(e.ctx, control.ListOptions{MaxItems: 100}, nil)
	if err != nil || len(all) != 5 || p.IsTruncated {
		t.Fatalf("MaxItems 100: %d items truncated=%v err=%v", len(all), p.IsTruncated, err)
	}
	exact, p, _ := e.c.ListDistributions(e.ctx, control.ListOptions{MaxItems: 5}, nil)
	if len(exact) != 5 || p.IsTruncated {
		t.Errorf("MaxItems equal to the count: %d items truncated=%v", len(exact), p.IsTruncated)
	}
	after, _, _ := e.c.ListDistributions(e.ctx, control.ListOptions{Marker: ids[4], MaxItems: 100}, nil)
	if len(after) != 0 {
		t.Errorf("after the last id: %d items", len(after))
	}
	unknown, _, _ := e.c.ListDistributions(e.ctx, control.ListOptions{Marker: "ENOSUCH", MaxItems: 100}, nil)
	if len(unknown) != 0 {
		t.Errorf("after an unknown marker: %d items", len(unknown))
	}
}

func TestListDistributions_byWebACL(t *testing.T) {
	e := newEnv(t)
	plain := e.create(distConfig("r1"))
	c := distConfig("r2")
	const acl1, acl2 = "473e64fd-f30b-4765-81a0-62ad96dd167a", "473e64fd-f30b-4765-81a0-62ad96dd167b"
	c["WebACLId"] = acl1
	withACL := e.create(c)
	for acl, want := range map[string]string{"": plain.ID, acl1: withACL.ID, acl2: ""} {
		ds, _, err := e.c.ListDistributions(e.ctx, control.ListOptions{MaxItems: 100}, &acl)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, d := range ds {
			got += d.ID
		}
		if got != want {
			t.Errorf("WebACLId %q: %q, want %q", acl, got, want)
		}
	}
}

func TestControl_contextCancelled(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	if _, _, err := e.c.CreateDistribution(ctx, distConfig("r1"), nil); err == nil {
		t.Error("create with a cancelled context succeeded")
	}
}

// A config stored before defaults were filled on write (an upgraded data
// dir) is still shown with every member CloudFront returns.
func TestGetDistribution_fillsDefaultsOfOlderRecords(t *testing.T) {
	e := newEnv(t)
	d := e.create(distConfig("old-record"))
	e.rewriteStoredConfig(t, d.ID, func(c model.Tree) {
		for _, m := range []string{"OriginGroups", "Aliases", "Logging", "Restrictions"} {
			delete(c, m)
		}
	})
	got, err := e.c.GetDistribution(e.ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"OriginGroups", "Aliases", "Logging", "Restrictions"} {
		if got.Config[m] == nil {
			t.Errorf("%s missing from a record stored without it", m)
		}
	}
}

// TestUpdateDistribution_storedBeforeIncomingRules: a config stored before
// a rule of model.CheckIncomingDistributionConfig existed (here an origin
// custom header Host) still reads; an update must pass the rule, and one
// that does is accepted.
func TestUpdateDistribution_storedBeforeIncomingRules(t *testing.T) {
	e := newEnv(t)
	d := e.create(distConfig("old-rules"))
	e.rewriteStoredConfig(t, d.ID, func(c model.Tree) {
		model.StructItems(c, "Origins")[0]["CustomHeaders"] = wrap(model.Tree{"HeaderName": "Host", "HeaderValue": "v"})
	})
	old := e.get(d.ID)
	_, err := e.c.UpdateDistribution(e.ctx, d.ID, old.ETag, func(c model.Tree) (model.Tree, error) {
		c["Comment"] = "still has Host"
		return c, nil
	})
	wantCode(t, err, "InvalidArgument")
	if after := e.get(d.ID); after.ETag != old.ETag {
		t.Errorf("refused update moved the ETag %s -> %s", old.ETag, after.ETag)
	}
	if _, err := e.c.UpdateDistribution(e.ctx, d.ID, old.ETag, func(c model.Tree) (model.Tree, error) {
		model.StructItems(c, "Origins")[0]["CustomHeaders"] = wrap(model.Tree{"HeaderName": "X-Host", "HeaderValue": "v"})
		return c, nil
	}); err != nil {
		t.Fatalf("update that fixes the header: %v", err)
	}
}

// rewriteStoredConfig changes a stored distribution's config in place,
// behind the control plane's back, as an older release or a rule added
// since would have left it.
func (e *env) rewriteStoredConfig(t *testing.T, id string, change func(model.Tree)) {
	t.Helper()
	_, err := e.store.Update(e.ctx, func(tx store.Txn) error {
		kv, _, err := tx.Get(model.DistributionKey(id))
		if err != nil {
			return err
		}
		var rec model.DistributionRecord
		if err := json.Unmarshal(kv.Value, &rec); err != nil {
			return err
		}
		change(rec.Config)
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return tx.Put(kv.Key, b)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// withOriginGroups is distConfig with two origins and n origin groups of
// them.
func withOriginGroups(ref string, n int) model.Tree {
	c := distConfig(ref)
	c["Origins"] = wrap(origin("web", "example.com"), origin("web2", "example.org"))
	var gs []any
	for i := 0; i < n; i++ {
		gs = append(gs, model.Tree{
			"Id":               "group" + strconv.Itoa(i),
			"FailoverCriteria": model.Tree{"StatusCodes": wrap(strs("500")...)},
			"Members":          wrap(model.Tree{"OriginId": "web"}, model.Tree{"OriginId": "web2"}),
		})
	}
	c["OriginGroups"] = wrap(gs...)
	return c
}

// TestQuotas_originGroups: "Origin groups per distribution" is 10
// (Developer Guide, "Quotas"); an eleventh is
// TooManyOriginGroupsPerDistribution, on create and on update.
func TestQuotas_originGroups(t *testing.T) {
	e := newEnv(t)
	rev := e.revision()
	_, _, err := e.c.CreateDistribution(e.ctx, withOriginGroups("groups-11", 11), nil)
	wantCode(t, err, "TooManyOriginGroupsPerDistribution")
	if e.revision() != rev {
		t.Error("a refused create changed the store")
	}
	d := e.create(withOriginGroups("groups-10", 10))
	_, err = e.c.UpdateDistribution(e.ctx, d.ID, d.ETag, func(model.Tree) (model.Tree, error) {
		return withOriginGroups("groups-10", 11), nil
	})
	wantCode(t, err, "TooManyOriginGroupsPerDistribution")
	if got := e.get(d.ID); got.ETag != d.ETag || len(model.StructItems(got.Config, "OriginGroups")) != 10 {
		t.Errorf("refused update changed the distribution: etag %s -> %s", d.ETag, got.ETag)
	}
}
