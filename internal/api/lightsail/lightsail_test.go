package lightsail

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"openfront/internal/control"
	"openfront/internal/model"
	"openfront/internal/stats"
	"openfront/internal/store"
	"openfront/internal/store/boltstore"
	"openfront/internal/store/storetest"
	"openfront/internal/tlsconfig"
)

type fixture struct {
	h     *Handler
	store *boltstore.Store
	ctl   *control.Control
	stats *stats.Recorder
}

func newFixture(t *testing.T, edit ...func(*control.Settings)) *fixture {
	t.Helper()
	return newFixtureOn(t, nil, edit...)
}

// newFixtureOn is newFixture with control on wrap(store) when wrap is not
// nil.
func newFixtureOn(t *testing.T, wrap func(store.Store) store.Store, edit ...func(*control.Settings)) *fixture {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "openfront.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	settings := control.Settings{AccountID: "123456789012", DomainSuffix: "cloudfront.localhost",
		LightsailOrigins: map[string]string{"web": "127.0.0.1:8081", "v6": "[::1]:9000", "plain": "origin.example"}}
	for _, e := range edit {
		e(&settings)
	}
	var controlStore store.Store = st
	if wrap != nil {
		controlStore = wrap(st)
	}
	ctl := control.New(controlStore, nil, settings)
	rec := stats.New(0)
	return &fixture{h: New(ctl, rec, slog.New(slog.NewTextHandler(io.Discard, nil))), store: st, ctl: ctl, stats: rec}
}

func (f *fixture) call(t *testing.T, op, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	req.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s: response is not JSON: %q", op, w.Body.String())
	}
	if w.Code != http.StatusOK && w.Header().Get("X-Amzn-ErrorType") != out["__type"] {
		t.Errorf("%s: X-Amzn-ErrorType %q, __type %q", op, w.Header().Get("X-Amzn-ErrorType"), out["__type"])
	}
	return w.Code, out
}

func (f *fixture) revision(t *testing.T) int64 {
	var rev int64
	f.store.View(context.Background(), func(tx store.ReadTxn) error { rev = tx.Revision(); return nil })
	return rev
}

