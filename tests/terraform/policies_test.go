package terraform

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// rhpConfig is what aws_cloudfront_response_headers_policy sends: a CORS
// block, the security headers, a custom and a removed header; n changes
// the comment and a value, as an edit of the configuration would.
func rhpConfig(n int) *types.ResponseHeadersPolicyConfig {
	return &types.ResponseHeadersPolicyConfig{
		Name: aws.String("tf-rhp"), Comment: aws.String(fmt.Sprintf("revision %d", n)),
		CorsConfig: &types.ResponseHeadersPolicyCorsConfig{
			AccessControlAllowCredentials: aws.Bool(false),
			AccessControlAllowHeaders:     &types.ResponseHeadersPolicyAccessControlAllowHeaders{Quantity: aws.Int32(1), Items: []string{"X-Requested-With"}},
			AccessControlAllowMethods: &types.ResponseHeadersPolicyAccessControlAllowMethods{Quantity: aws.Int32(2),
				Items: []types.ResponseHeadersPolicyAccessControlAllowMethodsValues{"GET", "POST"}},
			AccessControlAllowOrigins:  &types.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: aws.Int32(1), Items: []string{"https://app.example.com"}},
			AccessControlExposeHeaders: &types.ResponseHeadersPolicyAccessControlExposeHeaders{Quantity: aws.Int32(1), Items: []string{"X-Total"}},
			AccessControlMaxAgeSec:     aws.Int32(600),
			OriginOverride:             aws.Bool(true),
		},
		SecurityHeadersConfig: &types.ResponseHeadersPolicySecurityHeadersConfig{
			ContentTypeOptions: &types.ResponseHeadersPolicyContentTypeOptions{Override: aws.Bool(true)},
			FrameOptions:       &types.ResponseHeadersPolicyFrameOptions{Override: aws.Bool(true), FrameOption: types.FrameOptionsListDeny},
			ReferrerPolicy:     &types.ResponseHeadersPolicyReferrerPolicy{Override: aws.Bool(false), ReferrerPolicy: types.ReferrerPolicyListSameOrigin},
			StrictTransportSecurity: &types.ResponseHeadersPolicyStrictTransportSecurity{Override: aws.Bool(true),
				AccessControlMaxAgeSec: aws.Int32(int32(63072000 + n)), IncludeSubdomains: aws.Bool(true), Preload: aws.Bool(true)},
		},
		CustomHeadersConfig: &types.ResponseHeadersPolicyCustomHeadersConfig{Quantity: aws.Int32(1), Items: []types.ResponseHeadersPolicyCustomHeader{
			{Header: aws.String("X-Site"), Value: aws.String("tf-" + strconv.Itoa(n)), Override: aws.Bool(true)}}},
		RemoveHeadersConfig: &types.ResponseHeadersPolicyRemoveHeadersConfig{Quantity: aws.Int32(1), Items: []types.ResponseHeadersPolicyRemoveHeader{
			{Header: aws.String("X-Powered-By")}}},
		ServerTimingHeadersConfig: &types.ResponseHeadersPolicyServerTimingHeadersConfig{Enabled: aws.Bool(false), SamplingRate: aws.Float64(0)},
	}
}

// rhpPaths are the members resourceResponseHeadersPolicyRead flattens.
func rhpPaths() []string {
	p := "ResponseHeadersPolicy.ResponseHeadersPolicyConfig."
	return []string{"ETag", "ResponseHeadersPolicy.Id", "ResponseHeadersPolicy.LastModifiedTime", p + "Name", p + "Comment",
		p + "CorsConfig.AccessControlAllowCredentials", p + "CorsConfig.AccessControlAllowHeaders.Quantity",
		p + "CorsConfig.AccessControlAllowMethods.Quantity", p + "CorsConfig.AccessControlAllowOrigins.Quantity",
		p + "CorsConfig.AccessControlExposeHeaders.Quantity", p + "CorsConfig.AccessControlMaxAgeSec", p + "CorsConfig.OriginOverride",
		p + "SecurityHeadersConfig.ContentTypeOptions.Override", p + "SecurityHeadersConfig.FrameOptions.FrameOption",
		p + "SecurityHeadersConfig.ReferrerPolicy.ReferrerPolicy", p + "SecurityHeadersConfig.StrictTransportSecurity.AccessControlMaxAgeSec",
		p + "CustomHeadersConfig.Quantity", p + "RemoveHeadersConfig.Quantity", p + "ServerTimingHeadersConfig.Enabled",
	}
}

