package lightsail

import (
	"context"

	"openfront/internal/control"
	"openfront/internal/model"
)

type createDistributionRequest struct {
	DistributionName                *string                 `json:"distributionName"`
	Origin                          *inputOrigin            `json:"origin"`
	DefaultCacheBehavior            *cacheBehavior          `json:"defaultCacheBehavior"`
	CacheBehaviorSettings           *cacheSettings          `json:"cacheBehaviorSettings"`
	CacheBehaviors                  *[]cacheBehaviorPerPath `json:"cacheBehaviors"`
	BundleID                        *string                 `json:"bundleId"`
	IPAddressType                   *string                 `json:"ipAddressType"`
	Tags                            []tag                   `json:"tags"`
	CertificateName                 *string                 `json:"certificateName"`
	ViewerMinimumTLSProtocolVersion *string                 `json:"viewerMinimumTlsProtocolVersion"`
}

// parseCreateDistribution decodes and validates a CreateDistribution
// request into control's input (defaults filled in).
func parseCreateDistribution(body []byte) (control.LightsailCreate, error) {
	var req createDistributionRequest
	if err := decode(body, &req); err != nil {
		return control.LightsailCreate{}, err
	}
	if err := checkName("distributionName", req.DistributionName, true); err != nil {
		return control.LightsailCreate{}, err
	}
	if err := checkOrigin(req.Origin, true); err != nil {
		return control.LightsailCreate{}, err
	}
	if err := checkBehavior("defaultCacheBehavior", req.DefaultCacheBehavior, true); err != nil {
		return control.LightsailCreate{}, err
	}
	if err := checkCacheSettings(req.CacheBehaviorSettings); err != nil {
		return control.LightsailCreate{}, err
	}
	if err := checkPerPath(req.CacheBehaviors); err != nil {
		return control.LightsailCreate{}, err
	}
	if req.BundleID == nil || *req.BundleID == "" {
		return control.LightsailCreate{}, invalid("bundleId is required.")
	}
	if _, ok := model.FindLightsailBundle(*req.BundleID); !ok {
		return control.LightsailCreate{}, invalid("bundleId %q is not a valid distribution bundle; use GetDistributionBundles.", *req.BundleID)
	}
	if err := checkEnum("ipAddressType", req.IPAddressType, distributionIPTypes); err != nil {
		return control.LightsailCreate{}, err
	}
	if err := checkName("certificateName", req.CertificateName, false); err != nil {
		return control.LightsailCreate{}, err
	}
	if err := checkEnum("viewerMinimumTlsProtocolVersion", req.ViewerMinimumTLSProtocolVersion, tlsVersions); err != nil {
		return control.LightsailCreate{}, err
	}
	tags, err := toTags("tags", req.Tags)
	if err != nil {
		return control.LightsailCreate{}, err
	}
	in := control.LightsailCreate{Name: *req.DistributionName, BundleID: *req.BundleID, Tags: tags}
	s := model.LightsailSettings{
		Origin: model.LightsailOrigin{
			RegionName: model.LightsailDefaultRegion, ProtocolPolicy: model.LightsailDefaultProtocol,
			ResponseTimeout: model.LightsailDefaultTimeout,
		},
		DefaultBehavior:                 *req.DefaultCacheBehavior.Behavior,
		Cache:                           model.DefaultLightsailCacheSettings(),
		Enabled:                         true,
		IPAddressType:                   model.LightsailDefaultIPType,
		ViewerMinimumTLSProtocolVersion: model.LightsailDefaultTLS,
	}
	applyOrigin(&s, req.Origin)
	applyCacheSettings(&s.Cache, req.CacheBehaviorSettings)
	if req.CacheBehaviors != nil {
		s.PathBehaviors = perPath(*req.CacheBehaviors)
	}
	if req.IPAddressType != nil {
		s.IPAddressType = *req.IPAddressType
	}
	if req.CertificateName != nil {
		s.CertificateName = *req.CertificateName
	}
	if req.ViewerMinimumTLSProtocolVersion != nil {
		s.ViewerMinimumTLSProtocolVersion = *req.ViewerMinimumTLSProtocolVersion
	}
	// The whole-settings rules (TTL order with the defaults, allow-lists)
	// need no state either: check them before control does anything.
	if err := s.Validate(); err != nil {
		return control.LightsailCreate{}, err
	}
	in.Settings = s
	return in, nil
}

