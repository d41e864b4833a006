package edge

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"openfront/internal/cfheaders"
	"openfront/internal/fastpath"
	"openfront/internal/geo"
	"openfront/internal/geo/geotest"
	"openfront/internal/model"
)

// geoFronts is a test edge with a geo database (127.0.0.1 is DE,
// 127.0.0.2 is FR), served through net/http alone and through the fast
// path.
type geoFronts struct {
	te         *testEdge
	slow, fast string
	fs         *fastpath.Server
}

func newGeoFronts(t *testing.T, cfg model.Tree) *geoFronts {
	t.Helper()
	path := filepath.Join(t.TempDir(), "geo.mmdb")
	geotest.WriteDB(t, path, map[string]string{"127.0.0.1/32": "DE", "127.0.0.2/32": "FR"})
	db, err := geo.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	te := newTestEdge(t, cfg)
	te.opts.Geo = db // before any request is served
	slow := httptest.NewServer(te.Server)
	t.Cleanup(slow.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &fastpath.Server{Handler: te.Server, Fallback: &http.Server{Handler: te.Server}, IdleTimeout: time.Minute, Log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	go fs.Serve(ln)
	t.Cleanup(func() { fs.Shutdown(t.Context()) })
	return &geoFronts{te: te, slow: slow.Listener.Addr().String(), fast: ln.Addr().String(), fs: fs}
}

// rawFrom sends one raw request from the local address from (e.g.
// "127.0.0.2") and returns the response and the client's port.
func rawFrom(t *testing.T, addr, from, raw string) (*http.Response, int) {
	t.Helper()
	resp, _, port := rawExchange(t, addr, from, raw)
	return resp, port
}

// rawExchange sends one raw request to addr from the local address from
// ("": any) and returns the response, its body and the client's port.
func rawExchange(t *testing.T, addr, from, raw string) (*http.Response, string, int) {
	t.Helper()
	var d net.Dialer
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: http.MethodGet})
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body), c.LocalAddr().(*net.TCPAddr).Port
}

// spoofed is a request whose viewer claims CloudFront's headers for itself:
// mixed case, duplicates, an underscore spelling, and names the behaviour
// does not ask for.
func spoofed(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: " + testHost + "\r\n" +
		"User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0\r\n" +
		"CloudFront-Viewer-Country: ZZ\r\n" +
		"cloudfront-viewer-country: YY\r\n" +
		"CloudFront_Viewer_Country: ZZ\r\n" +
		"CLOUDFRONT-IS-MOBILE-VIEWER: true\r\n" +
		"CloudFront-Viewer-Address: 203.0.113.9:1\r\n" +
		"CloudFront-Viewer-City: Nowhere\r\n" +
		"CloudFront-Forwarded-Proto: https\r\n" +
		"X-Custom: kept\r\n" +
		"Connection: close\r\n\r\n"
}

func legacyHeaders(names ...string) func(model.Tree) {
	return func(c model.Tree) {
		b := model.Sub(c, "DefaultCacheBehavior")
		model.Sub(b, "ForwardedValues")["Headers"] = model.Wrapper(names)
	}
}

func policies(cachePolicy, originRequestPolicy string) func(model.Tree) {
	return func(c model.Tree) {
		b := model.Tree{"TargetOriginId": "o1", "ViewerProtocolPolicy": "allow-all", "CachePolicyId": cachePolicy}
		if originRequestPolicy != "" {
			b["OriginRequestPolicyId"] = originRequestPolicy
		}
		c["DefaultCacheBehavior"] = b
	}
}

const (
	cachingOptimized       = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	cachingDisabled        = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	amplifyCachePolicy     = "2e54312d-136d-493c-8eb9-b001f22f67d2"
	allViewerPolicy        = "216adef6-5c7f-47e4-b989-5492eafa07d3"
	allViewerAndCloudFront = "33f36d7e-f396-46d9-90e0-52428a34d9dc"
)

