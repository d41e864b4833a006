package model

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"openfront/internal/tlsconfig"
)

// A Lightsail distribution is stored with the settings the caller gave
// (what GetDistributions shows) and the CloudFront DistributionConfig
// derived from them (what the edge serves, through the same compiler as
// CloudFront distributions). Both are written together by control, so they
// never disagree.

// LightsailDistributionRecord is a Lightsail distribution, under
// lsdist/<name>.
type LightsailDistributionRecord struct {
	Name string
	// ID is the derived CloudFront-style distribution id: the edge's cache,
	// invalidations (cache resets) and traffic counters are keyed by it.
	ID         string
	UUID       string // the ARN's resource part
	DomainName string
	CreatedAt  time.Time
	BundleID   string
	// BundleChangedAt is when UpdateDistributionBundle last changed the
	// bundle (zero: never); a bundle can change once per calendar month.
	BundleChangedAt time.Time
	Tags            []LightsailTag
	Settings        LightsailSettings
	// Config is the derived canonical DistributionConfig. Its origin
	// address is not where the edge connects: each edge resolves
	// Settings.Origin.Name through its own --lightsail-origin map when it
	// compiles the distribution (WithLightsailOriginAddress), so a restart
	// with a new map takes effect. Records written since then hold the
	// unresolved name there (ResolveLightsailOrigin with no map); older
	// ones hold the host the writing node resolved, which is read the same
	// way: ignored.
	Config Tree
}

// LightsailTag is one resource tag.
type LightsailTag struct{ Key, Value string }

// LightsailSettings are a distribution's Lightsail settings, with the
// defaults filled in.
type LightsailSettings struct {
	Origin LightsailOrigin
	// DefaultBehavior is "cache" or "dont-cache".
	DefaultBehavior string
	Cache           LightsailCacheSettings
	// PathBehaviors are evaluated in order, first match wins.
	PathBehaviors                   []LightsailPathBehavior
	Enabled                         bool
	IPAddressType                   string // dualstack, ipv4, ipv6
	CertificateName                 string // "" for the default certificate
	ViewerMinimumTLSProtocolVersion string
}

// LightsailOrigin is the origin: a Lightsail resource name that resolves
// to a host (OpenFront's choice: given with --lightsail-origin).
type LightsailOrigin struct {
	Name            string
	RegionName      string
	ProtocolPolicy  string // http-only, https-only
	ResponseTimeout int    // seconds, 1-60
	IPAddressType   string
}

// LightsailCacheSettings apply to the behaviours whose behaviour is
// "cache" (TTLs) and to every behaviour (methods, forwarded values).
type LightsailCacheSettings struct {
	DefaultTTL, MinimumTTL, MaximumTTL int64
	AllowedMethods                     string // "GET,HEAD", "GET,HEAD,OPTIONS" or all seven
	CachedMethods                      string // "GET,HEAD" or "GET,HEAD,OPTIONS"
	CookieOption                       string // none, allow-list, all
	Cookies                            []string
	HeaderOption                       string // none, allow-list, all, or default (as none)
	Headers                            []string
	QueryStrings                       bool
	QueryStringNames                   []string
}

// LightsailPathBehavior is one per-path behaviour.
type LightsailPathBehavior struct{ Path, Behavior string }

// Lightsail's defaults for what a request leaves out.
const (
	LightsailAllMethods      = "GET,HEAD,OPTIONS,PUT,PATCH,POST,DELETE"
	LightsailDefaultTimeout  = 30
	LightsailDefaultTLS      = "TLSv1.2_2021"
	LightsailDefaultIPType   = "dualstack"
	LightsailDefaultRegion   = "us-east-1"
	LightsailDefaultProtocol = "http-only"
)

// LightsailHeaderOptionDefault is the forwardedHeaders option "default":
// not in the model's enumeration, but Lightsail accepts and returns it
// (the Terraform AWS provider sends it); it forwards what "none" forwards.
const LightsailHeaderOptionDefault = "default"

// DefaultLightsailCacheSettings are the settings of a distribution created
// without cacheBehaviorSettings.
func DefaultLightsailCacheSettings() LightsailCacheSettings {
	return LightsailCacheSettings{
		DefaultTTL: DefaultDefaultTTL, MinimumTTL: DefaultMinTTL, MaximumTTL: DefaultMaxTTL,
		AllowedMethods: LightsailAllMethods, CachedMethods: "GET,HEAD",
		CookieOption: "none", HeaderOption: "none",
	}
}

