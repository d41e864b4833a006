package tlsconfig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// newCert makes a self-signed certificate for names, valid in [from, to),
// with a 2048-bit RSA key or a P-256 ECDSA key.
func newCert(t testing.TB, rsaKey bool, from, to time.Time, names ...string) (certPEM, keyPEM []byte, cert tls.Certificate) {
	t.Helper()
	var key crypto.Signer
	var err error
	if rsaKey {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return newCertWith(t, key, from, to, names...)
}

// newCertWith is newCert with a key of the caller's.
func newCertWith(t testing.TB, key crypto.Signer, from, to time.Time, names ...string) (certPEM, keyPEM []byte, cert tls.Certificate) {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: from, NotAfter: to, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM, cert
}

// writeCert puts a certificate for name into the store's directory.
func writeCert(t testing.TB, s *Store, name string, certPEM, keyPEM []byte) {
	t.Helper()
	cf, kf, err := s.Paths(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cf, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kf, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
}

// serve runs a TLS server on loopback answering every handshake with the
// selector's TCP config; it returns the address.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c.(*tls.Conn).Handshake()
				c.Close()
			}()
		}
	}()
	return ln.Addr().String()
}

// handshake dials addr with a client config and reports the state.
func handshake(addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	return c.ConnectionState(), nil
}

const testARN = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"

func TestFileBase(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{testARN, "arn_aws_acm_us-east-1_123456789012_certificate+0a1b2c3d-1111-2222-3333-444455556666"},
		{"ASCACKCEVSQ6C2EXAMPLE", "ASCACKCEVSQ6C2EXAMPLE"},
		{"arn:aws-cn:acm:cn-north-1:123456789012:certificate/x", "arn_aws-cn_acm_cn-north-1_123456789012_certificate+x"},
		{"../etc/passwd", ""},
		{"a/../../b", ""},
		{"a.b", ""},
		{"a_b", ""}, // would collide with a:b
		{"a+b", ""}, // would collide with a/b
		{"a\x00b", ""},
		{"", ""},
		{strings.Repeat("a", 2049), ""},
		{"caf\u00e9", ""},
		{LightsailCertificate("WordPress_Blog-Cert"), "lightsail+WordPress_Blog-Cert"},
		{LightsailCertificate("a:b"), ""}, // would collide with lightsail/a_b
		{"lightsail:a_b", ""},
		{LightsailCertificate("../x"), ""},
	} {
		got, err := FileBase(c.in)
		if (err != nil) != (c.want == "") || got != c.want {
			t.Errorf("FileBase(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestCovers(t *testing.T) {
	for _, c := range []struct {
		names []string
		alias string
		want  bool
	}{
		{[]string{"www.example.com"}, "www.example.com", true},
		{[]string{"WWW.Example.COM."}, "www.example.com", true},
		{[]string{"www.example.com"}, "WWW.EXAMPLE.COM.", true},
		{[]string{"*.example.com"}, "www.example.com", true},
		{[]string{"*.example.com"}, "example.com", false},
		{[]string{"*.example.com"}, "a.b.example.com", false},
		{[]string{"*.example.com"}, ".example.com", false},
		{[]string{"*.example.com"}, "*.example.com", true},
		{[]string{"www.example.com"}, "*.example.com", false},
		{[]string{"*.com"}, "*.example.com", false},
		{[]string{"*."}, "a.", false},
		{[]string{"a.example.com", "b.example.com"}, "b.example.com", true},
		{[]string{"example.com"}, "www.example.com", false},
		{nil, "example.com", false},
		{[]string{""}, "", false},
	} {
		if got := Covers(c.names, c.alias); got != c.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", c.names, c.alias, got, c.want)
		}
	}
}

func TestSecurityPolicyTable(t *testing.T) {
	has := func(p *Policy, suite uint16) bool {
		for _, s := range p.CipherSuites {
			if s == suite {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		policy string
		min    uint16
		in     []uint16
		out    []uint16
	}{
		{"SSLv3", tls.VersionTLS10, []uint16{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_AES_128_CBC_SHA}, nil},
		{"TLSv1", tls.VersionTLS10, []uint16{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}, nil},
		{"TLSv1_2016", tls.VersionTLS10, []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}, []uint16{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}},
		{"TLSv1.1_2016", tls.VersionTLS11, []uint16{tls.TLS_RSA_WITH_AES_256_CBC_SHA}, []uint16{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}},
		{"TLSv1.2_2018", tls.VersionTLS12, []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256}, []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}},
		{"TLSv1.2_2019", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}, []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}},
		{"TLSv1.2_2021", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}},
		{"TLSv1.2_2025", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}, []uint16{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}},
		{"TLSv1.3_2025", tls.VersionTLS13, nil, []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}},
	} {
		p, ok := SecurityPolicy(c.policy)
		if !ok {
			t.Fatalf("no policy %s", c.policy)
		}
		if p.MinVersion != c.min {
			t.Errorf("%s: MinVersion %x, want %x", c.policy, p.MinVersion, c.min)
		}
		for _, s := range c.in {
			if !has(p, s) {
				t.Errorf("%s lacks %s", c.policy, tls.CipherSuiteName(s))
			}
		}
		for _, s := range c.out {
			if has(p, s) {
				t.Errorf("%s offers %s", c.policy, tls.CipherSuiteName(s))
			}
		}
	}
	if _, ok := SecurityPolicy("TLSv1.4"); ok {
		t.Error("unknown policy found")
	}
}

