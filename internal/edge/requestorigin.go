package edge

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"openfront/internal/functions"
	"openfront/internal/model"
	"openfront/internal/snapshot"
)

// Origin modification by a viewer-request function ("Helper methods for
// origin modification", AWS CloudFront Developer Guide). The engine
// records the function's calls of cf.updateRequestOrigin,
// cf.selectRequestOriginById and cf.createRequestOriginGroup; the plan
// turns them, in order, into the origins this one request is fetched
// from (plan.origin), and fetch uses them instead of the behaviour's.
// The cache key does not change: it is made of what the cache policy
// names, never of the origin, so an object stored from one origin is a
// hit for every request with its key whichever origin the function picks
// ("the origin updating capabilities ... run on every request", the logic
// only matters on cache misses). A property the distribution or the guide
// does not allow fails the request with FunctionValidationError.
//
// Acted on: domainName, hostHeader, sni, allowedCertificateNames,
// originPath, customHeaders, connectionAttempts, originAccessControlConfig
// (S3 signing), timeouts, customOriginConfig; origin ids, overrides and
// failover status codes of origin groups. Checked but without effect on a
// single-tier edge: originShield, ipAddressType, selectionCriteria
// media-quality-score (treated as default).

// originChoice is the origin, or failover pair, a function chose for one
// request.
type originChoice struct {
	origins       []requestOrigin // primary first
	failoverCodes []int
}

// requestOrigin is an origin as a function set it for one request: its
// settings (a copy when changed: the snapshot's are never modified) and
// what the function set on top of them.
type requestOrigin struct {
	*model.Origin
	tlsOverrides
	signing string // OAC signing behaviour ("": the origin's own)
}

// models are the chosen origins' settings, primary first.
func (c *originChoice) models() []*model.Origin {
	out := make([]*model.Origin, len(c.origins))
	for i, o := range c.origins {
		out[i] = o.Origin
	}
	return out
}

// tlsOverrides are the hostHeader, sni and allowedCertificateNames a
// function gave (for non-S3 custom origins).
type tlsOverrides struct {
	host      string   // Host header ("": the usual rule)
	sni       string   // TLS server name ("": the Host override, else the domain name)
	certNames []string // names the certificate may have instead (nil: the usual check)
}

// invalidOrigin is a property a function gave that cannot be used.
type invalidOrigin struct{ msg string }

func (e *invalidOrigin) Error() string { return e.msg }

func invalidf(format string, a ...any) error { return &invalidOrigin{fmt.Sprintf(format, a...)} }

// chooseOrigin applies a viewer-request function's origin modification
// calls to the behaviour's origins. headers are the request headers the
// function returned (a custom header may not repeat one of them).
func chooseOrigin(d *snapshot.Distribution, b *snapshot.Behavior, changes []functions.OriginChange, headers functions.Fields) (*originChoice, error) {
	c := &originChoice{failoverCodes: b.FailoverCodes}
	for _, o := range b.Origins {
		c.origins = append(c.origins, requestOrigin{Origin: o})
	}
	for _, ch := range changes {
		var err error
		switch ch.Method {
		case functions.UpdateRequestOrigin:
			err = c.update(ch.Arg, headers)
		case functions.SelectRequestOriginByID:
			err = c.selectByID(d, ch.Arg, ch.Overrides)
		case functions.CreateRequestOriginGroup:
			err = c.group(d, ch.Arg)
		default:
			err = invalidf("unknown origin modification %q", ch.Method)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ch.Method, err)
		}
	}
	return c, nil
}

// configuredOrigin finds an origin of the distribution by id (origin
// groups are not origins: createRequestOriginGroup makes one).
func configuredOrigin(d *snapshot.Distribution, id string) (*model.Origin, error) {
	for i := range d.Config.Origins {
		if d.Config.Origins[i].ID == id {
			return &d.Config.Origins[i], nil
		}
	}
	return nil, invalidf("the distribution has no origin with the id %q", id)
}

