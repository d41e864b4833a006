package edge

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"openfront/internal/accesslog"
	"openfront/internal/fastpath"
	"openfront/internal/functions"
	"openfront/internal/model"
	"openfront/internal/snapshot"
	"openfront/internal/stats"
)

const fnARNPrefix = "arn:aws:cloudfront::123456789012:function/"

// resultLog records what the edge counts: the metric's result and the
// traffic statistics' result type.
type resultLog struct {
	mu      sync.Mutex
	counted []string
	stats   []string
}

func (l *resultLog) Count(result string, n int) {
	l.mu.Lock()
	for range n {
		l.counted = append(l.counted, result)
	}
	l.mu.Unlock()
}
func (l *resultLog) Record(distID string, at time.Time, result string, status int, up, down int64) {
	l.RecordN(distID, at, result, status, 1, up, down)
}
func (l *resultLog) RecordN(_ string, _ time.Time, result string, _ int, n, _, _ int64) {
	l.mu.Lock()
	for range n {
		l.stats = append(l.stats, result)
	}
	l.mu.Unlock()
}
func (l *resultLog) RecordOrigin(string, time.Duration, error)  {}
func (l *resultLog) RecordFunctionRun(string, string, float64)  {}
func (l *resultLog) RecordFunctionError(string, string, string) {}
func (l *resultLog) has(result string) (counted, stats bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(l.counted, result), slices.Contains(l.stats, result)
}
func (l *resultLog) last() (counted, stats string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counted[len(l.counted)-1], l.stats[len(l.stats)-1]
}

// functionEdge is a test edge whose default behaviour associates the
// given functions (event type -> cloudfront-js-2.0 code; "" for none),
// with a /plain/* behaviour without functions. The edge is served over
// loopback HTTP (the returned URL).
type functionEdge struct {
	*testEdge
	url     string
	results *resultLog
}

func newFunctionEdge(t *testing.T, o *testOrigin, code map[string]string, edit func(cfg model.Tree)) *functionEdge {
	t.Helper()
	var assoc []model.Tree
	var recs []*model.FunctionRecord
	for _, et := range []string{functions.ViewerRequest, functions.ViewerResponse} {
		if code[et] == "" {
			continue
		}
		name := strings.ReplaceAll(et, "-", "_")
		live := model.FunctionStage{Version: 1, Runtime: functions.Runtime20, Code: []byte(code[et])}
		recs = append(recs, &model.FunctionRecord{Name: name, Nonce: "n", Development: live, Live: &live})
		assoc = append(assoc, model.Tree{"EventType": et, "FunctionARN": fnARNPrefix + name})
	}
	cfg := distConfig(o, func(c model.Tree) {
		c["DefaultCacheBehavior"].(model.Tree)["FunctionAssociations"] = model.Wrapper(assoc)
		plain := model.Clone(c["DefaultCacheBehavior"].(model.Tree))
		plain["PathPattern"] = "/plain/*"
		delete(plain, "FunctionAssociations")
		c["CacheBehaviors"] = model.Wrapper([]model.Tree{plain})
		if edit != nil {
			edit(c)
		}
	})
	te := newTestEdge(t, cfg)
	results := &resultLog{}
	opts := te.opts
	opts.Count, opts.Stats = results.Count, results
	te.Server = New(opts)
	snap := snapshot.CompileWithFunctions(2, []*model.DistributionRecord{{ID: "E1TEST", DomainName: testHost, Config: cfg}}, recs, nil)
	for _, b := range snap.Lookup(testHost).Behaviors {
		for _, fn := range []*snapshot.Function{b.ViewerRequest, b.ViewerResponse} {
			if fn != nil && fn.Program == nil {
				t.Fatalf("function %s did not compile", fn.Name)
			}
		}
	}
	te.Apply(snap, nil)
	srv := httptest.NewServer(te.Server)
	t.Cleanup(srv.Close)
	return &functionEdge{testEdge: te, url: srv.URL, results: results}
}

// restart serves the same snapshot from a new edge whose options edit
// changed (another origin client, an access log...).
func (fe *functionEdge) restart(t *testing.T, edit func(*Options)) {
	t.Helper()
	opts, snap := fe.opts, fe.snap.Load()
	edit(&opts)
	fe.Server = New(opts)
	fe.Apply(snap, nil)
	srv := httptest.NewServer(fe.Server)
	t.Cleanup(srv.Close)
	fe.url = srv.URL
}