// testSelector serves: default.test with the default certificate and
// HttpVersion http2, and one distribution per policy named
// <policy>.test (dots as '-'), with an operator RSA certificate.
type fixture struct {
	sel        *Selector
	store      *Store
	viewers    map[string]*Viewer
	defaultPEM []byte
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	now := time.Now()
	defPEM, _, def := newCert(t, false, now.Add(-time.Hour), now.Add(time.Hour), "*.cloudfront.test")
	store, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: store, viewers: map[string]*Viewer{}, defaultPEM: defPEM}
	f.sel = &Selector{Default: &def, Store: store, Fallback: NewViewer("", "", "http2"),
		Lookup: func(name string) *Viewer { return f.viewers[name] }}
	return f
}

func leafOf(st tls.ConnectionState) *x509.Certificate { return st.PeerCertificates[0] }

func TestHandshakeSecurityPolicies(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	certPEM, keyPEM, _ := newCert(t, true, now.Add(-time.Hour), now.Add(time.Hour), "*.policy.test")
	writeCert(t, f.store, testARN, certPEM, keyPEM)
	for _, name := range policyNames {
		f.viewers[strings.ReplaceAll(name, ".", "-")+".policy.test"] = NewViewer(testARN, name, "http2")
	}
	f.viewers["default.policy.test"] = NewViewer("", "TLSv1.2_2021", "http2") // default cert: TLSv1 whatever is asked
	addr := serve(t, f.sel.TCP())
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	pool.AppendCertsFromPEM(f.defaultPEM)
	dial := func(host string, version uint16, suites ...uint16) error {
		_, err := handshake(addr, &tls.Config{ServerName: host, RootCAs: pool, MinVersion: version, MaxVersion: version, CipherSuites: suites, InsecureSkipVerify: true})
		return err
	}
	for _, c := range []struct {
		policy  string
		version uint16
		suite   uint16
		ok      bool
	}{
		{"TLSv1", tls.VersionTLS10, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, true},
		{"TLSv1", tls.VersionTLS12, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, true},
		{"TLSv1_2016", tls.VersionTLS12, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, false},
		{"TLSv1_2016", tls.VersionTLS10, tls.TLS_RSA_WITH_AES_128_CBC_SHA, true},
		{"TLSv1.1_2016", tls.VersionTLS10, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, false},
		{"TLSv1.1_2016", tls.VersionTLS11, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, true},
		{"TLSv1.2_2018", tls.VersionTLS11, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, false},
		{"TLSv1.2_2018", tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, true},
		{"TLSv1.2_2018", tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, false},
		{"TLSv1.2_2019", tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, false},
		{"TLSv1.2_2019", tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, true},
		{"TLSv1.2_2021", tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, false},
		{"TLSv1.2_2021", tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, true},
		{"TLSv1.2_2025", tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, false},
		{"TLSv1.2_2025", tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, true},
		{"TLSv1.2_2025", tls.VersionTLS13, 0, true},
		{"TLSv1.3_2025", tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, false},
		{"TLSv1.3_2025", tls.VersionTLS13, 0, true},
	} {
		host := strings.ReplaceAll(c.policy, ".", "-") + ".policy.test"
		var suites []uint16
		if c.suite != 0 {
			suites = []uint16{c.suite}
		}
		err := dial(host, c.version, suites...)
		if (err == nil) != c.ok {
			t.Errorf("%s over %s with %s: err %v, want ok=%v", c.policy, tls.VersionName(c.version), tls.CipherSuiteName(c.suite), err, c.ok)
		}
	}
	// The default certificate's distributions get TLSv1 (TLS 1.0 allowed)
	// even when TLSv1.2_2021 is asked for.
	if err := dial("default.policy.test", tls.VersionTLS10, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA); err != nil {
		t.Errorf("default certificate over TLS 1.0: %v", err)
	}
}

