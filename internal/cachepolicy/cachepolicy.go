// Package cachepolicy turns a cache behaviour into the two decisions the
// edge makes for every request: the cache key, and what is forwarded to the
// origin. It follows CloudFront's legacy ForwardedValues model (what is
// forwarded is what varies the key: "Cache content based on query string
// parameters", "Cache content based on cookies", "Cache content based on
// request headers") and the cache policy / origin request policy model
// (the key is forwarded, the origin request policy forwards more without
// keying on it: "Control the cache key with a policy", "Control origin
// requests with a policy"; all AWS CloudFront Developer Guide).
//
// A Policy is compiled once per behaviour when the snapshot is built; its
// methods are pure functions of the request and allocate little.
package cachepolicy

import (
	"fmt"
	"net/http"
	"net/textproto"
	"slices"
	"sort"
	"strings"
	"time"

	"openfront/internal/cfheaders"
	"openfront/internal/model"
	"openfront/internal/pathpattern"
)

// Mode selects query strings or cookies.
type Mode uint8

// Selection modes.
const (
	None Mode = iota
	All
	Whitelist
	AllExcept
)

// selection is a compiled cookie or query-string selection.
type selection struct {
	mode  Mode
	names []string
	globs []*pathpattern.Pattern // cookie names may use * and ?
}

func (s selection) has(name string) bool {
	switch s.mode {
	case All:
		return true
	case None:
		return false
	}
	in := slices.Contains(s.names, name)
	if !in {
		for _, g := range s.globs {
			if g.Match("/" + name) {
				in = true
				break
			}
		}
	}
	return in == (s.mode == Whitelist)
}

func compileSelection(sel model.Selection) selection {
	s := selection{names: sel.Names}
	switch sel.Behavior {
	case "all", "allViewer":
		s.mode = All
	case "whitelist":
		s.mode = Whitelist
	case "allExcept":
		s.mode = AllExcept
	default:
		s.mode = None
	}
	for _, n := range sel.Names {
		if strings.ContainsAny(n, "*?") {
			if p, err := pathpattern.Compile("/" + n); err == nil {
				s.globs = append(s.globs, p)
			}
		}
	}
	return s
}

// Policy is one behaviour's compiled cache-key and forwarding rules.
type Policy struct {
	MinTTL, DefaultTTL, MaxTTL time.Duration
	// CachingDisabled: every request goes to the origin, uncollapsed
	// (Headers=["*"], or all TTLs 0).
	CachingDisabled bool
	// Legacy is the ForwardedValues model; false for cache policies.
	Legacy bool

	keyQuery    selection
	fwdQuery    selection
	keyCookies  selection
	fwdCookies  selection
	keyHeaders  []string // canonical names, sorted
	keyReads    []string // see KeyHeaderNames
	keyGen      []string // keyed CloudFront-generated headers, canonical, sorted
	generated   []string // CloudFront-generated headers sent to the origin
	fwdHeaders  []string // extra forwarded (origin request policy), canonical
	fwdAllViewr bool     // forward every viewer header
	exceptHdrs  []string // with fwdAllViewr: names not forwarded
	// Accept-Encoding normalisation: the key and the forwarded header carry
	// the normalised value (gzip, br or br,gzip; legacy behaviours: gzip).
	gzip, brotli bool
	// acceptEncodingRaw: Accept-Encoding whitelisted, so keyed and
	// forwarded raw and the edge does not compress.
	acceptEncodingRaw bool
	// HostInKey: the viewer's Host is keyed and forwarded (custom origins).
	HostInKey bool
	// SkipCookie names cookies that are neither keyed nor forwarded: the
	// signed-cookie values of a behaviour that checks signatures (they are
	// for the edge; OpenFront's choice, AWS does not say whether they reach
	// the origin), set when the snapshot is compiled.
	SkipCookie func(name string) bool
}

