package model_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"openfront/internal/model"
)

func minimalConfig() model.Tree {
	return model.Tree{
		"CallerReference": "r", "Comment": "", "Enabled": "true",
		"Origins": model.Tree{"Quantity": "1", "Items": []any{model.Tree{"Id": "o", "DomainName": "o.example",
			"CustomOriginConfig": model.Tree{"HTTPPort": "80", "HTTPSPort": "443", "OriginProtocolPolicy": "http-only"}}}},
		"DefaultCacheBehavior": model.Tree{"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all", "CachePolicyId": "p"},
	}
}

// TestFillDefaults_idempotentAndKeepsValues: filling twice changes nothing
// more, and a member that is present keeps its value, even one CloudFront
// would default differently.
func TestFillDefaults_idempotentAndKeepsValues(t *testing.T) {
	cfg := minimalConfig()
	cfg["IsIPV6Enabled"] = "false"
	cfg["HttpVersion"] = "http3"
	cfg["Logging"] = model.Tree{"Enabled": "true", "Bucket": "b.s3.amazonaws.com"}
	model.FillDefaults(cfg)
	once := model.Clone(cfg)
	model.FillDefaults(cfg)
	if diff := cmp.Diff(once, cfg); diff != "" {
		t.Errorf("second FillDefaults changed the config (-once +twice):\n%s", diff)
	}
	for path, want := range map[string]string{"IsIPV6Enabled": "false", "HttpVersion": "http3", "Logging.Enabled": "true", "Logging.Prefix": "", "Logging.IncludeCookies": "false"} {
		if got := model.StrOr(cfg, "<absent>", splitPath(path)...); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	if _, err := model.ParseDistributionConfig(cfg); err != nil {
		t.Errorf("filled config does not parse: %v", err)
	}
}

func splitPath(p string) []string {
	var out []string
	start := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '.' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return append(out, p[start:])
}

// TestFillDefaults_viewerCertificate: each way of naming a certificate is
// completed with the other form CloudFront shows.
func TestFillDefaults_viewerCertificate(t *testing.T) {
	for _, c := range []struct {
		name string
		in   model.Tree // nil: no ViewerCertificate
		want model.Tree
	}{
		{"absent", nil, model.Tree{"CloudFrontDefaultCertificate": "true", "SSLSupportMethod": "vip", "MinimumProtocolVersion": "TLSv1", "CertificateSource": "cloudfront"}},
		{"default", model.Tree{"CloudFrontDefaultCertificate": "true"}, model.Tree{"CloudFrontDefaultCertificate": "true", "SSLSupportMethod": "vip", "MinimumProtocolVersion": "TLSv1", "CertificateSource": "cloudfront"}},
		{"acm", model.Tree{"ACMCertificateArn": "arn:c", "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"},
			model.Tree{"CloudFrontDefaultCertificate": "false", "ACMCertificateArn": "arn:c", "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021", "Certificate": "arn:c", "CertificateSource": "acm"}},
		{"iam", model.Tree{"IAMCertificateId": "ASCA", "SSLSupportMethod": "vip"},
			model.Tree{"CloudFrontDefaultCertificate": "false", "IAMCertificateId": "ASCA", "SSLSupportMethod": "vip", "MinimumProtocolVersion": "TLSv1", "Certificate": "ASCA", "CertificateSource": "iam"}},
		{"legacy iam pair", model.Tree{"Certificate": "ASCA", "CertificateSource": "iam", "SSLSupportMethod": "sni-only"},
			model.Tree{"CloudFrontDefaultCertificate": "false", "IAMCertificateId": "ASCA", "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1", "Certificate": "ASCA", "CertificateSource": "iam"}},
		{"legacy cloudfront pair", model.Tree{"CertificateSource": "cloudfront"},
			model.Tree{"CloudFrontDefaultCertificate": "true", "SSLSupportMethod": "vip", "MinimumProtocolVersion": "TLSv1", "CertificateSource": "cloudfront"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := minimalConfig()
			if c.in != nil {
				cfg["ViewerCertificate"] = c.in
			}
			model.FillDefaults(cfg)
			if diff := cmp.Diff(c.want, cfg["ViewerCertificate"]); diff != "" {
				t.Errorf("ViewerCertificate (-want +got):\n%s", diff)
			}
			if _, err := model.ParseDistributionConfig(cfg); err != nil {
				t.Errorf("filled config does not parse: %v", err)
			}
		})
	}
}

// TestLegacyCacheSettings: a cache policy shown as 2016 legacy settings,
// and dropped again from what a 2016 client sends back.
func TestLegacyCacheSettings(t *testing.T) {
	b := model.Tree{"TargetOriginId": "o", "CachePolicyId": "p"}
	cfg := model.Tree{"DefaultCacheBehavior": b, "CacheBehaviors": model.Tree{"Quantity": "1", "Items": []any{
		model.Tree{"PathPattern": "/a", "ForwardedValues": model.Tree{"QueryString": "false"}, "MinTTL": "0"}}}}
	if got := model.BehaviorsNamingCachePolicy(cfg); len(got) != 1 {
		t.Fatalf("BehaviorsNamingCachePolicy found %d behaviours, want the default one", len(got))
	}
	model.ShowCachePolicyAsLegacy(b, model.CachePolicy{
		MinTTL: 1, DefaultTTL: 2, MaxTTL: 3, Headers: []string{"Host"},
		Cookies:      model.Selection{Behavior: "allExcept", Names: []string{"x"}},
		QueryStrings: model.Selection{Behavior: "whitelist", Names: []string{"q"}},
	})
	want := model.Tree{
		"TargetOriginId": "o", "CachePolicyId": "p", "MinTTL": "1", "DefaultTTL": "2", "MaxTTL": "3",
		"ForwardedValues": model.Tree{"QueryString": "true", "Cookies": model.Tree{"Forward": "all"},
			"Headers": model.Tree{"Quantity": "1", "Items": []any{"Host"}}, "QueryStringCacheKeys": model.Tree{"Quantity": "1", "Items": []any{"q"}}},
	}
	if diff := cmp.Diff(want, b); diff != "" {
		t.Errorf("legacy view (-want +got):\n%s", diff)
	}
	model.DropLegacyCacheSettings(cfg)
	if diff := cmp.Diff(model.Tree{"TargetOriginId": "o", "CachePolicyId": "p"}, b); diff != "" {
		t.Errorf("after DropLegacyCacheSettings (-want +got):\n%s", diff)
	}
	if _, ok := model.StructItems(cfg, "CacheBehaviors")[0]["ForwardedValues"]; !ok {
		t.Error("DropLegacyCacheSettings removed the ForwardedValues of a behaviour without a cache policy")
	}
}