// send makes a request over loopback HTTP to the edge with the
// distribution's Host; the body is read.
func (fe *functionEdge) send(t *testing.T, method, target string, h http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, fe.url+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = testHost
	for k, vs := range h {
		req.Header[k] = vs
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	fe.settle()
	return resp, string(body)
}

// The viewer-request event carries every documented field: version,
// context, viewer, the read-only method, the URI, the query string,
// headers (lower-case, with host, without cookie) and cookies, with
// multiValue for repeated names (functions-event-structure).
func TestFunctions_viewerRequestEvent(t *testing.T) {
	o := newTestOrigin(t, okHandler(""))
	fe := newFunctionEdge(t, o, map[string]string{functions.ViewerRequest: `
function handler(event) {
  try { event.request.method = "DELETE"; } catch (e) {} // read-only
  return {statusCode: 200, headers: {"content-type": {value: "application/json"}},
          body: JSON.stringify({event: event, method: event.request.method})};
}`}, nil)
	resp, body := fe.send(t, "GET", "/dir/a%20b.html?x=1&y=2&x=3", http.Header{
		"Cookie":   {"session=abc; theme=dark; session=def"},
		"X-Custom": {"one", "two"},
	})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got struct {
		Event struct {
			Version string
			Context map[string]string
			Viewer  map[string]string
			Request struct {
				Method, URI                   string
				QueryString, Headers, Cookies map[string]struct {
					Value      string
					MultiValue []struct{ Value string }
				}
			}
		}
		Method string
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	ev := got.Event
	r := ev.Request
	checks := []struct{ what, got, want string }{
		{"version", ev.Version, "1.0"},
		{"context.distributionDomainName", ev.Context["distributionDomainName"], testHost},
		{"context.distributionId", ev.Context["distributionId"], "E1TEST"},
		{"context.eventType", ev.Context["eventType"], "viewer-request"},
		{"context.requestId", ev.Context["requestId"], resp.Header.Get("X-Amz-Cf-Id")},
		{"viewer.ip", ev.Viewer["ip"], "127.0.0.1"},
		{"request.method", r.Method, "GET"},
		{"method after assignment", got.Method, "GET"},
		{"request.uri", r.URI, "/dir/a%20b.html"},
		{"querystring.x", r.QueryString["x"].Value, "1"},
		{"querystring.y", r.QueryString["y"].Value, "2"},
		{"headers.host", r.Headers["host"].Value, testHost},
		{"headers.x-custom", r.Headers["x-custom"].Value, "one"},
		{"cookies.theme", r.Cookies["theme"].Value, "dark"},
		{"cookies.session", r.Cookies["session"].Value, "abc"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if mv := r.QueryString["x"].MultiValue; len(mv) != 2 || mv[1].Value != "3" {
		t.Errorf("querystring.x.multiValue = %+v", mv)
	}
	if mv := r.Headers["x-custom"].MultiValue; len(mv) != 2 || mv[1].Value != "two" {
		t.Errorf("headers.x-custom.multiValue = %+v", mv)
	}
	if mv := r.Cookies["session"].MultiValue; len(mv) != 2 || mv[1].Value != "def" {
		t.Errorf("cookies.session.multiValue = %+v", mv)
	}
	if _, ok := r.Headers["cookie"]; ok {
		t.Error("the cookie header is in headers; cookies are only in cookies")
	}
	if o.count("/dir/a b.html") != 0 {
		t.Error("a generated response went to the origin")
	}
}

// A returned request continues: the new URI, query string, headers and
// cookies are what the origin is asked and what the cache key is made
// of, so two viewer URIs rewritten to one object share it.
func TestFunctions_viewerRequestRewrite(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, r.URL.RequestURI()+" fn="+r.Header.Get("X-Fn")+" cookie="+r.Header.Get("Cookie"))
	})
	fe := newFunctionEdge(t, o, map[string]string{functions.ViewerRequest: `
function handler(event) {
  var r = event.request;
  if (r.uri.endsWith("/")) r.uri += "index.html";
  r.querystring = {lang: {value: "en"}};
  r.headers["x-fn"] = {value: "added"};
  delete r.headers["x-drop"];
  r.cookies = {c: {value: "1"}};
  return r;
}`}, func(c model.Tree) {
		c["DefaultCacheBehavior"].(model.Tree)["ForwardedValues"] = model.Tree{"QueryString": "true",
			"Cookies": model.Tree{"Forward": "all"}, "Headers": model.Wrapper([]string{"X-Fn", "X-Drop"})}
	})
	resp, body := fe.send(t, "GET", "/docs/?q=1", http.Header{"X-Drop": {"x"}, "Cookie": {"viewer=1"}})
	if want := "/docs/index.html?lang=en fn=added cookie=c=1"; body != want || resp.Header.Get("X-Cache") != "Miss from cloudfront" {
		t.Fatalf("first: %q (X-Cache %q), want %q", body, resp.Header.Get("X-Cache"), want)
	}
	if h := o.lastHeader(); h.Get("X-Drop") != "" {
		t.Errorf("a header the function deleted reached the origin: %q", h.Get("X-Drop"))
	}
	// Another viewer URI and query, rewritten to the same request: a hit.
	resp, body = fe.send(t, "GET", "/docs/index.html?q=2", nil)
	if resp.Header.Get("X-Cache") != "Hit from cloudfront" || o.count("/docs/index.html") != 1 {
		t.Fatalf("second: X-Cache %q, origin asked %d times: %q", resp.Header.Get("X-Cache"), o.count("/docs/index.html"), body)
	}
	// A function that touches only the URI: the viewer's headers and
	// cookies go to the origin as they came.
	fe3 := newFunctionEdge(t, o, map[string]string{functions.ViewerRequest: `
function handler(event) { event.request.uri = "/u" + event.request.uri; return event.request; }`}, func(c model.Tree) {
		c["DefaultCacheBehavior"].(model.Tree)["ForwardedValues"] = model.Tree{"QueryString": "true",
			"Cookies": model.Tree{"Forward": "all"}, "Headers": model.Wrapper([]string{"X-Fn"})}
	})
	if _, body := fe3.send(t, "GET", "/p?k=v", http.Header{"X-Fn": {"viewer"}, "Cookie": {"a=1; b=2"}}); body != "/u/p?k=v fn=viewer cookie=a=1; b=2" {
		t.Errorf("uri-only rewrite: %q", body)
	}
	// A URI that is not a path is an invalid return value.
	fe2 := newFunctionEdge(t, o, map[string]string{functions.ViewerRequest: `
function handler(event) { event.request.uri = "/a/%zz"; return event.request; }`}, nil)
	if resp, _ := fe2.send(t, "GET", "/x", nil); resp.StatusCode != 502 || resp.Header.Get("X-Cache") != "FunctionValidationError from cloudfront" {
		t.Errorf("bad uri: %d %q", resp.StatusCode, resp.Header.Get("X-Cache"))
	}
}

// A returned response is sent at once, without the origin: status,
// headers, cookies and body as the function made them, X-Cache
// FunctionGeneratedResponse; the viewer-response function does not run
// on it.
func TestFunctions_generatedResponse(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	fe := newFunctionEdge(t, o, map[string]string{
		functions.ViewerRequest: `
function handler(event) {
  if (event.request.uri === "/old") {
    return {statusCode: 301, statusDescription: "Moved Permanently",
      headers: {location: {value: "https://example.com/new"}, "x-multi": {value: "a", multiValue: [{value: "a"}, {value: "b"}]}},
      cookies: {id: {value: "7", attributes: "Path=/; Secure"}}};
  }
  if (event.request.uri === "/b64") {
    return {statusCode: 200, headers: {"content-type": {value: "application/octet-stream"}}, body: {encoding: "base64", data: "AAEC"}};
  }
  return event.request;
}`,
		functions.ViewerResponse: `
function handler(event) { event.response.headers["x-vr"] = {value: "ran"}; return event.response; }`,
	}, nil)
	resp, _ := fe.send(t, "GET", "/old", nil)
	if resp.StatusCode != 301 || resp.Header.Get("Location") != "https://example.com/new" ||
		!slices.Equal(resp.Header["X-Multi"], []string{"a", "b"}) || resp.Header.Get("Set-Cookie") != "id=7; Path=/; Secure" {
		t.Fatalf("redirect: %d %v", resp.StatusCode, resp.Header)
	}
	if resp.Header.Get("X-Cache") != "FunctionGeneratedResponse from cloudfront" || resp.Header.Get("X-Vr") != "" {
		t.Errorf("X-Cache %q, viewer-response header %q", resp.Header.Get("X-Cache"), resp.Header.Get("X-Vr"))
	}
	if c, s := fe.results.last(); c != "FunctionGeneratedResponse" || s != "FunctionGeneratedResponse" {
		t.Errorf("counted %q, statistics %q", c, s)
	}
	resp, body := fe.send(t, "GET", "/b64", nil)
	if resp.StatusCode != 200 || body != "\x00\x01\x02" || resp.Header.Get("Content-Length") != "3" {
		t.Errorf("base64 body: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if o.count("/old")+o.count("/b64") != 0 {
		t.Error("generated responses went to the origin")
	}
}

// The viewer-response function edits the status and headers of every
// response below 400 (hits included) and is not run for origin errors
// ("Restrictions on edge functions").
func TestFunctions_viewerResponse(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		okHandler("max-age=60")(w, r)
	})
	fe := newFunctionEdge(t, o, map[string]string{functions.ViewerResponse: `
function handler(event) {
  var r = event.response;
  r.headers["strict-transport-security"] = {value: "max-age=63072000"};
  r.headers["x-seen-status"] = {value: String(r.statusCode)};
  r.headers["x-seen-cache"] = {value: r.headers["x-cache"] ? r.headers["x-cache"].value : "none"};
  delete r.headers["content-type"];
  r.cookies["vr"] = {value: "1", attributes: "HttpOnly"};
  if (event.request.uri === "/teapot") r.statusCode = 418;
  if (event.request.uri === "/replaced") r.body = "new body";
  return r;
}`}, nil)
	for i, want := range []string{"Miss from cloudfront", "Hit from cloudfront"} {
		resp, body := fe.send(t, "GET", "/page", nil)
		if resp.StatusCode != 200 || body != "body of /page" || resp.Header.Get("X-Cache") != want {
			t.Fatalf("request %d: %d %q X-Cache %q", i, resp.StatusCode, body, resp.Header.Get("X-Cache"))
		}
		if resp.Header.Get("Strict-Transport-Security") != "max-age=63072000" || resp.Header.Get("X-Seen-Status") != "200" ||
			resp.Header.Get("Set-Cookie") != "vr=1; HttpOnly" || resp.Header.Get("Content-Type") != "" {
			t.Errorf("request %d: headers %v", i, resp.Header)
		}
	}
	if resp, _ := fe.send(t, "GET", "/teapot", nil); resp.StatusCode != 418 {
		t.Errorf("status set by the function: %d", resp.StatusCode)
	}
	if resp, body := fe.send(t, "GET", "/replaced", nil); body != "new body" || resp.Header.Get("Content-Length") != "8" {
		t.Errorf("body set by the function: %q, Content-Length %q", body, resp.Header.Get("Content-Length"))
	}
	resp, _ := fe.send(t, "GET", "/missing", nil)
	if resp.StatusCode != 404 || resp.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("origin 404: %d, function ran: %v", resp.StatusCode, resp.Header.Get("Strict-Transport-Security") != "")
	}
}

