package model

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults CloudFront applies to legacy (ForwardedValues) cache behaviours
// when the TTLs are omitted.
const (
	DefaultMinTTL     int64 = 0
	DefaultDefaultTTL int64 = 86400
	DefaultMaxTTL     int64 = 31536000
)

// DistributionConfig is the typed view of a DistributionConfig document:
// the members OpenFront acts on.
type DistributionConfig struct {
	CallerReference   string
	Aliases           []string
	DefaultRootObject string
	Origins           []Origin
	OriginGroups      []OriginGroup
	DefaultBehavior   Behavior // PathPattern "*"
	Behaviors         []Behavior
	CustomErrors      []CustomErrorResponse
	Comment           string
	Logging           Logging
	PriceClass        string
	Enabled           bool
	ViewerCertificate ViewerCertificate
	GeoRestriction    GeoRestriction
	WebACLID          string
	HTTPVersion       string
	// Staging: a staging distribution (made by CopyDistribution), served
	// only through its primary's continuous deployment policy.
	Staging bool
	// ContinuousDeploymentPolicyID: the policy of a primary ("" none).
	ContinuousDeploymentPolicyID string
}

// Origin is one origin of a distribution.
type Origin struct {
	ID            string
	DomainName    string
	OriginPath    string
	CustomHeaders []Header
	// S3 is set for S3OriginConfig origins; OAI is the
	// "origin-access-identity/cloudfront/<id>" reference or "".
	S3 *S3Origin
	// Custom is set for CustomOriginConfig origins.
	Custom             *CustomOrigin
	ConnectionAttempts int           // 1-3, default 3
	ConnectionTimeout  time.Duration // 1-10 s, default 10 s
	// ResponseCompletionTimeout bounds a whole origin response, first byte
	// to last; 0 = no bound (API Reference, Origin).
	ResponseCompletionTimeout time.Duration
	OACID                     string
}

// OriginGroup is a failover pair: requests go to the first member, and
// to the second when the first fails or answers one of FailoverCodes.
type OriginGroup struct {
	ID            string
	Members       []string // origin ids, primary first
	FailoverCodes []int
}

// S3Origin is an S3OriginConfig.
type S3Origin struct {
	OAI         string
	ReadTimeout time.Duration
}

// CustomOrigin is a CustomOriginConfig.
type CustomOrigin struct {
	HTTPPort         int
	HTTPSPort        int
	ProtocolPolicy   string // http-only, match-viewer, https-only
	SSLProtocols     []string
	ReadTimeout      time.Duration // default 30 s
	KeepaliveTimeout time.Duration // default 5 s
}

// Header is a name/value pair (origin custom headers).
type Header struct{ Name, Value string }

// Behavior is a cache behaviour; the default behaviour has PathPattern "*".
type Behavior struct {
	PathPattern          string
	TargetOriginID       string
	ViewerProtocolPolicy string
	AllowedMethods       []string
	CachedMethods        []string
	Compress             bool
	SmoothStreaming      bool
	// Legacy cache settings (ForwardedValues); Forwarded is nil when the
	// behaviour uses a cache policy instead.
	Forwarded             *ForwardedValues
	MinTTL                int64
	DefaultTTL            int64
	MaxTTL                int64
	CachePolicyID         string
	OriginRequestPolicyID string
	// ResponseHeadersPolicyID: the edge applies it to every response of
	// the behaviour (package responseheaders).
	ResponseHeadersPolicyID string
	TrustedSigners          []string // "self" or account ids; nil when disabled
	TrustedKeyGroups        []string // key group ids; nil when disabled
	FieldLevelEncryption    string
	// RealtimeLogConfigARN names the real-time log configuration whose
	// records this behaviour's requests produce ("" for none).
	RealtimeLogConfigARN string
	// GRPC: GrpcConfig.Enabled, gRPC requests (Content-Type
	// application/grpc over HTTP/2) are proxied to the origin.
	GRPC bool
	// Functions are the CloudFront Functions associated with the behaviour:
	// function ARN by event type (viewer-request, viewer-response).
	Functions map[string]string
}