// Compile builds the policy of a behaviour; s3 says whether the target
// origin is an S3 REST origin (cookies and Host are never forwarded there);
// custom holds the stored policies the behaviour may name.
func Compile(b *model.Behavior, s3 bool, custom Custom) (*Policy, error) {
	p := &Policy{}
	if b.Forwarded == nil {
		cp, ok := custom.cachePolicy(b.CachePolicyID)
		if !ok {
			return nil, fmt.Errorf("no cache policy %q", b.CachePolicyID)
		}
		p.MinTTL, p.DefaultTTL, p.MaxTTL = seconds(cp.MinTTL), seconds(cp.DefaultTTL), seconds(cp.MaxTTL)
		p.keyQuery = compileSelection(cp.QueryStrings)
		p.keyCookies = compileSelection(cp.Cookies)
		p.keyHeaders = canonicalSorted(cp.Headers)
		p.gzip, p.brotli = cp.AcceptEncodingGzip, cp.AcceptEncodingBrotli
		p.fwdQuery, p.fwdCookies = p.keyQuery, p.keyCookies
		orp, ok := custom.originRequestPolicy(b.OriginRequestPolicyID)
		if !ok && b.OriginRequestPolicyID != "" {
			return nil, fmt.Errorf("no origin request policy %q", b.OriginRequestPolicyID)
		}
		if ok {
			p.fwdQuery = union(p.keyQuery, compileSelection(orp.QueryStrings))
			p.fwdCookies = union(p.keyCookies, compileSelection(orp.Cookies))
			switch orp.Headers.Behavior {
			case "allViewer", "allViewerAndWhitelistCloudFront":
				p.fwdAllViewr = true
				p.fwdHeaders = canonicalSorted(orp.Headers.Names)
			case "allExcept":
				p.fwdAllViewr = true
				p.exceptHdrs = canonicalSorted(orp.Headers.Names)
			case "whitelist":
				p.fwdHeaders = canonicalSorted(orp.Headers.Names)
			}
		}
		p.CachingDisabled = cp.MaxTTL == 0
	} else {
		f := b.Forwarded
		p.Legacy = true
		p.MinTTL, p.DefaultTTL, p.MaxTTL = seconds(b.MinTTL), seconds(b.DefaultTTL), seconds(b.MaxTTL)
		if f.QueryString {
			p.fwdQuery = selection{mode: All}
			p.keyQuery = selection{mode: All}
			if len(f.QueryStringCacheKeys) > 0 {
				p.keyQuery = selection{mode: Whitelist, names: f.QueryStringCacheKeys}
			}
		}
		p.keyCookies = compileSelection(model.Selection{Behavior: f.CookieForward, Names: f.CookieNames})
		p.fwdCookies = p.keyCookies
		if slices.Contains(f.Headers, "*") {
			p.fwdAllViewr = true
			p.CachingDisabled = true
			// Forwarding all headers includes the ones the edge adds that
			// a legacy whitelist could name.
			p.fwdHeaders = []string{cfheaders.ForwardedProto, cfheaders.IsDesktopViewer, cfheaders.IsMobileViewer,
				cfheaders.IsSmartTVViewer, cfheaders.IsTabletViewer, cfheaders.ViewerCountry}
		} else {
			p.keyHeaders = canonicalSorted(f.Headers)
		}
		// Legacy behaviours normalise Accept-Encoding unless it is
		// whitelisted (then it is keyed raw and not compressed), to gzip
		// alone: "Brotli doesn't support legacy cache settings" ("Serve
		// compressed files",
		// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/ServingCompressedFiles.html),
		// and other encodings are removed before the request goes to the
		// origin (same page, "Conditions for compression").
		p.gzip, p.brotli = true, false
		if p.MaxTTL == 0 {
			p.CachingDisabled = true
		}
	}
	if slices.Contains(p.keyHeaders, "Accept-Encoding") {
		p.acceptEncodingRaw, p.gzip, p.brotli = true, false, false
	}
	if s3 {
		p.keyCookies, p.fwdCookies = selection{}, selection{}
		p.keyHeaders = slices.DeleteFunc(p.keyHeaders, func(h string) bool { return h == "Host" })
	}
	p.HostInKey = slices.Contains(p.keyHeaders, "Host")
	p.keyReads = p.keyHeaderNames()
	p.keyGen = slices.DeleteFunc(slices.Clone(p.keyHeaders), notGenerated)
	p.generated = canonicalSorted(append(slices.Clone(p.keyGen), slices.DeleteFunc(slices.Clone(p.fwdHeaders), notGenerated)...))
	return p, nil
}

// Custom are the stored custom policies by id; managed ones are known
// without it.
type Custom struct {
	Cache         map[string]model.CachePolicy
	OriginRequest map[string]model.OriginRequestPolicy
}

func (c Custom) cachePolicy(id string) (model.CachePolicy, bool) {
	if p, ok := model.ManagedCachePolicies[id]; ok {
		return p, true
	}
	p, ok := c.Cache[id]
	return p, ok
}

func (c Custom) originRequestPolicy(id string) (model.OriginRequestPolicy, bool) {
	if p, ok := model.ManagedOriginRequestPolicies[id]; ok {
		return p, true
	}
	p, ok := c.OriginRequest[id]
	return p, ok
}