// Hostile or broken functions get the status and result type the guide
// documents, in X-Cache, the metrics and the traffic statistics, and
// leave the edge serving: a behaviour without functions answers at once
// while a runaway function is being stopped.
func TestFunctions_failures(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	cases := []struct {
		name, code string
		status     int
		result     string
	}{
		{"throw", `function handler(event) { throw new Error("boom"); }`, 503, functions.ExecutionError},
		{"infinite loop", `function handler(event) { for (;;) {} }`, 503, functions.ThrottledError},
		{"huge allocation", `function handler(event) { var a = new Array(1e9).fill(0); return event.request; }`, 503, functions.ExecutionError},
		{"string doubling", `function handler(event) { var s = "x"; for (;;) s += s; }`, 503, functions.ThrottledError},
		{"deep recursion", `function handler(event) { function f(n) { return f(n + 1) + 1; } return f(0); }`, 503, functions.ExecutionError},
		{"invalid return", `function handler(event) { return 42; }`, 502, functions.ValidationError},
		{"bad status", `function handler(event) { return {statusCode: "nope"}; }`, 502, functions.ValidationError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, et := range []string{functions.ViewerRequest, functions.ViewerResponse} {
				if et == functions.ViewerResponse && tc.name == "bad status" {
					continue
				}
				fe := newFunctionEdge(t, o, map[string]string{et: tc.code}, nil)
				var wg sync.WaitGroup
				wg.Add(1)
				var plain *http.Response
				go func() { // another behaviour, while the function runs
					defer wg.Done()
					plain, _ = fe.send(t, "GET", "/plain/x", nil)
				}()
				resp, body := fe.send(t, "GET", "/fn", nil)
				wg.Wait()
				if resp.StatusCode != tc.status || resp.Header.Get("X-Cache") != tc.result+" from cloudfront" {
					t.Errorf("%s: %d X-Cache %q, want %d %s", et, resp.StatusCode, resp.Header.Get("X-Cache"), tc.status, tc.result)
				}
				if !strings.Contains(body, "CloudFront function") {
					t.Errorf("%s: error page %q", et, body)
				}
				if c, s := fe.results.has(tc.result); !c || !s {
					t.Errorf("%s: %s counted %v, in the statistics %v", et, tc.result, c, s)
				}
				if plain == nil || plain.StatusCode != 200 {
					t.Errorf("%s: the behaviour without functions was not served", et)
				}
				// The edge still runs the function's behaviour afterwards.
				if resp, _ := fe.send(t, "GET", "/fn", nil); resp.StatusCode != tc.status {
					t.Errorf("%s: second run %d", et, resp.StatusCode)
				}
			}
		})
	}
}

