package snapshot

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"openfront/internal/model"
	"openfront/internal/store"
	"openfront/internal/store/boltstore"
	"openfront/internal/tlsconfig"
)

// putJSON stores v as JSON under key, as the control plane does, and
// returns the store's revision.
func putJSON(ctx context.Context, t *testing.T, st store.Store, key string, v any) int64 {
	t.Helper()
	b, _ := json.Marshal(v)
	rev, err := st.Update(ctx, func(tx store.Txn) error { return tx.Put(key, b) })
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

// watchSnapshots runs a watcher over st until ctx ends; next waits for
// the next snapshot it applies and fails the test if ctx ends first.
func watchSnapshots(ctx context.Context, t *testing.T, st store.Store) (next func() *Snapshot) {
	got := make(chan *Snapshot, 16)
	w := NewWatcher(st, func(_ context.Context, s *Snapshot, _ []model.InvalidationRecord) error { got <- s; return nil }, nil)
	go w.Run(ctx)
	return func() *Snapshot {
		t.Helper()
		select {
		case s := <-got:
			return s
		case <-ctx.Done():
			t.Fatal("watcher applied nothing")
		}
		return nil
	}
}

func openStore(t *testing.T) *boltstore.Store {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func distRecord(id, domain string, aliases ...string) *model.DistributionRecord {
	return &model.DistributionRecord{ID: id, DomainName: domain, Config: model.Tree{
		"CallerReference": id, "Comment": "", "Enabled": "true",
		"Aliases": model.Wrapper(aliases),
		"Origins": model.Wrapper([]model.Tree{{"Id": "o", "DomainName": "origin.example",
			"CustomOriginConfig": model.Tree{"HTTPPort": "80", "HTTPSPort": "443", "OriginProtocolPolicy": "http-only"}}}),
		"DefaultCacheBehavior": model.Tree{"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
			"ForwardedValues": model.Tree{"QueryString": "false", "Cookies": model.Tree{"Forward": "none"}}},
	}}
}

// TestSnapshot_Lookup encodes the alternate domain name rules ("Distribution
// settings", Alternate domain names (CNAMEs), AWS): domain name and exact
// aliases first, then the longest wildcard suffix, at any depth, never the
// apex; case and a trailing dot do not matter.
func TestSnapshot_Lookup(t *testing.T) {
	s := Compile(1, []*model.DistributionRecord{
		distRecord("E1", "d1.cloudfront.localhost", "www.example.com", "*.example.com"),
		distRecord("E2", "d2.cloudfront.localhost", "*.shop.example.com", "marketing.example.com"),
	}, nil, nil)
	tests := []struct{ host, want string }{
		{"d1.cloudfront.localhost", "E1"},
		{"D2.CloudFront.Localhost.", "E2"},
		{"www.example.com", "E1"},
		{"marketing.example.com", "E2"}, // exact beats wildcard
		{"a.example.com", "E1"},
		{"a.b.example.com", "E1"},      // wildcards match at any depth
		{"x.shop.example.com", "E2"},   // the longest suffix wins
		{"y.x.shop.example.com", "E2"}, //
		{"example.com", ""},            // not the apex
		{"nothing.example.org", ""},    //
		{"", ""},                       //
	}
	for _, tc := range tests {
		got := ""
		if d := s.Lookup(tc.host); d != nil {
			got = d.ID
		}
		if got != tc.want {
			t.Errorf("Lookup(%q) = %q, want %q", tc.host, got, tc.want)
		}
	}
	d := s.Lookup("d1.cloudfront.localhost")
	if b := d.Match("/any/path"); b.PathPattern != "*" {
		t.Errorf("default behaviour pattern = %q", b.PathPattern)
	}
}

func TestKeys_Allowed(t *testing.T) {
	k := &Keys{ByID: map[string]crypto.PublicKey{"K1": 1, "K2": 2, "K3": 3}, Groups: map[string][]string{"g1": {"K1"}, "g2": {"K2", "KX"}}}
	if got := k.Allowed(nil, nil); got != nil {
		t.Errorf("no trust: %v, want nil", got)
	}
	if got := k.Allowed(nil, []string{"g2"}); len(got) != 1 || got["K2"] == nil {
		t.Errorf("key group g2: %v, want only K2 (KX is not stored)", got)
	}
	if got := k.Allowed([]string{"self"}, nil); len(got) != 3 {
		t.Errorf("trusted signers: %v, want every stored key", got)
	}
	// Another account's key pairs are not the stored keys: with no
	// account set, and with the account set to a different id.
	for _, account := range []string{"", "123456789012"} {
		k.Account = account
		if got := k.Allowed([]string{"111122223333"}, nil); len(got) != 0 {
			t.Errorf("account %q: another account as trusted signer: %v, want no key", account, got)
		}
		if got := k.Allowed([]string{"111122223333"}, []string{"g1"}); len(got) != 1 || got["K1"] == nil {
			t.Errorf("account %q: another account and group g1: %v, want only K1", account, got)
		}
	}
	k.Account = "123456789012"
	if got := k.Allowed([]string{"111122223333", "123456789012"}, nil); len(got) != 3 {
		t.Errorf("the account's own id as trusted signer: %v, want every stored key", got)
	}
}

// The first snapshot (a start or a reload) holds every kind of record
// apply keeps: a distribution naming a stored custom policy is served.
func TestWatcher_loadsEveryKind(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st := openStore(t)
	rec := distRecord("E1", "d1.example")
	b := model.Sub(rec.Config, "DefaultCacheBehavior")
	delete(b, "ForwardedValues")
	b["CachePolicyId"], b["OriginRequestPolicyId"] = "cp1", "orp1"
	for key, v := range map[string]any{
		model.DistributionKey("E1"):          rec,
		model.CachePolicyKey("cp1"):          model.CachePolicyRecord{ID: "cp1", Policy: model.CachePolicy{Name: "c", MaxTTL: 60}},
		model.OriginRequestPolicyKey("orp1"): model.OriginRequestPolicyRecord{ID: "orp1", Policy: model.OriginRequestPolicy{Name: "o"}},
	} {
		value, _ := json.Marshal(v)
		if _, err := st.Update(ctx, func(tx store.Txn) error { return tx.Put(key, value) }); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan *Snapshot, 1)
	w := NewWatcher(st, func(_ context.Context, s *Snapshot, _ []model.InvalidationRecord) error {
		select {
		case got <- s:
		default:
		}
		return nil
	}, slog.New(slog.DiscardHandler))
	go w.Run(ctx)
	select {
	case s := <-got:
		if d := s.Lookup("d1.example"); d == nil || d.Behaviors[0].Policy.MaxTTL != time.Minute {
			t.Errorf("first snapshot: distribution with custom policies = %+v", d)
		}
	case <-ctx.Done():
		t.Fatal("watcher applied nothing")
	}
}

// TestWatcher_followsStore runs the watcher on a real store: the first
// snapshot, then a change, a deletion and an invalidation, each applied in
// order and reported with its revision.
func TestWatcher_followsStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st := openStore(t)
	put := func(key string, v any) int64 { t.Helper(); return putJSON(ctx, t, st, key, v) }
	put(model.DistributionKey("E1"), distRecord("E1", "d1.example"))

	type applied struct {
		rev    int64
		invals []model.InvalidationRecord
		snap   *Snapshot
	}
	got := make(chan applied, 16)
	w := NewWatcher(st, func(_ context.Context, s *Snapshot, inv []model.InvalidationRecord) error {
		got <- applied{s.Revision, inv, s}
		return nil
	}, nil)
	go w.Run(ctx)
	next := func() applied {
		t.Helper()
		select {
		case a := <-got:
			return a
		case <-ctx.Done():
			t.Fatal("watcher applied nothing")
		}
		return applied{}
	}
	if a := next(); a.snap.Lookup("d1.example") == nil {
		t.Fatal("first snapshot lacks the stored distribution")
	}
	rev := put(model.DistributionKey("E2"), distRecord("E2", "d2.example", "cdn.example.org"))
	a := next()
	if a.rev != rev || a.snap.Lookup("cdn.example.org") == nil {
		t.Fatalf("after adding E2: revision %d (want %d), alias found %v", a.rev, rev, a.snap.Lookup("cdn.example.org") != nil)
	}
	rev, err := st.Update(ctx, func(tx store.Txn) error { return tx.Delete(model.DistributionKey("E1")) })
	if err != nil {
		t.Fatal(err)
	}
	if a = next(); a.rev != rev || a.snap.Lookup("d1.example") != nil {
		t.Fatalf("after deleting E1: revision %d (want %d), still served %v", a.rev, rev, a.snap.Lookup("d1.example") != nil)
	}
	rev = put(model.InvalidationKey("E2", "I1"), model.InvalidationRecord{ID: "I1", DistributionID: "E2", Paths: []string{"/*"}})
	if a = next(); a.rev != rev || len(a.invals) != 1 || a.invals[0].ID != "I1" {
		t.Fatalf("invalidation: revision %d (want %d), invalidations %+v", a.rev, rev, a.invals)
	}
	if w.Current().Revision != rev {
		t.Errorf("Current().Revision = %d, want %d", w.Current().Revision, rev)
	}
	// A public key reaches the snapshot's keys.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	rev = put(model.PublicKeyKey("K1"), model.PublicKeyRecord{ID: "K1", EncodedKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))})
	if a = next(); a.rev != rev || a.snap.Keys.ByID["K1"] == nil {
		t.Fatalf("public key: revision %d (want %d), key present %v", a.rev, rev, a.snap.Keys.ByID["K1"] != nil)
	}
}

// A behaviour naming a stored custom cache policy compiles with it; a
// change to the policy's record changes the next snapshot; a distribution
// naming a policy that is not there is left out.
func TestRecords_customPolicies(t *testing.T) {
	r := newRecords()
	log := slog.New(slog.DiscardHandler)
	rec := distRecord("E1", "d1.cloudfront.localhost")
	b := model.Sub(rec.Config, "DefaultCacheBehavior")
	delete(b, "ForwardedValues")
	b["CachePolicyId"] = "cp1"
	value, _ := json.Marshal(rec)
	r.apply(model.DistributionKey("E1"), value, false, log)
	if s := r.compile(1, log); s.Lookup("d1.cloudfront.localhost") != nil {
		t.Fatal("a distribution naming a missing policy compiled")
	}
	put := func(maxTTL int64) {
		v, _ := json.Marshal(model.CachePolicyRecord{ID: "cp1", Policy: model.CachePolicy{Name: "p", DefaultTTL: 60, MaxTTL: maxTTL}})
		if !r.apply(model.CachePolicyKey("cp1"), v, false, log) {
			t.Fatal("a cache policy record is not relevant to the snapshot")
		}
	}
	put(600)
	d := r.compile(2, log).Lookup("d1.cloudfront.localhost")
	if d == nil || d.Behaviors[0].Policy.MaxTTL != 600*time.Second {
		t.Fatalf("compiled with the custom policy: %+v", d)
	}
	put(900)
	if d := r.compile(3, log).Lookup("d1.cloudfront.localhost"); d == nil || d.Behaviors[0].Policy.MaxTTL != 900*time.Second {
		t.Errorf("the updated policy did not reach the snapshot")
	}
}

// TestSnapshot_ViewerTLS: each distribution's ViewerCertificate and
// HttpVersion compile into the TLS setup chosen by SNI (package tlsconfig).
func TestSnapshot_ViewerTLS(t *testing.T) {
	acm := distRecord("E1", "d1.cloudfront.localhost", "www.example.com", "*.img.example.com")
	acm.Config["HttpVersion"] = "http2and3"
	acm.Config["ViewerCertificate"] = model.Tree{"ACMCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x", "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"}
	def := distRecord("E2", "d2.cloudfront.localhost")
	def.Config["HttpVersion"] = "http1.1"
	def.Config["ViewerCertificate"] = model.Tree{"CloudFrontDefaultCertificate": "true", "MinimumProtocolVersion": "TLSv1.2_2021"}
	s := Compile(1, []*model.DistributionRecord{acm, def}, nil, nil)
	tests := []struct {
		sni, cert, policy string
		alpn              []string
		h3                bool
	}{
		{"www.example.com", "arn:aws:acm:us-east-1:123456789012:certificate/x", "TLSv1.2_2021", []string{"h2", "http/1.1"}, true},
		{"a.img.example.com", "arn:aws:acm:us-east-1:123456789012:certificate/x", "TLSv1.2_2021", []string{"h2", "http/1.1"}, true},
		{"d1.cloudfront.localhost", "", "TLSv1", []string{"h2", "http/1.1"}, true}, // its own name: the default certificate
		{"D2.cloudfront.localhost", "", "TLSv1", []string{"http/1.1"}, false},
	}
	for _, tt := range tests {
		v := s.ViewerTLS(tt.sni)
		if v == nil {
			t.Fatalf("%s: no viewer TLS", tt.sni)
		}
		if v.Certificate != tt.cert || v.Policy.Name != tt.policy || !slices.Equal(v.NextProtos, tt.alpn) || v.HTTP3 != tt.h3 {
			t.Errorf("%s: cert %q policy %s alpn %q h3 %v; want %q %s %q %v", tt.sni, v.Certificate, v.Policy.Name, v.NextProtos, v.HTTP3, tt.cert, tt.policy, tt.alpn, tt.h3)
		}
	}
	if s.ViewerTLS("nobody.example.org") != nil {
		t.Error("a name no distribution serves has viewer TLS")
	}
}

// TestSnapshot_LightsailTLSPolicy: a Lightsail distribution's
// viewerMinimumTlsProtocolVersion is its security policy, although it is
// served with the default certificate.
func TestSnapshot_LightsailTLSPolicy(t *testing.T) {
	for _, version := range []string{"TLSv1.1_2016", "TLSv1.2_2021", ""} {
		settings := model.LightsailSettings{Origin: model.LightsailOrigin{Name: "web", ProtocolPolicy: "http-only"}, DefaultBehavior: "cache",
			Cache: model.DefaultLightsailCacheSettings(), Enabled: true, ViewerMinimumTLSProtocolVersion: version}
		r := newRecords()
		r.ls["lsdist/web"] = &model.LightsailDistributionRecord{Name: "web", ID: "ELS1", DomainName: "ls1.cloudfront.localhost", Settings: settings,
			Config: model.LightsailDistributionConfig(&settings, model.LightsailOriginAddress{Host: "origin.example", HTTPPort: 80, HTTPSPort: 443}, "lightsail/web")}
		s := r.compile(1, slog.Default())
		v := s.ViewerTLS("ls1.cloudfront.localhost")
		want := version
		if want == "" {
			want = model.LightsailDefaultTLS
		}
		if v == nil || v.Policy.Name != want {
			t.Errorf("viewerMinimumTlsProtocolVersion %q: viewer TLS %+v, want policy %s", version, v, want)
		}
	}
}

// TestSnapshot_LightsailCertificate: a Lightsail certificateName is the
// distribution's certificate as CloudFront's ViewerCertificate names one
// (tlsconfig.LightsailCertificate), with viewerMinimumTlsProtocolVersion
// as its policy; the distribution's own domain name keeps the default
// certificate with the same policy.
func TestSnapshot_LightsailCertificate(t *testing.T) {
	settings := model.LightsailSettings{Origin: model.LightsailOrigin{Name: "web", ProtocolPolicy: "http-only"}, DefaultBehavior: "cache",
		Cache: model.DefaultLightsailCacheSettings(), Enabled: true, ViewerMinimumTLSProtocolVersion: "TLSv1.2_2019", CertificateName: "Blog_Cert-1"}
	r := newRecords()
	r.ls["lsdist/web"] = &model.LightsailDistributionRecord{Name: "web", ID: "ELS1", DomainName: "ls1.cloudfront.localhost", Settings: settings,
		Config: model.LightsailDistributionConfig(&settings, model.LightsailOriginAddress{Host: "origin.example", HTTPPort: 80, HTTPSPort: 443}, "lightsail/web")}
	s := r.compile(1, slog.Default())
	d := s.Distributions["ELS1"]
	if d == nil {
		t.Fatal("the Lightsail distribution did not compile")
	}
	if d.TLS.Certificate != tlsconfig.LightsailCertificate("Blog_Cert-1") || d.TLS.Policy.Name != "TLSv1.2_2019" {
		t.Errorf("named certificate: %q policy %s, want %q TLSv1.2_2019", d.TLS.Certificate, d.TLS.Policy.Name, tlsconfig.LightsailCertificate("Blog_Cert-1"))
	}
	if v := s.ViewerTLS("ls1.cloudfront.localhost"); v == nil || v.Certificate != "" || v.Policy.Name != "TLSv1.2_2019" {
		t.Errorf("own domain name: %+v, want the default certificate with TLSv1.2_2019", v)
	}

	// The certificate's domains (the derived config's Aliases, set by the
	// control plane) are served by the distribution, with its certificate.
	cfg := model.Clone(r.ls["lsdist/web"].Config)
	cfg["Aliases"] = model.Wrapper([]string{"blog.example.com", "*.shop.example.com"})
	r.ls["lsdist/web"].Config = cfg
	s = r.compile(2, slog.Default())
	for _, host := range []string{"blog.example.com", "BLOG.example.com.", "a.shop.example.com"} {
		if d := s.Lookup(host); d == nil || d.ID != "ELS1" {
			t.Errorf("%s: served by %v, want the Lightsail distribution", host, d)
		}
		if v := s.ViewerTLS(host); v == nil || v.Certificate != tlsconfig.LightsailCertificate("Blog_Cert-1") {
			t.Errorf("%s: viewer TLS %+v, want the named certificate", host, v)
		}
	}
	if d := s.Lookup("example.com"); d != nil {
		t.Errorf("example.com served by %s", d.ID)
	}
}

// unansweringStore fails its first views as a store that does not answer
// (etcd down or too slow).
type unansweringStore struct {
	store.Store
	failures atomic.Int32 // views still to fail
}

func (s *unansweringStore) View(ctx context.Context, fn func(store.ReadTxn) error) error {
	if s.failures.Add(-1) >= 0 {
		return fmt.Errorf("%w: etcd did not answer within 3s", store.ErrUnavailable)
	}
	return s.Store.View(ctx, fn)
}

// TestWatcher_retriesAStoreThatDoesNotAnswer: a load the store does not
// answer is asked again (the process does not exit, the edge keeps what
// it has); other errors still end Run.
func TestWatcher_retriesAStoreThatDoesNotAnswer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st := &unansweringStore{Store: openStore(t)}
	st.failures.Store(2)
	value, _ := json.Marshal(distRecord("E1", "d1.example"))
	if _, err := st.Update(ctx, func(tx store.Txn) error { return tx.Put(model.DistributionKey("E1"), value) }); err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(st, func(context.Context, *Snapshot, []model.InvalidationRecord) error { return nil }, slog.New(slog.DiscardHandler))
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case <-w.Ready():
		if w.Current().Lookup("d1.example") == nil {
			t.Error("the first snapshot after the store answered lacks the distribution")
		}
	case err := <-done:
		t.Fatalf("Run ended while the store did not answer: %v", err)
	case <-ctx.Done():
		t.Fatal("no snapshot after the store answered")
	}
	if n := st.failures.Load(); n >= 0 {
		t.Errorf("the store was asked %d times too few", n+1)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) && err != nil {
		t.Errorf("Run ended with %v", err)
	}
}