func notGenerated(name string) bool { return !cfheaders.IsGenerated(name) }

func seconds(n int64) time.Duration { return time.Duration(n) * time.Second }

func canonicalSorted(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		c := textproto.CanonicalMIMEHeaderKey(n)
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// union forwards what either selection forwards.
func union(a, b selection) selection {
	switch {
	case a.mode == All || b.mode == All:
		return selection{mode: All}
	case a.mode == None:
		return b
	case b.mode == None:
		return a
	case a.mode == Whitelist && b.mode == Whitelist:
		return selection{mode: Whitelist, names: append(slices.Clone(a.names), b.names...), globs: append(slices.Clone(a.globs), b.globs...)}
	}
	return selection{mode: All} // allExcept combinations: forward generously
}

// normalisesAcceptEncoding reports whether the key and the origin get
// the normalised Accept-Encoding (NormalizedAcceptEncoding) rather than
// the viewer's.
func (p *Policy) normalisesAcceptEncoding() bool {
	return !p.acceptEncodingRaw && (p.gzip || p.brotli)
}

// Compressible reports whether the edge may compress responses for this
// policy (Compress=true still has to be set on the behaviour).
func (p *Policy) Compressible() bool {
	return p.normalisesAcceptEncoding() && !p.CachingDisabled
}

// NormalizedAcceptEncoding returns the Accept-Encoding the key and the
// origin get: "br,gzip", "gzip", "br", or "" (not keyed; see ForwardHeaders).
func (p *Policy) NormalizedAcceptEncoding(h http.Header) string {
	if !p.normalisesAcceptEncoding() {
		return ""
	}
	ae := h.Values("Accept-Encoding")
	if len(ae) == 0 {
		return ""
	}
	var gz, br bool
	for _, v := range ae {
		for _, tok := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(tok), ";")
			if strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") && !strings.Contains(params, "q=0.") {
				continue // explicitly refused
			}
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "gzip":
				gz = true
			case "br":
				br = true
			}
		}
	}
	gz, br = gz && p.gzip, br && p.brotli
	switch {
	case gz && br:
		return "br,gzip"
	case gz:
		return "gzip"
	case br:
		return "br"
	}
	return ""
}

// KeyHeaderNames returns the viewer request headers AppendKey reads (keyed
// headers other than Host, Cookie, Accept-Encoding and the CloudFront-
// generated ones), canonical; AppendKey given a header with only these
// gives the same key as with the whole. The slice is shared: do not
// modify it.
func (p *Policy) KeyHeaderNames() []string { return p.keyReads }

func (p *Policy) keyHeaderNames() []string {
	var names []string
	for _, name := range p.keyHeaders {
		if name != "Host" && !cfheaders.IsGenerated(name) {
			names = append(names, name)
		}
	}
	if p.keyCookies.mode != None {
		names = append(names, "Cookie")
	}
	if p.normalisesAcceptEncoding() {
		names = append(names, "Accept-Encoding")
	}
	return names
}

// KeyGenerated returns the CloudFront-generated headers (package
// cfheaders) the key includes, canonical; AppendKeyWith takes their
// values from the edge, never from the viewer. The slice is shared.
func (p *Policy) KeyGenerated() []string { return p.keyGen }

// GeneratedHeaders returns the CloudFront-generated headers the origin
// request carries (keyed or named by the origin request policy),
// canonical. The slice is shared.
func (p *Policy) GeneratedHeaders() []string { return p.generated }

// AppendKey appends the cache key of a request to dst: the distribution,
// the behaviour, the path, and whatever the policy keys on. path is the
// viewer path as received; rawQuery without "?"; skipQuery names query
// parameters that never count (signed-URL parameters). Keyed
// CloudFront-generated headers count as absent (see AppendKeyWith).
func (p *Policy) AppendKey(dst []byte, distID, pattern, path, rawQuery string, h http.Header, host string, skipQuery func(string) bool) []byte {
	return p.AppendKeyWith(dst, distID, pattern, path, rawQuery, h, nil, host, skipQuery)
}

