package model

import (
	"strconv"
	"strings"
)

// ResponseHeadersPolicy is what CloudFront removes from and adds to the
// responses a cache behaviour sends to viewers (Developer Guide,
// "Understand response headers policies").
type ResponseHeadersPolicy struct {
	Name         string
	Comment      string
	CORS         *CORSConfig // nil: no CORS headers
	Security     SecurityHeaders
	Custom       []CustomHeader
	Remove       []string
	ServerTiming *ServerTimingConfig
}

// CORSConfig is a policy's CorsConfig.
type CORSConfig struct {
	AllowOrigins     []string
	AllowHeaders     []string
	AllowMethods     []string // GET ... HEAD, or ALL
	ExposeHeaders    []string
	AllowCredentials bool
	MaxAgeSec        int64
	HasMaxAge        bool
	OriginOverride   bool
}

// SecurityHeaders are the security headers a policy sets (nil: not set).
type SecurityHeaders struct {
	XSSProtection           *XSSProtection
	FrameOptions            *OverridableValue // DENY or SAMEORIGIN
	ReferrerPolicy          *OverridableValue
	ContentSecurityPolicy   *OverridableValue
	ContentTypeOptions      *OverridableValue // always nosniff
	StrictTransportSecurity *StrictTransportSecurity
}

// OverridableValue is a header value with its Override flag: true
// replaces the origin's header, false keeps it.
type OverridableValue struct {
	Override bool
	Value    string
}

// XSSProtection is X-XSS-Protection.
type XSSProtection struct {
	Override, Protection, ModeBlock bool
	ReportURI                       string
}

// StrictTransportSecurity is Strict-Transport-Security.
type StrictTransportSecurity struct {
	Override, IncludeSubdomains, Preload bool
	MaxAgeSec                            int64
}

// CustomHeader is one custom header of a policy.
type CustomHeader struct {
	Header, Value string
	Override      bool
}

// ServerTimingConfig is ServerTimingHeadersConfig.
type ServerTimingConfig struct {
	Enabled      bool
	SamplingRate float64 // percent, 0..100
}

// ResponseHeadersPolicyRecord is a custom response headers policy.
type ResponseHeadersPolicyRecord = PolicyRecord[ResponseHeadersPolicy]

// Quotas of a response headers policy (Developer Guide, "Response headers
// policy quotas").
const (
	maxCustomHeaders     = 10
	maxRemoveHeaders     = 10
	maxCSPLength         = 1783
	maxHeadersTotalBytes = 10240 // all header names and values of the policy
)

// Headers a response headers policy can neither remove nor add: the guide
// lists them under "Remove headers" (Understand response headers policies).
// Names ending in "*" are prefixes.
var unmodifiableResponseHeaders = []string{
	"connection", "content-encoding", "content-length", "expect", "host", "keep-alive",
	"proxy-authenticate", "proxy-authorization", "proxy-connection", "trailer",
	"transfer-encoding", "upgrade", "via", "warning", "x-accel-buffering", "x-accel-charset",
	"x-accel-limit-rate", "x-accel-redirect", "x-amz-cf-*", "x-amzn-auth", "x-amzn-cf-billing",
	"x-amzn-cf-id", "x-amzn-cf-xff", "x-amzn-errortype", "x-amzn-fle-profile",
	"x-amzn-header-count", "x-amzn-header-order", "x-amzn-lambda-integration-tag",
	"x-amzn-requestid", "x-cache", "x-edge-*", "x-forwarded-proto", "x-real-ip",
}

// UnmodifiableResponseHeader reports whether a policy may not remove or
// add the header.
func UnmodifiableResponseHeader(name string) bool {
	name = strings.ToLower(name)
	for _, u := range unmodifiableResponseHeaders {
		if p, ok := strings.CutSuffix(u, "*"); ok {
			if strings.HasPrefix(name, p) {
				return true
			}
		} else if name == u {
			return true
		}
	}
	return false
}

