// Package responseheaders applies a response headers policy to the
// responses a cache behaviour sends to viewers (Developer Guide,
// "Understand response headers policies"): the headers it removes, then
// the security and custom headers it adds (each with Override: replace the
// origin's value or keep it), then the CORS headers for requests whose
// Origin the policy allows, and the answer to CORS preflight requests.
//
// A policy is compiled once per snapshot (Compile); Apply then only
// deletes and assigns map entries to shared, precomputed values, and
// allocates nothing.
package responseheaders

import (
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"

	"openfront/internal/model"
)

// Policy is a compiled response headers policy. Its values are shared by
// every response: callers must not modify the slices Apply stores.
type Policy struct {
	remove []string // canonical keys
	add    []header
	cors   *cors
	// ServerTiming is the policy's Server-Timing setting (nil: none).
	ServerTiming *model.ServerTimingConfig
	fast         bool // see Fast
	// For the fast path (fast.go): the added headers rendered once and
	// the bits of those without Override.
	addBlock []byte
	keepMask uint64
	// nameLengths has the bit (lengthBit) of every name the policy acts
	// on: a field name without one of these lengths is none of them.
	nameLengths uint64
	// lookupMask has the bits (bitOf) of the policy's headers that a
	// response may have whatever its object's fields: those the edge
	// writes itself before Apply (edgeFields), and those an earlier rule
	// of the policy sets (a custom header also set by the CORS rules).
	lookupMask uint64
}

type header struct {
	key      string
	values   []string
	override bool
}

type cors struct {
	anyOrigin bool
	exact     []string   // lower-case origins
	wildcards []wildcard // https://*.example.com
	// Precomputed header values.
	star, credentials, exposeHeaders, allowMethods, allowHeaders, maxAge []string
	originOverride                                                       bool
}

// wildcard is an allowed origin whose host starts with "*.": an origin
// matches when it has the scheme and its host ends with suffix after at
// least one more label.
type wildcard struct {
	scheme string // "https://"
	suffix string // ".example.com" (with its port, if any)
}

// CORS response header names (Fetch standard, "HTTP responses").
const (
	allowOrigin      = "Access-Control-Allow-Origin"
	allowCredentials = "Access-Control-Allow-Credentials"
	exposeHeaders    = "Access-Control-Expose-Headers"
	allowMethods     = "Access-Control-Allow-Methods"
	allowHeaders     = "Access-Control-Allow-Headers"
	maxAge           = "Access-Control-Max-Age"
)

// allMethods is what AccessControlAllowMethods ALL stands for: the
// methods the guide lists for the managed CORS-With-Preflight policy.
const allMethods = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"

// Compile prepares a policy for Apply.
func Compile(p model.ResponseHeadersPolicy) *Policy {
	c := &Policy{ServerTiming: p.ServerTiming}
	for _, name := range p.Remove {
		c.remove = append(c.remove, textproto.CanonicalMIMEHeaderKey(name))
	}
	s := p.Security
	if x := s.XSSProtection; x != nil {
		v := "0"
		if x.Protection {
			v = "1"
			if x.ModeBlock {
				v += "; mode=block"
			}
			if x.ReportURI != "" {
				v += "; report=" + x.ReportURI
			}
		}
		c.addHeader("X-XSS-Protection", v, x.Override)
	}
	if f := s.FrameOptions; f != nil {
		c.addHeader("X-Frame-Options", f.Value, f.Override)
	}
	if r := s.ReferrerPolicy; r != nil {
		c.addHeader("Referrer-Policy", r.Value, r.Override)
	}
	if v := s.ContentSecurityPolicy; v != nil {
		c.addHeader("Content-Security-Policy", v.Value, v.Override)
	}
	if v := s.ContentTypeOptions; v != nil {
		c.addHeader("X-Content-Type-Options", "nosniff", v.Override)
	}
	if h := s.StrictTransportSecurity; h != nil {
		v := "max-age=" + strconv.FormatInt(h.MaxAgeSec, 10)
		if h.IncludeSubdomains {
			v += "; includeSubDomains"
		}
		if h.Preload {
			v += "; preload"
		}
		c.addHeader("Strict-Transport-Security", v, h.Override)
	}
	for _, h := range p.Custom {
		c.addHeader(h.Header, h.Value, h.Override)
	}
	if p.CORS != nil {
		c.cors = compileCORS(p.CORS)
	}
	c.prepareMasks()
	c.fast = c.fastCapable()
	if c.fast {
		c.prepareFast()
	}
	return c
}