// TestServer_generatedHeadersReachTheOrigin (issue 12): the origin gets
// the edge's CloudFront-Viewer-Country (from the geo database) and the
// other generated headers the behaviour asks for, and never a viewer's
// copy of any CloudFront-* header, whether the behaviour uses legacy
// ForwardedValues or an origin request policy, through either front.
func TestServer_generatedHeadersReachTheOrigin(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	tests := []struct {
		name string
		edit func(model.Tree)
		want map[string]string // generated headers the origin must get; no other CloudFront-* one
		// customKept: X-Custom reaches the origin.
		customKept bool
	}{
		{"legacy ForwardedValues whitelist", legacyHeaders("CloudFront-Viewer-Country", "CloudFront-Is-Mobile-Viewer", "CloudFront-Is-Desktop-Viewer",
			"CloudFront-Viewer-Header-Count", "CloudFront-Viewer-JA3-Fingerprint", "CloudFront-Viewer-City"),
			map[string]string{cfheaders.ViewerCountry: "DE", cfheaders.IsMobileViewer: "false", cfheaders.IsDesktopViewer: "true",
				cfheaders.ViewerHeaderCount: "11"}, true}, // no JA3 (not computed), no city (a country database)
		{"legacy default forwards nothing generated", nil, map[string]string{}, true},
		{"legacy all headers", legacyHeaders("*"), map[string]string{cfheaders.ViewerCountry: "DE", cfheaders.IsMobileViewer: "false",
			cfheaders.IsDesktopViewer: "true", cfheaders.IsTabletViewer: "false", cfheaders.IsSmartTVViewer: "false", cfheaders.ForwardedProto: "http"}, true},
		{"origin request policy AllViewer", policies(cachingOptimized, allViewerPolicy), map[string]string{}, true},
		{"origin request policy AllViewerAndCloudFrontHeaders", policies(cachingDisabled, allViewerAndCloudFront),
			map[string]string{cfheaders.ViewerCountry: "DE", cfheaders.IsMobileViewer: "false", cfheaders.IsDesktopViewer: "true",
				cfheaders.IsTabletViewer: "false", cfheaders.IsSmartTVViewer: "false", cfheaders.IsIOSViewer: "false", cfheaders.IsAndroidViewer: "false",
				cfheaders.ForwardedProto: "http", cfheaders.ViewerHTTPVersion: "1.1", cfheaders.ViewerAddress: "127.0.0.1:PORT"}, true},
		{"cache policy keys the country (Amplify)", policies(amplifyCachePolicy, ""), map[string]string{cfheaders.ViewerCountry: "DE"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newGeoFronts(t, distConfig(o, tc.edit))
			for i, front := range []string{f.slow, f.fast} {
				path := "/gen/" + strconv.Itoa(i)
				resp, port := rawFrom(t, front, "127.0.0.1", spoofed(path))
				if resp.StatusCode != 200 {
					t.Fatalf("GET %s: %d", path, resp.StatusCode)
				}
				seen := o.lastHeader()
				for name, vs := range seen {
					if !cfheaders.IsGenerated(name) {
						continue
					}
					want, ok := tc.want[name]
					want = strings.Replace(want, "PORT", strconv.Itoa(port), 1)
					if !ok || len(vs) != 1 || vs[0] != want {
						t.Errorf("front %d: origin got %s: %q, want %q (listed %v)", i, name, vs, want, ok)
					}
				}
				for name := range tc.want {
					if seen.Get(name) == "" {
						t.Errorf("front %d: origin did not get %s", i, name)
					}
				}
				if got := seen.Get("X-Custom") == "kept"; got != tc.customKept {
					t.Errorf("front %d: X-Custom forwarded = %v, want %v", i, got, tc.customKept)
				}
			}
		})
	}
}