// ServeFast declines behaviours with functions (it would skip them), and
// ServeHTTP then runs them on the fast loop; other behaviours keep the
// fast path.
func TestFunctions_fastPathDeclines(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	fe := newFunctionEdge(t, o, map[string]string{functions.ViewerResponse: `
function handler(event) { event.response.headers["x-vr"] = {value: "ran"}; return event.response; }`}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &fastpath.Server{Handler: fe.Server, Fallback: &http.Server{Handler: fe.Server}, IdleTimeout: time.Minute}
	go fs.Serve(ln)
	t.Cleanup(func() { fs.Shutdown(t.Context()) })
	for _, path := range []string{"/fn", "/plain/x"} {
		raw := "GET " + path + " HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n"
		roundTrip(t, ln.Addr().String(), raw)
		fe.settle()
		before := fs.Stats()
		resp := roundTrip(t, ln.Addr().String(), raw)
		how := routeOf(before, fs.Stats())
		switch path {
		case "/fn":
			if how != inLoop || resp.Header.Get("X-Vr") != "ran" || resp.Header.Get("X-Cache") != "Hit from cloudfront" {
				t.Errorf("%s: %s, X-Vr %q, X-Cache %q", path, how, resp.Header.Get("X-Vr"), resp.Header.Get("X-Cache"))
			}
		default:
			if how != answered {
				t.Errorf("%s: %s, want %s", path, how, answered)
			}
		}
	}
}

// uploadLog keeps what an access-log writer delivers.
type uploadLog struct {
	mu    sync.Mutex
	lines []string
}

func (u *uploadLog) Upload(_ context.Context, _, _ string, body []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return err
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			u.lines = append(u.lines, l)
		}
	}
	return nil
}