// TestTerraform_responseHeadersPolicy drives aws_cloudfront_response_headers_policy:
// create, read (nothing the provider sent comes back different: no diff on
// the next plan), update with a stale then a refetched ETag, delete, read
// until NoSuchResponseHeadersPolicy.
func TestTerraform_responseHeadersPolicy(t *testing.T) {
	s := startServer(t)
	c, cf := ctx(t), s.cf
	lifecycle{
		create: func() (string, error) {
			out, err := cf.CreateResponseHeadersPolicy(c, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: rhpConfig(0)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.ResponseHeadersPolicy.Id), nil
		},
		read: func(id string) (any, string, error) {
			out, err := cf.GetResponseHeadersPolicy(c, &cloudfront.GetResponseHeadersPolicyInput{Id: aws.String(id)})
			if err != nil {
				return nil, "", err
			}
			if out.ResponseHeadersPolicy != nil {
				n, _ := strconv.Atoi(strings.TrimPrefix(aws.ToString(out.ResponseHeadersPolicy.ResponseHeadersPolicyConfig.Comment), "revision "))
				if d := sentDiffers(rhpConfig(n), out.ResponseHeadersPolicy.ResponseHeadersPolicyConfig); len(d) > 0 {
					return nil, "", fmt.Errorf("read back differs from what was sent (a diff on the next plan): %s", strings.Join(d, "; "))
				}
			}
			return out, aws.ToString(out.ETag), nil
		},
		paths: rhpPaths(),
		update: func(id, etag string, n int) error {
			_, err := cf.UpdateResponseHeadersPolicy(c, &cloudfront.UpdateResponseHeadersPolicyInput{Id: aws.String(id), IfMatch: aws.String(etag), ResponseHeadersPolicyConfig: rhpConfig(n)})
			return err
		},
		delete: func(id, etag string) error {
			_, err := cf.DeleteResponseHeadersPolicy(c, &cloudfront.DeleteResponseHeadersPolicyInput{Id: aws.String(id), IfMatch: aws.String(etag)})
			return err
		},
		gone: isA[*types.NoSuchResponseHeadersPolicy],
	}.run(t)
}

// managedResponseHeadersPolicyID is data "aws_cloudfront_response_headers_policy"
// by name: every page of ListResponseHeadersPolicies without a Type filter,
// matching ResponseHeadersPolicyConfig.Name.
func managedResponseHeadersPolicyID(t *testing.T, cf *cloudfront.Client, name string) string {
	t.Helper()
	var marker *string
	for pages := 0; pages < 20; pages++ {
		out, err := cf.ListResponseHeadersPolicies(ctx(t), &cloudfront.ListResponseHeadersPoliciesInput{Marker: marker, MaxItems: aws.Int32(3)})
		if err != nil {
			t.Fatalf("ListResponseHeadersPolicies: %v", err)
		}
		assertMembers(t, "ListResponseHeadersPolicies", out, []string{"ResponseHeadersPolicyList.Quantity", "ResponseHeadersPolicyList.MaxItems",
			"ResponseHeadersPolicyList.Items[].Type", "ResponseHeadersPolicyList.Items[].ResponseHeadersPolicy.Id",
			"ResponseHeadersPolicyList.Items[].ResponseHeadersPolicy.ResponseHeadersPolicyConfig.Name"})
		if out.ResponseHeadersPolicyList == nil {
			t.FailNow()
		}
		for _, it := range out.ResponseHeadersPolicyList.Items {
			if p := it.ResponseHeadersPolicy; p != nil && p.ResponseHeadersPolicyConfig != nil && aws.ToString(p.ResponseHeadersPolicyConfig.Name) == name {
				return aws.ToString(p.Id)
			}
		}
		if marker = out.ResponseHeadersPolicyList.NextMarker; aws.ToString(marker) == "" {
			break
		}
	}
	t.Fatalf("%s is not listed", name)
	return ""
}