// AppendKeyWith is AppendKey with gen holding the edge's values of the
// keyed CloudFront-generated headers (KeyGenerated): the key uses them,
// never the viewer's copies in h, so a viewer cannot split or poison the
// cache by sending its own CloudFront-Viewer-Country.
func (p *Policy) AppendKeyWith(dst []byte, distID, pattern, path, rawQuery string, h, gen http.Header, host string, skipQuery func(string) bool) []byte {
	dst = append(dst, distID...)
	dst = append(dst, 0)
	dst = append(dst, pattern...)
	dst = append(dst, 0)
	dst = append(dst, path...)
	if p.keyQuery.mode != None && rawQuery != "" {
		dst = append(dst, '?')
		dst = appendQuery(dst, rawQuery, p.keyQuery, skipQuery)
	}
	for _, name := range p.keyHeaders {
		dst = append(dst, 0)
		dst = append(dst, name...)
		dst = append(dst, ':')
		if name == "Host" {
			dst = append(dst, strings.ToLower(host)...)
			continue
		}
		vs := h[name]
		if len(p.keyGen) > 0 && slices.Contains(p.keyGen, name) {
			vs = gen[name]
		}
		for i, v := range vs {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, v...)
		}
	}
	if p.keyCookies.mode != None {
		dst = append(dst, 0, 'c', ':')
		dst = p.appendCookies(dst, h, p.keyCookies)
	}
	if ae := p.NormalizedAcceptEncoding(h); ae != "" {
		dst = append(dst, 0, 'e', ':')
		dst = append(dst, ae...)
	}
	return dst
}

// appendQuery appends the parameters of raw that sel selects, in their
// order of appearance; parameters split on & only ("Cache content based on
// query string parameters", AWS CloudFront Developer Guide).
func appendQuery(dst []byte, raw string, sel selection, skip func(string) bool) []byte {
	if sel.mode == All && skip == nil && !strings.HasSuffix(raw, "&") {
		// Every parameter, in order, joined by &: raw itself (but for a
		// trailing &, which the loop drops with its empty parameter).
		return append(dst, raw...)
	}
	return appendSelected(dst, raw, sel, skip)
}

// appendSelected is appendQuery, one parameter at a time.
func appendSelected(dst []byte, raw string, sel selection, skip func(string) bool) []byte {
	first := true
	for raw != "" {
		var param string
		param, raw, _ = strings.Cut(raw, "&")
		name, _, _ := strings.Cut(param, "=")
		if skip != nil && skip(name) {
			continue
		}
		if sel.mode != All && !sel.has(name) {
			continue
		}
		if !first {
			dst = append(dst, '&')
		}
		first = false
		dst = append(dst, param...)
	}
	return dst
}

// ForwardQuery returns the query string forwarded to the origin.
func (p *Policy) ForwardQuery(raw string, skip func(string) bool) string {
	if p.fwdQuery.mode == None || raw == "" {
		return ""
	}
	if p.fwdQuery.mode == All && skip == nil {
		return raw
	}
	return string(appendQuery(nil, raw, p.fwdQuery, skip))
}

type cookie struct{ name, pair string }