type createDistributionResult struct {
	Distribution *distributionOut `json:"distribution"`
	Operation    *operationOut    `json:"operation"`
}

// CreateDistribution creates a distribution.
func (h *Handler) CreateDistribution(ctx context.Context, body []byte) (any, error) {
	in, err := parseCreateDistribution(body)
	if err != nil {
		return nil, err
	}
	op := h.newOperation("CreateDistribution", in.Name, "")
	d, err := h.control.CreateLightsailDistribution(ctx, in, op)
	if err != nil {
		return nil, err
	}
	return &createDistributionResult{Distribution: toDistributionOut(d, h.control.Settings().AccountID), Operation: toOperationOut(op)}, nil
}

type getDistributionsRequest struct {
	DistributionName *string `json:"distributionName"`
	PageToken        *string `json:"pageToken"`
}

type getDistributionsResult struct {
	Distributions []*distributionOut `json:"distributions"`
	NextPageToken string             `json:"nextPageToken,omitempty"`
}

func parseGetDistributions(body []byte) (getDistributionsRequest, error) {
	var req getDistributionsRequest
	if err := decode(body, &req); err != nil {
		return req, err
	}
	return req, checkName("distributionName", req.DistributionName, false)
}

// GetDistributions returns one distribution by name, or a page of all.
func (h *Handler) GetDistributions(ctx context.Context, body []byte) (any, error) {
	req, err := parseGetDistributions(body)
	if err != nil {
		return nil, err
	}
	account := h.control.Settings().AccountID
	out := &getDistributionsResult{Distributions: []*distributionOut{}}
	if req.DistributionName != nil {
		d, err := h.control.LightsailDistribution(ctx, *req.DistributionName)
		if err != nil {
			return nil, err
		}
		out.Distributions = append(out.Distributions, toDistributionOut(d, account))
		return out, nil
	}
	token := ""
	if req.PageToken != nil {
		token = *req.PageToken
	}
	list, next, err := h.control.LightsailDistributions(ctx, token)
	if err != nil {
		return nil, err
	}
	for _, d := range list {
		out.Distributions = append(out.Distributions, toDistributionOut(d, account))
	}
	out.NextPageToken = next
	return out, nil
}

type updateDistributionRequest struct {
	DistributionName                *string                 `json:"distributionName"`
	Origin                          *inputOrigin            `json:"origin"`
	DefaultCacheBehavior            *cacheBehavior          `json:"defaultCacheBehavior"`
	CacheBehaviorSettings           *cacheSettings          `json:"cacheBehaviorSettings"`
	CacheBehaviors                  *[]cacheBehaviorPerPath `json:"cacheBehaviors"`
	IsEnabled                       *bool                   `json:"isEnabled"`
	ViewerMinimumTLSProtocolVersion *string                 `json:"viewerMinimumTlsProtocolVersion"`
	CertificateName                 *string                 `json:"certificateName"`
	UseDefaultCertificate           *bool                   `json:"useDefaultCertificate"`
}

// lightsailUpdate is a validated UpdateDistribution: the name and the
// change to apply to the stored settings.
type lightsailUpdate struct {
	name  string
	apply func(*model.LightsailSettings) error
}

