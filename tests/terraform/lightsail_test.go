package terraform

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lightsail"
	"github.com/aws/aws-sdk-go-v2/service/lightsail/types"
)

// The members aws_lightsail_distribution reads (resourceDistributionRead
// and its flatteners in hashicorp/terraform-provider-aws,
// internal/service/lightsail/distribution.go); it dereferences CreatedAt
// without a nil check.
var lightsailDistributionMembers = []string{
	"Name", "Arn", "SupportCode", "CreatedAt", "ResourceType", "Status", "IsEnabled", "DomainName", "BundleId",
	"Location.AvailabilityZone", "Location.RegionName",
	"Origin.Name", "Origin.RegionName", "Origin.ResourceType", "Origin.ProtocolPolicy", "Origin.ResponseTimeout",
	"OriginPublicDNS", "DefaultCacheBehavior.Behavior",
	"CacheBehaviorSettings.AllowedHTTPMethods", "CacheBehaviorSettings.CachedHTTPMethods",
	"CacheBehaviorSettings.DefaultTTL", "CacheBehaviorSettings.MinimumTTL", "CacheBehaviorSettings.MaximumTTL",
	"CacheBehaviorSettings.ForwardedCookies.Option", "CacheBehaviorSettings.ForwardedHeaders.Option",
	"CacheBehaviorSettings.ForwardedQueryStrings.Option",
	"CacheBehaviors[].Path", "CacheBehaviors[].Behavior",
	"AbleToUpdateBundle", "IpAddressType", "ViewerMinimumTlsProtocolVersion", "Tags[].Key",
}

// operationMembers are what the provider's waitOperation reads (Status),
// and what the Operation shape always carries.
var operationMembers = []string{
	"Id", "ResourceName", "ResourceType", "CreatedAt", "Location.RegionName", "IsTerminal",
	"OperationType", "Status", "StatusChangedAt",
}

func prefixed(prefix string, members []string) []string {
	out := make([]string, len(members))
	for i, m := range members {
		out[i] = prefix + m
	}
	return out
}