// selectByID makes the request go to another origin of the distribution,
// with its own settings ("selectRequestOriginById() method").
func (c *originChoice) selectByID(d *snapshot.Distribution, id, overrides any) error {
	name, ok := id.(string)
	if !ok {
		return invalidf("the origin id must be a string")
	}
	o, err := configuredOrigin(d, name)
	if err != nil {
		return err
	}
	tlso, err := readOverrides(overrides, o)
	if err != nil {
		return err
	}
	c.origins, c.failoverCodes = []requestOrigin{{Origin: o, tlsOverrides: tlso}}, nil
	return nil
}

// groupFailoverCodes are the status codes an origin group may fail over
// on (API Reference, OriginGroupFailoverCriteria / StatusCodes).
var groupFailoverCodes = []int{400, 403, 404, 416, 500, 502, 503, 504}

// group makes a failover pair of two origins of the distribution
// ("createRequestOriginGroup() method"); its status codes replace those
// of the behaviour's own group.
func (c *originChoice) group(d *snapshot.Distribution, arg any) error {
	props, ok := arg.(map[string]any)
	if !ok {
		return invalidf("the argument must be an object")
	}
	if err := knownKeys(props, "originIds", "failoverCriteria", "selectionCriteria"); err != nil {
		return err
	}
	ids, isList := props["originIds"].([]any)
	if !isList || len(ids) != 2 {
		return invalidf("originIds must be an array of two origins (primary, then secondary)")
	}
	var origins []requestOrigin
	for _, item := range ids {
		var id string
		var overrides any
		switch v := item.(type) {
		case string:
			id = v
		case map[string]any:
			if err := knownKeys(v, "originId", "originOverrides"); err != nil {
				return err
			}
			if id, ok = v["originId"].(string); !ok {
				return invalidf("each item of originIds needs an originId string")
			}
			overrides = v["originOverrides"]
		default:
			return invalidf("each item of originIds must be an origin id or {originId, originOverrides}")
		}
		o, err := configuredOrigin(d, id)
		if err != nil {
			return err
		}
		tlso, err := readOverrides(overrides, o)
		if err != nil {
			return err
		}
		origins = append(origins, requestOrigin{Origin: o, tlsOverrides: tlso})
	}
	if origins[0].ID == origins[1].ID {
		return invalidf("the two origins of a group must differ")
	}
	switch props["selectionCriteria"] {
	case nil, "default", "media-quality-score":
	default:
		return invalidf("selectionCriteria must be default or media-quality-score")
	}
	criteria := props["failoverCriteria"]
	if m, ok := criteria.(map[string]any); ok {
		if err := knownKeys(m, "statusCodes"); err != nil {
			return err
		}
		criteria = m["statusCodes"]
	}
	list, ok := criteria.([]any)
	if !ok || len(list) == 0 {
		return invalidf("failoverCriteria must list the statusCodes that fail over")
	}
	var codes []int
	for _, v := range list {
		n, ok := intOf(v)
		if !ok || !slices.Contains(groupFailoverCodes, n) {
			return invalidf("failover status code %v is not one of %v", v, groupFailoverCodes)
		}
		codes = append(codes, n)
	}
	c.origins, c.failoverCodes = origins, codes
	return nil
}

