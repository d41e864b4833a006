package edge

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"openfront/internal/cache"
	"openfront/internal/cache/memory"
	"openfront/internal/model"
	"openfront/internal/origin"
	"openfront/internal/snapshot"
)

const testHost = "d111111abcdef8.cloudfront.localhost"

// testOrigin is a loopback origin that counts requests per path and
// answers with whatever handle says.
type testOrigin struct {
	*httptest.Server
	mu     sync.Mutex
	hits   map[string]int
	last   http.Header
	handle func(w http.ResponseWriter, r *http.Request)
}

func newTestOrigin(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *testOrigin {
	o := &testOrigin{hits: map[string]int{}, handle: handle}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.hits[r.URL.Path]++
		o.last = r.Header.Clone()
		o.last.Set("Host", r.Host)
		o.mu.Unlock()
		o.handle(w, r)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *testOrigin) count(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hits[path]
}

func (o *testOrigin) lastHeader() http.Header {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last
}

func (o *testOrigin) port() string {
	_, p, _ := net.SplitHostPort(o.Listener.Addr().String())
	return p
}

// distConfig is a DistributionConfig tree with one custom origin pointing
// at o; edit applies per-test changes.
func distConfig(o *testOrigin, edit func(cfg model.Tree)) model.Tree {
	cfg := model.Tree{
		"CallerReference": "ref", "Comment": "", "Enabled": "true",
		"Aliases": model.Wrapper([]string{"www.example.com", "*.wild.example.com"}),
		"Origins": model.Wrapper([]model.Tree{{
			"Id": "o1", "DomainName": "127.0.0.1",
			"CustomOriginConfig": model.Tree{"HTTPPort": o.port(), "HTTPSPort": "443", "OriginProtocolPolicy": "http-only"},
		}}),
		"DefaultCacheBehavior": model.Tree{
			"TargetOriginId": "o1", "ViewerProtocolPolicy": "allow-all", "MinTTL": "0",
			"ForwardedValues": model.Tree{"QueryString": "false", "Cookies": model.Tree{"Forward": "none"}},
		},
	}
	if edit != nil {
		edit(cfg)
	}
	return cfg
}

type testEdge struct {
	*Server
	cache *cache.Cache
	now   atomic.Pointer[time.Time]
}

func newTestEdge(t *testing.T, cfg model.Tree) *testEdge {
	t.Helper()
	if _, err := model.ParseDistributionConfig(cfg); err != nil {
		t.Fatalf("test config does not parse: %v", err)
	}
	te := &testEdge{}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	te.now.Store(&start)
	clock := func() time.Time { return *te.now.Load() }
	mem, err := memory.New(64 << 20)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(cache.Config{Memory: mem, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	te.cache = c
	te.Server = New(Options{Cache: c, Origin: origin.New(origin.S3{}), Now: clock, HTTPSPort: 8443})
	snap := snapshot.Compile(1, []*model.DistributionRecord{{ID: "E1TEST", DomainName: testHost, Config: cfg}}, nil, nil)
	if snap.Lookup(testHost) == nil {
		t.Fatal("distribution did not compile into the snapshot")
	}
	te.Apply(snap, nil)
	return te
}

func (te *testEdge) advance(d time.Duration) {
	n := te.now.Load().Add(d)
	te.now.Store(&n)
}

func (te *testEdge) get(t *testing.T, path string, h http.Header) *httptest.ResponseRecorder {
	t.Helper()
	return te.do(t, http.MethodGet, testHost, path, h, nil)
}

func (te *testEdge) do(t *testing.T, method, host, path string, h http.Header, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, "http://"+host+path, body)
	for k, vs := range h {
		r.Header[k] = vs
	}
	w := httptest.NewRecorder()
	te.ServeHTTP(w, r)
	te.settle()
	return w
}

// settle waits (briefly) for fills the last request started to be stored:
// the viewer's response can end before the fill commits, and the next
// request of a test expects to find the object.
func (te *testEdge) settle() {
	for deadline := time.Now().Add(2 * time.Second); te.cache.Stats().InFlight > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}

func okHandler(cacheControl string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		if cacheControl != "" {
			w.Header().Set("Cache-Control", cacheControl)
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "body of %s", r.URL.Path)
	}
}

func TestServer_routing(t *testing.T) {
	o := newTestOrigin(t, okHandler(""))
	te := newTestEdge(t, distConfig(o, nil))
	tests := []struct {
		host string
		want int
	}{
		{testHost, 200},
		{strings.ToUpper(testHost) + ":8080", 200},
		{"www.example.com", 200},
		{"a.wild.example.com", 200},
		{"a.b.wild.example.com", 200}, // wildcards match at any depth
		{"wild.example.com", 403},     // but not the apex
		{"unknown.example.com", 403},
	}
	for _, tc := range tests {
		w := te.do(t, "GET", tc.host, "/x", nil, nil)
		if w.Code != tc.want {
			t.Errorf("Host %s: status %d, want %d", tc.host, w.Code, tc.want)
		}
		if tc.want == 403 && w.Header().Get("X-Cache") != "Error from cloudfront" {
			t.Errorf("Host %s: X-Cache %q, want Error from cloudfront", tc.host, w.Header().Get("X-Cache"))
		}
	}
	disabled := newTestEdge(t, distConfig(o, func(c model.Tree) { c["Enabled"] = "false" }))
	if w := disabled.get(t, "/x", nil); w.Code != 403 {
		t.Errorf("disabled distribution: status %d, want 403", w.Code)
	}
}

func TestServer_behaviorsAndOriginPath(t *testing.T) {
	o := newTestOrigin(t, okHandler(""))
	te := newTestEdge(t, distConfig(o, func(c model.Tree) {
		c["DefaultRootObject"] = "index.html"
		origins := model.StructItems(c, "Origins")
		second := model.Clone(origins[0])
		second["Id"], second["OriginPath"] = "o2", "/v2"
		c["Origins"] = model.Wrapper([]model.Tree{origins[0], second})
		b := model.Clone(model.Sub(c, "DefaultCacheBehavior"))
		b["PathPattern"], b["TargetOriginId"] = "/api/*.json", "o2"
		c["CacheBehaviors"] = model.Wrapper([]model.Tree{b})
	}))
	tests := []struct{ path, originPath string }{
		{"/", "/index.html"},
		{"/install/", "/install/"}, // the root object applies to / only
		{"/api/a/b.json", "/v2/api/a/b.json"},
		{"/api/a/b.JSON", "/api/a/b.JSON"}, // patterns are case-sensitive
	}
	for _, tc := range tests {
		w := te.get(t, tc.path, nil)
		if got := w.Body.String(); got != "body of "+tc.originPath {
			t.Errorf("GET %s reached %q, want origin path %s", tc.path, got, tc.originPath)
		}
	}
}

func TestServer_hitMissAndHeaders(t *testing.T) {
	o := newTestOrigin(t, okHandler(""))
	te := newTestEdge(t, distConfig(o, nil))
	w := te.get(t, "/a.txt", http.Header{"User-Agent": {"curl"}, "Accept-Language": {"fr"}, "X-Custom": {"1"}})
	if w.Code != 200 || w.Header().Get("X-Cache") != "Miss from cloudfront" {
		t.Fatalf("first request: %d %q, want 200 Miss", w.Code, w.Header().Get("X-Cache"))
	}
	if w.Header().Get("Age") != "" {
		t.Error("a miss carries no Age")
	}
	seen := o.lastHeader()
	for name, want := range map[string]string{"User-Agent": "Amazon CloudFront", "Accept-Language": "", "X-Custom": "1", "Host": "127.0.0.1", "X-Forwarded-For": "192.0.2.1"} {
		if got := seen.Get(name); got != want {
			t.Errorf("origin saw %s: %q, want %q", name, got, want)
		}
	}
	if !strings.HasSuffix(seen.Get("Via"), ".cloudfront.net (CloudFront)") || seen.Get("X-Amz-Cf-Id") != w.Header().Get("X-Amz-Cf-Id") {
		t.Errorf("origin Via %q / X-Amz-Cf-Id %q do not match the edge's", seen.Get("Via"), seen.Get("X-Amz-Cf-Id"))
	}
	te.advance(3 * time.Second)
	w = te.get(t, "/a.txt", nil)
	if w.Header().Get("X-Cache") != "Hit from cloudfront" || w.Header().Get("Age") != "3" {
		t.Errorf("second request: X-Cache %q Age %q, want Hit and 3", w.Header().Get("X-Cache"), w.Header().Get("Age"))
	}
	if id := w.Header().Get("X-Amz-Cf-Id"); len(id) != 56 || !strings.HasSuffix(id, "==") {
		t.Errorf("X-Amz-Cf-Id %q is not CloudFront's 56-character form", id)
	}
	if w.Header().Get("X-Amz-Cf-Pop") == "" || !strings.HasPrefix(w.Header().Get("Via"), "1.1 ") {
		t.Errorf("missing X-Amz-Cf-Pop or Via: %v", w.Header())
	}
	if n := o.count("/a.txt"); n != 1 {
		t.Errorf("origin fetched %d times, want 1", n)
	}
}

func TestServer_ttlAndRevalidation(t *testing.T) {
	etag := `"v1"`
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "max-age=10")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "payload")
	})
	te := newTestEdge(t, distConfig(o, nil))
	te.get(t, "/r", nil)
	te.advance(11 * time.Second)
	w := te.get(t, "/r", nil)
	if w.Header().Get("X-Cache") != "RefreshHit from cloudfront" || w.Body.String() != "payload" {
		t.Fatalf("after expiry: %q %q, want RefreshHit with the stored body", w.Header().Get("X-Cache"), w.Body.String())
	}
	if o.lastHeader().Get("If-None-Match") != etag {
		t.Errorf("revalidation sent If-None-Match %q, want %s", o.lastHeader().Get("If-None-Match"), etag)
	}
	w = te.get(t, "/r", nil)
	if w.Header().Get("X-Cache") != "Hit from cloudfront" {
		t.Errorf("after a 304 the object is fresh again: X-Cache %q", w.Header().Get("X-Cache"))
	}
	if n := o.count("/r"); n != 2 {
		t.Errorf("origin asked %d times, want 2 (fill, revalidation)", n)
	}
	// A viewer's own validator is answered by the edge.
	w = te.get(t, "/r", http.Header{"If-None-Match": {etag}})
	if w.Code != http.StatusNotModified {
		t.Errorf("conditional GET: %d, want 304", w.Code)
	}
}

