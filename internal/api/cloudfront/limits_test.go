package cloudfront_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"openfront/internal/apitest"
)

// TestFieldLimits_wire: a value over CloudFront's limit for its field (or
// over OpenFront's ceiling for fields CloudFront documents no limit for) is
// CloudFront's 400 for every resource kind, and nothing is written. Before
// field limits, a 40,000-character CallerReference reached the embedded
// store, whose key limit made it a 500 InternalError.
func TestFieldLimits_wire(t *testing.T) {
	s := apitest.NewServer(t)
	created := s.Call(t, "POST", "/2020-05-31/distribution", createBody("limits-base"))
	if created.Status != http.StatusCreated {
		t.Fatalf("create base distribution: %s", created)
	}
	distID := regexp.MustCompile(`<Id>([A-Z0-9]+)</Id>`).FindStringSubmatch(string(created.Body))[1]
	arn := "arn:aws:cloudfront::" + apitest.AccountID + ":distribution/" + distID

	long := func(n int) string { return strings.Repeat("a", n) }
	ref40k := long(40000)
	tags := func(key, value string) string {
		return `<Tags ` + ns2020 + `><Items><Tag><Key>` + key + `</Key><Value>` + value + `</Value></Tag></Items></Tags>`
	}
	streaming := func(ref, comment string) string {
		return `<StreamingDistributionConfig ` + ns2020 + `><CallerReference>` + ref + `</CallerReference>` +
			`<S3Origin><DomainName>media.s3.amazonaws.com</DomainName><OriginAccessIdentity></OriginAccessIdentity></S3Origin>` +
			`<Comment>` + comment + `</Comment><TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners><Enabled>true</Enabled></StreamingDistributionConfig>`
	}
	oai := func(ref, comment string) string {
		return `<CloudFrontOriginAccessIdentityConfig ` + ns2020 + `><CallerReference>` + ref + `</CallerReference><Comment>` + comment + `</Comment></CloudFrontOriginAccessIdentityConfig>`
	}
	oac := func(name, description string) string {
		return `<OriginAccessControlConfig ` + ns2020 + `><Name>` + name + `</Name><Description>` + description + `</Description><SigningProtocol>sigv4</SigningProtocol><SigningBehavior>always</SigningBehavior><OriginAccessControlOriginType>s3</OriginAccessControlOriginType></OriginAccessControlConfig>`
	}
	publicKey := func(ref, name string) string {
		return `<PublicKeyConfig ` + ns2020 + `><CallerReference>` + ref + `</CallerReference><Name>` + name + `</Name><EncodedKey>` + ecPublicKey + `</EncodedKey></PublicKeyConfig>`
	}
	headers := `<HeadersConfig><HeaderBehavior>none</HeaderBehavior></HeadersConfig><CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig><QueryStringsConfig><QueryStringBehavior>none</QueryStringBehavior></QueryStringsConfig>`
	invalidation := func(ref, path string) string {
		return `<InvalidationBatch ` + ns2020 + `><Paths><Quantity>1</Quantity><Items><Path>` + path + `</Path></Items></Paths><CallerReference>` + ref + `</CallerReference></InvalidationBatch>`
	}
	legacyDist := strings.NewReplacer("2020-05-31", "2016-01-13", "<HttpVersion>http2and3</HttpVersion>", "", "<IsIPV6Enabled>true</IsIPV6Enabled>", "",
		"<ConnectionAttempts>2</ConnectionAttempts>", "", "<ConnectionTimeout>7</ConnectionTimeout>", "")

	for _, tc := range []struct {
		name, method, path, body string
		code                     string // "" means accepted
	}{
		{"distribution CallerReference 40,000", "POST", "/2020-05-31/distribution", createBody(ref40k), "InvalidArgument"},
		{"distribution CallerReference 40,000 (2016)", "POST", "/2016-01-13/distribution", legacyDist.Replace(createBody(ref40k)), "InvalidArgument"},
		{"distribution CallerReference 4,097", "POST", "/2020-05-31/distribution", createBody(long(4097)), "InvalidArgument"},
		{"distribution Comment 129", "POST", "/2020-05-31/distribution", strings.Replace(createBody("c129"), "created with 2020", long(129), 1), "InvalidArgument"},
		{"distribution origin Id 5,000", "POST", "/2020-05-31/distribution", strings.ReplaceAll(createBody("oid"), ">web<", ">"+long(5000)+"<"), "InvalidArgument"},
		{"distribution origin DomainName 254", "POST", "/2020-05-31/distribution", strings.Replace(createBody("dn"), "origin.example.com", long(240)+".example.com", 1), "InvalidArgument"},
		{"distribution custom header value 1,784", "POST", "/2020-05-31/distribution", strings.Replace(createBody("hv"), "<CustomHeaders><Quantity>0</Quantity></CustomHeaders>",
			"<CustomHeaders><Quantity>1</Quantity><Items><OriginCustomHeader><HeaderName>X-A</HeaderName><HeaderValue>"+long(1784)+"</HeaderValue></OriginCustomHeader></Items></CustomHeaders>", 1), "InvalidArgument"},
		{"distribution DefaultRootObject 256", "POST", "/2020-05-31/distribution", strings.Replace(createBody("dro"), "<DefaultRootObject></DefaultRootObject>", "<DefaultRootObject>"+long(256)+"</DefaultRootObject>", 1), "InvalidDefaultRootObject"},
		{"distribution with tags, tag key 129", "POST", "/2020-05-31/distribution?WithTags",
			`<DistributionConfigWithTags ` + ns2020 + `>` + strings.NewReplacer(`<?xml version="1.0" encoding="UTF-8"?>`, "", ` `+ns2020, "", "cross-1", "wt").Replace(crossVersionConfig) +
				`<Tags><Items><Tag><Key>` + long(129) + `</Key><Value>v</Value></Tag></Items></Tags></DistributionConfigWithTags>`,
			"InvalidTagging"},
		{"streaming CallerReference 40,000", "POST", "/2020-05-31/streaming-distribution", streaming(ref40k, "c"), "InvalidArgument"},
		{"streaming Comment 129", "POST", "/2020-05-31/streaming-distribution", streaming("s129", long(129)), "InvalidArgument"},
		{"OAI CallerReference 40,000", "POST", "/2020-05-31/origin-access-identity/cloudfront", oai(ref40k, "c"), "InvalidArgument"},
		{"OAI CallerReference 40,000 (2016)", "POST", "/2016-01-13/origin-access-identity/cloudfront", strings.Replace(oai(ref40k, "c"), "2020-05-31", "2016-01-13", 1), "InvalidArgument"},
		{"OAI Comment 129", "POST", "/2020-05-31/origin-access-identity/cloudfront", oai("o129", long(129)), "InvalidArgument"},
		{"OAC Name 65", "POST", "/2020-05-31/origin-access-control", oac(long(65), "d"), "InvalidArgument"},
		{"OAC Name 40,000", "POST", "/2020-05-31/origin-access-control", oac(ref40k, "d"), "InvalidArgument"},
		{"OAC Description 257", "POST", "/2020-05-31/origin-access-control", oac("oac-d", long(257)), "InvalidArgument"},
		{"public key CallerReference 40,000", "POST", "/2020-05-31/public-key", publicKey(ref40k, "k"), "InvalidArgument"},
		{"public key Name 40,000", "POST", "/2020-05-31/public-key", publicKey("pk-name", ref40k), "InvalidArgument"},
		{"key group Name 40,000", "POST", "/2020-05-31/key-group", `<KeyGroupConfig ` + ns2020 + `><Name>` + ref40k + `</Name><Items><PublicKey>K1</PublicKey></Items></KeyGroupConfig>`, "InvalidArgument"},
		{"key group Comment 129", "POST", "/2020-05-31/key-group", `<KeyGroupConfig ` + ns2020 + `><Name>g</Name><Items><PublicKey>K1</PublicKey></Items><Comment>` + long(129) + `</Comment></KeyGroupConfig>`, "InvalidArgument"},
		{"cache policy Name 40,000", "POST", "/2020-05-31/cache-policy", `<CachePolicyConfig ` + ns2020 + `><Name>` + ref40k + `</Name><MinTTL>0</MinTTL><ParametersInCacheKeyAndForwardedToOrigin><EnableAcceptEncodingGzip>false</EnableAcceptEncodingGzip>` + headers + `</ParametersInCacheKeyAndForwardedToOrigin></CachePolicyConfig>`, "InvalidArgument"},
		{"origin request policy Name 40,000", "POST", "/2020-05-31/origin-request-policy", `<OriginRequestPolicyConfig ` + ns2020 + `><Name>` + ref40k + `</Name>` + headers + `</OriginRequestPolicyConfig>`, "InvalidArgument"},
		{"invalidation CallerReference 40,000", "POST", "/2020-05-31/distribution/" + distID + "/invalidation", invalidation(ref40k, "/a"), "InvalidArgument"},
		{"invalidation path 4,001", "POST", "/2020-05-31/distribution/" + distID + "/invalidation", invalidation("p4001", "/"+long(4000)), "InvalidArgument"},
		{"tag key 129", "POST", "/2020-05-31/tagging?Operation=Tag&Resource=" + arn, tags(long(129), "v"), "InvalidTagging"},
		{"tag key 40,000", "POST", "/2020-05-31/tagging?Operation=Tag&Resource=" + arn, tags(ref40k, "v"), "InvalidTagging"},
		{"tag value 257", "POST", "/2020-05-31/tagging?Operation=Tag&Resource=" + arn, tags("k", long(257)), "InvalidTagging"},
		{"untag key 40,000", "POST", "/2020-05-31/tagging?Operation=Untag&Resource=" + arn, `<TagKeys ` + ns2020 + `><Items><Key>` + ref40k + `</Key></Items></TagKeys>`, "InvalidTagging"},
		// At the limits: accepted.
		{"distribution CallerReference 4,096", "POST", "/2020-05-31/distribution", createBody(long(4096)), ""},
		{"distribution Comment 128", "POST", "/2020-05-31/distribution", strings.Replace(createBody("c128"), "created with 2020", long(128), 1), ""},
		{"OAI CallerReference 4,096 of 4-byte characters", "POST", "/2020-05-31/origin-access-identity/cloudfront", oai(strings.Repeat("😀", 4096), "c"), ""},
		{"invalidation path 4,000", "POST", "/2020-05-31/distribution/" + distID + "/invalidation", invalidation("p4000", "/"+long(3999)), ""},
		{"tag key 128, value 256", "POST", "/2020-05-31/tagging?Operation=Tag&Resource=" + arn, tags(long(128), long(256)), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Revision(t)
			r := s.Call(t, tc.method, tc.path, tc.body)
			if tc.code == "" {
				if r.Status >= 300 {
					t.Fatalf("at the limit: %s", r)
				}
				return
			}
			if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "<Code>"+tc.code+"</Code>") ||
				!strings.Contains(string(r.Body), "<Type>Sender</Type>") {
				t.Fatalf("got %d %.300s; want 400 %s", r.Status, r.Body, tc.code)
			}
			if after := s.Revision(t); after != before {
				t.Errorf("refused, but the store moved from revision %d to %d", before, after)
			}
		})
	}
}

