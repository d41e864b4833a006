package functions

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// The event's querystring, headers and cookies are built when read
// (lazy.go); to the handler they behave as the event's own properties:
// enumerable, readable, assignable, serialised; an untouched field comes
// back as it was, and a runtime reused from the pool never shows a
// previous event's fields.
func TestLazyFields(t *testing.T) {
	tests := []struct {
		name, code string
		check      func(t *testing.T, res *Result)
	}{
		{"untouched", `function handler(e) { e.request.uri = "/x"; return e.request; }`, func(t *testing.T, res *Result) {
			want := requestEvent().Request
			if res.Request.URI != "/x" || !slices.EqualFunc(res.Request.Headers, want.Headers, sameField) ||
				!slices.EqualFunc(res.Request.QueryString, want.QueryString, sameField) || !slices.EqualFunc(res.Request.Cookies, want.Cookies, sameField) {
				t.Errorf("untouched fields changed: %+v", res.Request)
			}
		}},
		{"keys and serialisation", `function handler(e) {
			var keys = Object.keys(e.request).join(",");
			var json = JSON.parse(JSON.stringify(e));
			return {statusCode: 200, body: keys + " " + json.request.headers.host.value + " " + json.request.querystring.ID.value + " " + json.request.cookies.Cookie1.value +
				" " + Object.keys(e).join(",") + " " + json.context.eventType + " " + json.viewer.ip};
		}`, func(t *testing.T, res *Result) {
			if got := string(res.Response.Body.Data); got != "method,uri,querystring,headers,cookies video.example.com 42 value1 version,context,viewer,request viewer-request 198.51.100.11" {
				t.Errorf("body %q", got)
			}
		}},
		{"assigned", `function handler(e) { e.request.headers = {"x-new": {value: "1"}}; e.request.querystring = {}; return e.request; }`, func(t *testing.T, res *Result) {
			if len(res.Request.Headers) != 1 || res.Request.Headers[0].Name != "x-new" || len(res.Request.QueryString) != 0 || len(res.Request.Cookies) != 2 {
				t.Errorf("assigned: %+v", res.Request)
			}
		}},
		{"edited in place", `function handler(e) { delete e.request.headers.accept; e.request.cookies.c = {value: "v"}; return e.request; }`, func(t *testing.T, res *Result) {
			if _, ok := res.Request.Headers.Get("accept"); ok || len(res.Request.Headers) != 1 {
				t.Errorf("headers %+v", res.Request.Headers)
			}
			if c, ok := res.Request.Cookies.Get("c"); !ok || c.Values[0].Value != "v" {
				t.Errorf("cookies %+v", res.Request.Cookies)
			}
		}},
		{"spread into a new object", `function handler(e) { return Object.assign({}, e.request, {uri: "/y"}); }`, func(t *testing.T, res *Result) {
			if res.Request.URI != "/y" || len(res.Request.Headers) != 2 {
				t.Errorf("spread: %+v", res.Request)
			}
		}},
		{"new object without fields", `function handler(e) { return {method: "GET", uri: "/z"}; }`, func(t *testing.T, res *Result) {
			if res.Request.URI != "/z" || res.Request.Headers != nil || res.Request.Cookies != nil {
				t.Errorf("new object: %+v", res.Request)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := compile(t, Runtime20, tc.code)
			res, _, err := p.Run(requestEvent(), time.Second)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, res)
		})
	}
	// Viewer-response: untouched response fields come back as they were.
	p := compile(t, Runtime20, `function handler(e) { e.response.statusCode = 201; return e.response; }`)
	res, _, err := p.Run(responseEvent(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := responseEvent().Response
	if res.Response.StatusCode != 201 || !slices.EqualFunc(res.Response.Headers, want.Headers, sameField) || !slices.EqualFunc(res.Response.Cookies, want.Cookies, sameField) {
		t.Errorf("response: %+v", res.Response)
	}
}

// A handler that keeps an event in a global sees nothing of it on the next
// run of the pooled runtime: the accessors answer only for the current
// event.
func TestLazyFieldsDoNotLeakAcrossRuns(t *testing.T) {
	p := compile(t, Runtime10, `var saved;
function handler(e) {
  var before = saved ? String(saved.request.headers) : "first";
  saved = e;
  return {statusCode: 200, body: before};
}`)
	var bodies []string
	for range 2 {
		res, _, err := p.Run(requestEvent(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, string(res.Response.Body.Data))
	}
	if bodies[0] != "first" || strings.Contains(bodies[1], "object") {
		t.Errorf("bodies %q: the second run read the first event's headers", bodies)
	}
}

func sameField(a, b Field) bool { return a.Name == b.Name && slices.Equal(a.Values, b.Values) }
