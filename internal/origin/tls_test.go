package origin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"openfront/internal/model"
)

func TestTLSVersions(t *testing.T) {
	for _, tt := range []struct {
		protocols []string
		min, max  uint16
	}{
		{nil, tls.VersionTLS12, tls.VersionTLS13},
		{[]string{"TLSv1.2"}, tls.VersionTLS12, tls.VersionTLS13},
		{[]string{"TLSv1.1"}, tls.VersionTLS11, tls.VersionTLS11},
		{[]string{"TLSv1", "TLSv1.1"}, tls.VersionTLS10, tls.VersionTLS11},
		{[]string{"TLSv1.1", "TLSv1.2"}, tls.VersionTLS11, tls.VersionTLS13},
		{[]string{"SSLv3"}, tls.VersionTLS10, tls.VersionTLS10},
		{[]string{"TLSv1.2", "SSLv3"}, tls.VersionTLS10, tls.VersionTLS13},
		{[]string{"bogus"}, tls.VersionTLS12, tls.VersionTLS13},
	} {
		if lo, hi := tlsVersions(tt.protocols); lo != tt.min || hi != tt.max {
			t.Errorf("tlsVersions(%q) = %s..%s, want %s..%s", tt.protocols, tls.VersionName(lo), tls.VersionName(hi), tls.VersionName(tt.min), tls.VersionName(tt.max))
		}
	}
}

// TestClient_OriginSslProtocolsAllowList: OriginSslProtocols is an
// allow-list, checked by real handshakes with origins that speak one TLS
// version each: a version above the highest listed is not used either.
func TestClient_OriginSslProtocolsAllowList(t *testing.T) {
	roots := x509.NewCertPool()
	originSpeaking := func(version uint16) int {
		s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, tls.VersionName(r.TLS.Version))
		}))
		s.TLS = &tls.Config{MinVersion: version, MaxVersion: version}
		s.StartTLS()
		t.Cleanup(s.Close)
		roots.AddCert(s.Certificate())
		return s.Listener.Addr().(*net.TCPAddr).Port
	}
	tls11, tls12, tls13 := originSpeaking(tls.VersionTLS11), originSpeaking(tls.VersionTLS12), originSpeaking(tls.VersionTLS13)
	c := New(S3{})
	c.roots = roots
	for _, tt := range []struct {
		name      string
		port      int
		protocols []string
		want      string // "" = 502
	}{
		{"TLS 1.2 origin, TLSv1.2 allowed", tls12, []string{"TLSv1.2"}, "TLS 1.2"},
		{"TLS 1.3 origin, TLSv1.2 allowed", tls13, []string{"TLSv1.2"}, "TLS 1.3"},
		{"TLS 1.1 origin, TLSv1.1 allowed", tls11, []string{"TLSv1", "TLSv1.1"}, "TLS 1.1"},
		{"TLS 1.1 origin, only TLSv1.2 allowed", tls11, []string{"TLSv1.2"}, ""},
		{"TLS 1.2 origin, only TLSv1.1 allowed", tls12, []string{"TLSv1.1"}, ""},
		{"TLS 1.3 origin, only TLSv1 and TLSv1.1 allowed", tls13, []string{"TLSv1", "TLSv1.1"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := customOrigin("127.0.0.1", 80, tt.port, "https-only")
			o.Custom.SSLProtocols = tt.protocols
			resp, err := c.Do(context.Background(), &Request{Origin: o, Method: http.MethodGet, Path: "/", Header: http.Header{}})
			if tt.want == "" {
				var oe *Error
				if !errors.As(err, &oe) || oe.Status != http.StatusBadGateway {
					t.Fatalf("err = %v, want a 502 origin error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if string(body) != tt.want {
				t.Errorf("origin spoke %q, want %q", body, tt.want)
			}
		})
	}
}

// certNameMatches: allowedCertificateNames against a certificate's DNS
// names, a one-label wildcard on either side.
func TestCertNameMatches(t *testing.T) {
	for _, tc := range []struct {
		allowed, name string
		want          bool
	}{
		{"example.com", "example.com", true},
		{"Example.COM.", "example.com", true},
		{"*.example.com", "www.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "a.b.example.com", false},
		{"www.example.com", "*.example.com", true},
		{"a.b.example.com", "*.example.com", false},
		{"*.example.com", "*.example.com", true},
		{"*example.com", "www.example.com", false},
		{"other.test", "example.com", false},
	} {
		if got := certNameMatches(tc.allowed, tc.name); got != tc.want {
			t.Errorf("certNameMatches(%q, %q) = %v", tc.allowed, tc.name, got)
		}
	}
}

// Transports keyed by a request's own ServerName are pooled up to
// maxNamedTransports; past that each is made for one request and keeps
// no connection, so names chosen per request cannot grow the pool.
func TestNamedTransportsBounded(t *testing.T) {
	c := New(S3{})
	o := &model.Origin{DomainName: "origin.test", Custom: &model.CustomOrigin{HTTPPort: 80, HTTPSPort: 443, ProtocolPolicy: "https-only", KeepaliveTimeout: 5 * time.Second}}
	for i := 0; i < maxNamedTransports+10; i++ {
		tr := c.transport(o, &Request{ServerName: fmt.Sprintf("n%d.example.com", i)})
		if want := i >= maxNamedTransports; tr.DisableKeepAlives != want {
			t.Fatalf("transport %d: DisableKeepAlives %v", i, tr.DisableKeepAlives)
		}
	}
	if n := len(c.transports); n != maxNamedTransports {
		t.Errorf("%d pooled transports, want %d", n, maxNamedTransports)
	}
	if tr := c.transport(o, &Request{ServerName: "n0.example.com"}); tr.DisableKeepAlives || tr != c.transport(o, &Request{ServerName: "n0.example.com"}) {
		t.Error("a pooled name is not reused")
	}
}
