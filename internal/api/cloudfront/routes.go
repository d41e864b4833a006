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

	// Tags.
	{"POST", "/tagging", "TagResource", "2020-05-31", (*Handler).tagging}, // ?Operation=Tag or Untag
	{"GET", "/tagging", "ListTagsForResource", "2020-05-31", (*Handler).listTagsForResource},
}