// readOverrides reads the origin_overrides of a selected origin.
func readOverrides(v any, o *model.Origin) (tlsOverrides, error) {
	if v == nil {
		return tlsOverrides{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return tlsOverrides{}, invalidf("originOverrides must be an object")
	}
	if err := knownKeys(m, "hostHeader", "sni", "allowedCertificateNames"); err != nil {
		return tlsOverrides{}, err
	}
	return readTLSOverrides(m, o)
}

// readTLSOverrides reads hostHeader, sni and allowedCertificateNames, which
// apply to non-S3 custom origins only. The SNI defaults to the Host
// header given ("If this is not provided, the value from the hostHeader
// parameter is used").
func readTLSOverrides(m map[string]any, o *model.Origin) (tlsOverrides, error) {
	var t tlsOverrides
	var err error
	if t.host, err = hostName253(m, "hostHeader"); err != nil {
		return t, err
	}
	if t.sni, err = hostName253(m, "sni"); err != nil {
		return t, err
	}
	if t.certNames, err = certificateNames(m["allowedCertificateNames"]); err != nil {
		return t, err
	}
	if t.sni == "" {
		t.sni = t.host
	}
	if o.S3 != nil {
		return tlsOverrides{}, nil // "for non-S3 custom origins"
	}
	return t, nil
}

// update changes settings of the primary origin; what it does not name
// stays as the origin has it ("updateRequestOrigin() method": "If you're
// updating an origin that is part of an origin group, only the primary
// origin of the origin group is updated").
func (c *originChoice) update(arg any, headers functions.Fields) error {
	props, ok := arg.(map[string]any)
	if !ok {
		return invalidf("the argument must be an object")
	}
	if err := knownKeys(props, "domainName", "hostHeader", "originPath", "customHeaders", "connectionAttempts",
		"originShield", "originAccessControlConfig", "timeouts", "customOriginConfig", "ipAddressType", "sni",
		"allowedCertificateNames"); err != nil {
		return err
	}
	o := *c.origins[0].Origin // a copy, and copies of what it points to before changing it
	o.CustomHeaders = slices.Clone(o.CustomHeaders)
	if o.S3 != nil {
		s3 := *o.S3
		o.S3 = &s3
	}
	if o.Custom != nil {
		custom := *o.Custom
		custom.SSLProtocols = slices.Clone(custom.SSLProtocols)
		o.Custom = &custom
	}
	signing := c.origins[0].signing

	// originAccessControlConfig first: it says whether a new domain is an
	// S3 bucket ("make sure that the origin type in
	// originAccessControlConfig matches the new origin type").
	oacType := ""
	if v, ok := props["originAccessControlConfig"]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			return invalidf("originAccessControlConfig must be an object")
		}
		if err := knownKeys(m, "enabled", "signingBehavior", "signingProtocol", "originType"); err != nil {
			return err
		}
		enabled, ok := m["enabled"].(bool)
		if !ok {
			return invalidf("originAccessControlConfig.enabled must be true or false")
		}
		signing = "never"
		if enabled {
			if signing, ok = m["signingBehavior"].(string); !ok || !slices.Contains([]string{"always", "never", "no-override"}, signing) {
				return invalidf("originAccessControlConfig.signingBehavior must be always, never or no-override")
			}
			if m["signingProtocol"] != "sigv4" {
				return invalidf("originAccessControlConfig.signingProtocol must be sigv4")
			}
			if oacType, ok = m["originType"].(string); !ok || !slices.Contains([]string{"s3", "mediapackagev2", "mediastore", "lambda"}, oacType) {
				return invalidf("originAccessControlConfig.originType must be s3, mediapackagev2, mediastore or lambda")
			}
		}
		o.OACID = "" // the function's settings replace the origin's OAC
	}
	if v, ok := props["domainName"]; ok {
		domain, ok := v.(string)
		if !ok {
			return invalidf("domainName must be a string")
		}
		toS3 := oacType == "s3" || o.S3 != nil && oacType == ""
		if toS3 && model.S3Bucket(domain) != "" {
			if len(domain) > 128 || domain != strings.ToLower(domain) {
				return invalidf("domainName %q: an S3 origin's domain name is lower case and at most 128 characters", domain)
			}
			if o.S3 == nil {
				o.S3, o.Custom = &model.S3Origin{ReadTimeout: 30 * time.Second}, nil
			}
		} else {
			if err := checkHostName(domain, "domainName"); err != nil {
				return err
			}
			if o.S3 != nil { // any HTTP endpoint: a custom origin, over HTTPS as CloudFront's default
				o.S3, o.Custom = nil, &model.CustomOrigin{HTTPPort: 80, HTTPSPort: 443, ProtocolPolicy: "https-only",
					SSLProtocols: []string{"TLSv1.2"}, ReadTimeout: 30 * time.Second, KeepaliveTimeout: 5 * time.Second}
			}
		}
		o.DomainName = domain
	}
	if v, ok := props["ipAddressType"]; ok {
		if _, changed := props["domainName"]; !changed {
			return invalidf("ipAddressType can only be changed with the domainName")
		}
		if !slices.Contains([]any{"ipv4", "ipv6", "dualstack"}, v) {
			return invalidf("ipAddressType must be ipv4, ipv6 or dualstack")
		}
	}
	tlso, err := readTLSOverrides(props, &model.Origin{})
	if err != nil {
		return err
	}
	if v, ok := props["originPath"]; ok {
		p, ok := v.(string)
		if !ok || !validOriginPath(p) {
			return invalidf("originPath must start with / and not end with one, URL-encoded, at most 255 characters")
		}
		o.OriginPath = p
	}
	if v, ok := props["customHeaders"]; ok {
		list, err := customHeaders(v, headers)
		if err != nil {
			return err
		}
		o.CustomHeaders = list
	}
	if v, ok := props["connectionAttempts"]; ok {
		n, ok := intOf(v)
		if !ok || n < 1 || n > 3 {
			return invalidf("connectionAttempts must be 1, 2 or 3")
		}
		o.ConnectionAttempts = n
	}
	if v, ok := props["originShield"]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			return invalidf("originShield must be an object")
		}
		if err := knownKeys(m, "enabled", "region"); err != nil {
			return err
		}
		enabled, ok := m["enabled"].(bool)
		if !ok {
			return invalidf("originShield.enabled must be true or false")
		}
		if region, _ := m["region"].(string); enabled && region == "" {
			return invalidf("originShield.region is required when Origin Shield is enabled")
		}
	}
	if v, ok := props["timeouts"]; ok {
		if err := applyTimeouts(&o, v); err != nil {
			return err
		}
	}
	if v, ok := props["customOriginConfig"]; ok && o.S3 == nil { // S3 origins ignore it
		if err := applyCustomConfig(&o, v); err != nil {
			return err
		}
	}
	prev := c.origins[0]
	_, changed := props["domainName"]
	switch {
	case o.S3 != nil:
		tlso = tlsOverrides{} // "for non-S3 custom origins"
	case changed:
		// "If this is not provided, the value from the domainName
		// parameter is used" (Host and SNI).
		if tlso.host == "" {
			tlso.host = o.DomainName
		}
	default: // what an earlier call set stays unless this one sets it
		if tlso.host == "" {
			tlso.host = prev.host
		}
		if _, given := props["sni"]; !given && prev.sni != "" {
			tlso.sni = prev.sni
		}
		if tlso.certNames == nil {
			tlso.certNames = prev.certNames
		}
	}
	c.origins[0] = requestOrigin{Origin: &o, tlsOverrides: tlso, signing: signing}
	return nil
}