// ForwardedValues is the legacy cache-key and forwarding setting.
type ForwardedValues struct {
	QueryString          bool
	QueryStringCacheKeys []string
	CookieForward        string // none, whitelist, all
	CookieNames          []string
	Headers              []string
}

// CustomErrorResponse maps an origin error code to a page and status.
type CustomErrorResponse struct {
	ErrorCode          int
	ResponsePagePath   string
	ResponseCode       int // 0 when not set
	ErrorCachingMinTTL int64
	HasCachingMinTTL   bool
}

// Logging is the standard access-log setting.
type Logging struct {
	Enabled        bool
	IncludeCookies bool
	Bucket         string
	Prefix         string
}

// ViewerCertificate is the TLS setting for viewers.
type ViewerCertificate struct {
	CloudFrontDefault      bool
	IAMCertificateID       string
	ACMCertificateARN      string
	SSLSupportMethod       string
	MinimumProtocolVersion string
}

// GeoRestriction is a whitelist/blacklist of ISO 3166-1 alpha-2 countries.
type GeoRestriction struct {
	Type      string // none, whitelist, blacklist
	Locations []string
}

// ParseDistributionConfig reads the typed view of a DistributionConfig
// document and checks the rules that need no other resource (TTL order,
// origin references, cookie/headers rules, error codes, ...). Rules that
// need the store (OAI existence, CNAME uniqueness, quotas) are control's.
func ParseDistributionConfig(t Tree) (*DistributionConfig, error) {
	c := &DistributionConfig{
		CallerReference:   StrOr(t, "", "CallerReference"),
		Aliases:           StringItems(t, "Aliases"),
		DefaultRootObject: StrOr(t, "", "DefaultRootObject"),
		Comment:           StrOr(t, "", "Comment"),
		PriceClass:        StrOr(t, "PriceClass_All", "PriceClass"),
		Enabled:           Bool(t, "Enabled"),
		WebACLID:          StrOr(t, "", "WebACLId"),
		HTTPVersion:       StrOr(t, "http2", "HttpVersion"),
		Staging:           Bool(t, "Staging"),

		ContinuousDeploymentPolicyID: StrOr(t, "", "ContinuousDeploymentPolicyId"),
	}
	if len(c.Comment) > 128 {
		return nil, Errorf("InvalidArgument", "The parameter Comment is too long (maximum 128 characters).")
	}
	for _, a := range c.Aliases {
		if !validAlias(a) {
			return nil, Errorf("InvalidArgument", "The parameter CNAME contains one or more parameters that are not valid: %q.", a)
		}
	}
	if dup := firstDuplicate(lower(c.Aliases)); dup != "" {
		return nil, Errorf("InvalidArgument", "The parameter CNAME contains a duplicate: %q.", dup)
	}
	if err := validDefaultRootObject(c.DefaultRootObject); err != nil {
		return nil, err
	}

	origins := StructItems(t, "Origins")
	if len(origins) < 1 {
		return nil, Errorf("InvalidArgument", "The parameter Origins must contain at least one origin.")
	}
	ids := map[string]bool{}
	for _, ot := range origins {
		o, err := parseOrigin(ot)
		if err != nil {
			return nil, err
		}
		if ids[o.ID] {
			return nil, Errorf("InvalidArgument", "The parameter Origin Id must be unique: %q is used more than once.", o.ID)
		}
		ids[o.ID] = true
		c.Origins = append(c.Origins, *o)
	}
	// Origin groups are failover targets too.
	for _, gt := range StructItems(t, "OriginGroups") {
		g := OriginGroup{ID: StrOr(gt, "", "Id"), Members: nil}
		for _, m := range StructItems(gt, "Members") {
			id := StrOr(m, "", "OriginId")
			if findOrigin(c.Origins, id) == nil {
				return nil, Errorf("NoSuchOrigin", "The origin group %q names an origin that does not exist: %q.", g.ID, id)
			}
			g.Members = append(g.Members, id)
		}
		if len(g.Members) != 2 {
			return nil, Errorf("InvalidArgument", "The origin group %q must have exactly two members.", g.ID)
		}
		for _, code := range StringItems(gt, "FailoverCriteria", "StatusCodes") {
			n, err := strconv.Atoi(code)
			if err != nil || !slices.Contains([]int{400, 403, 404, 416, 500, 502, 503, 504}, n) {
				return nil, Errorf("InvalidArgument", "The origin group %q has a failover status code that is not allowed: %s.", g.ID, code)
			}
			g.FailoverCodes = append(g.FailoverCodes, n)
		}
		if ids[g.ID] {
			return nil, Errorf("InvalidArgument", "The origin group id %q is already used by an origin or another group.", g.ID)
		}
		ids[g.ID] = true
		c.OriginGroups = append(c.OriginGroups, g)
	}

	var err error
	c.DefaultBehavior, err = parseBehavior(Sub(t, "DefaultCacheBehavior"), "*", ids, c.Origins)
	if err != nil {
		return nil, err
	}
	patterns := map[string]bool{}
	for _, bt := range StructItems(t, "CacheBehaviors") {
		pp, _ := Str(bt, "PathPattern")
		if err := ValidatePathPattern(pp); err != nil {
			return nil, err
		}
		if patterns[pp] {
			return nil, Errorf("InvalidArgument", "The parameter PathPattern %q is used by more than one cache behavior.", pp)
		}
		patterns[pp] = true
		b, err := parseBehavior(bt, pp, ids, c.Origins)
		if err != nil {
			return nil, err
		}
		c.Behaviors = append(c.Behaviors, b)
	}

	for _, b := range append([]Behavior{c.DefaultBehavior}, c.Behaviors...) {
		if err := validGRPC(&b, c.HTTPVersion); err != nil {
			return nil, err
		}
	}

	for _, et := range StructItems(t, "CustomErrorResponses") {
		e, err := parseCustomError(et)
		if err != nil {
			return nil, err
		}
		c.CustomErrors = append(c.CustomErrors, e)
	}

	if lt := Sub(t, "Logging"); lt != nil {
		c.Logging = Logging{
			Enabled:        Bool(lt, "Enabled"),
			IncludeCookies: Bool(lt, "IncludeCookies"),
			Bucket:         StrOr(lt, "", "Bucket"),
			Prefix:         StrOr(lt, "", "Prefix"),
		}
		if c.Logging.Enabled && c.Logging.Bucket == "" {
			return nil, Errorf("InvalidArgument", "The parameter Logging Bucket is required when logging is enabled.")
		}
	}
	if c.ViewerCertificate, err = parseViewerCertificate(Sub(t, "ViewerCertificate")); err != nil {
		return nil, err
	}
	if c.GeoRestriction, err = parseGeo(Sub(t, "Restrictions", "GeoRestriction")); err != nil {
		return nil, err
	}
	return c, nil
}

