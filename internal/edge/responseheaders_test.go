package edge

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"openfront/internal/geo"
	"openfront/internal/geo/geotest"
	"openfront/internal/model"
	"openfront/internal/responseheaders"
)

// rhpOrigin answers /page with headers a policy works on, /missing with
// 404 and /errors/404.html with the custom error page.
func rhpOrigin(t *testing.T) *testOrigin {
	return newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
		case "/errors/404.html":
			w.Header().Set("Cache-Control", "max-age=60")
			io.WriteString(w, "custom error page")
		default:
			h := w.Header()
			h.Set("Cache-Control", "max-age=60")
			h.Set("X-Powered-By", "php/5")
			h.Set("X-Frame-Options", "ALLOW-FROM https://origin.test")
			h.Set("Referrer-Policy", "unsafe-url")
			if r.URL.Path == "/cors-origin" {
				h.Set("Access-Control-Allow-Origin", "https://set-by-origin.test")
			}
			io.WriteString(w, "page")
		}
	})
}

// sitePolicy exercises each kind of rule: removal, Override true and
// false, security headers and CORS from a wildcard origin.
var sitePolicy = model.ResponseHeadersPolicy{
	Name:   "site",
	Remove: []string{"X-Powered-By"},
	Custom: []model.CustomHeader{{Header: "X-Site", Value: "openfront", Override: true}, {Header: "Cache-Control", Value: "no-store", Override: false}},
	Security: model.SecurityHeaders{
		FrameOptions:            &model.OverridableValue{Override: true, Value: "DENY"},
		ReferrerPolicy:          &model.OverridableValue{Override: false, Value: "no-referrer"},
		StrictTransportSecurity: &model.StrictTransportSecurity{Override: true, MaxAgeSec: 63072000, IncludeSubdomains: true},
		ContentTypeOptions:      &model.OverridableValue{Override: true},
	},
	CORS: &model.CORSConfig{AllowOrigins: []string{"https://*.app.test"}, AllowHeaders: []string{"X-Requested-With"}, AllowMethods: []string{"GET", "PUT"},
		ExposeHeaders: []string{"X-Site"}, AllowCredentials: true, MaxAgeSec: 600, HasMaxAge: true},
}

// withPolicy serves cfg with the custom policy attached to every behaviour
// (the snapshot package compiles stored policies; here the compiled policy
// is put in place directly).
func withPolicy(t *testing.T, cfg model.Tree, p model.ResponseHeadersPolicy) *fastFronts {
	f := newFastFronts(t, cfg)
	compiled := responseheaders.Compile(p)
	for _, b := range f.te.snap.Load().Lookup(testHost).Behaviors {
		b.ResponseHeaders = compiled
	}
	return f
}

func rhpGet(path string, extra ...string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: " + testHost + "\r\n" + strings.Join(extra, "") + "\r\n"
}

// TestResponseHeadersPolicy_missAndHit: a miss and the hit after it (over
// net/http and the fastpath front, which declines such behaviours) both
// carry the policy's changes, RemoveHeaders first, Override respected,
// CORS only for an allowed Origin.
func TestResponseHeadersPolicy_missAndHit(t *testing.T) {
	o := rhpOrigin(t)
	f := withPolicy(t, distConfig(o, func(c model.Tree) {
		c["DefaultCacheBehavior"].(model.Tree)["AllowedMethods"] = model.Tree{"Quantity": "3", "Items": []any{"GET", "HEAD", "OPTIONS"},
			"CachedMethods": model.Wrapper([]string{"GET", "HEAD"})}
	}), sitePolicy)
	allowed := "Origin: https://www.app.test\r\n"
	for _, tc := range []struct {
		name, addr, xcache string
	}{{"miss", f.slow, "Miss from cloudfront"}, {"hit", f.slow, "Hit from cloudfront"}, {"fast front hit", f.fast, "Hit from cloudfront"}} {
		resp := roundTrip(t, tc.addr, rhpGet("/page", allowed))
		f.settle(t)
		h := resp.Header
		for name, want := range map[string]string{
			"X-Cache":                          tc.xcache,
			"X-Powered-By":                     "",
			"X-Site":                           "openfront",
			"Cache-Control":                    "max-age=60", // Override false: the origin's
			"X-Frame-Options":                  "DENY",       // Override true
			"Referrer-Policy":                  "unsafe-url", // Override false
			"Strict-Transport-Security":        "max-age=63072000; includeSubDomains",
			"X-Content-Type-Options":           "nosniff",
			"Access-Control-Allow-Origin":      "https://www.app.test",
			"Access-Control-Allow-Credentials": "true",
			"Access-Control-Expose-Headers":    "X-Site",
			"Access-Control-Allow-Methods":     "", // preflight only
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", tc.name, name, got, want)
			}
		}
	}
	if n := o.count("/page"); n != 1 {
		t.Errorf("origin asked %d times, want 1", n)
	}
	for _, origin := range []string{"https://app.test", "https://www.app.test.evil.test", "http://www.app.test"} {
		resp := roundTrip(t, f.slow, rhpGet("/page", "Origin: "+origin+"\r\n"))
		if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" || resp.Header.Get("X-Site") != "openfront" {
			t.Errorf("origin %s: Allow-Origin %q, X-Site %q", origin, v, resp.Header.Get("X-Site"))
		}
	}
	// OriginOverride false: the origin's own Access-Control-Allow-Origin stays.
	resp := roundTrip(t, f.slow, rhpGet("/cors-origin", allowed))
	if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "https://set-by-origin.test" {
		t.Errorf("OriginOverride false: Allow-Origin %q", v)
	}
}

