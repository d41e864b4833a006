// Package cfheaders knows the request headers CloudFront generates at the
// edge ("Add CloudFront request headers", AWS CloudFront Developer Guide):
// which names they are, and their values for one viewer request. A cache
// policy or legacy ForwardedValues whitelist that names one keys on the
// generated value; an origin request policy (allViewerAndWhitelistCloudFront
// or whitelist) that names one forwards it. A viewer's own copy of any of
// these names is never forwarded or keyed (IsGenerated), so a viewer can
// neither claim another country nor split or poison the cache.
//
// What OpenFront generates:
//
//	CloudFront-Forwarded-Proto        http or https
//	CloudFront-Viewer-Http-Version    1.0, 1.1, 2.0 (the viewer's protocol)
//	CloudFront-Viewer-Address         ip:port of the TCP peer (IPv6 unbracketed, as CloudFront)
//	CloudFront-Viewer-Country         ISO 3166-1 alpha-2, from the geo database
//	CloudFront-Viewer-Country-Name,   from the geo database when its records
//	  -Country-Region, -Country-Region-Name, -City, -Postal-Code,
//	  -Time-Zone, -Latitude, -Longitude, -Metro-Code, -ASN
//	                                  carry them (GeoIP2/GeoLite2 City and
//	                                  ASN fields); absent otherwise
//	CloudFront-Is-{Desktop,Mobile,Tablet,SmartTV,Android,IOS}-Viewer
//	                                  true or false, from the User-Agent (Device)
//	CloudFront-Viewer-Header-Count    the number of header fields the viewer sent
//	CloudFront-Viewer-TLS             version:cipher:handshake on HTTPS
//
// What it does not generate, so never sends (the origin gets no such
// header, never a viewer's copy): CloudFront-Viewer-Header-Order (net/http
// does not keep the order of header fields), CloudFront-Viewer-JA3-Fingerprint
// and CloudFront-Viewer-JA4-Fingerprint (they need the raw TLS ClientHello),
// and any location field the configured database does not hold (a
// GeoLite2-Country database has the country and its name only; no
// database, no location headers). CloudFront-Viewer-TLS says fullHandshake
// or sessionResumed; it does not tell connectionReused apart.
//
// Names here are in canonical MIME form (textproto.CanonicalMIMEHeaderKey:
// "Cloudfront-Viewer-Country"), the form http.Header keys have; header
// names are case-insensitive on the wire.
package cfheaders

import (
	"crypto/tls"
	"net/netip"
	"strconv"

	"openfront/internal/geo"
	"openfront/internal/urlpath"
)

// Canonical names of the generated headers.
const (
	ForwardedProto    = "Cloudfront-Forwarded-Proto"
	IsAndroidViewer   = "Cloudfront-Is-Android-Viewer"
	IsDesktopViewer   = "Cloudfront-Is-Desktop-Viewer"
	IsIOSViewer       = "Cloudfront-Is-Ios-Viewer"
	IsMobileViewer    = "Cloudfront-Is-Mobile-Viewer"
	IsSmartTVViewer   = "Cloudfront-Is-Smarttv-Viewer"
	IsTabletViewer    = "Cloudfront-Is-Tablet-Viewer"
	ViewerAddress     = "Cloudfront-Viewer-Address"
	ViewerASN         = "Cloudfront-Viewer-Asn"
	ViewerCity        = "Cloudfront-Viewer-City"
	ViewerCountry     = "Cloudfront-Viewer-Country"
	ViewerCountryName = "Cloudfront-Viewer-Country-Name"
	ViewerRegion      = "Cloudfront-Viewer-Country-Region"
	ViewerRegionName  = "Cloudfront-Viewer-Country-Region-Name"
	ViewerLatitude    = "Cloudfront-Viewer-Latitude"
	ViewerLongitude   = "Cloudfront-Viewer-Longitude"
	ViewerMetroCode   = "Cloudfront-Viewer-Metro-Code"
	ViewerPostalCode  = "Cloudfront-Viewer-Postal-Code"
	ViewerTimeZone    = "Cloudfront-Viewer-Time-Zone"
	ViewerHeaderOrder = "Cloudfront-Viewer-Header-Order"
	ViewerHeaderCount = "Cloudfront-Viewer-Header-Count"
	ViewerHTTPVersion = "Cloudfront-Viewer-Http-Version"
	ViewerJA3         = "Cloudfront-Viewer-Ja3-Fingerprint"
	ViewerJA4         = "Cloudfront-Viewer-Ja4-Fingerprint"
	ViewerTLS         = "Cloudfront-Viewer-Tls"
)

