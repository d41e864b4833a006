package terraform

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// The members the Terraform AWS provider reads from each response
// (internal/service/cloudfront in hashicorp/terraform-provider-aws: the
// resources' Read functions and distribution_configuration_structure.go's
// flatteners), and which CloudFront always returns. A missing one either
// panics the provider (it dereferences OriginGroups.Quantity,
// AllowedMethods.CachedMethods, TrustedSigners.Items, TrustedKeyGroups.Items,
// LambdaFunctionAssociations.Items, FunctionAssociations.Items and
// LastModifiedTime without a nil check) or leaves an attribute unset, which
// shows as a perpetual diff or a failed import verification.
var (
	// legacyBehaviorMembers are read from every behaviour that uses
	// ForwardedValues and TTLs (no cache policy).
	legacyBehaviorMembers = []string{
		"MinTTL", "DefaultTTL", "MaxTTL",
		"ForwardedValues.QueryString", "ForwardedValues.Cookies.Forward",
		"ForwardedValues.Headers.Quantity", "ForwardedValues.QueryStringCacheKeys.Quantity",
	}
	// behaviorMembers are read from every behaviour.
	behaviorMembers = []string{
		"TargetOriginId", "ViewerProtocolPolicy", "Compress", "FieldLevelEncryptionId", "SmoothStreaming",
		"AllowedMethods.Quantity", "AllowedMethods.CachedMethods.Quantity",
		"TrustedSigners.Enabled", "TrustedSigners.Quantity",
		"TrustedKeyGroups.Enabled", "TrustedKeyGroups.Quantity",
		"LambdaFunctionAssociations.Quantity", "FunctionAssociations.Quantity",
	}
	// originMembers are read from every origin.
	originMembers = []string{
		"Id", "DomainName", "OriginPath", "ConnectionAttempts", "ConnectionTimeout",
		"CustomHeaders.Quantity", "OriginShield.Enabled",
	}
	customOriginMembers = []string{
		"CustomOriginConfig.HTTPPort", "CustomOriginConfig.HTTPSPort", "CustomOriginConfig.OriginProtocolPolicy",
		"CustomOriginConfig.OriginReadTimeout", "CustomOriginConfig.OriginKeepaliveTimeout",
		"CustomOriginConfig.OriginSslProtocols.Quantity",
	}
	configMembers = []string{
		"CallerReference", "Comment", "DefaultRootObject", "Enabled", "HttpVersion", "IsIPV6Enabled", "PriceClass",
		"Staging", "WebACLId",
		"Aliases.Quantity", "CacheBehaviors.Quantity", "CustomErrorResponses.Quantity",
		"Origins.Quantity", "OriginGroups.Quantity",
		"Logging.Enabled", "Logging.IncludeCookies", "Logging.Bucket", "Logging.Prefix",
		"Restrictions.GeoRestriction.RestrictionType", "Restrictions.GeoRestriction.Quantity",
		"ViewerCertificate.CloudFrontDefaultCertificate", "ViewerCertificate.MinimumProtocolVersion",
	}
	distributionMembers = []string{
		"Id", "ARN", "DomainName", "Status", "LastModifiedTime", "InProgressInvalidationBatches",
		"ActiveTrustedSigners.Enabled", "ActiveTrustedSigners.Quantity",
		"ActiveTrustedKeyGroups.Enabled", "ActiveTrustedKeyGroups.Quantity",
	}
)

// distributionPaths are the member paths of a GetDistribution output for a
// distribution made by terraformDistributionConfig: a legacy default
// behaviour, one cache-policy behaviour, a custom and an S3 origin, an
// origin group.
func distributionPaths() []string {
	paths := []string{"ETag"}
	prefix := func(p string, members []string) {
		for _, m := range members {
			paths = append(paths, p+m)
		}
	}
	prefix("Distribution.", distributionMembers)
	cfg := "Distribution.DistributionConfig."
	prefix(cfg, configMembers)
	prefix(cfg+"DefaultCacheBehavior.", behaviorMembers)
	prefix(cfg+"DefaultCacheBehavior.", legacyBehaviorMembers)
	prefix(cfg+"CacheBehaviors.Items[].", behaviorMembers)
	prefix(cfg+"CacheBehaviors.Items[].", []string{"PathPattern", "CachePolicyId"})
	prefix(cfg+"Origins.Items[].", originMembers)
	prefix(cfg+"OriginGroups.Items[].", []string{"Id", "FailoverCriteria.StatusCodes.Quantity", "Members.Quantity"})
	return paths
}

const managedCachingOptimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"