// TestResponseHeadersPolicy_preflight: with OPTIONS allowed, a preflight
// from an allowed Origin is answered 204 at the edge without an origin
// fetch; one from another origin, or without OPTIONS allowed, is not.
func TestResponseHeadersPolicy_preflight(t *testing.T) {
	o := rhpOrigin(t)
	f := withPolicy(t, distConfig(o, func(c model.Tree) {
		c["DefaultCacheBehavior"].(model.Tree)["AllowedMethods"] = model.Tree{"Quantity": "3", "Items": []any{"GET", "HEAD", "OPTIONS"},
			"CachedMethods": model.Wrapper([]string{"GET", "HEAD"})}
	}), sitePolicy)
	raw := "OPTIONS /api HTTP/1.1\r\nHost: " + testHost + "\r\nOrigin: https://x.app.test\r\nAccess-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: x-requested-with\r\n\r\n"
	resp := roundTrip(t, f.slow, raw)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("preflight: %d", resp.StatusCode)
	}
	for name, want := range map[string]string{
		"Access-Control-Allow-Origin":      "https://x.app.test",
		"Access-Control-Allow-Methods":     "GET, PUT",
		"Access-Control-Allow-Headers":     "X-Requested-With",
		"Access-Control-Max-Age":           "600",
		"Access-Control-Allow-Credentials": "true",
		"X-Site":                           "openfront",
		"Server":                           "CloudFront",
		"X-Cache":                          "Hit from cloudfront",
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("preflight %s = %q, want %q", name, got, want)
		}
	}
	if n := o.count("/api"); n != 0 {
		t.Errorf("the preflight reached the origin %d times", n)
	}
	resp = roundTrip(t, f.slow, strings.Replace(raw, "x.app.test", "other.test", 1))
	if resp.StatusCode == http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "" || o.count("/api") != 1 {
		t.Errorf("preflight from another origin: %d %v, origin asked %d times", resp.StatusCode, resp.Header, o.count("/api"))
	}

	g := withPolicy(t, distConfig(o, nil), sitePolicy) // GET and HEAD only
	resp = roundTrip(t, g.slow, raw)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("preflight where OPTIONS is not allowed: %d, want CloudFront's 403", resp.StatusCode)
	}
	if resp.Header.Get("X-Site") != "openfront" {
		t.Errorf("the edge's 403 lacks the policy's headers: %v", resp.Header)
	}
}

// TestResponseHeadersPolicy_errors: custom error pages and the origin's
// own errors get the policy's headers too.
func TestResponseHeadersPolicy_errors(t *testing.T) {
	o := rhpOrigin(t)
	f := withPolicy(t, distConfig(o, nil), sitePolicy)
	resp := roundTrip(t, f.slow, rhpGet("/missing"))
	if resp.StatusCode != 404 || resp.Header.Get("X-Site") != "openfront" || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("origin 404: %d %v", resp.StatusCode, resp.Header)
	}
	e := withPolicy(t, distConfig(o, func(c model.Tree) {
		c["CustomErrorResponses"] = model.Wrapper([]model.Tree{{"ErrorCode": "404", "ResponsePagePath": "/errors/404.html", "ResponseCode": "404"}})
	}), sitePolicy)
	resp = roundTrip(t, e.slow, rhpGet("/missing", "Origin: https://a.app.test\r\n"))
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 404 || string(body) != "custom error page" || resp.Header.Get("X-Site") != "openfront" ||
		resp.Header.Get("Access-Control-Allow-Origin") != "https://a.app.test" {
		t.Errorf("custom error page: %d %q %v", resp.StatusCode, body, resp.Header)
	}
}

