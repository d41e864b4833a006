package responseheaders

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"openfront/internal/model"
)

func corsPolicy(origins []string, edit ...func(*model.CORSConfig)) *Policy {
	c := &model.CORSConfig{AllowOrigins: origins, AllowHeaders: []string{"X-Requested-With"}, AllowMethods: []string{"GET", "POST"}}
	for _, e := range edit {
		e(c)
	}
	return Compile(model.ResponseHeadersPolicy{CORS: c})
}

func TestOriginAllowed(t *testing.T) {
	tests := []struct {
		allowed []string
		origin  string
		want    bool
	}{
		{[]string{"*"}, "https://anything.test", true},
		{[]string{"*"}, "null", true},
		{[]string{"*"}, "https://a.test\r\nSet-Cookie: x=1", false},
		{[]string{"*"}, "https://a.test x", false},
		{[]string{"*"}, "https://\xc3\xa9.test", false},
		{[]string{"https://example.com"}, "https://example.com", true},
		{[]string{"https://example.com"}, "HTTPS://EXAMPLE.COM", true},
		{[]string{"https://example.com"}, "http://example.com", false},
		{[]string{"https://example.com"}, "https://example.com:8443", false},
		{[]string{"https://example.com"}, "https://example.com.evil.test", false},
		{[]string{"https://example.com"}, "", false},
		{[]string{"https://*.example.com"}, "https://a.example.com", true},
		{[]string{"https://*.example.com"}, "https://a.b.example.com", true},
		{[]string{"https://*.example.com"}, "https://A.Example.COM", true},
		{[]string{"https://*.example.com"}, "https://example.com", false},
		{[]string{"https://*.example.com"}, "https://.example.com", false},
		{[]string{"https://*.example.com"}, "https://a..example.com", false},
		{[]string{"https://*.example.com"}, "http://a.example.com", false},
		{[]string{"https://*.example.com"}, "https://evilexample.com", false},
		{[]string{"https://*.example.com"}, "https://a.example.com.evil.test", false},
		{[]string{"https://*.example.com"}, "https://a.example.com:8443", false},
		{[]string{"https://*.example.com"}, "https://evil.test/.example.com", false},
		{[]string{"https://*.example.com"}, "https://evil.test:1@x.example.com", false},
		{[]string{"https://*.example.com:8443"}, "https://a.example.com:8443", true},
		{[]string{"https://a.test", "https://*.b.test"}, "https://x.b.test", true},
		{[]string{"https://a.test", "https://*.b.test"}, "https://c.test", false},
	}
	for _, tc := range tests {
		if got := corsPolicy(tc.allowed).OriginAllowed(tc.origin); got != tc.want {
			t.Errorf("%v allows %q = %v, want %v", tc.allowed, tc.origin, got, tc.want)
		}
	}
}