// The access log names a function's outcome: x-edge-result-type Error and
// the failure in x-edge-detailed-result-type; a generated response is
// FunctionGeneratedResponse.
func TestFunctions_accessLog(t *testing.T) {
	o := newTestOrigin(t, okHandler(""))
	fe := newFunctionEdge(t, o, map[string]string{functions.ViewerRequest: `
function handler(event) {
  if (event.request.uri === "/throw") throw new Error("no");
  return {statusCode: 204};
}`}, func(c model.Tree) {
		c["Logging"] = model.Tree{"Enabled": "true", "IncludeCookies": "false", "Bucket": "logs.s3.amazonaws.com", "Prefix": ""}
	})
	up := &uploadLog{}
	w := accesslog.NewWriter(accesslog.Options{Uploader: up, MaxRecords: 1, FlushInterval: time.Millisecond})
	t.Cleanup(func() { w.Close(context.Background()) })
	fe.restart(t, func(o *Options) { o.AccessLog = w })
	fe.send(t, "GET", "/throw", nil)
	fe.send(t, "GET", "/gen", nil)
	var lines []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		up.mu.Lock()
		lines = slices.Clone(up.lines)
		up.mu.Unlock()
		if len(lines) >= 2 {
			break
		}
	}
	if len(lines) != 2 {
		t.Fatalf("access log lines: %q", lines)
	}
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(strings.Split(a, "\t")[7], strings.Split(b, "\t")[7]) })
	for i, want := range []struct{ uri, result, detailed string }{
		{"/gen", "FunctionGeneratedResponse", "FunctionGeneratedResponse"},
		{"/throw", "Error", functions.ExecutionError},
	} {
		f := strings.Split(lines[i], "\t")
		if f[7] != want.uri || f[13] != want.result || !slices.Contains(f[14:], want.detailed) {
			t.Errorf("%s: result type %q, line %q", want.uri, f[13], lines[i])
		}
	}
}