func TestHandshakeALPNPerHttpVersion(t *testing.T) {
	f := newFixture(t)
	for _, v := range []string{"http1.1", "http2", "http3", "http2and3"} {
		f.viewers[strings.ReplaceAll(v, ".", "-")+".cloudfront.test"] = NewViewer("", "TLSv1", v)
	}
	addr := serve(t, f.sel.TCP())
	for _, c := range []struct{ host, want string }{
		{"http1-1.cloudfront.test", "http/1.1"},
		{"http2.cloudfront.test", "h2"},
		{"http3.cloudfront.test", "http/1.1"},
		{"http2and3.cloudfront.test", "h2"},
		{"unknown.cloudfront.test", "h2"}, // the fallback
	} {
		st, err := handshake(addr, &tls.Config{ServerName: c.host, InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}})
		if err != nil {
			t.Fatalf("%s: %v", c.host, err)
		}
		if st.NegotiatedProtocol != c.want {
			t.Errorf("%s: ALPN %q, want %q", c.host, st.NegotiatedProtocol, c.want)
		}
	}
	// HTTP/2 needs TLS 1.2: a TLS 1.1 client offering h2 gets HTTP/1.1.
	for _, host := range []string{"http2.cloudfront.test", "unknown.cloudfront.test"} {
		st, err := handshake(addr, &tls.Config{ServerName: host, InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
		if err != nil {
			t.Fatalf("%s over TLS 1.1: %v", host, err)
		}
		if st.NegotiatedProtocol != "http/1.1" {
			t.Errorf("%s over TLS 1.1: ALPN %q, want http/1.1", host, st.NegotiatedProtocol)
		}
	}
	// QUIC configs: h3 for the HTTP/3 distributions, refused otherwise.
	for host, want := range map[string]bool{"http3.cloudfront.test": true, "http2and3.cloudfront.test": true, "http2.cloudfront.test": false, "http1-1.cloudfront.test": false, "unknown.cloudfront.test": false} {
		cfg, err := f.sel.ConfigFor(host, true)
		if (err == nil) != want {
			t.Errorf("QUIC %s: err %v, want served=%v", host, err, want)
		}
		if err == nil && (cfg.MinVersion != tls.VersionTLS13 || cfg.NextProtos[0] != "h3") {
			t.Errorf("QUIC %s: MinVersion %x, ALPN %q", host, cfg.MinVersion, cfg.NextProtos)
		}
	}
}

func TestHandshakeCertificatePerSNI(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	clock := now
	f.store.now = func() time.Time { return clock }
	certPEM, keyPEM, _ := newCert(t, false, now.Add(-time.Hour), now.Add(time.Hour), "www.example.test")
	writeCert(t, f.store, testARN, certPEM, keyPEM)
	f.viewers["d1.cloudfront.test"] = NewViewer("", "TLSv1", "http2")
	f.viewers["www.example.test"] = NewViewer(testARN, "TLSv1.2_2021", "http2")
	f.viewers["iam.example.test"] = NewViewer("ASCAMISSING", "TLSv1.2_2021", "http2")
	var refused []string
	f.sel.OnError = func(name string, err error) { refused = append(refused, name) }
	addr := serve(t, f.sel.TCP())
	leaf := func(host string) string {
		t.Helper()
		st, err := handshake(addr, &tls.Config{ServerName: host, InsecureSkipVerify: true})
		if err != nil {
			return "error"
		}
		return leafOf(st).DNSNames[0]
	}
	for host, want := range map[string]string{
		"d1.cloudfront.test": "*.cloudfront.test",
		"www.example.test":   "www.example.test",
		"nobody.test":        "*.cloudfront.test",
		"iam.example.test":   "error", // its certificate is not in the directory
	} {
		if got := leaf(host); got != want {
			t.Errorf("%s: certificate for %q, want %q", host, got, want)
		}
	}
	if len(refused) != 1 || refused[0] != "iam.example.test" {
		t.Errorf("refused %q", refused)
	}
	// A renewed certificate is served without a restart.
	certPEM2, keyPEM2, _ := newCert(t, false, now.Add(-time.Hour), now.Add(time.Hour), "www.example.test", "renewed.example.test")
	writeCert(t, f.store, testARN, certPEM2, keyPEM2)
	clock = clock.Add(2 * recheckEvery)
	st, err := handshake(addr, &tls.Config{ServerName: "www.example.test", InsecureSkipVerify: true})
	if err != nil || len(leafOf(st).DNSNames) != 2 {
		t.Errorf("after renewal: %v, names %v", err, leafOf(st).DNSNames)
	}
}

func TestStoreCheck(t *testing.T) {
	store, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	good, goodKey, _ := newCert(t, false, now.Add(-time.Hour), now.Add(24*time.Hour), "www.example.com", "*.img.example.com")
	expired, expiredKey, _ := newCert(t, false, now.Add(-48*time.Hour), now.Add(-24*time.Hour), "www.example.com")
	future, futureKey, _ := newCert(t, false, now.Add(24*time.Hour), now.Add(48*time.Hour), "www.example.com")
	writeCert(t, store, "arn:good", good, goodKey)
	writeCert(t, store, "arn:expired", expired, expiredKey)
	writeCert(t, store, "arn:future", future, futureKey)
	writeCert(t, store, "arn:mismatch", good, expiredKey) // key of another certificate
	for _, bits := range []int{4096, 4104} {              // 4104 bits: just over the limit
		key, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		c, k, _ := newCertWith(t, key, now.Add(-time.Hour), now.Add(24*time.Hour), "www.example.com")
		writeCert(t, store, fmt.Sprintf("arn:rsa%d", bits), c, k)
	}
	cf, _, _ := store.Paths("arn:nokey")
	os.WriteFile(cf, good, 0o644)
	for _, c := range []struct {
		name    string
		aliases []string
		want    string // substring of the error; "" = ok
	}{
		{"arn:good", []string{"www.example.com", "a.img.example.com", "*.img.example.com"}, ""},
		{"arn:good", nil, ""},
		{"arn:good", []string{"example.com"}, "does not cover"},
		{"arn:good", []string{"a.b.img.example.com"}, "does not cover"},
		{"arn:expired", []string{"www.example.com"}, "expired"},
		{"arn:future", []string{"www.example.com"}, "not valid before"},
		{"arn:missing", nil, "not in the certificate directory"},
		{"arn:nokey", nil, "not in the certificate directory"},
		{"arn:mismatch", nil, "cannot be loaded"},
		// "the maximum size of the public key in an SSL/TLS RSA
		// certificate is 4096 bits" ("Determine the size of the public
		// key in an SSL/TLS RSA certificate", CloudFront Developer Guide)
		{"arn:rsa4096", []string{"www.example.com"}, ""},
		{"arn:rsa4104", []string{"www.example.com"}, "4104-bit RSA key"},
		{"../arn", nil, "character"},
	} {
		err := store.Check(c.name, c.aliases)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Check(%q, %q) = %v, want %q", c.name, c.aliases, err, c.want)
		}
	}
	if _, err := OpenStore(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Error("OpenStore of a missing directory succeeded")
	}
}