// edgeFields are the fields the edge writes itself on the response to an
// object, after the object's own fields and before the policy: X-Cache,
// Via, X-Amz-Cf-Pop, X-Amz-Cf-Id and Age, and the Content-Length and
// Content-Range of a range (internal/edge/respond.go: stampHeaders,
// setContentLength, rangeFor; internal/edge's TestApplyStored_edgeFields
// fails when the edge writes another one).
var edgeFields = [...]string{"Age", "Content-Length", "Content-Range", "Via", "X-Amz-Cf-Id", "X-Amz-Cf-Pop", "X-Cache"}

// The bits of a presence mask (ApplyStored): the added headers by index
// (bits 0..31), the CORS headers (corsKeys, from corsBit), the removed
// headers by index (from removeBit). A header without a bit (an index
// past its range) is always looked up.
const removeBit = 40

// bitOf returns the bit of the policy's i-th added header (from 0), of
// the i-th CORS header (from corsBit) or of its i-th removed one (from
// removeBit); 0 when it has none.
func bitOf(i, from int) uint64 {
	if from+i >= 64 || from == 0 && i >= corsBit || from == corsBit && i >= len(corsKeys) {
		return 0
	}
	return 1 << (from + i)
}

// prepareMasks computes nameLengths and lookupMask.
func (c *Policy) prepareMasks() {
	added := map[string]bool{}
	c.each(func(name string, bit uint64) {
		c.nameLengths |= lengthBit(name)
		if slices.Contains(edgeFields[:], name) || added[name] {
			c.lookupMask |= bit
		}
		if bit < 1<<removeBit { // added headers, then CORS ones, in Apply's order
			added[name] = true
		}
	})
}

// each calls f with every name the policy acts on and its bit.
func (c *Policy) each(f func(name string, bit uint64)) {
	for i, h := range c.add {
		f(h.key, bitOf(i, 0))
	}
	for j, k := range corsKeys {
		f(k, bitOf(j, corsBit))
	}
	for j, k := range c.remove {
		f(k, bitOf(j, removeBit))
	}
}

func (c *Policy) addHeader(name, value string, override bool) {
	c.add = append(c.add, header{key: textproto.CanonicalMIMEHeaderKey(name), values: []string{value}, override: override})
}

func compileCORS(m *model.CORSConfig) *cors {
	c := &cors{star: []string{"*"}, originOverride: m.OriginOverride}
	for _, o := range m.AllowOrigins {
		lo := strings.ToLower(o)
		switch scheme, host, _ := strings.Cut(lo, "://"); {
		case o == "*":
			c.anyOrigin = true
		case strings.HasPrefix(host, "*."):
			c.wildcards = append(c.wildcards, wildcard{scheme: scheme + "://", suffix: host[1:]})
		default:
			c.exact = append(c.exact, lo)
		}
	}
	if m.AllowCredentials {
		c.credentials = []string{"true"}
	}
	if len(m.ExposeHeaders) > 0 {
		c.exposeHeaders = []string{strings.Join(m.ExposeHeaders, ", ")}
	}
	methods := strings.Join(m.AllowMethods, ", ")
	if len(m.AllowMethods) == 1 && m.AllowMethods[0] == "ALL" {
		methods = allMethods
	}
	c.allowMethods = []string{methods}
	c.allowHeaders = []string{strings.Join(m.AllowHeaders, ", ")}
	if m.HasMaxAge {
		c.maxAge = []string{strconv.FormatInt(m.MaxAgeSec, 10)}
	}
	return c
}

// OriginAllowed reports whether a request's Origin is one the policy's
// CORS configuration allows: "*" allows any, an exact origin matches
// case-insensitively, and "scheme://*.domain" matches that scheme and any
// host one or more labels below domain (not domain itself).
func (c *Policy) OriginAllowed(origin string) bool {
	if c == nil || c.cors == nil || origin == "" {
		return false
	}
	return c.cors.allows(origin)
}

func (c *cors) allows(origin string) bool {
	// A serialized origin has no spaces or control characters; one that
	// does is refused rather than reflected into a response header.
	for i := 0; i < len(origin); i++ {
		if origin[i] <= ' ' || origin[i] >= 0x7f {
			return false
		}
	}
	if c.anyOrigin {
		return true
	}
	for _, e := range c.exact {
		if strings.EqualFold(origin, e) {
			return true
		}
	}
	for _, w := range c.wildcards {
		if len(origin) <= len(w.scheme)+len(w.suffix) || !strings.EqualFold(origin[:len(w.scheme)], w.scheme) ||
			!strings.EqualFold(origin[len(origin)-len(w.suffix):], w.suffix) {
			continue
		}
		// The labels the wildcard stands for: host characters only.
		if label := origin[len(w.scheme) : len(origin)-len(w.suffix)]; validLabels(label) {
			return true
		}
	}
	return false
}

