package tlsconfig

import (
	"crypto/tls"
	"slices"
)

// Policy is one of CloudFront's viewer security policies: the lowest
// protocol version and the TLS 1.0-1.2 cipher suites it allows.
type Policy struct {
	Name         string
	MinVersion   uint16
	CipherSuites []uint16
}

// The security policies in the order of the columns of CloudFront's table
// ("Supported protocols and ciphers between viewers and CloudFront",
// CloudFront Developer Guide). Each cipher suite below is allowed by the
// policies from SSLv3 up to the one named in its row.
var policyNames = []string{"SSLv3", "TLSv1", "TLSv1_2016", "TLSv1.1_2016", "TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"}

// suiteRows are the table's TLS 1.0-1.2 rows that Go implements, each with
// the last policy allowing it. Go does not implement ECDHE-*-AES256-SHA384
// nor RC4-MD5, so no policy offers them (documented in the README).
var suiteRows = []struct {
	suite uint16
	upTo  string
}{
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "TLSv1.2_2025"},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "TLSv1.2_2019"},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "TLSv1.1_2016"},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "TLSv1.2_2025"},
	{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "TLSv1.2_2021"},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "TLSv1.1_2016"},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "TLSv1.2_2025"},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "TLSv1.2_2019"},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "TLSv1.1_2016"},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "TLSv1.2_2025"},
	{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "TLSv1.2_2021"},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "TLSv1.1_2016"},
	{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, "TLSv1.2_2018"},
	{tls.TLS_RSA_WITH_AES_256_GCM_SHA384, "TLSv1.2_2018"},
	{tls.TLS_RSA_WITH_AES_128_CBC_SHA256, "TLSv1.2_2018"},
	{tls.TLS_RSA_WITH_AES_256_CBC_SHA, "TLSv1.1_2016"},
	{tls.TLS_RSA_WITH_AES_128_CBC_SHA, "TLSv1.1_2016"},
	{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, "TLSv1"},
}

// minVersions are each policy's lowest protocol. Go speaks no SSLv3, so
// the SSLv3 policy starts at TLS 1.0.
var minVersions = map[string]uint16{
	"SSLv3": tls.VersionTLS10, "TLSv1": tls.VersionTLS10, "TLSv1_2016": tls.VersionTLS10,
	"TLSv1.1_2016": tls.VersionTLS11,
	"TLSv1.2_2018": tls.VersionTLS12, "TLSv1.2_2019": tls.VersionTLS12, "TLSv1.2_2021": tls.VersionTLS12, "TLSv1.2_2025": tls.VersionTLS12,
	"TLSv1.3_2025": tls.VersionTLS13,
}

var policies = func() map[string]*Policy {
	out := map[string]*Policy{}
	for i, name := range policyNames {
		p := &Policy{Name: name, MinVersion: minVersions[name]}
		for _, row := range suiteRows {
			if slices.Index(policyNames, row.upTo) >= i {
				p.CipherSuites = append(p.CipherSuites, row.suite)
			}
		}
		out[name] = p
	}
	return out
}()

// SecurityPolicy returns the policy named by a MinimumProtocolVersion.
func SecurityPolicy(name string) (*Policy, bool) {
	p, ok := policies[name]
	return p, ok
}

// DefaultCertificatePolicy is the policy of distributions served with the
// default certificate: "CloudFront automatically sets the security policy
// to TLSv1 regardless of the value that you set here" (API Reference,
// ViewerCertificate, MinimumProtocolVersion).
const DefaultCertificatePolicy = "TLSv1"

// ALPN returns the protocols offered over TCP for a distribution's
// HttpVersion, and whether it serves HTTP/3 over QUIC. HTTP/1.1 is always
// offered; http2 and http2and3 add h2; http3 and http2and3 add HTTP/3
// (DistributionConfig.HttpVersion, API Reference).
func ALPN(httpVersion string) (tcp []string, http3 bool) {
	switch httpVersion {
	case "http1.1":
		return []string{"http/1.1"}, false
	case "http3":
		return []string{"http/1.1"}, true
	case "http2and3":
		return []string{"h2", "http/1.1"}, true
	default: // http2, CloudFront's default
		return []string{"h2", "http/1.1"}, false
	}
}