func FuzzFileBase(f *testing.F) {
	for _, s := range []string{testARN, "ASCAEXAMPLE", "../x", "a/b:c", "", "a\x00", "./.", "a:b", "a/b", "lightsail/a_b", "lightsail/a:b", "lightsail:a_b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		base, err := FileBase(name)
		if err != nil {
			return
		}
		if base == "" || strings.ContainsAny(base, "/\\\x00.") || filepath.Base(base) != base {
			t.Fatalf("FileBase(%q) = %q leaves the directory or is empty", name, base)
		}
		// One-to-one: the name comes back.
		back := strings.NewReplacer("_", ":", "+", "/").Replace(base)
		if strings.HasPrefix(base, "lightsail+") { // '_' is itself there
			back = strings.ReplaceAll(base, "+", "/")
		}
		if back != name {
			t.Fatalf("FileBase(%q) = %q maps back to %q", name, base, back)
		}
	})
}

func FuzzCovers(f *testing.F) {
	for _, c := range [][2]string{{"*.example.com", "www.example.com"}, {"example.com", "example.com"}, {"*.", "a."}, {"*.a", "*.a"}, {"", ""}, {"*.*.a", "b.*.a"}} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, certName, alias string) {
		got := Covers([]string{certName}, alias)
		if !got {
			return
		}
		a := strings.ToLower(strings.TrimSuffix(alias, "."))
		n := strings.ToLower(strings.TrimSuffix(certName, "."))
		if a == n {
			return
		}
		// Covered through a wildcard: exactly one non-empty label more,
		// and never a wildcard alias.
		if strings.HasPrefix(a, "*") || !strings.HasPrefix(n, "*.") || strings.Count(a, ".") != strings.Count(n, ".") {
			t.Fatalf("Covers(%q, %q) through a wildcard it should not match", certName, alias)
		}
		label, rest, _ := strings.Cut(a, ".")
		if label == "" || rest != n[2:] {
			t.Fatalf("Covers(%q, %q): label %q rest %q", certName, alias, label, rest)
		}
	})
}