// TestSnapshot_LightsailOriginResolvedByEdge: a Lightsail distribution's
// origin is where this edge's --lightsail-origin map sends the origin name
// the user gave, whatever address the stored derived config holds: the
// unresolved name (records written now) or a host another map resolved it
// to (records written before the edge resolved names). A restart with a
// new map so moves existing distributions (README, --lightsail-origin).
func TestSnapshot_LightsailOriginResolvedByEdge(t *testing.T) {
	settings := model.LightsailSettings{Origin: model.LightsailOrigin{Name: "web", ProtocolPolicy: "http-only"}, DefaultBehavior: "cache",
		Cache: model.DefaultLightsailCacheSettings(), Enabled: true}
	stored := map[string]model.LightsailOriginAddress{
		"unresolved name":         model.ResolveLightsailOrigin("web", nil),
		"host of an old map":      {Host: "127.0.0.1", HTTPPort: 8001, HTTPSPort: 8001},
		"old map's IPv6 and port": {Host: "::1", HTTPPort: 9001, HTTPSPort: 9001},
	}
	cases := []struct {
		name      string
		origins   map[string]string
		host      string
		http, tls int
	}{
		{name: "mapped with a port", origins: map[string]string{"web": "127.0.0.1:9002"}, host: "127.0.0.1", http: 9002, tls: 9002},
		{name: "mapped to a host", origins: map[string]string{"web": "origin.internal"}, host: "origin.internal", http: 80, tls: 443},
		{name: "mapped to IPv6", origins: map[string]string{"web": "[::1]:9003"}, host: "::1", http: 9003, tls: 9003},
		{name: "unmapped: the name is the host", origins: map[string]string{"other": "127.0.0.1:1"}, host: "web", http: 80, tls: 443},
		{name: "no map", origins: nil, host: "web", http: 80, tls: 443},
	}
	for storedAs, addr := range stored {
		for _, tc := range cases {
			t.Run(storedAs+"/"+tc.name, func(t *testing.T) {
				r := newRecords()
				r.lightsailOrigins = tc.origins
				cfg := model.LightsailDistributionConfig(&settings, addr, "lightsail/web")
				r.ls["lsdist/web"] = &model.LightsailDistributionRecord{Name: "web", ID: "ELS1", DomainName: "ls1.cloudfront.localhost", Settings: settings, Config: cfg}
				d := r.compile(1, slog.Default()).Lookup("ls1.cloudfront.localhost")
				if d == nil {
					t.Fatal("the Lightsail distribution did not compile")
				}
				o := d.Behaviors[len(d.Behaviors)-1].Origins[0]
				if o.DomainName != tc.host || o.Custom == nil || o.Custom.HTTPPort != tc.http || o.Custom.HTTPSPort != tc.tls {
					t.Errorf("origin %s %+v; want %s http %d https %d", o.DomainName, o.Custom, tc.host, tc.http, tc.tls)
				}
				if got := model.StrOr(model.Items(r.ls["lsdist/web"].Config, "Origins")[0].(model.Tree), "", "DomainName"); got != addr.Host {
					t.Errorf("the stored record was changed: origin %q, want %q", got, addr.Host)
				}
			})
		}
	}
}