func parseUpdateDistribution(body []byte) (lightsailUpdate, error) {
	var req updateDistributionRequest
	if err := decode(body, &req); err != nil {
		return lightsailUpdate{}, err
	}
	if err := checkName("distributionName", req.DistributionName, true); err != nil {
		return lightsailUpdate{}, err
	}
	if err := checkOrigin(req.Origin, false); err != nil {
		return lightsailUpdate{}, err
	}
	if err := checkBehavior("defaultCacheBehavior", req.DefaultCacheBehavior, false); err != nil {
		return lightsailUpdate{}, err
	}
	if err := checkCacheSettings(req.CacheBehaviorSettings); err != nil {
		return lightsailUpdate{}, err
	}
	if err := checkPerPath(req.CacheBehaviors); err != nil {
		return lightsailUpdate{}, err
	}
	if err := checkEnum("viewerMinimumTlsProtocolVersion", req.ViewerMinimumTLSProtocolVersion, tlsVersions); err != nil {
		return lightsailUpdate{}, err
	}
	if err := checkName("certificateName", req.CertificateName, false); err != nil {
		return lightsailUpdate{}, err
	}
	if req.CertificateName != nil && req.UseDefaultCertificate != nil && *req.UseDefaultCertificate {
		return lightsailUpdate{}, invalid("certificateName cannot be given with useDefaultCertificate=true.")
	}
	apply := func(s *model.LightsailSettings) error {
		applyOrigin(s, req.Origin)
		if req.DefaultCacheBehavior != nil && req.DefaultCacheBehavior.Behavior != nil {
			s.DefaultBehavior = *req.DefaultCacheBehavior.Behavior
		}
		applyCacheSettings(&s.Cache, req.CacheBehaviorSettings)
		if req.CacheBehaviors != nil {
			s.PathBehaviors = perPath(*req.CacheBehaviors)
		}
		if req.IsEnabled != nil {
			s.Enabled = *req.IsEnabled
		}
		if req.ViewerMinimumTLSProtocolVersion != nil {
			s.ViewerMinimumTLSProtocolVersion = *req.ViewerMinimumTLSProtocolVersion
		}
		if req.UseDefaultCertificate != nil && *req.UseDefaultCertificate {
			s.CertificateName = ""
		}
		if req.CertificateName != nil {
			s.CertificateName = *req.CertificateName
		}
		if req.UseDefaultCertificate != nil && !*req.UseDefaultCertificate && s.CertificateName == "" {
			return invalid("certificateName is required when useDefaultCertificate is false.")
		}
		return nil
	}
	return lightsailUpdate{name: *req.DistributionName, apply: apply}, nil
}

type operationResult struct {
	Operation *operationOut `json:"operation"`
}

// UpdateDistribution changes the settings the request gives.
func (h *Handler) UpdateDistribution(ctx context.Context, body []byte) (any, error) {
	u, err := parseUpdateDistribution(body)
	if err != nil {
		return nil, err
	}
	op := h.newOperation("UpdateDistribution", u.name, "")
	if _, err := h.control.UpdateLightsailDistribution(ctx, u.name, u.apply, op); err != nil {
		return nil, err
	}
	return &operationResult{Operation: toOperationOut(op)}, nil
}

type nameRequest struct {
	DistributionName *string `json:"distributionName"`
}

// parseName decodes a request whose only member is distributionName; the
// model leaves it optional, but every operation here needs it.
func parseName(body []byte) (string, error) {
	var req nameRequest
	if err := decode(body, &req); err != nil {
		return "", err
	}
	if err := checkName("distributionName", req.DistributionName, true); err != nil {
		return "", err
	}
	return *req.DistributionName, nil
}

// DeleteDistribution deletes a distribution.
func (h *Handler) DeleteDistribution(ctx context.Context, body []byte) (any, error) {
	name, err := parseName(body)
	if err != nil {
		return nil, err
	}
	op := h.newOperation("DeleteDistribution", name, "")
	if _, err := h.control.DeleteLightsailDistribution(ctx, name, op); err != nil {
		return nil, err
	}
	return &operationResult{Operation: toOperationOut(op)}, nil
}

type setIPAddressTypeRequest struct {
	ResourceType       *string `json:"resourceType"`
	ResourceName       *string `json:"resourceName"`
	IPAddressType      *string `json:"ipAddressType"`
	AcceptBundleUpdate *bool   `json:"acceptBundleUpdate"`
}

