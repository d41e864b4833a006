package edge

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"openfront/internal/functions"
	"openfront/internal/geo"
	"openfront/internal/geo/geotest"
	"openfront/internal/model"
)

// rawRequest sends one raw HTTP/1.1 request to the edge at url and returns
// the response with its body read.
func rawRequest(t *testing.T, url, raw string) (*http.Response, string) {
	t.Helper()
	resp, body, _ := rawExchange(t, strings.TrimPrefix(url, "http://"), "", raw)
	return resp, body
}

// hiddenFromFunctions are request headers a viewer may send that edge
// functions never see ("Restrictions on all edge functions", "Disallowed
// headers"), and CloudFront-* headers, which only the edge sets.
const hiddenFromFunctions = "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nProxy-Authorization: Basic eA==\r\n" +
	"Upgrade: h2c\r\nX-Accel-Redirect: /internal\r\nX-Amz-Cf-Id: forged\r\nX-Amzn-RequestId: forged\r\n" +
	"X-Cache: forged\r\nX-Edge-Foo: 1\r\nX-Forwarded-Proto: https\r\nX-Real-IP: 6.6.6.6\r\nx-amz-cf-pop: forged\r\n" +
	"CloudFront-Viewer-Country: FR\r\nCloudFront-Viewer-Address: 1.2.3.4:5\r\nCloudFront_Is_Mobile_Viewer: true\r\n"

// The viewer-request event shows no disallowed header and none of the
// viewer's CloudFront-* headers; the viewer-response event shows none of
// the edge's X-Cache, X-Amz-Cf-Id and X-Amz-Cf-Pop, which the viewer
// still gets.
func TestFunctions_disallowedHeadersHidden(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	fe := newFunctionEdge(t, o, map[string]string{
		functions.ViewerRequest: `
function handler(event) {
  if (event.request.uri === "/show") {
    return {statusCode: 200, body: JSON.stringify(Object.keys(event.request.headers).sort())};
  }
  return event.request;
}`,
		functions.ViewerResponse: `
function handler(event) {
  var r = event.response;
  r.headers["x-seen"] = {value: Object.keys(r.headers).sort().join(",")};
  return r;
}`,
	}, nil)
	_, body := rawRequest(t, fe.url, "GET /show HTTP/1.1\r\nHost: "+testHost+"\r\n"+hiddenFromFunctions+"X-Custom: kept\r\n\r\n")
	var names []string
	if err := json.Unmarshal([]byte(body), &names); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if want := []string{"host", "x-custom"}; strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("viewer-request headers %v, want %v", names, want)
	}

	for _, target := range []string{"/page", "/page"} { // a miss, then a hit
		resp, body := rawRequest(t, fe.url, "GET "+target+" HTTP/1.1\r\nHost: "+testHost+"\r\n"+hiddenFromFunctions+"\r\n")
		if resp.StatusCode != 200 || body != "body of /page" {
			t.Fatalf("%s: %d %q", target, resp.StatusCode, body)
		}
		seen := resp.Header.Get("X-Seen")
		for _, name := range strings.Split(seen, ",") {
			if functions.IsDisallowedHeader(name) {
				t.Errorf("viewer-response event shows %s (%s)", name, seen)
			}
		}
		if !strings.Contains(seen, "via") || !strings.Contains(seen, "content-type") {
			t.Errorf("viewer-response event lacks via or content-type: %s", seen)
		}
		if resp.Header.Get("X-Cache") == "" || resp.Header.Get("X-Amz-Cf-Id") == "" || resp.Header.Get("X-Amz-Cf-Pop") == "" || resp.Header.Get("Via") == "" {
			t.Errorf("the edge's own headers are missing after the function: %v", resp.Header)
		}
		if resp.Header.Get("X-Amz-Cf-Id") == "forged" {
			t.Error("the viewer's X-Amz-Cf-Id came back")
		}
	}
}