func TestServer_noStoreNotCachedWithMinTTL0(t *testing.T) {
	o := newTestOrigin(t, okHandler("no-store"))
	te := newTestEdge(t, distConfig(o, nil))
	te.get(t, "/p", nil)
	if w := te.get(t, "/p", nil); w.Header().Get("X-Cache") != "Miss from cloudfront" {
		t.Errorf("no-store with MinTTL 0: X-Cache %q, want Miss", w.Header().Get("X-Cache"))
	}
	if n := o.count("/p"); n != 2 {
		t.Errorf("origin asked %d times, want 2", n)
	}
}

func TestServer_staleOnOriginError(t *testing.T) {
	var failing atomic.Bool
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Cache-Control", "max-age=5")
		io.WriteString(w, "good")
	})
	te := newTestEdge(t, distConfig(o, nil))
	te.get(t, "/s", nil)
	te.advance(6 * time.Second)
	failing.Store(true)
	w := te.get(t, "/s", nil)
	if w.Code != 200 || w.Body.String() != "good" {
		t.Fatalf("expired object, origin 503: %d %q, want the stale copy", w.Code, w.Body.String())
	}
	// The 503 is itself a cached error... but the stale copy wins for 10 s.
	w = te.get(t, "/s", nil)
	if w.Code != 200 {
		t.Errorf("within ErrorCachingMinTTL the stale copy keeps being served: %d", w.Code)
	}
}