// applyTimeouts reads timeouts: readTimeout and keepAliveTimeout 1-120 s,
// connectionTimeout 1-10 s, responseCompletionTimeout at least the read
// timeout. keepAliveTimeout applies to custom origins only.
func applyTimeouts(o *model.Origin, v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return invalidf("timeouts must be an object")
	}
	if err := knownKeys(m, "readTimeout", "responseCompletionTimeout", "keepAliveTimeout", "connectionTimeout"); err != nil {
		return err
	}
	seconds := func(name string, lo, hi int) (time.Duration, bool, error) {
		v, ok := m[name]
		if !ok {
			return 0, false, nil
		}
		n, ok := intOf(v)
		if !ok || n < lo || n > hi {
			return 0, false, invalidf("timeouts.%s must be %d to %d seconds", name, lo, hi)
		}
		return time.Duration(n) * time.Second, true, nil
	}
	read, hasRead, err := seconds("readTimeout", 1, 120)
	if err != nil {
		return err
	}
	keep, hasKeep, err := seconds("keepAliveTimeout", 1, 120)
	if err != nil {
		return err
	}
	conn, hasConn, err := seconds("connectionTimeout", 1, 10)
	if err != nil {
		return err
	}
	done, hasDone, err := seconds("responseCompletionTimeout", 1, math.MaxInt32)
	if err != nil {
		return err
	}
	if hasRead {
		if o.S3 != nil {
			o.S3.ReadTimeout = read
		} else if o.Custom != nil {
			o.Custom.ReadTimeout = read
		}
	}
	if hasKeep && o.Custom != nil {
		o.Custom.KeepaliveTimeout = keep
	}
	if hasConn {
		o.ConnectionTimeout = conn
	}
	if hasDone {
		effective := 30 * time.Second
		if o.S3 != nil && o.S3.ReadTimeout > 0 {
			effective = o.S3.ReadTimeout
		} else if o.Custom != nil {
			effective = o.Custom.ReadTimeout
		}
		if done < effective {
			return invalidf("timeouts.responseCompletionTimeout must be at least the read timeout (%s)", effective)
		}
		o.ResponseCompletionTimeout = done
	}
	return nil
}