// TestResponseHeadersPolicy_managedFromSnapshot: a managed policy named by
// the config is compiled by the snapshot and applied.
func TestResponseHeadersPolicy_managedFromSnapshot(t *testing.T) {
	o := rhpOrigin(t)
	f := newFastFronts(t, distConfig(o, func(c model.Tree) {
		c["DefaultCacheBehavior"].(model.Tree)["ResponseHeadersPolicyId"] = "e61eb60c-9c35-4d20-a928-2b84e02af89c" // CORS-and-SecurityHeadersPolicy
	}))
	for _, addr := range []string{f.slow, f.slow, f.fast} {
		resp := roundTrip(t, addr, rhpGet("/page", "Origin: https://anywhere.test\r\n"))
		f.settle(t)
		if resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Strict-Transport-Security") != "max-age=31536000" ||
			resp.Header.Get("X-Frame-Options") != "ALLOW-FROM https://origin.test" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("managed policy via %s: %v", addr, resp.Header)
		}
	}
}

// TestResponseHeadersPolicy_serverTiming: with SamplingRate 0 only
// requests with "Pragma: server-timing" get the header, with CloudFront's
// metric names for a miss and then a hit; the origin's own Server-Timing
// is kept.
func TestResponseHeadersPolicy_serverTiming(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Server-Timing", "app;dur=3")
		io.WriteString(w, "x")
	})
	f := withPolicy(t, distConfig(o, nil), model.ResponseHeadersPolicy{ServerTiming: &model.ServerTimingConfig{Enabled: true}})
	resp := roundTrip(t, f.slow, rhpGet("/st", "Pragma: server-timing\r\n"))
	f.settle(t)
	got := resp.Header.Values("Server-Timing")
	if len(got) != 2 || got[0] != "app;dur=3" || !strings.HasPrefix(got[1], "cdn-cache-miss,cdn-pop;desc=") ||
		!strings.Contains(got[1], `cdn-rid;desc="`+resp.Header.Get("X-Amz-Cf-Id")+`"`) || !strings.Contains(got[1], "cdn-upstream-layer;desc=\"EDGE\",cdn-upstream-fbl;dur=") {
		t.Errorf("miss: Server-Timing %q", got)
	}
	resp = roundTrip(t, f.slow, rhpGet("/st", "Pragma: server-timing\r\n"))
	got = resp.Header.Values("Server-Timing")
	if len(got) != 2 || !strings.HasPrefix(got[1], "cdn-cache-hit,") || !strings.Contains(got[1], `cdn-hit-layer;desc="EDGE"`) || strings.Contains(got[1], "upstream") {
		t.Errorf("hit: Server-Timing %q", got)
	}
	resp = roundTrip(t, f.slow, rhpGet("/st"))
	if got := resp.Header.Values("Server-Timing"); len(got) != 1 {
		t.Errorf("not sampled: Server-Timing %q", got)
	}
}

// TestResponseHeadersPolicy_fastPathSameAsNetHTTP: the fast path applies
// the policies it can (Fast) and answers exactly as net/http does, for CORS
// and plain requests, allowed and refused origins, and an origin that
// sends its own CORS and security headers; a policy with Server-Timing is
// left to net/http.
func TestResponseHeadersPolicy_fastPathSameAsNetHTTP(t *testing.T) {
	o := rhpOrigin(t)
	override := sitePolicy
	override.Name = "override"
	cors := *sitePolicy.CORS
	cors.OriginOverride = true
	cors.AllowCredentials = false
	cors.AllowOrigins = []string{"*"}
	override.CORS = &cors
	override.Remove = []string{"X-Powered-By", "Referrer-Policy"}
	policies := map[string]model.ResponseHeadersPolicy{
		"site":                 sitePolicy,
		"override any origin":  override,
		"managed preflight+SH": model.ManagedResponseHeadersPolicies["eaab4381-ed33-4a86-88ca-d9558dc6cd63"],
	}
	for name, p := range policies {
		f := withPolicy(t, distConfig(o, nil), p)
		for _, req := range []string{
			rhpGet("/page"),
			rhpGet("/page", "Origin: https://www.app.test\r\n"),
			rhpGet("/page", "Origin: https://elsewhere.test\r\n"),
			rhpGet("/page", "Origin: https://a.app.test\r\n", "Origin: https://b.app.test\r\n"),
			rhpGet("/cors-origin", "Origin: https://www.app.test\r\n"),
			rhpGet("/cors-origin"),
		} {
			f.compare(t, name+" "+strings.Fields(req)[1]+" "+strings.ReplaceAll(req[strings.Index(req, "\r\n")+2:], "\r\n", " "), req, answered)
		}
	}
	timed := sitePolicy
	timed.ServerTiming = &model.ServerTimingConfig{Enabled: true}
	f := withPolicy(t, distConfig(o, nil), timed)
	f.compare(t, "server timing", rhpGet("/page"), inLoop)
}

