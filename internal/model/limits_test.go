package model_test

import (
	"errors"
	"strings"
	"testing"

	"openfront/internal/model"
)

func TestCheckLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	origin := func(m model.Tree) model.Tree {
		return model.Tree{"Origins": model.Tree{"Quantity": "1", "Items": []any{m}}}
	}
	for _, tc := range []struct {
		name string
		root string
		doc  model.Tree
		code string // "" means within the limits
	}{
		{"empty", "DistributionConfig", model.Tree{}, ""},
		{"comment 128", "DistributionConfig", model.Tree{"Comment": long(128)}, ""},
		{"comment 129", "DistributionConfig", model.Tree{"Comment": long(129)}, "InvalidArgument"},
		{"comment 128 four-byte characters", "DistributionConfig", model.Tree{"Comment": strings.Repeat("😀", 128)}, ""},
		{"comment 129 two-byte characters", "CloudFrontOriginAccessIdentityConfig", model.Tree{"Comment": strings.Repeat("é", 129)}, "InvalidArgument"},
		{"streaming comment 129", "StreamingDistributionConfig", model.Tree{"Comment": long(129)}, "InvalidArgument"},
		{"caller reference 4096", "DistributionConfig", model.Tree{"CallerReference": long(4096)}, ""},
		{"caller reference 4097", "DistributionConfig", model.Tree{"CallerReference": long(4097)}, "InvalidArgument"},
		{"caller reference 40000", "InvalidationBatch", model.Tree{"CallerReference": long(40000)}, "InvalidArgument"},
		{"OAC name 64", "OriginAccessControlConfig", model.Tree{"Name": long(64)}, ""},
		{"OAC name 65", "OriginAccessControlConfig", model.Tree{"Name": long(65)}, "InvalidArgument"},
		{"OAC description 257", "OriginAccessControlConfig", model.Tree{"Description": long(257)}, "InvalidArgument"},
		{"public key name 200 (no documented limit)", "PublicKeyConfig", model.Tree{"Name": long(200)}, ""},
		{"cache policy name 129", "CachePolicyConfig", model.Tree{"Name": long(129)}, "InvalidArgument"},
		{"alias 254", "DistributionConfig", model.Tree{"Aliases": model.Tree{"Quantity": "1", "Items": []any{long(250) + ".com"}}}, "InvalidArgument"},
		{"origin domain 254", "DistributionConfig", origin(model.Tree{"DomainName": long(254)}), "InvalidArgument"},
		{"origin id 4097", "DistributionConfig", origin(model.Tree{"Id": long(4097)}), "InvalidArgument"},
		{"header value 1783", "DistributionConfig", origin(model.Tree{"CustomHeaders": model.Tree{"Items": []any{model.Tree{"HeaderName": "X", "HeaderValue": long(1783)}}}}), ""},
		{"header value 1784", "DistributionConfig", origin(model.Tree{"CustomHeaders": model.Tree{"Items": []any{model.Tree{"HeaderName": "X", "HeaderValue": long(1784)}}}}), "InvalidArgument"},
		{"header name 257", "DistributionConfig", origin(model.Tree{"CustomHeaders": model.Tree{"Items": []any{model.Tree{"HeaderName": long(257), "HeaderValue": "v"}}}}), "InvalidArgument"},
		{"forwarded header 257", "DistributionConfig", model.Tree{"DefaultCacheBehavior": model.Tree{"ForwardedValues": model.Tree{"Headers": model.Tree{"Items": []any{long(257)}}}}}, "InvalidArgument"},
		{"query string key 129", "DistributionConfig", model.Tree{"DefaultCacheBehavior": model.Tree{"ForwardedValues": model.Tree{"QueryStringCacheKeys": model.Tree{"Items": []any{long(129)}}}}}, "InvalidArgument"},
		{"cookie name 513", "DistributionConfig", model.Tree{"DefaultCacheBehavior": model.Tree{"ForwardedValues": model.Tree{"Cookies": model.Tree{"WhitelistedNames": model.Tree{"Items": []any{long(513)}}}}}}, "InvalidArgument"},
		{"policy cookie 513", "CachePolicyConfig", model.Tree{"ParametersInCacheKeyAndForwardedToOrigin": model.Tree{"CookiesConfig": model.Tree{"Cookies": model.Tree{"Items": []any{long(513)}}}}}, "InvalidArgument"},
		{"default root object 256", "DistributionConfig", model.Tree{"DefaultRootObject": long(256)}, "InvalidDefaultRootObject"},
		{"path pattern 256", "DistributionConfig", model.Tree{"CacheBehaviors": model.Tree{"Items": []any{model.Tree{"PathPattern": long(256)}}}}, "InvalidArgument"},
		{"error page 4001", "DistributionConfig", model.Tree{"CustomErrorResponses": model.Tree{"Items": []any{model.Tree{"ResponsePagePath": "/" + long(4000)}}}}, "InvalidRelativePath"},
		{"invalidation path 4000", "InvalidationBatch", model.Tree{"Paths": model.Tree{"Items": []any{"/" + long(3999)}}}, ""},
		{"invalidation path 4001", "InvalidationBatch", model.Tree{"Paths": model.Tree{"Items": []any{"/a", "/" + long(4000)}}}, "InvalidArgument"},
		{"tag key 129", "Tags", model.Tree{"Items": []any{model.Tree{"Key": long(129), "Value": ""}}}, "InvalidTagging"},
		{"tag value 257", "Tags", model.Tree{"Items": []any{model.Tree{"Key": "k", "Value": long(257)}}}, "InvalidTagging"},
		{"tag in config with tags", "DistributionConfigWithTags", model.Tree{"Tags": model.Tree{"Items": []any{model.Tree{"Key": long(129)}}}}, "InvalidTagging"},
		{"untag key 129", "TagKeys", model.Tree{"Items": []any{long(129)}}, "InvalidTagging"},
		{"nested undocumented 4097", "DistributionConfig", model.Tree{"ViewerCertificate": model.Tree{"ACMCertificateArn": long(4097)}}, "InvalidArgument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := model.CheckLimits(tc.root, tc.doc)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("CheckLimits = %v, want nil", err)
				}
				return
			}
			var me *model.Error
			if !errors.As(err, &me) || me.Code != tc.code {
				t.Fatalf("CheckLimits = %v, want %s", err, tc.code)
			}
		})
	}
}

// The field named in the message is the one over its limit, the same one
// on every run (members are walked in name order).
func TestCheckLimits_namesTheField(t *testing.T) {
	doc := model.Tree{"Comment": strings.Repeat("c", 200), "CallerReference": strings.Repeat("r", 5000)}
	for range 20 {
		err := model.CheckLimits("DistributionConfig", doc)
		if err == nil || !strings.Contains(err.Error(), "CallerReference is too long (maximum 4096 characters)") {
			t.Fatalf("CheckLimits = %v", err)
		}
	}
}
