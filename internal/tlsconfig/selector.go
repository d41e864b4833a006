package tlsconfig

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Viewer is one distribution's compiled viewer TLS settings.
type Viewer struct {
	// Certificate is the ACMCertificateArn or IAMCertificateId; empty
	// means the default certificate.
	Certificate string
	Policy      *Policy
	// NextProtos are the ALPN protocols offered over TCP.
	NextProtos []string
	// HTTP3 is whether the distribution serves HTTP/3 over QUIC.
	HTTP3 bool
	// Distribution is the distribution's ID, and Aliases its alternate
	// domain names, which the operator's certificate must cover (set by
	// the snapshot; used for the Selector's checks and reports).
	Distribution string
	Aliases      []string

	built atomic.Pointer[builtConfigs]
}

type builtConfigs struct {
	cert *tls.Certificate
	// tcpHTTP1 offers http/1.1 only, to clients without TLS 1.2 or
	// without SNI: "For viewers and CloudFront to use HTTP/2, viewers
	// must support TLSv1.2 or later, and must support Server Name
	// Indication (SNI)" (API Reference, DistributionConfig.HttpVersion).
	tcp, tcpHTTP1, quic *tls.Config
	// names are the operator certificate's DNS names when it leaves
	// some of the distribution's aliases uncovered (nil otherwise).
	names []string
}

// NewViewer compiles a distribution's ViewerCertificate and HttpVersion.
// The default certificate always gets the TLSv1 policy, as CloudFront
// gives it; an unknown policy name (the API refuses them) gets
// TLSv1.2_2021.
func NewViewer(certificate, minimumProtocolVersion, httpVersion string) *Viewer {
	v := &Viewer{Certificate: certificate}
	name := minimumProtocolVersion
	if certificate == "" {
		name = DefaultCertificatePolicy
	}
	p, ok := SecurityPolicy(name)
	if !ok {
		p, _ = SecurityPolicy("TLSv1.2_2021")
	}
	v.Policy = p
	v.NextProtos, v.HTTP3 = ALPN(httpVersion)
	return v
}

// AltSvc is the Alt-Svc header value advertising HTTP/3 on a UDP port.
func AltSvc(port int) string { return `h3=":` + strconv.Itoa(port) + `"; ma=86400` }

// Selector picks the tls.Config of each connection. Its zero value is not
// usable: set Lookup and Default.
type Selector struct {
	// Lookup returns the Viewer of the distribution serving an SNI name
	// (nil: no distribution).
	Lookup func(serverName string) *Viewer
	// Default is the *.<domain-suffix> certificate.
	Default *tls.Certificate
	// Store holds the operator's certificates (nil: none configured).
	Store *Store
	// Fallback serves names no distribution serves, and clients sending
	// no SNI, over TCP: the default certificate, and its ALPN protocols
	// (but never h2 without SNI, whatever Fallback says). Over QUIC such
	// handshakes are refused.
	Fallback *Viewer
	// Base supplies the settings every config shares; its session
	// ticket keys (SetSessionTicketKeys, else its automatic ones) encrypt
	// every session ticket (sessions.go).
	Base *tls.Config
	// OnError is told why a handshake was refused (optional).
	OnError func(serverName string, err error)
	// OnCertificate is told, once per change and not per handshake,
	// that a distribution's operator certificate cannot be served (err:
	// it does not load, or it does not cover every alias), or that it
	// can again (nil) after it could not (optional).
	OnCertificate func(distribution, certificate string, err error)

	problemsMu sync.Mutex
	problems   map[string]string // distribution and certificate -> last problem reported

	ticketsOnce sync.Once
	tickets     *tls.Config // see ticketKeys
}

// ErrNoHTTP3 refuses a QUIC handshake for a distribution whose
// HttpVersion does not include HTTP/3.
var ErrNoHTTP3 = errors.New("tlsconfig: the distribution does not serve HTTP/3")

// TCP is a tls.Config for the TCP listener that defers to the Selector.
func (s *Selector) TCP() *tls.Config {
	return &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		return s.config(h.ServerName, false, maxVersion(h.SupportedVersions) < tls.VersionTLS12)
	}, Certificates: []tls.Certificate{*s.Default}, NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS10}
}

// QUIC is a tls.Config for the HTTP/3 listener that defers to the
// Selector (http3.ConfigureTLSConfig sets its ALPN to h3).
func (s *Selector) QUIC() *tls.Config {
	return &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) { return s.config(h.ServerName, true, false) },
		Certificates: []tls.Certificate{*s.Default}, MinVersion: tls.VersionTLS13}
}

// ConfigFor returns the config of a connection to serverName from a
// client that supports TLS 1.2 (exported for tests and tools; the
// listeners use TCP and QUIC).
func (s *Selector) ConfigFor(serverName string, quic bool) (*tls.Config, error) {
	return s.config(serverName, quic, false)
}