// parseCookies reads name=value pairs of the Cookie headers; a header not
// in the standard form is ignored (OpenFront's choice; "Cache content based
// on cookies" describes only well-formed name=value pairs).
func parseCookies(h http.Header) []cookie {
	var out []cookie
	for _, line := range h["Cookie"] {
		for _, part := range strings.Split(line, ";") {
			part = strings.TrimSpace(part)
			name, _, ok := strings.Cut(part, "=")
			if !ok || name == "" {
				continue
			}
			out = append(out, cookie{name: name, pair: part})
		}
	}
	// Cookies are sorted by name before forwarding (and keying).
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (p *Policy) appendCookies(dst []byte, h http.Header, sel selection) []byte {
	first := true
	for _, c := range parseCookies(h) {
		if !sel.has(c.name) || (p.SkipCookie != nil && p.SkipCookie(c.name)) {
			continue
		}
		if !first {
			dst = append(dst, "; "...)
		}
		first = false
		dst = append(dst, c.pair...)
	}
	return dst
}

// ForwardCookies returns the Cookie header for the origin ("" for none).
func (p *Policy) ForwardCookies(h http.Header) string {
	if p.fwdCookies.mode == None || len(h["Cookie"]) == 0 {
		return ""
	}
	return string(p.appendCookies(nil, h, p.fwdCookies))
}

// KeysQuery reports whether the query string is part of the cache key
// (then invalidation paths must name it, "What you need to know when
// invalidating paths", AWS CloudFront Developer Guide).
func (p *Policy) KeysQuery() bool { return p.keyQuery.mode != None }

// ForwardsCookies reports whether any cookie is forwarded (such requests
// are not collapsed, "Request and response behavior for custom origins",
// request collapsing).
func (p *Policy) ForwardsCookies() bool { return p.fwdCookies.mode != None }

// removedByDefault are viewer headers CloudFront does not forward unless
// they are whitelisted ("Request and response behavior for custom
// origins", AWS CloudFront Developer Guide).
var removedByDefault = map[string]bool{
	"Accept": true, "Accept-Charset": true, "Accept-Language": true, "Referer": true, "Expect": true,
	"X-Http-Method-Override": true, "Authorization": true, "Accept-Encoding": true, "Cookie": true, "Host": true,
	"User-Agent": true, "X-Forwarded-Proto": true, "X-Real-Ip": true, "X-Forwarded-For": true,
	"Via": true, "X-Amz-Cf-Id": true,
}

// alwaysForwarded are forwarded in the cache-policy model too: they carry
// the request's own semantics.
var alwaysForwarded = []string{
	"Cache-Control", "Content-Length", "Content-Md5", "Content-Type", "If-Match", "If-Modified-Since",
	"If-None-Match", "If-Range", "If-Unmodified-Since", "Max-Forwards", "Pragma", "Range", "Request-Range",
}

// ForwardHeaders copies into dst the viewer headers this policy forwards.
// Hop-by-hop headers must already be gone from src. Host, Cookie,
// User-Agent, Via, X-Forwarded-For and, when the policy normalises it,
// Accept-Encoding are the caller's (they are rewritten, not copied), and so are the CloudFront-generated
// headers (GeneratedHeaders): a viewer's copies of those are never copied,
// whatever the policy ("All viewer headers" included).
func (p *Policy) ForwardHeaders(dst, src http.Header) {
	switch {
	case p.fwdAllViewr:
		// Accept-Encoding is the caller's only when the policy normalises
		// it; with EnableAcceptEncodingGzip and EnableAcceptEncodingBrotli
		// both false it is like any other viewer header
		// (ParametersInCacheKeyAndForwardedToOrigin, API reference).
		normalised := p.normalisesAcceptEncoding()
		for name, vs := range src {
			if name == "Cookie" || name == "Host" || name == "Via" || name == "X-Forwarded-For" ||
				(name == "Accept-Encoding" && normalised) ||
				slices.Contains(p.exceptHdrs, name) || cfheaders.IsGenerated(name) {
				continue
			}
			dst[name] = vs
		}
	case p.Legacy:
		for name, vs := range src {
			if removedByDefault[name] || strings.HasPrefix(name, "X-Edge-") || cfheaders.IsGenerated(name) {
				continue
			}
			dst[name] = vs
		}
	default:
		for _, name := range alwaysForwarded {
			if vs, ok := src[name]; ok {
				dst[name] = vs
			}
		}
	}
	for _, list := range [][]string{p.keyHeaders, p.fwdHeaders} {
		for _, name := range list {
			if name == "Host" || name == "Cookie" || cfheaders.IsGenerated(name) {
				continue
			}
			if vs, ok := src[name]; ok {
				dst[name] = vs
			}
		}
	}
	if p.acceptEncodingRaw {
		if vs, ok := src["Accept-Encoding"]; ok {
			dst["Accept-Encoding"] = vs
		}
	}
}

// ForwardsHeader reports whether a viewer header named (canonical) name is
// forwarded: keyed, whitelisted by the origin request policy, or covered
// by "all viewer headers" and not in an allExcept list (API reference
// OriginRequestPolicyHeadersConfig: allExcept is all viewer headers
// except those listed; "Use managed origin request policies",
// AllViewerExceptHostHeader). Keyed headers are always forwarded
// (ParametersInCacheKeyAndForwardedToOrigin).
func (p *Policy) ForwardsHeader(name string) bool {
	if slices.Contains(p.keyHeaders, name) || slices.Contains(p.fwdHeaders, name) {
		return true
	}
	return p.fwdAllViewr && !slices.Contains(p.exceptHdrs, name)
}

// VaryAllowed reports whether CloudFront keeps a Vary value from the origin
// ("Request and response behavior for custom origins", HTTP response
// headers that CloudFront removes or replaces, Vary): Accept-Encoding and
// Cookie always ("If you configure your origin to include either
// Accept-Encoding or Cookie in the Vary header, CloudFront includes the
// values in the response to the viewer", whether or not cookies are
// forwarded), a header it forwards, and User-Agent when a
// CloudFront-Is-*-Viewer header (decided from it) is.
func (p *Policy) VaryAllowed(name string) bool {
	name = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name))
	switch name {
	case "Accept-Encoding", "Cookie":
		return true
	case "User-Agent":
		for _, g := range p.generated {
			if strings.HasPrefix(g, "Cloudfront-Is-") {
				return true
			}
		}
	}
	return p.ForwardsHeader(name)
}