// LightsailBundle is a distribution bundle (plan).
type LightsailBundle struct {
	ID                   string
	Name                 string
	Price                float64 // USD per month
	TransferPerMonthInGB int
	Active               bool
}

// LightsailBundles are the bundles GetDistributionBundles lists.
var LightsailBundles = []LightsailBundle{
	{ID: "small_1_0", Name: "Small", Price: 2.5, TransferPerMonthInGB: 50, Active: true},
	{ID: "medium_1_0", Name: "Medium", Price: 10, TransferPerMonthInGB: 200, Active: true},
	{ID: "large_1_0", Name: "Large", Price: 35, TransferPerMonthInGB: 500, Active: true},
}

// FindLightsailBundle returns the active bundle with the id.
func FindLightsailBundle(id string) (LightsailBundle, bool) {
	for _, b := range LightsailBundles {
		if b.ID == id && b.Active {
			return b, true
		}
	}
	return LightsailBundle{}, false
}

// lightsailInvalid is the error of a setting that breaks Lightsail's rules.
func lightsailInvalid(format string, args ...any) *Error {
	return Errorf("InvalidInputException", format, args...)
}

// Validate checks the settings as a whole (each field was checked when
// decoded): TTL order, methods, forwarded values, per-path behaviours.
// Errors have the code InvalidInputException and name the field.
func (s *LightsailSettings) Validate() error {
	c := &s.Cache
	if c.MinimumTTL < 0 || c.DefaultTTL < 0 || c.MaximumTTL < 0 {
		return lightsailInvalid("cacheBehaviorSettings: minimumTTL, defaultTTL and maximumTTL must not be negative.")
	}
	if c.MinimumTTL > c.DefaultTTL || c.DefaultTTL > c.MaximumTTL {
		return lightsailInvalid("cacheBehaviorSettings: minimumTTL (%d) <= defaultTTL (%d) <= maximumTTL (%d) is required.", c.MinimumTTL, c.DefaultTTL, c.MaximumTTL)
	}
	allowed, ok := LightsailMethods(c.AllowedMethods, "GET,HEAD", "GET,HEAD,OPTIONS", LightsailAllMethods)
	if !ok {
		return lightsailInvalid("cacheBehaviorSettings.allowedHTTPMethods must be GET,HEAD or GET,HEAD,OPTIONS or %s, not %q.", LightsailAllMethods, c.AllowedMethods)
	}
	cached, ok := LightsailMethods(c.CachedMethods, "GET,HEAD", "GET,HEAD,OPTIONS")
	if !ok {
		return lightsailInvalid("cacheBehaviorSettings.cachedHTTPMethods must be GET,HEAD or GET,HEAD,OPTIONS, not %q.", c.CachedMethods)
	}
	for _, m := range cached {
		if !slices.Contains(allowed, m) {
			return lightsailInvalid("cacheBehaviorSettings.cachedHTTPMethods must be a subset of allowedHTTPMethods.")
		}
	}
	switch {
	case c.CookieOption == "allow-list" && len(c.Cookies) == 0:
		return lightsailInvalid("cacheBehaviorSettings.forwardedCookies.cookiesAllowList must name at least one cookie when option is allow-list.")
	case c.CookieOption != "allow-list" && len(c.Cookies) > 0:
		return lightsailInvalid("cacheBehaviorSettings.forwardedCookies.cookiesAllowList is only allowed when option is allow-list.")
	case len(c.Cookies) > 10:
		return lightsailInvalid("cacheBehaviorSettings.forwardedCookies.cookiesAllowList can name at most 10 cookies.")
	case c.HeaderOption == "allow-list" && len(c.Headers) == 0:
		return lightsailInvalid("cacheBehaviorSettings.forwardedHeaders.headersAllowList must name at least one header when option is allow-list.")
	case c.HeaderOption != "allow-list" && len(c.Headers) > 0:
		return lightsailInvalid("cacheBehaviorSettings.forwardedHeaders.headersAllowList is only allowed when option is allow-list.")
	case len(c.Headers) > 10:
		return lightsailInvalid("cacheBehaviorSettings.forwardedHeaders.headersAllowList can name at most 10 headers.")
	case c.HeaderOption == "all" && c.MinimumTTL != 0:
		return lightsailInvalid("cacheBehaviorSettings.minimumTTL must be 0 when forwardedHeaders.option is all.")
	case len(c.QueryStringNames) > 10:
		return lightsailInvalid("cacheBehaviorSettings.forwardedQueryStrings.queryStringsAllowList can name at most 10 query strings.")
	}
	seen := map[string]bool{}
	for i, pb := range s.PathBehaviors {
		pattern := LightsailPathPattern(pb.Path)
		if err := ValidatePathPattern(pattern); err != nil || pb.Path == "" {
			return lightsailInvalid("cacheBehaviors[%d].path %q is not a valid path.", i, pb.Path)
		}
		if seen[pattern] {
			return lightsailInvalid("cacheBehaviors[%d].path %q is given more than once.", i, pb.Path)
		}
		seen[pattern] = true
		if pb.Behavior != "cache" && pb.Behavior != "dont-cache" {
			return lightsailInvalid("cacheBehaviors[%d].behavior must be cache or dont-cache.", i)
		}
	}
	if len(s.PathBehaviors) > 25 {
		return lightsailInvalid("cacheBehaviors can have at most 25 entries.")
	}
	return nil
}