// config is the config of a handshake for serverName ("" without SNI);
// below12 is a TCP client that cannot reach TLS 1.2.
func (s *Selector) config(serverName string, quic, below12 bool) (*tls.Config, error) {
	var v *Viewer
	if serverName != "" && s.Lookup != nil {
		v = s.Lookup(serverName)
	}
	if v == nil {
		if quic {
			return nil, s.refuse(serverName, ErrNoHTTP3)
		}
		v = s.Fallback
	}
	if quic && !v.HTTP3 {
		return nil, s.refuse(serverName, ErrNoHTTP3)
	}
	cert := s.Default
	if v.Certificate != "" {
		if s.Store == nil {
			err := fmt.Errorf("certificate %q: no --certificate-dir", v.Certificate)
			s.report(v, err)
			return nil, s.refuse(serverName, err)
		}
		c, err := s.Store.Certificate(v.Certificate)
		if err != nil {
			s.report(v, err)
			return nil, s.refuse(serverName, err)
		}
		cert = c
	}
	b := v.built.Load()
	if b == nil || b.cert != cert {
		b = &builtConfigs{cert: cert, tcp: s.build(v, cert, false), quic: s.build(v, cert, true)}
		b.tcpHTTP1 = b.tcp.Clone()
		b.tcpHTTP1.NextProtos = []string{"http/1.1"}
		if v.Certificate != "" {
			s.checkAliases(v, b)
		}
		v.built.Store(b)
	}
	// A renewed file may no longer cover a name the distribution serves:
	// CloudFront never serves a certificate that does not cover the name
	// ("Requirements for using alternate domain names", CloudFront
	// Developer Guide), so neither does the edge.
	if b.names != nil && !Covers(b.names, serverName) {
		return nil, s.refuse(serverName, fmt.Errorf("certificate %q does not cover %q", v.Certificate, serverName))
	}
	switch {
	case quic:
		return b.quic, nil
	case below12 || serverName == "":
		return b.tcpHTTP1, nil
	}
	return b.tcp, nil
}

func maxVersion(versions []uint16) uint16 {
	var m uint16
	for _, v := range versions {
		if v&0x0f0f == 0x0a0a { // GREASE (RFC 8701)
			continue
		}
		m = max(m, v)
	}
	return m
}

func (s *Selector) build(v *Viewer, cert *tls.Certificate, quic bool) *tls.Config {
	var c *tls.Config
	if s.Base != nil {
		c = s.Base.Clone()
		c.GetConfigForClient = nil
	} else {
		c = &tls.Config{}
	}
	c.Certificates = []tls.Certificate{*cert}
	c.MinVersion = v.Policy.MinVersion
	c.CipherSuites = v.Policy.CipherSuites
	c.NextProtos = v.NextProtos
	if quic {
		c.MinVersion = tls.VersionTLS13 // QUIC runs TLS 1.3 only (RFC 9001)
		c.NextProtos = []string{"h3"}
	}
	s.bindSessions(c, cert, quic)
	return c
}

// checkAliases looks, once per certificate file (when the config is
// built), at whether the operator's certificate still covers every alias
// of the distribution, as CreateDistribution and UpdateDistribution
// checked (Store.Check): the file may have been replaced since.
func (s *Selector) checkAliases(v *Viewer, b *builtConfigs) {
	leaf, err := parsedLeaf(v.Certificate, b.cert)
	if err != nil {
		b.names = []string{} // covers nothing
		s.report(v, err)
		return
	}
	var uncovered []string
	for _, a := range v.Aliases {
		if !Covers(leaf.DNSNames, a) {
			uncovered = append(uncovered, a)
		}
	}
	if uncovered == nil {
		s.report(v, nil)
		return
	}
	b.names = append([]string{}, leaf.DNSNames...)
	s.report(v, fmt.Errorf("certificate %q does not cover the alternate domain names %s (its names: %s); their handshakes are refused",
		v.Certificate, strings.Join(uncovered, ", "), strings.Join(leaf.DNSNames, ", ")))
}

// report tells OnCertificate about a distribution's certificate problem
// (err) or its end (nil), once per change: a flood of handshakes is one
// line in the log.
func (s *Selector) report(v *Viewer, err error) {
	if s.OnCertificate == nil {
		return
	}
	key := v.Distribution + "\x00" + v.Certificate
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	s.problemsMu.Lock()
	last, had := s.problems[key]
	switch {
	case err != nil && s.problems == nil:
		s.problems = map[string]string{}
		fallthrough
	case err != nil:
		if len(s.problems) > 4096 { // keys come from stored configs; bound the map anyway
			clear(s.problems)
		}
		s.problems[key] = msg
	default:
		delete(s.problems, key)
	}
	s.problemsMu.Unlock()
	if had && msg != last || !had && err != nil {
		s.OnCertificate(v.Distribution, v.Certificate, err)
	}
}

func (s *Selector) refuse(serverName string, err error) error {
	if s.OnError != nil {
		s.OnError(serverName, err)
	}
	return err
}
