package console_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"openfront/internal/control"
)

const rewriteCode = `function handler(event) {
  console.log("uri was " + event.request.uri);
  event.request.uri = "/rewritten" + event.request.uri;
  return event.request; // <b>not markup</b>
}`

func TestFunctionsPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	fn, err := e.ctl.CreateFunction(ctx, "rewrite", control.FunctionInput{Comment: "adds a prefix", Runtime: "cloudfront-js-2.0", Code: []byte(rewriteCode)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ctl.CreateFunction(ctx, "broken", control.FunctionInput{Runtime: "cloudfront-js-2.0", Code: []byte(`function handler(event) { throw new Error("boom"); }`)}); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	token := e.login(c)

	list := e.do(c, "GET", "/console/functions", nil, nil)
	if list.status != http.StatusOK || !strings.Contains(list.body, `href="/console/functions/rewrite"`) || !strings.Contains(list.body, "adds a prefix") || !strings.Contains(list.body, `href="/console/functions/broken"`) {
		t.Fatalf("list: %d %s", list.status, list.body)
	}
	page := e.do(c, "GET", "/console/functions/rewrite", nil, nil)
	if page.status != http.StatusOK || !strings.Contains(html.UnescapeString(page.body), rewriteCode) || !strings.Contains(page.body, `id="no-live"`) {
		t.Fatalf("function page: %d %s", page.status, page.body)
	}
	if strings.Contains(page.body, "<b>not markup</b>") {
		t.Error("code not escaped")
	}

	event := `{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"1.2.3.4"},"request":{"method":"GET","uri":"/a.html","headers":{},"cookies":{},"querystring":{}}}`
	for _, tc := range []struct {
		name, fn, stage, event string
		form                   url.Values // nil: csrf, stage and event
		status                 int
		want                   []string
	}{
		{"runs DEVELOPMENT", "rewrite", "DEVELOPMENT", event, nil, 200, []string{"/rewritten/a.html", "uri was /a.html", `id="compute-utilization">`}},
		{"function error", "broken", "DEVELOPMENT", event, nil, 200, []string{`id="test-error"`, "boom"}},
		{"not an event", "rewrite", "DEVELOPMENT", `{"request": 5`, nil, 400, []string{`id="test-problem"`, "not a valid event object"}},
		{"oversize event", "rewrite", "DEVELOPMENT", strings.Repeat(" ", 40961), nil, 400, []string{"longer than 40960 bytes"}},
		{"no LIVE stage yet", "rewrite", "LIVE", event, nil, 400, []string{`id="test-problem"`}},
		{"bad stage", "rewrite", "STAGING", event, nil, 400, []string{`id="test-problem"`}},
		{"no such function", "nope", "DEVELOPMENT", event, nil, 404, nil},
		{"no CSRF token", "rewrite", "DEVELOPMENT", event, url.Values{"stage": {"DEVELOPMENT"}, "event": {event}}, 403, nil},
	} {
		form := tc.form
		if form == nil {
			form = url.Values{"csrf_token": {token}, "stage": {tc.stage}, "event": {tc.event}}
		}
		r := e.do(c, "POST", "/console/functions/"+tc.fn+"/test", form, nil)
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, r.status, tc.status, r.body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(html.UnescapeString(r.body), html.UnescapeString(w)) {
				t.Errorf("%s: no %q in %s", tc.name, w, r.body)
			}
		}
	}

	// Publishing needs the DEVELOPMENT ETag the page showed.
	r := e.do(c, "POST", "/console/functions/rewrite/publish", url.Values{"csrf_token": {token}, "etag": {"stale"}}, nil)
	if r.status != http.StatusConflict || !strings.Contains(r.body, `id="publish-problem"`) {
		t.Errorf("stale ETag: %d %s", r.status, r.body)
	}
	if _, err := e.ctl.GetFunction(ctx, "rewrite", control.StageLive); err == nil {
		t.Fatal("published with a stale ETag")
	}
	r = e.do(c, "POST", "/console/functions/rewrite/publish", url.Values{"csrf_token": {token}, "etag": {fn.ETag}}, nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/console/functions/rewrite" {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	live, err := e.ctl.GetFunction(ctx, "rewrite", control.StageLive)
	if err != nil || string(live.Code) != rewriteCode {
		t.Fatalf("LIVE after publish: %v %+v", err, live)
	}
	page = e.do(c, "GET", "/console/functions/rewrite", nil, nil)
	if !strings.Contains(page.body, `id="code-live"`) || !strings.Contains(page.body, "LIVE runs this code.") {
		t.Errorf("page after publish: %s", page.body)
	}
	r = e.do(c, "POST", "/console/functions/rewrite/test", url.Values{"csrf_token": {token}, "stage": {"LIVE"}, "event": {event}}, nil)
	if r.status != http.StatusOK || !strings.Contains(r.body, `id="test-result-stage">LIVE<`) {
		t.Errorf("test LIVE: %d %s", r.status, r.body)
	}

	// Scripts: HTTP Basic, JSON out.
	basic := &http.Client{}
	req, _ := http.NewRequest("POST", e.srv.URL+"/console/functions/rewrite/test", strings.NewReader(url.Values{"event": {event}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(keyID, secret)
	resp, err := basic.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res control.TestResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != 200 || !strings.Contains(res.Output, "/rewritten/a.html") {
		t.Errorf("basic: %d %v %+v", resp.StatusCode, err, res)
	}
}
