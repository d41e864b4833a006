package control_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"openfront/internal/control"
	"openfront/internal/model"
)

var canonicalUserPattern = regexp.MustCompile(`^[0-9a-f]{64,}$`)

func TestCreateOAI(t *testing.T) {
	e := newEnvQuotas(t, testQuotas) // 2 OAIs
	o, created, err := e.c.CreateOAI(e.ctx, oaiConfig("oref-1", "first"))
	if err != nil || !created {
		t.Fatalf("created=%v err=%v", created, err)
	}
	if !distIDPattern.MatchString(o.ID) || !canonicalUserPattern.MatchString(o.S3CanonicalUserID) || !etagPattern.MatchString(o.ETag) {
		t.Errorf("oai = %+v", o)
	}
	rev := e.revision()
	again, created, err := e.c.CreateOAI(e.ctx, oaiConfig("oref-1", "first"))
	if err != nil || created || again.ID != o.ID || again.ETag != o.ETag {
		t.Errorf("retry: %+v created=%v err=%v", again, created, err)
	}
	_, _, err = e.c.CreateOAI(e.ctx, oaiConfig("oref-1", "other comment"))
	wantCode(t, err, "CloudFrontOriginAccessIdentityAlreadyExists")
	_, _, err = e.c.CreateOAI(e.ctx, oaiConfig("oref-2", strings.Repeat("c", 129)))
	wantCode(t, err, "InvalidArgument")
	if e.revision() != rev {
		t.Error("refused or repeated creates wrote to the store")
	}

	o2, _, err := e.c.CreateOAI(e.ctx, oaiConfig("oref-2", ""))
	if err != nil {
		t.Fatal(err)
	}
	if o2.S3CanonicalUserID == o.S3CanonicalUserID {
		t.Error("two OAIs share a canonical user id")
	}
	_, _, err = e.c.CreateOAI(e.ctx, oaiConfig("oref-3", ""))
	wantCode(t, err, "TooManyCloudFrontOriginAccessIdentities")

	u, err := e.c.UpdateOAI(e.ctx, o.ID, o.ETag, replaceWith(oaiConfig("oref-1", "renamed")))
	if err != nil {
		t.Fatal(err)
	}
	if u.ETag == o.ETag || model.StrOr(u.Config, "", "Comment") != "renamed" || u.S3CanonicalUserID != o.S3CanonicalUserID {
		t.Errorf("update: %+v", u)
	}
	_, err = e.c.UpdateOAI(e.ctx, o.ID, u.ETag, replaceWith(oaiConfig("oref-9", "renamed")))
	wantCode(t, err, "IllegalUpdate")

	list, p, err := e.c.ListOAIs(e.ctx, control.ListOptions{MaxItems: 1})
	if err != nil || len(list) != 1 || list[0].ID != o.ID || !p.IsTruncated || p.NextMarker != o.ID {
		t.Fatalf("first page: %v %+v %v", list, p, err)
	}
	list, p, _ = e.c.ListOAIs(e.ctx, control.ListOptions{Marker: p.NextMarker, MaxItems: 1})
	if len(list) != 1 || list[0].ID != o2.ID || p.IsTruncated {
		t.Fatalf("second page: %v %+v", list, p)
	}
}