// resourceTypes are the resourceType values SetIpAddressType takes; only
// distributions exist here.
var resourceTypes = []string{"Distribution", "Instance", "LoadBalancer"}

type operationsResult struct {
	Operations []*operationOut `json:"operations"`
}

// parseSetIPAddressType decodes SetIpAddressType into the distribution
// name and the new type; a resource of another type does not exist here.
func parseSetIPAddressType(body []byte) (name, ipType string, err error) {
	var req setIPAddressTypeRequest
	if err := decode(body, &req); err != nil {
		return "", "", err
	}
	if req.ResourceType == nil {
		return "", "", invalid("resourceType is required.")
	}
	if err := checkEnum("resourceType", req.ResourceType, resourceTypes); err != nil {
		return "", "", err
	}
	if err := checkName("resourceName", req.ResourceName, true); err != nil {
		return "", "", err
	}
	if req.IPAddressType == nil {
		return "", "", invalid("ipAddressType is required.")
	}
	if err := checkEnum("ipAddressType", req.IPAddressType, ipTypes); err != nil {
		return "", "", err
	}
	if *req.ResourceType != "Distribution" {
		return "", "", model.Errorf(codeNotFound, "The %s %q does not exist.", *req.ResourceType, *req.ResourceName)
	}
	if err := checkEnum("ipAddressType", req.IPAddressType, distributionIPTypes); err != nil {
		return "", "", err
	}
	return *req.ResourceName, *req.IPAddressType, nil
}

// SetIPAddressType changes a distribution's IP address type (the
// Terraform AWS provider calls it when ip_address_type changes).
func (h *Handler) SetIPAddressType(ctx context.Context, body []byte) (any, error) {
	name, ipType, err := parseSetIPAddressType(body)
	if err != nil {
		return nil, err
	}
	op := h.newOperation("SetIpAddressType", name, "")
	setType := func(s *model.LightsailSettings) error {
		s.IPAddressType = ipType
		return nil
	}
	if _, err := h.control.UpdateLightsailDistribution(ctx, name, setType, op); err != nil {
		return nil, err
	}
	return &operationsResult{Operations: []*operationOut{toOperationOut(op)}}, nil
}

type attachCertificateRequest struct {
	DistributionName *string `json:"distributionName"`
	CertificateName  *string `json:"certificateName"`
}

// AttachCertificateToDistribution sets the distribution's certificate: it
// then serves the certificate's domains over HTTPS ("After the certificate
// is attached, your distribution accepts HTTPS traffic for all of the
// domains that are associated with the certificate", Amazon Lightsail API
// Reference). It is UpdateDistribution's certificateName, with the same
// checks.
func (h *Handler) AttachCertificateToDistribution(ctx context.Context, body []byte) (any, error) {
	var req attachCertificateRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkName("distributionName", req.DistributionName, true); err != nil {
		return nil, err
	}
	if err := checkName("certificateName", req.CertificateName, true); err != nil {
		return nil, err
	}
	name, cert := *req.DistributionName, *req.CertificateName
	op := h.newOperation("AttachCertificateToDistribution", name, cert)
	set := func(s *model.LightsailSettings) error { s.CertificateName = cert; return nil }
	if _, err := h.control.UpdateLightsailDistribution(ctx, name, set, op); err != nil {
		return nil, err
	}
	return &operationResult{Operation: toOperationOut(op)}, nil
}

// DetachCertificateFromDistribution puts the default certificate back: the
// distribution stops serving the certificate's domains.
func (h *Handler) DetachCertificateFromDistribution(ctx context.Context, body []byte) (any, error) {
	name, err := parseName(body)
	if err != nil {
		return nil, err
	}
	op := h.newOperation("DetachCertificateFromDistribution", name, "")
	set := func(s *model.LightsailSettings) error { s.CertificateName = ""; return nil }
	if _, err := h.control.UpdateLightsailDistribution(ctx, name, set, op); err != nil {
		return nil, err
	}
	return &operationResult{Operation: toOperationOut(op)}, nil
}
