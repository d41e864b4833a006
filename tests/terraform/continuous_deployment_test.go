package terraform

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// continuousDeploymentPolicyPaths are the members the provider's
// aws_cloudfront_continuous_deployment_policy reads.
var continuousDeploymentPolicyPaths = []string{
	"ETag", "ContinuousDeploymentPolicy.Id", "ContinuousDeploymentPolicy.LastModifiedTime",
	"ContinuousDeploymentPolicy.ContinuousDeploymentPolicyConfig.Enabled",
	"ContinuousDeploymentPolicy.ContinuousDeploymentPolicyConfig.StagingDistributionDnsNames.Quantity",
	"ContinuousDeploymentPolicy.ContinuousDeploymentPolicyConfig.TrafficConfig.Type",
}

func weightPolicyConfig(stagingDomain string, weight float32) *types.ContinuousDeploymentPolicyConfig {
	return &types.ContinuousDeploymentPolicyConfig{
		Enabled:                     aws.Bool(true),
		StagingDistributionDnsNames: &types.StagingDistributionDnsNames{Quantity: aws.Int32(1), Items: []string{stagingDomain}},
		TrafficConfig: &types.TrafficConfig{
			Type: types.ContinuousDeploymentPolicyTypeSingleWeight,
			SingleWeightConfig: &types.ContinuousDeploymentSingleWeightConfig{
				Weight:                  aws.Float32(weight),
				SessionStickinessConfig: &types.SessionStickinessConfig{IdleTTL: aws.Int32(300), MaximumTTL: aws.Int32(600)},
			},
		},
	}
}