// TestOAI_references: distributions and streaming distributions must name
// existing OAIs; an OAI in use cannot be deleted until the last reference
// is removed (CloudFrontOriginAccessIdentityInUse,
// "DeleteCloudFrontOriginAccessIdentity" in the Amazon CloudFront API Reference).
func TestOAI_references(t *testing.T) {
	e := newEnv(t)
	o, _, err := e.c.CreateOAI(e.ctx, oaiConfig("oref-1", ""))
	if err != nil {
		t.Fatal(err)
	}

	_, _, err = e.c.CreateDistribution(e.ctx, withOAI("bad-1", oaiRef("ENOSUCHOAI0000")), nil)
	wantCode(t, err, "InvalidOriginAccessIdentity")
	_, _, err = e.c.CreateDistribution(e.ctx, withOAI("bad-2", o.ID), nil)
	wantCode(t, err, "InvalidOriginAccessIdentity")
	sc := streamingConfig("sbad")
	model.Sub(sc, "S3Origin")["OriginAccessIdentity"] = oaiRef("ENOSUCHOAI0000")
	_, _, err = e.c.CreateStreamingDistribution(e.ctx, sc, nil)
	wantCode(t, err, "InvalidOriginAccessIdentity")

	d := e.create(withOAI("ref-1", oaiRef(o.ID)))
	sc = streamingConfig("sref-1")
	model.Sub(sc, "S3Origin")["OriginAccessIdentity"] = oaiRef(o.ID)
	sd, _, err := e.c.CreateStreamingDistribution(e.ctx, sc, nil)
	if err != nil {
		t.Fatal(err)
	}

	wantCode(t, e.c.DeleteOAI(e.ctx, o.ID, o.ETag), "CloudFrontOriginAccessIdentityInUse")

	// The distribution stops using it; the streaming distribution still does.
	e.mustUpdate(d.ID, func(c model.Tree) { c["Origins"] = wrap(origin("web", "example.com")) })
	wantCode(t, e.c.DeleteOAI(e.ctx, o.ID, o.ETag), "CloudFrontOriginAccessIdentityInUse")

	_, err = e.c.UpdateStreamingDistribution(e.ctx, sd.ID, sd.ETag, func(c model.Tree) (model.Tree, error) {
		model.Sub(c, "S3Origin")["OriginAccessIdentity"] = ""
		return c, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.c.DeleteOAI(e.ctx, o.ID, ""), "InvalidIfMatchVersion")
	wantCode(t, e.c.DeleteOAI(e.ctx, o.ID, "EWRONGETAG0000"), "PreconditionFailed")
	if err := e.c.DeleteOAI(e.ctx, o.ID, o.ETag); err != nil {
		t.Fatalf("delete an unused OAI: %v", err)
	}
	_, err = e.c.GetOAI(e.ctx, o.ID)
	wantCode(t, err, "NoSuchCloudFrontOriginAccessIdentity")
	wantCode(t, e.c.DeleteOAI(e.ctx, o.ID, o.ETag), "NoSuchCloudFrontOriginAccessIdentity")
	// Its CallerReference is free again.
	if _, created, err := e.c.CreateOAI(e.ctx, oaiConfig("oref-1", "")); err != nil || !created {
		t.Errorf("reuse of a deleted OAI's reference: created=%v err=%v", created, err)
	}
}

// TestOAI_deletedDistributionReleasesReference: deleting the distribution
// that used an OAI makes the OAI deletable.
func TestOAI_deletedDistributionReleasesReference(t *testing.T) {
	e := newEnv(t)
	o, _, err := e.c.CreateOAI(e.ctx, oaiConfig("oref-1", ""))
	if err != nil {
		t.Fatal(err)
	}
	d := e.create(withOAI("ref-1", oaiRef(o.ID)))
	wantCode(t, e.c.DeleteOAI(e.ctx, o.ID, o.ETag), "CloudFrontOriginAccessIdentityInUse")
	e.disableAndDelete(d.ID)
	if err := e.c.DeleteOAI(e.ctx, o.ID, o.ETag); err != nil {
		t.Fatalf("after the distribution was deleted: %v", err)
	}
}

func TestStreamingDistribution(t *testing.T) {
	e := newEnvQuotas(t, testQuotas) // 2 streaming distributions
	sd, created, err := e.c.CreateStreamingDistribution(e.ctx, streamingConfig("sref-1", "rtmp.example.com"), nil)
	if err != nil || !created {
		t.Fatalf("created=%v err=%v", created, err)
	}
	if !regexp.MustCompile(`^s[a-z0-9]{13}\.cloudfront\.net$`).MatchString(sd.DomainName) ||
		sd.ARN != "arn:aws:cloudfront::"+testAccount+":streaming-distribution/"+sd.ID || sd.Status != "InProgress" {
		t.Errorf("streaming distribution = %+v", sd)
	}
	again, created, err := e.c.CreateStreamingDistribution(e.ctx, streamingConfig("sref-1", "rtmp.example.com"), nil)
	if err != nil || created || again.ID != sd.ID {
		t.Errorf("retry: %+v created=%v err=%v", again, created, err)
	}
	_, _, err = e.c.CreateStreamingDistribution(e.ctx, streamingConfig("sref-1"), nil)
	wantCode(t, err, "StreamingDistributionAlreadyExists")

	_, err = e.c.UpdateStreamingDistribution(e.ctx, sd.ID, sd.ETag, func(c model.Tree) (model.Tree, error) {
		model.Sub(c, "S3Origin")["DomainName"] = "other.s3.amazonaws.com"
		return c, nil
	})
	wantCode(t, err, "IllegalUpdate")
	_, err = e.c.UpdateStreamingDistribution(e.ctx, sd.ID, sd.ETag, func(c model.Tree) (model.Tree, error) {
		c["CallerReference"] = "sref-other"
		return c, nil
	})
	wantCode(t, err, "IllegalUpdate")

	e.deploy()
	wantCode(t, e.c.DeleteStreamingDistribution(e.ctx, sd.ID, sd.ETag), "StreamingDistributionNotDisabled")
	off, err := e.c.UpdateStreamingDistribution(e.ctx, sd.ID, sd.ETag, func(c model.Tree) (model.Tree, error) {
		c["Enabled"] = "false"
		return c, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if off.ETag == sd.ETag || off.Status != "InProgress" {
		t.Errorf("update: etag %s status %s", off.ETag, off.Status)
	}
	wantCode(t, e.c.DeleteStreamingDistribution(e.ctx, sd.ID, off.ETag), "StreamingDistributionNotDisabled")
	e.deploy()

	s2, _, err := e.c.CreateStreamingDistribution(e.ctx, streamingConfig("sref-2"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.c.CreateStreamingDistribution(e.ctx, streamingConfig("sref-3"), nil)
	wantCode(t, err, "TooManyStreamingDistributions")

	list, _, err := e.c.ListStreamingDistributions(e.ctx, control.ListOptions{MaxItems: 10})
	if err != nil || len(list) != 2 || list[0].ID != sd.ID || list[1].ID != s2.ID {
		t.Fatalf("list: %v %v", list, err)
	}

	if err := e.c.DeleteStreamingDistribution(e.ctx, sd.ID, off.ETag); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = e.c.GetStreamingDistribution(e.ctx, sd.ID)
	wantCode(t, err, "NoSuchStreamingDistribution")
	if _, _, err := e.c.CreateStreamingDistribution(e.ctx, streamingConfig("sref-1", "rtmp.example.com"), nil); err != nil {
		t.Errorf("reference and alias of a deleted streaming distribution: %v", err)
	}
}

func TestTags(t *testing.T) {
	e := newEnvQuotas(t, testQuotas) // 3 tags per resource
	d, _, err := e.c.CreateDistribution(e.ctx, distConfig("ref-1"), []control.Tag{{Key: "env", Value: "prod"}})
	if err != nil {
		t.Fatal(err)
	}
	arn := d.ARN
	tags := func() []control.Tag {
		t.Helper()
		got, err := e.c.ListTags(e.ctx, arn)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := tags(); !slices.Equal(got, []control.Tag{{Key: "env", Value: "prod"}}) {
		t.Fatalf("tags from create = %v", got)
	}
	if err := e.c.TagResource(e.ctx, arn, []control.Tag{{Key: "team", Value: "web"}, {Key: "env", Value: "staging"}}); err != nil {
		t.Fatal(err)
	}
	if got := tags(); !slices.Equal(got, []control.Tag{{Key: "env", Value: "staging"}, {Key: "team", Value: "web"}}) {
		t.Errorf("Tag must replace a key's value and add new keys: %v", got)
	}
	if err := e.c.UntagResource(e.ctx, arn, []string{"env", "absent"}); err != nil {
		t.Fatal(err)
	}
	if got := tags(); !slices.Equal(got, []control.Tag{{Key: "team", Value: "web"}}) {
		t.Errorf("after Untag: %v", got)
	}
	etag := e.get(d.ID).ETag
	if err := e.c.TagResource(e.ctx, arn, []control.Tag{{Key: "k", Value: ""}}); err != nil {
		t.Errorf("empty value: %v", err)
	}
	if e.get(d.ID).ETag != etag {
		t.Error("tagging changed the distribution's ETag")
	}

	t.Run("validation", func(t *testing.T) {
		rev := e.revision()
		for _, tc := range []struct {
			name string
			tags []control.Tag
		}{
			{"empty key", []control.Tag{{Key: "", Value: "v"}}},
			{"key of 129", []control.Tag{{Key: strings.Repeat("k", 129)}}},
			{"value of 257", []control.Tag{{Key: "k", Value: strings.Repeat("v", 257)}}},
			{"key with #", []control.Tag{{Key: "a#b"}}},
			{"value with *", []control.Tag{{Key: "k", Value: "a*b"}}},
			{"more than the quota at once", []control.Tag{{Key: "a"}, {Key: "b"}, {Key: "c"}, {Key: "d"}}},
			{"more than the quota in total", []control.Tag{{Key: "a"}, {Key: "b"}}},
			// "Tagging Amazon CloudFront distributions", tag restrictions.
			{"key with the aws: prefix", []control.Tag{{Key: "aws:cloudformation:stack-name", Value: "s"}}},
			{"one key twice", []control.Tag{{Key: "k", Value: "1"}, {Key: "k", Value: "2"}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantCode(t, e.c.TagResource(e.ctx, arn, tc.tags), "InvalidTagging")
			})
		}
		_, _, err := e.c.CreateDistribution(e.ctx, distConfig("ref-bad-tags"), []control.Tag{{Key: ""}})
		wantCode(t, err, "InvalidTagging")
		_, _, err = e.c.CreateDistribution(e.ctx, distConfig("ref-dup-tags"), []control.Tag{{Key: "a"}, {Key: "a"}})
		wantCode(t, err, "InvalidTagging")
		_, _, err = e.c.CreateDistribution(e.ctx, distConfig("ref-aws-tags"), []control.Tag{{Key: "aws:x"}})
		wantCode(t, err, "InvalidTagging")
		if e.revision() != rev {
			t.Error("refused tagging wrote to the store")
		}
		if got := tags(); len(got) != 2 {
			t.Errorf("tags after refused calls: %v", got)
		}
		if got := strings.Repeat("k", 128); e.c.TagResource(e.ctx, arn, []control.Tag{{Key: got, Value: "ü é"}}) != nil {
			t.Error("128-character key with unicode value refused")
		}
	})

	t.Run("resources", func(t *testing.T) {
		for _, bad := range []string{
			"",
			"E123",
			"arn:aws:s3:::bucket",
			"arn:aws:cloudfront::" + testAccount + ":origin-access-identity/E1",
			"arn:aws:cloudfront::" + testAccount + ":distribution/",
			"arn:aws:cloudfront::" + testAccount,
		} {
			_, err := e.c.ListTags(e.ctx, bad)
			wantCode(t, err, "InvalidArgument")
			wantCode(t, e.c.TagResource(e.ctx, bad, []control.Tag{{Key: "k"}}), "InvalidArgument")
			wantCode(t, e.c.UntagResource(e.ctx, bad, []string{"k"}), "InvalidArgument")
		}
		unknown := "arn:aws:cloudfront::" + testAccount + ":distribution/ENOSUCHDIST000"
		_, err := e.c.ListTags(e.ctx, unknown)
		wantCode(t, err, "NoSuchResource")
		wantCode(t, e.c.TagResource(e.ctx, unknown, []control.Tag{{Key: "k"}}), "NoSuchResource")
		wantCode(t, e.c.UntagResource(e.ctx, unknown, []string{"k"}), "NoSuchResource")
		// Well-formed ARNs that are not ours name no resource here, even
		// with our distribution's id: another account, another partition
		// than the caller's, a region (CloudFront ARNs have none).
		for _, foreign := range []string{
			"arn:aws:cloudfront::999999999999:distribution/" + d.ID,
			"arn:aws-cn:cloudfront::" + testAccount + ":distribution/" + d.ID,
			"arn:aws:cloudfront:us-east-1:" + testAccount + ":distribution/" + d.ID,
		} {
			_, err := e.c.ListTags(e.ctx, foreign)
			wantCode(t, err, "NoSuchResource")
			wantCode(t, e.c.TagResource(e.ctx, foreign, []control.Tag{{Key: "k"}}), "NoSuchResource")
			wantCode(t, e.c.UntagResource(e.ctx, foreign, []string{"team"}), "NoSuchResource")
		}
		if got := tags(); len(got) != 3 {
			t.Errorf("foreign ARNs changed our tags: %v", got)
		}
		// A caller signing in a China region sees aws-cn ARNs, and they
		// are ours.
		cn := control.WithPartition(e.ctx, "aws-cn")
		if _, err := e.c.ListTags(cn, "arn:aws-cn:cloudfront::"+testAccount+":distribution/"+d.ID); err != nil {
			t.Errorf("aws-cn ARN for an aws-cn caller: %v", err)
		}
		// A streaming distribution's ARN names the other kind.
		wrongKind := "arn:aws:cloudfront::" + testAccount + ":streaming-distribution/" + d.ID
		_, err = e.c.ListTags(e.ctx, wrongKind)
		wantCode(t, err, "NoSuchResource")
	})

	t.Run("streaming distribution", func(t *testing.T) {
		sd, _, err := e.c.CreateStreamingDistribution(e.ctx, streamingConfig("sref"), []control.Tag{{Key: "a", Value: "1"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.c.TagResource(e.ctx, sd.ARN, []control.Tag{{Key: "b", Value: "2"}}); err != nil {
			t.Fatal(err)
		}
		got, err := e.c.ListTags(e.ctx, sd.ARN)
		if err != nil || len(got) != 2 {
			t.Errorf("streaming tags: %v %v", got, err)
		}
	})

	t.Run("deleted with the distribution", func(t *testing.T) {
		e.disableAndDelete(d.ID)
		_, err := e.c.ListTags(e.ctx, arn)
		wantCode(t, err, "NoSuchResource")
		if k := e.keys("tags/distribution/"); len(k) != 0 {
			t.Errorf("tags left: %v", k)
		}
	})
}