// TestTerraform_distributionWithPolicies: a distribution as Terraform
// makes one that uses everything the provider attaches: an S3 origin with
// an origin access control, a custom cache policy, origin request policy
// and response headers policy, a trusted key group and a real-time log
// config. Create, wait for Deployed, read with no diff, every
// ListDistributionsBy... finds it, the policies it uses refuse deletion;
// update to managed policies found by name, wait, read with no diff;
// disable, wait, delete, poll until NoSuchDistribution; then the
// resources it used delete.
func TestTerraform_distributionWithPolicies(t *testing.T) {
	s := startServer(t)
	c, cf := ctx(t), s.cf

	rhp, err := cf.CreateResponseHeadersPolicy(c, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: rhpConfig(0)})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := cf.CreateCachePolicy(c, &cloudfront.CreateCachePolicyInput{CachePolicyConfig: &types.CachePolicyConfig{
		Name: aws.String("tf-cp"), Comment: aws.String(""), MinTTL: aws.Int64(0), DefaultTTL: aws.Int64(60), MaxTTL: aws.Int64(600),
		ParametersInCacheKeyAndForwardedToOrigin: &types.ParametersInCacheKeyAndForwardedToOrigin{
			EnableAcceptEncodingBrotli: aws.Bool(true), EnableAcceptEncodingGzip: aws.Bool(true),
			CookiesConfig:      &types.CachePolicyCookiesConfig{CookieBehavior: types.CachePolicyCookieBehaviorNone},
			HeadersConfig:      &types.CachePolicyHeadersConfig{HeaderBehavior: types.CachePolicyHeaderBehaviorNone},
			QueryStringsConfig: &types.CachePolicyQueryStringsConfig{QueryStringBehavior: types.CachePolicyQueryStringBehaviorNone},
		}}})
	if err != nil {
		t.Fatal(err)
	}
	orp, err := cf.CreateOriginRequestPolicy(c, &cloudfront.CreateOriginRequestPolicyInput{OriginRequestPolicyConfig: &types.OriginRequestPolicyConfig{
		Name: aws.String("tf-orp"), Comment: aws.String(""),
		CookiesConfig:      &types.OriginRequestPolicyCookiesConfig{CookieBehavior: types.OriginRequestPolicyCookieBehaviorNone},
		HeadersConfig:      &types.OriginRequestPolicyHeadersConfig{HeaderBehavior: types.OriginRequestPolicyHeaderBehaviorWhitelist, Headers: &types.Headers{Quantity: aws.Int32(1), Items: []string{"Accept-Language"}}},
		QueryStringsConfig: &types.OriginRequestPolicyQueryStringsConfig{QueryStringBehavior: types.OriginRequestPolicyQueryStringBehaviorAll},
	}})
	if err != nil {
		t.Fatal(err)
	}
	oac, err := cf.CreateOriginAccessControl(c, &cloudfront.CreateOriginAccessControlInput{OriginAccessControlConfig: &types.OriginAccessControlConfig{
		Name: aws.String("tf-oac"), Description: aws.String(""), OriginAccessControlOriginType: types.OriginAccessControlOriginTypesS3,
		SigningBehavior: types.OriginAccessControlSigningBehaviorsAlways, SigningProtocol: types.OriginAccessControlSigningProtocolsSigv4}})
	if err != nil {
		t.Fatal(err)
	}
	key, err := cf.CreatePublicKey(c, &cloudfront.CreatePublicKeyInput{PublicKeyConfig: &types.PublicKeyConfig{
		CallerReference: aws.String("tf-dist-key"), Name: aws.String("tf-dist-key"), EncodedKey: aws.String(publicKeyPEM(t)), Comment: aws.String("")}})
	if err != nil {
		t.Fatal(err)
	}
	kg, err := cf.CreateKeyGroup(c, &cloudfront.CreateKeyGroupInput{KeyGroupConfig: &types.KeyGroupConfig{
		Name: aws.String("tf-dist-group"), Items: []string{aws.ToString(key.PublicKey.Id)}, Comment: aws.String("")}})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := cf.CreateRealtimeLogConfig(c, &cloudfront.CreateRealtimeLogConfigInput{Name: aws.String("tf-dist-rt"), SamplingRate: aws.Int64(100),
		Fields: []string{"timestamp", "c-ip", "sc-status"}, EndPoints: []types.EndPoint{{StreamType: aws.String("Kinesis"), KinesisStreamConfig: &types.KinesisStreamConfig{
			RoleARN: aws.String("arn:aws:iam::123456789012:role/tf-rt"), StreamARN: aws.String("arn:aws:kinesis:us-east-1:123456789012:stream/tf-rt")}}}})
	if err != nil {
		t.Fatal(err)
	}
	rhpID, cpID, orpID, kgID := aws.ToString(rhp.ResponseHeadersPolicy.Id), aws.ToString(cp.CachePolicy.Id), aws.ToString(orp.OriginRequestPolicy.Id), aws.ToString(kg.KeyGroup.Id)
	rtARN := aws.ToString(rt.RealtimeLogConfig.ARN)

	want := terraformDistributionConfig("tf-policies", false)
	dcb := want.DefaultCacheBehavior
	dcb.TargetOriginId = aws.String("bucket")
	dcb.MinTTL, dcb.DefaultTTL, dcb.MaxTTL, dcb.ForwardedValues = nil, nil, nil, nil
	dcb.CachePolicyId, dcb.OriginRequestPolicyId, dcb.ResponseHeadersPolicyId = aws.String(cpID), aws.String(orpID), aws.String(rhpID)
	dcb.RealtimeLogConfigArn = aws.String(rtARN)
	dcb.ViewerProtocolPolicy = types.ViewerProtocolPolicyRedirectToHttps
	dcb.TrustedKeyGroups = &types.TrustedKeyGroups{Enabled: aws.Bool(true), Quantity: aws.Int32(1), Items: []string{kgID}}
	bucket := &want.Origins.Items[1]
	bucket.OriginAccessControlId = oac.OriginAccessControl.Id
	bucket.S3OriginConfig = &types.S3OriginConfig{OriginAccessIdentity: aws.String("")}

	created, err := cf.CreateDistributionWithTags(c, &cloudfront.CreateDistributionWithTagsInput{DistributionConfigWithTags: &types.DistributionConfigWithTags{
		DistributionConfig: want, Tags: &types.Tags{Items: []types.Tag{}}}})
	if err != nil {
		t.Fatalf("CreateDistributionWithTags: %v", err)
	}
	id := aws.ToString(created.Distribution.Id)
	read := waitDeployedWith(t, cf, id, policyDistributionPaths())
	if d := sentDiffers(want, read.Distribution.DistributionConfig); len(d) > 0 {
		t.Errorf("read after create differs from what was sent (a diff on the next plan):\n  %s", strings.Join(d, "\n  "))
	}
	if a := read.Distribution.ActiveTrustedKeyGroups; a == nil || !aws.ToBool(a.Enabled) || aws.ToInt32(a.Quantity) != 1 ||
		aws.ToString(a.Items[0].KeyGroupId) != kgID {
		t.Errorf("ActiveTrustedKeyGroups = %+v", a)
	}

	// The lists by resource find it; a resource in use refuses deletion.
	lists := map[string]func() ([]string, error){
		"ListDistributionsByCachePolicyId": func() ([]string, error) {
			out, err := cf.ListDistributionsByCachePolicyId(c, &cloudfront.ListDistributionsByCachePolicyIdInput{CachePolicyId: aws.String(cpID)})
			if err != nil {
				return nil, err
			}
			return out.DistributionIdList.Items, nil
		},
		"ListDistributionsByOriginRequestPolicyId": func() ([]string, error) {
			out, err := cf.ListDistributionsByOriginRequestPolicyId(c, &cloudfront.ListDistributionsByOriginRequestPolicyIdInput{OriginRequestPolicyId: aws.String(orpID)})
			if err != nil {
				return nil, err
			}
			return out.DistributionIdList.Items, nil
		},
		"ListDistributionsByResponseHeadersPolicyId": func() ([]string, error) {
			out, err := cf.ListDistributionsByResponseHeadersPolicyId(c, &cloudfront.ListDistributionsByResponseHeadersPolicyIdInput{ResponseHeadersPolicyId: aws.String(rhpID)})
			if err != nil {
				return nil, err
			}
			return out.DistributionIdList.Items, nil
		},
		"ListDistributionsByKeyGroup": func() ([]string, error) {
			out, err := cf.ListDistributionsByKeyGroup(c, &cloudfront.ListDistributionsByKeyGroupInput{KeyGroupId: aws.String(kgID)})
			if err != nil {
				return nil, err
			}
			return out.DistributionIdList.Items, nil
		},
		"ListDistributionsByRealtimeLogConfig": func() ([]string, error) {
			out, err := cf.ListDistributionsByRealtimeLogConfig(c, &cloudfront.ListDistributionsByRealtimeLogConfigInput{RealtimeLogConfigArn: aws.String(rtARN)})
			if err != nil {
				return nil, err
			}
			var ids []string
			for _, d := range out.DistributionList.Items {
				ids = append(ids, aws.ToString(d.Id))
			}
			return ids, nil
		},
	}
	for name, list := range lists {
		if ids, err := list(); err != nil || !slices.Equal(ids, []string{id}) {
			t.Errorf("%s = %v, %v; want [%s]", name, ids, err, id)
		}
	}
	rhpETag := getRHPETag(t, cf, rhpID)
	if _, err := cf.DeleteResponseHeadersPolicy(c, &cloudfront.DeleteResponseHeadersPolicyInput{Id: aws.String(rhpID), IfMatch: aws.String(rhpETag)}); !isA[*types.ResponseHeadersPolicyInUse](err) {
		t.Errorf("DeleteResponseHeadersPolicy while in use: %v, want ResponseHeadersPolicyInUse", err)
	}

	// An update to the managed policies, found by name as the data sources
	// find them.
	want.DefaultCacheBehavior.ResponseHeadersPolicyId = aws.String(managedResponseHeadersPolicyID(t, cf, "Managed-SecurityHeadersPolicy"))
	want.DefaultCacheBehavior.CachePolicyId = aws.String(managedCachingOptimized)
	if _, err := cf.UpdateDistribution(c, &cloudfront.UpdateDistributionInput{Id: aws.String(id), IfMatch: read.ETag, DistributionConfig: want}); err != nil {
		t.Fatalf("UpdateDistribution: %v", err)
	}
	read = waitDeployedWith(t, cf, id, policyDistributionPaths())
	if d := sentDiffers(want, read.Distribution.DistributionConfig); len(d) > 0 {
		t.Errorf("read after update differs from what was sent:\n  %s", strings.Join(d, "\n  "))
	}
	if ids, err := lists["ListDistributionsByResponseHeadersPolicyId"](); err != nil || len(ids) != 0 {
		t.Errorf("the custom policy after the update: %v, %v", ids, err)
	}

	// Destroy: disable, wait, delete with a fresh ETag, poll until gone.
	cfg := read.Distribution.DistributionConfig
	cfg.Enabled = aws.Bool(false)
	if _, err := cf.UpdateDistribution(c, &cloudfront.UpdateDistributionInput{Id: aws.String(id), IfMatch: read.ETag, DistributionConfig: cfg}); err != nil {
		t.Fatalf("UpdateDistribution (disable): %v", err)
	}
	waitDeployedWith(t, cf, id, policyDistributionPaths())
	if _, err := cf.DeleteDistribution(c, &cloudfront.DeleteDistributionInput{Id: aws.String(id), IfMatch: aws.String(getETag(t, cf, id))}); err != nil {
		t.Fatalf("DeleteDistribution: %v", err)
	}
	poll(t, "GetDistribution until NoSuchDistribution", func() (bool, string, error) {
		_, err := cf.GetDistribution(c, &cloudfront.GetDistributionInput{Id: aws.String(id)})
		if isA[*types.NoSuchDistribution](err) {
			return true, "", nil
		}
		return false, "exists", err
	})
	// Then what it used goes, in Terraform's dependency order.
	if _, err := cf.DeleteResponseHeadersPolicy(c, &cloudfront.DeleteResponseHeadersPolicyInput{Id: aws.String(rhpID), IfMatch: aws.String(getRHPETag(t, cf, rhpID))}); err != nil {
		t.Errorf("DeleteResponseHeadersPolicy: %v", err)
	}
	cpNow, _ := cf.GetCachePolicy(c, &cloudfront.GetCachePolicyInput{Id: aws.String(cpID)})
	if _, err := cf.DeleteCachePolicy(c, &cloudfront.DeleteCachePolicyInput{Id: aws.String(cpID), IfMatch: cpNow.ETag}); err != nil {
		t.Errorf("DeleteCachePolicy: %v", err)
	}
	orpNow, _ := cf.GetOriginRequestPolicy(c, &cloudfront.GetOriginRequestPolicyInput{Id: aws.String(orpID)})
	if _, err := cf.DeleteOriginRequestPolicy(c, &cloudfront.DeleteOriginRequestPolicyInput{Id: aws.String(orpID), IfMatch: orpNow.ETag}); err != nil {
		t.Errorf("DeleteOriginRequestPolicy: %v", err)
	}
	kgNow, _ := cf.GetKeyGroup(c, &cloudfront.GetKeyGroupInput{Id: aws.String(kgID)})
	if _, err := cf.DeleteKeyGroup(c, &cloudfront.DeleteKeyGroupInput{Id: aws.String(kgID), IfMatch: kgNow.ETag}); err != nil {
		t.Errorf("DeleteKeyGroup: %v", err)
	}
	oacNow, _ := cf.GetOriginAccessControl(c, &cloudfront.GetOriginAccessControlInput{Id: oac.OriginAccessControl.Id})
	if _, err := cf.DeleteOriginAccessControl(c, &cloudfront.DeleteOriginAccessControlInput{Id: oac.OriginAccessControl.Id, IfMatch: oacNow.ETag}); err != nil {
		t.Errorf("DeleteOriginAccessControl: %v", err)
	}
	if _, err := cf.DeleteRealtimeLogConfig(c, &cloudfront.DeleteRealtimeLogConfigInput{ARN: aws.String(rtARN)}); err != nil {
		t.Errorf("DeleteRealtimeLogConfig: %v", err)
	}
}

