package model

import "strconv"

// FillDefaults writes into a DistributionConfig every member CloudFront
// returns that the caller left out, with the value CloudFront shows for it,
// so that the stored config is the one CloudFront would return: reads in
// either API version show it whole (clients such as Terraform's AWS
// provider read OriginGroups.Quantity and friends without a nil check), and
// a config read back and sent unchanged with UpdateDistribution changes
// nothing.
//
// The list follows the AWS CLI reference's example outputs of
// create-distribution, get-distribution-config and list-distributions
// (https://docs.aws.amazon.com/cli/latest/reference/cloudfront/) and the
// defaults the CloudFront API Reference states per member (DistributionConfig,
// Origin, CustomOriginConfig, DefaultCacheBehavior, CustomErrorResponse,
// ViewerCertificate pages). Members of either API version are filled; an
// encoder drops those its version lacks. Members present are never changed,
// so a value set through one version survives an update through the other.
//
// Legacy (ForwardedValues) behaviours also get their TTLs (DefaultTTL 86400
// or MinTTL when larger; MaxTTL 31536000 or DefaultTTL when larger).
func FillDefaults(cfg Tree) {
	setDefault(cfg, "Aliases", emptyWrapper)
	setDefault(cfg, "DefaultRootObject", str(""))
	for _, o := range StructItems(cfg, "Origins") {
		fillOrigin(o)
	}
	setDefault(cfg, "OriginGroups", emptyWrapper)
	if b := Sub(cfg, "DefaultCacheBehavior"); b != nil {
		fillBehavior(b)
	}
	setDefault(cfg, "CacheBehaviors", emptyWrapper)
	for _, b := range StructItems(cfg, "CacheBehaviors") {
		fillBehavior(b)
	}
	setDefault(cfg, "CustomErrorResponses", emptyWrapper)
	for _, e := range StructItems(cfg, "CustomErrorResponses") {
		// "ResponsePagePath": "", "ResponseCode": "" when no page is set;
		// errors are cached for 10 seconds unless ErrorCachingMinTTL says
		// otherwise (Developer Guide, "Control how long CloudFront caches
		// errors").
		setDefault(e, "ResponsePagePath", str(""))
		setDefault(e, "ResponseCode", str(""))
		setDefault(e, "ErrorCachingMinTTL", str("10"))
	}
	setDefault(cfg, "Comment", str(""))
	setDefault(cfg, "Logging", func() any { return Tree{} })
	logging := Sub(cfg, "Logging")
	setDefault(logging, "Enabled", str("false"))
	setDefault(logging, "IncludeCookies", str("false"))
	setDefault(logging, "Bucket", str(""))
	setDefault(logging, "Prefix", str(""))
	setDefault(cfg, "PriceClass", str("PriceClass_All"))
	setDefault(cfg, "ViewerCertificate", func() any { return Tree{} })
	fillViewerCertificate(Sub(cfg, "ViewerCertificate"))
	setDefault(cfg, "Restrictions", func() any {
		return Tree{"GeoRestriction": Tree{"RestrictionType": "none", "Quantity": "0"}}
	})
	setDefault(cfg, "WebACLId", str(""))
	// "The default value for new web distributions is http2."
	setDefault(cfg, "HttpVersion", str("http2"))
	// The AWS CLI's create-distribution --origin-domain-name sends no
	// IsIPV6Enabled, and CloudFront answers true (CLI reference example).
	setDefault(cfg, "IsIPV6Enabled", str("true"))
	setDefault(cfg, "ContinuousDeploymentPolicyId", str(""))
	setDefault(cfg, "Staging", str("false"))
}

// FillStreamingDefaults is FillDefaults for a StreamingDistributionConfig:
// no aliases, logging off, all edge locations (the defaults the
// StreamingDistributionSummary shows too).
func FillStreamingDefaults(cfg Tree) {
	setDefault(cfg, "Aliases", emptyWrapper)
	setDefault(cfg, "Logging", func() any { return Tree{"Enabled": "false", "Bucket": "", "Prefix": ""} })
	setDefault(cfg, "PriceClass", str("PriceClass_All"))
}

