package terraform

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// fleProfileConfig is what aws_cloudfront_field_level_encryption_profile
// sends: a name, a comment (empty when unset) and one encryption entity
// for keyID; n changes the comment and the field patterns, as an edit of
// the configuration would.
func fleProfileConfig(keyID string, n int) *types.FieldLevelEncryptionProfileConfig {
	patterns := []string{"card-number", "cvv"}
	if n > 0 {
		patterns = append(patterns, fmt.Sprintf("ssn-%d", n))
	}
	return &types.FieldLevelEncryptionProfileConfig{
		CallerReference: aws.String("terraform-20261206-fle-profile"), Name: aws.String("tf-fle-profile"),
		Comment: aws.String(fmt.Sprintf("revision %d", n)),
		EncryptionEntities: &types.EncryptionEntities{Quantity: aws.Int32(1), Items: []types.EncryptionEntity{{
			PublicKeyId: aws.String(keyID), ProviderId: aws.String("tf-provider"),
			FieldPatterns: &types.FieldPatterns{Quantity: aws.Int32(int32(len(patterns))), Items: patterns},
		}}},
	}
}

// fleConfigConfig is what aws_cloudfront_field_level_encryption_config
// sends: the form content type mapped to profileID, and a query argument
// that picks it; n changes the comment and the query argument.
func fleConfigConfig(profileID string, n int) *types.FieldLevelEncryptionConfig {
	return &types.FieldLevelEncryptionConfig{
		CallerReference: aws.String("terraform-20261206-fle-config"), Comment: aws.String(fmt.Sprintf("revision %d", n)),
		ContentTypeProfileConfig: &types.ContentTypeProfileConfig{
			ForwardWhenContentTypeIsUnknown: aws.Bool(true),
			ContentTypeProfiles: &types.ContentTypeProfiles{Quantity: aws.Int32(1), Items: []types.ContentTypeProfile{{
				ContentType: aws.String("application/x-www-form-urlencoded"), Format: types.FormatURLEncoded, ProfileId: aws.String(profileID)}}},
		},
		QueryArgProfileConfig: &types.QueryArgProfileConfig{
			ForwardWhenQueryArgProfileIsUnknown: aws.Bool(n%2 == 0),
			QueryArgProfiles: &types.QueryArgProfiles{Quantity: aws.Int32(1), Items: []types.QueryArgProfile{{
				QueryArg: aws.String(fmt.Sprintf("profile-%d", n)), ProfileId: aws.String(profileID)}}},
		},
	}
}

// The members the provider's reads (GetFieldLevelEncryptionProfile,
// GetFieldLevelEncryption) flatten.
var (
	fleProfilePaths = []string{"ETag", "FieldLevelEncryptionProfile.Id", "FieldLevelEncryptionProfile.LastModifiedTime",
		"FieldLevelEncryptionProfile.FieldLevelEncryptionProfileConfig.CallerReference",
		"FieldLevelEncryptionProfile.FieldLevelEncryptionProfileConfig.Name",
		"FieldLevelEncryptionProfile.FieldLevelEncryptionProfileConfig.Comment",
		"FieldLevelEncryptionProfile.FieldLevelEncryptionProfileConfig.EncryptionEntities.Quantity",
		"FieldLevelEncryptionProfile.FieldLevelEncryptionProfileConfig.EncryptionEntities.Items[].PublicKeyId",
		"FieldLevelEncryptionProfile.FieldLevelEncryptionProfileConfig.EncryptionEntities.Items[].ProviderId",
		"FieldLevelEncryptionProfile.FieldLevelEncryptionProfileConfig.EncryptionEntities.Items[].FieldPatterns.Quantity",
	}
	fleConfigPaths = []string{"ETag", "FieldLevelEncryption.Id", "FieldLevelEncryption.LastModifiedTime",
		"FieldLevelEncryption.FieldLevelEncryptionConfig.CallerReference",
		"FieldLevelEncryption.FieldLevelEncryptionConfig.Comment",
		"FieldLevelEncryption.FieldLevelEncryptionConfig.ContentTypeProfileConfig.ForwardWhenContentTypeIsUnknown",
		"FieldLevelEncryption.FieldLevelEncryptionConfig.ContentTypeProfileConfig.ContentTypeProfiles.Quantity",
		"FieldLevelEncryption.FieldLevelEncryptionConfig.ContentTypeProfileConfig.ContentTypeProfiles.Items[].ContentType",
		"FieldLevelEncryption.FieldLevelEncryptionConfig.ContentTypeProfileConfig.ContentTypeProfiles.Items[].ProfileId",
		"FieldLevelEncryption.FieldLevelEncryptionConfig.QueryArgProfileConfig.ForwardWhenQueryArgProfileIsUnknown",
		"FieldLevelEncryption.FieldLevelEncryptionConfig.QueryArgProfileConfig.QueryArgProfiles.Quantity",
		"FieldLevelEncryption.FieldLevelEncryptionConfig.QueryArgProfileConfig.QueryArgProfiles.Items[].QueryArg",
	}
)

