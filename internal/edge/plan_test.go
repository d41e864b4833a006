package edge

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"openfront/internal/fastpath"
	"openfront/internal/geo"
	"openfront/internal/geo/geotest"
	"openfront/internal/model"
	"openfront/internal/origin"
	"openfront/internal/signedurl"
	"openfront/internal/snapshot"
	"openfront/internal/urlpath"
)

const planKeyID = "KPLANKEY000001"

// planFixture is a snapshot with every rule the plan decides, and the
// planner's tables (127.0.0.2 is in FR, 127.0.0.1 in DE).
type planFixture struct {
	snap *snapshot.Snapshot
	pl   planner
	key  *rsa.PrivateKey
	now  time.Time
}

func newPlanFixture(t testing.TB) *planFixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "geo.mmdb")
	geotest.WriteDB(t, path, map[string]string{"127.0.0.1/32": "DE", "127.0.0.2/32": "FR"})
	db, err := geo.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	behavior := func(pattern string, edit func(b model.Tree)) model.Tree {
		b := model.Tree{
			"PathPattern": pattern, "TargetOriginId": "o1", "ViewerProtocolPolicy": "allow-all", "MinTTL": "0",
			"ForwardedValues": model.Tree{"QueryString": "false", "Cookies": model.Tree{"Forward": "none"}},
		}
		if edit != nil {
			edit(b)
		}
		return b
	}
	methods := func(allowed, cached []string) model.Tree {
		items := func(ms []string) []any {
			out := make([]any, len(ms))
			for i, m := range ms {
				out[i] = m
			}
			return out
		}
		return model.Tree{"Quantity": strconv.Itoa(len(allowed)), "Items": items(allowed),
			"CachedMethods": model.Tree{"Quantity": strconv.Itoa(len(cached)), "Items": items(cached)}}
	}
	cfg := func(edit func(c model.Tree)) model.Tree {
		c := model.Tree{
			"CallerReference": "ref", "Comment": "", "Enabled": "true", "DefaultRootObject": "index.html",
			"Aliases": model.Wrapper([]string{"www.example.com", "*.wild.example.com"}),
			"Origins": model.Wrapper([]model.Tree{{
				"Id": "o1", "DomainName": "origin.example.com",
				"CustomOriginConfig": model.Tree{"HTTPPort": "80", "HTTPSPort": "443", "OriginProtocolPolicy": "http-only"},
			}}),
			"DefaultCacheBehavior": behavior("", nil),
			"CacheBehaviors": model.Wrapper([]model.Tree{
				behavior("/img/*", nil),
				behavior("/secure/*", func(b model.Tree) { b["ViewerProtocolPolicy"] = "https-only" }),
				behavior("/redirect/*", func(b model.Tree) {
					b["ViewerProtocolPolicy"] = "redirect-to-https"
					b["AllowedMethods"] = methods([]string{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}, []string{"GET", "HEAD"})
				}),
				behavior("/all/*", func(b model.Tree) {
					b["AllowedMethods"] = methods([]string{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}, []string{"GET", "HEAD", "OPTIONS"})
				}),
				behavior("/query/*", func(b model.Tree) { model.Sub(b, "ForwardedValues")["QueryString"] = "true" }),
				behavior("/nocache/*", func(b model.Tree) { b["DefaultTTL"], b["MaxTTL"] = "0", "0" }),
				behavior("/country/*", func(b model.Tree) {
					model.Sub(b, "ForwardedValues")["Headers"] = model.Tree{"Quantity": "1", "Items": []any{"CloudFront-Viewer-Country"}}
				}),
				behavior("/private/*", func(b model.Tree) {
					b["TrustedKeyGroups"] = model.Tree{"Enabled": "true", "Quantity": "1", "Items": []any{"kg-plan"}}
				}),
			}),
		}
		if edit != nil {
			edit(c)
		}
		return c
	}
	recs := []*model.DistributionRecord{
		{ID: "E1PLAN", DomainName: testHost, Config: cfg(nil)},
		{ID: "E2OFF", DomainName: "off.cloudfront.localhost", Config: cfg(func(c model.Tree) { c["Enabled"] = "false"; delete(c, "Aliases") })},
		{ID: "E3GEO", DomainName: "geo.cloudfront.localhost", Config: cfg(func(c model.Tree) {
			delete(c, "Aliases")
			c["Restrictions"] = model.Tree{"GeoRestriction": model.Tree{"RestrictionType": "blacklist", "Quantity": "1", "Items": []any{"FR"}}}
		})},
	}
	for _, r := range recs {
		if _, err := model.ParseDistributionConfig(r.Config); err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
	}
	snap := snapshot.Compile(1, recs, nil, nil)
	for _, b := range snap.Distributions["E1PLAN"].Behaviors {
		if b.Signed {
			b.TrustedKeys = map[string]crypto.PublicKey{planKeyID: &key.PublicKey}
		}
	}
	return &planFixture{snap: snap, pl: planner{geo: db, signed: signedurl.NewVerifier(0)}, key: key, now: time.Now()}
}