func validLabels(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '.' && s[i-1] != '.':
		default:
			return false
		}
	}
	return true
}

// Apply changes resp, the headers of a response to a request with
// headers req: the policy's removals, then its additions (a header with
// Override false is added only when the response does not have it), then
// the CORS headers when req's Origin is allowed.
func Apply(c *Policy, req, resp http.Header) {
	apply(c, req, resp, ^uint64(0))
}

// ApplyStored is Apply for a response whose headers are an object's
// fields, all named in stored (cache.Header.Names), and the fields the
// edge writes itself (edgeFields), with none of stored's missing but
// those the edge deletes: it does not look up the policy's headers the
// response cannot have, a map look-up saved per header on every hit.
func ApplyStored(c *Policy, req, resp http.Header, stored []string) {
	if c == nil {
		return
	}
	apply(c, req, resp, c.mayHave(stored))
}

// mayHave returns the presence mask (bitOf) of the policy's headers that
// a response with the fields stored (and edgeFields) may have.
func (c *Policy) mayHave(stored []string) uint64 {
	may := c.lookupMask
	for _, name := range stored {
		if c.nameLengths&lengthBit(name) == 0 {
			continue // the common case: a name of a length the policy has none of
		}
		c.each(func(k string, bit uint64) {
			if k == name {
				may |= bit
			}
		})
	}
	return may
}

// apply is Apply for a response that may have only the policy's headers
// whose bits are set in may (and those without a bit).
func apply(c *Policy, req, resp http.Header, may uint64) {
	if c == nil {
		return
	}
	for j, k := range c.remove {
		if bit := bitOf(j, removeBit); bit == 0 || may&bit != 0 {
			delete(resp, k)
		}
	}
	for i := range c.add {
		h := &c.add[i]
		if bit := bitOf(i, 0); h.override || bit != 0 && may&bit == 0 || len(resp[h.key]) == 0 {
			resp[h.key] = h.values
		}
	}
	if c.cors == nil {
		return
	}
	origin := req["Origin"]
	if len(origin) != 1 || !c.cors.allows(origin[0]) {
		return
	}
	c.cors.set(resp, allowOrigin, c.cors.allowOriginValue(origin), may&bitOf(0, corsBit) != 0)
	c.cors.set(resp, allowCredentials, c.cors.credentials, may&bitOf(1, corsBit) != 0)
	c.cors.set(resp, exposeHeaders, c.cors.exposeHeaders, may&bitOf(2, corsBit) != 0)
}

// allowOriginValue is "*" when any origin is allowed without credentials,
// otherwise the request's origin.
func (c *cors) allowOriginValue(origin []string) []string {
	if c.anyOrigin && c.credentials == nil {
		return c.star
	}
	return origin
}

// set puts a CORS header unless it is empty or the origin sent it and the
// policy does not override the origin's CORS headers. may is false when
// resp cannot have it.
func (c *cors) set(resp http.Header, key string, v []string, may bool) {
	if v == nil || !c.originOverride && may && len(resp[key]) > 0 {
		return
	}
	resp[key] = v
}

// IsPreflight reports whether a request is a CORS preflight request the
// policy answers: OPTIONS with Access-Control-Request-Method and an
// allowed Origin (Fetch standard, "CORS-preflight request").
func IsPreflight(c *Policy, method string, req http.Header) bool {
	if c == nil || c.cors == nil || method != http.MethodOptions || len(req["Access-Control-Request-Method"]) == 0 {
		return false
	}
	origin := req["Origin"]
	return len(origin) == 1 && c.cors.allows(origin[0])
}

// ApplyPreflight sets the headers of the edge's answer to a preflight
// request (IsPreflight): the policy's other headers, the CORS headers of
// Apply, and Allow-Methods, Allow-Headers and Max-Age.
func ApplyPreflight(c *Policy, req, resp http.Header) {
	Apply(c, req, resp)
	resp[allowMethods] = c.cors.allowMethods
	resp[allowHeaders] = c.cors.allowHeaders
	if c.cors.maxAge != nil {
		resp[maxAge] = c.cors.maxAge
	}
}