// applyCustomConfig reads customOriginConfig: port, protocol (http or
// https) and sslProtocols, all required.
func applyCustomConfig(o *model.Origin, v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return invalidf("customOriginConfig must be an object")
	}
	if err := knownKeys(m, "port", "protocol", "sslProtocols"); err != nil {
		return err
	}
	port, ok := intOf(m["port"])
	if !ok && m["port"] != nil { // the guide's TypeScript spells it as a string too
		if s, isString := m["port"].(string); isString {
			_, err := fmt.Sscanf(s, "%d", &port)
			ok = err == nil && fmt.Sprint(port) == s
		}
	}
	// CloudFront's origin ports: 80, 443 and 1024-65535 (API Reference,
	// CustomOriginConfig HTTPPort and HTTPSPort).
	if !ok || port != 80 && port != 443 && (port < 1024 || port > 65535) {
		return invalidf("customOriginConfig.port must be 80, 443 or 1024-65535")
	}
	protocol, _ := m["protocol"].(string)
	if protocol != "http" && protocol != "https" {
		return invalidf("customOriginConfig.protocol must be http or https")
	}
	list, ok := m["sslProtocols"].([]any)
	if !ok || len(list) == 0 {
		return invalidf("customOriginConfig.sslProtocols must list SSLv3, TLSv1, TLSv1.1 or TLSv1.2")
	}
	var ssl []string
	for _, p := range list {
		if !slices.Contains([]any{"SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2"}, p) {
			return invalidf("customOriginConfig.sslProtocols: %v is not SSLv3, TLSv1, TLSv1.1 or TLSv1.2", p)
		}
		ssl = append(ssl, p.(string))
	}
	if o.Custom == nil {
		o.Custom = &model.CustomOrigin{ReadTimeout: 30 * time.Second, KeepaliveTimeout: 5 * time.Second}
	}
	o.Custom.HTTPPort, o.Custom.HTTPSPort, o.Custom.SSLProtocols = port, port, ssl
	o.Custom.ProtocolPolicy = protocol + "-only"
	return nil
}

// customHeaderDenylist are the headers CloudFront cannot add to origin
// requests ("Custom headers that CloudFront can't add to origin
// requests", Developer Guide), besides the X-Amz- and X-Edge- prefixes.
var customHeaderDenylist = []string{"cache-control", "connection", "content-length", "cookie", "host", "if-match",
	"if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "max-forwards", "pragma",
	"proxy-authorization", "proxy-connection", "range", "request-range", "te", "trailer", "transfer-encoding",
	"upgrade", "via", "x-real-ip"}