// LightsailMethods splits a comma-separated method list and reports
// whether it is one of the allowed sets (in any order and case).
func LightsailMethods(list string, allowed ...string) ([]string, bool) {
	var ms []string
	for _, m := range strings.Split(list, ",") {
		ms = append(ms, strings.ToUpper(strings.TrimSpace(m)))
	}
	for _, a := range allowed {
		if methodSetIs(ms, strings.Split(a, ",")...) {
			return ms, true
		}
	}
	return nil, false
}

// LightsailPathPattern maps a per-path behaviour's path to a CloudFront
// PathPattern ("CacheBehaviorPerPath", Amazon Lightsail API Reference;
// the mapping to a PathPattern is OpenFront's choice): relative to the
// document root, a trailing
// "/" means everything below the directory.
func LightsailPathPattern(path string) string {
	p := strings.TrimPrefix(path, "/")
	if strings.HasSuffix(p, "/") {
		p += "*"
	}
	return p
}

// LightsailOriginAddress is where a Lightsail origin name really is.
type LightsailOriginAddress struct {
	Host      string
	HTTPPort  int
	HTTPSPort int
}

// ResolveLightsailOrigin maps a Lightsail origin name to where it really
// is through origins (the --lightsail-origin NAME=HOST[:PORT] map); an
// unmapped name is a host name on the scheme's usual port. A mapped port
// serves both schemes.
func ResolveLightsailOrigin(name string, origins map[string]string) LightsailOriginAddress {
	target, ok := origins[name]
	if !ok {
		target = name
	}
	addr := LightsailOriginAddress{Host: target, HTTPPort: 80, HTTPSPort: 443}
	if host, port, err := net.SplitHostPort(target); err == nil {
		if p, err := strconv.Atoi(port); err == nil {
			addr = LightsailOriginAddress{Host: host, HTTPPort: p, HTTPSPort: p}
		}
	}
	addr.Host = strings.Trim(addr.Host, "[]")
	return addr
}

// WithLightsailOriginAddress returns a copy of a derived config whose
// origin is at addr (cfg itself is not changed): the edge's own
// resolution of the origin name, whatever address the stored config holds.
func WithLightsailOriginAddress(cfg Tree, addr LightsailOriginAddress) Tree {
	out := Clone(cfg)
	for _, it := range Items(out, "Origins") {
		o, ok := it.(Tree)
		if !ok || o["Id"] != LightsailOriginID {
			continue
		}
		o["DomainName"] = addr.Host
		if c := Sub(o, "CustomOriginConfig"); c != nil {
			c["HTTPPort"] = strconv.Itoa(addr.HTTPPort)
			c["HTTPSPort"] = strconv.Itoa(addr.HTTPSPort)
		}
	}
	return out
}

// LightsailOriginID is the origin id of the derived config.
const LightsailOriginID = "lightsail-origin"