// A response a viewer-request function generates is sent at once, with
// the behaviour's response headers policy applied like on any other
// response (here the managed SecurityHeadersPolicy); the origin is not
// asked.
func TestFunctions_generatedResponseHeadersPolicy(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	fe := newFunctionEdge(t, o, map[string]string{functions.ViewerRequest: `
function handler(event) {
  return {statusCode: 200, headers: {"content-type": {value: "text/plain"}, "x-frame-options": {value: "DENY"}}, body: "made"};
}`}, func(c model.Tree) {
		c["DefaultCacheBehavior"].(model.Tree)["ResponseHeadersPolicyId"] = "67f7725c-6f97-4210-82d7-5512b31e9d03"
	})
	resp, body := fe.send(t, "GET", "/gen", nil)
	if resp.StatusCode != 200 || body != "made" || resp.Header.Get("X-Cache") != "FunctionGeneratedResponse from cloudfront" {
		t.Fatalf("%d %q X-Cache %q", resp.StatusCode, body, resp.Header.Get("X-Cache"))
	}
	for name, want := range map[string]string{
		"Strict-Transport-Security": "max-age=31536000",
		"X-Content-Type-Options":    "nosniff",
		"X-Frame-Options":           "DENY", // the managed policy does not override what the response has
		"Referrer-Policy":           "strict-origin-when-cross-origin",
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if o.count("/gen") != 0 {
		t.Error("the generated response went to the origin")
	}
}

// The viewer-response event has the request and the response as
// documented: status, lower-case headers with multiValue for repeated
// names, Set-Cookie only in cookies (name, value, attributes, multiValue),
// and the function's edits to multiValue reach the viewer.
func TestFunctions_viewerResponseEvent(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "max-age=60")
		h["X-Multi"] = []string{"a", "b"}
		h["Set-Cookie"] = []string{"id=1; Path=/; HttpOnly", "id=2; Secure", "theme=dark"}
		io.WriteString(w, "origin body")
	})
	fe := newFunctionEdge(t, o, map[string]string{functions.ViewerResponse: `
function handler(event) {
  var r = event.response;
  r.headers["x-event"] = {value: JSON.stringify({ctx: event.context.eventType, uri: event.request.uri, status: r.statusCode,
    multi: r.headers["x-multi"], setCookieInHeaders: "set-cookie" in r.headers, cookies: r.cookies})};
  r.headers["x-multi"].multiValue.push({value: "c"});
  r.cookies["theme"] = {value: "light", attributes: "Max-Age=60"};
  return r;
}`}, func(c model.Tree) {
		c["DefaultCacheBehavior"].(model.Tree)["ForwardedValues"] = model.Tree{"QueryString": "false", "Cookies": model.Tree{"Forward": "all"}}
	})
	resp, body := fe.send(t, "GET", "/page", nil)
	if resp.StatusCode != 200 || body != "origin body" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	var ev struct {
		Ctx, URI string
		Status   int
		Multi    struct {
			Value      string
			MultiValue []struct{ Value string }
		}
		SetCookieInHeaders bool
		Cookies            map[string]struct {
			Value, Attributes string
			MultiValue        []struct{ Value, Attributes string }
		}
	}
	if err := json.Unmarshal([]byte(resp.Header.Get("X-Event")), &ev); err != nil {
		t.Fatalf("%v: %q", err, resp.Header.Get("X-Event"))
	}
	if ev.Ctx != "viewer-response" || ev.URI != "/page" || ev.Status != 200 || ev.SetCookieInHeaders {
		t.Errorf("event %+v", ev)
	}
	if ev.Multi.Value != "a" || len(ev.Multi.MultiValue) != 2 || ev.Multi.MultiValue[1].Value != "b" {
		t.Errorf("headers.x-multi = %+v", ev.Multi)
	}
	id := ev.Cookies["id"]
	if id.Value != "1" || id.Attributes != "Path=/; HttpOnly" || len(id.MultiValue) != 2 || id.MultiValue[1].Value != "2" || id.MultiValue[1].Attributes != "Secure" {
		t.Errorf("cookies.id = %+v", id)
	}
	if !slices.Equal(resp.Header["X-Multi"], []string{"a", "b", "c"}) {
		t.Errorf("X-Multi %q", resp.Header["X-Multi"])
	}
	if sc := resp.Header["Set-Cookie"]; !slices.Contains(sc, "theme=light; Max-Age=60") || !slices.Contains(sc, "id=2; Secure") || slices.Contains(sc, "theme=dark") {
		t.Errorf("Set-Cookie %q", sc)
	}
}

