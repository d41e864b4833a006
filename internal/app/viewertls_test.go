package app

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"
	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"openfront/internal/tlsconfig"
)

const testARN = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitHealthy waits up to 20 s for a serve started in the test to answer
// 200 on its API port's /healthz, failing with its logs.
func waitHealthy(t *testing.T, api int, logs fmt.Stringer) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		r, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", api))
		if err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not healthy: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// operatorCert writes a certificate for names into dir under name's files
// and returns its PEM.
func operatorCert(t *testing.T, dir, name string, names ...string) []byte {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	base, err := tlsconfig.FileBase(name)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	os.WriteFile(filepath.Join(dir, base+".crt"), certPEM, 0o644)
	os.WriteFile(filepath.Join(dir, base+".key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certPEM
}

// edgeProcess is an in-process `openfront serve` with a TLS edge, HTTP/3 on
// the same port over UDP, and a certificate directory.
type edgeProcess struct {
	api, tlsPort int
	roots        *x509.CertPool
	cf           *cloudfront.Client
	origin       *httptest.Server
}

func startEdge(t *testing.T) *edgeProcess {
	t.Helper()
	t.Setenv("OPENFRONT_ACCESS_KEY_ID", "AKIDTLSTEST")
	t.Setenv("OPENFRONT_SECRET_ACCESS_KEY", "tls-test-secret")
	dataDir, certDir := t.TempDir(), t.TempDir()
	e := &edgeProcess{api: freeTCPPort(t), tlsPort: freeTCPPort(t), roots: x509.NewCertPool()}
	e.roots.AppendCertsFromPEM(operatorCert(t, certDir, testARN, "www.example.test"))
	e.origin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "max-age=600")
		w.Header().Set("X-Origin-Proto", r.Proto)
		fmt.Fprintf(w, "object %s", r.URL.Path)
	}))
	t.Cleanup(e.origin.Close)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() {
		done <- serveUntil(ctx, []string{"--data-dir", dataDir, "--api-addr", "127.0.0.1:" + strconv.Itoa(e.api),
			"--edge-addr", "127.0.0.1:" + strconv.Itoa(freeTCPPort(t)), "--edge-tls-addr", "127.0.0.1:" + strconv.Itoa(e.tlsPort),
			"--rtmp-addr", "", "--certificate-dir", certDir, "--log-level", "warn"}, io.Discard, &logs)
	}()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	waitHealthy(t, e.api, &logs)
	def, err := os.ReadFile(filepath.Join(dataDir, "edge-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	e.roots.AppendCertsFromPEM(def)
	e.cf = cloudfront.New(cloudfront.Options{Region: "us-east-1", BaseEndpoint: aws.String(fmt.Sprintf("http://127.0.0.1:%d", e.api)),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTLSTEST", "tls-test-secret", "")})
	return e
}

// create makes a distribution in front of the test origin.
func (e *edgeProcess) create(t *testing.T, ref string, version types.HttpVersion, cert *types.ViewerCertificate, aliases ...string) (string, error) {
	t.Helper()
	port, _ := strconv.Atoi(e.origin.URL[len("http://127.0.0.1:"):])
	cfg := &types.DistributionConfig{
		CallerReference: aws.String(ref), Comment: aws.String(""), Enabled: aws.Bool(true), HttpVersion: version,
		Origins: &types.Origins{Quantity: aws.Int32(1), Items: []types.Origin{{Id: aws.String("o"), DomainName: aws.String("127.0.0.1"),
			CustomOriginConfig: &types.CustomOriginConfig{HTTPPort: aws.Int32(int32(port)), HTTPSPort: aws.Int32(443), OriginProtocolPolicy: types.OriginProtocolPolicyHttpOnly}}}},
		DefaultCacheBehavior: &types.DefaultCacheBehavior{TargetOriginId: aws.String("o"), ViewerProtocolPolicy: types.ViewerProtocolPolicyAllowAll,
			CachePolicyId: aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6")}, // Managed-CachingOptimized
		ViewerCertificate: cert,
	}
	if len(aliases) > 0 {
		cfg.Aliases = &types.Aliases{Quantity: aws.Int32(int32(len(aliases))), Items: aliases}
	}
	out, err := e.cf.CreateDistribution(context.Background(), &cloudfront.CreateDistributionInput{DistributionConfig: cfg})
	if err != nil {
		return "", err
	}
	return *out.Distribution.DomainName, nil
}

type reply struct {
	proto, body, xcache, altSvc, server string
	status                              int
	cert                                string // the certificate's first DNS name
}

// get requests https://host/path over one transport ("h1", "h2", "h3"),
// connecting to the edge on loopback with host as SNI.
func (e *edgeProcess) get(host, path, transport string) (reply, error) {
	return e.getSNI(host, host, path, transport)
}

// getSNI is get with sni in the TLS handshake and host in the request.
func (e *edgeProcess) getSNI(sni, host, path, transport string) (reply, error) {
	return e.getWith(sni, host, path, transport, nil)
}

// getWith is getSNI with extra request headers. An empty sni sends
// none: the client connects to the IP address, as `curl
// https://127.0.0.1:PORT/` does (the certificate is then not verified).
func (e *edgeProcess) getWith(sni, host, path, transport string, h http.Header) (reply, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", e.tlsPort)
	tlsCfg := &tls.Config{RootCAs: e.roots, ServerName: sni}
	urlHost := sni
	if sni == "" {
		urlHost, tlsCfg.InsecureSkipVerify = addr, true
	}
	var rt http.RoundTripper
	switch transport {
	case "h3":
		tr := &http3.Transport{TLSClientConfig: tlsCfg, Dial: func(ctx context.Context, _ string, tc *tls.Config, qc *quic.Config) (*quic.Conn, error) {
			return quic.DialAddr(ctx, addr, tc, qc)
		}}
		defer tr.Close()
		rt = tr
	default:
		tr := &http.Transport{TLSClientConfig: tlsCfg, ForceAttemptHTTP2: transport == "h2",
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}}
		if transport == "h1" {
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		defer tr.CloseIdleConnections()
		rt = tr
	}
	c := &http.Client{Transport: rt, Timeout: 10 * time.Second}
	req, err := http.NewRequest(http.MethodGet, "https://"+urlHost+path, nil)
	if err != nil {
		return reply{}, err
	}
	req.Host = host
	for name, vs := range h {
		req.Header[name] = vs
	}
	r, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	return reply{proto: r.Proto, body: string(body), status: r.StatusCode, xcache: r.Header.Get("X-Cache"),
		altSvc: r.Header.Get("Alt-Svc"), server: r.Header.Get("Server"), cert: r.TLS.PeerCertificates[0].DNSNames[0]}, nil
}

// waitServed waits until the edge serves host (the snapshot is applied).
func (e *edgeProcess) waitServed(t *testing.T, host string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		r, err := e.get(host, "/ready", "h1")
		if err == nil && r.status == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not served: %v %+v", host, err, r)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestViewerTLS_perDistribution drives a whole `openfront serve` with the
// AWS SDK for Go: each distribution's HttpVersion decides the protocols
// its viewers get (ALPN over TCP, HTTP/3 over QUIC, Alt-Svc), its
// certificate is the operator's or the default one by SNI, and the edge's
// decisions (cache status, body, errors) are the same over HTTP/1.1,
// HTTP/2 and HTTP/3.
func TestViewerTLS_perDistribution(t *testing.T) {
	e := startEdge(t)
	acm := &types.ViewerCertificate{ACMCertificateArn: aws.String(testARN), SSLSupportMethod: types.SSLSupportMethodSniOnly, MinimumProtocolVersion: types.MinimumProtocolVersionTLSv122021}
	both, err := e.create(t, "both", types.HttpVersionHttp2and3, acm, "www.example.test")
	if err != nil {
		t.Fatal(err)
	}
	h11, err := e.create(t, "h11", types.HttpVersionHttp11, nil)
	if err != nil {
		t.Fatal(err)
	}
	h2only, err := e.create(t, "h2", types.HttpVersionHttp2, nil)
	if err != nil {
		t.Fatal(err)
	}
	h3, err := e.create(t, "h3", types.HttpVersionHttp3, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A certificate the operator did not supply is CloudFront's error.
	_, err = e.create(t, "missing", types.HttpVersionHttp2, &types.ViewerCertificate{IAMCertificateId: aws.String("ASCANOTSUPPLIED"), SSLSupportMethod: types.SSLSupportMethodSniOnly})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidViewerCertificate" {
		t.Fatalf("missing certificate: %v, want InvalidViewerCertificate", err)
	}
	for _, h := range []string{"www.example.test", h11, h2only, h3} {
		e.waitServed(t, h)
	}
	altSvc := tlsconfig.AltSvc(e.tlsPort)

	tests := []struct {
		host, transport string
		proto           string // "" = the connection is refused
		cert, altSvc    string
	}{
		{"www.example.test", "h1", "HTTP/1.1", "www.example.test", altSvc},
		{"www.example.test", "h2", "HTTP/2.0", "www.example.test", altSvc},
		{"www.example.test", "h3", "HTTP/3.0", "www.example.test", altSvc},
		{both, "h2", "HTTP/2.0", "*.cloudfront.localhost", altSvc}, // its own domain name: the default certificate, as CloudFront's *.cloudfront.net
		{h11, "h2", "HTTP/1.1", "*.cloudfront.localhost", ""},
		{h11, "h3", "", "", ""},
		{h2only, "h2", "HTTP/2.0", "*.cloudfront.localhost", ""},
		{h2only, "h3", "", "", ""},
		{h3, "h2", "HTTP/1.1", "*.cloudfront.localhost", altSvc},
		{h3, "h3", "HTTP/3.0", "*.cloudfront.localhost", altSvc},
	}
	for _, tt := range tests {
		r, err := e.get(tt.host, "/proto", tt.transport)
		if tt.proto == "" {
			if err == nil {
				t.Errorf("%s over %s: served (%s), want refused", tt.host, tt.transport, r.proto)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s over %s: %v", tt.host, tt.transport, err)
			continue
		}
		if r.proto != tt.proto || r.cert != tt.cert || r.altSvc != tt.altSvc || r.status != 200 {
			t.Errorf("%s over %s: %s cert %q Alt-Svc %q status %d; want %s %q %q 200", tt.host, tt.transport, r.proto, r.cert, r.altSvc, r.status, tt.proto, tt.cert, tt.altSvc)
		}
	}

	// Without SNI (a viewer connecting to an IP address) HTTP/2 is never
	// negotiated, whatever the Host's HttpVersion: "viewers must support
	// TLSv1.2 or later, and must support Server Name Indication (SNI)"
	// (API Reference, DistributionConfig.HttpVersion). The request is
	// still the Host's distribution's, over HTTP/1.1.
	for _, host := range []string{"www.example.test", both, h11, h2only} {
		r, err := e.getSNI("", host, "/nosni", "h2")
		if err != nil {
			t.Errorf("no SNI, Host %s: %v", host, err)
			continue
		}
		if r.proto != "HTTP/1.1" || r.cert != "*.cloudfront.localhost" || r.status != 200 {
			t.Errorf("no SNI, Host %s: %s cert %q status %d; want HTTP/1.1 with the default certificate, 200", host, r.proto, r.cert, r.status)
		}
	}

	// One pipeline, three transports: the first request fills the cache,
	// the others hit it, whatever the transport; an edge error is the
	// same error on each.
	var first reply
	for i, transport := range []string{"h3", "h1", "h2", "h3"} {
		r, err := e.get("www.example.test", "/same", transport)
		if err != nil {
			t.Fatalf("%s: %v", transport, err)
		}
		want := "Hit from cloudfront"
		if i == 0 {
			want, first = "Miss from cloudfront", r
		}
		if r.xcache != want || r.body != first.body || r.status != 200 {
			t.Errorf("%s (request %d): X-Cache %q body %q status %d; want %q %q 200", transport, i, r.xcache, r.body, r.status, want, first.body)
		}
	}
	for _, transport := range []string{"h1", "h2", "h3"} {
		r, err := e.get("www.example.test", "/missing", transport) // the origin's 404, cached as an error
		if err != nil {
			t.Fatalf("%s: %v", transport, err)
		}
		if r.status != 404 || r.xcache != "Error from cloudfront" {
			t.Errorf("origin 404 over %s: %d %q, want 404 Error from cloudfront", transport, r.status, r.xcache)
		}
	}
}

// TestViewerTLS_hostOtherThanSNI: a request whose Host names another
// distribution than the TLS handshake's SNI is served by the Host's
// distribution, over the connection the SNI's distribution set up.
// CloudFront answers 421 Misdirected Request only when the certificate's
// AWS account and the Host's distribution's account differ ("Continually
// Enhancing Domain Security on Amazon CloudFront", AWS Networking & Content
// Delivery blog); every OpenFront distribution belongs to the one account.
func TestViewerTLS_hostOtherThanSNI(t *testing.T) {
	e := startEdge(t)
	acm := &types.ViewerCertificate{ACMCertificateArn: aws.String(testARN), SSLSupportMethod: types.SSLSupportMethodSniOnly, MinimumProtocolVersion: types.MinimumProtocolVersionTLSv122021}
	if _, err := e.create(t, "aliased", types.HttpVersionHttp2, acm, "www.example.test"); err != nil {
		t.Fatal(err)
	}
	other, err := e.create(t, "other", types.HttpVersionHttp11, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.waitServed(t, "www.example.test")
	e.waitServed(t, other)
	for _, transport := range []string{"h1", "h2"} {
		r, err := e.getSNI("www.example.test", other, "/fronted", transport)
		if err != nil {
			t.Fatalf("%s: %v", transport, err)
		}
		// The handshake is the SNI's (its certificate, its HTTP/2); the
		// answer is the Host's distribution's (a miss on its own cache).
		if r.status != 200 || r.cert != "www.example.test" || r.body != "object /fronted" {
			t.Errorf("SNI www.example.test, Host %s over %s: %d cert %q body %q; want 200 from the Host's distribution", other, transport, r.status, r.cert, r.body)
		}
	}
	// Both share one origin: which cache the object went to tells which
	// distribution served it.
	if r, err := e.get(other, "/fronted", "h1"); err != nil || r.xcache != "Hit from cloudfront" {
		t.Errorf("Host's distribution directly: %q %v, want the Hit the fronted request stored", r.xcache, err)
	}
	if r, err := e.get("www.example.test", "/fronted", "h1"); err != nil || r.xcache != "Miss from cloudfront" {
		t.Errorf("SNI's distribution directly: %q %v, want a Miss (it never served /fronted)", r.xcache, err)
	}
	// An unknown Host is CloudFront's 403, whatever the SNI.
	if r, err := e.getSNI("www.example.test", "unknown.example.test", "/x", "h2"); err != nil || r.status != 403 {
		t.Errorf("unknown Host: %d %v, want 403", r.status, err)
	}
}

// TestViewerTLS_oversizeHead: a request head over CloudFront's 20,480
// bytes gets CloudFront's 413 page over HTTP/1.1, HTTP/2 and HTTP/3 alike
// (net/http alone would answer HTTP/2 with its 431 or a GOAWAY), and one
// just under it is served.
func TestViewerTLS_oversizeHead(t *testing.T) {
	e := startEdge(t)
	acm := &types.ViewerCertificate{ACMCertificateArn: aws.String(testARN), SSLSupportMethod: types.SSLSupportMethodSniOnly, MinimumProtocolVersion: types.MinimumProtocolVersionTLSv122021}
	if _, err := e.create(t, "big", types.HttpVersionHttp2and3, acm, "www.example.test"); err != nil {
		t.Fatal(err)
	}
	e.waitServed(t, "www.example.test")
	for _, transport := range []string{"h1", "h2", "h3"} {
		r, err := e.getWith("www.example.test", "www.example.test", "/big", transport, http.Header{"X-Pad": {strings.Repeat("p", 25000)}})
		if err != nil {
			t.Errorf("%s: %v", transport, err)
			continue
		}
		if r.status != 413 || r.xcache != "Error from cloudfront" || r.server != "CloudFront" || !strings.Contains(r.body, "413") {
			t.Errorf("25,000-byte header over %s: %d X-Cache %q Server %q body %.80q; want CloudFront's 413 page", transport, r.status, r.xcache, r.server, r.body)
		}
		r, err = e.getWith("www.example.test", "www.example.test", "/small", transport, http.Header{"X-Pad": {strings.Repeat("p", 19000)}})
		if err != nil || r.status != 200 {
			t.Errorf("19,000-byte header over %s: %d %v, want 200", transport, r.status, err)
		}
	}
}