// TestTerraform_lightsailDistribution drives aws_lightsail_distribution:
// CreateDistribution as the provider builds it (forwardedHeaders option
// "default", from its documentation), GetOperation until Succeeded after
// every change, GetDistributions to read, UpdateDistribution,
// SetIpAddressType and UpdateDistributionBundle, DeleteDistribution, and
// the destroy check (GetDistributions: NotFoundException).
func TestTerraform_lightsailDistribution(t *testing.T) {
	s := startServer(t)
	c, ls := ctx(t), s.ls
	const name = "tf-site"

	waitOperation := func(what string, op *types.Operation) {
		t.Helper()
		if op == nil || op.Id == nil {
			t.Fatalf("%s returned no operation", what)
		}
		assertMembers(t, what+" operation", op, operationMembers)
		poll(t, "GetOperation after "+what, func() (bool, string, error) {
			out, err := ls.GetOperation(c, &lightsail.GetOperationInput{OperationId: op.Id})
			if err != nil {
				return false, "", err
			}
			assertMembers(t, "GetOperation", out, prefixed("Operation.", operationMembers))
			if out.Operation == nil {
				return false, "", nil
			}
			switch st := out.Operation.Status; st {
			case types.OperationStatusSucceeded, types.OperationStatusCompleted:
				if aws.ToString(out.Operation.Id) != aws.ToString(op.Id) || out.Operation.OperationType != op.OperationType {
					t.Errorf("GetOperation returned %+v for %+v", out.Operation, op)
				}
				return true, string(st), nil
			case types.OperationStatusStarted:
				return false, string(st), nil
			default:
				return false, string(st), nil
			}
		})
	}
	read := func() types.LightsailDistribution {
		t.Helper()
		out, err := ls.GetDistributions(c, &lightsail.GetDistributionsInput{DistributionName: aws.String(name)})
		if err != nil {
			t.Fatalf("GetDistributions: %v", err)
		}
		if len(out.Distributions) != 1 {
			t.Fatalf("GetDistributions returned %d distributions", len(out.Distributions))
		}
		assertMembers(t, "GetDistributions", &out.Distributions[0], lightsailDistributionMembers)
		return out.Distributions[0]
	}

	bundles, err := ls.GetDistributionBundles(c, &lightsail.GetDistributionBundlesInput{})
	if err != nil {
		t.Fatalf("GetDistributionBundles: %v", err)
	}
	if len(bundles.Bundles) == 0 {
		t.Fatal("no bundles")
	}
	assertMembers(t, "GetDistributionBundles", bundles, []string{
		"Bundles[].BundleId", "Bundles[].Name", "Bundles[].Price", "Bundles[].TransferPerMonthInGb", "Bundles[].IsActive"})

	created, err := ls.CreateDistribution(c, &lightsail.CreateDistributionInput{
		DistributionName:     aws.String(name),
		BundleId:             aws.String("small_1_0"),
		DefaultCacheBehavior: &types.CacheBehavior{Behavior: types.BehaviorEnumCacheSetting},
		Origin:               &types.InputOrigin{Name: aws.String("web-bucket"), RegionName: types.RegionNameUsEast1},
		IpAddressType:        types.IpAddressTypeDualstack,
		Tags:                 []types.Tag{{Key: aws.String("Name"), Value: aws.String("site")}},
		CacheBehaviorSettings: &types.CacheSettings{
			AllowedHTTPMethods: aws.String("GET,HEAD,OPTIONS,PUT,PATCH,POST,DELETE"), CachedHTTPMethods: aws.String("GET,HEAD"),
			DefaultTTL: aws.Int64(86400), MaximumTTL: aws.Int64(31536000), MinimumTTL: aws.Int64(0),
			ForwardedCookies:      &types.CookieObject{Option: types.ForwardValuesNone},
			ForwardedHeaders:      &types.HeaderObject{Option: "default"},
			ForwardedQueryStrings: &types.QueryStringObject{Option: aws.Bool(false)},
		},
		CacheBehaviors: []types.CacheBehaviorPerPath{{Path: aws.String("/admin/*"), Behavior: types.BehaviorEnumDontCacheSetting}},
	})
	if err != nil {
		t.Fatalf("CreateDistribution: %v", err)
	}
	if created.Distribution == nil {
		t.Fatal("CreateDistribution returned no distribution")
	}
	waitOperation("CreateDistribution", created.Operation)
	d := read()
	if got := d.CacheBehaviorSettings.ForwardedHeaders.Option; got != "default" {
		t.Errorf("forwardedHeaders.option = %q, want \"default\" as sent (what AWS returns)", got)
	}

	// is_enabled = false on create: an UpdateDistribution right after.
	upd, err := ls.UpdateDistribution(c, &lightsail.UpdateDistributionInput{DistributionName: aws.String(name), IsEnabled: aws.Bool(false)})
	if err != nil {
		t.Fatalf("UpdateDistribution: %v", err)
	}
	waitOperation("UpdateDistribution", upd.Operation)
	if d := read(); aws.ToBool(d.IsEnabled) {
		t.Error("still enabled after UpdateDistribution isEnabled=false")
	}

	ip, err := ls.SetIpAddressType(c, &lightsail.SetIpAddressTypeInput{
		ResourceName: aws.String(name), ResourceType: types.ResourceTypeDistribution, IpAddressType: types.IpAddressTypeIpv4})
	if err != nil {
		t.Fatalf("SetIpAddressType: %v", err)
	}
	if len(ip.Operations) == 0 {
		t.Fatal("SetIpAddressType returned no operations")
	}
	waitOperation("SetIpAddressType", &ip.Operations[0])
	if d := read(); d.IpAddressType != types.IpAddressTypeIpv4 {
		t.Errorf("ipAddressType = %q after SetIpAddressType ipv4", d.IpAddressType)
	}

	bundle, err := ls.UpdateDistributionBundle(c, &lightsail.UpdateDistributionBundleInput{DistributionName: aws.String(name), BundleId: aws.String("medium_1_0")})
	if err != nil {
		t.Fatalf("UpdateDistributionBundle: %v", err)
	}
	waitOperation("UpdateDistributionBundle", bundle.Operation)
	if d := read(); aws.ToString(d.BundleId) != "medium_1_0" {
		t.Errorf("bundleId = %q", aws.ToString(d.BundleId))
	}

	ops, err := ls.GetOperations(c, &lightsail.GetOperationsInput{})
	if err != nil {
		t.Fatalf("GetOperations: %v", err)
	}
	if len(ops.Operations) != 4 {
		t.Errorf("GetOperations returned %d operations, want 4", len(ops.Operations))
	}
	for i := range ops.Operations {
		assertMembers(t, "GetOperations", &ops.Operations[i], operationMembers)
	}

	del, err := ls.DeleteDistribution(c, &lightsail.DeleteDistributionInput{DistributionName: aws.String(name)})
	if err != nil {
		t.Fatalf("DeleteDistribution: %v", err)
	}
	waitOperation("DeleteDistribution", del.Operation)
	_, err = ls.GetDistributions(c, &lightsail.GetDistributionsInput{DistributionName: aws.String(name)})
	if !isA[*types.NotFoundException](err) {
		t.Errorf("GetDistributions after delete: %v, want NotFoundException", err)
	}
	_, err = ls.GetOperation(c, &lightsail.GetOperationInput{OperationId: aws.String("7e1a8d7c-0000-4000-8000-000000000000")})
	if !isA[*types.NotFoundException](err) {
		t.Errorf("GetOperation of an unknown id: %v, want NotFoundException", err)
	}
}
