package model_test

import (
	"strings"
	"testing"

	"openfront/internal/model"
)

func baseStreamingConfig() model.Tree {
	return model.Tree{
		"CallerReference": "sref-1",
		"S3Origin":        model.Tree{"DomainName": "media.s3.amazonaws.com", "OriginAccessIdentity": ""},
		"Aliases":         wrap(),
		"Comment":         "rtmp",
		"TrustedSigners":  model.Tree{"Enabled": "false", "Quantity": "0"},
		"PriceClass":      "PriceClass_100",
		"Enabled":         "true",
	}
}

func TestParseStreamingDistributionConfig_rules(t *testing.T) {
	cases := []struct {
		name   string
		modify func(c model.Tree)
		want   string
	}{
		{"valid base", func(model.Tree) {}, ""},
		{"S3 domain missing", func(c model.Tree) { delete(model.Sub(c, "S3Origin"), "DomainName") }, "InvalidOrigin"},
		{"S3 domain not a host", func(c model.Tree) { model.Sub(c, "S3Origin")["DomainName"] = "a bucket" }, "InvalidOrigin"},
		{"OAI reference", func(c model.Tree) {
			model.Sub(c, "S3Origin")["OriginAccessIdentity"] = "origin-access-identity/cloudfront/E1OAI"
		}, ""},
		{"OAI bare id", func(c model.Tree) { model.Sub(c, "S3Origin")["OriginAccessIdentity"] = "E1OAI" }, "InvalidOriginAccessIdentity"},
		{"OAI empty id", func(c model.Tree) {
			model.Sub(c, "S3Origin")["OriginAccessIdentity"] = "origin-access-identity/cloudfront/"
		}, "InvalidOriginAccessIdentity"},
		{"alias valid", func(c model.Tree) { c["Aliases"] = wrap(strs("rtmp.example.com")...) }, ""},
		{"alias invalid", func(c model.Tree) { c["Aliases"] = wrap(strs("rtmp example")...) }, "InvalidArgument"},
		{"alias duplicate", func(c model.Tree) { c["Aliases"] = wrap(strs("a.example.com", "A.EXAMPLE.COM")...) }, "InvalidArgument"},
		{"Comment of 129 chars", func(c model.Tree) { c["Comment"] = strings.Repeat("x", 129) }, "InvalidArgument"},
		{"trusted signer invalid", func(c model.Tree) {
			ts := wrap(strs("bob")...)
			ts["Enabled"] = "true"
			c["TrustedSigners"] = ts
		}, "TrustedSignerDoesNotExist"},
		{"six trusted signers", func(c model.Tree) {
			ts := wrap(strs("self", "111111111111", "222222222222", "333333333333", "444444444444", "555555555555")...)
			ts["Enabled"] = "true"
			c["TrustedSigners"] = ts
		}, "TooManyTrustedSigners"},
		{"logging enabled without bucket", func(c model.Tree) {
			c["Logging"] = model.Tree{"Enabled": "true", "Bucket": "", "Prefix": ""}
		}, "InvalidArgument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := baseStreamingConfig()
			tc.modify(c)
			_, err := model.ParseStreamingDistributionConfig(c)
			if code := codeOf(err); code != tc.want {
				t.Fatalf("got code %q (%v), want %q", code, err, tc.want)
			}
		})
	}
}

func TestParseStreamingDistributionConfig_view(t *testing.T) {
	c := baseStreamingConfig()
	ts := wrap(strs("self")...)
	ts["Enabled"] = "true"
	c["TrustedSigners"] = ts
	c["Logging"] = model.Tree{"Enabled": "true", "Bucket": "logs.s3.amazonaws.com", "Prefix": "rtmp/"}
	got, err := model.ParseStreamingDistributionConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	want := model.StreamingDistributionConfig{
		CallerReference: "sref-1", S3DomainName: "media.s3.amazonaws.com", Comment: "rtmp",
		Logging:        model.Logging{Enabled: true, Bucket: "logs.s3.amazonaws.com", Prefix: "rtmp/"},
		TrustedSigners: []string{"self"}, PriceClass: "PriceClass_100", Enabled: true,
	}
	if got.CallerReference != want.CallerReference || got.S3DomainName != want.S3DomainName || got.Comment != want.Comment ||
		got.Logging != want.Logging || strings.Join(got.TrustedSigners, ",") != "self" || got.PriceClass != want.PriceClass ||
		got.Enabled != want.Enabled || got.OAI != "" || got.Aliases != nil {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

// TestS3Bucket covers the S3 endpoint forms (path-less virtual-host style,
// regional with dot and with dash, China partition) and non-S3 domains.
func TestS3Bucket(t *testing.T) {
	for _, tc := range []struct{ domain, want string }{
		{"bucket.s3.amazonaws.com", "bucket"},
		{"bucket.s3.eu-west-1.amazonaws.com", "bucket"},
		{"bucket.s3-eu-west-1.amazonaws.com", "bucket"},
		{"bucket.s3.dualstack.us-east-1.amazonaws.com", "bucket"},
		{"my.dotted.bucket.s3.amazonaws.com", "my.dotted.bucket"},
		{"Bucket.S3.AmazonAWS.com.", "bucket"},
		{"bucket.s3.cn-north-1.amazonaws.com.cn", "bucket"},
		{"bucket.s3.amazonaws.com.cn", "bucket"},
		{"s3.amazonaws.com", ""},
		{"bucket.amazonaws.com", ""},
		{"example.com", ""},
		{"bucket.s3.example.com", ""},
		{"", ""},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			if got := model.S3Bucket(tc.domain); got != tc.want {
				t.Errorf("S3Bucket(%q) = %q, want %q", tc.domain, got, tc.want)
			}
		})
	}
}

func TestParseOAIReference(t *testing.T) {
	for _, tc := range []struct {
		ref    string
		id     string
		wantOK bool
	}{
		{"origin-access-identity/cloudfront/E74FTE3AJFJ256A", "E74FTE3AJFJ256A", true},
		{"origin-access-identity/cloudfront/", "", false},
		{"origin-access-identity/cloudfront/E1/x", "", false},
		{"E74FTE3AJFJ256A", "", false},
		{"", "", false},
	} {
		id, ok := model.ParseOAIReference(tc.ref)
		if id != tc.id || ok != tc.wantOK {
			t.Errorf("ParseOAIReference(%q) = %q, %v; want %q, %v", tc.ref, id, ok, tc.id, tc.wantOK)
		}
	}
}

func TestValidatePathPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		ok      bool
	}{
		{"*", true},
		{"/images/*.jpg", true},
		{"images/*", true},
		{"/a?b", true},
		{"", false},
		{"/a b", false},
		{"/a#b", false},
		{"/" + strings.Repeat("a", 254), true},
		{"/" + strings.Repeat("a", 255), false},
	} {
		err := model.ValidatePathPattern(tc.pattern)
		if (err == nil) != tc.ok {
			t.Errorf("ValidatePathPattern(%q) = %v, want ok=%v", tc.pattern, err, tc.ok)
		}
	}
}

func TestRecordKeys(t *testing.T) {
	for got, want := range map[string]string{
		model.DistributionKey("E1"):          "dist/E1",
		model.StreamingDistributionKey("E2"): "sdist/E2",
		model.OAIKey("E3"):                   "oai/E3",
		model.InvalidationKey("E1", "I1"):    "inval/E1/I1",
	} {
		if got != want {
			t.Errorf("key %q, want %q", got, want)
		}
	}
}