// IsGenerated reports whether a request header name belongs to the edge:
// CloudFront-Forwarded-Proto, CloudFront-Is-*-Viewer or any
// CloudFront-Viewer-* name (future ones included). Case does not matter,
// and '_' counts as '-': origins behind CGI-style gateways (PHP, WSGI,
// Rack) see CloudFront_Viewer_Country and CloudFront-Viewer-Country as one
// variable, so a viewer must not get either through.
func IsGenerated(name string) bool {
	const cf = "cloudfront-"
	if len(name) <= len(cf) || !hasPrefixFold(name, cf) {
		return false
	}
	rest := name[len(cf):]
	switch {
	case hasPrefixFold(rest, "viewer-"):
		return len(rest) > len("viewer-")
	case equalFold(rest, "forwarded-proto"):
		return true
	case hasPrefixFold(rest, "is-") && hasSuffixFold(rest, "-viewer"):
		return len(rest) > len("is--viewer")
	}
	return false
}

// lowerDash folds ASCII case and maps '_' to '-' for name comparison.
func lowerDash(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c + 'a' - 'A'
	case c == '_':
		return '-'
	}
	return c
}

func equalFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lowerDash(s[i]) != lower[i] {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, lower string) bool {
	return len(s) >= len(lower) && equalFold(s[:len(lower)], lower)
}

func hasSuffixFold(s, lower string) bool {
	return len(s) >= len(lower) && equalFold(s[len(s)-len(lower):], lower)
}

// Viewer is what the generated values are computed from: the viewer's
// connection and request, never headers the viewer could forge.
type Viewer struct {
	Addr                   netip.AddrPort // TCP peer
	HTTPS                  bool
	ProtoMajor, ProtoMinor int
	UserAgent              string
	TLS                    *tls.ConnectionState // nil on plain HTTP
	// HeaderCount is the number of header fields received (Host
	// included); -1 when not known.
	HeaderCount int
	Geo         *geo.DB // nil: no location headers
}

// Values computes the generated headers of one viewer request, each
// lookup (geo database, User-Agent) at most once.
type Values struct {
	v       *Viewer
	loc     geo.Location
	locDone bool
	locOK   bool
	dev     Device
	devDone bool
}

// NewValues returns the generated values of v.
func NewValues(v *Viewer) *Values { return &Values{v: v} }

// Get returns the value of the generated header name (canonical); ok is
// false when OpenFront does not generate it or cannot for this viewer
// (then the header is not sent and is keyed empty).
func (g *Values) Get(name string) (string, bool) {
	v := g.v
	switch name {
	case ForwardedProto:
		if v.HTTPS {
			return "https", true
		}
		return "http", true
	case ViewerHTTPVersion:
		if v.ProtoMajor <= 0 {
			return "", false
		}
		return strconv.Itoa(v.ProtoMajor) + "." + strconv.Itoa(v.ProtoMinor), true
	case ViewerAddress:
		if !v.Addr.IsValid() {
			return "", false
		}
		return v.Addr.Addr().Unmap().String() + ":" + strconv.Itoa(int(v.Addr.Port())), true
	case ViewerHeaderCount:
		if v.HeaderCount < 0 {
			return "", false
		}
		return strconv.Itoa(v.HeaderCount), true
	case ViewerTLS:
		return tlsValue(v.TLS)
	case IsAndroidViewer, IsDesktopViewer, IsIOSViewer, IsMobileViewer, IsSmartTVViewer, IsTabletViewer:
		if !g.devDone {
			g.dev, g.devDone = DetectDevice(v.UserAgent), true
		}
		return strconv.FormatBool(g.dev.Is(name)), true
	case ViewerCountry, ViewerCountryName, ViewerRegion, ViewerRegionName, ViewerCity, ViewerPostalCode,
		ViewerTimeZone, ViewerLatitude, ViewerLongitude, ViewerMetroCode, ViewerASN:
		return g.location(name)
	}
	return "", false
}