func TestServer_originErrors(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(1500 * time.Millisecond)
		}
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "nope")
	})
	te := newTestEdge(t, distConfig(o, func(c model.Tree) {
		origins := model.StructItems(c, "Origins")
		model.Sub(origins[0], "CustomOriginConfig")["OriginReadTimeout"] = "1"
		origins[0]["ConnectionAttempts"] = "1"
	}))
	w := te.get(t, "/missing", nil)
	if w.Code != 404 || w.Header().Get("X-Cache") != "Error from cloudfront" {
		t.Errorf("origin 404: %d %q, want 404 Error from cloudfront", w.Code, w.Header().Get("X-Cache"))
	}
	te.get(t, "/missing", nil)
	if n := o.count("/missing"); n != 1 {
		t.Errorf("a 404 is cached for ErrorCachingMinTTL: origin asked %d times", n)
	}
	if w := te.get(t, "/slow", nil); w.Code != http.StatusGatewayTimeout {
		t.Errorf("origin slower than its read timeout: %d, want 504", w.Code)
	}
	down := newTestOrigin(t, okHandler(""))
	down.Close()
	te2 := newTestEdge(t, distConfig(down, nil))
	if w := te2.get(t, "/x", nil); w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), "The request could not be satisfied") {
		t.Errorf("origin down: %d, want 502 with CloudFront's error page", w.Code)
	}
}

