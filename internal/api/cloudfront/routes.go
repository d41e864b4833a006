package cloudfront

import "net/http"

// Versions served, oldest first.
var versions = []string{"2016-01-13", "2020-05-31"}

// route is one operation: method, path below the version prefix, and the
// handler. since is the first version that has it.
type route struct {
	method, path string
	op           string
	since        string
	handle       func(h *Handler, w http.ResponseWriter, r *http.Request) error
}

// routes is the whole CloudFront API surface OpenFront serves. POST
// /distribution (and /streaming-distribution) with ?WithTags and POST
// /tagging?Operation=Tag|Untag are told apart by query in their handler.
var routes = []route{
	// Distributions.
	{"POST", "/distribution", "CreateDistribution", "2016-01-13", (*Handler).createDistribution}, // and CreateDistributionWithTags
	{"GET", "/distribution", "ListDistributions", "2016-01-13", (*Handler).listDistributions},
	{"GET", "/distribution/{Id}", "GetDistribution", "2016-01-13", (*Handler).getDistribution},
	{"GET", "/distribution/{Id}/config", "GetDistributionConfig", "2016-01-13", (*Handler).getDistributionConfig},
	{"PUT", "/distribution/{Id}/config", "UpdateDistribution", "2016-01-13", (*Handler).updateDistribution},
	{"DELETE", "/distribution/{Id}", "DeleteDistribution", "2016-01-13", (*Handler).deleteDistribution},
	{"GET", "/distributionsByWebACLId/{WebACLId}", "ListDistributionsByWebACLId", "2016-01-13", (*Handler).listDistributionsByWebACLID},

	// Streaming (RTMP) distributions.
	{"POST", "/streaming-distribution", "CreateStreamingDistribution", "2016-01-13", (*Handler).createStreamingDistribution}, // and ...WithTags
	{"GET", "/streaming-distribution", "ListStreamingDistributions", "2016-01-13", (*Handler).listStreamingDistributions},
	{"GET", "/streaming-distribution/{Id}", "GetStreamingDistribution", "2016-01-13", (*Handler).getStreamingDistribution},
	{"GET", "/streaming-distribution/{Id}/config", "GetStreamingDistributionConfig", "2016-01-13", (*Handler).getStreamingDistributionConfig},
	{"PUT", "/streaming-distribution/{Id}/config", "UpdateStreamingDistribution", "2016-01-13", (*Handler).updateStreamingDistribution},
	{"DELETE", "/streaming-distribution/{Id}", "DeleteStreamingDistribution", "2016-01-13", (*Handler).deleteStreamingDistribution},

	// Origin access identities.
	{"POST", "/origin-access-identity/cloudfront", "CreateCloudFrontOriginAccessIdentity", "2016-01-13", (*Handler).createOAI},
	{"GET", "/origin-access-identity/cloudfront", "ListCloudFrontOriginAccessIdentities", "2016-01-13", (*Handler).listOAIs},
	{"GET", "/origin-access-identity/cloudfront/{Id}", "GetCloudFrontOriginAccessIdentity", "2016-01-13", (*Handler).getOAI},
	{"GET", "/origin-access-identity/cloudfront/{Id}/config", "GetCloudFrontOriginAccessIdentityConfig", "2016-01-13", (*Handler).getOAIConfig},
	{"PUT", "/origin-access-identity/cloudfront/{Id}/config", "UpdateCloudFrontOriginAccessIdentity", "2016-01-13", (*Handler).updateOAI},
	{"DELETE", "/origin-access-identity/cloudfront/{Id}", "DeleteCloudFrontOriginAccessIdentity", "2016-01-13", (*Handler).deleteOAI},

	// Invalidations.
	{"POST", "/distribution/{DistributionId}/invalidation", "CreateInvalidation", "2016-01-13", (*Handler).createInvalidation},
	{"GET", "/distribution/{DistributionId}/invalidation", "ListInvalidations", "2016-01-13", (*Handler).listInvalidations},
	{"GET", "/distribution/{DistributionId}/invalidation/{Id}", "GetInvalidation", "2016-01-13", (*Handler).getInvalidation},

	// Monitoring subscriptions (additional metrics). The model spells the
	// path with "distributions".
	{"POST", "/distributions/{DistributionId}/monitoring-subscription", "CreateMonitoringSubscription", "2020-05-31", (*Handler).createMonitoringSubscription},
	{"GET", "/distributions/{DistributionId}/monitoring-subscription", "GetMonitoringSubscription", "2020-05-31", (*Handler).getMonitoringSubscription},
	{"DELETE", "/distributions/{DistributionId}/monitoring-subscription", "DeleteMonitoringSubscription", "2020-05-31", (*Handler).deleteMonitoringSubscription},

	// Real-time log configurations. Get and Delete are POSTs to their own
	// paths; the list of distributions takes a body too.
	{"POST", "/realtime-log-config", "CreateRealtimeLogConfig", "2020-05-31", (*Handler).createRealtimeLogConfig},
	{"GET", "/realtime-log-config", "ListRealtimeLogConfigs", "2020-05-31", (*Handler).listRealtimeLogConfigs},
	{"PUT", "/realtime-log-config", "UpdateRealtimeLogConfig", "2020-05-31", (*Handler).updateRealtimeLogConfig},
	{"POST", "/get-realtime-log-config", "GetRealtimeLogConfig", "2020-05-31", (*Handler).getRealtimeLogConfig},
	{"POST", "/delete-realtime-log-config", "DeleteRealtimeLogConfig", "2020-05-31", (*Handler).deleteRealtimeLogConfig},
	{"POST", "/distributionsByRealtimeLogConfig", "ListDistributionsByRealtimeLogConfig", "2020-05-31", (*Handler).listDistributionsByRealtimeLogConfig},

	// Tags.
	{"POST", "/tagging", "TagResource", "2020-05-31", (*Handler).tagging}, // ?Operation=Tag or Untag
	{"GET", "/tagging", "ListTagsForResource", "2020-05-31", (*Handler).listTagsForResource},

	// Public keys (signed URLs and cookies).
	{"POST", "/public-key", "CreatePublicKey", "2020-05-31", (*Handler).createPublicKey},
	{"GET", "/public-key", "ListPublicKeys", "2020-05-31", (*Handler).listPublicKeys},
	{"GET", "/public-key/{Id}", "GetPublicKey", "2020-05-31", (*Handler).getPublicKey},
	{"GET", "/public-key/{Id}/config", "GetPublicKeyConfig", "2020-05-31", (*Handler).getPublicKeyConfig},
	{"PUT", "/public-key/{Id}/config", "UpdatePublicKey", "2020-05-31", (*Handler).updatePublicKey},
	{"DELETE", "/public-key/{Id}", "DeletePublicKey", "2020-05-31", (*Handler).deletePublicKey},

	// Field-level encryption configurations and profiles.
	{"POST", "/field-level-encryption", "CreateFieldLevelEncryptionConfig", "2020-05-31", (*Handler).createFLEConfig},
	{"GET", "/field-level-encryption", "ListFieldLevelEncryptionConfigs", "2020-05-31", (*Handler).listFLEConfigs},
	{"GET", "/field-level-encryption/{Id}", "GetFieldLevelEncryption", "2020-05-31", (*Handler).getFLEConfig},
	{"GET", "/field-level-encryption/{Id}/config", "GetFieldLevelEncryptionConfig", "2020-05-31", (*Handler).getFLEConfigConfig},
	{"PUT", "/field-level-encryption/{Id}/config", "UpdateFieldLevelEncryptionConfig", "2020-05-31", (*Handler).updateFLEConfig},
	{"DELETE", "/field-level-encryption/{Id}", "DeleteFieldLevelEncryptionConfig", "2020-05-31", (*Handler).deleteFLEConfig},
	{"POST", "/field-level-encryption-profile", "CreateFieldLevelEncryptionProfile", "2020-05-31", (*Handler).createFLEProfile},
	{"GET", "/field-level-encryption-profile", "ListFieldLevelEncryptionProfiles", "2020-05-31", (*Handler).listFLEProfiles},
	{"GET", "/field-level-encryption-profile/{Id}", "GetFieldLevelEncryptionProfile", "2020-05-31", (*Handler).getFLEProfile},
	{"GET", "/field-level-encryption-profile/{Id}/config", "GetFieldLevelEncryptionProfileConfig", "2020-05-31", (*Handler).getFLEProfileConfig},
	{"PUT", "/field-level-encryption-profile/{Id}/config", "UpdateFieldLevelEncryptionProfile", "2020-05-31", (*Handler).updateFLEProfile},
	{"DELETE", "/field-level-encryption-profile/{Id}", "DeleteFieldLevelEncryptionProfile", "2020-05-31", (*Handler).deleteFLEProfile},

	// Key groups. UpdateKeyGroup has no /config suffix.
	{"POST", "/key-group", "CreateKeyGroup", "2020-05-31", (*Handler).createKeyGroup},
	{"GET", "/key-group", "ListKeyGroups", "2020-05-31", (*Handler).listKeyGroups},
	{"GET", "/key-group/{Id}", "GetKeyGroup", "2020-05-31", (*Handler).getKeyGroup},
	{"GET", "/key-group/{Id}/config", "GetKeyGroupConfig", "2020-05-31", (*Handler).getKeyGroupConfig},
	{"PUT", "/key-group/{Id}", "UpdateKeyGroup", "2020-05-31", (*Handler).updateKeyGroup},
	{"DELETE", "/key-group/{Id}", "DeleteKeyGroup", "2020-05-31", (*Handler).deleteKeyGroup},

	// Origin access controls.
	{"POST", "/origin-access-control", "CreateOriginAccessControl", "2020-05-31", (*Handler).createOAC},
	{"GET", "/origin-access-control", "ListOriginAccessControls", "2020-05-31", (*Handler).listOACs},
	{"GET", "/origin-access-control/{Id}", "GetOriginAccessControl", "2020-05-31", (*Handler).getOAC},
	{"GET", "/origin-access-control/{Id}/config", "GetOriginAccessControlConfig", "2020-05-31", (*Handler).getOACConfig},
	{"PUT", "/origin-access-control/{Id}/config", "UpdateOriginAccessControl", "2020-05-31", (*Handler).updateOAC},
	{"DELETE", "/origin-access-control/{Id}", "DeleteOriginAccessControl", "2020-05-31", (*Handler).deleteOAC},

	// Cache policies and origin request policies (managed ones included).
	// Their updates have no /config suffix.
	{"POST", "/cache-policy", "CreateCachePolicy", "2020-05-31", cachePolicyAPI.create},
	{"GET", "/cache-policy", "ListCachePolicies", "2020-05-31", cachePolicyAPI.list},
	{"GET", "/cache-policy/{Id}", "GetCachePolicy", "2020-05-31", cachePolicyAPI.get},
	{"GET", "/cache-policy/{Id}/config", "GetCachePolicyConfig", "2020-05-31", cachePolicyAPI.getConfig},
	{"PUT", "/cache-policy/{Id}", "UpdateCachePolicy", "2020-05-31", cachePolicyAPI.update},
	{"DELETE", "/cache-policy/{Id}", "DeleteCachePolicy", "2020-05-31", cachePolicyAPI.delete},
	{"POST", "/origin-request-policy", "CreateOriginRequestPolicy", "2020-05-31", originRequestPolicyAPI.create},
	{"GET", "/origin-request-policy", "ListOriginRequestPolicies", "2020-05-31", originRequestPolicyAPI.list},
	{"GET", "/origin-request-policy/{Id}", "GetOriginRequestPolicy", "2020-05-31", originRequestPolicyAPI.get},
	{"GET", "/origin-request-policy/{Id}/config", "GetOriginRequestPolicyConfig", "2020-05-31", originRequestPolicyAPI.getConfig},
	{"PUT", "/origin-request-policy/{Id}", "UpdateOriginRequestPolicy", "2020-05-31", originRequestPolicyAPI.update},
	{"DELETE", "/origin-request-policy/{Id}", "DeleteOriginRequestPolicy", "2020-05-31", originRequestPolicyAPI.delete},

	// CloudFront Functions.
	{"POST", "/function", "CreateFunction", "2020-05-31", (*Handler).createFunction},
	{"GET", "/function", "ListFunctions", "2020-05-31", (*Handler).listFunctions},
	{"GET", "/function/{Name}/describe", "DescribeFunction", "2020-05-31", (*Handler).describeFunction},
	{"GET", "/function/{Name}", "GetFunction", "2020-05-31", (*Handler).getFunction},
	{"PUT", "/function/{Name}", "UpdateFunction", "2020-05-31", (*Handler).updateFunction},
	{"POST", "/function/{Name}/publish", "PublishFunction", "2020-05-31", (*Handler).publishFunction},
	{"POST", "/function/{Name}/test", "TestFunction", "2020-05-31", (*Handler).testFunction},
	{"DELETE", "/function/{Name}", "DeleteFunction", "2020-05-31", (*Handler).deleteFunction},

	// KeyValueStore resources (the keys and values are not served yet).
	{"POST", "/key-value-store", "CreateKeyValueStore", "2020-05-31", (*Handler).createKeyValueStore},
	{"GET", "/key-value-store", "ListKeyValueStores", "2020-05-31", (*Handler).listKeyValueStores},
	{"GET", "/key-value-store/{Name}", "DescribeKeyValueStore", "2020-05-31", (*Handler).describeKeyValueStore},
	{"PUT", "/key-value-store/{Name}", "UpdateKeyValueStore", "2020-05-31", (*Handler).updateKeyValueStore},
	{"DELETE", "/key-value-store/{Name}", "DeleteKeyValueStore", "2020-05-31", (*Handler).deleteKeyValueStore},

	// Response headers policies (managed ones included).
	{"POST", "/response-headers-policy", "CreateResponseHeadersPolicy", "2020-05-31", responseHeadersPolicyAPI.create},
	{"GET", "/response-headers-policy", "ListResponseHeadersPolicies", "2020-05-31", responseHeadersPolicyAPI.list},
	{"GET", "/response-headers-policy/{Id}", "GetResponseHeadersPolicy", "2020-05-31", responseHeadersPolicyAPI.get},
	{"GET", "/response-headers-policy/{Id}/config", "GetResponseHeadersPolicyConfig", "2020-05-31", responseHeadersPolicyAPI.getConfig},
	{"PUT", "/response-headers-policy/{Id}", "UpdateResponseHeadersPolicy", "2020-05-31", responseHeadersPolicyAPI.update},
	{"DELETE", "/response-headers-policy/{Id}", "DeleteResponseHeadersPolicy", "2020-05-31", responseHeadersPolicyAPI.delete},
	{"GET", "/distributionsByResponseHeadersPolicyId/{ResponseHeadersPolicyId}", "ListDistributionsByResponseHeadersPolicyId", "2020-05-31", responseHeadersPolicyAPI.listDistributions},

	// The rest of the distribution surface: lists of distributions by the
	// resource they use (VPC origins, Anycast IP lists, trust stores,
	// connection functions and shared resources do not exist here: each
	// answers EntityNotFound or UnsupportedOperation), alias moves and
	// conflicts, resource policies.
	{"GET", "/distributionsByCachePolicyId/{CachePolicyId}", "ListDistributionsByCachePolicyId", "2020-05-31", cachePolicyAPI.listDistributions},
	{"GET", "/distributionsByOriginRequestPolicyId/{OriginRequestPolicyId}", "ListDistributionsByOriginRequestPolicyId", "2020-05-31", originRequestPolicyAPI.listDistributions},
	{"GET", "/distributionsByKeyGroupId/{KeyGroupId}", "ListDistributionsByKeyGroup", "2020-05-31", (*Handler).listDistributionsByKeyGroup},
	{"GET", "/distributionsByConnectionMode/{ConnectionMode}", "ListDistributionsByConnectionMode", "2020-05-31", (*Handler).listDistributionsByConnectionMode},
	{"GET", "/distributionsByVpcOriginId/{VpcOriginId}", "ListDistributionsByVpcOriginId", "2020-05-31", listDistributionsByUnserved("VPC origin", "VpcOriginId", "VpcOriginId")},
	{"GET", "/distributionsByAnycastIpListId/{AnycastIpListId}", "ListDistributionsByAnycastIpListId", "2020-05-31", listDistributionsByUnserved("Anycast static IP list", "AnycastIpListId", "AnycastIpListId")},
	{"GET", "/distributionsByTrustStore", "ListDistributionsByTrustStore", "2020-05-31", listDistributionsByUnserved("trust store", "", "TrustStoreIdentifier")},
	{"GET", "/distributionsByConnectionFunction", "ListDistributionsByConnectionFunction", "2020-05-31", listDistributionsByUnserved("connection function", "", "ConnectionFunctionIdentifier")},
	{"GET", "/distributionsByOwnedResource/{ResourceArn}", "ListDistributionsByOwnedResource", "2020-05-31", (*Handler).listDistributionsByOwnedResource},
	{"PUT", "/distribution/{TargetDistributionId}/associate-alias", "AssociateAlias", "2020-05-31", (*Handler).associateAlias},
	{"GET", "/conflicting-alias", "ListConflictingAliases", "2020-05-31", (*Handler).listConflictingAliases},
	{"POST", "/domain-conflicts", "ListDomainConflicts", "2020-05-31", (*Handler).listDomainConflicts},
	{"POST", "/domain-association", "UpdateDomainAssociation", "2020-05-31", (*Handler).updateDomainAssociation},
	{"POST", "/get-resource-policy", "GetResourcePolicy", "2020-05-31", resourcePolicyOperation("GetResourcePolicyRequest", false)},
	{"POST", "/put-resource-policy", "PutResourcePolicy", "2020-05-31", resourcePolicyOperation("PutResourcePolicyRequest", true)},
	{"POST", "/delete-resource-policy", "DeleteResourcePolicy", "2020-05-31", resourcePolicyOperation("DeleteResourcePolicyRequest", false)},

	// Continuous deployment: staging distributions and their policies.
	{"POST", "/distribution/{PrimaryDistributionId}/copy", "CopyDistribution", "2020-05-31", (*Handler).copyDistribution},
	{"PUT", "/distribution/{Id}/promote-staging-config", "UpdateDistributionWithStagingConfig", "2020-05-31", (*Handler).updateDistributionWithStagingConfig},
	{"POST", "/continuous-deployment-policy", "CreateContinuousDeploymentPolicy", "2020-05-31", (*Handler).createCDPolicy},
	{"GET", "/continuous-deployment-policy", "ListContinuousDeploymentPolicies", "2020-05-31", (*Handler).listCDPolicies},
	{"GET", "/continuous-deployment-policy/{Id}", "GetContinuousDeploymentPolicy", "2020-05-31", (*Handler).getCDPolicy},
	{"GET", "/continuous-deployment-policy/{Id}/config", "GetContinuousDeploymentPolicyConfig", "2020-05-31", (*Handler).getCDPolicyConfig},
	{"PUT", "/continuous-deployment-policy/{Id}", "UpdateContinuousDeploymentPolicy", "2020-05-31", (*Handler).updateCDPolicy},
	{"DELETE", "/continuous-deployment-policy/{Id}", "DeleteContinuousDeploymentPolicy", "2020-05-31", (*Handler).deleteCDPolicy},
}