func TestApply(t *testing.T) {
	security := model.SecurityHeaders{
		StrictTransportSecurity: &model.StrictTransportSecurity{Override: true, MaxAgeSec: 63072000, IncludeSubdomains: true, Preload: true},
		FrameOptions:            &model.OverridableValue{Override: false, Value: "DENY"},
		XSSProtection:           &model.XSSProtection{Override: true, Protection: true, ReportURI: "https://r.test/x"},
		ContentTypeOptions:      &model.OverridableValue{Override: true},
		ReferrerPolicy:          &model.OverridableValue{Override: true, Value: "no-referrer"},
		ContentSecurityPolicy:   &model.OverridableValue{Override: false, Value: "default-src 'self'"},
	}
	tests := []struct {
		name   string
		policy model.ResponseHeadersPolicy
		req    http.Header
		resp   http.Header
		want   http.Header
	}{
		{"remove then add", model.ResponseHeadersPolicy{Remove: []string{"x-powered-by", "Server"}, Custom: []model.CustomHeader{{Header: "server", Value: "mine", Override: false}}},
			http.Header{}, http.Header{"X-Powered-By": {"php"}, "Server": {"nginx"}, "Etag": {"1"}},
			http.Header{"Server": {"mine"}, "Etag": {"1"}}},
		{"override true replaces", model.ResponseHeadersPolicy{Custom: []model.CustomHeader{{Header: "Cache-Control", Value: "no-store", Override: true}}},
			http.Header{}, http.Header{"Cache-Control": {"max-age=60"}}, http.Header{"Cache-Control": {"no-store"}}},
		{"override false keeps", model.ResponseHeadersPolicy{Custom: []model.CustomHeader{{Header: "Cache-Control", Value: "no-store"}}},
			http.Header{}, http.Header{"Cache-Control": {"max-age=60"}}, http.Header{"Cache-Control": {"max-age=60"}}},
		{"security headers", model.ResponseHeadersPolicy{Security: security},
			http.Header{}, http.Header{"X-Frame-Options": {"SAMEORIGIN"}, "Referrer-Policy": {"unsafe-url"}},
			http.Header{
				"Strict-Transport-Security": {"max-age=63072000; includeSubDomains; preload"},
				"X-Frame-Options":           {"SAMEORIGIN"},
				"X-Xss-Protection":          {"1; report=https://r.test/x"},
				"X-Content-Type-Options":    {"nosniff"},
				"Referrer-Policy":           {"no-referrer"},
				"Content-Security-Policy":   {"default-src 'self'"},
			}},
		{"xss off", model.ResponseHeadersPolicy{Security: model.SecurityHeaders{XSSProtection: &model.XSSProtection{Override: true}}},
			http.Header{}, http.Header{}, http.Header{"X-Xss-Protection": {"0"}}},
		{"managed security headers", model.ManagedResponseHeadersPolicies["67f7725c-6f97-4210-82d7-5512b31e9d03"],
			http.Header{}, http.Header{},
			http.Header{
				"Strict-Transport-Security": {"max-age=31536000"},
				"X-Frame-Options":           {"SAMEORIGIN"},
				"X-Xss-Protection":          {"1; mode=block"},
				"X-Content-Type-Options":    {"nosniff"},
				"Referrer-Policy":           {"strict-origin-when-cross-origin"},
			}},
		{"managed simple CORS", model.ManagedResponseHeadersPolicies["60669652-455b-4ae9-85a4-c4c02393f86c"],
			http.Header{"Origin": {"https://a.test"}}, http.Header{},
			http.Header{"Access-Control-Allow-Origin": {"*"}}},
		{"CORS matching origin, credentials", model.ResponseHeadersPolicy{CORS: &model.CORSConfig{AllowOrigins: []string{"https://*.a.test"}, AllowHeaders: []string{"*"}, AllowMethods: []string{"GET"},
			AllowCredentials: true, ExposeHeaders: []string{"X-Total", "X-Page"}, OriginOverride: true}},
			http.Header{"Origin": {"https://app.a.test"}}, http.Header{"Access-Control-Allow-Origin": {"https://origin.test"}},
			http.Header{"Access-Control-Allow-Origin": {"https://app.a.test"}, "Access-Control-Allow-Credentials": {"true"}, "Access-Control-Expose-Headers": {"X-Total, X-Page"}}},
		{"CORS any origin with credentials reflects", model.ResponseHeadersPolicy{CORS: &model.CORSConfig{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"}, AllowMethods: []string{"GET"}, AllowCredentials: true}},
			http.Header{"Origin": {"https://x.test"}}, http.Header{},
			http.Header{"Access-Control-Allow-Origin": {"https://x.test"}, "Access-Control-Allow-Credentials": {"true"}}},
		{"CORS origin override false keeps the origin's", model.ResponseHeadersPolicy{CORS: &model.CORSConfig{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"}, AllowMethods: []string{"GET"}, ExposeHeaders: []string{"X-A"}}},
			http.Header{"Origin": {"https://x.test"}}, http.Header{"Access-Control-Allow-Origin": {"https://x.test"}},
			http.Header{"Access-Control-Allow-Origin": {"https://x.test"}, "Access-Control-Expose-Headers": {"X-A"}}},
		{"CORS origin not allowed", model.ResponseHeadersPolicy{CORS: &model.CORSConfig{AllowOrigins: []string{"https://a.test"}, AllowHeaders: []string{"*"}, AllowMethods: []string{"GET"}}},
			http.Header{"Origin": {"https://b.test"}}, http.Header{}, http.Header{}},
		{"CORS no Origin", model.ResponseHeadersPolicy{CORS: &model.CORSConfig{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"}, AllowMethods: []string{"GET"}}},
			http.Header{}, http.Header{}, http.Header{}},
		{"CORS two Origin headers", model.ResponseHeadersPolicy{CORS: &model.CORSConfig{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"}, AllowMethods: []string{"GET"}}},
			http.Header{"Origin": {"https://a.test", "https://b.test"}}, http.Header{}, http.Header{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			Apply(Compile(tc.policy), tc.req, tc.resp)
			if !reflect.DeepEqual(tc.resp, tc.want) {
				t.Errorf("got %v\nwant %v", tc.resp, tc.want)
			}
		})
	}
}

func TestPreflight(t *testing.T) {
	p := Compile(model.ManagedResponseHeadersPolicies["5cc3b908-e619-4b99-88e5-2cf7f45965bd"])
	req := http.Header{"Origin": {"https://a.test"}, "Access-Control-Request-Method": {"PUT"}}
	if !IsPreflight(p, "OPTIONS", req) {
		t.Fatal("not a preflight")
	}
	resp := http.Header{}
	ApplyPreflight(p, req, resp)
	want := http.Header{"Access-Control-Allow-Origin": {"*"}, "Access-Control-Expose-Headers": {"*"}, "Access-Control-Allow-Headers": {"*"},
		"Access-Control-Allow-Methods": {"DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"}}
	if !reflect.DeepEqual(resp, want) {
		t.Errorf("got %v\nwant %v", resp, want)
	}
	custom := corsPolicy([]string{"https://a.test"}, func(c *model.CORSConfig) { c.MaxAgeSec, c.HasMaxAge, c.AllowCredentials = 600, true, true })
	resp = http.Header{}
	ApplyPreflight(custom, req, resp)
	if resp.Get("Access-Control-Max-Age") != "600" || resp.Get("Access-Control-Allow-Methods") != "GET, POST" ||
		resp.Get("Access-Control-Allow-Origin") != "https://a.test" || resp.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("custom preflight: %v", resp)
	}
	for _, tc := range []struct {
		name   string
		p      *Policy
		method string
		req    http.Header
	}{
		{"GET", p, "GET", req},
		{"no request method", p, "OPTIONS", http.Header{"Origin": {"https://a.test"}}},
		{"no origin", p, "OPTIONS", http.Header{"Access-Control-Request-Method": {"PUT"}}},
		{"origin not allowed", custom, "OPTIONS", http.Header{"Origin": {"https://b.test"}, "Access-Control-Request-Method": {"PUT"}}},
		{"no CORS config", Compile(model.ResponseHeadersPolicy{}), "OPTIONS", req},
		{"no policy", nil, "OPTIONS", req},
	} {
		if IsPreflight(tc.p, tc.method, tc.req) {
			t.Errorf("%s: answered as a preflight", tc.name)
		}
	}
}

// TestApply_allocationFree: applying a compiled policy allocates nothing
// (it runs on every response, hits included).
func TestApply_allocationFree(t *testing.T) {
	p := Compile(model.ManagedResponseHeadersPolicies["eaab4381-ed33-4a86-88ca-d9558dc6cd63"])
	req := http.Header{"Origin": {"https://a.test"}}
	resp := http.Header{"Content-Type": {"text/html"}}
	if n := testing.AllocsPerRun(100, func() { Apply(p, req, resp) }); n != 0 {
		t.Errorf("Apply allocates %v times per call", n)
	}
	stored := []string{"Access-Control-Allow-Origin", "Content-Type", "X-Frame-Options"} // names the policy has too
	if n := testing.AllocsPerRun(100, func() { ApplyStored(p, req, resp, stored) }); n != 0 {
		t.Errorf("ApplyStored allocates %v times per call", n)
	}
}

// FuzzOriginAllowed: a wildcard origin only ever matches an origin of its
// scheme whose host ends in the wildcard's domain after at least one whole
// label of host characters; an exact origin only itself.
func FuzzOriginAllowed(f *testing.F) {
	for _, s := range [][2]string{
		{"https://*.example.com", "https://a.example.com"},
		{"https://*.example.com", "https://example.com"},
		{"https://*.example.com", "https://evil.test/.example.com"},
		{"https://*.example.com:8443", "https://a.b.example.com:8443"},
		{"http://a.test", "HTTP://A.TEST"},
		{"https://*.x", "https://..x"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, allowed, origin string) {
		if allowed == "*" || model.CheckAllowOrigin(allowed) != nil {
			return
		}
		p := corsPolicy([]string{allowed})
		if !p.OriginAllowed(origin) {
			return
		}
		la, lo := strings.ToLower(allowed), strings.ToLower(origin)
		scheme, host, _ := strings.Cut(la, "://")
		suffix, wild := strings.CutPrefix(host, "*")
		if !wild {
			if la != lo {
				t.Fatalf("%q allowed %q", allowed, origin)
			}
			return
		}
		label, ok := strings.CutPrefix(lo, scheme+"://")
		if !ok || !strings.HasSuffix(label, suffix) {
			t.Fatalf("%q allowed %q: scheme or domain differs", allowed, origin)
		}
		label = strings.TrimSuffix(label, suffix)
		if label == "" || strings.ContainsAny(label, "/:@?#%\\ ") || strings.HasPrefix(label, ".") || strings.HasSuffix(label, ".") || strings.Contains(label, "..") {
			t.Fatalf("%q allowed %q: %q is not whole labels", allowed, origin, label)
		}
	})
}

func TestServerTiming(t *testing.T) {
	on := Compile(model.ResponseHeadersPolicy{ServerTiming: &model.ServerTimingConfig{Enabled: true, SamplingRate: 10}})
	off := Compile(model.ResponseHeadersPolicy{ServerTiming: &model.ServerTimingConfig{Enabled: false, SamplingRate: 100}})
	for _, tc := range []struct {
		name string
		p    *Policy
		req  http.Header
		roll float64
		want bool
	}{
		{"sampled", on, http.Header{}, 9.99, true},
		{"not sampled", on, http.Header{}, 10, false},
		{"Pragma forces", on, http.Header{"Pragma": {"no-cache, Server-Timing"}}, 99, true},
		{"other Pragma", on, http.Header{"Pragma": {"no-cache"}}, 99, false},
		{"disabled", off, http.Header{"Pragma": {"server-timing"}}, 0, false},
		{"no setting", Compile(model.ResponseHeadersPolicy{}), http.Header{"Pragma": {"server-timing"}}, 0, false},
	} {
		if got := ServerTimingSampled(tc.p, tc.req, tc.roll); got != tc.want {
			t.Errorf("%s: sampled %v, want %v", tc.name, got, tc.want)
		}
	}
	miss := string(AppendServerTiming(nil, Timing{Result: "Miss", Pop: "LOCAL1", RequestID: `r"id`, Upstream: true, UpstreamFirstByte: 12 * time.Millisecond, DownstreamFirstByte: 15 * time.Millisecond}))
	if want := `cdn-cache-miss,cdn-pop;desc="LOCAL1",cdn-rid;desc="rid",cdn-upstream-layer;desc="EDGE",cdn-upstream-fbl;dur=12,cdn-downstream-fbl;dur=15`; miss != want {
		t.Errorf("miss:\n got %s\nwant %s", miss, want)
	}
	hit := string(AppendServerTiming(nil, Timing{Result: "Hit", Pop: "LOCAL1", RequestID: "r", DownstreamFirstByte: time.Millisecond}))
	if want := `cdn-cache-hit,cdn-pop;desc="LOCAL1",cdn-rid;desc="r",cdn-hit-layer;desc="EDGE",cdn-downstream-fbl;dur=1`; hit != want {
		t.Errorf("hit:\n got %s\nwant %s", hit, want)
	}
}