// policyDistributionPaths are distributionPaths for a distribution whose
// default behaviour uses a cache policy (no ForwardedValues nor TTLs).
func policyDistributionPaths() []string {
	var out []string
	for _, p := range distributionPaths() {
		if m, ok := strings.CutPrefix(p, "Distribution.DistributionConfig.DefaultCacheBehavior."); ok && slices.Contains(legacyBehaviorMembers, m) {
			continue
		}
		out = append(out, p)
	}
	return append(out, "Distribution.DistributionConfig.DefaultCacheBehavior.CachePolicyId")
}

func getRHPETag(t *testing.T, cf *cloudfront.Client, id string) string {
	t.Helper()
	out, err := cf.GetResponseHeadersPolicy(ctx(t), &cloudfront.GetResponseHeadersPolicyInput{Id: aws.String(id)})
	if err != nil {
		t.Fatalf("GetResponseHeadersPolicy: %v", err)
	}
	return aws.ToString(out.ETag)
}

// TestTerraform_aliasMove: moving an alias between two distributions the
// way an operator does it next to Terraform (ListConflictingAliases to find
// the source, AssociateAlias to move it), each distribution with the
// operator's certificate for the aliases; the edge then routes the alias
// to the target, and a read of each distribution shows the alias where it
// now is (Terraform's next plan sees the move).
func TestTerraform_aliasMove(t *testing.T) {
	const arn = "arn:aws:acm:us-east-1:123456789012:certificate/tf-alias"
	certDir := t.TempDir()
	writeCertificate(t, certDir, arn, "*.example.com")
	s := startServer(t, "--certificate-dir", certDir)
	c, cf := ctx(t), s.cf
	originA, originB := namedOrigin(t, "origin-a"), namedOrigin(t, "origin-b")

	create := func(ref, origin string, aliases ...string) string {
		cfg := terraformDistributionConfig(ref, false)
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(origin, "http://"))
		p, _ := strconv.Atoi(port)
		web := &cfg.Origins.Items[0]
		web.DomainName = aws.String("127.0.0.1")
		web.CustomOriginConfig.HTTPPort = aws.Int32(int32(p))
		cfg.Aliases = &types.Aliases{Quantity: aws.Int32(int32(len(aliases))), Items: aliases}
		cfg.ViewerCertificate = &types.ViewerCertificate{ACMCertificateArn: aws.String(arn), SSLSupportMethod: types.SSLSupportMethodSniOnly,
			MinimumProtocolVersion: types.MinimumProtocolVersionTLSv122021}
		out, err := cf.CreateDistribution(c, &cloudfront.CreateDistributionInput{DistributionConfig: cfg})
		if err != nil {
			t.Fatalf("CreateDistribution %s: %v", ref, err)
		}
		return aws.ToString(out.Distribution.Id)
	}
	a := create("tf-alias-a", originA, "www.example.com")
	b := create("tf-alias-b", originB)
	waitDeployed(t, cf, a)
	waitDeployed(t, cf, b)
	if got := getVia(t, s.edge, "www.example.com"); got != "origin-a" {
		t.Fatalf("before the move the alias reaches %q", got)
	}

	conflicts, err := cf.ListConflictingAliases(c, &cloudfront.ListConflictingAliasesInput{DistributionId: aws.String(b), Alias: aws.String("www.example.com")})
	if err != nil {
		t.Fatalf("ListConflictingAliases: %v", err)
	}
	if l := conflicts.ConflictingAliasesList; l == nil || aws.ToInt32(l.Quantity) != 1 || aws.ToString(l.Items[0].Alias) != "www.example.com" ||
		!strings.HasPrefix(a, aws.ToString(l.Items[0].DistributionId)[:3]) {
		t.Fatalf("ListConflictingAliases = %+v", conflicts.ConflictingAliasesList)
	}
	if _, err := cf.AssociateAlias(c, &cloudfront.AssociateAliasInput{TargetDistributionId: aws.String(b), Alias: aws.String("www.example.com")}); err != nil {
		t.Fatalf("AssociateAlias: %v", err)
	}
	readA, readB := waitDeployed(t, cf, a), waitDeployed(t, cf, b)
	if q := aws.ToInt32(readA.Distribution.DistributionConfig.Aliases.Quantity); q != 0 {
		t.Errorf("source keeps %d aliases", q)
	}
	if items := readB.Distribution.DistributionConfig.Aliases.Items; !slices.Equal(items, []string{"www.example.com"}) {
		t.Errorf("target aliases %v", items)
	}
	if got := getVia(t, s.edge, "www.example.com"); got != "origin-b" {
		t.Errorf("after the move the alias reaches %q, want origin-b", got)
	}
	if _, err := cf.AssociateAlias(c, &cloudfront.AssociateAliasInput{TargetDistributionId: aws.String("EDFDVBD6EXAMPLE"), Alias: aws.String("www.example.com")}); !isA[*types.NoSuchDistribution](err) {
		t.Errorf("AssociateAlias to an unknown distribution: %v", err)
	}
	if _, err := cf.AssociateAlias(c, &cloudfront.AssociateAliasInput{TargetDistributionId: aws.String(a), Alias: aws.String("www.example.org")}); !isA[*types.IllegalUpdate](err) {
		t.Errorf("AssociateAlias of an alias the certificate does not cover: %v", err)
	}
}