// TestResponseHeadersPolicy_edgeErrors: the edge's own errors get the
// policy too: the geo restriction's 403 and the 502 of an origin that
// refuses connections.
func TestResponseHeadersPolicy_edgeErrors(t *testing.T) {
	o := rhpOrigin(t)
	db := filepath.Join(t.TempDir(), "geo.mmdb")
	geotest.WriteDB(t, db, map[string]string{"127.0.0.0/8": "DE"})
	g, err := geo.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	f := withPolicy(t, distConfig(o, func(c model.Tree) {
		c["Restrictions"] = model.Tree{"GeoRestriction": model.Tree{"RestrictionType": "blacklist", "Quantity": "1", "Items": []any{"DE"}}}
	}), sitePolicy)
	f.te.opts.Geo = g
	resp := roundTrip(t, f.slow, rhpGet("/page", "Origin: https://a.app.test\r\n"))
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Site") != "openfront" || resp.Header.Get("Access-Control-Allow-Origin") != "https://a.app.test" {
		t.Errorf("geo-blocked: %d %v", resp.StatusCode, resp.Header)
	}

	dead := rhpOrigin(t)
	dead.Close()
	d := withPolicy(t, distConfig(dead, nil), sitePolicy)
	resp = roundTrip(t, d.slow, rhpGet("/page"))
	if resp.StatusCode != http.StatusBadGateway || resp.Header.Get("X-Site") != "openfront" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("origin down: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestResponseHeadersPolicy_revalidation: a stale object revalidated with
// the origin (304, RefreshHit) carries the policy's headers.
func TestResponseHeadersPolicy_revalidation(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=1")
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "x")
	})
	f := withPolicy(t, distConfig(o, nil), sitePolicy)
	roundTrip(t, f.slow, rhpGet("/r"))
	f.settle(t)
	f.te.advance(5 * time.Second)
	resp := roundTrip(t, f.slow, rhpGet("/r", "Origin: https://a.app.test\r\n"))
	if resp.Header.Get("X-Cache") != "RefreshHit from cloudfront" || resp.Header.Get("X-Site") != "openfront" ||
		resp.Header.Get("Access-Control-Allow-Origin") != "https://a.app.test" {
		t.Errorf("revalidated: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestResponseHeadersPolicy_managedSecurityHeaders: the managed
// SecurityHeadersPolicy over real HTTP, miss and hit on both fronts (the
// fast path appends its headers as one block when the origin sent none it
// keeps, one by one otherwise): X-Content-Type-Options replaces the
// origin's ("CloudFront adds X-Content-Type-Options: nosniff to all
// responses", Developer Guide, "Use managed response headers policies"),
// the other four keep the origin's when it sent them.
func TestResponseHeadersPolicy_managedSecurityHeaders(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "max-age=60")
		if r.URL.Path == "/own" {
			h.Set("X-Content-Type-Options", "bogus")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Strict-Transport-Security", "max-age=5")
		}
		io.WriteString(w, "page")
	})
	f := withPolicy(t, distConfig(o, nil), model.ManagedResponseHeadersPolicies["67f7725c-6f97-4210-82d7-5512b31e9d03"])
	documented := map[string]string{
		"X-Content-Type-Options":    "nosniff",
		"X-Frame-Options":           "SAMEORIGIN",
		"Strict-Transport-Security": "max-age=31536000",
		"Referrer-Policy":           "strict-origin-when-cross-origin",
		"X-Xss-Protection":          "1; mode=block",
	}
	for _, tc := range []struct {
		path string
		want map[string]string
	}{
		{"/bare", documented},
		{"/own", map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Strict-Transport-Security": "max-age=5",
			"Referrer-Policy": "strict-origin-when-cross-origin", "X-Xss-Protection": "1; mode=block"}},
	} {
		for _, front := range []struct{ name, addr, xcache string }{
			{"miss", f.slow, "Miss from cloudfront"}, {"hit", f.slow, "Hit from cloudfront"}, {"fast front hit", f.fast, "Hit from cloudfront"},
		} {
			resp := roundTrip(t, front.addr, rhpGet(tc.path))
			f.settle(t)
			if got := resp.Header.Get("X-Cache"); got != front.xcache {
				t.Errorf("%s %s: X-Cache %q", tc.path, front.name, got)
			}
			for name, want := range tc.want {
				if got := resp.Header.Values(name); len(got) != 1 || got[0] != want {
					t.Errorf("%s %s: %s = %q, want [%q]", tc.path, front.name, name, got, want)
				}
			}
		}
	}
}