// TestServer_generatedHeadersInTheKey (issue 12): where the key includes
// CloudFront-Viewer-Country, it is the edge's value: a viewer's spoofed
// copies neither split the cache (a second request with another spoofed
// value is a hit, on both fronts, the fast path answering it) nor poison
// it (a viewer from another country gets its own object).
func TestServer_generatedHeadersInTheKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(model.Tree)
	}{
		{"cache policy (Amplify)", policies(amplifyCachePolicy, "")},
		{"legacy whitelist", legacyHeaders("CloudFront-Viewer-Country")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "max-age=60")
				w.Header().Set("Content-Type", "text/plain")
				io.WriteString(w, "for "+r.Header.Get("Cloudfront-Viewer-Country"))
			})
			f := newGeoFronts(t, distConfig(o, tc.edit))
			req := func(country string) string {
				return "GET /k HTTP/1.1\r\nHost: " + testHost + "\r\nCloudFront-Viewer-Country: " + country + "\r\nConnection: close\r\n\r\n"
			}
			if r, _ := rawFrom(t, f.slow, "127.0.0.1", req("ZZ")); r.Header.Get("X-Cache") != "Miss from cloudfront" {
				t.Fatalf("first request: X-Cache %q", r.Header.Get("X-Cache"))
			}
			for i := 0; i < 100 && f.te.opts.Cache.Stats().InFlight > 0; i++ {
				time.Sleep(5 * time.Millisecond)
			}
			for _, front := range []string{f.slow, f.fast} {
				before := f.fs.Stats()
				r, _ := rawFrom(t, front, "127.0.0.1", req("YY"))
				if r.Header.Get("X-Cache") != "Hit from cloudfront" {
					t.Errorf("another spoofed country split the cache: X-Cache %q", r.Header.Get("X-Cache"))
				}
				if front == f.fast && f.fs.Stats().Served != before.Served+1 {
					t.Errorf("the fast path did not answer the hit")
				}
			}
			if n := o.count("/k"); n != 1 {
				t.Errorf("origin asked %d times, want 1", n)
			}
			// A French viewer claiming DE gets France's object.
			for _, front := range []string{f.fast, f.slow} {
				rawFrom(t, front, "127.0.0.2", req("DE"))
			}
			if got := o.lastHeader().Get("Cloudfront-Viewer-Country"); got != "FR" || o.count("/k") != 2 {
				t.Errorf("French viewer: origin saw country %q, %d fetches; want FR, 2", got, o.count("/k"))
			}
		})
	}
}

// TestServer_generatedHeadersOverTLS: over HTTPS and HTTP/2 the origin
// gets CloudFront-Forwarded-Proto https, CloudFront-Viewer-Http-Version 2.0
// and CloudFront-Viewer-TLS from the connection.
func TestServer_generatedHeadersOverTLS(t *testing.T) {
	o := newTestOrigin(t, okHandler(""))
	te := newTestEdge(t, distConfig(o, legacyHeaders("CloudFront-Forwarded-Proto", "CloudFront-Viewer-Http-Version",
		"CloudFront-Viewer-TLS", "CloudFront-Viewer-Address")))
	srv := httptest.NewUnstartedServer(te.Server)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/tls", nil)
	req.Host = testHost
	req.Header.Set("CloudFront-Viewer-TLS", "TLSv1:spoofed:fullHandshake")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
		t.Fatalf("%d over %s", resp.StatusCode, resp.Proto)
	}
	seen := o.lastHeader()
	if got := seen.Get(cfheaders.ForwardedProto); got != "https" {
		t.Errorf("CloudFront-Forwarded-Proto %q, want https", got)
	}
	if got := seen.Get(cfheaders.ViewerHTTPVersion); got != "2.0" {
		t.Errorf("CloudFront-Viewer-Http-Version %q, want 2.0", got)
	}
	if got := seen[cfheaders.ViewerTLS]; len(got) != 1 || !strings.HasPrefix(got[0], "TLSv1.3:TLS_") || !strings.HasSuffix(got[0], ":fullHandshake") {
		t.Errorf("CloudFront-Viewer-TLS %q, want TLSv1.3:<suite>:fullHandshake", got)
	}
	if got := seen.Get(cfheaders.ViewerAddress); !strings.HasPrefix(got, "127.0.0.1:") {
		t.Errorf("CloudFront-Viewer-Address %q", got)
	}
}
