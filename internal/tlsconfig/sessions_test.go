package tlsconfig

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// oneSessionCache is a client session cache holding one session whatever
// the server name, so that a client offers the session it got from one
// name to another (crypto/tls's own LRU cache keys sessions by name, as
// browsers do; openssl s_client -sess_in does not).
type oneSessionCache struct {
	mu sync.Mutex
	cs *tls.ClientSessionState
}

func (c *oneSessionCache) Get(string) (*tls.ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cs, c.cs != nil
}

func (c *oneSessionCache) Put(_ string, cs *tls.ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs != nil {
		c.cs = cs
	}
}

// handshakeRead dials addr, completes the handshake and reads until the
// server closes, so that TLS 1.3 session tickets reach the cache.
func handshakeRead(addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != nil && !errors.Is(err, io.EOF) {
		return tls.ConnectionState{}, err
	}
	return c.ConnectionState(), nil
}

// TestSelector_sessionResumption: a session resumes only under the SNI
// name and the certificate it was made with (RFC 6066, section 3: "the
// server MUST NOT accept the request to resume the session if the
// server_name extension contains a different name"), over TLS 1.3 and
// TLS 1.2 alike.
func TestSelector_sessionResumption(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	clock := now
	f.store.now = func() time.Time { return clock }
	const otherARN = "arn:aws:acm:us-east-1:123456789012:certificate/other"
	aPEM, aKey, _ := newCert(t, false, now.Add(-time.Hour), now.Add(time.Hour), "a.example.test", "b.example.test")
	cPEM, cKey, _ := newCert(t, false, now.Add(-time.Hour), now.Add(time.Hour), "c.example.test")
	writeCert(t, f.store, testARN, aPEM, aKey)
	writeCert(t, f.store, otherARN, cPEM, cKey)
	ab := NewViewer(testARN, "TLSv1.2_2021", "http2") // one distribution, two aliases
	f.viewers["a.example.test"], f.viewers["b.example.test"] = ab, ab
	f.viewers["c.example.test"] = NewViewer(otherARN, "TLSv1.2_2021", "http2")
	f.viewers["d1.cloudfront.test"] = NewViewer("", "TLSv1", "http2")
	f.viewers["d2.cloudfront.test"] = NewViewer("", "TLSv1", "http2")
	addr := serve(t, f.sel.TCP())

	tests := []struct {
		name          string
		first, second string // SNI names ("" none)
		renew         bool   // the first name's certificate file is replaced in between
		rebuild       bool   // a new snapshot compiles the Viewers again in between
		resumed       bool
	}{
		{"same name", "a.example.test", "a.example.test", false, false, true},
		{"another distribution", "c.example.test", "a.example.test", false, false, false},
		{"another alias of the distribution", "a.example.test", "b.example.test", false, false, false},
		{"two distributions with the default certificate", "d1.cloudfront.test", "d2.cloudfront.test", false, false, false},
		{"no SNI, then a name", "", "d1.cloudfront.test", false, false, false},
		{"a name, then no SNI", "d1.cloudfront.test", "", false, false, false},
		{"no SNI twice", "", "", false, false, true},
		{"renewed certificate", "a.example.test", "a.example.test", true, false, false},
		{"same name, new snapshot", "a.example.test", "a.example.test", false, true, true},
	}
	for _, version := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		for _, tt := range tests {
			t.Run(tls.VersionName(version)+"/"+tt.name, func(t *testing.T) {
				cache := &oneSessionCache{}
				cfg := func(name string) *tls.Config {
					return &tls.Config{ServerName: name, InsecureSkipVerify: true, ClientSessionCache: cache, MaxVersion: version,
						CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}
				}
				st, err := handshakeRead(addr, cfg(tt.first))
				if err != nil || st.DidResume || cache.cs == nil {
					t.Fatalf("first handshake: %v, resumed %v, ticket %v", err, st.DidResume, cache.cs != nil)
				}
				first := leafOf(st).Raw
				if tt.rebuild {
					ab := NewViewer(testARN, "TLSv1.2_2021", "http2")
					f.viewers["a.example.test"], f.viewers["b.example.test"] = ab, ab
				}
				if tt.renew {
					pem, key, _ := newCert(t, false, now.Add(-time.Hour), now.Add(time.Hour), "a.example.test", "b.example.test")
					writeCert(t, f.store, testARN, pem, key)
					clock = clock.Add(2 * recheckEvery)
				}
				st, err = handshakeRead(addr, cfg(tt.second))
				if err != nil {
					t.Fatalf("second handshake: %v", err)
				}
				if st.DidResume != tt.resumed {
					t.Errorf("resumed %v, want %v", st.DidResume, tt.resumed)
				}
				// Whatever happened, the certificate is the second name's.
				want, err := f.sel.ConfigFor(tt.second, false)
				if err != nil {
					t.Fatal(err)
				}
				if got := leafOf(st).Raw; string(got) != string(want.Certificates[0].Certificate[0]) {
					t.Errorf("certificate %q (first handshake's: %v), want the second name's", leafOf(st).DNSNames, string(got) == string(first))
				}
			})
		}
	}
}
