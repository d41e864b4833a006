// Package apitest starts an in-process OpenFront control-plane API for
// tests: a bbolt store in t.TempDir(), a fleet.Local, control, the
// CloudFront handler and api.Server with a SigV4 verifier over fixed test
// credentials, served by an httptest.Server. Requests are signed with
// aws-sdk-go-v2's signer, as an SDK client would sign them.
//
// Status follows the fleet exactly as in production: with no edge
// registered every revision counts as applied (Deployed at once); call
// StartEdge for an edge stand-in that compiles snapshots and reports them,
// or drive Fleet by hand (Report a node at revision 0 to keep everything
// InProgress).
//
// apitest is for tests only; nothing outside _test.go files may import it.
package apitest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"openfront/internal/api"
	"openfront/internal/api/cloudfront"
	"openfront/internal/api/keyvaluestore"
	"openfront/internal/control"
	"openfront/internal/fleet"
	"openfront/internal/model"
	"openfront/internal/sigv4"
	"openfront/internal/snapshot"
	"openfront/internal/store"
	"openfront/internal/store/boltstore"
)

// Fixed test credentials and identity.
const (
	AccessKeyID     = "AKIDOPENFRONTTEST000"
	SecretAccessKey = "apitestSecretKey/OpenFront+0123456789abcd"
	Region          = "us-east-1"
	AccountID       = "123456789012"
	DomainSuffix    = "cloudfront.net"
)

// Server is a running in-process API.
type Server struct {
	URL     string // base URL, no trailing slash
	HTTP    *httptest.Server
	Store   *boltstore.Store
	Fleet   *fleet.Local
	Control *control.Control
	Client  *http.Client
}

// Option changes how NewServer builds the server.
type Option func(*options)

type options struct {
	settings  control.Settings
	wrapStore func(store.Store) store.Store
}

// WithQuotas sets control's quotas.
func WithQuotas(q control.Quotas) Option {
	return func(o *options) { o.settings.Quotas = q }
}

// WithCertificates sets the operator's viewer certificates.
func WithCertificates(c control.CertificateChecker) Option {
	return func(o *options) { o.settings.Certificates = c }
}

// WithStore has control use wrap(Store) instead of Store itself (for one,
// storetest.Rerun, to run every Update's function twice as etcdstore may).
// Server.Store stays the bbolt store underneath.
func WithStore(wrap func(store.Store) store.Store) Option {
	return func(o *options) { o.wrapStore = wrap }
}

// NewServer starts a server whose resources are released by t.Cleanup.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "openfront.db"), boltstore.Options{})
	if err != nil {
		t.Fatalf("apitest: open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	o := options{settings: control.Settings{AccountID: AccountID, DomainSuffix: DomainSuffix}}
	for _, opt := range opts {
		opt(&o)
	}
	var controlStore store.Store = st
	if o.wrapStore != nil {
		controlStore = o.wrapStore(st)
	}
	fl := fleet.NewLocal(0)
	ctl := control.New(controlStore, fl, o.settings)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cf, err := cloudfront.New(ctl, log)
	if err != nil {
		t.Fatalf("apitest: cloudfront handler: %v", err)
	}
	handler := &api.Server{
		Verifier: &sigv4.Verifier{
			Credentials: sigv4.CredentialsFunc(func(id string) (string, bool) { return SecretAccessKey, id == AccessKeyID }),
			Services:    []string{"cloudfront", "lightsail", keyvaluestore.SigningName},
		},
		CloudFront:    cf,
		KeyValueStore: keyvaluestore.New(ctl, log),
		Log:           log,
	}
	hs := httptest.NewServer(handler)
	t.Cleanup(hs.Close)
	return &Server{URL: hs.URL, HTTP: hs, Store: st, Fleet: fl, Control: ctl, Client: hs.Client()}
}

// Revision is the store's current revision.
func (s *Server) Revision(t testing.TB) int64 {
	t.Helper()
	return Revision(t, s.Store)
}

// Revision is a store's current revision.
func Revision(t testing.TB, st store.Store) int64 {
	t.Helper()
	var rev int64
	if err := st.View(context.Background(), func(tx store.ReadTxn) error {
		rev = tx.Revision()
		return nil
	}); err != nil {
		t.Fatalf("apitest: read revision: %v", err)
	}
	return rev
}

// NewRequest builds an unsigned request for path (below the server URL)
// with the given body ("" for none).
func (s *Server) NewRequest(t testing.TB, method, path, body string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "text/xml")
	}
	return req
}

// Sign signs req in place with the test credentials (or with secret, when
// not empty, to provoke SignatureDoesNotMatch). body must be the request's
// body.
func Sign(t testing.TB, req *http.Request, body, secret string) {
	t.Helper()
	if secret == "" {
		secret = SecretAccessKey
	}
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "cloudfront", Region, time.Now()); err != nil {
		t.Fatalf("apitest: sign: %v", err)
	}
}

// Response is a fully read response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req (already signed or deliberately not) and reads the response.
func (s *Server) Do(t testing.TB, req *http.Request) *Response {
	t.Helper()
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatalf("apitest: %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("apitest: read response: %v", err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Call sends a signed request with optional extra headers (name, value
// pairs) and returns the response.
func (s *Server) Call(t testing.TB, method, path, body string, header ...string) *Response {
	t.Helper()
	req := s.NewRequest(t, method, path, body)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	Sign(t, req, body, "")
	return s.Do(t, req)
}

// Edge is an edge stand-in: a snapshot watcher over the server's store
// whose hook reports each applied revision to the fleet, as
// internal/app/serve.go wires the in-process edge.
type Edge struct {
	Name    string
	Watcher *snapshot.Watcher
}

// StartEdge starts an edge named name; it stops at test cleanup.
func (s *Server) StartEdge(t testing.TB, name string) *Edge {
	t.Helper()
	return StartEdge(t, s.Store, s.Fleet, name)
}

// StartEdge starts an edge stand-in over any store and fleet registry and
// waits until its first snapshot is live and reported.
func StartEdge(t testing.TB, st store.Store, fl *fleet.Local, name string) *Edge {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := snapshot.NewWatcher(st, func(ctx context.Context, snap *snapshot.Snapshot, _ []model.InvalidationRecord) error {
		return fl.Report(ctx, name, snap.Revision)
	}, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("apitest: edge %s: %v", name, err)
		}
		fl.Leave(context.Background(), name)
	})
	select {
	case <-w.Ready():
	case err := <-done:
		t.Fatalf("apitest: edge %s stopped before its first snapshot: %v", name, err)
	case <-time.After(10 * time.Second):
		t.Fatalf("apitest: edge %s: no snapshot after 10s", name)
	}
	return &Edge{Name: name, Watcher: w}
}

// WaitApplied blocks until every live edge has applied the store's current
// revision (or fails the test after 10 s).
func (s *Server) WaitApplied(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Fleet.WaitApplied(ctx, s.Revision(t)); err != nil {
		t.Fatalf("apitest: wait applied: %v", err)
	}
}

// String returns the status text and body (for failure messages).
func (r *Response) String() string {
	var b bytes.Buffer
	b.WriteString(http.StatusText(r.Status))
	b.WriteString(": ")
	b.Write(r.Body)
	return b.String()
}
