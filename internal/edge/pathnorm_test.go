package edge

import (
	"bufio"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"openfront/internal/model"
	"openfront/internal/signedurl"
)

// Issue #12: every access decision is taken on the normalised path
// (internal/urlpath), on both request paths. These tests speak raw
// HTTP/1.1 on sockets, because HTTP clients clean dot segments themselves.

// normalisingOrigin is an origin that resolves paths as nginx does:
// percent-decoded (%2F included), runs of "/" merged, dot segments removed.
// It serves a secret at /private/secret.txt and at /secret.txt, and
// records the request-targets it receives.
type normalisingOrigin struct {
	*testOrigin
	mu      sync.Mutex
	targets []string
}

func newNormalisingOrigin(t *testing.T) *normalisingOrigin {
	no := &normalisingOrigin{}
	no.testOrigin = newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		no.mu.Lock()
		no.targets = append(no.targets, r.RequestURI)
		no.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Cache-Control", "max-age=600")
		switch resolved := path.Clean("/" + r.URL.Path); resolved {
		case "/private/secret.txt", "/secret.txt":
			io.WriteString(w, "TOP SECRET "+resolved)
		default:
			io.WriteString(w, "public "+resolved)
		}
	})
	return no
}

func (no *normalisingOrigin) received() []string {
	no.mu.Lock()
	defer no.mu.Unlock()
	return append([]string(nil), no.targets...)
}

// signer signs canned and custom policies with one RSA key trusted as
// KTESTKEY by every signed behaviour of f.
type signer struct {
	t   *testing.T
	key *rsa.PrivateKey
	exp int64
}

func newSigner(t *testing.T, f *fastFronts) *signer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, beh := range f.te.Snapshot().Distributions["E1TEST"].Behaviors {
		if beh.Signed {
			beh.TrustedKeys = map[string]crypto.PublicKey{"KTESTKEY": &key.PublicKey}
		}
	}
	return &signer{t: t, key: key, exp: time.Now().Add(time.Hour).Unix()}
}

func (s *signer) sign(policy []byte) string {
	sum := sha1.Sum(policy)
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA1, sum[:])
	if err != nil {
		s.t.Fatal(err)
	}
	return cfBase64(sig)
}

func cfBase64(b []byte) string {
	return strings.NewReplacer("+", "-", "=", "_", "/", "~").Replace(base64.StdEncoding.EncodeToString(b))
}

// canned returns target with a canned-policy signed URL for the URL
// http://testHost+target.
func (s *signer) canned(target string) string {
	exp := strconv.FormatInt(s.exp, 10)
	return target + "?Expires=" + exp + "&Signature=" + s.sign(signedurl.CannedPolicy("http://"+testHost+target, s.exp)) + "&Key-Pair-Id=KTESTKEY"
}

// customPolicy returns a custom policy for resource, and its signature.
func (s *signer) customPolicy(resource string) (policy, signature string) {
	p := []byte(fmt.Sprintf(`{"Statement":[{"Resource":%q,"Condition":{"DateLessThan":{"AWS:EpochTime":%d}}}]}`, resource, s.exp))
	return cfBase64(p), s.sign(p)
}

// custom returns target with a custom-policy signed URL for resource.
func (s *signer) custom(target, resource string) string {
	p, sig := s.customPolicy(resource)
	return target + "?Policy=" + p + "&Signature=" + sig + "&Key-Pair-Id=KTESTKEY"
}

// customCookies returns the signed cookies of a custom policy for resource.
func (s *signer) customCookies(resource string) string {
	p, sig := s.customPolicy(resource)
	return "Cookie: CloudFront-Policy=" + p + "; CloudFront-Signature=" + sig + "; CloudFront-Key-Pair-Id=KTESTKEY\r\n"
}

func rawGet(target string, extra ...string) string {
	return "GET " + target + " HTTP/1.1\r\nHost: " + testHost + "\r\n" + strings.Join(extra, "") + "\r\n"
}

// both sends raw to the net/http front and to the fast-path front and
// checks the status each answers and that no secret leaks on a refusal.
func (f *fastFronts) both(t *testing.T, name, raw string, status int) {
	t.Helper()
	for _, front := range []struct{ name, addr string }{{"net/http", f.slow}, {"fast path", f.fast}} {
		resp := roundTrip(t, front.addr, raw)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != status {
			t.Errorf("%s via %s: status %d (%q), want %d", name, front.name, resp.StatusCode, body, status)
		}
		if status >= 400 && strings.Contains(string(body), "TOP SECRET") {
			t.Errorf("%s via %s: the secret leaked: %q", name, front.name, body)
		}
		f.settle(t)
	}
}