// writeCertificate puts a self-signed certificate for names under the
// file names --certificate-dir reads for name (':' written '_', '/' '+').
func writeCertificate(t *testing.T, dir, name string, names ...string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, strings.NewReplacer(":", "_", "/", "+").Replace(name))
	if err := os.WriteFile(base+".crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base+".key", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// namedOrigin is an origin answering every request with its name,
// uncacheable so that each request reaches whichever origin the edge
// routes it to now.
func namedOrigin(t *testing.T, name string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, name)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// getVia is a GET of / on the edge with the Host header host; it returns
// the body.
func getVia(t *testing.T, edge, host string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+edge+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET via the edge: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// sentDiffers lists where read differs from sent in what sent sets: every
// non-nil pointer, non-empty enumeration and non-nil slice the provider
// put in a request must read back equal, or Terraform's next plan shows a
// diff. Members sent nil (defaults CloudFront fills in) are not compared.
func sentDiffers(sent, read any) []string {
	var out []string
	var cmp func(at string, s, r reflect.Value)
	cmp = func(at string, s, r reflect.Value) {
		if s.Kind() == reflect.Pointer {
			if s.IsNil() {
				return
			}
			if r.IsNil() {
				out = append(out, at+": sent, read back absent")
				return
			}
			s, r = s.Elem(), r.Elem()
		}
		switch s.Kind() {
		case reflect.Struct:
			for i := range s.NumField() {
				if f := s.Type().Field(i); f.IsExported() {
					cmp(join(at, f.Name), s.Field(i), r.Field(i))
				}
			}
		case reflect.Slice:
			if s.IsNil() {
				return
			}
			if s.Len() != r.Len() {
				out = append(out, fmt.Sprintf("%s: sent %d items, read back %d", at, s.Len(), r.Len()))
				return
			}
			for i := range s.Len() {
				cmp(fmt.Sprintf("%s[%d]", at, i), s.Index(i), r.Index(i))
			}
		case reflect.String:
			if s.Len() > 0 || s.Type() == reflect.TypeOf("") {
				if s.String() != r.String() {
					out = append(out, fmt.Sprintf("%s: sent %q, read back %q", at, s.String(), r.String()))
				}
			}
		default:
			if !reflect.DeepEqual(s.Interface(), r.Interface()) {
				out = append(out, fmt.Sprintf("%s: sent %v, read back %v", at, s.Interface(), r.Interface()))
			}
		}
	}
	cmp("", reflect.ValueOf(sent), reflect.ValueOf(read))
	return out
}

// TestSentDiffers: the no-diff check sees a changed, a dropped and a
// shortened member, and ignores what was not sent.
func TestSentDiffers(t *testing.T) {
	sent := rhpConfig(1)
	same := rhpConfig(1)
	same.ServerTimingHeadersConfig = nil
	sent.ServerTimingHeadersConfig = nil
	if d := sentDiffers(sent, same); len(d) != 0 {
		t.Errorf("equal configs differ: %v", d)
	}
	read := rhpConfig(1)
	read.Comment = aws.String("changed")
	read.SecurityHeadersConfig.FrameOptions = nil
	read.CustomHeadersConfig.Items = nil
	read.CorsConfig.AccessControlAllowMethods.Items[0] = "PUT"
	if d := sentDiffers(sent, read); len(d) != 4 {
		t.Errorf("found %d differences, want 4: %v", len(d), d)
	}
	unsent := rhpConfig(1)
	unsent.CorsConfig = nil
	if d := sentDiffers(unsent, rhpConfig(1)); len(d) != 0 {
		t.Errorf("an unsent member counts: %v", d)
	}
}
