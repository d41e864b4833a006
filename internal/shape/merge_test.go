package shape_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestModel_Merge_2016UpdateOf2020Document: a distribution created through
// 2020 is updated through 2016. 2020-only members survive; 2016 members
// follow the update; a 2016 member the update leaves out is removed.
func TestModel_Merge_2016UpdateOf2020Document(t *testing.T) {
	m20 := mustLoad(t, "2020-05-31")
	m16 := mustLoad(t, "2016-01-13")

	stored, err := m20.Decode(strings.NewReader(`<DistributionConfig>
  <CallerReference>r</CallerReference>
  <Aliases><Quantity>2</Quantity><Items><CNAME>a.example</CNAME><CNAME>b.example</CNAME></Items></Aliases>
  <DefaultRootObject>index.html</DefaultRootObject>
  <Origins><Quantity>2</Quantity><Items>
    <Origin><Id>web</Id><DomainName>web.example</DomainName>
      <CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>https-only</OriginProtocolPolicy>
        <OriginReadTimeout>60</OriginReadTimeout></CustomOriginConfig>
      <ConnectionAttempts>1</ConnectionAttempts></Origin>
    <Origin><Id>s3</Id><DomainName>b.s3.amazonaws.com</DomainName>
      <S3OriginConfig><OriginAccessIdentity/></S3OriginConfig>
      <ConnectionAttempts>2</ConnectionAttempts></Origin>
  </Items></Origins>
  <DefaultCacheBehavior><TargetOriginId>web</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>
    <CachePolicyId>cp-1</CachePolicyId></DefaultCacheBehavior>
  <Comment>old</Comment>
  <Enabled>true</Enabled>
  <HttpVersion>http2</HttpVersion>
  <IsIPV6Enabled>true</IsIPV6Enabled>
</DistributionConfig>`), "DistributionConfig", "DistributionConfig")
	if err != nil {
		t.Fatal(err)
	}

	// The 2016 client reordered the origins, dropped alias b.example and
	// DefaultRootObject, and changed the comment.
	update, err := m16.Decode(strings.NewReader(`<DistributionConfig>
  <CallerReference>r</CallerReference>
  <Aliases><Quantity>1</Quantity><Items><CNAME>a.example</CNAME></Items></Aliases>
  <Origins><Quantity>2</Quantity><Items>
    <Origin><Id>s3</Id><DomainName>b.s3.amazonaws.com</DomainName>
      <S3OriginConfig><OriginAccessIdentity/></S3OriginConfig></Origin>
    <Origin><Id>web</Id><DomainName>web2.example</DomainName>
      <CustomOriginConfig><HTTPPort>8080</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>https-only</OriginProtocolPolicy></CustomOriginConfig></Origin>
  </Items></Origins>
  <DefaultCacheBehavior><TargetOriginId>web</TargetOriginId>
    <ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies></ForwardedValues>
    <TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>
    <ViewerProtocolPolicy>https-only</ViewerProtocolPolicy><MinTTL>0</MinTTL></DefaultCacheBehavior>
  <Comment>new</Comment>
  <Enabled>true</Enabled>
</DistributionConfig>`), "DistributionConfig", "DistributionConfig")
	if err != nil {
		t.Fatal(err)
	}

	got := m16.Merge(stored, update, "DistributionConfig")
	want := map[string]any{
		"CallerReference": "r",
		"Aliases":         map[string]any{"Quantity": "1", "Items": []any{"a.example"}},
		"Origins": map[string]any{"Quantity": "2", "Items": []any{
			map[string]any{
				"Id": "s3", "DomainName": "b.s3.amazonaws.com",
				"S3OriginConfig":     map[string]any{"OriginAccessIdentity": ""},
				"ConnectionAttempts": "2",
			},
			map[string]any{
				"Id": "web", "DomainName": "web2.example",
				"CustomOriginConfig": map[string]any{
					"HTTPPort": "8080", "HTTPSPort": "443", "OriginProtocolPolicy": "https-only",
					"OriginReadTimeout": "60",
				},
				"ConnectionAttempts": "1",
			},
		}},
		"DefaultCacheBehavior": map[string]any{
			"TargetOriginId":       "web",
			"ForwardedValues":      map[string]any{"QueryString": "false", "Cookies": map[string]any{"Forward": "none"}},
			"TrustedSigners":       map[string]any{"Enabled": "false", "Quantity": "0"},
			"ViewerProtocolPolicy": "https-only",
			"MinTTL":               "0",
			"CachePolicyId":        "cp-1",
		},
		"Comment":       "new",
		"Enabled":       "true",
		"HttpVersion":   "http2",
		"IsIPV6Enabled": "true",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Merge (-want +got):\n%s", diff)
	}
	if _, ok := got["DefaultRootObject"]; ok {
		t.Error("DefaultRootObject, removed by the 2016 update, survived")
	}
	// The stored document is not modified.
	if stored["Comment"] != "old" {
		t.Errorf("stored Comment = %v, Merge modified its input", stored["Comment"])
	}
}