// terraformDistributionConfig is the DistributionConfig the provider's
// expandDistributionConfig builds for a configuration with a custom and an
// S3 origin, a forwarded_values default behaviour and one ordered
// behaviour with a cache policy, and an origin group when originGroup is
// true (OriginGroups is left out otherwise): every optional string it
// knows is sent (empty when unset), empty lists are sent with Quantity 0.
func terraformDistributionConfig(ref string, originGroup bool) *types.DistributionConfig {
	disabled := func() (*types.TrustedSigners, *types.TrustedKeyGroups) {
		return &types.TrustedSigners{Enabled: aws.Bool(false), Quantity: aws.Int32(0)},
			&types.TrustedKeyGroups{Enabled: aws.Bool(false), Quantity: aws.Int32(0)}
	}
	methods := func(ms ...types.Method) *types.AllowedMethods {
		return &types.AllowedMethods{Quantity: aws.Int32(int32(len(ms))), Items: ms,
			CachedMethods: &types.CachedMethods{Quantity: aws.Int32(2), Items: []types.Method{types.MethodGet, types.MethodHead}}}
	}
	ts, tkg := disabled()
	dcb := &types.DefaultCacheBehavior{
		CachePolicyId: aws.String(""), Compress: aws.Bool(false), FieldLevelEncryptionId: aws.String(""),
		OriginRequestPolicyId: aws.String(""), ResponseHeadersPolicyId: aws.String(""),
		TargetOriginId: aws.String("web"), ViewerProtocolPolicy: types.ViewerProtocolPolicyAllowAll,
		AllowedMethods: methods(types.MethodGet, types.MethodHead),
		MinTTL:         aws.Int64(0), MaxTTL: aws.Int64(31536000), DefaultTTL: aws.Int64(3600),
		ForwardedValues: &types.ForwardedValues{
			QueryString: aws.Bool(false), Cookies: &types.CookiePreference{Forward: types.ItemSelectionNone},
			Headers: &types.Headers{Quantity: aws.Int32(0)}, QueryStringCacheKeys: &types.QueryStringCacheKeys{Quantity: aws.Int32(0)},
		},
		TrustedSigners: ts, TrustedKeyGroups: tkg,
		LambdaFunctionAssociations: &types.LambdaFunctionAssociations{Quantity: aws.Int32(0)},
		FunctionAssociations:       &types.FunctionAssociations{Quantity: aws.Int32(0)},
		SmoothStreaming:            aws.Bool(false),
	}
	ts, tkg = disabled()
	cb := types.CacheBehavior{
		PathPattern:   aws.String("/static/*"),
		CachePolicyId: aws.String(managedCachingOptimized), Compress: aws.Bool(true), FieldLevelEncryptionId: aws.String(""),
		OriginRequestPolicyId: aws.String(""), ResponseHeadersPolicyId: aws.String(""),
		TargetOriginId: aws.String("bucket"), ViewerProtocolPolicy: types.ViewerProtocolPolicyRedirectToHttps,
		AllowedMethods:             methods(types.MethodGet, types.MethodHead, types.MethodOptions),
		TrustedSigners:             ts,
		TrustedKeyGroups:           tkg,
		LambdaFunctionAssociations: &types.LambdaFunctionAssociations{Quantity: aws.Int32(0)},
		FunctionAssociations:       &types.FunctionAssociations{Quantity: aws.Int32(0)},
		SmoothStreaming:            aws.Bool(false),
	}
	cfg := &types.DistributionConfig{
		CallerReference: aws.String(ref), Comment: aws.String("managed by terraform"),
		ContinuousDeploymentPolicyId: aws.String(""),
		CustomErrorResponses:         &types.CustomErrorResponses{Quantity: aws.Int32(0)},
		DefaultCacheBehavior:         dcb,
		CacheBehaviors:               &types.CacheBehaviors{Quantity: aws.Int32(1), Items: []types.CacheBehavior{cb}},
		DefaultRootObject:            aws.String(""), Enabled: aws.Bool(true), IsIPV6Enabled: aws.Bool(true),
		HttpVersion: types.HttpVersionHttp2,
		Origins: &types.Origins{Quantity: aws.Int32(2), Items: []types.Origin{
			{
				Id: aws.String("web"), DomainName: aws.String("origin.example.com"),
				ConnectionAttempts: aws.Int32(3), ConnectionTimeout: aws.Int32(10),
				CustomHeaders: &types.CustomHeaders{Quantity: aws.Int32(0)},
				CustomOriginConfig: &types.CustomOriginConfig{
					HTTPPort: aws.Int32(80), HTTPSPort: aws.Int32(443), OriginProtocolPolicy: types.OriginProtocolPolicyHttpOnly,
					OriginKeepaliveTimeout: aws.Int32(5), OriginReadTimeout: aws.Int32(30),
					OriginSslProtocols: &types.OriginSslProtocols{Quantity: aws.Int32(1), Items: []types.SslProtocol{types.SslProtocolTLSv12}},
				},
				OriginAccessControlId: aws.String(""), OriginPath: aws.String(""),
			},
			{
				// Neither custom_origin_config nor s3_origin_config: the
				// provider sends an S3 origin with an empty identity.
				Id: aws.String("bucket"), DomainName: aws.String("assets.s3.us-east-1.amazonaws.com"),
				ConnectionAttempts: aws.Int32(3), ConnectionTimeout: aws.Int32(10),
				CustomHeaders:         &types.CustomHeaders{Quantity: aws.Int32(0)},
				S3OriginConfig:        &types.S3OriginConfig{OriginAccessIdentity: aws.String("")},
				OriginAccessControlId: aws.String(""), OriginPath: aws.String(""),
			},
		}},
		PriceClass: types.PriceClassPriceClassAll, Staging: aws.Bool(false), WebACLId: aws.String(""),
		Aliases: &types.Aliases{Quantity: aws.Int32(0)},
		Logging: &types.LoggingConfig{Bucket: aws.String(""), Enabled: aws.Bool(false), IncludeCookies: aws.Bool(false), Prefix: aws.String("")},
		Restrictions: &types.Restrictions{GeoRestriction: &types.GeoRestriction{
			Quantity: aws.Int32(0), RestrictionType: types.GeoRestrictionTypeNone}},
		ViewerCertificate: &types.ViewerCertificate{CloudFrontDefaultCertificate: aws.Bool(true), MinimumProtocolVersion: types.MinimumProtocolVersionTLSv1},
	}
	if originGroup {
		// origin_group: a failover group over the two origins.
		cfg.OriginGroups = &types.OriginGroups{Quantity: aws.Int32(1), Items: []types.OriginGroup{{
			Id: aws.String("failover"),
			FailoverCriteria: &types.OriginGroupFailoverCriteria{StatusCodes: &types.StatusCodes{
				Quantity: aws.Int32(2), Items: []int32{502, 503}}},
			Members: &types.OriginGroupMembers{Quantity: aws.Int32(2), Items: []types.OriginGroupMember{
				{OriginId: aws.String("web")}, {OriginId: aws.String("bucket")}}},
		}}}
	}
	return cfg
}

