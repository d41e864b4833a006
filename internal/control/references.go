package control

import (
	"openfront/internal/model"
)

// checkUnservedReferences refuses a DistributionConfig that names a
// resource OpenFront cannot have yet, with the error CloudFront gives for a
// resource that does not exist (the codes are those botocore's model lists
// for CreateDistribution and UpdateDistribution): OpenFront serves no
// Lambda@Edge,
// origin mTLS certificates, VPC origins, Anycast IP
// lists, trust stores or connection functions, so any other reference to
// one names something that does not exist. Accepting it would store a
// config the edge silently does not honour. A viewer certificate
// (ACMCertificateArn, IAMCertificateId) is the operator's, from
// --certificate-dir: checkViewerCertificate. CloudFront Functions,
// response headers policies, real-time log configs, field-level
// encryption configs and continuous deployment policies exist in the
// store: their references are checked in the transaction
// (checkFunctionAssociations, the policy kinds, checkRealtimeLogRefs,
// checkFLERefs, checkContinuousDeployment).
func checkUnservedReferences(cfg model.Tree, p *model.DistributionConfig, certs CertificateChecker) error {
	for _, b := range behaviorTrees(cfg) {
		pattern := model.StrOr(b, "*", "PathPattern")
		if las := model.StructItems(b, "LambdaFunctionAssociations"); len(las) > 0 {
			return model.Errorf("InvalidLambdaFunctionAssociation", "The Lambda@Edge function %q associated with cache behavior %q cannot be used: OpenFront does not run Lambda@Edge functions.", model.StrOr(las[0], "", "LambdaFunctionARN"), pattern)
		}
	}
	if err := checkViewerCertificate(p, certs); err != nil {
		return err
	}
	if id := p.WebACLID; id != "" && !validWebACLID(id) {
		return model.Errorf("InvalidWebACLId", "The web ACL id %q is not valid: use a WAF web ACL ARN (arn:aws:wafv2:...:global/webacl/<name>/<id>) or a WAF Classic web ACL id.", id)
	}
	for _, o := range model.StructItems(cfg, "Origins") {
		if id := model.StrOr(o, "", "VpcOriginConfig", "VpcOriginId"); id != "" || model.Sub(o, "VpcOriginConfig") != nil {
			return model.Errorf("EntityNotFound", "The VPC origin %q of origin %q does not exist (OpenFront does not serve VPC origins yet).", id, model.StrOr(o, "", "Id"))
		}
		if arn := model.StrOr(o, "", "CustomOriginConfig", "OriginMtlsConfig", "ClientCertificateArn"); arn != "" {
			return model.Errorf("EntityNotFound", "The origin mTLS client certificate %q of origin %q does not exist (OpenFront has no ACM certificates yet).", arn, model.StrOr(o, "", "Id"))
		}
	}
	if id := model.StrOr(cfg, "", "AnycastIpListId"); id != "" {
		return model.Errorf("EntityNotFound", "The Anycast static IP list %q does not exist (OpenFront does not serve Anycast IP lists).", id)
	}
	if id := model.StrOr(cfg, "", "ViewerMtlsConfig", "TrustStoreConfig", "TrustStoreId"); id != "" {
		return model.Errorf("EntityNotFound", "The trust store %q does not exist (OpenFront does not serve trust stores yet).", id)
	}
	if id := model.StrOr(cfg, "", "ConnectionFunctionAssociation", "Id"); id != "" {
		return model.Errorf("EntityNotFound", "The connection function %q does not exist (OpenFront does not serve connection functions yet).", id)
	}
	return nil
}

// CertificateChecker tells whether the operator supplied a certificate
// (by ACM ARN or IAM certificate id) that is valid now and covers every
// alias (tlsconfig.Store). The API node must read the same certificate
// directory as the edges.
type CertificateChecker interface {
	Check(name string, aliases []string) error
}

// checkViewerCertificate refuses an ACM or IAM certificate the edge could
// not serve, with CloudFront's InvalidViewerCertificate ("The specified
// SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid,
// or doesn't include a valid certificate chain", API Reference,
// CreateDistribution).
func checkViewerCertificate(p *model.DistributionConfig, certs CertificateChecker) error {
	vc := p.ViewerCertificate
	name := vc.ACMCertificateARN + vc.IAMCertificateID
	if name == "" {
		return nil
	}
	if vc.ACMCertificateARN != "" && !acmARN.MatchString(vc.ACMCertificateARN) {
		return model.Errorf("InvalidViewerCertificate", "The certificate %q is not an ACM certificate ARN in us-east-1 (arn:aws:acm:us-east-1:<account>:certificate/<id>).", name)
	}
	if certs == nil {
		return model.Errorf("InvalidViewerCertificate", "The certificate %q does not exist: this OpenFront was started without --certificate-dir.", name)
	}
	if err := certs.Check(name, p.Aliases); err != nil {
		return model.Errorf("InvalidViewerCertificate", "The specified SSL certificate cannot be used: %v.", err)
	}
	return nil
}

// behaviorTrees are the default cache behaviour and the others, as stored.
func behaviorTrees(cfg model.Tree) []model.Tree {
	out := []model.Tree{model.Sub(cfg, "DefaultCacheBehavior")}
	return append(out, model.StructItems(cfg, "CacheBehaviors")...)
}

// A web ACL is named by its WAF (v2) ARN or, for WAF Classic, by its id
// (botocore's DistributionConfig.WebACLId documentation).
var (
	// CloudFront takes ACM certificates from us-east-1 only (API
	// Reference, ViewerCertificate.ACMCertificateArn).
	acmARN       = model.LazyRegexp(`^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[A-Za-z0-9-]{1,128}$`)
	wafV2ARN     = model.LazyRegexp(`^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:global/webacl/[A-Za-z0-9_-]{1,128}/[A-Za-z0-9-]{1,128}$`)
	wafClassicID = model.LazyRegexp(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

func validWebACLID(id string) bool { return wafV2ARN.MatchString(id) || wafClassicID.MatchString(id) }