func parseOrigin(t Tree) (*Origin, error) {
	o := &Origin{
		ID:                 StrOr(t, "", "Id"),
		DomainName:         StrOr(t, "", "DomainName"),
		OriginPath:         StrOr(t, "", "OriginPath"),
		OACID:              StrOr(t, "", "OriginAccessControlId"),
		ConnectionAttempts: 3,
		ConnectionTimeout:  10 * time.Second,
	}
	if o.ID == "" {
		return nil, Errorf("InvalidArgument", "The parameter Origin Id cannot be empty.")
	}
	if !validHost(o.DomainName) {
		return nil, Errorf("InvalidArgument", "The parameter origin name must be a domain name.")
	}
	if o.OriginPath != "" && (!strings.HasPrefix(o.OriginPath, "/") || strings.HasSuffix(o.OriginPath, "/")) {
		return nil, Errorf("InvalidArgument", "The parameter origin path must start with a slash and must not end with a slash: %q.", o.OriginPath)
	}
	if n, ok := Int(t, "ConnectionAttempts"); ok {
		if n < 1 || n > 3 {
			return nil, Errorf("InvalidArgument", "The parameter ConnectionAttempts must be between 1 and 3.")
		}
		o.ConnectionAttempts = int(n)
	}
	if n, ok := Int(t, "ConnectionTimeout"); ok {
		if n < 1 || n > 10 {
			return nil, Errorf("InvalidArgument", "The parameter ConnectionTimeout must be between 1 and 10.")
		}
		o.ConnectionTimeout = time.Duration(n) * time.Second
	}
	for _, h := range StructItems(t, "CustomHeaders") {
		o.CustomHeaders = append(o.CustomHeaders, Header{Name: StrOr(h, "", "HeaderName"), Value: StrOr(h, "", "HeaderValue")})
	}
	if len(o.CustomHeaders) > 10 {
		return nil, Errorf("TooManyOriginCustomHeaders", "Your request contains too many origin custom headers (maximum 10).")
	}
	s3, custom := Sub(t, "S3OriginConfig"), Sub(t, "CustomOriginConfig")
	if (s3 == nil) == (custom == nil) && Sub(t, "VpcOriginConfig") == nil {
		return nil, Errorf("InvalidArgument", "Origin %q must have exactly one of S3OriginConfig and CustomOriginConfig.", o.ID)
	}
	if s3 != nil {
		o.S3 = &S3Origin{OAI: StrOr(s3, "", "OriginAccessIdentity"), ReadTimeout: 30 * time.Second}
		if n, ok := Int(s3, "OriginReadTimeout"); ok {
			if n < 1 || n > 120 {
				return nil, Errorf("InvalidOriginReadTimeout", "The read timeout specified for the origin is not valid.")
			}
			o.S3.ReadTimeout = time.Duration(n) * time.Second
		}
		if o.S3.OAI != "" && o.OACID != "" {
			return nil, Errorf("IllegalOriginAccessConfiguration", "An origin cannot contain both an origin access control (OAC) and an origin access identity (OAI).")
		}
	}
	if custom != nil {
		co := &CustomOrigin{
			ProtocolPolicy:   StrOr(custom, "", "OriginProtocolPolicy"),
			SSLProtocols:     StringItems(custom, "OriginSslProtocols"),
			ReadTimeout:      30 * time.Second,
			KeepaliveTimeout: 5 * time.Second,
		}
		p, _ := Int(custom, "HTTPPort")
		sp, _ := Int(custom, "HTTPSPort")
		if !validPort(p) || !validPort(sp) {
			return nil, Errorf("InvalidArgument", "The parameter HTTPPort/HTTPSPort of origin %q must be between 1 and 65535.", o.ID)
		}
		co.HTTPPort, co.HTTPSPort = int(p), int(sp)
		if n, ok := Int(custom, "OriginReadTimeout"); ok {
			if n < 1 || n > 120 {
				return nil, Errorf("InvalidOriginReadTimeout", "The read timeout specified for the origin is not valid.")
			}
			co.ReadTimeout = time.Duration(n) * time.Second
		}
		if n, ok := Int(custom, "OriginKeepaliveTimeout"); ok {
			if n < 1 || n > 120 {
				return nil, Errorf("InvalidOriginKeepaliveTimeout", "The keep alive timeout specified for the origin is not valid.")
			}
			co.KeepaliveTimeout = time.Duration(n) * time.Second
		}
		o.Custom = co
	}
	// "The value for ResponseCompletionTimeout must be equal to or greater
	// than the value for OriginReadTimeout. If you don't set a value ...,
	// CloudFront doesn't enforce a maximum value" (API Reference, Origin);
	// 0 is taken as not set.
	if n, ok := Int(t, "ResponseCompletionTimeout"); ok && n != 0 {
		read := 30 * time.Second
		if o.Custom != nil {
			read = o.Custom.ReadTimeout
		} else if o.S3 != nil {
			read = o.S3.ReadTimeout
		}
		if n < 0 || time.Duration(n)*time.Second < read {
			return nil, Errorf("InvalidArgument", "The parameter ResponseCompletionTimeout of origin %q must be equal to or greater than its OriginReadTimeout.", o.ID)
		}
		o.ResponseCompletionTimeout = time.Duration(n) * time.Second
	}
	return o, nil
}

