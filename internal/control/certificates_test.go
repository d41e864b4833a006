package control_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"openfront/internal/control"
	"openfront/internal/fleet"
	"openfront/internal/model"
	"openfront/internal/store/boltstore"
	"openfront/internal/tlsconfig"
)

// putCertificate writes a self-signed certificate for names, valid in
// [from, to), under name's files in the store's directory.
func putCertificate(t *testing.T, s *tlsconfig.Store, name string, from, to time.Time, names ...string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	putCertificateKey(t, s, name, key, from, to, names...)
}

// putCertificateKey is putCertificate with a key of the caller's.
func putCertificateKey(t *testing.T, s *tlsconfig.Store, name string, key crypto.Signer, from, to time.Time, names ...string) {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names, NotBefore: from, NotAfter: to}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cf, kf, err := s.Paths(name)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
}

// TestViewerCertificates: an ACM or IAM certificate is accepted when the
// operator supplied it in the certificate directory, it is valid now and
// it covers every alias; otherwise CreateDistribution and
// UpdateDistribution refuse it with InvalidViewerCertificate.
func TestViewerCertificates(t *testing.T) {
	certs, err := tlsconfig.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "openfront.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fl := fleet.NewLocal(0)
	e := &env{t: t, ctx: context.Background(), store: st, fleet: fl,
		c: control.New(st, fl, control.Settings{AccountID: testAccount, DomainSuffix: "cloudfront.net", Quotas: control.DefaultQuotas, Certificates: certs})}
	e.report(0)

	now := time.Now()
	const (
		good    = "arn:aws:acm:us-east-1:123456789012:certificate/good"
		expired = "arn:aws:acm:us-east-1:123456789012:certificate/expired"
		iam     = "ASCAEXAMPLEIAM"
		later   = "arn:aws:acm:us-east-1:123456789012:certificate/later"
		bigRSA  = "arn:aws:acm:us-east-1:123456789012:certificate/rsa4104"
	)
	putCertificate(t, certs, good, now.Add(-time.Hour), now.Add(24*time.Hour), "www.example.com", "*.img.example.com")
	putCertificate(t, certs, expired, now.Add(-48*time.Hour), now.Add(-time.Hour), "www.example.com")
	putCertificate(t, certs, iam, now.Add(-time.Hour), now.Add(24*time.Hour), "iam.example.com")
	bigKey, err := rsa.GenerateKey(rand.Reader, 4104)
	if err != nil {
		t.Fatal(err)
	}
	putCertificateKey(t, certs, bigRSA, bigKey, now.Add(-time.Hour), now.Add(24*time.Hour), "www.example.com")
	acm := func(arn string) model.Tree {
		return model.Tree{"ACMCertificateArn": arn, "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"}
	}
	tests := []struct {
		name    string
		aliases []string
		cert    model.Tree
		want    string // substring of the InvalidViewerCertificate message; "" = accepted
	}{
		{"covers its aliases", []string{"www.example.com", "a.img.example.com"}, acm(good), ""},
		{"no aliases", nil, acm(good), ""},
		{"IAM certificate", []string{"iam.example.com"}, model.Tree{"IAMCertificateId": iam, "SSLSupportMethod": "sni-only"}, ""},
		{"legacy IAM form", nil, model.Tree{"Certificate": iam, "CertificateSource": "iam", "SSLSupportMethod": "vip"}, ""},
		{"alias not covered", []string{"www.example.com", "shop.example.com"}, acm(good), "shop.example.com"},
		{"wildcard one level only", []string{"a.b.img.example.com"}, acm(good), "a.b.img.example.com"},
		{"expired", []string{"www.example.com"}, acm(expired), "expired"},
		// "the maximum size of the public key in an SSL/TLS RSA
		// certificate is 4096 bits" ("Determine the size of the public
		// key in an SSL/TLS RSA certificate", CloudFront Developer Guide)
		{"RSA key over 4096 bits", []string{"www.example.com"}, acm(bigRSA), "4104-bit RSA key"},
		{"missing", nil, acm("arn:aws:acm:us-east-1:123456789012:certificate/none"), "not in the certificate directory"},
		{"name that is no file name", nil, acm("arn:aws:acm:us-east-1:123456789012:certificate/../../x"), "not an ACM certificate ARN"},
		{"ACM outside us-east-1", nil, acm("arn:aws:acm:eu-west-1:123456789012:certificate/good"), "us-east-1"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := distConfig("cert-"+strings.ReplaceAll(tt.name, " ", "-"), tt.aliases...)
			cfg["ViewerCertificate"] = tt.cert
			_, _, err := e.c.CreateDistribution(e.ctx, cfg, nil)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CreateDistribution: %v", err)
				}
			} else {
				wantCode(t, err, "InvalidViewerCertificate")
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("message %q does not say %q", err, tt.want)
				}
			}
			if tt.want == "" {
				return
			}
			// The same certificate set by an update is refused too.
			d := e.create(distConfig("cert-update-" + string(rune('a'+i))))
			next := model.Clone(d.Config)
			next["ViewerCertificate"] = tt.cert
			next["Aliases"] = wrap(strs(tt.aliases...)...)
			_, err = e.update(d.ID, d.ETag, next)
			wantCode(t, err, "InvalidViewerCertificate")
		})
	}

	// A certificate the operator adds later is accepted without a restart.
	cfg := distConfig("cert-later", "later.example.com")
	cfg["ViewerCertificate"] = acm(later)
	_, _, err = e.c.CreateDistribution(e.ctx, cfg, nil)
	wantCode(t, err, "InvalidViewerCertificate")
	putCertificate(t, certs, later, now.Add(-time.Hour), now.Add(24*time.Hour), "later.example.com")
	time.Sleep(1100 * time.Millisecond) // the store looks at files at most once a second
	if _, _, err := e.c.CreateDistribution(e.ctx, cfg, nil); err != nil {
		t.Fatalf("after the certificate was added: %v", err)
	}
}