func TestServer_customErrorPage(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/errors/404.html" {
			io.WriteString(w, "custom not found page")
			return
		}
		w.WriteHeader(http.StatusNotFound)
	})
	te := newTestEdge(t, distConfig(o, func(c model.Tree) {
		c["CustomErrorResponses"] = model.Wrapper([]model.Tree{{"ErrorCode": "404", "ResponsePagePath": "/errors/404.html", "ResponseCode": "200", "ErrorCachingMinTTL": "30"}})
	}))
	w := te.get(t, "/nothing", nil)
	if w.Code != 200 || w.Body.String() != "custom not found page" {
		t.Fatalf("custom error response: %d %q", w.Code, w.Body.String())
	}
	te.advance(20 * time.Second)
	te.get(t, "/nothing", nil)
	if n := o.count("/nothing"); n != 1 {
		t.Errorf("the error is cached for ErrorCachingMinTTL=30: origin asked %d times", n)
	}
}

// TestServer_customErrorPageUncachedBehavior: the page is fetched through
// the behaviour matching its path even when that behaviour does not cache
// (issue 15: the single-page-app setup 404 -> /index.html 200 with
// /index.html under the managed CachingDisabled policy); when the page
// itself fails, the viewer gets the page origin's status, or CloudFront's
// 502 when that origin is down ("Generating custom error responses").
func TestServer_customErrorPageUncachedBehavior(t *testing.T) {
	var pageGone atomic.Bool
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/index.html" && !pageGone.Load():
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<app shell>")
		case r.URL.Path == "/boom":
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "origin exploded")
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "origin 404 for "+r.URL.Path)
		}
	})
	down := newTestOrigin(t, okHandler(""))
	down.Close()
	te := newTestEdge(t, distConfig(o, func(c model.Tree) {
		origins := model.StructItems(c, "Origins")
		dead := model.Clone(origins[0])
		dead["Id"] = "down"
		model.Sub(dead, "CustomOriginConfig")["HTTPPort"] = down.port()
		c["Origins"] = model.Wrapper([]model.Tree{origins[0], dead})
		uncached := func(pattern, target string) model.Tree {
			return model.Tree{"PathPattern": pattern, "TargetOriginId": target, "ViewerProtocolPolicy": "allow-all",
				"CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"} // managed CachingDisabled
		}
		c["CacheBehaviors"] = model.Wrapper([]model.Tree{uncached("/index.html", "o1"), uncached("/down/*", "down")})
		c["CustomErrorResponses"] = model.Wrapper([]model.Tree{
			{"ErrorCode": "404", "ResponsePagePath": "/index.html", "ResponseCode": "200", "ErrorCachingMinTTL": "0"},
			{"ErrorCode": "500", "ResponsePagePath": "/down/page.html", "ResponseCode": "200", "ErrorCachingMinTTL": "0"},
		})
	}))
	tests := []struct {
		name, path string
		gone       bool
		status     int
		body       string
	}{
		{"page from an uncached behaviour", "/app/route", false, 200, "<app shell>"},
		{"page deleted: its origin's status", "/app/third", true, 404, "origin 404 for /index.html"},
		{"page origin down: CloudFront's 502", "/boom", false, 502, "The request could not be satisfied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pageGone.Store(tc.gone)
			before := o.count("/index.html")
			w := te.get(t, tc.path, nil)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.body) {
				t.Fatalf("GET %s: %d %q, want %d with %q", tc.path, w.Code, w.Body.String(), tc.status, tc.body)
			}
			if got := w.Header().Get("X-Cache"); got != "Error from cloudfront" {
				t.Errorf("X-Cache %q, want Error from cloudfront", got)
			}
			if tc.path != "/boom" && o.count("/index.html") != before+1 {
				t.Errorf("the page was not fetched from the origin through its uncached behaviour")
			}
		})
	}
	// A second request fetches the page again: its behaviour never caches.
	pageGone.Store(false)
	before := o.count("/index.html")
	te.get(t, "/app/route", nil)
	te.get(t, "/app/route", nil)
	if n := o.count("/index.html") - before; n != 2 {
		t.Errorf("page fetched %d times for 2 requests, want 2 (CachingDisabled)", n)
	}
}