// validGRPC checks a behaviour with GrpcConfig enabled: "To enable your
// distribution to handle gRPC requests, you must include HTTP/2 as one of
// the supported HTTP versions and allow HTTP methods, including POST" (API
// Reference, GrpcConfig).
func validGRPC(b *Behavior, httpVersion string) error {
	if !b.GRPC {
		return nil
	}
	if !slices.Contains(b.AllowedMethods, "POST") {
		return Errorf("InvalidArgument", "The cache behavior with path pattern %q enables gRPC (GrpcConfig) but its AllowedMethods do not include POST.", b.PathPattern)
	}
	if httpVersion != "http2" && httpVersion != "http2and3" {
		return Errorf("InvalidArgument", "The cache behavior with path pattern %q enables gRPC (GrpcConfig), which needs HttpVersion http2 or http2and3, not %s.", b.PathPattern, httpVersion)
	}
	return nil
}

func validPort(p int64) bool { return p >= 1 && p <= 65535 }

var allMethods = []string{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}

func parseBehavior(t Tree, pattern string, originIDs map[string]bool, origins []Origin) (Behavior, error) {
	b := Behavior{
		PathPattern:             pattern,
		TargetOriginID:          StrOr(t, "", "TargetOriginId"),
		ViewerProtocolPolicy:    StrOr(t, "allow-all", "ViewerProtocolPolicy"),
		AllowedMethods:          []string{"GET", "HEAD"},
		CachedMethods:           []string{"GET", "HEAD"},
		Compress:                Bool(t, "Compress"),
		SmoothStreaming:         Bool(t, "SmoothStreaming"),
		CachePolicyID:           StrOr(t, "", "CachePolicyId"),
		OriginRequestPolicyID:   StrOr(t, "", "OriginRequestPolicyId"),
		ResponseHeadersPolicyID: StrOr(t, "", "ResponseHeadersPolicyId"),
		FieldLevelEncryption:    StrOr(t, "", "FieldLevelEncryptionId"),
		MinTTL:                  DefaultMinTTL,
		DefaultTTL:              DefaultDefaultTTL,
		MaxTTL:                  DefaultMaxTTL,
		RealtimeLogConfigARN:    StrOr(t, "", "RealtimeLogConfigArn"),
		GRPC:                    Bool(Sub(t, "GrpcConfig"), "Enabled"),
	}
	for _, fa := range StructItems(t, "FunctionAssociations") {
		if b.Functions == nil {
			b.Functions = map[string]string{}
		}
		b.Functions[StrOr(fa, "", "EventType")] = StrOr(fa, "", "FunctionARN")
	}
	if !originIDs[b.TargetOriginID] {
		return b, Errorf("NoSuchOrigin", "One or more of your origins or origin groups do not exist: %q.", b.TargetOriginID)
	}
	if am := Sub(t, "AllowedMethods"); am != nil {
		b.AllowedMethods = StringItems(am)
		if cm := Sub(am, "CachedMethods"); cm != nil {
			b.CachedMethods = StringItems(cm)
		}
		if !methodSetIs(b.AllowedMethods, "GET", "HEAD") && !methodSetIs(b.AllowedMethods, "GET", "HEAD", "OPTIONS") && !methodSetIs(b.AllowedMethods, allMethods...) {
			return b, Errorf("InvalidArgument", "The parameter AllowedMethods must be GET,HEAD or GET,HEAD,OPTIONS or all seven methods.")
		}
		if !methodSetIs(b.CachedMethods, "GET", "HEAD") && !methodSetIs(b.CachedMethods, "GET", "HEAD", "OPTIONS") {
			return b, Errorf("InvalidArgument", "The parameter CachedMethods must be GET,HEAD or GET,HEAD,OPTIONS.")
		}
		for _, m := range b.CachedMethods {
			if !slices.Contains(b.AllowedMethods, m) {
				return b, Errorf("InvalidArgument", "The parameter CachedMethods must be a subset of AllowedMethods.")
			}
		}
	}
	if ts := Sub(t, "TrustedSigners"); ts != nil && Bool(ts, "Enabled") {
		b.TrustedSigners = StringItems(ts)
		if len(b.TrustedSigners) > 5 {
			return b, Errorf("TooManyTrustedSigners", "Your request contains more trusted signers than are allowed per distribution.")
		}
		for _, s := range b.TrustedSigners {
			if s != "self" && !accountID.MatchString(s) {
				return b, Errorf("TrustedSignerDoesNotExist", "One or more of your trusted signers don't exist: %q.", s)
			}
		}
	}
	if kg := Sub(t, "TrustedKeyGroups"); kg != nil && Bool(kg, "Enabled") {
		b.TrustedKeyGroups = StringItems(kg)
	}

	// CachePolicyId and OriginRequestPolicyId name a managed or a stored
	// custom policy: the control plane checks they exist.
	fv := Sub(t, "ForwardedValues")
	if fv != nil && b.CachePolicyID != "" {
		return b, Errorf("InvalidArgument", "The cache behavior %q cannot have both a CachePolicyId and ForwardedValues.", pattern)
	}
	if fv == nil && b.CachePolicyID == "" {
		return b, Errorf("InvalidArgument", "The cache behavior %q must have either a CachePolicyId or ForwardedValues.", pattern)
	}
	if fv != nil {
		f := &ForwardedValues{
			QueryString:          Bool(fv, "QueryString"),
			QueryStringCacheKeys: StringItems(fv, "QueryStringCacheKeys"),
			CookieForward:        StrOr(fv, "none", "Cookies", "Forward"),
			CookieNames:          StringItems(fv, "Cookies", "WhitelistedNames"),
			Headers:              StringItems(fv, "Headers"),
		}
		named := Sub(fv, "Cookies", "WhitelistedNames") != nil && len(f.CookieNames) > 0
		switch {
		case f.CookieForward == "whitelist" && !named:
			return b, Errorf("InvalidForwardCookies", "Your request contains forward cookies option which doesn't match with the expectation for the whitelisted list of cookie names. The list of cookie names is missing for whitelist.")
		case f.CookieForward != "whitelist" && named:
			return b, Errorf("InvalidForwardCookies", "Your request contains forward cookies option which doesn't match with the expectation for the whitelisted list of cookie names. Cookie names are only allowed with whitelist.")
		}
		if len(f.CookieNames) > 10 {
			return b, Errorf("TooManyCookieNamesInWhiteList", "Your request contains more cookie names in the whitelist than are allowed per cache behavior.")
		}
		if len(f.Headers) > 10 && !slices.Contains(f.Headers, "*") {
			return b, Errorf("TooManyHeadersInForwardedValues", "Your request contains too many headers in forwarded values.")
		}
		if o := findOrigin(origins, b.TargetOriginID); o != nil && o.S3 != nil {
			for _, h := range f.Headers {
				if !s3Headers[strings.ToLower(h)] {
					return b, Errorf("InvalidHeadersForS3Origin", "The headers specified are not valid for an Amazon S3 origin: %q.", h)
				}
			}
		}
		b.Forwarded = f
		if n, ok := Int(t, "MinTTL"); ok {
			b.MinTTL = n
		}
		if n, ok := Int(t, "DefaultTTL"); ok {
			b.DefaultTTL = n
		}
		if n, ok := Int(t, "MaxTTL"); ok {
			b.MaxTTL = n
		}
		if b.MinTTL < 0 || b.DefaultTTL < 0 || b.MaxTTL < 0 {
			return b, Errorf("InvalidArgument", "The TTL values of cache behavior %q must not be negative.", pattern)
		}
		if b.MinTTL > b.DefaultTTL || b.DefaultTTL > b.MaxTTL {
			return b, Errorf("InvalidTTLOrder", "The TTL order specified in the cache behavior %q is not valid: MinTTL <= DefaultTTL <= MaxTTL is required.", pattern)
		}
	}
	return b, nil
}