// customHeaders reads {"name": "value", ...}: names in lower case, not
// denied, not also among the request's headers; the result replaces the
// origin's custom headers ({} removes them).
func customHeaders(v any, headers functions.Fields) ([]model.Header, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalidf("customHeaders must be an object of header names and values")
	}
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]model.Header, 0, len(names))
	for _, name := range names {
		value, ok := m[name].(string)
		switch {
		case !ok:
			return nil, invalidf("customHeaders[%q] must be a string", name)
		case name != strings.ToLower(name) || !httpguts.ValidHeaderFieldName(name):
			return nil, invalidf("customHeaders: %q is not a lower-case header name", name)
		case slices.Contains(customHeaderDenylist, name) || strings.HasPrefix(name, "x-amz-") || strings.HasPrefix(name, "x-edge-"):
			return nil, invalidf("customHeaders: CloudFront cannot add %q to origin requests", name)
		case !httpguts.ValidHeaderFieldValue(value):
			return nil, invalidf("customHeaders[%q]: the value has a control character", name)
		}
		if _, dup := headers.Get(name); dup {
			return nil, invalidf("customHeaders: %q is also a header of the request", name)
		}
		out = append(out, model.Header{Name: functions.CanonicalHeaderName(name), Value: value})
	}
	return out, nil
}

// validOriginPath: "" (none) or /path without a trailing slash, URL
// encoded, at most 255 characters.
func validOriginPath(p string) bool {
	if p == "" {
		return true
	}
	if len(p) > 255 || p[0] != '/' || strings.HasSuffix(p, "/") {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"<>\^{|}?#`+"`", c) >= 0 {
			return false
		}
		if c == '%' && (i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2])) {
			return false
		}
	}
	return !slices.Contains(strings.Split(p, "/"), "..")
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// hostName253 reads an optional host name property (hostHeader, sni).
func hostName253(m map[string]any, name string) (string, error) {
	v, ok := m[name]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", invalidf("%s must be a string", name)
	}
	return s, checkHostName(s, name)
}

// checkHostName: "can't include a colon (:) and can't be an IP address",
// at most 253 characters, DNS labels.
func checkHostName(s, what string) error {
	if s == "" || len(s) > 253 || strings.Contains(s, ":") || net.ParseIP(s) != nil {
		return invalidf("%s %q must be a DNS name (no colon, not an IP address, at most 253 characters)", what, s)
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 {
			return invalidf("%s %q is not a DNS name", what, s)
		}
		for i := 0; i < len(label); i++ {
			c := label[i] | 0x20
			if !(c >= 'a' && c <= 'z' || label[i] >= '0' && label[i] <= '9' || label[i] == '-' || label[i] == '_') {
				return invalidf("%s %q is not a DNS name", what, s)
			}
		}
	}
	return nil
}

// certificateNames: up to 20 names of up to 64 characters (DNS names,
// "*." wildcards allowed).
func certificateNames(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 || len(list) > 20 {
		return nil, invalidf("allowedCertificateNames must be an array of 1 to 20 names")
	}
	var names []string
	for _, n := range list {
		s, ok := n.(string)
		if !ok || s == "" || len(s) > 64 || checkHostName(strings.TrimPrefix(s, "*."), "name") != nil {
			return nil, invalidf("allowedCertificateNames: %v is not a certificate name of 1 to 64 characters", n)
		}
		names = append(names, s)
	}
	return names, nil
}

// knownKeys refuses properties the guide does not define (a misspelt
// property would otherwise be ignored without a word).
func knownKeys(m map[string]any, names ...string) error {
	for k := range m {
		if !slices.Contains(names, k) {
			return invalidf("unknown property %q (expected one of %s)", k, strings.Join(names, ", "))
		}
	}
	return nil
}

// intOf reads a whole JavaScript number exported to Go.
func intOf(v any) (int, bool) {
	switch n := v.(type) {
	case int64:
		if n >= math.MinInt32 && n <= math.MaxInt32 {
			return int(n), true
		}
	case float64:
		if n == math.Trunc(n) && n >= math.MinInt32 && n <= math.MaxInt32 {
			return int(n), true
		}
	}
	return 0, false
}

// signsWith decides an S3 request's signing under a function's OAC
// signing behaviour.
func signsWith(behaviour string, h http.Header) bool {
	switch behaviour {
	case "never":
		return false
	case "no-override":
		return h.Get("Authorization") == ""
	}
	return true
}