// A returned request's multiValue query string parameters, headers and
// cookies reach the origin as repeated parameters, header lines and
// cookie pairs, and the query string's make the cache key.
func TestFunctions_viewerRequestMultiValue(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, r.URL.RequestURI()+" tag="+strings.Join(r.Header["X-Tag"], "|")+" cookie="+r.Header.Get("Cookie"))
	})
	fe := newFunctionEdge(t, o, map[string]string{functions.ViewerRequest: `
function handler(event) {
  var r = event.request;
  r.querystring.t = {value: "ignored", multiValue: [{value: "a"}, {value: "b"}]};
  r.headers["x-tag"] = {value: "one", multiValue: [{value: "one"}, {value: "two"}]};
  r.cookies.c = {value: "1", multiValue: [{value: "1"}, {value: "2"}]};
  return r;
}`}, func(c model.Tree) {
		c["DefaultCacheBehavior"].(model.Tree)["ForwardedValues"] = model.Tree{"QueryString": "true",
			"Cookies": model.Tree{"Forward": "all"}, "Headers": model.Wrapper([]string{"X-Tag"})}
	})
	resp, body := fe.send(t, "GET", "/mv?x=1", nil)
	if want := "/mv?x=1&t=a&t=b tag=one|two cookie=c=1; c=2"; body != want {
		t.Fatalf("origin saw %q, want %q", body, want)
	}
	if resp.Header.Get("X-Cache") != "Miss from cloudfront" {
		t.Errorf("X-Cache %q", resp.Header.Get("X-Cache"))
	}
	if resp, _ := fe.send(t, "GET", "/mv?x=1", nil); resp.Header.Get("X-Cache") != "Hit from cloudfront" || o.count("/mv") != 1 {
		t.Errorf("second: X-Cache %q, origin asked %d times", resp.Header.Get("X-Cache"), o.count("/mv"))
	}
}

// TestFunctions_metrics: each run of a function is counted for its
// distribution with its compute utilization, and each failure by its
// result type (the per-function metrics of /metrics).
func TestFunctions_metrics(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	fe := newFunctionEdge(t, o, map[string]string{functions.ViewerRequest: `
function handler(event) {
  if (event.request.uri === "/boom") throw new Error("boom");
  if (event.request.uri === "/bad") return {statusCode: "not a status"};
  return event.request;
}`}, nil)
	rec := stats.New(0)
	fe.restart(t, func(o *Options) { o.Stats = rec })
	for _, path := range []string{"/ok", "/ok", "/boom", "/bad"} {
		fe.send(t, "GET", path, nil)
	}
	got := rec.Live()["E1TEST"].Functions["viewer_request"]
	if got.Invocations != 4 {
		t.Errorf("invocations %d, want 4", got.Invocations)
	}
	if got.Errors != [len(stats.FunctionErrors)]int64{1, 1, 0} {
		t.Errorf("errors by type %v (%v), want one execution and one validation error", got.Errors, stats.FunctionErrors)
	}
	var runs uint64
	for _, n := range got.ComputeUtilization {
		runs += n
	}
	if runs != 4 || got.ComputeUtilizationSum <= 0 {
		t.Errorf("compute utilization: %d runs, sum %v", runs, got.ComputeUtilizationSum)
	}
}