func fillOrigin(o Tree) {
	setDefault(o, "OriginPath", str(""))
	setDefault(o, "CustomHeaders", emptyWrapper)
	// CustomOriginConfig and VpcOriginConfig: OriginReadTimeout "the default
	// (if you don't specify otherwise) is 30 seconds", OriginKeepaliveTimeout
	// 5 seconds (API Reference, CustomOriginConfig and VpcOriginConfig).
	for _, k := range []string{"CustomOriginConfig", "VpcOriginConfig"} {
		if c := Sub(o, k); c != nil {
			setDefault(c, "OriginReadTimeout", str("30"))
			setDefault(c, "OriginKeepaliveTimeout", str("5"))
		}
	}
	// ConnectionAttempts: "the default ... is 3"; ConnectionTimeout: "the
	// default ... is 10 seconds" (API Reference, Origin).
	setDefault(o, "ConnectionAttempts", str("3"))
	setDefault(o, "ConnectionTimeout", str("10"))
	setDefault(o, "OriginShield", func() any { return Tree{"Enabled": "false"} })
	setDefault(o, "OriginAccessControlId", str(""))
}

func fillBehavior(b Tree) {
	disabled := func() any { return Tree{"Enabled": "false", "Quantity": "0"} }
	setDefault(b, "TrustedSigners", disabled)
	setDefault(b, "TrustedKeyGroups", disabled)
	// GET and HEAD, listed as CloudFront lists them.
	headGet := func() any { return Tree{"Quantity": "2", "Items": []any{"HEAD", "GET"}} }
	setDefault(b, "AllowedMethods", headGet)
	setDefault(Sub(b, "AllowedMethods"), "CachedMethods", headGet)
	setDefault(b, "SmoothStreaming", str("false"))
	setDefault(b, "Compress", str("false"))
	setDefault(b, "LambdaFunctionAssociations", emptyWrapper)
	setDefault(b, "FunctionAssociations", emptyWrapper)
	setDefault(b, "FieldLevelEncryptionId", str(""))
	setDefault(b, "GrpcConfig", func() any { return Tree{"Enabled": "false"} })
	fv := Sub(b, "ForwardedValues")
	if fv == nil {
		return
	}
	setDefault(fv, "Headers", emptyWrapper)
	setDefault(fv, "QueryStringCacheKeys", emptyWrapper)
	minTTL, ok := Int(b, "MinTTL")
	if !ok {
		b["MinTTL"] = "0"
	}
	def, ok := Int(b, "DefaultTTL")
	if !ok {
		def = max(DefaultDefaultTTL, minTTL)
		b["DefaultTTL"] = strconv.FormatInt(def, 10)
	}
	if _, ok := Int(b, "MaxTTL"); !ok {
		b["MaxTTL"] = strconv.FormatInt(max(DefaultMaxTTL, def), 10)
	}
}

// fillViewerCertificate completes a ViewerCertificate as CloudFront shows
// it: the modern member that names the certificate (CloudFrontDefault-
// Certificate, ACMCertificateArn or IAMCertificateId) together with the
// deprecated Certificate/CertificateSource pair, whichever of the two forms
// the caller used. The default certificate is shown with SSLSupportMethod
// vip and MinimumProtocolVersion TLSv1 ("CloudFront automatically sets the
// security policy to TLSv1", API Reference, ViewerCertificate).
func fillViewerCertificate(v Tree) {
	acm, _ := Str(v, "ACMCertificateArn")
	iam, _ := Str(v, "IAMCertificateId")
	if acm == "" && iam == "" && !Bool(v, "CloudFrontDefaultCertificate") {
		// Only the legacy pair, or nothing: nothing is the default certificate.
		cert, _ := Str(v, "Certificate")
		switch src, _ := Str(v, "CertificateSource"); {
		case src == "acm" && cert != "":
			acm = cert
			v["ACMCertificateArn"] = cert
		case src == "iam" && cert != "":
			iam = cert
			v["IAMCertificateId"] = cert
		}
	}
	switch {
	case acm != "":
		setDefault(v, "CloudFrontDefaultCertificate", str("false"))
		setDefault(v, "Certificate", str(acm))
		setDefault(v, "CertificateSource", str("acm"))
	case iam != "":
		setDefault(v, "CloudFrontDefaultCertificate", str("false"))
		setDefault(v, "Certificate", str(iam))
		setDefault(v, "CertificateSource", str("iam"))
	default:
		setDefault(v, "CloudFrontDefaultCertificate", str("true"))
		setDefault(v, "SSLSupportMethod", str("vip"))
		setDefault(v, "CertificateSource", str("cloudfront"))
	}
	setDefault(v, "MinimumProtocolVersion", str("TLSv1"))
}

// setDefault sets t[key] to a new value() when t lacks key. A nil t
// is left alone.
func setDefault(t Tree, key string, value func() any) {
	if t == nil {
		return
	}
	if _, ok := t[key]; !ok {
		t[key] = value()
	}
}

func str(s string) func() any { return func() any { return s } }

func emptyWrapper() any { return Tree{"Quantity": "0"} }