// TestApplyStored_edgeFields: between an object's stored fields and the
// response headers policy, the edge writes no field but those
// responseheaders.ApplyStored looks up whatever the object holds (its
// edgeFields). A policy that adds, with Override false, every field the
// edge's responses have keeps the edge's values, and adds its own only
// where the response had none: on a miss, a hit, a 304, a 206, a 416, a
// HEAD and a RefreshHit.
func TestApplyStored_edgeFields(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "0123456789")
	})
	steps := []struct {
		name, method string
		header       http.Header
		later        time.Duration
		status       int
		xCache       string
	}{
		{"miss", http.MethodGet, nil, 0, http.StatusOK, "Miss from cloudfront"},
		{"hit", http.MethodGet, nil, 0, http.StatusOK, "Hit from cloudfront"},
		{"304", http.MethodGet, http.Header{"If-None-Match": {`"v1"`}}, 0, http.StatusNotModified, "Hit from cloudfront"},
		{"206", http.MethodGet, http.Header{"Range": {"bytes=0-3"}}, 0, http.StatusPartialContent, "Hit from cloudfront"},
		{"416", http.MethodGet, http.Header{"Range": {"bytes=100-"}}, 0, http.StatusRequestedRangeNotSatisfiable, "Error from cloudfront"},
		{"HEAD", http.MethodHead, nil, 0, http.StatusOK, "Hit from cloudfront"},
		{"RefreshHit", http.MethodGet, nil, 2 * time.Minute, http.StatusOK, "RefreshHit from cloudfront"},
	}
	serve := func(te *testEdge) []http.Header {
		var out []http.Header
		for _, s := range steps {
			te.advance(s.later)
			rec := te.do(t, s.method, testHost, "/obj", s.header, nil)
			if rec.Code != s.status {
				t.Fatalf("%s: status %d, want %d", s.name, rec.Code, s.status)
			}
			for deadline := time.Now().Add(5 * time.Second); te.cache.Stats().InFlight > 0 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond) // the fill commits after the viewer has read the object
			}
			out = append(out, rec.Header().Clone())
		}
		return out
	}
	plain := serve(newTestEdge(t, distConfig(o, nil)))
	var policy model.ResponseHeadersPolicy
	seen := map[string]bool{}
	for i, h := range plain {
		if got := h.Get("X-Cache"); got != steps[i].xCache {
			t.Fatalf("%s without a policy: X-Cache %q, want %q (%v)", steps[i].name, got, steps[i].xCache, h)
		}
		for name := range h {
			if !seen[name] {
				seen[name] = true
				policy.Custom = append(policy.Custom, model.CustomHeader{Header: name, Value: "policy", Override: false})
			}
		}
	}
	te := newTestEdge(t, distConfig(o, nil))
	compiled := responseheaders.Compile(policy)
	for _, b := range te.snap.Load().Lookup(testHost).Behaviors {
		b.ResponseHeaders = compiled
	}
	with := serve(te)
	for i, s := range steps {
		for name := range seen {
			had, got := plain[i].Get(name), with[i].Get(name)
			switch {
			case had == "" && got != "policy":
				t.Errorf("%s: %s = %q, want the policy's (the response had none)", s.name, name, got)
			case had != "" && got == "policy":
				t.Errorf("%s: the policy replaced %s: %q (Override false)", s.name, name, had)
			}
		}
	}
}