func (f *fixture) config(t *testing.T, name string) model.Tree {
	t.Helper()
	d, err := f.ctl.LightsailDistribution(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return d.Config
}

const baseCreate = `"origin":{"name":"web","regionName":"us-east-1","protocolPolicy":"http-only"},"bundleId":"small_1_0"`

func TestDerive_settingsToDistributionConfig(t *testing.T) {
	type check struct {
		path []string
		want string
	}
	tests := []struct {
		name   string
		body   string
		checks []check
		parsed func(t *testing.T, c *model.DistributionConfig)
	}{
		{"cache defaults", `"defaultCacheBehavior":{"behavior":"cache"}`, []check{
			{[]string{"DefaultCacheBehavior", "MinTTL"}, "0"},
			{[]string{"DefaultCacheBehavior", "DefaultTTL"}, "86400"},
			{[]string{"DefaultCacheBehavior", "MaxTTL"}, "31536000"},
			{[]string{"DefaultCacheBehavior", "ForwardedValues", "QueryString"}, "false"},
			{[]string{"DefaultCacheBehavior", "ForwardedValues", "Cookies", "Forward"}, "none"},
			{[]string{"Enabled"}, "true"},
			{[]string{"Aliases", "Quantity"}, "0"},
		}, func(t *testing.T, c *model.DistributionConfig) {
			// The stored config holds the origin name unresolved: each
			// edge resolves it through its own --lightsail-origin map
			// (snapshot.compileLightsail).
			o := c.Origins[0]
			if o.DomainName != "web" || o.Custom.HTTPPort != 80 || o.Custom.HTTPSPort != 443 || o.Custom.ProtocolPolicy != "http-only" {
				t.Errorf("origin = %+v %+v", o, o.Custom)
			}
			if o.Custom.ReadTimeout != 30*time.Second {
				t.Errorf("read timeout %v", o.Custom.ReadTimeout)
			}
			if len(c.DefaultBehavior.AllowedMethods) != 7 || len(c.DefaultBehavior.CachedMethods) != 2 {
				t.Errorf("methods %v %v", c.DefaultBehavior.AllowedMethods, c.DefaultBehavior.CachedMethods)
			}
		}},
		{"dont-cache default with cache paths", `"defaultCacheBehavior":{"behavior":"dont-cache"},
			"cacheBehaviorSettings":{"minimumTTL":10,"defaultTTL":60,"maximumTTL":600},
			"cacheBehaviors":[{"path":"static/","behavior":"cache"},{"path":"*.css","behavior":"dont-cache"}]`, []check{
			{[]string{"DefaultCacheBehavior", "MinTTL"}, "0"},
			{[]string{"DefaultCacheBehavior", "DefaultTTL"}, "0"},
			{[]string{"DefaultCacheBehavior", "MaxTTL"}, "0"},
			{[]string{"CacheBehaviors", "Quantity"}, "2"},
		}, func(t *testing.T, c *model.DistributionConfig) {
			b0, b1 := c.Behaviors[0], c.Behaviors[1]
			if b0.PathPattern != "static/*" || b0.MinTTL != 10 || b0.DefaultTTL != 60 || b0.MaxTTL != 600 {
				t.Errorf("behavior 0 = %s %d/%d/%d", b0.PathPattern, b0.MinTTL, b0.DefaultTTL, b0.MaxTTL)
			}
			if b1.PathPattern != "*.css" || b1.MaxTTL != 0 {
				t.Errorf("behavior 1 = %s max %d", b1.PathPattern, b1.MaxTTL)
			}
		}},
		{"forwarded values", `"defaultCacheBehavior":{"behavior":"cache"},"cacheBehaviorSettings":{
			"allowedHTTPMethods":"GET,HEAD,OPTIONS","cachedHTTPMethods":"GET,HEAD,OPTIONS",
			"forwardedCookies":{"option":"allow-list","cookiesAllowList":["session"]},
			"forwardedHeaders":{"option":"allow-list","headersAllowList":["Accept","Origin"]},
			"forwardedQueryStrings":{"option":false,"queryStringsAllowList":["v"]}}`, nil,
			func(t *testing.T, c *model.DistributionConfig) {
				f := c.DefaultBehavior.Forwarded
				if f.CookieForward != "whitelist" || f.CookieNames[0] != "session" || len(f.Headers) != 2 || !f.QueryString || f.QueryStringCacheKeys[0] != "v" {
					t.Errorf("forwarded = %+v", f)
				}
				if len(c.DefaultBehavior.AllowedMethods) != 3 || len(c.DefaultBehavior.CachedMethods) != 3 {
					t.Errorf("methods %v %v", c.DefaultBehavior.AllowedMethods, c.DefaultBehavior.CachedMethods)
				}
			}},
		{"all headers and cookies, https, ipv6 origin", `"defaultCacheBehavior":{"behavior":"cache"},
			"origin":{"name":"v6","protocolPolicy":"https-only","responseTimeout":5},
			"cacheBehaviorSettings":{"forwardedCookies":{"option":"all"},"forwardedHeaders":{"option":"all"},"forwardedQueryStrings":{"option":true}}`, nil,
			func(t *testing.T, c *model.DistributionConfig) {
				f := c.DefaultBehavior.Forwarded
				if f.CookieForward != "all" || len(f.Headers) != 1 || f.Headers[0] != "*" || !f.QueryString || len(f.QueryStringCacheKeys) != 0 {
					t.Errorf("forwarded = %+v", f)
				}
				o := c.Origins[0]
				if o.DomainName != "v6" || o.Custom.HTTPSPort != 443 || o.Custom.ProtocolPolicy != "https-only" || o.Custom.ReadTimeout != 5*time.Second {
					t.Errorf("origin = %+v %+v", o, o.Custom)
				}
			}},
		{"unmapped origin name is a host", `"defaultCacheBehavior":{"behavior":"cache"},"origin":{"name":"localhost"}`, nil,
			func(t *testing.T, c *model.DistributionConfig) {
				o := c.Origins[0]
				if o.DomainName != "localhost" || o.Custom.HTTPPort != 80 || o.Custom.HTTPSPort != 443 {
					t.Errorf("origin = %+v %+v", o, o.Custom)
				}
			}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			name := "dist-" + string(rune('a'+i))
			body := `{"distributionName":"` + name + `",` + baseCreate + `,` + tt.body + `}`
			// A later "origin" member overrides baseCreate's.
			if code, out := f.call(t, "CreateDistribution", body); code != 200 {
				t.Fatalf("create: %d %v", code, out)
			}
			cfg := f.config(t, name)
			for _, c := range tt.checks {
				if got, _ := model.Str(cfg, c.path...); got != c.want {
					t.Errorf("%v = %q, want %q", c.path, got, c.want)
				}
			}
			parsed, err := model.ParseDistributionConfig(cfg)
			if err != nil {
				t.Fatalf("derived config does not parse: %v", err)
			}
			if tt.parsed != nil {
				tt.parsed(t, parsed)
			}
		})
	}
}