// LightsailDistributionConfig derives the CloudFront DistributionConfig
// the edge serves: one custom origin at addr, the default and per-path
// behaviours with the cache settings' forwarded values and methods; TTLs
// from the settings for "cache" behaviours, 0/0/0 for "dont-cache".
func LightsailDistributionConfig(s *LightsailSettings, addr LightsailOriginAddress, callerRef string) Tree {
	c := s.Cache
	fv := Tree{
		"QueryString": strconv.FormatBool(c.QueryStrings || len(c.QueryStringNames) > 0),
		"Cookies":     Tree{"Forward": "none"},
		"Headers":     Wrapper([]string(nil)),
	}
	// option=true forwards every query string whatever the allow-list says;
	// option=false with an allow-list forwards and caches on those names.
	if !c.QueryStrings && len(c.QueryStringNames) > 0 {
		fv["QueryStringCacheKeys"] = Wrapper(c.QueryStringNames)
	}
	switch c.CookieOption {
	case "all":
		fv["Cookies"] = Tree{"Forward": "all"}
	case "allow-list":
		fv["Cookies"] = Tree{"Forward": "whitelist", "WhitelistedNames": Wrapper(c.Cookies)}
	}
	switch c.HeaderOption {
	case "all":
		fv["Headers"] = Wrapper([]string{"*"})
	case "allow-list":
		fv["Headers"] = Wrapper(c.Headers)
	}
	allowed, _ := LightsailMethods(c.AllowedMethods, "GET,HEAD", "GET,HEAD,OPTIONS", LightsailAllMethods)
	cached, _ := LightsailMethods(c.CachedMethods, "GET,HEAD", "GET,HEAD,OPTIONS")
	behavior := func(kind, pattern string) Tree {
		am := Wrapper(allowed)
		am["CachedMethods"] = Wrapper(cached)
		b := Tree{
			"TargetOriginId":       LightsailOriginID,
			"ViewerProtocolPolicy": "allow-all",
			"AllowedMethods":       am,
			"Compress":             "false",
			"ForwardedValues":      Clone(fv),
			"TrustedSigners":       Tree{"Enabled": "false", "Quantity": "0"},
			"MinTTL":               "0",
			"DefaultTTL":           "0",
			"MaxTTL":               "0",
		}
		if kind == "cache" {
			b["MinTTL"] = strconv.FormatInt(c.MinimumTTL, 10)
			b["DefaultTTL"] = strconv.FormatInt(c.DefaultTTL, 10)
			b["MaxTTL"] = strconv.FormatInt(c.MaximumTTL, 10)
		}
		if pattern != "" {
			b["PathPattern"] = pattern
		}
		return b
	}
	var perPath []Tree
	for _, pb := range s.PathBehaviors {
		perPath = append(perPath, behavior(pb.Behavior, LightsailPathPattern(pb.Path)))
	}
	timeout := s.Origin.ResponseTimeout
	if timeout == 0 {
		timeout = LightsailDefaultTimeout
	}
	tls := s.ViewerMinimumTLSProtocolVersion
	if tls == "" {
		tls = LightsailDefaultTLS
	}
	origin := Tree{
		"Id":            LightsailOriginID,
		"DomainName":    addr.Host,
		"OriginPath":    "",
		"CustomHeaders": Wrapper([]Tree(nil)),
		"CustomOriginConfig": Tree{
			"HTTPPort":               strconv.Itoa(addr.HTTPPort),
			"HTTPSPort":              strconv.Itoa(addr.HTTPSPort),
			"OriginProtocolPolicy":   s.Origin.ProtocolPolicy,
			"OriginSslProtocols":     Wrapper([]string{"TLSv1.2"}),
			"OriginReadTimeout":      strconv.Itoa(timeout),
			"OriginKeepaliveTimeout": "5",
		},
	}
	// certificateName becomes the distribution's certificate as
	// CloudFront's ViewerCertificate names one (SNI only); its files are
	// the operator's (tlsconfig.LightsailCertificate).
	viewerCert := Tree{"CloudFrontDefaultCertificate": "true", "MinimumProtocolVersion": tls}
	if s.CertificateName != "" {
		viewerCert = Tree{"IAMCertificateId": tlsconfig.LightsailCertificate(s.CertificateName), "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": tls}
	}
	return Tree{
		"CallerReference":      callerRef,
		"Aliases":              Wrapper([]string(nil)),
		"DefaultRootObject":    "",
		"Origins":              Wrapper([]Tree{origin}),
		"DefaultCacheBehavior": behavior(s.DefaultBehavior, ""),
		"CacheBehaviors":       Wrapper(perPath),
		"CustomErrorResponses": Wrapper([]Tree(nil)),
		"Comment":              "Lightsail distribution",
		"Logging":              Tree{"Enabled": "false", "IncludeCookies": "false", "Bucket": "", "Prefix": ""},
		"PriceClass":           "PriceClass_All",
		"Enabled":              strconv.FormatBool(s.Enabled),
		"ViewerCertificate":    viewerCert,
		"Restrictions":         Tree{"GeoRestriction": Tree{"RestrictionType": "none", "Quantity": "0"}},
		"HttpVersion":          "http2",
		"IsIPV6Enabled":        strconv.FormatBool(s.IPAddressType != "ipv4"),
	}
}