func (g *Values) location(name string) (string, bool) {
	if !g.locDone {
		g.locDone = true
		if g.v.Geo != nil && g.v.Addr.IsValid() {
			g.loc, g.locOK = g.v.Geo.Location(g.v.Addr.Addr())
		}
	}
	if !g.locOK {
		return "", false
	}
	l := &g.loc
	var s string
	switch name {
	case ViewerCountry:
		s = l.Country
	case ViewerCountryName:
		s = l.CountryName
	case ViewerRegion:
		s = l.Region
	case ViewerRegionName:
		s = l.RegionName
	case ViewerCity:
		s = l.City
	case ViewerPostalCode:
		s = l.PostalCode
	case ViewerTimeZone:
		s = l.TimeZone
	case ViewerLatitude:
		if !l.HasCoordinates {
			return "", false
		}
		s = strconv.FormatFloat(l.Latitude, 'f', 5, 64)
	case ViewerLongitude:
		if !l.HasCoordinates {
			return "", false
		}
		s = strconv.FormatFloat(l.Longitude, 'f', 5, 64)
	case ViewerMetroCode:
		if l.MetroCode != 0 {
			s = strconv.FormatUint(uint64(l.MetroCode), 10)
		}
	case ViewerASN:
		if l.ASN != 0 {
			s = strconv.FormatUint(uint64(l.ASN), 10)
		}
	}
	if s == "" {
		return "", false
	}
	return percentEncode(s), true
}

// percentEncode escapes non-ASCII bytes and control characters of a
// location value as %XX: CloudFront percent-encodes non-ASCII characters
// in these headers (RFC 3986 section 2.1), and a header value must not
// carry CR, LF or NUL.
func percentEncode(s string) string {
	return urlpath.EscapeBytes(s, func(c byte) bool { return c >= 0x80 || c < 0x20 || c == 0x7f || c == '%' })
}

// tlsValue is CloudFront-Viewer-TLS: "TLSv1.3:TLS_AES_128_GCM_SHA256:fullHandshake",
// with OpenSSL cipher names for TLS 1.2 and older, as CloudFront writes them.
func tlsValue(cs *tls.ConnectionState) (string, bool) {
	if cs == nil {
		return "", false
	}
	version := TLSVersionName(cs.Version)
	if version == "" {
		return "", false
	}
	cipher := CipherName(cs.CipherSuite)
	handshake := "fullHandshake"
	if cs.DidResume {
		handshake = "sessionResumed"
	}
	return version + ":" + cipher + ":" + handshake, true
}

// TLSVersionName is a TLS version as CloudFront writes it in
// CloudFront-Viewer-TLS and in the logs' ssl-protocol field ("TLSv1.3",
// "TLSv1.2", "TLSv1.1", "TLSv1"; "Standard logging reference"), or ""
// for another version.
func TLSVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS10:
		return "TLSv1"
	}
	return ""
}

// CipherName is a cipher suite as CloudFront writes it in
// CloudFront-Viewer-TLS and in the logs' ssl-cipher field: the OpenSSL
// name for TLS 1.2 and older suites, the IANA name for TLS 1.3 ones.
func CipherName(id uint16) string {
	if name := opensslCipherNames[id]; name != "" {
		return name
	}
	return tls.CipherSuiteName(id)
}

// opensslCipherNames are the OpenSSL names CloudFront uses for the cipher
// suites Go's TLS server can negotiate ("Supported protocols and ciphers
// between viewers and CloudFront"); TLS 1.3 suites keep their IANA names.
var opensslCipherNames = map[uint16]string{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:       "ECDHE-ECDSA-AES128-GCM-SHA256",
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:         "ECDHE-RSA-AES128-GCM-SHA256",
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:       "ECDHE-ECDSA-AES256-GCM-SHA384",
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:         "ECDHE-RSA-AES256-GCM-SHA384",
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:   "ECDHE-RSA-CHACHA20-POLY1305",
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256:       "ECDHE-ECDSA-AES128-SHA256",
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256:         "ECDHE-RSA-AES128-SHA256",
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA:          "ECDHE-ECDSA-AES128-SHA",
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA:            "ECDHE-RSA-AES128-SHA",
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA:          "ECDHE-ECDSA-AES256-SHA",
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA:            "ECDHE-RSA-AES256-SHA",
	tls.TLS_RSA_WITH_AES_128_GCM_SHA256:               "AES128-GCM-SHA256",
	tls.TLS_RSA_WITH_AES_256_GCM_SHA384:               "AES256-GCM-SHA384",
	tls.TLS_RSA_WITH_AES_128_CBC_SHA256:               "AES128-SHA256",
	tls.TLS_RSA_WITH_AES_128_CBC_SHA:                  "AES128-SHA",
	tls.TLS_RSA_WITH_AES_256_CBC_SHA:                  "AES256-SHA",
}