// signed returns target with a canned-policy signature for
// http://testHost+target.
func (f *planFixture) signed(t *testing.T, target string) string {
	t.Helper()
	expires := f.now.Add(time.Hour).Unix()
	sum := sha1.Sum(signedurl.CannedPolicy("http://"+testHost+target, expires))
	sig, err := rsa.SignPKCS1v15(rand.Reader, f.key, crypto.SHA1, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	enc := strings.NewReplacer("+", "-", "=", "_", "/", "~").Replace(base64.StdEncoding.EncodeToString(sig))
	return target + "?Expires=" + strconv.FormatInt(expires, 10) + "&Signature=" + enc + "&Key-Pair-Id=" + planKeyID
}

// planOf plans one net/http request.
func (f *planFixture) planOf(r *http.Request) (plan, string, *refusal) {
	h := headOf(r)
	var p plan
	key, ref := f.pl.plan(&p, f.snap, &h, f.now, nil)
	return p, string(key), ref
}

func planRequest(method, target, host string, header ...string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Host = host
	r.RemoteAddr = "127.0.0.1:50000"
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

// TestPlan_rules drives the plan directly: one row per rule it decides.
func TestPlan_rules(t *testing.T) {
	f := newPlanFixture(t)
	type want struct {
		ref        refusal // compared on status, detail, redirect, viewerFault; signature when set
		signature  bool
		dist       string
		pattern    string // behaviour's PathPattern ("" for the default)
		path       string
		originPath string
		cached     bool
	}
	tests := []struct {
		name  string
		req   func() *http.Request
		https bool
		want  want
	}{
		{"unknown host", func() *http.Request { return planRequest("GET", "/a", "nobody.example.org") },
			false, want{ref: refuseUnknownHost}},
		{"disabled distribution", func() *http.Request { return planRequest("GET", "/a", "off.cloudfront.localhost") },
			false, want{ref: refuseDisabled}},
		{"host with port and capitals", func() *http.Request { return planRequest("GET", "/a", strings.ToUpper(testHost)+":8080") },
			false, want{dist: "E1PLAN", path: "/a", originPath: "/a", cached: true}},
		{"trailing dot", func() *http.Request { return planRequest("GET", "/a", testHost+".") },
			false, want{dist: "E1PLAN", path: "/a", originPath: "/a", cached: true}},
		{"wildcard alias", func() *http.Request { return planRequest("GET", "/a", "x.y.wild.example.com") },
			false, want{dist: "E1PLAN", path: "/a", originPath: "/a", cached: true}},
		{"geo blocked", func() *http.Request {
			r := planRequest("GET", "/a", "geo.cloudfront.localhost")
			r.RemoteAddr = "127.0.0.2:50000"
			return r
		}, false, want{ref: refuseGeo}},
		{"geo allowed", func() *http.Request { return planRequest("GET", "/a", "geo.cloudfront.localhost") },
			false, want{dist: "E3GEO", path: "/a", originPath: "/a", cached: true}},
		{"geo unknown country served", func() *http.Request {
			r := planRequest("GET", "/a", "geo.cloudfront.localhost")
			r.RemoteAddr = "10.9.9.9:50000"
			return r
		}, false, want{dist: "E3GEO", path: "/a", originPath: "/a", cached: true}},
		{"geo before path", func() *http.Request {
			r := planRequest("GET", "/a%00", "geo.cloudfront.localhost")
			r.RemoteAddr = "127.0.0.2:50000"
			return r
		}, false, want{ref: refuseGeo}},
		{"bad escape", func() *http.Request { return planRequest("GET", "/a", testHost) },
			false, want{ref: refuseBadPath}},
		{"NUL escape", func() *http.Request { return planRequest("GET", "/a%00b", testHost) },
			false, want{ref: refuseBadPath}},
		{"dot segments", func() *http.Request { return planRequest("GET", "/x/../img/a.jpg", testHost) },
			false, want{dist: "E1PLAN", pattern: "/img/*", path: "/img/a.jpg", originPath: "/img/a.jpg", cached: true}},
		{"dot segments out of a behaviour", func() *http.Request { return planRequest("GET", "/img/../secure/a", testHost) },
			false, want{ref: refuseHTTPS}},
		{"escaped slash matches on the access form", func() *http.Request { return planRequest("GET", "/img%2Fa.jpg", testHost) },
			false, want{dist: "E1PLAN", pattern: "/img/*", path: "/img%2Fa.jpg", originPath: "/img%2Fa.jpg", cached: true}},
		{"lower-case escape canonicalised", func() *http.Request { return planRequest("GET", "/a%2a", testHost) },
			false, want{dist: "E1PLAN", path: "/a%2A", originPath: "/a%2A", cached: true}},
		{"default root object", func() *http.Request { return planRequest("GET", "/", testHost) },
			false, want{dist: "E1PLAN", path: "/", originPath: "/index.html", cached: true}},
		{"https-only over HTTP", func() *http.Request { return planRequest("GET", "/secure/a", testHost) },
			false, want{ref: refuseHTTPS}},
		{"https-only over HTTPS", func() *http.Request { return planRequest("GET", "/secure/a", testHost) },
			true, want{dist: "E1PLAN", pattern: "/secure/*", path: "/secure/a", originPath: "/secure/a", cached: true}},
		{"redirect GET", func() *http.Request { return planRequest("GET", "/redirect/a", testHost) },
			false, want{ref: redirectPermanent}},
		{"redirect HEAD", func() *http.Request { return planRequest("HEAD", "/redirect/a", testHost) },
			false, want{ref: redirectPermanent}},
		{"redirect POST", func() *http.Request { return planRequest("POST", "/redirect/a", testHost) },
			false, want{ref: redirectTemporary}},
		{"redirect POST over HTTP/1.0", func() *http.Request {
			r := planRequest("POST", "/redirect/a", testHost)
			r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.0", 1, 0
			return r
		}, false, want{ref: refuseRedirectHTTP10}},
		{"redirect-to-https over HTTPS", func() *http.Request { return planRequest("POST", "/redirect/a", testHost) },
			true, want{dist: "E1PLAN", pattern: "/redirect/*", path: "/redirect/a", originPath: "/redirect/a"}},
		{"method not allowed", func() *http.Request { return planRequest("DELETE", "/a", testHost) },
			false, want{ref: refuseMethod}},
		{"method allowed, not cached", func() *http.Request { return planRequest("POST", "/all/a", testHost) },
			false, want{dist: "E1PLAN", pattern: "/all/*", path: "/all/a", originPath: "/all/a"}},
		{"OPTIONS cached", func() *http.Request { return planRequest("OPTIONS", "/all/a", testHost) },
			false, want{dist: "E1PLAN", pattern: "/all/*", path: "/all/a", originPath: "/all/a", cached: true}},
		{"GET with a body", func() *http.Request {
			r := httptest.NewRequest("GET", "/a", strings.NewReader("x"))
			r.Host = testHost
			return r
		}, false, want{ref: refuseGETBody}},
		{"GET chunked", func() *http.Request {
			r := planRequest("GET", "/a", testHost)
			r.TransferEncoding = []string{"chunked"}
			return r
		}, false, want{ref: refuseGETBody}},
		{"caching disabled", func() *http.Request { return planRequest("GET", "/nocache/a", testHost) },
			false, want{dist: "E1PLAN", pattern: "/nocache/*", path: "/nocache/a", originPath: "/nocache/a"}},
		{"unsigned request to a signed behaviour", func() *http.Request { return planRequest("GET", "/private/a", testHost) },
			false, want{ref: refusal{status: 403, detail: "InvalidRequest", viewerFault: true}, signature: true}},
		{"signed request", func() *http.Request { return planRequest("GET", f.signed(t, "/private/a"), testHost) },
			false, want{dist: "E1PLAN", pattern: "/private/*", path: "/private/a", originPath: "/private/a", cached: true}},
		{"signature for another path", func() *http.Request {
			target := f.signed(t, "/private/a")
			return planRequest("GET", strings.Replace(target, "/private/a", "/private/b", 1), testHost)
		}, false, want{ref: refusal{status: 403, detail: "InvalidRequest", viewerFault: true}, signature: true}},
		{"signature checked on the normalised path", func() *http.Request {
			target := f.signed(t, "/private/a")
			return planRequest("GET", strings.Replace(target, "/private/a", "/private/x/../a", 1), testHost)
		}, false, want{dist: "E1PLAN", pattern: "/private/*", path: "/private/a", originPath: "/private/a", cached: true}},
		{"signature for another resource after normalisation", func() *http.Request {
			target := f.signed(t, "/private/a")
			return planRequest("GET", strings.Replace(target, "/private/a", "/private/a/../b", 1), testHost)
		}, false, want{ref: refusal{status: 403, detail: "InvalidRequest", viewerFault: true}, signature: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req()
			h := headOf(r)
			if tc.name == "bad escape" {
				h.path = "/a%zz" // net/http refuses it first; the fast path does not
			}
			h.https = tc.https
			var p plan
			key, ref := f.pl.plan(&p, f.snap, &h, f.now, nil)
			if ref == nil {
				ref = &refusal{}
			}
			w := tc.want
			if w.pattern == "" {
				w.pattern = "*" // the default behaviour
			}
			if ref.status != w.ref.status || ref.detail != w.ref.detail || ref.redirect != w.ref.redirect ||
				ref.viewerFault != w.ref.viewerFault || ref.reason != w.ref.reason || (ref.signature != nil) != w.signature {
				t.Fatalf("refusal = %+v, want %+v (signature %v)", ref, w.ref, w.signature)
			}
			if ref.status != 0 {
				return
			}
			if p.dist.ID != w.dist || p.beh.PathPattern != w.pattern || p.path != w.path || p.originPath != w.originPath || p.cached != w.cached {
				t.Fatalf("plan = dist %s, behaviour %q, path %q, origin path %q, cached %v; want %+v",
					p.dist.ID, p.beh.PathPattern, p.path, p.originPath, p.cached, w)
			}
			if p.cached != (len(key) > 0) {
				t.Fatalf("cached=%v but key %q", p.cached, key)
			}
		})
	}
}

// TestPlan_cacheKey checks which parts of a request the key depends on.
func TestPlan_cacheKey(t *testing.T) {
	f := newPlanFixture(t)
	keyOf := func(r *http.Request) string {
		t.Helper()
		_, key, ref := f.planOf(r)
		if ref != nil || key == "" {
			t.Fatalf("%s %s: refused (%+v) or not cached", r.Method, r.URL, ref)
		}
		return key
	}
	from := func(r *http.Request, addr string) *http.Request { r.RemoteAddr = addr; return r }
	tests := []struct {
		name string
		a, b *http.Request
		same bool
	}{
		{"GET and HEAD share the object",
			planRequest("GET", "/a", testHost), planRequest("HEAD", "/a", testHost), true},
		{"OPTIONS is stored apart",
			planRequest("GET", "/all/a", testHost), planRequest("OPTIONS", "/all/a", testHost), false},
		{"query not forwarded, not keyed",
			planRequest("GET", "/a?x=1", testHost), planRequest("GET", "/a?x=2", testHost), true},
		{"query forwarded, keyed",
			planRequest("GET", "/query/a?x=1", testHost), planRequest("GET", "/query/a?x=2", testHost), false},
		{"aliases share the object",
			planRequest("GET", "/a", testHost), planRequest("GET", "/a", "www.example.com"), true},
		{"path normalised before keying",
			planRequest("GET", "/img/a.jpg", testHost), planRequest("GET", "/img/./b/../a.jpg", testHost), true},
		{"root and the default root object",
			planRequest("GET", "/", testHost), planRequest("GET", "/index.html", testHost), true},
		{"different paths",
			planRequest("GET", "/a", testHost), planRequest("GET", "/b", testHost), false},
		{"cookies not forwarded, not keyed",
			planRequest("GET", "/a", testHost, "Cookie", "a=1"), planRequest("GET", "/a", testHost, "Cookie", "a=2"), true},
		{"signing parameters left out of the key",
			planRequest("GET", f.signed(t, "/private/a"), testHost), planRequest("GET", f.signed(t, "/private/a"), testHost), true},
		{"generated country keyed",
			from(planRequest("GET", "/country/a", testHost), "127.0.0.1:1"), from(planRequest("GET", "/country/a", testHost), "127.0.0.2:1"), false},
		{"viewer's own country header ignored",
			planRequest("GET", "/country/a", testHost, "Cloudfront-Viewer-Country", "FR"), planRequest("GET", "/country/a", testHost), true},
	}
	for _, tc := range tests {
		if got := keyOf(tc.a) == keyOf(tc.b); got != tc.same {
			t.Errorf("%s: keys equal = %v, want %v", tc.name, got, tc.same)
		}
	}
}

// TestPlan_fastHeadDecidesTheSame: the fast path's head of a request and
// net/http's head of the same bytes give the same plan and key (one
// plan, two readers of the request).
func TestPlan_fastHeadDecidesTheSame(t *testing.T) {
	f := newPlanFixture(t)
	tests := []struct {
		target string
		header []string
	}{
		{"/a", nil},
		{"/", nil},
		{"/img/a.jpg", []string{"User-Agent", "curl/8"}},
		{"/query/a?b=2&a=1", nil},
		{"/country/a", []string{"Accept", "*/*"}},
		{"/secure/a", nil},
		{"/redirect/a", nil},
		{"/private/a", nil},
		{f.signed(t, "/private/a"), []string{"Cookie", "x=1"}},
	}
	for _, tc := range tests {
		raw := "GET " + tc.target + " HTTP/1.1\r\nHost: " + testHost + "\r\n"
		for i := 0; i+1 < len(tc.header); i += 2 {
			raw += tc.header[i] + ": " + tc.header[i+1] + "\r\n"
		}
		raw += "\r\n"
		fr, ok := fastpath.ParseRequest([]byte(raw))
		if !ok {
			t.Fatalf("%s: fastpath did not parse %q", tc.target, raw)
		}
		fr.RemoteAddr = "127.0.0.2:50000"
		r := planRequest("GET", tc.target, testHost, tc.header...)
		r.RemoteAddr = fr.RemoteAddr

		nh, fh := headOf(r), fastHead(fr)
		var np, fp plan
		nkey, nref := f.pl.plan(&np, f.snap, &nh, f.now, nil)
		fkey, fref := f.pl.plan(&fp, f.snap, &fh, f.now, nil)
		if (nref == nil) != (fref == nil) || nref != nil && (nref.status != fref.status || nref.detail != fref.detail || (nref.signature == nil) != (fref.signature == nil)) {
			t.Errorf("%s: refusals differ: net/http %+v, fast %+v", tc.target, nref, fref)
			continue
		}
		if !bytes.Equal(nkey, fkey) || np.beh != fp.beh || np.originPath != fp.originPath || np.cached != fp.cached {
			t.Errorf("%s: plans differ:\n net/http %+v key %q\n fast     %+v key %q", tc.target, np, nkey, fp, fkey)
		}
		if nh.header.FieldCount() != fh.header.FieldCount() {
			t.Errorf("%s: header counts differ: net/http %d, fast %d", tc.target, nh.header.FieldCount(), fh.header.FieldCount())
		}
	}
}

// FuzzPlan: whatever the path, query and headers, the plan decides
// without panicking, a served plan has a behaviour and a canonical path,
// and the fast path's head agrees with net/http's.
func FuzzPlan(f *testing.F) {
	for _, seed := range []string{"/a", "/", "/x/../img/a.jpg", "/a%zz", "/img%2Fa", "/%2e%2e/secure/a", "//a//b", "/private/a?Expires=1&Signature=x&Key-Pair-Id=y"} {
		f.Add(seed, "x=1")
	}
	pf := newPlanFixture(f)
	f.Fuzz(func(t *testing.T, target, query string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, "? \r\n\t#") || strings.ContainsAny(query, " \r\n\t#") {
			return
		}
		full := target
		if query != "" {
			full += "?" + query
		}
		fr, ok := fastpath.ParseRequest([]byte("GET " + full + " HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n"))
		if !ok {
			return
		}
		fr.RemoteAddr = "127.0.0.1:1"
		fh := fastHead(fr)
		var p plan
		key, ref := pf.pl.plan(&p, pf.snap, &fh, pf.now, nil)
		if ref != nil {
			return
		}
		if p.beh == nil || !strings.HasPrefix(p.path, "/") || p.cached != (len(key) > 0) {
			t.Fatalf("%q: plan %+v key %q", full, p, key)
		}
	})
}

// TestPlan_originRequest: the origin request is derived from the plan and
// the head alone.
func TestPlan_originRequest(t *testing.T) {
	f := newPlanFixture(t)
	const via = "1.1 abc.cloudfront.net (CloudFront)"
	tests := []struct {
		name   string
		req    *http.Request
		method string
		check  func(t *testing.T, o *originRequestView)
	}{
		{"default root object", planRequest("GET", "/", testHost), "GET", func(t *testing.T, o *originRequestView) {
			o.want(t, "path", o.Path, "/index.html")
		}},
		{"normalised path", planRequest("GET", "/x/../img/%7ea", testHost), "GET", func(t *testing.T, o *originRequestView) {
			o.want(t, "path", o.Path, "/img/~a")
		}},
		{"query not forwarded", planRequest("GET", "/a?x=1", testHost), "GET", func(t *testing.T, o *originRequestView) {
			o.want(t, "query", o.RawQuery, "")
		}},
		{"query forwarded", planRequest("GET", "/query/a?x=1&y=2", testHost), "GET", func(t *testing.T, o *originRequestView) {
			o.want(t, "query", o.RawQuery, "x=1&y=2")
		}},
		{"signing parameters not forwarded", planRequest("GET", f.signed(t, "/private/a"), testHost), "GET", func(t *testing.T, o *originRequestView) {
			o.want(t, "query", o.RawQuery, "")
		}},
		{"CloudFront's headers", planRequest("GET", "/a", testHost, "Via", "1.1 proxy", "X-Forwarded-For", "10.0.0.1", "User-Agent", "curl/8"), "GET", func(t *testing.T, o *originRequestView) {
			o.want(t, "Via", o.Header.Get("Via"), "1.1 proxy, "+via)
			o.want(t, "X-Forwarded-For", o.Header.Get("X-Forwarded-For"), "10.0.0.1, 127.0.0.1")
			o.want(t, "X-Amz-Cf-Id", o.Header.Get("X-Amz-Cf-Id"), "REQID")
			o.want(t, "User-Agent", o.Header.Get("User-Agent"), "Amazon CloudFront")
		}},
		{"cached GET: the edge answers Range and conditionals", planRequest("GET", "/a", testHost, "Range", "bytes=0-1", "If-None-Match", `"x"`), "GET", func(t *testing.T, o *originRequestView) {
			o.want(t, "Range", o.Header.Get("Range"), "")
			o.want(t, "If-None-Match", o.Header.Get("If-None-Match"), "")
		}},
		{"hop-by-hop headers dropped", planRequest("POST", "/all/a", testHost, "Connection", "X-Hop", "X-Hop", "1", "Te", "trailers"), "POST", func(t *testing.T, o *originRequestView) {
			o.want(t, "X-Hop", o.Header.Get("X-Hop"), "")
			o.want(t, "Te", o.Header.Get("Te"), "")
		}},
		{"generated country, the viewer's copy ignored", func() *http.Request {
			r := planRequest("GET", "/country/a", testHost, "Cloudfront-Viewer-Country", "XX")
			r.RemoteAddr = "127.0.0.2:1"
			return r
		}(), "GET", func(t *testing.T, o *originRequestView) {
			o.want(t, "CloudFront-Viewer-Country", o.Header.Get("Cloudfront-Viewer-Country"), "FR")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := headOf(tc.req)
			var p plan
			if _, ref := f.pl.plan(&p, f.snap, &h, f.now, nil); ref != nil {
				t.Fatalf("refused: %+v", ref)
			}
			out := new(origin.Request)
			f.pl.originRequest(out, nil, &p, &h, tc.method, "REQID", via)
			if out.Method != tc.method {
				t.Errorf("method %q, want %q", out.Method, tc.method)
			}
			tc.check(t, &originRequestView{out})
		})
	}
}

type originRequestView struct{ *origin.Request }

func (*originRequestView) want(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

// TestPlan_errorPage: a custom error page is planned as a GET of its path
// through the behaviour matching it, under the key a viewer's GET of that
// path has, and is not cached when that behaviour does not cache.
func TestPlan_errorPage(t *testing.T) {
	f := newPlanFixture(t)
	dist := f.snap.Distributions["E1PLAN"]
	for _, tc := range []struct {
		page   string
		cached bool
	}{
		{"/img/404.html", true},
		{"/nocache/index.html", false},
		{"/secure/403.html", true}, // no viewer protocol filter for the page
	} {
		r := planRequest("POST", "/all/x", testHost, "Range", "bytes=0-1")
		r.Method = http.MethodGet
		h := headOf(r)
		var p plan
		key := f.pl.pagePlan(&p, dist, tc.page, &h, nil)
		if p.cached != tc.cached || p.originPath != tc.page || !strings.HasPrefix(tc.page, strings.TrimSuffix(p.beh.PathPattern, "*")) {
			t.Errorf("%s: plan %+v", tc.page, p)
		}
		if !tc.cached {
			continue
		}
		vh := headOf(planRequest("GET", tc.page, testHost))
		vh.https = true
		var vp plan
		vkey, ref := f.pl.plan(&vp, f.snap, &vh, f.now, nil)
		if ref != nil || string(vkey) != string(key) {
			t.Errorf("%s: page key %q, viewer GET key %q (%+v)", tc.page, key, vkey, ref)
		}
	}
}

// TestPlan_replan: the request a viewer-request function returns is
// re-planned on the behaviour already chosen: its URI is normalised
// (dot segments and encoded dots resolved, as for a viewer's path), the
// cache key follows the new URI and query, and a URI that cannot be
// normalised is refused.
func TestPlan_replan(t *testing.T) {
	f := newPlanFixture(t)
	tests := []struct {
		uri, query, wantPath, wantOrigin string
		ok                               bool
	}{
		{"/img/a.jpg", "", "/img/a.jpg", "/img/a.jpg", true},
		{"/../../etc/passwd", "", "/etc/passwd", "/etc/passwd", true},
		{"/a/%2e%2e/%2E%2E/secure/x", "", "/secure/x", "/secure/x", true},
		{"/", "", "/", "/index.html", true},
		{"/a%zz", "", "", "", false},
		{"/a%00b", "", "", "", false},
	}
	for _, tc := range tests {
		h := headOf(planRequest("GET", "/query/start?x=1", testHost))
		var p plan
		key0, ref := f.pl.plan(&p, f.snap, &h, f.now, nil)
		if ref != nil {
			t.Fatalf("plan refused: %+v", ref)
		}
		beh := p.beh
		h.path, h.rawQuery = tc.uri, "y=2"
		key, ok := f.pl.replan(&p, &h, nil)
		if ok != tc.ok {
			t.Errorf("%q: ok %v, want %v", tc.uri, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if p.beh != beh || p.path != tc.wantPath || p.originPath != tc.wantOrigin || p.rawQuery != "y=2" {
			t.Errorf("%q: behaviour kept %v, path %q origin %q query %q", tc.uri, p.beh == beh, p.path, p.originPath, p.rawQuery)
		}
		if bytes.Equal(key, key0) || !bytes.Contains(key, []byte(tc.wantOrigin)) {
			t.Errorf("%q: key %q (before %q)", tc.uri, key, key0)
		}
	}
}

// FuzzReplan: whatever URI and query a function returns, replan keeps the
// behaviour and either refuses or yields a canonical path.
func FuzzReplan(f *testing.F) {
	for _, seed := range []string{"/a", "/", "/../x", "/%2e%2e/secure/a", "/a%zz", "//a//b", "/a/./b/../c", "/%00"} {
		f.Add(seed, "x=1")
	}
	pf := newPlanFixture(f)
	f.Fuzz(func(t *testing.T, uri, query string) {
		h := headOf(planRequest("GET", "/query/start", testHost))
		var p plan
		if _, ref := pf.pl.plan(&p, pf.snap, &h, pf.now, nil); ref != nil {
			t.Fatal("plan refused")
		}
		beh := p.beh
		h.path, h.rawQuery = uri, query
		key, ok := pf.pl.replan(&p, &h, nil)
		if !ok {
			return
		}
		again, err := urlpath.Normalize(p.path)
		if p.beh != beh || !strings.HasPrefix(p.path, "/") || err != nil || again != p.path || len(key) == 0 {
			t.Fatalf("%q: plan %+v key %q", uri, p, key)
		}
	})
}