// ParseResponseHeadersPolicyConfig reads and checks a
// ResponseHeadersPolicyConfig (the decoder has checked required members,
// enums and quantities).
func ParseResponseHeadersPolicyConfig(t Tree) (ResponseHeadersPolicy, error) {
	p := ResponseHeadersPolicy{Name: StrOr(t, "", "Name"), Comment: StrOr(t, "", "Comment")}
	if err := checkPolicyName(p.Name); err != nil {
		return p, err
	}
	total := 0
	if c := Sub(t, "CorsConfig"); c != nil {
		cors := &CORSConfig{
			AllowOrigins:     StringItems(c, "AccessControlAllowOrigins"),
			AllowHeaders:     StringItems(c, "AccessControlAllowHeaders"),
			AllowMethods:     StringItems(c, "AccessControlAllowMethods"),
			ExposeHeaders:    StringItems(c, "AccessControlExposeHeaders"),
			AllowCredentials: Bool(c, "AccessControlAllowCredentials"),
			OriginOverride:   Bool(c, "OriginOverride"),
		}
		cors.MaxAgeSec, cors.HasMaxAge = Int(c, "AccessControlMaxAgeSec")
		switch {
		case len(cors.AllowOrigins) == 0:
			return p, Errorf("InvalidArgument", "The CorsConfig AccessControlAllowOrigins needs at least one origin.")
		case len(cors.AllowHeaders) == 0:
			return p, Errorf("InvalidArgument", "The CorsConfig AccessControlAllowHeaders needs at least one header name (or *).")
		case len(cors.AllowMethods) == 0:
			return p, Errorf("InvalidArgument", "The CorsConfig AccessControlAllowMethods needs at least one method (or ALL).")
		case cors.HasMaxAge && cors.MaxAgeSec < 0:
			return p, Errorf("InvalidArgument", "The CorsConfig AccessControlMaxAgeSec cannot be negative.")
		case len(cors.AllowMethods) > 1 && contains(cors.AllowMethods, "ALL"):
			return p, Errorf("InvalidArgument", "The CorsConfig AccessControlAllowMethods cannot list ALL with other methods.")
		}
		for _, o := range cors.AllowOrigins {
			if err := CheckAllowOrigin(o); err != nil {
				return p, err
			}
		}
		for _, list := range [][]string{cors.AllowOrigins, cors.AllowHeaders, cors.AllowMethods, cors.ExposeHeaders} {
			for _, s := range list {
				total += len(s)
			}
		}
		p.CORS = cors
	}
	if s := Sub(t, "SecurityHeadersConfig"); s != nil {
		sh := &p.Security
		if x := Sub(s, "XSSProtection"); x != nil {
			sh.XSSProtection = &XSSProtection{Override: Bool(x, "Override"), Protection: Bool(x, "Protection"), ModeBlock: Bool(x, "ModeBlock"), ReportURI: StrOr(x, "", "ReportUri")}
			switch xp := sh.XSSProtection; {
			case !xp.Protection && (xp.ModeBlock || xp.ReportURI != ""):
				return p, Errorf("InvalidArgument", "The XSSProtection ModeBlock and ReportUri need Protection true.")
			case xp.ModeBlock && xp.ReportURI != "":
				return p, Errorf("InvalidArgument", "The XSSProtection cannot have both ModeBlock and ReportUri.")
			}
		}
		if f := Sub(s, "FrameOptions"); f != nil {
			sh.FrameOptions = &OverridableValue{Override: Bool(f, "Override"), Value: StrOr(f, "", "FrameOption")}
		}
		if r := Sub(s, "ReferrerPolicy"); r != nil {
			sh.ReferrerPolicy = &OverridableValue{Override: Bool(r, "Override"), Value: StrOr(r, "", "ReferrerPolicy")}
		}
		if c := Sub(s, "ContentSecurityPolicy"); c != nil {
			sh.ContentSecurityPolicy = &OverridableValue{Override: Bool(c, "Override"), Value: StrOr(c, "", "ContentSecurityPolicy")}
			switch v := sh.ContentSecurityPolicy.Value; {
			case len(v) > maxCSPLength:
				return p, Errorf("TooLongCSPInResponseHeadersPolicy", "The Content-Security-Policy is %d characters long (maximum %d).", len(v), maxCSPLength)
			case strings.TrimSpace(v) == "":
				return p, Errorf("InvalidArgument", "The ContentSecurityPolicy cannot be empty.")
			case !validHeaderValue(v):
				return p, Errorf("InvalidArgument", "The ContentSecurityPolicy contains characters not allowed in a header value.")
			}
			total += len(sh.ContentSecurityPolicy.Value)
		}
		if c := Sub(s, "ContentTypeOptions"); c != nil {
			sh.ContentTypeOptions = &OverridableValue{Override: Bool(c, "Override"), Value: "nosniff"}
		}
		if h := Sub(s, "StrictTransportSecurity"); h != nil {
			sh.StrictTransportSecurity = &StrictTransportSecurity{Override: Bool(h, "Override"), IncludeSubdomains: Bool(h, "IncludeSubdomains"), Preload: Bool(h, "Preload")}
			sh.StrictTransportSecurity.MaxAgeSec, _ = Int(h, "AccessControlMaxAgeSec")
			if sh.StrictTransportSecurity.MaxAgeSec < 0 {
				return p, Errorf("InvalidArgument", "The StrictTransportSecurity AccessControlMaxAgeSec cannot be negative.")
			}
		}
	}
	seen := map[string]bool{}
	for _, h := range StructItems(t, "CustomHeadersConfig") {
		ch := CustomHeader{Header: StrOr(h, "", "Header"), Value: StrOr(h, "", "Value"), Override: Bool(h, "Override")}
		if err := checkPolicyHeaderName("CustomHeadersConfig", ch.Header, seen); err != nil {
			return p, err
		}
		if !validHeaderValue(ch.Value) {
			return p, Errorf("InvalidArgument", "The custom header %q has a value with characters not allowed in a header value.", ch.Header)
		}
		total += len(ch.Header) + len(ch.Value)
		p.Custom = append(p.Custom, ch)
	}
	if len(p.Custom) > maxCustomHeaders {
		return p, Errorf("TooManyCustomHeadersInResponseHeadersPolicy", "The policy has %d custom headers (maximum %d).", len(p.Custom), maxCustomHeaders)
	}
	seen = map[string]bool{}
	for _, h := range StructItems(t, "RemoveHeadersConfig") {
		name := StrOr(h, "", "Header")
		if err := checkPolicyHeaderName("RemoveHeadersConfig", name, seen); err != nil {
			return p, err
		}
		total += len(name)
		p.Remove = append(p.Remove, name)
	}
	if len(p.Remove) > maxRemoveHeaders {
		return p, Errorf("TooManyRemoveHeadersInResponseHeadersPolicy", "The policy removes %d headers (maximum %d).", len(p.Remove), maxRemoveHeaders)
	}
	if total > maxHeadersTotalBytes {
		return p, Errorf("InvalidArgument", "The policy's header names and values total %d characters (maximum %d).", total, maxHeadersTotalBytes)
	}
	if st := Sub(t, "ServerTimingHeadersConfig"); st != nil {
		p.ServerTiming = &ServerTimingConfig{Enabled: Bool(st, "Enabled")}
		if v, ok := Str(st, "SamplingRate"); ok {
			r, err := strconv.ParseFloat(v, 64)
			if err != nil || r < 0 || r > 100 {
				return p, Errorf("InvalidArgument", "The ServerTimingHeadersConfig SamplingRate must be a number from 0 to 100, not %q.", v)
			}
			p.ServerTiming.SamplingRate = r
		}
	}
	return p, nil
}