// The spellings of issue #12 reach /private/secret.txt at a normalising
// origin; none gets past the signed-only behaviour /private/*.
func TestPathNormalization_signedBehaviourNotBypassed(t *testing.T) {
	o := newNormalisingOrigin(t)
	f := newFastFronts(t, distConfig(o.testOrigin, func(c model.Tree) {
		private := model.Clone(model.Sub(c, "DefaultCacheBehavior"))
		private["PathPattern"] = "/private/*"
		private["TrustedKeyGroups"] = model.Tree{"Enabled": "true", "Quantity": "1", "Items": []any{"kg"}}
		c["CacheBehaviors"] = model.Wrapper([]model.Tree{private})
	}))
	s := newSigner(t, f)
	for _, target := range []string{
		"/private/secret.txt",
		"/public/../private/secret.txt",
		"/public/%2e%2e/private/secret.txt",
		"/public/%2E%2E/private/secret.txt",
		"/public/.%2e/private/secret.txt",
		"/./private/secret.txt",
		"/private/./secret.txt",
		"//private/secret.txt",
		"/private//secret.txt",
		"/%70rivate/secret.txt",
		"/%70%72%69%76%61%74%65/secret.txt",
		"/private%2Fsecret.txt",
		"/private%2fsecret.txt",
		"/public/..%2Fprivate/secret.txt",
		"/public%2F..%2Fprivate%2Fsecret.txt",
		"/private%5Csecret.txt",
		`/private\secret.txt`,
		"/priv%61te/secret.txt",
		"/private/secret.txt/.",
		"/../private/secret.txt",
		"/private//../private/secret.txt",
	} {
		f.both(t, "unsigned "+target, rawGet(target), http.StatusForbidden)
	}
	// A signed URL still works, and a cached object is still a fast-path
	// hit; a spelling that needs normalising is served by ServeHTTP.
	f.both(t, "signed", rawGet(s.canned("/private/secret.txt")), http.StatusOK)
	before := f.fs.Stats()
	f.both(t, "signed, normal", rawGet(s.canned("/private/secret.txt")), http.StatusOK)
	if got := routeOf(before, f.fs.Stats()); got != answered {
		t.Errorf("signed hit on a normal path: %s, want %s", got, answered)
	}
	// A canned policy signed for the normalised URL covers its spellings,
	// and one signed for the exact URL received still verifies.
	f.both(t, "signed for the normal form", rawGet("/private/./secret.txt"+strings.TrimPrefix(s.canned("/private/secret.txt"), "/private/secret.txt")), http.StatusOK)
	f.both(t, "signed as received", rawGet(s.canned("/private//secret.txt")), http.StatusOK)
	// The public side is unaffected.
	f.both(t, "public", rawGet("/public/x"), http.StatusOK)
	f.both(t, "public via dots", rawGet("/private/../public/x"), http.StatusOK)
}

// A custom policy for /ok/* admits nothing outside /ok/, however spelled,
// in signed URLs and signed cookies.
func TestPathNormalization_customPolicyResource(t *testing.T) {
	o := newNormalisingOrigin(t)
	f := newFastFronts(t, distConfig(o.testOrigin, func(c model.Tree) {
		model.Sub(c, "DefaultCacheBehavior")["TrustedKeyGroups"] = model.Tree{"Enabled": "true", "Quantity": "1", "Items": []any{"kg"}}
	}))
	s := newSigner(t, f)
	resource := "http://" + testHost + "/ok/*"
	tests := []struct {
		target string
		status int
	}{
		{"/ok/file", http.StatusOK},
		{"/ok/sub/../file", http.StatusOK},
		{"/ok/../secret.txt", http.StatusForbidden},
		{"/ok/%2e%2e/secret.txt", http.StatusForbidden},
		{"/ok/..%2Fsecret.txt", http.StatusForbidden},
		{"/ok%2F..%2Fsecret.txt", http.StatusForbidden},
		{"/ok/./../secret.txt", http.StatusForbidden},
		{"/ok/sub/../../secret.txt", http.StatusForbidden},
		{"/ok//../secret.txt", http.StatusOK}, // canonical /ok/secret.txt: inside /ok/
	}
	for _, tc := range tests {
		f.both(t, "signed URL "+tc.target, rawGet(s.custom(tc.target, resource)), tc.status)
		f.both(t, "signed cookies "+tc.target, rawGet(tc.target, s.customCookies(resource)), tc.status)
	}
}