func TestServer_viewerProtocolAndMethods(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s", r.Method, b)
	})
	te := newTestEdge(t, distConfig(o, func(c model.Tree) {
		b := model.Sub(c, "DefaultCacheBehavior")
		b["ViewerProtocolPolicy"] = "redirect-to-https"
		b["AllowedMethods"] = model.Tree{"Quantity": "7", "Items": []any{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"},
			"CachedMethods": model.Tree{"Quantity": "2", "Items": []any{"GET", "HEAD"}}}
	}))
	w := te.get(t, "/x?a=1", nil)
	if w.Code != 301 || w.Header().Get("Location") != "https://"+testHost+":8443/x?a=1" {
		t.Errorf("redirect-to-https GET: %d %q", w.Code, w.Header().Get("Location"))
	}
	if w := te.do(t, "POST", testHost, "/x", nil, strings.NewReader("b")); w.Code != 307 {
		t.Errorf("redirect-to-https POST: %d, want 307", w.Code)
	}
	te2 := newTestEdge(t, distConfig(o, nil))
	if w := te2.do(t, "POST", testHost, "/x", nil, strings.NewReader("b")); w.Code != 403 {
		t.Errorf("POST on a GET,HEAD behaviour: %d, want 403", w.Code)
	}
	te3 := newTestEdge(t, distConfig(o, func(c model.Tree) {
		model.Sub(c, "DefaultCacheBehavior")["AllowedMethods"] = model.Tree{"Quantity": "7", "Items": []any{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}}
	}))
	w = te3.do(t, "POST", testHost, "/form", nil, strings.NewReader("payload"))
	if w.Code != 200 || w.Body.String() != "POST payload" || w.Header().Get("X-Cache") != "Miss from cloudfront" {
		t.Errorf("POST forwarded: %d %q %q", w.Code, w.Body.String(), w.Header().Get("X-Cache"))
	}
	te3.do(t, "POST", testHost, "/form", nil, strings.NewReader("payload"))
	if n := o.count("/form"); n != 2 {
		t.Errorf("POST responses are never cached: origin saw %d, want 2", n)
	}
}