func TestUpdateDistribution_partial(t *testing.T) {
	f := newFixture(t)
	f.call(t, "CreateDistribution", `{"distributionName":"site",`+baseCreate+`,"defaultCacheBehavior":{"behavior":"cache"},
		"cacheBehaviorSettings":{"minimumTTL":1,"defaultTTL":2,"maximumTTL":3}}`)
	code, out := f.call(t, "UpdateDistribution", `{"distributionName":"site","isEnabled":false,"cacheBehaviorSettings":{"maximumTTL":100}}`)
	if code != 200 {
		t.Fatalf("update: %d %v", code, out)
	}
	op := out["operation"].(map[string]any)
	if op["operationType"] != "UpdateDistribution" || op["status"] != "Succeeded" || op["resourceType"] != "Distribution" {
		t.Errorf("operation = %v", op)
	}
	cfg := f.config(t, "site")
	for path, want := range map[string]string{"Enabled": "false", "DefaultCacheBehavior.MinTTL": "1", "DefaultCacheBehavior.DefaultTTL": "2", "DefaultCacheBehavior.MaxTTL": "100"} {
		if got, _ := model.Str(cfg, strings.Split(path, ".")...); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	// A TTL that breaks the order against the stored ones changes nothing.
	rev := f.revision(t)
	if code, out := f.call(t, "UpdateDistribution", `{"distributionName":"site","cacheBehaviorSettings":{"minimumTTL":50}}`); code != 400 || out["__type"] != codeInvalidInput {
		t.Fatalf("bad order: %d %v", code, out)
	}
	if f.revision(t) != rev {
		t.Error("a rejected update changed the store")
	}
}

// TestWrites_storeRunsTwice sends the same writes to a fixture on a store
// whose Update runs its function twice, the first run rolled back
// (storetest.Rerun), as etcdstore does whenever its commit loses to
// another node's write, and to one on the plain store: every write
// succeeds on both and leaves the same config and one operation each.
func TestWrites_storeRunsTwice(t *testing.T) {
	writes := []struct{ op, body string }{
		{"CreateDistribution", `{"distributionName":"site",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},
			"cacheBehaviorSettings":{"forwardedHeaders":{"option":"allow-list","headersAllowList":["Accept"]}},
			"cacheBehaviors":[{"path":"static/","behavior":"cache"}]}`},
		{"UpdateDistribution", `{"distributionName":"site","isEnabled":false,"origin":{"name":"plain"},
			"cacheBehaviorSettings":{"defaultTTL":50,"maximumTTL":100,"forwardedCookies":{"option":"allow-list","cookiesAllowList":["a","b"]},
				"forwardedHeaders":{"headersAllowList":["Accept","Origin"]},"forwardedQueryStrings":{"option":true,"queryStringsAllowList":["v"]}},
			"cacheBehaviors":[{"path":"img/","behavior":"cache"},{"path":"*.css","behavior":"dont-cache"}]}`},
		{"SetIpAddressType", `{"resourceType":"Distribution","resourceName":"site","ipAddressType":"ipv4"}`},
		{"UpdateDistributionBundle", `{"distributionName":"site","bundleId":"medium_1_0"}`},
		{"ResetDistributionCache", `{"distributionName":"site"}`},
		{"DetachCertificateFromDistribution", `{"distributionName":"site"}`},
	}
	run := func(f *fixture) (model.Tree, []any) {
		for _, w := range writes {
			if code, out := f.call(t, w.op, w.body); code != 200 {
				t.Fatalf("%s: %d %v", w.op, code, out)
			}
		}
		_, out := f.call(t, "GetOperationsForResource", `{"resourceName":"site"}`)
		ops, _ := out["operations"].([]any)
		return f.config(t, "site"), ops
	}
	wantCfg, wantOps := run(newFixture(t))
	gotCfg, gotOps := run(newFixtureOn(t, storetest.Rerun))
	if !reflect.DeepEqual(gotCfg, wantCfg) {
		t.Errorf("config after the writes on a store that runs Update twice:\n%v\nwant (one run):\n%v", gotCfg, wantCfg)
	}
	if len(gotOps) != len(writes) || len(wantOps) != len(writes) {
		t.Errorf("%d operations on a store that runs Update twice, %d on the plain store, want %d", len(gotOps), len(wantOps), len(writes))
	}
}

func TestErrors(t *testing.T) {
	f := newFixture(t)
	f.call(t, "CreateDistribution", `{"distributionName":"exists",`+baseCreate+`,"defaultCacheBehavior":{"behavior":"cache"}}`)
	tests := []struct {
		name, op, body, code, msg string
	}{
		{"missing name", "CreateDistribution", `{` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"}}`, codeInvalidInput, "distributionName"},
		{"bad name", "CreateDistribution", `{"distributionName":"-bad",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"}}`, codeInvalidInput, "distributionName"},
		{"name in use", "CreateDistribution", `{"distributionName":"exists",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"}}`, codeInvalidInput, "already in use"},
		{"missing origin", "CreateDistribution", `{"distributionName":"x1","bundleId":"small_1_0","defaultCacheBehavior":{"behavior":"cache"}}`, codeInvalidInput, "origin"},
		{"bad protocol", "CreateDistribution", `{"distributionName":"x1","bundleId":"small_1_0","origin":{"name":"web","protocolPolicy":"match-viewer"},"defaultCacheBehavior":{"behavior":"cache"}}`, codeInvalidInput, "origin.protocolPolicy"},
		{"bad timeout", "CreateDistribution", `{"distributionName":"x1","bundleId":"small_1_0","origin":{"name":"web","responseTimeout":0},"defaultCacheBehavior":{"behavior":"cache"}}`, codeInvalidInput, "origin.responseTimeout"},
		{"bad bundle", "CreateDistribution", `{"distributionName":"x1","origin":{"name":"web"},"bundleId":"huge","defaultCacheBehavior":{"behavior":"cache"}}`, codeInvalidInput, "bundleId"},
		// A distribution is ipv4 or dualstack (API Reference,
		// CreateDistribution ipAddressType); ipv6 only is for origins.
		{"ipv6 distribution", "CreateDistribution", `{"distributionName":"x1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"ipAddressType":"ipv6"}`, codeInvalidInput, "ipAddressType"},
		{"missing behavior", "CreateDistribution", `{"distributionName":"x1",` + baseCreate + `}`, codeInvalidInput, "defaultCacheBehavior"},
		{"bad behavior", "CreateDistribution", `{"distributionName":"x1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"sometimes"}}`, codeInvalidInput, "defaultCacheBehavior.behavior"},
		{"negative ttl", "CreateDistribution", `{"distributionName":"x1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"cacheBehaviorSettings":{"minimumTTL":-1}}`, codeInvalidInput, "minimumTTL"},
		{"ttl order", "CreateDistribution", `{"distributionName":"x1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"cacheBehaviorSettings":{"minimumTTL":10,"defaultTTL":5,"maximumTTL":20}}`, codeInvalidInput, "minimumTTL <= defaultTTL"},
		{"ttl order with defaults", "CreateDistribution", `{"distributionName":"x1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"cacheBehaviorSettings":{"maximumTTL":5}}`, codeInvalidInput, "maximumTTL"},
		{"bad methods", "CreateDistribution", `{"distributionName":"x1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"cacheBehaviorSettings":{"allowedHTTPMethods":"GET,POST"}}`, codeInvalidInput, "allowedHTTPMethods"},
		{"cached not allowed", "CreateDistribution", `{"distributionName":"x1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"cacheBehaviorSettings":{"allowedHTTPMethods":"GET,HEAD","cachedHTTPMethods":"GET,HEAD,OPTIONS"}}`, codeInvalidInput, "cachedHTTPMethods"},
		{"allow-list empty", "CreateDistribution", `{"distributionName":"x1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"cacheBehaviorSettings":{"forwardedCookies":{"option":"allow-list"}}}`, codeInvalidInput, "cookiesAllowList"},
		{"bad header", "CreateDistribution", `{"distributionName":"x1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"cacheBehaviorSettings":{"forwardedHeaders":{"option":"allow-list","headersAllowList":["X-Custom"]}}}`, codeInvalidInput, "headersAllowList"},
		{"all headers min ttl", "CreateDistribution", `{"distributionName":"x1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"cacheBehaviorSettings":{"minimumTTL":5,"forwardedHeaders":{"option":"all"}}}`, codeInvalidInput, "minimumTTL"},
		{"cookie name too long", "CreateDistribution", `{"distributionName":"x1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"cacheBehaviorSettings":{"forwardedCookies":{"option":"allow-list","cookiesAllowList":["` + strings.Repeat("c", 513) + `"]}}}`, codeInvalidInput, "too long"},
		{"bad path", "CreateDistribution", `{"distributionName":"x1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"cacheBehaviors":[{"path":"a b","behavior":"cache"}]}`, codeInvalidInput, "cacheBehaviors[0].path"},
		{"duplicate path", "CreateDistribution", `{"distributionName":"x1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"cacheBehaviors":[{"path":"a/","behavior":"cache"},{"path":"a/*","behavior":"dont-cache"}]}`, codeInvalidInput, "cacheBehaviors[1].path"},
		{"bad tls", "CreateDistribution", `{"distributionName":"x1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"viewerMinimumTlsProtocolVersion":"SSLv3"}`, codeInvalidInput, "viewerMinimumTlsProtocolVersion"},
		{"wrong type", "CreateDistribution", `{"distributionName":"x1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"cacheBehaviorSettings":{"defaultTTL":"long"}}`, codeInvalidInput, "cacheBehaviorSettings.defaultTTL"},
		{"malformed json", "CreateDistribution", `{"distributionName":`, "SerializationException", "JSON"},
		{"get unknown", "GetDistributions", `{"distributionName":"nope"}`, codeNotFound, "nope"},
		{"get bad token", "GetDistributions", `{"pageToken":"!!"}`, codeInvalidInput, "pageToken"},
		{"update unknown", "UpdateDistribution", `{"distributionName":"nope","isEnabled":false}`, codeNotFound, "nope"},
		{"update validates first", "UpdateDistribution", `{"distributionName":"nope","cacheBehaviorSettings":{"defaultTTL":-5}}`, codeInvalidInput, "defaultTTL"},
		{"update cert conflict", "UpdateDistribution", `{"distributionName":"exists","certificateName":"cert1","useDefaultCertificate":true}`, codeInvalidInput, "certificateName"},
		{"update no cert", "UpdateDistribution", `{"distributionName":"exists","useDefaultCertificate":false}`, codeInvalidInput, "certificateName"},
		{"delete unknown", "DeleteDistribution", `{"distributionName":"nope"}`, codeNotFound, "nope"},
		{"delete no name", "DeleteDistribution", `{}`, codeInvalidInput, "distributionName"},
		{"bundle unknown dist", "UpdateDistributionBundle", `{"distributionName":"nope","bundleId":"medium_1_0"}`, codeNotFound, "nope"},
		{"bundle bad id", "UpdateDistributionBundle", `{"distributionName":"exists","bundleId":"x"}`, codeInvalidInput, "bundleId"},
		{"reset unknown", "ResetDistributionCache", `{"distributionName":"nope"}`, codeNotFound, "nope"},
		{"latest reset unknown", "GetDistributionLatestCacheReset", `{"distributionName":"nope"}`, codeNotFound, "nope"},
		{"latest reset bad name", "GetDistributionLatestCacheReset", `{"distributionName":"-x"}`, codeInvalidInput, "distributionName"},
		{"metric unknown dist", "GetDistributionMetricData", metricBody("nope", "Requests", 60, "Count"), codeNotFound, "nope"},
		{"metric bad name", "GetDistributionMetricData", metricBody("exists", "Latency", 60, "Count"), codeInvalidInput, "metricName"},
		{"metric bad period", "GetDistributionMetricData", metricBody("exists", "Requests", 90, "Count"), codeInvalidInput, "period"},
		{"metric bad unit", "GetDistributionMetricData", metricBody("exists", "Requests", 60, "Bytes"), codeInvalidInput, "unit"},
		{"metric rate in None", "GetDistributionMetricData", metricBody("exists", "TotalErrorRate", 60, "None"), codeInvalidInput, "unit"},
		{"metric bytes in Count", "GetDistributionMetricData", metricBody("exists", "BytesUploaded", 60, "Count"), codeInvalidInput, "unit"},
		{"unknown operation", "CreateUnicorns", `{}`, "UnknownOperationException", "CreateUnicorns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rev := f.revision(t)
			code, out := f.call(t, tt.op, tt.body)
			if code != 400 || out["__type"] != tt.code {
				t.Fatalf("got %d %v, want 400 %s", code, out, tt.code)
			}
			if msg, _ := out["message"].(string); !strings.Contains(msg, tt.msg) {
				t.Errorf("message %q does not name %q", msg, tt.msg)
			}
			if modeled[tt.code] && (out["code"] == nil || out["docs"] == nil) {
				t.Errorf("modeled exception without code/docs: %v", out)
			}
			if f.revision(t) != rev {
				t.Error("a rejected call changed the store")
			}
		})
	}
}

func metricBody(name, metric string, period int, unit string) string {
	now := time.Now().Unix()
	b, _ := json.Marshal(map[string]any{"distributionName": name, "metricName": metric, "startTime": now - 600, "endTime": now,
		"period": period, "unit": unit, "statistics": []string{"Sum"}})
	return string(b)
}

func TestBundles_resetsAndMetrics(t *testing.T) {
	f := newFixture(t)
	f.call(t, "CreateDistribution", `{"distributionName":"site",`+baseCreate+`,"defaultCacheBehavior":{"behavior":"cache"}}`)
	_, out := f.call(t, "GetDistributionBundles", `{}`)
	if n := len(out["bundles"].([]any)); n != 3 {
		t.Errorf("%d bundles", n)
	}
	if code, out := f.call(t, "UpdateDistributionBundle", `{"distributionName":"site","bundleId":"medium_1_0"}`); code != 200 {
		t.Fatalf("bundle: %v", out)
	}
	if code, out := f.call(t, "UpdateDistributionBundle", `{"distributionName":"site","bundleId":"large_1_0"}`); code != 400 || out["__type"] != codeOperationFailure {
		t.Fatalf("second bundle change this month: %d %v", code, out)
	}
	if _, out := f.call(t, "GetDistributionLatestCacheReset", `{"distributionName":"site"}`); len(out) != 0 {
		t.Errorf("latest reset before any: %v", out)
	}
	// distributionName is optional: without it, the latest reset of all
	// the distributions (API Reference, GetDistributionLatestCacheReset).
	if code, out := f.call(t, "GetDistributionLatestCacheReset", `{}`); code != 200 || len(out) != 0 {
		t.Errorf("latest reset of all before any: %d %v", code, out)
	}
	_, out = f.call(t, "ResetDistributionCache", `{"distributionName":"site"}`)
	if out["status"] != "InProgress" || out["operation"].(map[string]any)["operationType"] != "ResetDistributionCache" {
		t.Errorf("reset = %v", out)
	}
	// No fleet: every revision counts as applied.
	if _, out := f.call(t, "GetDistributionLatestCacheReset", `{"distributionName":"site"}`); out["status"] != "Completed" {
		t.Errorf("latest reset = %v", out)
	}
	if code, out := f.call(t, "GetDistributionLatestCacheReset", `{}`); code != 200 || out["status"] != "Completed" || out["createTime"] == nil {
		t.Errorf("latest reset of all = %d %v", code, out)
	}
	d, _ := f.ctl.LightsailDistribution(context.Background(), "site")
	// A minute before now: a query whose endTime falls in the first second
	// of a minute does not include that minute (it starts at endTime).
	now := time.Now().Add(-time.Minute)
	f.stats.Record(d.ID, now, "Miss", 200, 10, 100)
	f.stats.Record(d.ID, now, "Error", 404, 0, 50)
	_, out = f.call(t, "GetDistributionMetricData", metricBody("site", "BytesDownloaded", 60, "Bytes"))
	data := out["metricData"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["sum"] != 150.0 {
		t.Errorf("bytes downloaded = %v", out)
	}
	_, out = f.call(t, "GetDistributionMetricData", metricBody("site", "Http4xxErrorRate", 60, "Percent"))
	if data := out["metricData"].([]any); len(data) != 1 || data[0].(map[string]any)["sum"] != 50.0 {
		t.Errorf("4xx rate = %v", out)
	}
	// Each metric in the unit AWS documents as published ("None" for the
	// counts, GetDistributionMetricData's metricName) and in its natural
	// unit; datapoints carry the unit asked for.
	for _, tt := range []struct {
		metric, unit string
		sum          float64
	}{
		{"Requests", "None", 2}, {"Requests", "Count", 2},
		{"BytesDownloaded", "None", 150}, {"BytesDownloaded", "Bytes", 150},
		{"BytesUploaded", "None", 10}, {"BytesUploaded", "Bytes", 10},
		{"TotalErrorRate", "Percent", 50}, {"Http5xxErrorRate", "Percent", 0},
	} {
		code, out := f.call(t, "GetDistributionMetricData", metricBody("site", tt.metric, 60, tt.unit))
		data, _ := out["metricData"].([]any)
		if code != 200 || len(data) != 1 || data[0].(map[string]any)["sum"] != tt.sum || data[0].(map[string]any)["unit"] != tt.unit {
			t.Errorf("%s in %s: %d %v, want sum %v", tt.metric, tt.unit, code, out, tt.sum)
		}
	}
	if code, _ := f.call(t, "DeleteDistribution", `{"distributionName":"site"}`); code != 200 {
		t.Fatal("delete failed")
	}
	if _, out := f.call(t, "GetDistributions", `{}`); len(out["distributions"].([]any)) != 0 {
		t.Errorf("after delete: %v", out)
	}
}

func TestGetDistributions_pages(t *testing.T) {
	f := newFixture(t)
	n := control.LightsailPageSize + 3
	for i := range n {
		f.call(t, "CreateDistribution", `{"distributionName":"d`+strings.Repeat("x", i+1)+`",`+baseCreate+`,"defaultCacheBehavior":{"behavior":"cache"}}`)
	}
	seen, token := 0, ""
	for pages := 0; ; pages++ {
		body := `{}`
		if token != "" {
			body = `{"pageToken":"` + token + `"}`
		}
		_, out := f.call(t, "GetDistributions", body)
		seen += len(out["distributions"].([]any))
		token, _ = out["nextPageToken"].(string)
		if token == "" {
			if pages != 1 {
				t.Errorf("%d pages", pages+1)
			}
			break
		}
	}
	if seen != n {
		t.Errorf("saw %d of %d", seen, n)
	}
}

// FuzzDecodeRequests feeds arbitrary bodies to every operation's decoder:
// none may panic, and a CreateDistribution body that passes validation
// must derive a config the edge's parser accepts.
func FuzzDecodeRequests(f *testing.F) {
	f.Add([]byte(`{"distributionName":"a1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"cacheBehaviors":[{"path":"x/","behavior":"dont-cache"}]}`))
	f.Add([]byte(`{"distributionName":"a1","origin":{"name":"a_b"},"bundleId":"small_1_0","defaultCacheBehavior":{"behavior":"dont-cache"},"cacheBehaviorSettings":{"forwardedHeaders":{"option":"all"},"forwardedCookies":{"option":"allow-list","cookiesAllowList":["c"]},"forwardedQueryStrings":{"option":false,"queryStringsAllowList":["q"]}}}`))
	f.Add([]byte(`{"distributionName":"a1","metricName":"Requests","startTime":1.5,"endTime":"2024-01-01T00:00:00Z","period":60,"unit":"Count","statistics":["Sum"]}`))
	f.Add([]byte(`{"distributionName":"a1","isEnabled":false,"useDefaultCertificate":false,"certificateName":"c1"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"distributionName":"a1",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"cacheBehaviorSettings":{"forwardedHeaders":{"option":"default","headersAllowList":[]}}}`))
	f.Add([]byte(`{"operationId":"0f5c1a2e-6a3b-4c1d-9e8f-0123456789ab","pageToken":"b3AtMQ","resourceName":"a1"}`))
	f.Add([]byte(`{"resourceType":"Distribution","resourceName":"a1","ipAddressType":"ipv6","acceptBundleUpdate":true}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := parseCreateDistribution(body)
		if err == nil {
			cfg := model.LightsailDistributionConfig(&in.Settings, model.LightsailOriginAddress{Host: in.Settings.Origin.Name, HTTPPort: 80, HTTPSPort: 443}, "fuzz")
			if _, err := model.ParseDistributionConfig(cfg); err != nil {
				t.Fatalf("valid settings derive a config that does not parse: %v\n%s", err, body)
			}
		}
		if u, err := parseUpdateDistribution(body); err == nil {
			s := model.LightsailSettings{Cache: model.DefaultLightsailCacheSettings()}
			_ = u.apply(&s)
		}
		parseGetDistributions(body)
		parseName(body)
		parseUpdateDistributionBundle(body)
		parseGetDistributionMetricData(body)
		parseGetOperation(body)
		parseGetOperations(body, true)
		parseSetIPAddressType(body)
	})
}

// TestCertificateName: a certificateName is served as CloudFront serves a
// ViewerCertificate's: it must be in the operator's certificate directory
// (lightsail+<name>.crt/.key) and valid now. A missing one gets
// NotFoundException, an expired one InvalidInputException, on create and
// update; the one that is there becomes the derived config's certificate
// with viewerMinimumTlsProtocolVersion as its policy.
func TestCertificateName(t *testing.T) {
	certs, err := tlsconfig.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	writeCertificate(t, certs, tlsconfig.LightsailCertificate("Blog_Cert"), now.Add(-time.Hour), now.Add(24*time.Hour))
	writeCertificate(t, certs, tlsconfig.LightsailCertificate("old-cert"), now.Add(-48*time.Hour), now.Add(-time.Hour))
	f := newFixture(t, func(s *control.Settings) { s.Certificates = certs })
	create := func(name, cert string) string {
		return `{"distributionName":"` + name + `",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"certificateName":"` + cert + `","viewerMinimumTlsProtocolVersion":"TLSv1.2_2019"}`
	}
	tests := []struct{ name, op, body, code, msg string }{
		{"create, missing", "CreateDistribution", create("c1", "nope"), codeNotFound, `"nope" does not exist`},
		{"create, expired", "CreateDistribution", create("c2", "old-cert"), codeInvalidInput, "expired"},
		{"create, present", "CreateDistribution", create("c3", "Blog_Cert"), "", ""},
		{"update, missing", "UpdateDistribution", `{"distributionName":"c3","certificateName":"gone"}`, codeNotFound, `"gone" does not exist`},
		{"update, expired", "UpdateDistribution", `{"distributionName":"c3","certificateName":"old-cert"}`, codeInvalidInput, "expired"},
		{"update, back to the default", "UpdateDistribution", `{"distributionName":"c3","useDefaultCertificate":true}`, "", ""},
		{"update, present", "UpdateDistribution", `{"distributionName":"c3","certificateName":"Blog_Cert"}`, "", ""},
	}
	for _, tc := range tests {
		status, out := f.call(t, tc.op, tc.body)
		if tc.code == "" {
			if status != http.StatusOK {
				t.Errorf("%s: %d %v, want 200", tc.name, status, out)
			}
			continue
		}
		msg, _ := out["message"].(string)
		if status != http.StatusBadRequest || out["__type"] != tc.code || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: %d %v %q, want 400 %s with %q", tc.name, status, out["__type"], msg, tc.code, tc.msg)
		}
	}
	vc := model.Sub(f.config(t, "c3"), "ViewerCertificate")
	if vc["IAMCertificateId"] != tlsconfig.LightsailCertificate("Blog_Cert") || vc["MinimumProtocolVersion"] != "TLSv1.2_2019" || vc["CloudFrontDefaultCertificate"] != nil {
		t.Errorf("derived ViewerCertificate %v, want the named certificate with TLSv1.2_2019", vc)
	}
	if _, out := f.call(t, "GetDistributions", `{"distributionName":"c3"}`); !strings.Contains(fmtJSON(out), `"certificateName":"Blog_Cert"`) {
		t.Errorf("GetDistributions: %s, want certificateName Blog_Cert", fmtJSON(out))
	}
}

func fmtJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// writeCertificate puts a self-signed P-256 certificate valid in
// [from, to) under name's files in the store's directory.
func writeCertificate(t *testing.T, s *tlsconfig.Store, name string, from, to time.Time) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "blog.example.com"}, DNSNames: []string{"blog.example.com"}, NotBefore: from, NotAfter: to}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	cf, kf, err := s.Paths(name)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
}

// TestCertificateName_domains: a distribution with a certificate serves
// the certificate's domains ("After the certificate is attached, your
// distribution accepts HTTPS traffic for all of the domains that are
// associated with the certificate"): they are its alternativeDomainNames
// and its derived config's aliases; one domain is served by one
// distribution at a time, and going back to the default certificate or
// deleting the distribution frees it.
func TestCertificateName_domains(t *testing.T) {
	certs, err := tlsconfig.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	writeCertificate(t, certs, tlsconfig.LightsailCertificate("Blog_Cert"), now.Add(-time.Hour), now.Add(24*time.Hour))
	f := newFixture(t, func(s *control.Settings) { s.Certificates = certs })
	create := func(name string) string {
		return `{"distributionName":"` + name + `",` + baseCreate + `,"defaultCacheBehavior":{"behavior":"cache"},"certificateName":"Blog_Cert"}`
	}
	domains := func(name string) string {
		_, out := f.call(t, "GetDistributions", `{"distributionName":"`+name+`"}`)
		ds, _ := out["distributions"].([]any)
		if len(ds) != 1 {
			t.Fatalf("GetDistributions %s: %v", name, out)
		}
		return fmtJSON(ds[0].(map[string]any)["alternativeDomainNames"])
	}
	refused := func(step, op, body string) {
		t.Helper()
		status, out := f.call(t, op, body)
		msg, _ := out["message"].(string)
		if status != http.StatusBadRequest || out["__type"] != codeInvalidInput || !strings.Contains(msg, "blog.example.com") {
			t.Errorf("%s: %d %v %q, want InvalidInputException naming the domain", step, status, out["__type"], msg)
		}
	}
	ok := func(step, op, body string) {
		t.Helper()
		if status, out := f.call(t, op, body); status != http.StatusOK {
			t.Fatalf("%s: %d %v", step, status, out)
		}
	}

	ok("create d1", "CreateDistribution", create("d1"))
	if got := domains("d1"); got != `["blog.example.com"]` {
		t.Errorf("d1 alternativeDomainNames %s, want the certificate's domain", got)
	}
	if aliases := model.Sub(f.config(t, "d1"), "Aliases"); fmtJSON(aliases) != `{"Items":["blog.example.com"],"Quantity":"1"}` {
		t.Errorf("d1 derived Aliases %s", fmtJSON(aliases))
	}
	refused("create d2 with the same domain", "CreateDistribution", create("d2"))
	ok("d1 back to the default certificate", "UpdateDistribution", `{"distributionName":"d1","useDefaultCertificate":true}`)
	if got := domains("d1"); got != `[]` {
		t.Errorf("d1 alternativeDomainNames %s after detaching, want none", got)
	}
	ok("create d2 once the domain is free", "CreateDistribution", create("d2"))
	refused("d1 takes the certificate again", "UpdateDistribution", `{"distributionName":"d1","certificateName":"Blog_Cert"}`)
	ok("delete d2", "DeleteDistribution", `{"distributionName":"d2"}`)
	ok("d1 takes it after the delete", "UpdateDistribution", `{"distributionName":"d1","certificateName":"Blog_Cert"}`)
	if got := domains("d1"); got != `["blog.example.com"]` {
		t.Errorf("d1 alternativeDomainNames %s, want the certificate's domain again", got)
	}

	// AttachCertificateToDistribution and DetachCertificateFromDistribution
	// are the same change.
	ok("detach from d1", "DetachCertificateFromDistribution", `{"distributionName":"d1"}`)
	if got := domains("d1"); got != `[]` {
		t.Errorf("d1 alternativeDomainNames %s after DetachCertificateFromDistribution", got)
	}
	ok("attach to d1", "AttachCertificateToDistribution", `{"distributionName":"d1","certificateName":"Blog_Cert"}`)
	if got := domains("d1"); got != `["blog.example.com"]` {
		t.Errorf("d1 alternativeDomainNames %s after AttachCertificateToDistribution", got)
	}
	for _, tc := range []struct{ name, op, body, code string }{
		{"attach without a certificate", "AttachCertificateToDistribution", `{"distributionName":"d1"}`, codeInvalidInput},
		{"attach a missing certificate", "AttachCertificateToDistribution", `{"distributionName":"d1","certificateName":"nope"}`, codeNotFound},
		{"attach to a missing distribution", "AttachCertificateToDistribution", `{"distributionName":"zz","certificateName":"Blog_Cert"}`, codeNotFound},
		{"detach without a name", "DetachCertificateFromDistribution", `{}`, codeInvalidInput},
		{"attach, not JSON", "AttachCertificateToDistribution", `{"distributionName":`, "SerializationException"},
	} {
		if status, out := f.call(t, tc.op, tc.body); status != http.StatusBadRequest || out["__type"] != tc.code {
			t.Errorf("%s: %d %v, want 400 %s", tc.name, status, out, tc.code)
		}
	}
}

// TestGetDistributions_originAsGiven: GetDistributions shows the origin
// name the user gave, and originPublicDNS where this node's
// --lightsail-origin map sends it; the stored derived config holds the
// name unresolved, so nothing stored depends on one node's map.
func TestGetDistributions_originAsGiven(t *testing.T) {
	f := newFixture(t)
	if code, out := f.call(t, "CreateDistribution", `{"distributionName":"site",`+baseCreate+`,"defaultCacheBehavior":{"behavior":"cache"}}`); code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	code, out := f.call(t, "GetDistributions", `{"distributionName":"site"}`)
	if code != 200 {
		t.Fatalf("get: %d %v", code, out)
	}
	d := out["distributions"].([]any)[0].(map[string]any)
	if name := d["origin"].(map[string]any)["name"]; name != "web" || d["originPublicDNS"] != "127.0.0.1" {
		t.Errorf("origin.name %v, originPublicDNS %v; want web, 127.0.0.1", name, d["originPublicDNS"])
	}
	if host, _ := model.Str(model.Items(f.config(t, "site"), "Origins")[0].(model.Tree), "DomainName"); host != "web" {
		t.Errorf("stored origin %q, want the name web", host)
	}
}