// The cache key, the origin request and invalidations use the normalised
// path: spellings of one path share one cached object, the origin is asked
// for the canonical path, and an invalidation purges every spelling.
func TestPathNormalization_cacheKeyOriginAndInvalidation(t *testing.T) {
	o := newNormalisingOrigin(t)
	f := newFastFronts(t, distConfig(o.testOrigin, nil))
	xcache := func(front, target string) string {
		t.Helper()
		resp := roundTrip(t, front, rawGet(target))
		f.settle(t)
		return resp.Header.Get("X-Cache")
	}
	if got := xcache(f.slow, "/x/../a/./b"); got != "Miss from cloudfront" {
		t.Fatalf("first request: X-Cache %q", got)
	}
	for _, spelling := range []string{"/a/b", "/a/%62", "/%61/b", "/a/c/../b"} {
		for _, front := range []string{f.slow, f.fast} {
			if got := xcache(front, spelling); got != "Hit from cloudfront" {
				t.Errorf("%s: X-Cache %q, want a hit of the object cached for /x/../a/./b", spelling, got)
			}
		}
	}
	// %2F and // are kept for the origin, so they are other objects.
	for _, other := range []string{"/a%2Fb", "/a//b"} {
		if got := xcache(f.slow, other); got != "Miss from cloudfront" {
			t.Errorf("%s: X-Cache %q, want a miss (another object)", other, got)
		}
	}
	if got, want := strings.Join(o.received(), " "), "/a/b /a%2Fb /a//b"; got != want {
		t.Errorf("origin received %q, want the canonical paths %q", got, want)
	}
	// Invalidation paths are normalised too, and matched on the access
	// form: /a/./%62 purges /a/b and the objects spelled /a%2Fb and /a//b.
	f.te.Apply(f.te.Snapshot(), []model.InvalidationRecord{{ID: "I1", DistributionID: "E1TEST", Paths: []string{"/a/./%62"}}})
	for _, p := range []string{"/a/b", "/a%2Fb", "/a//b"} {
		if got := xcache(f.slow, p); got != "Miss from cloudfront" {
			t.Errorf("%s after invalidating /a/./%%62: X-Cache %q, want a miss", p, got)
		}
	}
	f.te.Apply(f.te.Snapshot(), []model.InvalidationRecord{{ID: "I2", DistributionID: "E1TEST", Paths: []string{"/x/../a/*"}}})
	if got := xcache(f.slow, "/a/b"); got != "Miss from cloudfront" {
		t.Errorf("/a/b after invalidating /x/../a/*: X-Cache %q, want a miss", got)
	}
}

// Paths that cannot be normalised safely are refused with 400 on both
// request paths.
func TestPathNormalization_refused(t *testing.T) {
	o := newNormalisingOrigin(t)
	f := newFastFronts(t, distConfig(o.testOrigin, nil))
	for _, target := range []string{"/private/secret.txt%00.jpg", "/a%00"} {
		f.both(t, target, rawGet(target), http.StatusBadRequest)
	}
	if got := o.received(); len(got) != 0 {
		t.Errorf("origin received %q, want nothing", got)
	}
}

// The net/http path over TLS, HTTP/1.1 on a raw socket and HTTP/2 through
// Go's client (which, unlike curl, sends dot segments as given).
func TestPathNormalization_https(t *testing.T) {
	o := newNormalisingOrigin(t)
	te := newTestEdge(t, distConfig(o.testOrigin, func(c model.Tree) {
		private := model.Clone(model.Sub(c, "DefaultCacheBehavior"))
		private["PathPattern"] = "/private/*"
		private["TrustedKeyGroups"] = model.Tree{"Enabled": "true", "Quantity": "1", "Items": []any{"kg"}}
		c["CacheBehaviors"] = model.Wrapper([]model.Tree{private})
	}))
	srv := httptest.NewUnstartedServer(te.Server)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	targets := []string{"/public/../private/secret.txt", "/public/%2e%2e/private/secret.txt", "//private/secret.txt", "/%70rivate/secret.txt", "/private%2Fsecret.txt"}
	for _, target := range targets {
		c, err := tls.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, rawGet(target))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		c.Close()
		if resp.StatusCode != http.StatusForbidden || strings.Contains(string(body), "TOP SECRET") {
			t.Errorf("HTTPS HTTP/1.1 %s: %d %q, want 403", target, resp.StatusCode, body)
		}

		u, err := url.Parse(srv.URL + target)
		if err != nil {
			t.Fatal(err)
		}
		req := &http.Request{Method: "GET", URL: u, Host: testHost, Header: http.Header{}}
		resp, err = srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 || resp.StatusCode != http.StatusForbidden || strings.Contains(string(body), "TOP SECRET") {
			t.Errorf("HTTP/%d %s: %d %q, want HTTP/2 403", resp.ProtoMajor, target, resp.StatusCode, body)
		}
	}
}