// TestTerraform_fieldLevelEncryption drives a configuration with
// aws_cloudfront_public_key, aws_cloudfront_field_level_encryption_profile,
// aws_cloudfront_field_level_encryption_config and a distribution whose
// default behaviour uses the configuration (redirect-to-https, all seven
// methods, an https-only custom origin: "Step 5: Add a configuration to a
// cache behavior", Developer Guide). Apply creates them in dependency
// order; refresh reads each twice with nothing changed (no diff on the
// next plan); an edit updates the profile and the configuration with the
// ETag in state (a stale one meets PreconditionFailed); destroy goes in
// reverse order: disable the distribution, wait for Deployed, delete it,
// poll until NoSuchDistribution, then the configuration, the profile and
// the key. Each of those refuses deletion with its *InUse error while
// what names it still exists, as when a destroy targets it alone.
func TestTerraform_fieldLevelEncryption(t *testing.T) {
	s := startServer(t)
	c, cf := ctx(t), s.cf

	key, err := cf.CreatePublicKey(c, &cloudfront.CreatePublicKeyInput{PublicKeyConfig: &types.PublicKeyConfig{
		CallerReference: aws.String("terraform-20261206-fle-key"), Name: aws.String("tf-fle-key"), EncodedKey: aws.String(publicKeyPEM(t)), Comment: aws.String("")}})
	if err != nil {
		t.Fatalf("CreatePublicKey: %v", err)
	}
	keyID := aws.ToString(key.PublicKey.Id)

	profile, err := cf.CreateFieldLevelEncryptionProfile(c, &cloudfront.CreateFieldLevelEncryptionProfileInput{FieldLevelEncryptionProfileConfig: fleProfileConfig(keyID, 0)})
	if err != nil {
		t.Fatalf("CreateFieldLevelEncryptionProfile: %v", err)
	}
	profileID := aws.ToString(profile.FieldLevelEncryptionProfile.Id)
	readProfile := func(n int) string {
		t.Helper()
		return readTwiceNoDiff(t, "GetFieldLevelEncryptionProfile", fleProfilePaths, fleProfileConfig(keyID, n), func() (any, any, string, error) {
			out, err := cf.GetFieldLevelEncryptionProfile(c, &cloudfront.GetFieldLevelEncryptionProfileInput{Id: aws.String(profileID)})
			if err != nil {
				return nil, nil, "", err
			}
			return out, out.FieldLevelEncryptionProfile.FieldLevelEncryptionProfileConfig, aws.ToString(out.ETag), nil
		})
	}
	profileETag := readProfile(0)

	config, err := cf.CreateFieldLevelEncryptionConfig(c, &cloudfront.CreateFieldLevelEncryptionConfigInput{FieldLevelEncryptionConfig: fleConfigConfig(profileID, 0)})
	if err != nil {
		t.Fatalf("CreateFieldLevelEncryptionConfig: %v", err)
	}
	configID := aws.ToString(config.FieldLevelEncryption.Id)
	readConfig := func(n int) string {
		t.Helper()
		return readTwiceNoDiff(t, "GetFieldLevelEncryption", fleConfigPaths, fleConfigConfig(profileID, n), func() (any, any, string, error) {
			out, err := cf.GetFieldLevelEncryption(c, &cloudfront.GetFieldLevelEncryptionInput{Id: aws.String(configID)})
			if err != nil {
				return nil, nil, "", err
			}
			return out, out.FieldLevelEncryption.FieldLevelEncryptionConfig, aws.ToString(out.ETag), nil
		})
	}
	configETag := readConfig(0)

	// The distribution. A behaviour CloudFront would not encrypt for (the
	// provider's defaults: allow-all, GET and HEAD) is refused first.
	want := terraformDistributionConfig("terraform-20261206-fle", false)
	dcb := want.DefaultCacheBehavior
	dcb.FieldLevelEncryptionId = aws.String(configID)
	if _, err := cf.CreateDistributionWithTags(c, &cloudfront.CreateDistributionWithTagsInput{DistributionConfigWithTags: &types.DistributionConfigWithTags{
		DistributionConfig: want, Tags: &types.Tags{Items: []types.Tag{}}}}); !isA[*types.IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior](err) {
		t.Fatalf("a distribution encrypting for an allow-all GET/HEAD behaviour: %v, want IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior", err)
	}
	dcb.ViewerProtocolPolicy = types.ViewerProtocolPolicyRedirectToHttps
	all := []types.Method{types.MethodGet, types.MethodHead, types.MethodOptions, types.MethodPut, types.MethodPost, types.MethodPatch, types.MethodDelete}
	dcb.AllowedMethods = &types.AllowedMethods{Quantity: aws.Int32(7), Items: all,
		CachedMethods: &types.CachedMethods{Quantity: aws.Int32(2), Items: []types.Method{types.MethodGet, types.MethodHead}}}
	want.Origins.Items[0].CustomOriginConfig.OriginProtocolPolicy = types.OriginProtocolPolicyHttpsOnly
	created, err := cf.CreateDistributionWithTags(c, &cloudfront.CreateDistributionWithTagsInput{DistributionConfigWithTags: &types.DistributionConfigWithTags{
		DistributionConfig: want, Tags: &types.Tags{Items: []types.Tag{}}}})
	if err != nil {
		t.Fatalf("CreateDistributionWithTags: %v", err)
	}
	id := aws.ToString(created.Distribution.Id)
	first := waitDeployed(t, cf, id)
	second := waitDeployed(t, cf, id)
	for i, read := range []*cloudfront.GetDistributionOutput{first, second} {
		if d := sentDiffers(want, read.Distribution.DistributionConfig); len(d) > 0 {
			t.Errorf("read %d of the distribution differs from what was sent (a diff on the next plan):\n  %s", i+1, strings.Join(d, "\n  "))
		}
	}
	if aws.ToString(first.ETag) != aws.ToString(second.ETag) || !reflect.DeepEqual(first.Distribution.DistributionConfig, second.Distribution.DistributionConfig) {
		t.Errorf("two reads of an unchanged distribution differ: ETag %s then %s", aws.ToString(first.ETag), aws.ToString(second.ETag))
	}
	if got := aws.ToString(second.Distribution.DistributionConfig.DefaultCacheBehavior.FieldLevelEncryptionId); got != configID {
		t.Errorf("FieldLevelEncryptionId read back %q, want %q", got, configID)
	}

	// What the distribution uses cannot go while it exists.
	deleteConfig := func(etag string) error {
		_, err := cf.DeleteFieldLevelEncryptionConfig(c, &cloudfront.DeleteFieldLevelEncryptionConfigInput{Id: aws.String(configID), IfMatch: aws.String(etag)})
		return err
	}
	deleteProfile := func(etag string) error {
		_, err := cf.DeleteFieldLevelEncryptionProfile(c, &cloudfront.DeleteFieldLevelEncryptionProfileInput{Id: aws.String(profileID), IfMatch: aws.String(etag)})
		return err
	}
	keyETag := func() string {
		t.Helper()
		out, err := cf.GetPublicKey(c, &cloudfront.GetPublicKeyInput{Id: aws.String(keyID)})
		if err != nil {
			t.Fatalf("GetPublicKey: %v", err)
		}
		return aws.ToString(out.ETag)
	}
	deleteKey := func() error {
		_, err := cf.DeletePublicKey(c, &cloudfront.DeletePublicKeyInput{Id: aws.String(keyID), IfMatch: aws.String(keyETag())})
		return err
	}
	if err := deleteConfig(configETag); !isA[*types.FieldLevelEncryptionConfigInUse](err) {
		t.Errorf("DeleteFieldLevelEncryptionConfig while a distribution uses it: %v, want FieldLevelEncryptionConfigInUse", err)
	}
	if err := deleteProfile(profileETag); !isA[*types.FieldLevelEncryptionProfileInUse](err) {
		t.Errorf("DeleteFieldLevelEncryptionProfile while a configuration names it: %v, want FieldLevelEncryptionProfileInUse", err)
	}
	if err := deleteKey(); !isA[*types.PublicKeyInUse](err) {
		t.Errorf("DeletePublicKey while a profile names it: %v, want PublicKeyInUse", err)
	}

	// An edit: the profile and the configuration are updated in place with
	// the ETag in state; a stale one is refused.
	updateProfile := func(etag string, n int) error {
		_, err := cf.UpdateFieldLevelEncryptionProfile(c, &cloudfront.UpdateFieldLevelEncryptionProfileInput{Id: aws.String(profileID), IfMatch: aws.String(etag),
			FieldLevelEncryptionProfileConfig: fleProfileConfig(keyID, n)})
		return err
	}
	updateConfig := func(etag string, n int) error {
		_, err := cf.UpdateFieldLevelEncryptionConfig(c, &cloudfront.UpdateFieldLevelEncryptionConfigInput{Id: aws.String(configID), IfMatch: aws.String(etag),
			FieldLevelEncryptionConfig: fleConfigConfig(profileID, n)})
		return err
	}
	if err := updateProfile(profileETag, 1); err != nil {
		t.Fatalf("UpdateFieldLevelEncryptionProfile: %v", err)
	}
	if err := updateProfile(profileETag, 2); !isA[*types.PreconditionFailed](err) {
		t.Errorf("UpdateFieldLevelEncryptionProfile with a stale ETag: %v, want PreconditionFailed", err)
	}
	newProfileETag := readProfile(1)
	if newProfileETag == profileETag {
		t.Errorf("the profile's ETag did not change with its update: %s", profileETag)
	}
	if err := updateConfig(configETag, 1); err != nil {
		t.Fatalf("UpdateFieldLevelEncryptionConfig: %v", err)
	}
	if err := updateConfig(configETag, 2); !isA[*types.PreconditionFailed](err) {
		t.Errorf("UpdateFieldLevelEncryptionConfig with a stale ETag: %v, want PreconditionFailed", err)
	}
	newConfigETag := readConfig(1)
	if newConfigETag == configETag {
		t.Errorf("the configuration's ETag did not change with its update: %s", configETag)
	}
	profileETag, configETag = newProfileETag, newConfigETag
	// Updating the profile or the configuration leaves the distribution as it was.
	if after := waitDeployed(t, cf, id); aws.ToString(after.ETag) != aws.ToString(second.ETag) {
		t.Errorf("the distribution's ETag changed with its configuration's update: %s then %s", aws.ToString(second.ETag), aws.ToString(after.ETag))
	}

	// Destroy, in reverse dependency order. The distribution: disable with
	// the configuration read back, wait, delete with a fresh ETag, poll.
	read := waitDeployed(t, cf, id)
	cfg := read.Distribution.DistributionConfig
	cfg.Enabled = aws.Bool(false)
	if _, err := cf.UpdateDistribution(c, &cloudfront.UpdateDistributionInput{Id: aws.String(id), IfMatch: read.ETag, DistributionConfig: cfg}); err != nil {
		t.Fatalf("UpdateDistribution (disable): %v", err)
	}
	waitDeployed(t, cf, id)
	// Disabled is not deleted: the configuration is still in use.
	if err := deleteConfig(configETag); !isA[*types.FieldLevelEncryptionConfigInUse](err) {
		t.Errorf("DeleteFieldLevelEncryptionConfig while a disabled distribution uses it: %v, want FieldLevelEncryptionConfigInUse", err)
	}
	if _, err := cf.DeleteDistribution(c, &cloudfront.DeleteDistributionInput{Id: aws.String(id), IfMatch: aws.String(getETag(t, cf, id))}); err != nil {
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

	// The configuration, with the ETag in state; the profile and the key
	// stay in use until what names them is gone.
	if err := deleteProfile(profileETag); !isA[*types.FieldLevelEncryptionProfileInUse](err) {
		t.Errorf("DeleteFieldLevelEncryptionProfile before its configuration: %v, want FieldLevelEncryptionProfileInUse", err)
	}
	if err := deleteConfig(configETag); err != nil {
		t.Fatalf("DeleteFieldLevelEncryptionConfig: %v", err)
	}
	if _, err := cf.GetFieldLevelEncryption(c, &cloudfront.GetFieldLevelEncryptionInput{Id: aws.String(configID)}); !isA[*types.NoSuchFieldLevelEncryptionConfig](err) {
		t.Errorf("GetFieldLevelEncryption after its deletion: %v, want NoSuchFieldLevelEncryptionConfig", err)
	}
	if err := deleteKey(); !isA[*types.PublicKeyInUse](err) {
		t.Errorf("DeletePublicKey before its profile: %v, want PublicKeyInUse", err)
	}
	if err := deleteProfile(profileETag); err != nil {
		t.Fatalf("DeleteFieldLevelEncryptionProfile: %v", err)
	}
	if _, err := cf.GetFieldLevelEncryptionProfile(c, &cloudfront.GetFieldLevelEncryptionProfileInput{Id: aws.String(profileID)}); !isA[*types.NoSuchFieldLevelEncryptionProfile](err) {
		t.Errorf("GetFieldLevelEncryptionProfile after its deletion: %v, want NoSuchFieldLevelEncryptionProfile", err)
	}
	if err := deleteKey(); err != nil {
		t.Fatalf("DeletePublicKey: %v", err)
	}
	if _, err := cf.GetPublicKey(c, &cloudfront.GetPublicKeyInput{Id: aws.String(keyID)}); !isA[*types.NoSuchPublicKey](err) {
		t.Errorf("GetPublicKey after its deletion: %v, want NoSuchPublicKey", err)
	}
}

// readTwiceNoDiff is the provider's read as a refresh does it, twice with
// nothing changed in between: the members it flattens are there, what was
// sent reads back equal (no diff on the next plan), and the second read is
// the first (ETag included). get returns the output, the configuration in
// it and its ETag; readTwiceNoDiff returns the ETag.
func readTwiceNoDiff(t *testing.T, what string, paths []string, sent any, get func() (out, config any, etag string, err error)) string {
	t.Helper()
	out1, config1, etag1, err := get()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	assertMembers(t, what, out1, paths)
	_, config2, etag2, err := get()
	if err != nil {
		t.Fatalf("%s (second read): %v", what, err)
	}
	if d := sentDiffers(sent, config2); len(d) > 0 {
		t.Errorf("%s differs from what was sent (a diff on the next plan):\n  %s", what, strings.Join(d, "\n  "))
	}
	if etag1 != etag2 || !reflect.DeepEqual(config1, config2) {
		t.Errorf("%s: two reads with nothing changed differ: ETag %s then %s", what, etag1, etag2)
	}
	return etag2
}