// CheckAllowOrigin accepts "*", an origin (scheme://host[:port]), or one
// whose host starts with a "*." wildcard label.
func CheckAllowOrigin(o string) error {
	if o == "*" {
		return nil
	}
	scheme, host, ok := strings.Cut(o, "://")
	if !ok || scheme == "" || strings.TrimPrefix(host, "*.") == "" || strings.ContainsAny(host, " \t\r\n,/?#") ||
		strings.Contains(strings.TrimPrefix(host, "*."), "*") || strings.Contains(scheme, "*") || !validHeaderValue(o) {
		return Errorf("InvalidArgument", "The CorsConfig origin %q is not * or an origin such as https://example.com or https://*.example.com.", o)
	}
	return nil
}

func checkPolicyHeaderName(config, name string, seen map[string]bool) error {
	switch lower := strings.ToLower(name); {
	case !validHeaderName(name):
		return Errorf("InvalidArgument", "The %s header name %q is not a valid HTTP header name.", config, name)
	case UnmodifiableResponseHeader(name):
		return Errorf("InvalidArgument", "The %s cannot name %s: CloudFront does not let a response headers policy remove or set it.", config, name)
	case seen[lower]:
		return Errorf("InvalidArgument", "The %s names %s more than once.", config, name)
	default:
		seen[lower] = true
	}
	return nil
}