// TestFieldLimits_pathIDs: ids in the path or query are only looked up,
// never written: an oversize one is the resource's 404 (or the ARN's 400),
// not a store failure.
func TestFieldLimits_pathIDs(t *testing.T) {
	s := apitest.NewServer(t)
	id := strings.Repeat("E", 40000)
	for _, tc := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"GET", "/2020-05-31/distribution/" + id, "", 404, "NoSuchDistribution"},
		{"GET", "/2016-01-13/distribution/" + id + "/config", "", 404, "NoSuchDistribution"},
		{"PUT", "/2020-05-31/distribution/" + id + "/config", createBody("p"), 404, "NoSuchDistribution"},
		{"DELETE", "/2020-05-31/origin-access-identity/cloudfront/" + id, "", 404, "NoSuchCloudFrontOriginAccessIdentity"},
		{"POST", "/2020-05-31/distribution/" + id + "/invalidation", `<InvalidationBatch ` + ns2020 + `><Paths><Quantity>1</Quantity><Items><Path>/a</Path></Items></Paths><CallerReference>r</CallerReference></InvalidationBatch>`, 404, "NoSuchDistribution"},
		{"GET", "/2020-05-31/tagging?Resource=arn:aws:cloudfront::" + apitest.AccountID + ":distribution/" + id, "", 404, "NoSuchResource"},
	} {
		r := s.Call(t, tc.method, tc.path, tc.body, "If-Match", "E1")
		if r.Status != tc.status || !strings.Contains(string(r.Body), "<Code>"+tc.code+"</Code>") {
			t.Errorf("%s %.60s: %d %.300s; want %d %s", tc.method, tc.path, r.Status, r.Body, tc.status, tc.code)
		}
	}
}