func TestServer_range(t *testing.T) {
	body := strings.Repeat("0123456789", 100)
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Range") != "" {
			t.Errorf("a cacheable GET must fetch the whole object, got Range %q", r.Header.Get("Range"))
		}
		io.WriteString(w, body)
	})
	te := newTestEdge(t, distConfig(o, nil))
	for i, tc := range []struct {
		rng, want string
		status    int
	}{
		{"bytes=10-19", body[10:20], 206}, // on the miss, cut from the stream
		{"bytes=10-19", body[10:20], 206}, // on the hit, from the cache
		{"bytes=-5", body[995:], 206},
		{"bytes=5000-", "", 416},
		{"bytes=9-3", body, 200}, // invalid: the whole object
	} {
		w := te.get(t, "/big", http.Header{"Range": {tc.rng}})
		if w.Code != tc.status || (tc.status != 416 && w.Body.String() != tc.want) {
			t.Errorf("%d: Range %s: %d %q, want %d %q", i, tc.rng, w.Code, w.Body.String(), tc.status, tc.want)
		}
	}
}

func TestServer_compression(t *testing.T) {
	text := strings.Repeat("compress me please ", 200)
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("ETag", `"abc"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(text)))
		io.WriteString(w, text)
	})
	te := newTestEdge(t, distConfig(o, func(c model.Tree) { model.Sub(c, "DefaultCacheBehavior")["Compress"] = "true" }))
	w := te.get(t, "/c.html", http.Header{"Accept-Encoding": {"gzip"}})
	if w.Header().Get("Content-Encoding") != "gzip" || w.Header().Get("ETag") != `W/"abc"` {
		t.Fatalf("gzip viewer: Content-Encoding %q ETag %q", w.Header().Get("Content-Encoding"), w.Header().Get("ETag"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); string(got) != text {
		t.Error("gzip body does not decode to the origin's body")
	}
	w = te.get(t, "/c.html", nil)
	if w.Header().Get("Content-Encoding") != "" || w.Body.String() != text {
		t.Error("an identity viewer gets the uncompressed object")
	}
	if n := o.count("/c.html"); n != 2 {
		t.Errorf("compressed and plain variants are two objects: origin asked %d times, want 2", n)
	}
}

func TestServer_invalidationAndCollapsing(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(100 * time.Millisecond)
		io.WriteString(w, "v")
	})
	te := newTestEdge(t, distConfig(o, nil))
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			te.get(t, "/hot", nil)
		}()
	}
	wg.Wait()
	if n := o.count("/hot"); n != 1 {
		t.Errorf("50 concurrent misses made %d origin requests, want 1", n)
	}
	te.Apply(te.Snapshot(), []model.InvalidationRecord{{ID: "I1", DistributionID: "E1TEST", Paths: []string{"/h*"}}})
	if w := te.get(t, "/hot", nil); w.Header().Get("X-Cache") != "Miss from cloudfront" {
		t.Errorf("after the invalidation: X-Cache %q, want Miss", w.Header().Get("X-Cache"))
	}
}

func TestServer_brotli(t *testing.T) {
	text := strings.Repeat("brotli compresses this text ", 100)
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(text)))
		io.WriteString(w, text)
	})
	// Brotli needs a cache policy ("Serve compressed files").
	te := newTestEdge(t, distConfig(o, func(c model.Tree) {
		policies(cachingOptimized, "")(c)
		model.Sub(c, "DefaultCacheBehavior")["Compress"] = "true"
	}))
	w := te.get(t, "/data.json", http.Header{"Accept-Encoding": {"gzip, deflate, br"}})
	if w.Header().Get("Content-Encoding") != "br" {
		t.Fatalf("a viewer accepting br and gzip gets %q, want br", w.Header().Get("Content-Encoding"))
	}
	got, err := io.ReadAll(brotli.NewReader(bytes.NewReader(w.Body.Bytes())))
	if err != nil || string(got) != text {
		t.Fatalf("brotli body does not decode to the origin's body (err %v)", err)
	}
	// Legacy cache settings compress with gzip only, and the origin is
	// asked for gzip alone ("Serve compressed files": Brotli doesn't
	// support legacy cache settings).
	legacyEdge := newTestEdge(t, distConfig(o, func(c model.Tree) { model.Sub(c, "DefaultCacheBehavior")["Compress"] = "true" }))
	w = legacyEdge.get(t, "/data.json", http.Header{"Accept-Encoding": {"gzip, deflate, br"}})
	if w.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("legacy behaviour: a viewer accepting br and gzip gets %q, want gzip", w.Header().Get("Content-Encoding"))
	}
	if got := o.lastHeader().Get("Accept-Encoding"); got != "gzip" {
		t.Errorf("legacy behaviour: the origin was asked for Accept-Encoding %q, want gzip", got)
	}
	if w := legacyEdge.get(t, "/data.json", http.Header{"Accept-Encoding": {"br"}}); w.Header().Get("Content-Encoding") != "" || w.Body.String() != text {
		t.Errorf("legacy behaviour: a br-only viewer gets Content-Encoding %q, want the uncompressed object", w.Header().Get("Content-Encoding"))
	}
	// Too small to compress (under 1,000 bytes): sent as is.
	small := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "tiny!")
	})
	te2 := newTestEdge(t, distConfig(small, func(c model.Tree) {
		policies(cachingOptimized, "")(c)
		model.Sub(c, "DefaultCacheBehavior")["Compress"] = "true"
	}))
	if w := te2.get(t, "/s.txt", http.Header{"Accept-Encoding": {"br"}}); w.Header().Get("Content-Encoding") != "" || w.Body.String() != "tiny!" {
		t.Errorf("a 5-byte body was compressed: %q", w.Header().Get("Content-Encoding"))
	}
}

// TestServer_originGroupFailover: a listed status or a dead primary sends
// GET to the secondary ("Optimize high availability with CloudFront origin
// failover", AWS); other statuses are served as is.
// withFailoverTo makes distConfig's origin o1 the primary of an origin
// group ("group", the default behaviour's target) whose secondary, o2, is
// secondary (o1's settings otherwise), failing over on codes.
func withFailoverTo(secondary *testOrigin, codes ...string) func(model.Tree) {
	return func(c model.Tree) {
		first := model.StructItems(c, "Origins")[0]
		second := model.Clone(first)
		second["Id"] = "o2"
		model.Sub(second, "CustomOriginConfig")["HTTPPort"] = secondary.port()
		c["Origins"] = model.Wrapper([]model.Tree{first, second})
		c["OriginGroups"] = model.Wrapper([]model.Tree{{
			"Id":               "group",
			"FailoverCriteria": model.Tree{"StatusCodes": model.Wrapper(codes)},
			"Members":          model.Wrapper([]model.Tree{{"OriginId": "o1"}, {"OriginId": "o2"}}),
		}})
		model.Sub(c, "DefaultCacheBehavior")["TargetOriginId"] = "group"
	}
}

func TestServer_originGroupFailover(t *testing.T) {
	primary := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gone" {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	secondary := newTestOrigin(t, okHandler(""))
	te := newTestEdge(t, distConfig(primary, withFailoverTo(secondary, "503")))
	if w := te.get(t, "/x", nil); w.Code != 200 || w.Body.String() != "body of /x" {
		t.Errorf("primary 503 (listed): %d %q, want the secondary's 200", w.Code, w.Body.String())
	}
	if w := te.get(t, "/gone", nil); w.Code != http.StatusGone {
		t.Errorf("primary 410 (not listed): %d, want 410 served as is", w.Code)
	}
	if primary.count("/x") != 1 || secondary.count("/x") != 1 {
		t.Errorf("origin requests: primary %d, secondary %d, want 1 and 1", primary.count("/x"), secondary.count("/x"))
	}
}