// TestTerraform_continuousDeployment drives a staging distribution and its
// policy the way the provider and a release pipeline do, with
// aws-sdk-go-v2: a primary; a staging distribution both ways (created
// with Staging true, as aws_cloudfront_distribution with staging = true
// does, and copied with CopyDistribution); the policy's create, read,
// update with If-Match (stale, then refetched); the primary naming it;
// promotion with UpdateDistributionWithStagingConfig; then the destroy
// order (the primary lets go of the policy, the policy is deleted, the
// distributions are disabled and deleted until NoSuchDistribution).
func TestTerraform_continuousDeployment(t *testing.T) {
	s := startServer(t)
	c := ctx(t)
	cf := s.cf
	primary, err := cf.CreateDistribution(c, &cloudfront.CreateDistributionInput{DistributionConfig: terraformDistributionConfig("tf-primary", false)})
	if err != nil {
		t.Fatalf("CreateDistribution (primary): %v", err)
	}
	pid := aws.ToString(primary.Distribution.Id)
	waitDeployed(t, cf, pid)

	stagingCfg := terraformDistributionConfig("tf-staging", false)
	stagingCfg.Staging = aws.Bool(true)
	stagingCfg.Comment = aws.String("staged by terraform")
	direct, err := cf.CreateDistribution(c, &cloudfront.CreateDistributionInput{DistributionConfig: stagingCfg})
	if err != nil {
		t.Fatalf("CreateDistribution (staging = true): %v", err)
	}
	assertMembers(t, "CreateDistribution (staging)", direct, withoutETag(distributionPaths()))
	read := waitDeployed(t, cf, aws.ToString(direct.Distribution.Id))
	if !aws.ToBool(read.Distribution.DistributionConfig.Staging) {
		t.Fatal("the staging distribution reads back with Staging false: a perpetual diff")
	}

	copied, err := cf.CopyDistribution(c, &cloudfront.CopyDistributionInput{
		PrimaryDistributionId: aws.String(pid), Staging: aws.Bool(true), IfMatch: aws.String(getETag(t, cf, pid)),
		CallerReference: aws.String("tf-copy"), Enabled: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("CopyDistribution: %v", err)
	}
	assertMembers(t, "CopyDistribution", copied, distributionPaths())
	sid := aws.ToString(copied.Distribution.Id)
	if !aws.ToBool(copied.Distribution.DistributionConfig.Staging) || aws.ToString(copied.Location) == "" {
		t.Fatalf("CopyDistribution: Staging %v, Location %q", copied.Distribution.DistributionConfig.Staging, aws.ToString(copied.Location))
	}
	staging := waitDeployed(t, cf, sid)
	// Change the staging config, as one tests a change before promoting it.
	scfg := staging.Distribution.DistributionConfig
	scfg.Comment = aws.String("the next release")
	if _, err := cf.UpdateDistribution(c, &cloudfront.UpdateDistributionInput{Id: aws.String(sid), IfMatch: staging.ETag, DistributionConfig: scfg}); err != nil {
		t.Fatalf("UpdateDistribution (staging): %v", err)
	}
	stagingDomain := aws.ToString(copied.Distribution.DomainName)

	// aws_cloudfront_continuous_deployment_policy.
	created, err := cf.CreateContinuousDeploymentPolicy(c, &cloudfront.CreateContinuousDeploymentPolicyInput{
		ContinuousDeploymentPolicyConfig: weightPolicyConfig(stagingDomain, 0.05)})
	if err != nil {
		t.Fatalf("CreateContinuousDeploymentPolicy: %v", err)
	}
	policyID := aws.ToString(created.ContinuousDeploymentPolicy.Id)
	assertMembers(t, "CreateContinuousDeploymentPolicy", created, continuousDeploymentPolicyPaths)
	got, err := cf.GetContinuousDeploymentPolicy(c, &cloudfront.GetContinuousDeploymentPolicyInput{Id: aws.String(policyID)})
	if err != nil {
		t.Fatalf("GetContinuousDeploymentPolicy: %v", err)
	}
	assertMembers(t, "GetContinuousDeploymentPolicy", got, continuousDeploymentPolicyPaths)
	w := got.ContinuousDeploymentPolicy.ContinuousDeploymentPolicyConfig.TrafficConfig.SingleWeightConfig
	if aws.ToFloat32(w.Weight) != 0.05 || aws.ToInt32(w.SessionStickinessConfig.IdleTTL) != 300 {
		t.Errorf("read back weight %v, stickiness %+v: a perpetual diff", aws.ToFloat32(w.Weight), w.SessionStickinessConfig)
	}
	stale := got.ETag
	if _, err := cf.UpdateContinuousDeploymentPolicy(c, &cloudfront.UpdateContinuousDeploymentPolicyInput{
		Id: aws.String(policyID), IfMatch: stale, ContinuousDeploymentPolicyConfig: weightPolicyConfig(stagingDomain, 0.1)}); err != nil {
		t.Fatalf("UpdateContinuousDeploymentPolicy: %v", err)
	}
	_, err = cf.UpdateContinuousDeploymentPolicy(c, &cloudfront.UpdateContinuousDeploymentPolicyInput{
		Id: aws.String(policyID), IfMatch: stale, ContinuousDeploymentPolicyConfig: weightPolicyConfig(stagingDomain, 0.15)})
	if !isA[*types.PreconditionFailed](err) {
		t.Fatalf("update with a stale ETag: %v, want PreconditionFailed", err)
	}
	cfgOut, err := cf.GetContinuousDeploymentPolicyConfig(c, &cloudfront.GetContinuousDeploymentPolicyConfigInput{Id: aws.String(policyID)})
	if err != nil {
		t.Fatalf("GetContinuousDeploymentPolicyConfig: %v", err)
	}
	if _, err := cf.UpdateContinuousDeploymentPolicy(c, &cloudfront.UpdateContinuousDeploymentPolicyInput{
		Id: aws.String(policyID), IfMatch: cfgOut.ETag, ContinuousDeploymentPolicyConfig: weightPolicyConfig(stagingDomain, 0.15)}); err != nil {
		t.Fatalf("update with the refetched ETag: %v", err)
	}
	list, err := cf.ListContinuousDeploymentPolicies(c, &cloudfront.ListContinuousDeploymentPoliciesInput{})
	if err != nil || list.ContinuousDeploymentPolicyList == nil || aws.ToInt32(list.ContinuousDeploymentPolicyList.Quantity) != 1 {
		t.Fatalf("ListContinuousDeploymentPolicies: %+v, %v", list, err)
	}

	// The primary names the policy (continuous_deployment_policy_id).
	p := waitDeployed(t, cf, pid)
	pcfg := p.Distribution.DistributionConfig
	pcfg.ContinuousDeploymentPolicyId = aws.String(policyID)
	if _, err := cf.UpdateDistribution(c, &cloudfront.UpdateDistributionInput{Id: aws.String(pid), IfMatch: p.ETag, DistributionConfig: pcfg}); err != nil {
		t.Fatalf("UpdateDistribution (attach the policy): %v", err)
	}
	waitDeployed(t, cf, pid)
	waitDeployed(t, cf, sid)

	// Promotion.
	promoted, err := cf.UpdateDistributionWithStagingConfig(c, &cloudfront.UpdateDistributionWithStagingConfigInput{
		Id: aws.String(pid), StagingDistributionId: aws.String(sid), IfMatch: aws.String(getETag(t, cf, pid) + ", " + getETag(t, cf, sid))})
	if err != nil {
		t.Fatalf("UpdateDistributionWithStagingConfig: %v", err)
	}
	assertMembers(t, "UpdateDistributionWithStagingConfig", promoted, distributionPaths())
	pc := promoted.Distribution.DistributionConfig
	if aws.ToString(pc.Comment) != "the next release" || aws.ToString(pc.ContinuousDeploymentPolicyId) != policyID || aws.ToBool(pc.Staging) ||
		aws.ToString(pc.CallerReference) != "tf-primary" {
		t.Errorf("promoted config: Comment %q, policy %q, Staging %v, CallerReference %q", aws.ToString(pc.Comment),
			aws.ToString(pc.ContinuousDeploymentPolicyId), aws.ToBool(pc.Staging), aws.ToString(pc.CallerReference))
	}
	after, err := cf.GetContinuousDeploymentPolicyConfig(c, &cloudfront.GetContinuousDeploymentPolicyConfigInput{Id: aws.String(policyID)})
	if err != nil || aws.ToBool(after.ContinuousDeploymentPolicyConfig.Enabled) {
		t.Errorf("the policy after promotion: %+v, %v; want disabled", after, err)
	}

	// Destroy: the policy is in use until the primary lets go of it.
	_, err = cf.DeleteContinuousDeploymentPolicy(c, &cloudfront.DeleteContinuousDeploymentPolicyInput{Id: aws.String(policyID), IfMatch: after.ETag})
	if !isA[*types.ContinuousDeploymentPolicyInUse](err) {
		t.Fatalf("DeleteContinuousDeploymentPolicy while attached: %v, want ContinuousDeploymentPolicyInUse", err)
	}
	p = waitDeployed(t, cf, pid)
	pcfg = p.Distribution.DistributionConfig
	pcfg.ContinuousDeploymentPolicyId, pcfg.Enabled = aws.String(""), aws.Bool(false)
	if _, err := cf.UpdateDistribution(c, &cloudfront.UpdateDistributionInput{Id: aws.String(pid), IfMatch: p.ETag, DistributionConfig: pcfg}); err != nil {
		t.Fatalf("UpdateDistribution (detach and disable): %v", err)
	}
	if _, err := cf.DeleteContinuousDeploymentPolicy(c, &cloudfront.DeleteContinuousDeploymentPolicyInput{Id: aws.String(policyID), IfMatch: after.ETag}); err != nil {
		t.Fatalf("DeleteContinuousDeploymentPolicy: %v", err)
	}
	_, err = cf.GetContinuousDeploymentPolicy(c, &cloudfront.GetContinuousDeploymentPolicyInput{Id: aws.String(policyID)})
	if !isA[*types.NoSuchContinuousDeploymentPolicy](err) {
		t.Fatalf("GetContinuousDeploymentPolicy after delete: %v", err)
	}
	for _, id := range []string{sid, aws.ToString(direct.Distribution.Id)} {
		d := waitDeployed(t, cf, id)
		cfg := d.Distribution.DistributionConfig
		cfg.Enabled = aws.Bool(false)
		if _, err := cf.UpdateDistribution(c, &cloudfront.UpdateDistributionInput{Id: aws.String(id), IfMatch: d.ETag, DistributionConfig: cfg}); err != nil {
			t.Fatalf("UpdateDistribution (disable %s): %v", id, err)
		}
	}
	for _, id := range []string{pid, sid, aws.ToString(direct.Distribution.Id)} {
		waitDeployed(t, cf, id)
		if _, err := cf.DeleteDistribution(c, &cloudfront.DeleteDistributionInput{Id: aws.String(id), IfMatch: aws.String(getETag(t, cf, id))}); err != nil {
			t.Fatalf("DeleteDistribution %s: %v", id, err)
		}
		poll(t, "GetDistribution until NoSuchDistribution", func() (bool, string, error) {
			_, err := cf.GetDistribution(c, &cloudfront.GetDistributionInput{Id: aws.String(id)})
			if isA[*types.NoSuchDistribution](err) {
				return true, "", nil
			}
			return false, "exists", err
		})
	}
}