// A function that adds a disallowed header, or adds or edits a read-only
// one, fails validation: 502 FunctionValidationError, nothing reaches the
// origin, and no forged header reaches the viewer ("Restrictions on all
// edge functions", "HTTP headers").
func TestFunctions_headerRulesRefused(t *testing.T) {
	o := newTestOrigin(t, okHandler(""))
	cases := []struct {
		name, event, code string
	}{
		{"request host", functions.ViewerRequest, `r.headers.host = {value: "evil.example"}`},
		{"request x-amz-cf-id", functions.ViewerRequest, `r.headers["x-amz-cf-id"] = {value: "x"}`},
		{"request connection", functions.ViewerRequest, `r.headers.connection = {value: "close"}`},
		{"request x-forwarded-proto", functions.ViewerRequest, `r.headers["x-forwarded-proto"] = {value: "https"}`},
		{"request transfer-encoding", functions.ViewerRequest, `r.headers["transfer-encoding"] = {value: "chunked"}`},
		{"request content-length", functions.ViewerRequest, `r.headers["content-length"] = {value: "5"}`},
		{"request x-real-ip", functions.ViewerRequest, `r.headers["x-real-ip"] = {value: "1.2.3.4"}`},
		{"request x-edge-foo", functions.ViewerRequest, `r.headers["x-edge-foo"] = {value: "1"}`},
		{"request via", functions.ViewerRequest, `r.headers.via = {value: "me"}`},
		{"request X-Cache in a generated response", functions.ViewerRequest, `return {statusCode: 200, headers: {"x-cache": {value: "Hit from cloudfront"}}}`},
		{"response x-cache", functions.ViewerResponse, `r.headers["x-cache"] = {value: "forged"}`},
		{"response via", functions.ViewerResponse, `r.headers.via = {value: "me"}`},
		{"response warning", functions.ViewerResponse, `r.headers.warning = {value: "199 - x"}`},
		{"response connection", functions.ViewerResponse, `r.headers.connection = {value: "close"}`},
		{"response x-amz-cf-pop", functions.ViewerResponse, `r.headers["x-amz-cf-pop"] = {value: "X"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fe := newFunctionEdge(t, o, map[string]string{tc.event: `
function handler(event) {
  var r = event.response || event.request;
  ` + tc.code + `;
  return r;
}`}, nil)
			path := "/" + strings.ReplaceAll(tc.name, " ", "-")
			resp, _ := fe.send(t, "GET", path, nil)
			if resp.StatusCode != 502 || resp.Header.Get("X-Cache") != "FunctionValidationError from cloudfront" {
				t.Fatalf("%d X-Cache %q, want 502 FunctionValidationError", resp.StatusCode, resp.Header.Get("X-Cache"))
			}
			if tc.event == functions.ViewerRequest && o.count(path) != 0 {
				t.Error("the request reached the origin")
			}
			if v := resp.Header.Get("Via"); strings.Contains(v, "me") || resp.Header.Get("X-Amz-Cf-Pop") == "X" || resp.Header.Get("Warning") != "" {
				t.Errorf("a forged header reached the viewer: %v", resp.Header)
			}
		})
	}
}

// Removing a read-only header has no effect, and a request function that
// edits other headers leaves the viewer's Via chain to the origin.
func TestFunctions_readOnlyHeadersKept(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Warning", "110 - stale")
		io.WriteString(w, "ok")
	})
	fe := newFunctionEdge(t, o, map[string]string{
		functions.ViewerRequest: `
function handler(event) { var r = event.request; delete r.headers.via; r.headers["x-fn"] = {value: "1"}; return r; }`,
		functions.ViewerResponse: `
function handler(event) { var r = event.response; delete r.headers.via; delete r.headers.warning; return r; }`,
	}, nil)
	resp, _ := fe.send(t, "GET", "/p", http.Header{"Via": {"1.1 viewer-proxy"}})
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Via"), "CloudFront") || resp.Header.Get("Warning") != "110 - stale" {
		t.Errorf("viewer got %d %v", resp.StatusCode, resp.Header)
	}
	if h := o.lastHeader(); !strings.HasPrefix(h.Get("Via"), "1.1 viewer-proxy, ") || h.Get("X-Fn") != "1" {
		t.Errorf("origin got Via %q, X-Fn %q", h.Get("Via"), h.Get("X-Fn"))
	}
}

// A query string a function writes: spaces, control characters and '#'
// fail validation; non-ASCII is forwarded UTF-8 percent-encoded; nothing
// a function writes breaks the origin's request line ("Restrictions on
// all edge functions", "Query strings" and "URI, query string, and
// headers encoding"). The URI with its query string must be less than
// 8,192 characters ("URI").
func TestFunctions_queryStringRules(t *testing.T) {
	var mu sync.Mutex
	lastQuery := ""
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		lastQuery = r.URL.RawQuery
		mu.Unlock()
		io.WriteString(w, "ok")
	})
	forwardQuery := func(c model.Tree) {
		model.Sub(model.Sub(c, "DefaultCacheBehavior"), "ForwardedValues")["QueryString"] = "true"
	}
	cases := []struct {
		name, code, target string
		status             int
		query              string // the origin's, when 200
	}{
		{"space", `r.querystring.q = {value: "a b"}`, "/p", 502, ""},
		{"fragment", `r.querystring.q = {value: "a#frag"}`, "/p", 502, ""},
		{"tab", `r.querystring.q = {value: "a\tb"}`, "/p", 502, ""},
		{"U+0001", `r.querystring.q = {value: "a\u0001b"}`, "/p", 502, ""},
		{"CR LF", `r.querystring.q = {value: "a\r\nX-Injected: 1"}`, "/p", 502, ""},
		{"DEL", `r.querystring.q = {value: "a\u007f"}`, "/p", 502, ""},
		{"C1 control", `r.querystring.q = {value: "a\u0085"}`, "/p", 502, ""},
		{"space in a name", `r.querystring["a b"] = {value: "1"}`, "/p", 502, ""},
		{"space in a multiValue", `r.querystring.q = {value: "a", multiValue: [{value: "a"}, {value: "b c"}]}`, "/p", 502, ""},
		{"utf-8 value", `r.querystring.q = {value: "é"}`, "/p", 200, "q=%C3%A9"},
		{"utf-8 name", `r.querystring["ü"] = {value: "1"}`, "/p", 200, "%C3%BC=1"},
		{"percent-encoded kept", `r.querystring.q = {value: "a%20b%23c"}`, "/p", 200, "q=a%20b%23c"},
		{"unchanged query as received", `r.uri = "/u"`, "/p?x=%20&y=%E2%82%AC", 200, "x=%20&y=%E2%82%AC"},
		{"viewer's other values kept", `r.querystring.n = {value: "1"}`, "/p?x=%20", 200, "x=%20&n=1"},
		{"uri 9001 characters", `r.uri = "/" + "a".repeat(9000)`, "/p", 502, ""},
		{"uri and query 8192 characters", `r.uri = "/" + "a".repeat(8184); r.querystring = {q: {value: "1234"}}`, "/p", 502, ""},
		{"uri and query 8191 characters", `r.uri = "/" + "a".repeat(8183); r.querystring = {q: {value: "1234"}}`, "/p", 200, "q=1234"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fe := newFunctionEdge(t, o, map[string]string{functions.ViewerRequest: `
function handler(event) { var r = event.request; ` + tc.code + `; return r; }`}, forwardQuery)
			mu.Lock()
			lastQuery = "(none)"
			mu.Unlock()
			resp, _ := fe.send(t, "GET", tc.target, nil)
			mu.Lock()
			got := lastQuery
			mu.Unlock()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (X-Cache %q), want %d", resp.StatusCode, resp.Header.Get("X-Cache"), tc.status)
			}
			if tc.status == 502 {
				if resp.Header.Get("X-Cache") != "FunctionValidationError from cloudfront" || got != "(none)" {
					t.Errorf("X-Cache %q, origin asked with %q", resp.Header.Get("X-Cache"), got)
				}
				return
			}
			if got != tc.query {
				t.Errorf("origin query %q, want %q", got, tc.query)
			}
		})
	}
	// A viewer's raw UTF-8 (sent unencoded) that the function keeps while
	// changing the query string goes to the origin percent-encoded.
	fe := newFunctionEdge(t, o, map[string]string{functions.ViewerRequest: `
function handler(event) { var r = event.request; r.querystring.n = {value: "1"}; return r; }`}, forwardQuery)
	resp, _ := rawRequest(t, fe.url, "GET /raw?x=\xc3\xa9 HTTP/1.1\r\nHost: "+testHost+"\r\n\r\n")
	mu.Lock()
	got := lastQuery
	mu.Unlock()
	if resp.StatusCode != 200 || got != "x=%C3%A9&n=1" {
		t.Errorf("raw UTF-8 kept by the function: %d, origin query %q", resp.StatusCode, got)
	}
}

// A viewer-request function sees the edge's CloudFront-Viewer-* and
// CloudFront-Is-* headers that the behaviour's policies include, with the
// values the origin gets, never the viewer's copies ("Add CloudFront
// request headers").
func TestFunctions_cloudFrontHeadersInEvent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "geo.mmdb")
	geotest.WriteDB(t, path, map[string]string{"127.0.0.1/32": "DE"})
	db, err := geo.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	o := newTestOrigin(t, okHandler(""))
	code := `
function handler(event) {
  var r = event.request, h = r.headers, seen = [];
  for (var k in h) if (k.indexOf("cloudfront-") === 0) seen.push(k + "=" + h[k].value);
  r.headers["x-fn-seen"] = {value: seen.sort().join(";")};
  return r;
}`
	spoof := "CloudFront-Viewer-Country: FR\r\nCloudFront-Viewer-Address: 1.2.3.4:5\r\nCloudFront-Is-Mobile-Viewer: true\r\n" +
		"User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0\r\n"

	t.Run("policy includes them", func(t *testing.T) {
		fe := newFunctionEdge(t, o, map[string]string{functions.ViewerRequest: code}, func(c model.Tree) {
			b := model.Sub(c, "DefaultCacheBehavior")
			delete(b, "ForwardedValues")
			delete(b, "MinTTL")
			b["CachePolicyId"], b["OriginRequestPolicyId"] = cachingDisabled, allViewerAndCloudFront
		})
		fe.restart(t, func(opts *Options) { opts.Geo = db })
		resp, _ := rawRequest(t, fe.url, "GET /geo HTTP/1.1\r\nHost: "+testHost+"\r\n"+spoof+"\r\n")
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		h := o.lastHeader()
		seen := map[string]string{}
		for _, kv := range strings.Split(h.Get("X-Fn-Seen"), ";") {
			k, v, _ := strings.Cut(kv, "=")
			seen[k] = v
		}
		if seen["cloudfront-viewer-country"] != "DE" || h.Get("Cloudfront-Viewer-Country") != "DE" {
			t.Errorf("country: function saw %q, origin got %q; want DE", seen["cloudfront-viewer-country"], h.Get("Cloudfront-Viewer-Country"))
		}
		for _, name := range []string{"Cloudfront-Viewer-Address", "Cloudfront-Is-Mobile-Viewer", "Cloudfront-Is-Desktop-Viewer", "Cloudfront-Forwarded-Proto", "Cloudfront-Viewer-Http-Version"} {
			if got, want := seen[strings.ToLower(name)], h.Get(name); got == "" || got != want {
				t.Errorf("%s: function saw %q, origin got %q", name, got, want)
			}
		}
		if seen["cloudfront-viewer-address"] == "1.2.3.4:5" || seen["cloudfront-is-mobile-viewer"] != "false" {
			t.Errorf("the function saw the viewer's copies: %v", seen)
		}
	})
	t.Run("policy leaves them out", func(t *testing.T) {
		fe := newFunctionEdge(t, o, map[string]string{functions.ViewerRequest: code}, nil)
		fe.restart(t, func(opts *Options) { opts.Geo = db })
		if resp, _ := rawRequest(t, fe.url, "GET /nogeo HTTP/1.1\r\nHost: "+testHost+"\r\n"+spoof+"\r\n"); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if h := o.lastHeader(); h.Get("X-Fn-Seen") != "" {
			t.Errorf("the function saw CloudFront headers: %q", h.Get("X-Fn-Seen"))
		}
	})
}