// TestTerraform_distribution drives aws_cloudfront_distribution's calls:
// CreateDistributionWithTags, GetDistribution until Deployed, a read
// (GetDistribution, ListTagsForResource), an update with If-Match that
// meets PreconditionFailed and is retried with a refetched ETag, then the
// delete: disable with the config read back, wait for Deployed,
// DeleteDistribution with a fresh ETag, GetDistribution until
// NoSuchDistribution.
func TestTerraform_distribution(t *testing.T) {
	s := startServer(t)
	c := ctx(t)
	cf := s.cf
	created, err := cf.CreateDistributionWithTags(c, &cloudfront.CreateDistributionWithTagsInput{
		DistributionConfigWithTags: &types.DistributionConfigWithTags{
			DistributionConfig: terraformDistributionConfig("terraform-20261206", true),
			Tags:               &types.Tags{Items: []types.Tag{{Key: aws.String("Name"), Value: aws.String("site")}}},
		},
	})
	if err != nil {
		t.Fatalf("CreateDistributionWithTags: %v", err)
	}
	id := aws.ToString(created.Distribution.Id)
	assertMembers(t, "CreateDistributionWithTags", created, withoutETag(distributionPaths()))
	if aws.ToString(created.ETag) == "" || aws.ToString(created.Location) == "" {
		t.Errorf("CreateDistributionWithTags: ETag %q, Location %q", aws.ToString(created.ETag), aws.ToString(created.Location))
	}
	// Without tags in the configuration the provider still sends an empty
	// Tags element (Items: []).
	untagged, err := cf.CreateDistributionWithTags(c, &cloudfront.CreateDistributionWithTagsInput{
		DistributionConfigWithTags: &types.DistributionConfigWithTags{
			DistributionConfig: terraformDistributionConfig("terraform-untagged", false),
			Tags:               &types.Tags{Items: []types.Tag{}},
		},
	})
	if err != nil {
		t.Fatalf("CreateDistributionWithTags with empty Tags: %v", err)
	}
	if tags, err := cf.ListTagsForResource(c, &cloudfront.ListTagsForResourceInput{Resource: untagged.Distribution.ARN}); err != nil || tags.Tags == nil || len(tags.Tags.Items) != 0 {
		t.Errorf("ListTagsForResource of the untagged distribution = %+v, %v", tags, err)
	}
	// Sent without OriginGroups, it is read back with OriginGroups
	// (Quantity 0), which the provider dereferences.
	assertMembers(t, "CreateDistributionWithTags (no origin group)", untagged, withoutETag(distributionPaths()))
	waitDeployed(t, cf, aws.ToString(untagged.Distribution.Id))

	// waitDistributionDeployed; then resourceDistributionRead.
	read := waitDeployed(t, cf, id)
	tags, err := cf.ListTagsForResource(c, &cloudfront.ListTagsForResourceInput{Resource: read.Distribution.ARN})
	if err != nil {
		t.Fatalf("ListTagsForResource: %v", err)
	}
	if tags.Tags == nil || len(tags.Tags.Items) != 1 || aws.ToString(tags.Tags.Items[0].Key) != "Name" || aws.ToString(tags.Tags.Items[0].Value) != "site" {
		t.Errorf("ListTagsForResource = %+v", tags.Tags)
	}
	// A change of tags alone: updateTags untags the removed keys and tags
	// the new ones, then the read lists them again.
	arn := read.Distribution.ARN
	if _, err := cf.UntagResource(c, &cloudfront.UntagResourceInput{Resource: arn, TagKeys: &types.TagKeys{Items: []string{"Name"}}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	if _, err := cf.TagResource(c, &cloudfront.TagResourceInput{Resource: arn, Tags: &types.Tags{Items: []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}}}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	tags, err = cf.ListTagsForResource(c, &cloudfront.ListTagsForResourceInput{Resource: arn})
	if err != nil || tags.Tags == nil || len(tags.Tags.Items) != 1 || aws.ToString(tags.Tags.Items[0].Key) != "env" {
		t.Errorf("ListTagsForResource after the tag change = %+v, %v", tags, err)
	}

	// resourceDistributionUpdate: the config rebuilt from the Terraform
	// configuration, If-Match the ETag in state. Someone changed the
	// distribution since (the state's ETag is stale): PreconditionFailed,
	// refetch the ETag, send again.
	staleETag := read.ETag
	other := read.Distribution.DistributionConfig
	other.Comment = aws.String("changed outside terraform")
	if _, err := cf.UpdateDistribution(c, &cloudfront.UpdateDistributionInput{Id: aws.String(id), IfMatch: staleETag, DistributionConfig: other}); err != nil {
		t.Fatalf("out-of-band UpdateDistribution: %v", err)
	}
	want := terraformDistributionConfig("terraform-20261206", true)
	want.Comment = aws.String("updated by terraform")
	upd := &cloudfront.UpdateDistributionInput{Id: aws.String(id), IfMatch: staleETag, DistributionConfig: want}
	_, err = cf.UpdateDistribution(c, upd)
	if !isA[*types.PreconditionFailed](err) {
		t.Fatalf("UpdateDistribution with a stale ETag: %v, want PreconditionFailed", err)
	}
	fresh, err := cf.GetDistribution(c, &cloudfront.GetDistributionInput{Id: aws.String(id)})
	if err != nil {
		t.Fatalf("GetDistribution (refetch ETag): %v", err)
	}
	upd.IfMatch = fresh.ETag
	updated, err := cf.UpdateDistribution(c, upd)
	if err != nil {
		t.Fatalf("UpdateDistribution with the refetched ETag: %v", err)
	}
	assertMembers(t, "UpdateDistribution", updated, distributionPaths())
	read = waitDeployed(t, cf, id)
	if got := aws.ToString(read.Distribution.DistributionConfig.Comment); got != "updated by terraform" {
		t.Errorf("comment after update = %q", got)
	}

	// resourceDistributionDelete -> disableDistribution: the deployed
	// config read back, sent unchanged but for Enabled=false.
	cfg := read.Distribution.DistributionConfig
	cfg.Enabled = aws.Bool(false)
	disabling, err := cf.UpdateDistribution(c, &cloudfront.UpdateDistributionInput{Id: aws.String(id), IfMatch: read.ETag, DistributionConfig: cfg})
	if err != nil {
		t.Fatalf("UpdateDistribution (disable, config read back): %v", err)
	}
	assertMembers(t, "UpdateDistribution (disable)", disabling, distributionPaths())
	disabled := waitDeployed(t, cf, id)
	if aws.ToBool(disabled.Distribution.DistributionConfig.Enabled) {
		t.Fatal("still enabled after the disabling update")
	}
	// deleteDistribution: a fresh ETag, then wait until it is gone.
	etag := getETag(t, cf, id)
	if _, err := cf.DeleteDistribution(c, &cloudfront.DeleteDistributionInput{Id: aws.String(id), IfMatch: aws.String(etag)}); err != nil {
		t.Fatalf("DeleteDistribution: %v", err)
	}
	poll(t, "GetDistribution until NoSuchDistribution", func() (bool, string, error) {
		out, err := cf.GetDistribution(c, &cloudfront.GetDistributionInput{Id: aws.String(id)})
		if isA[*types.NoSuchDistribution](err) {
			return true, "", nil
		}
		if err != nil {
			return false, "", err
		}
		return false, aws.ToString(out.Distribution.Status), nil
	})
}

func withoutETag(paths []string) []string {
	var out []string
	for _, p := range paths {
		if p != "ETag" {
			out = append(out, p)
		}
	}
	return out
}

// waitDeployed is waitDistributionDeployed: GetDistribution until Deployed
// (InProgress is the only pending state).
func waitDeployed(t *testing.T, cf *cloudfront.Client, id string) *cloudfront.GetDistributionOutput {
	t.Helper()
	return waitDeployedWith(t, cf, id, distributionPaths())
}

// waitDeployedWith is waitDeployed for a distribution whose reads carry
// paths.
func waitDeployedWith(t *testing.T, cf *cloudfront.Client, id string, paths []string) *cloudfront.GetDistributionOutput {
	t.Helper()
	var last *cloudfront.GetDistributionOutput
	poll(t, "GetDistribution until Deployed", func() (bool, string, error) {
		out, err := cf.GetDistribution(ctx(t), &cloudfront.GetDistributionInput{Id: aws.String(id)})
		if err != nil {
			return false, "", err
		}
		if out.Distribution == nil || out.Distribution.DistributionConfig == nil {
			return false, "", fmt.Errorf("empty result")
		}
		assertMembers(t, "GetDistribution", out, paths)
		last = out
		switch st := aws.ToString(out.Distribution.Status); st {
		case "Deployed":
			return true, st, nil
		case "InProgress":
			return false, st, nil
		default:
			return false, st, fmt.Errorf("unexpected state %q", st)
		}
	})
	return last
}

func getETag(t *testing.T, cf *cloudfront.Client, id string) string {
	t.Helper()
	out, err := cf.GetDistribution(ctx(t), &cloudfront.GetDistributionInput{Id: aws.String(id)})
	if err != nil {
		t.Fatalf("GetDistribution: %v", err)
	}
	if aws.ToString(out.ETag) == "" {
		t.Fatal("GetDistribution returned no ETag")
	}
	return aws.ToString(out.ETag)
}

// lifecycle is the provider's sequence for the resources without a
// deployment wait: create, read, update with If-Match (PreconditionFailed
// with a stale ETag, then again with a refetched one), read, delete with
// If-Match, read until NoSuch*.
type lifecycle struct {
	create func() (id string, err error)
	// read returns the Get output (checked against paths) and its ETag.
	read   func(id string) (out any, etag string, err error)
	paths  []string
	update func(id, etag string, n int) error
	delete func(id, etag string) error
	// gone reports whether err is the resource's NoSuch* error.
	gone func(err error) bool
}

func (l lifecycle) run(t *testing.T) {
	t.Helper()
	id, err := l.create()
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	out, etag, err := l.read(id)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	assertMembers(t, "read after create", out, l.paths)
	// A change made elsewhere makes the state's ETag stale.
	if err := l.update(id, etag, 1); err != nil {
		t.Fatalf("update: %v", err)
	}
	if err := l.update(id, etag, 2); !isA[*types.PreconditionFailed](err) {
		t.Fatalf("update with a stale ETag: %v, want PreconditionFailed", err)
	}
	_, etag, err = l.read(id)
	if err != nil {
		t.Fatalf("refetch: %v", err)
	}
	if err := l.update(id, etag, 2); err != nil {
		t.Fatalf("update with the refetched ETag: %v", err)
	}
	out, etag, err = l.read(id)
	if err != nil {
		t.Fatalf("read after update: %v", err)
	}
	assertMembers(t, "read after update", out, l.paths)
	if err := l.delete(id, etag); err != nil {
		t.Fatalf("delete: %v", err)
	}
	poll(t, "read until gone", func() (bool, string, error) {
		_, _, err := l.read(id)
		if err == nil {
			return false, "exists", nil
		}
		if l.gone(err) {
			return true, "", nil
		}
		return false, "", err
	})
}

func TestTerraform_cachePolicy(t *testing.T) {
	s := startServer(t)
	c, cf := ctx(t), s.cf
	config := func(n int) *types.CachePolicyConfig {
		return &types.CachePolicyConfig{
			Name: aws.String("tf-cache"), Comment: aws.String(fmt.Sprintf("revision %d", n)),
			MinTTL: aws.Int64(1), DefaultTTL: aws.Int64(50), MaxTTL: aws.Int64(100),
			ParametersInCacheKeyAndForwardedToOrigin: &types.ParametersInCacheKeyAndForwardedToOrigin{
				EnableAcceptEncodingBrotli: aws.Bool(true), EnableAcceptEncodingGzip: aws.Bool(true),
				CookiesConfig:      &types.CachePolicyCookiesConfig{CookieBehavior: types.CachePolicyCookieBehaviorWhitelist, Cookies: &types.CookieNames{Quantity: aws.Int32(1), Items: []string{"sid"}}},
				HeadersConfig:      &types.CachePolicyHeadersConfig{HeaderBehavior: types.CachePolicyHeaderBehaviorNone},
				QueryStringsConfig: &types.CachePolicyQueryStringsConfig{QueryStringBehavior: types.CachePolicyQueryStringBehaviorAll},
			},
		}
	}
	p := "CachePolicy.CachePolicyConfig."
	lifecycle{
		create: func() (string, error) {
			out, err := cf.CreateCachePolicy(c, &cloudfront.CreateCachePolicyInput{CachePolicyConfig: config(0)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.CachePolicy.Id), nil
		},
		read: func(id string) (any, string, error) {
			out, err := cf.GetCachePolicy(c, &cloudfront.GetCachePolicyInput{Id: aws.String(id)})
			if err != nil {
				return nil, "", err
			}
			return out, aws.ToString(out.ETag), nil
		},
		paths: []string{"ETag", "CachePolicy.Id", "CachePolicy.LastModifiedTime",
			p + "Name", p + "Comment", p + "MinTTL", p + "DefaultTTL", p + "MaxTTL",
			p + "ParametersInCacheKeyAndForwardedToOrigin.EnableAcceptEncodingBrotli",
			p + "ParametersInCacheKeyAndForwardedToOrigin.EnableAcceptEncodingGzip",
			p + "ParametersInCacheKeyAndForwardedToOrigin.CookiesConfig.CookieBehavior",
			p + "ParametersInCacheKeyAndForwardedToOrigin.CookiesConfig.Cookies.Quantity",
			p + "ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig.HeaderBehavior",
			p + "ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig.QueryStringBehavior",
		},
		update: func(id, etag string, n int) error {
			_, err := cf.UpdateCachePolicy(c, &cloudfront.UpdateCachePolicyInput{Id: aws.String(id), IfMatch: aws.String(etag), CachePolicyConfig: config(n)})
			return err
		},
		delete: func(id, etag string) error {
			_, err := cf.DeleteCachePolicy(c, &cloudfront.DeleteCachePolicyInput{Id: aws.String(id), IfMatch: aws.String(etag)})
			return err
		},
		gone: isA[*types.NoSuchCachePolicy],
	}.run(t)
}

func TestTerraform_originRequestPolicy(t *testing.T) {
	s := startServer(t)
	c, cf := ctx(t), s.cf
	config := func(n int) *types.OriginRequestPolicyConfig {
		return &types.OriginRequestPolicyConfig{
			Name: aws.String("tf-orp"), Comment: aws.String(fmt.Sprintf("revision %d", n)),
			CookiesConfig:      &types.OriginRequestPolicyCookiesConfig{CookieBehavior: types.OriginRequestPolicyCookieBehaviorNone},
			HeadersConfig:      &types.OriginRequestPolicyHeadersConfig{HeaderBehavior: types.OriginRequestPolicyHeaderBehaviorWhitelist, Headers: &types.Headers{Quantity: aws.Int32(1), Items: []string{"Accept-Language"}}},
			QueryStringsConfig: &types.OriginRequestPolicyQueryStringsConfig{QueryStringBehavior: types.OriginRequestPolicyQueryStringBehaviorAll},
		}
	}
	p := "OriginRequestPolicy.OriginRequestPolicyConfig."
	lifecycle{
		create: func() (string, error) {
			out, err := cf.CreateOriginRequestPolicy(c, &cloudfront.CreateOriginRequestPolicyInput{OriginRequestPolicyConfig: config(0)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.OriginRequestPolicy.Id), nil
		},
		read: func(id string) (any, string, error) {
			out, err := cf.GetOriginRequestPolicy(c, &cloudfront.GetOriginRequestPolicyInput{Id: aws.String(id)})
			if err != nil {
				return nil, "", err
			}
			return out, aws.ToString(out.ETag), nil
		},
		paths: []string{"ETag", "OriginRequestPolicy.Id", "OriginRequestPolicy.LastModifiedTime",
			p + "Name", p + "Comment",
			p + "CookiesConfig.CookieBehavior", p + "HeadersConfig.HeaderBehavior", p + "HeadersConfig.Headers.Quantity",
			p + "QueryStringsConfig.QueryStringBehavior",
		},
		update: func(id, etag string, n int) error {
			_, err := cf.UpdateOriginRequestPolicy(c, &cloudfront.UpdateOriginRequestPolicyInput{Id: aws.String(id), IfMatch: aws.String(etag), OriginRequestPolicyConfig: config(n)})
			return err
		},
		delete: func(id, etag string) error {
			_, err := cf.DeleteOriginRequestPolicy(c, &cloudfront.DeleteOriginRequestPolicyInput{Id: aws.String(id), IfMatch: aws.String(etag)})
			return err
		},
		gone: isA[*types.NoSuchOriginRequestPolicy],
	}.run(t)
}

func TestTerraform_originAccessControl(t *testing.T) {
	s := startServer(t)
	c, cf := ctx(t), s.cf
	config := func(n int) *types.OriginAccessControlConfig {
		return &types.OriginAccessControlConfig{
			Name: aws.String("tf-oac"), Description: aws.String(fmt.Sprintf("revision %d", n)),
			OriginAccessControlOriginType: types.OriginAccessControlOriginTypesS3,
			SigningBehavior:               types.OriginAccessControlSigningBehaviorsAlways,
			SigningProtocol:               types.OriginAccessControlSigningProtocolsSigv4,
		}
	}
	p := "OriginAccessControl.OriginAccessControlConfig."
	lifecycle{
		create: func() (string, error) {
			out, err := cf.CreateOriginAccessControl(c, &cloudfront.CreateOriginAccessControlInput{OriginAccessControlConfig: config(0)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.OriginAccessControl.Id), nil
		},
		read: func(id string) (any, string, error) {
			out, err := cf.GetOriginAccessControl(c, &cloudfront.GetOriginAccessControlInput{Id: aws.String(id)})
			if err != nil {
				return nil, "", err
			}
			return out, aws.ToString(out.ETag), nil
		},
		paths: []string{"ETag", "OriginAccessControl.Id",
			p + "Name", p + "Description", p + "OriginAccessControlOriginType", p + "SigningBehavior", p + "SigningProtocol"},
		update: func(id, etag string, n int) error {
			_, err := cf.UpdateOriginAccessControl(c, &cloudfront.UpdateOriginAccessControlInput{Id: aws.String(id), IfMatch: aws.String(etag), OriginAccessControlConfig: config(n)})
			return err
		},
		delete: func(id, etag string) error {
			_, err := cf.DeleteOriginAccessControl(c, &cloudfront.DeleteOriginAccessControlInput{Id: aws.String(id), IfMatch: aws.String(etag)})
			return err
		},
		gone: isA[*types.NoSuchOriginAccessControl],
	}.run(t)
}

func TestTerraform_originAccessIdentity(t *testing.T) {
	s := startServer(t)
	c, cf := ctx(t), s.cf
	config := func(n int) *types.CloudFrontOriginAccessIdentityConfig {
		return &types.CloudFrontOriginAccessIdentityConfig{CallerReference: aws.String("terraform-oai"), Comment: aws.String(fmt.Sprintf("revision %d", n))}
	}
	p := "CloudFrontOriginAccessIdentity."
	lifecycle{
		create: func() (string, error) {
			out, err := cf.CreateCloudFrontOriginAccessIdentity(c, &cloudfront.CreateCloudFrontOriginAccessIdentityInput{CloudFrontOriginAccessIdentityConfig: config(0)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.CloudFrontOriginAccessIdentity.Id), nil
		},
		read: func(id string) (any, string, error) {
			out, err := cf.GetCloudFrontOriginAccessIdentity(c, &cloudfront.GetCloudFrontOriginAccessIdentityInput{Id: aws.String(id)})
			if err != nil {
				return nil, "", err
			}
			return out, aws.ToString(out.ETag), nil
		},
		paths: []string{"ETag", p + "Id", p + "S3CanonicalUserId",
			p + "CloudFrontOriginAccessIdentityConfig.CallerReference", p + "CloudFrontOriginAccessIdentityConfig.Comment"},
		update: func(id, etag string, n int) error {
			_, err := cf.UpdateCloudFrontOriginAccessIdentity(c, &cloudfront.UpdateCloudFrontOriginAccessIdentityInput{Id: aws.String(id), IfMatch: aws.String(etag), CloudFrontOriginAccessIdentityConfig: config(n)})
			return err
		},
		delete: func(id, etag string) error {
			_, err := cf.DeleteCloudFrontOriginAccessIdentity(c, &cloudfront.DeleteCloudFrontOriginAccessIdentityInput{Id: aws.String(id), IfMatch: aws.String(etag)})
			return err
		},
		gone: isA[*types.NoSuchCloudFrontOriginAccessIdentity],
	}.run(t)
}

// TestTerraform_publicKeyAndKeyGroup: aws_cloudfront_public_key, then
// aws_cloudfront_key_group naming it (deleted first, as Terraform orders
// it by the dependency).
func TestTerraform_publicKeyAndKeyGroup(t *testing.T) {
	s := startServer(t)
	c, cf := ctx(t), s.cf
	pemKey := publicKeyPEM(t)
	keyConfig := func(n int) *types.PublicKeyConfig {
		return &types.PublicKeyConfig{CallerReference: aws.String("terraform-key"), Name: aws.String("tf-key"),
			EncodedKey: aws.String(pemKey), Comment: aws.String(fmt.Sprintf("revision %d", n))}
	}
	keyID := ""
	t.Run("key group", func(t *testing.T) {
		out, err := cf.CreatePublicKey(c, &cloudfront.CreatePublicKeyInput{PublicKeyConfig: keyConfig(0)})
		if err != nil {
			t.Fatalf("CreatePublicKey: %v", err)
		}
		keyID = aws.ToString(out.PublicKey.Id)
		groupConfig := func(n int) *types.KeyGroupConfig {
			return &types.KeyGroupConfig{Name: aws.String("tf-group"), Items: []string{keyID}, Comment: aws.String(fmt.Sprintf("revision %d", n))}
		}
		p := "KeyGroup.KeyGroupConfig."
		lifecycle{
			create: func() (string, error) {
				out, err := cf.CreateKeyGroup(c, &cloudfront.CreateKeyGroupInput{KeyGroupConfig: groupConfig(0)})
				if err != nil {
					return "", err
				}
				return aws.ToString(out.KeyGroup.Id), nil
			},
			read: func(id string) (any, string, error) {
				out, err := cf.GetKeyGroup(c, &cloudfront.GetKeyGroupInput{Id: aws.String(id)})
				if err != nil {
					return nil, "", err
				}
				if out.KeyGroup != nil && out.KeyGroup.KeyGroupConfig != nil && strings.Join(out.KeyGroup.KeyGroupConfig.Items, ",") != keyID {
					return nil, "", fmt.Errorf("key group items %v, want [%s]", out.KeyGroup.KeyGroupConfig.Items, keyID)
				}
				return out, aws.ToString(out.ETag), nil
			},
			paths: []string{"ETag", "KeyGroup.Id", "KeyGroup.LastModifiedTime", p + "Name", p + "Comment"},
			update: func(id, etag string, n int) error {
				_, err := cf.UpdateKeyGroup(c, &cloudfront.UpdateKeyGroupInput{Id: aws.String(id), IfMatch: aws.String(etag), KeyGroupConfig: groupConfig(n)})
				return err
			},
			delete: func(id, etag string) error {
				_, err := cf.DeleteKeyGroup(c, &cloudfront.DeleteKeyGroupInput{Id: aws.String(id), IfMatch: aws.String(etag)})
				return err
			},
			gone: isA[*types.NoSuchResource],
		}.run(t)
	})
	if keyID == "" {
		return
	}
	p := "PublicKey.PublicKeyConfig."
	lifecycle{
		// The key exists already (the key group needed it).
		create: func() (string, error) { return keyID, nil },
		read: func(id string) (any, string, error) {
			out, err := cf.GetPublicKey(c, &cloudfront.GetPublicKeyInput{Id: aws.String(id)})
			if err != nil {
				return nil, "", err
			}
			return out, aws.ToString(out.ETag), nil
		},
		paths: []string{"ETag", "PublicKey.Id", "PublicKey.CreatedTime", p + "CallerReference", p + "Name", p + "EncodedKey", p + "Comment"},
		update: func(id, etag string, n int) error {
			_, err := cf.UpdatePublicKey(c, &cloudfront.UpdatePublicKeyInput{Id: aws.String(id), IfMatch: aws.String(etag), PublicKeyConfig: keyConfig(n)})
			return err
		},
		delete: func(id, etag string) error {
			_, err := cf.DeletePublicKey(c, &cloudfront.DeletePublicKeyInput{Id: aws.String(id), IfMatch: aws.String(etag)})
			return err
		},
		gone: isA[*types.NoSuchPublicKey],
	}.run(t)
}

func publicKeyPEM(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// TestTerraform_managedPolicyDataSources: data "aws_cloudfront_cache_policy"
// and data "aws_cloudfront_origin_request_policy" by name, the usual way
// configurations name the managed policies: list every page (Marker /
// NextMarker), match CachePolicyConfig.Name (dereferenced without a nil
// check), then read the policy by id.
func TestTerraform_managedPolicyDataSources(t *testing.T) {
	s := startServer(t)
	c, cf := ctx(t), s.cf

	cacheID := ""
	var marker *string
	for pages := 0; cacheID == ""; pages++ {
		out, err := cf.ListCachePolicies(c, &cloudfront.ListCachePoliciesInput{Marker: marker})
		if err != nil {
			t.Fatalf("ListCachePolicies: %v", err)
		}
		assertMembers(t, "ListCachePolicies", out, []string{"CachePolicyList.Quantity", "CachePolicyList.MaxItems",
			"CachePolicyList.Items[].Type", "CachePolicyList.Items[].CachePolicy.Id", "CachePolicyList.Items[].CachePolicy.CachePolicyConfig.Name"})
		if out.CachePolicyList == nil {
			t.FailNow()
		}
		for _, it := range out.CachePolicyList.Items {
			if it.CachePolicy != nil && it.CachePolicy.CachePolicyConfig != nil && aws.ToString(it.CachePolicy.CachePolicyConfig.Name) == "Managed-CachingOptimized" {
				cacheID = aws.ToString(it.CachePolicy.Id)
			}
		}
		if marker = out.CachePolicyList.NextMarker; aws.ToString(marker) == "" || pages > 20 {
			break
		}
	}
	if cacheID != managedCachingOptimized {
		t.Fatalf("Managed-CachingOptimized listed with id %q, want %s", cacheID, managedCachingOptimized)
	}
	policy, err := cf.GetCachePolicy(c, &cloudfront.GetCachePolicyInput{Id: aws.String(cacheID)})
	if err != nil {
		t.Fatalf("GetCachePolicy: %v", err)
	}
	p := "CachePolicy.CachePolicyConfig."
	assertMembers(t, "GetCachePolicy (managed)", policy, []string{"ETag", "CachePolicy.Id", "CachePolicy.LastModifiedTime",
		p + "Name", p + "Comment", p + "MinTTL", p + "DefaultTTL", p + "MaxTTL",
		p + "ParametersInCacheKeyAndForwardedToOrigin.EnableAcceptEncodingBrotli",
		p + "ParametersInCacheKeyAndForwardedToOrigin.EnableAcceptEncodingGzip",
		p + "ParametersInCacheKeyAndForwardedToOrigin.CookiesConfig.CookieBehavior",
		p + "ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig.HeaderBehavior",
		p + "ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig.QueryStringBehavior"})

	orpID := ""
	marker = nil
	for pages := 0; orpID == ""; pages++ {
		out, err := cf.ListOriginRequestPolicies(c, &cloudfront.ListOriginRequestPoliciesInput{Marker: marker})
		if err != nil {
			t.Fatalf("ListOriginRequestPolicies: %v", err)
		}
		assertMembers(t, "ListOriginRequestPolicies", out, []string{"OriginRequestPolicyList.Quantity", "OriginRequestPolicyList.MaxItems",
			"OriginRequestPolicyList.Items[].Type", "OriginRequestPolicyList.Items[].OriginRequestPolicy.Id",
			"OriginRequestPolicyList.Items[].OriginRequestPolicy.OriginRequestPolicyConfig.Name"})
		if out.OriginRequestPolicyList == nil {
			t.FailNow()
		}
		for _, it := range out.OriginRequestPolicyList.Items {
			if it.OriginRequestPolicy != nil && it.OriginRequestPolicy.OriginRequestPolicyConfig != nil &&
				aws.ToString(it.OriginRequestPolicy.OriginRequestPolicyConfig.Name) == "Managed-AllViewer" {
				orpID = aws.ToString(it.OriginRequestPolicy.Id)
			}
		}
		if marker = out.OriginRequestPolicyList.NextMarker; aws.ToString(marker) == "" || pages > 20 {
			break
		}
	}
	if orpID == "" {
		t.Fatal("Managed-AllViewer is not listed")
	}
	orp, err := cf.GetOriginRequestPolicy(c, &cloudfront.GetOriginRequestPolicyInput{Id: aws.String(orpID)})
	if err != nil {
		t.Fatalf("GetOriginRequestPolicy: %v", err)
	}
	p = "OriginRequestPolicy.OriginRequestPolicyConfig."
	assertMembers(t, "GetOriginRequestPolicy (managed)", orp, []string{"ETag", "OriginRequestPolicy.Id",
		p + "Name", p + "Comment", p + "CookiesConfig.CookieBehavior", p + "HeadersConfig.HeaderBehavior",
		p + "QueryStringsConfig.QueryStringBehavior"})
}

// TestTerraform_realtimeLogConfig: aws_cloudfront_realtime_log_config's
// calls (create, read by ARN, update by ARN, delete by ARN, read after
// delete is NoSuchRealtimeLogConfig) and the distribution attachment, which
// makes the delete RealtimeLogConfigInUse until the behaviour lets go.
func TestTerraform_realtimeLogConfig(t *testing.T) {
	s := startServer(t)
	c, cf := ctx(t), s.cf
	endpoints := []types.EndPoint{{StreamType: aws.String("Kinesis"), KinesisStreamConfig: &types.KinesisStreamConfig{
		RoleARN: aws.String("arn:aws:iam::123456789012:role/tf-rt"), StreamARN: aws.String("arn:aws:kinesis:us-east-1:123456789012:stream/tf-rt")}}}
	created, err := cf.CreateRealtimeLogConfig(c, &cloudfront.CreateRealtimeLogConfigInput{
		Name: aws.String("tf-rt"), SamplingRate: aws.Int64(50), Fields: []string{"timestamp", "c-ip"}, EndPoints: endpoints})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.RealtimeLogConfig.ARN)
	if arn != "arn:aws:cloudfront::123456789012:realtime-log-config/tf-rt" {
		t.Fatalf("ARN %q", arn)
	}
	got, err := cf.GetRealtimeLogConfig(c, &cloudfront.GetRealtimeLogConfigInput{ARN: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	rc := got.RealtimeLogConfig
	if aws.ToString(rc.Name) != "tf-rt" || aws.ToInt64(rc.SamplingRate) != 50 || len(rc.Fields) != 2 || len(rc.EndPoints) != 1 ||
		aws.ToString(rc.EndPoints[0].KinesisStreamConfig.StreamARN) != "arn:aws:kinesis:us-east-1:123456789012:stream/tf-rt" {
		t.Fatalf("read %+v", rc)
	}
	updated, err := cf.UpdateRealtimeLogConfig(c, &cloudfront.UpdateRealtimeLogConfigInput{
		ARN: aws.String(arn), SamplingRate: aws.Int64(5), Fields: []string{"sc-status"}, EndPoints: endpoints})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt64(updated.RealtimeLogConfig.SamplingRate) != 5 || aws.ToString(updated.RealtimeLogConfig.Name) != "tf-rt" {
		t.Fatalf("updated %+v", updated.RealtimeLogConfig)
	}
	list, err := cf.ListRealtimeLogConfigs(c, &cloudfront.ListRealtimeLogConfigsInput{})
	if err != nil || len(list.RealtimeLogConfigs.Items) != 1 || aws.ToString(list.RealtimeLogConfigs.Items[0].ARN) != arn {
		t.Fatalf("list %+v %v", list, err)
	}

	cfg := terraformDistributionConfig("tf-rt-dist", false)
	cfg.DefaultCacheBehavior.RealtimeLogConfigArn = aws.String(arn)
	d, err := cf.CreateDistribution(c, &cloudfront.CreateDistributionInput{DistributionConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	byConfig, err := cf.ListDistributionsByRealtimeLogConfig(c, &cloudfront.ListDistributionsByRealtimeLogConfigInput{RealtimeLogConfigArn: aws.String(arn)})
	if err != nil || len(byConfig.DistributionList.Items) != 1 || aws.ToString(byConfig.DistributionList.Items[0].Id) != aws.ToString(d.Distribution.Id) {
		t.Fatalf("distributions by config: %+v %v", byConfig, err)
	}
	if _, err := cf.DeleteRealtimeLogConfig(c, &cloudfront.DeleteRealtimeLogConfigInput{ARN: aws.String(arn)}); !isA[*types.RealtimeLogConfigInUse](err) {
		t.Fatalf("delete of a config in use: %v", err)
	}
	cfg.DefaultCacheBehavior.RealtimeLogConfigArn = nil
	if _, err := cf.UpdateDistribution(c, &cloudfront.UpdateDistributionInput{Id: d.Distribution.Id, IfMatch: d.ETag, DistributionConfig: cfg}); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.DeleteRealtimeLogConfig(c, &cloudfront.DeleteRealtimeLogConfigInput{ARN: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.GetRealtimeLogConfig(c, &cloudfront.GetRealtimeLogConfigInput{ARN: aws.String(arn)}); !isA[*types.NoSuchRealtimeLogConfig](err) {
		t.Fatalf("read after delete: %v", err)
	}
}