func TestModel_Merge_sameVersionIsReplacement(t *testing.T) {
	m := mustLoad(t, "2020-05-31")
	stored := map[string]any{"Items": []any{map[string]any{"Key": "a", "Value": "1"}}}
	update := map[string]any{"Items": []any{map[string]any{"Key": "b"}}}
	got := m.Merge(stored, update, "Tags")
	if diff := cmp.Diff(update, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestModel_Merge_newItemAndIndexMatch(t *testing.T) {
	m16 := mustLoad(t, "2016-01-13")
	// CustomErrorResponse items match by ErrorCode; a new code gets no
	// stored members, and members not in the 2016 shape are kept only for
	// matched items.
	stored := map[string]any{"Quantity": "1", "Items": []any{
		map[string]any{"ErrorCode": "404", "ResponseCode": "200", "Future": "x"},
	}}
	update := map[string]any{"Quantity": "2", "Items": []any{
		map[string]any{"ErrorCode": "500"},
		map[string]any{"ErrorCode": "404"},
	}}
	got := m16.Merge(stored, update, "CustomErrorResponses")
	want := map[string]any{"Quantity": "2", "Items": []any{
		map[string]any{"ErrorCode": "500"},
		map[string]any{"ErrorCode": "404", "Future": "x"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestModel_2016HidesAndKeeps2020EnumValues: values only the 2020 enum has
// (CertificateSource acm, MinimumProtocolVersion TLSv1.2_2021, PriceClass
// None) are left out of a 2016 document, and a 2016 update that leaves them
// out in turn keeps them; a 2016 value the update sets replaces them.
func TestModel_2016HidesAndKeeps2020EnumValues(t *testing.T) {
	m16 := mustLoad(t, "2016-01-13")
	stored := map[string]any{
		"CallerReference": "r", "Comment": "", "Enabled": "true", "PriceClass": "PriceClass_None",
		"ViewerCertificate": map[string]any{
			"ACMCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x", "SSLSupportMethod": "sni-only",
			"MinimumProtocolVersion": "TLSv1.2_2021", "Certificate": "arn:aws:acm:us-east-1:123456789012:certificate/x",
			"CertificateSource": "acm",
		},
	}
	b, err := m16.EncodeToBytes("DistributionConfig", "DistributionConfig", stored)
	if err != nil {
		t.Fatal(err)
	}
	for _, hidden := range []string{"<CertificateSource>", "<MinimumProtocolVersion>", "<PriceClass>", "ACMCertificateArn"} {
		if strings.Contains(string(b), hidden) {
			t.Errorf("2016 document shows %s:\n%s", hidden, b)
		}
	}
	update := map[string]any{
		"CallerReference": "r", "Comment": "", "Enabled": "true",
		"ViewerCertificate": map[string]any{"SSLSupportMethod": "sni-only", "Certificate": "arn:aws:acm:us-east-1:123456789012:certificate/x"},
	}
	if diff := cmp.Diff(stored, m16.Merge(stored, update, "DistributionConfig")); diff != "" {
		t.Errorf("2016 update of what 2016 was shown changed the document (-want +got):\n%s", diff)
	}
	update["PriceClass"] = "PriceClass_100"
	if got := m16.Merge(stored, update, "DistributionConfig")["PriceClass"]; got != "PriceClass_100" {
		t.Errorf("PriceClass after a 2016 update setting it: %v", got)
	}
	delete(update, "ViewerCertificate")
	if _, ok := m16.Merge(stored, update, "DistributionConfig")["ViewerCertificate"]; ok {
		t.Error("a 2016 update without ViewerCertificate kept it")
	}
}