// validHeaderName: an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// validHeaderValue: visible characters, spaces and tabs (no CR, LF, NUL).
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Config is the policy as a ResponseHeadersPolicyConfig.
func (p ResponseHeadersPolicy) Config() Tree {
	t := Tree{"Name": p.Name, "Comment": p.Comment}
	if c := p.CORS; c != nil {
		cors := Tree{
			"AccessControlAllowOrigins":     Wrapper(c.AllowOrigins),
			"AccessControlAllowHeaders":     Wrapper(c.AllowHeaders),
			"AccessControlAllowMethods":     Wrapper(c.AllowMethods),
			"AccessControlAllowCredentials": boolString(c.AllowCredentials),
			"OriginOverride":                boolString(c.OriginOverride),
		}
		if len(c.ExposeHeaders) > 0 {
			cors["AccessControlExposeHeaders"] = Wrapper(c.ExposeHeaders)
		}
		if c.HasMaxAge {
			cors["AccessControlMaxAgeSec"] = itoa(c.MaxAgeSec)
		}
		t["CorsConfig"] = cors
	}
	s := p.Security
	st := Tree{}
	if x := s.XSSProtection; x != nil {
		xt := Tree{"Override": boolString(x.Override), "Protection": boolString(x.Protection)}
		if x.Protection {
			xt["ModeBlock"] = boolString(x.ModeBlock)
		}
		if x.ReportURI != "" {
			xt["ReportUri"] = x.ReportURI
		}
		st["XSSProtection"] = xt
	}
	if f := s.FrameOptions; f != nil {
		st["FrameOptions"] = Tree{"Override": boolString(f.Override), "FrameOption": f.Value}
	}
	if r := s.ReferrerPolicy; r != nil {
		st["ReferrerPolicy"] = Tree{"Override": boolString(r.Override), "ReferrerPolicy": r.Value}
	}
	if c := s.ContentSecurityPolicy; c != nil {
		st["ContentSecurityPolicy"] = Tree{"Override": boolString(c.Override), "ContentSecurityPolicy": c.Value}
	}
	if c := s.ContentTypeOptions; c != nil {
		st["ContentTypeOptions"] = Tree{"Override": boolString(c.Override)}
	}
	if h := s.StrictTransportSecurity; h != nil {
		st["StrictTransportSecurity"] = Tree{"Override": boolString(h.Override), "IncludeSubdomains": boolString(h.IncludeSubdomains),
			"Preload": boolString(h.Preload), "AccessControlMaxAgeSec": itoa(h.MaxAgeSec)}
	}
	if len(st) > 0 {
		t["SecurityHeadersConfig"] = st
	}
	if len(p.Custom) > 0 {
		items := make([]Tree, len(p.Custom))
		for i, h := range p.Custom {
			items[i] = Tree{"Header": h.Header, "Value": h.Value, "Override": boolString(h.Override)}
		}
		t["CustomHeadersConfig"] = Wrapper(items)
	}
	if len(p.Remove) > 0 {
		items := make([]Tree, len(p.Remove))
		for i, h := range p.Remove {
			items[i] = Tree{"Header": h}
		}
		t["RemoveHeadersConfig"] = Wrapper(items)
	}
	if st := p.ServerTiming; st != nil {
		t["ServerTimingHeadersConfig"] = Tree{"Enabled": boolString(st.Enabled), "SamplingRate": strconv.FormatFloat(st.SamplingRate, 'f', -1, 64)}
	}
	return t
}

// The managed policies' parts (Developer Guide, "Use managed response
// headers policies"): simple CORS from any origin, CORS with preflight
// for every method, and the security headers set.
var (
	simpleCORS = &CORSConfig{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"}, AllowMethods: []string{"GET", "HEAD"}}
	// CORS-With-Preflight: Allow-Methods DELETE, GET, HEAD, OPTIONS,
	// PATCH, POST, PUT and Expose-Headers *.
	preflightCORS   = &CORSConfig{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"}, AllowMethods: []string{"ALL"}, ExposeHeaders: []string{"*"}}
	securityHeaders = SecurityHeaders{
		ReferrerPolicy:          &OverridableValue{Value: "strict-origin-when-cross-origin"},
		StrictTransportSecurity: &StrictTransportSecurity{MaxAgeSec: 31536000},
		// "CloudFront adds X-Content-Type-Options: nosniff to all
		// responses", the origin's copy included: the one header whose
		// "Override origin?" is Yes.
		ContentTypeOptions: &OverridableValue{Override: true, Value: "nosniff"},
		FrameOptions:       &OverridableValue{Value: "SAMEORIGIN"},
		XSSProtection:      &XSSProtection{Protection: true, ModeBlock: true},
	}
)

// ManagedResponseHeadersPolicies are CloudFront's managed response headers
// policies by id (Developer Guide, "Use managed response headers
// policies", using-managed-response-headers-policies.html).
var ManagedResponseHeadersPolicies = map[string]ResponseHeadersPolicy{
	"e61eb60c-9c35-4d20-a928-2b84e02af89c": {Name: "Managed-CORS-and-SecurityHeadersPolicy", Comment: "Allows all origins for simple CORS requests, and adds security headers", CORS: simpleCORS, Security: securityHeaders},
	"5cc3b908-e619-4b99-88e5-2cf7f45965bd": {Name: "Managed-CORS-With-Preflight", Comment: "Allows all origins for CORS requests, including preflight requests", CORS: preflightCORS},
	"eaab4381-ed33-4a86-88ca-d9558dc6cd63": {Name: "Managed-CORS-with-preflight-and-SecurityHeadersPolicy", Comment: "Allows all origins for CORS requests, including preflight requests, and adds security headers", CORS: preflightCORS, Security: securityHeaders},
	"67f7725c-6f97-4210-82d7-5512b31e9d03": {Name: "Managed-SecurityHeadersPolicy", Comment: "Adds a set of security headers to every response", Security: securityHeaders},
	"60669652-455b-4ae9-85a4-c4c02393f86c": {Name: "Managed-SimpleCORS", Comment: "Allows all origins for simple CORS requests", CORS: simpleCORS},
}
