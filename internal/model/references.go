package model

// ManagedResponseHeadersPolicies are CloudFront's managed response headers
// policies by id (Developer Guide, "Use managed response headers
// policies", using-managed-response-headers-policies.html). A behaviour may
// name them although OpenFront has no response headers policy of its own
// yet; the edge does not add their headers yet (see the README's "What the
// edge acts on").
var ManagedResponseHeadersPolicies = map[string]string{
	"e61eb60c-9c35-4d20-a928-2b84e02af89c": "Managed-CORS-and-SecurityHeadersPolicy",
	"5cc3b908-e619-4b99-88e5-2cf7f45965bd": "Managed-CORS-With-Preflight",
	"eaab4381-ed33-4a86-88ca-d9558dc6cd63": "Managed-CORS-with-preflight-and-SecurityHeadersPolicy",
	"67f7725c-6f97-4210-82d7-5512b31e9d03": "Managed-SecurityHeadersPolicy",
	"60669652-455b-4ae9-85a4-c4c02393f86c": "Managed-SimpleCORS",
}