// TestHandshakeWithoutSNI: a client sending no server name (an IP
// address) gets the default certificate and the fallback policy over TCP,
// and never h2, even when the fallback (and the distribution of the Host
// it will send) has http2: "For viewers and CloudFront to use HTTP/2,
// viewers must support TLSv1.2 or later, and must support Server Name
// Indication (SNI)" (API Reference, DistributionConfig.HttpVersion). QUIC
// refuses it (no distribution can have HTTP/3 for it).
func TestHandshakeWithoutSNI(t *testing.T) {
	f := newFixture(t)
	f.viewers["h2.cloudfront.test"] = NewViewer("", "TLSv1", "http2and3")
	addr := serve(t, f.sel.TCP())
	for _, c := range []struct {
		name, sni string
		alpn      []string
		version   uint16
		want      string // negotiated protocol; "refused": no handshake
	}{
		{"no SNI, h2 and http/1.1 offered", "", []string{"h2", "http/1.1"}, tls.VersionTLS13, "http/1.1"},
		{"no SNI over TLS 1.2", "", []string{"h2", "http/1.1"}, tls.VersionTLS12, "http/1.1"},
		{"no SNI, h2 only offered", "", []string{"h2"}, tls.VersionTLS13, "refused"}, // RFC 7301 no_application_protocol
		{"no SNI, no ALPN", "", nil, tls.VersionTLS13, ""},
		{"SNI of an http2 distribution", "h2.cloudfront.test", []string{"h2", "http/1.1"}, tls.VersionTLS13, "h2"},
		{"SNI nobody serves", "unknown.cloudfront.test", []string{"h2", "http/1.1"}, tls.VersionTLS13, "h2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := handshake(addr, &tls.Config{ServerName: c.sni, InsecureSkipVerify: true, NextProtos: c.alpn, MaxVersion: c.version})
			if c.want == "refused" {
				if err == nil {
					t.Fatalf("handshake succeeded with ALPN %q, want refused", st.NegotiatedProtocol)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if leafOf(st).DNSNames[0] != "*.cloudfront.test" || st.NegotiatedProtocol != c.want {
				t.Errorf("certificate %q ALPN %q, want the default certificate and %q", leafOf(st).DNSNames, st.NegotiatedProtocol, c.want)
			}
		})
	}
	if _, err := f.sel.ConfigFor("", true); err == nil {
		t.Error("QUIC without SNI served")
	}
	if cfg, err := f.sel.ConfigFor("", false); err != nil || len(cfg.NextProtos) != 1 || cfg.NextProtos[0] != "http/1.1" {
		t.Errorf("ConfigFor without SNI: ALPN %q %v, want http/1.1 only", cfg.NextProtos, err)
	}
}

// FuzzSelector: any SNI name gets a config or an error, never a panic;
// QUIC is served only to a viewer with HTTP/3, always TLS 1.3 and h3.
func FuzzSelector(f *testing.F) {
	for _, s := range []string{"", "www.example.test", "WWW.EXAMPLE.TEST.", "h3.example.test", "\x00", "..", "*.example.test"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	now := time.Now()
	_, _, def := newCert(f, false, now.Add(-time.Hour), now.Add(time.Hour), "*.cloudfront.test")
	viewers := map[string]*Viewer{"www.example.test": NewViewer("", "TLSv1.2_2021", "http2"), "h3.example.test": NewViewer("", "TLSv1", "http3"),
		"acm.example.test": NewViewer(testARN, "TLSv1.2_2021", "http2and3")}
	sel := &Selector{Default: &def, Fallback: NewViewer("", "", "http2"),
		Lookup: func(name string) *Viewer { return viewers[strings.ToLower(strings.TrimSuffix(name, "."))] }}
	f.Fuzz(func(t *testing.T, name string, quic bool) {
		cfg, err := sel.ConfigFor(name, quic)
		if err != nil {
			return
		}
		if len(cfg.Certificates) != 1 {
			t.Fatalf("%q: %d certificates", name, len(cfg.Certificates))
		}
		if quic {
			v := sel.Lookup(name)
			if v == nil || !v.HTTP3 || cfg.MinVersion != tls.VersionTLS13 || cfg.NextProtos[0] != "h3" {
				t.Fatalf("QUIC %q served: %+v", name, cfg)
			}
		}
	})
}

// TestSelector_certificateProblems: an operator certificate the edge
// cannot load, or whose renewed file no longer covers an alias, is
// reported once per change (not per handshake), naming the distribution
// and the certificate; handshakes for names it does not cover are
// refused, as CloudFront never serves a certificate that does not cover
// the name; the report that it is served again comes once too.
func TestSelector_certificateProblems(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	clock := now
	f.store.now = func() time.Time { return clock }
	v := NewViewer(testARN, "TLSv1.2_2021", "http2")
	v.Distribution, v.Aliases = "E1EXAMPLE", []string{"a.example.test", "*.w.example.test"}
	f.viewers["a.example.test"], f.viewers["x.w.example.test"] = v, v
	type report struct{ dist, cert, err string }
	var (
		mu      sync.Mutex
		reports []report
	)
	f.sel.OnCertificate = func(dist, cert string, err error) {
		r := report{dist: dist, cert: cert}
		if err != nil {
			r.err = err.Error()
		}
		mu.Lock()
		reports = append(reports, r)
		mu.Unlock()
	}
	addr := serve(t, f.sel.TCP())
	cf, kf, _ := f.store.Paths(testARN)
	put := func(names ...string) func() {
		certPEM, keyPEM, _ := newCert(t, false, now.Add(-time.Hour), now.Add(24*time.Hour), names...)
		return func() { writeCert(t, f.store, testARN, certPEM, keyPEM) }
	}
	good, renewedNarrow := put("a.example.test", "*.w.example.test"), put("a.example.test", "b.example.test")
	for _, step := range []struct {
		name    string
		change  func()
		served  map[string]bool // SNI name -> handshake succeeds
		reports []string        // substrings of the errors reported in this step ("" = served again)
	}{
		{"covering certificate", good, map[string]bool{"a.example.test": true, "x.w.example.test": true}, nil},
		{"renewed without the wildcard", renewedNarrow, map[string]bool{"a.example.test": true, "x.w.example.test": false}, []string{`does not cover the alternate domain names *.w.example.test`}},
		{"key file broken", func() { os.WriteFile(kf, []byte("garbage"), 0o600) }, map[string]bool{"a.example.test": false, "x.w.example.test": false}, []string{"cannot be loaded"}},
		{"files removed", func() { os.Remove(cf); os.Remove(kf) }, map[string]bool{"a.example.test": false}, []string{"not in the certificate directory"}},
		{"fixed", good, map[string]bool{"a.example.test": true, "x.w.example.test": true}, []string{""}},
		{"unchanged", func() {}, map[string]bool{"a.example.test": true}, nil},
	} {
		t.Run(step.name, func(t *testing.T) {
			mu.Lock()
			reports = nil
			mu.Unlock()
			step.change()
			clock = clock.Add(2 * recheckEvery)
			for range 20 { // a flood of handshakes is one report
				for name, want := range step.served {
					_, err := handshake(addr, &tls.Config{ServerName: name, InsecureSkipVerify: true})
					if (err == nil) != want {
						t.Fatalf("%s: handshake error %v, want served=%v", name, err, want)
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if len(reports) != len(step.reports) {
				t.Fatalf("reports %q, want %d", reports, len(step.reports))
			}
			for i, want := range step.reports {
				r := reports[i]
				if r.dist != "E1EXAMPLE" || r.cert != testARN || (want == "") != (r.err == "") || !strings.Contains(r.err, want) {
					t.Errorf("report %+v, want E1EXAMPLE %s %q", r, testARN, want)
				}
			}
		})
	}
}