// s3Headers are the headers CloudFront lets a behaviour forward to an S3
// origin.
var s3Headers = map[string]bool{
	"origin": true, "access-control-request-headers": true, "access-control-request-method": true,
}

func findOrigin(origins []Origin, id string) *Origin {
	for i := range origins {
		if origins[i].ID == id {
			return &origins[i]
		}
	}
	return nil
}

func methodSetIs(have []string, want ...string) bool {
	if len(have) != len(want) {
		return false
	}
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

var (
	errorCodes    = []int{400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504}
	responseCodes = []int{200, 400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504}
)

func parseCustomError(t Tree) (CustomErrorResponse, error) {
	var e CustomErrorResponse
	code, _ := Int(t, "ErrorCode")
	if !slices.Contains(errorCodes, int(code)) {
		return e, Errorf("InvalidErrorCode", "An invalid error code was specified: %d.", code)
	}
	e.ErrorCode = int(code)
	page, hasPage := Str(t, "ResponsePagePath")
	rc, hasRC := Str(t, "ResponseCode")
	if hasPage && page == "" {
		hasPage = false
	}
	if hasRC && rc == "" {
		hasRC = false
	}
	if hasPage != hasRC {
		return e, Errorf("InvalidArgument", "Your request must specify both ResponsePagePath and ResponseCode together or none of them.")
	}
	if hasPage {
		if !strings.HasPrefix(page, "/") || len(page) > 4000 {
			return e, Errorf("InvalidRelativePath", "The relative path is too big, is not URL-encoded, or does not begin with a slash (/).")
		}
		n, err := strconv.Atoi(rc)
		if err != nil || !slices.Contains(responseCodes, n) {
			return e, Errorf("InvalidResponseCode", "A response code is not valid: %q.", rc)
		}
		e.ResponsePagePath, e.ResponseCode = page, n
	}
	if n, ok := Int(t, "ErrorCachingMinTTL"); ok {
		if n < 0 {
			return e, Errorf("InvalidArgument", "The parameter ErrorCachingMinTTL must not be negative.")
		}
		e.ErrorCachingMinTTL, e.HasCachingMinTTL = n, true
	}
	return e, nil
}

func parseViewerCertificate(t Tree) (ViewerCertificate, error) {
	v := ViewerCertificate{CloudFrontDefault: true}
	if t == nil {
		return v, nil
	}
	v = ViewerCertificate{
		CloudFrontDefault:      Bool(t, "CloudFrontDefaultCertificate"),
		IAMCertificateID:       StrOr(t, "", "IAMCertificateId"),
		ACMCertificateARN:      StrOr(t, "", "ACMCertificateArn"),
		SSLSupportMethod:       StrOr(t, "", "SSLSupportMethod"),
		MinimumProtocolVersion: StrOr(t, "", "MinimumProtocolVersion"),
	}
	// The legacy Certificate/CertificateSource pair says the same thing.
	if src, ok := Str(t, "CertificateSource"); ok && v.IAMCertificateID == "" && v.ACMCertificateARN == "" && !v.CloudFrontDefault {
		cert := StrOr(t, "", "Certificate")
		switch src {
		case "cloudfront":
			v.CloudFrontDefault = true
		case "iam":
			v.IAMCertificateID = cert
		case "acm":
			v.ACMCertificateARN = cert
		}
	}
	n := 0
	for _, set := range []bool{v.CloudFrontDefault, v.IAMCertificateID != "", v.ACMCertificateARN != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return v, Errorf("InvalidViewerCertificate", "A viewer certificate must name exactly one of CloudFrontDefaultCertificate, IAMCertificateId and ACMCertificateArn.")
	}
	if n == 0 {
		v.CloudFrontDefault = true
	}
	if !v.CloudFrontDefault && v.SSLSupportMethod == "" {
		return v, Errorf("InvalidViewerCertificate", "A custom viewer certificate requires SSLSupportMethod.")
	}
	if v.SSLSupportMethod == "sni-only" && v.MinimumProtocolVersion == "SSLv3" {
		return v, Errorf("InvalidProtocolSettings", "You cannot specify SSLv3 as the minimum protocol version if you only want to support only clients that support Server Name Indication (SNI).")
	}
	return v, nil
}

func parseGeo(t Tree) (GeoRestriction, error) {
	g := GeoRestriction{Type: "none"}
	if t == nil {
		return g, nil
	}
	g.Type = StrOr(t, "none", "RestrictionType")
	g.Locations = StringItems(t)
	switch {
	case g.Type == "none" && len(g.Locations) > 0:
		return g, Errorf("InvalidGeoRestrictionParameter", "The geo restriction type none takes no locations.")
	case g.Type != "none" && len(g.Locations) == 0:
		return g, Errorf("InvalidGeoRestrictionParameter", "The geo restriction type %s needs at least one location.", g.Type)
	}
	for _, l := range g.Locations {
		if !countryCodes[l] {
			return g, Errorf("InvalidLocationCode", "The location code specified is not valid: %q.", l)
		}
	}
	return g, nil
}

var (
	accountID    = LazyRegexp(`^[0-9]{12}$`)
	hostLabel    = LazyRegexp(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$`)
	aliasPattern = LazyRegexp(`^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	rootObject   = LazyRegexp(`^[A-Za-z0-9_\-.~!$&'()*+,;=:@%/]*$`)
	pathPattern  = LazyRegexp(`^[A-Za-z0-9_\-.*$/~"'@:+&?]*$`)
)

// validHost accepts DNS names, IP addresses and localhost: OpenFront lets
// origins be any resolvable host (OpenFront's choice; it departs from
// CloudFront here).
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if net.ParseIP(strings.Trim(h, "[]")) != nil {
		return true
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if !hostLabel.MatchString(label) {
			return false
		}
	}
	return true
}

func validAlias(a string) bool {
	return len(a) <= 253 && aliasPattern.MatchString(a) && strings.Contains(a, ".")
}

func validDefaultRootObject(s string) error {
	if len(s) > 255 || strings.HasPrefix(s, "/") || !rootObject.MatchString(s) {
		return Errorf("InvalidDefaultRootObject", "The default root object file name is too big or contains an invalid character.")
	}
	return nil
}

// ValidatePathPattern checks a cache behaviour's PathPattern.
func ValidatePathPattern(p string) error {
	if p == "" || len(p) > 255 || !pathPattern.MatchString(p) {
		return Errorf("InvalidArgument", "The parameter PathPattern %q is not valid.", p)
	}
	return nil
}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

func firstDuplicate(ss []string) string {
	seen := make(map[string]bool, len(ss))
	for _, s := range ss {
		if seen[s] {
			return s
		}
		seen[s] = true
	}
	return ""
}

// AllBehaviors returns the default cache behaviour followed by the others
// (a new slice; for checks that treat them alike, not for matching).
func (c *DistributionConfig) AllBehaviors() []Behavior {
	return append([]Behavior{c.DefaultBehavior}, c.Behaviors...)
}

// OAIReferences returns the OAI ids the configuration's S3 origins
// reference ("origin-access-identity/cloudfront/<id>"), and the first
// malformed reference if any.
func (c *DistributionConfig) OAIReferences() (ids []string, malformed string) {
	for _, o := range c.Origins {
		if o.S3 == nil || o.S3.OAI == "" {
			continue
		}
		id, ok := ParseOAIReference(o.S3.OAI)
		if !ok {
			return ids, o.S3.OAI
		}
		ids = append(ids, id)
	}
	return ids, ""
}

// ParseOAIReference splits "origin-access-identity/cloudfront/<id>".
func ParseOAIReference(ref string) (string, bool) {
	id, ok := strings.CutPrefix(ref, "origin-access-identity/cloudfront/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return "", false
	}
	return id, true
}
