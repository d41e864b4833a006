package functions

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

const testLimit = 500 * time.Millisecond

func compile(t *testing.T, runtime, code string) *Program {
	t.Helper()
	p, err := Compile([]byte(code), runtime)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

func requestEvent() *Event {
	return &Event{
		Version: "1.0",
		Context: Context{DistributionDomainName: "d111111abcdef8.cloudfront.net", DistributionID: "EDFDVBD6EXAMPLE", EventType: ViewerRequest, RequestID: "req-1"},
		Viewer:  Viewer{IP: "198.51.100.11"},
		Request: Request{
			Method: "GET", URI: "/media/index.mpd",
			QueryString: Fields{{Name: "ID", Values: []Value{{Value: "42"}}}, {Name: "querymv", Values: []Value{{Value: "val1"}, {Value: "val2,val3"}}}},
			Headers: Fields{{Name: "host", Values: []Value{{Value: "video.example.com"}}},
				{Name: "accept", Values: []Value{{Value: "application/json"}, {Value: "application/xml"}, {Value: "text/html"}}}},
			Cookies: Fields{{Name: "Cookie1", Values: []Value{{Value: "value1"}}}, {Name: "cookiemv", Values: []Value{{Value: "value3"}, {Value: "value4"}}}},
		},
	}
}

func responseEvent() *Event {
	ev := requestEvent()
	ev.Context.EventType = ViewerResponse
	ev.Response = &Response{StatusCode: 200, StatusDescription: "OK",
		Headers: Fields{{Name: "content-type", Values: []Value{{Value: "application/json"}}}},
		Cookies: Fields{{Name: "ID", Values: []Value{{Value: "id1234", Attributes: "Expires=Wed, 05 Apr 2021 07:28:00 GMT"}}}},
	}
	return ev
}

// TestEventObject checks every field of the event as the handler sees it
// (functions-event-structure, "Example event object").
func TestEventObject(t *testing.T) {
	for _, rtName := range []string{Runtime10, Runtime20} {
		p := compile(t, rtName, `function handler(event) {
			return {statusCode: 200, body: JSON.stringify(event)};
		}`)
		for _, ev := range []*Event{requestEvent(), responseEvent()} {
			res, _, err := p.Run(ev, testLimit)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(res.Response.Body.Data, &got); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{
				"version": "1.0",
				"context": map[string]any{"distributionDomainName": "d111111abcdef8.cloudfront.net", "distributionId": "EDFDVBD6EXAMPLE", "eventType": ev.Context.EventType, "requestId": "req-1"},
				"viewer":  map[string]any{"ip": "198.51.100.11"},
				"request": map[string]any{
					"method": "GET", "uri": "/media/index.mpd",
					"querystring": map[string]any{"ID": map[string]any{"value": "42"},
						"querymv": map[string]any{"value": "val1", "multiValue": []any{map[string]any{"value": "val1"}, map[string]any{"value": "val2,val3"}}}},
					"headers": map[string]any{"host": map[string]any{"value": "video.example.com"},
						"accept": map[string]any{"value": "application/json", "multiValue": []any{map[string]any{"value": "application/json"}, map[string]any{"value": "application/xml"}, map[string]any{"value": "text/html"}}}},
					"cookies": map[string]any{"Cookie1": map[string]any{"value": "value1"},
						"cookiemv": map[string]any{"value": "value3", "multiValue": []any{map[string]any{"value": "value3"}, map[string]any{"value": "value4"}}}},
				},
			}
			if ev.Response != nil {
				want["response"] = map[string]any{"statusCode": float64(200), "statusDescription": "OK",
					"headers": map[string]any{"content-type": map[string]any{"value": "application/json"}},
					"cookies": map[string]any{"ID": map[string]any{"value": "id1234", "attributes": "Expires=Wed, 05 Apr 2021 07:28:00 GMT"}}}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s event:\n got %v\nwant %v", rtName, ev.Context.EventType, got, want)
			}
		}
	}
}

// TestReturnForms covers what a handler may return and how CloudFront
// applies it, and the returns it refuses (FunctionValidationError).
func TestReturnForms(t *testing.T) {
	tests := []struct {
		name    string
		runtime string
		code    string
		ev      func() *Event
		errType string // "" for success
		errHas  string
		check   func(t *testing.T, r *Result)
	}{
		{name: "identity request", code: `function handler(e) { return e.request; }`, ev: requestEvent,
			check: func(t *testing.T, r *Result) {
				if !reflect.DeepEqual(*r.Request, requestEvent().Request) {
					t.Errorf("request changed: %+v", r.Request)
				}
			}},
		{name: "uri rewrite", code: `function handler(e) { var r = e.request; if (r.uri.endsWith('/')) r.uri += 'index.html'; else if (!r.uri.includes('.')) r.uri += '/index.html'; return r; }`,
			ev: func() *Event { ev := requestEvent(); ev.Request.URI = "/docs/"; return ev },
			check: func(t *testing.T, r *Result) {
				if r.Request.URI != "/docs/index.html" {
					t.Errorf("uri %q", r.Request.URI)
				}
			}},
		{name: "add header and cookie", code: `function handler(e) { var r = e.request; r.headers['x-added'] = {value: 'yes'}; r.cookies.session = {value: 'abc'}; delete r.querystring.ID; return r; }`, ev: requestEvent,
			check: func(t *testing.T, r *Result) {
				if f, ok := r.Request.Headers.Get("x-added"); !ok || f.Values[0].Value != "yes" {
					t.Errorf("headers %+v", r.Request.Headers)
				}
				if f, ok := r.Request.Cookies.Get("session"); !ok || f.Values[0].Value != "abc" {
					t.Errorf("cookies %+v", r.Request.Cookies)
				}
				if _, ok := r.Request.QueryString.Get("ID"); ok {
					t.Errorf("deleted parameter kept")
				}
			}},
		{name: "value change keeps other values", code: `function handler(e) { e.request.headers.accept.value = 'text/plain'; return e.request; }`, ev: requestEvent,
			check: func(t *testing.T, r *Result) {
				f, _ := r.Request.Headers.Get("accept")
				want := []Value{{Value: "text/plain"}, {Value: "application/xml"}, {Value: "text/html"}}
				if !reflect.DeepEqual(f.Values, want) {
					t.Errorf("accept %+v", f.Values)
				}
			}},
		{name: "multiValue change wins", code: `function handler(e) { var h = e.request.headers.accept; h.value = 'ignored'; h.multiValue = [{value: 'a'}, {value: 'b'}]; e.request.querystring.n = {value: '1', multiValue: [{value: '1'}, {value: '2'}]}; return e.request; }`, ev: requestEvent,
			check: func(t *testing.T, r *Result) {
				f, _ := r.Request.Headers.Get("accept")
				if !reflect.DeepEqual(f.Values, []Value{{Value: "a"}, {Value: "b"}}) {
					t.Errorf("accept %+v", f.Values)
				}
				q, _ := r.Request.QueryString.Get("n")
				if !reflect.DeepEqual(q.Values, []Value{{Value: "1"}, {Value: "2"}}) {
					t.Errorf("n %+v", q.Values)
				}
			}},
		{name: "cookies are not headers", code: `function handler(e) { if (e.request.headers.cookie !== undefined) throw new Error('cookie header present'); return e.request; }`,
			ev: requestEvent},
		{name: "redirect response", code: `function handler(e) { return {statusCode: 302, statusDescription: 'Found', headers: {location: {value: 'https://example.com/'}}}; }`, ev: requestEvent,
			check: func(t *testing.T, r *Result) {
				if r.Response == nil || r.Response.StatusCode != 302 || r.Response.Body != nil {
					t.Fatalf("response %+v", r.Response)
				}
				if f, _ := r.Response.Headers.Get("location"); f.Values[0].Value != "https://example.com/" {
					t.Errorf("location %+v", f)
				}
			}},
		{name: "body base64", code: `function handler(e) { return {statusCode: 200, body: {encoding: 'base64', data: 'aGVsbG8='}}; }`, ev: requestEvent,
			check: func(t *testing.T, r *Result) {
				if string(r.Response.Body.Data) != "hello" {
					t.Errorf("body %q", r.Response.Body.Data)
				}
			}},
		{name: "viewer-response sets header and cookie attrs", code: `function handler(e) { var r = e.response; r.headers['strict-transport-security'] = {value: 'max-age=63072000'}; r.cookies.ID.attributes = 'Secure'; return r; }`, ev: responseEvent,
			check: func(t *testing.T, r *Result) {
				if _, ok := r.Response.Headers.Get("strict-transport-security"); !ok || r.Response.Body != nil {
					t.Errorf("response %+v", r.Response)
				}
				if c, _ := r.Response.Cookies.Get("ID"); c.Values[0].Attributes != "Secure" {
					t.Errorf("cookie %+v", c)
				}
			}},
		{name: "async handler", runtime: Runtime20, code: `async function answer() { return 42; } async function handler(e) { const v = await answer(); e.request.headers.answer = {value: '' + v}; return e.request; }`, ev: requestEvent,
			check: func(t *testing.T, r *Result) {
				if f, _ := r.Request.Headers.Get("answer"); f.Values[0].Value != "42" {
					t.Errorf("answer %+v", f)
				}
			}},
		{name: "rejected promise", runtime: Runtime20, code: `async function handler(e) { throw new TypeError('nope'); }`, ev: requestEvent, errType: ExecutionError, errHas: "TypeError: nope"},

		{name: "undefined", code: `function handler(e) { }`, ev: requestEvent, errType: ValidationError},
		{name: "string", code: `function handler(e) { return 'x'; }`, ev: requestEvent, errType: ValidationError},
		{name: "uri without slash", code: `function handler(e) { e.request.uri = 'index.html'; return e.request; }`, ev: requestEvent, errType: ValidationError, errHas: "slash"},
		{name: "uri with newline", code: `function handler(e) { e.request.uri = '/a\r\nX-Injected: 1'; return e.request; }`, ev: requestEvent, errType: ValidationError},
		{name: "upper-case header name", code: `function handler(e) { e.request.headers['X-Upper'] = {value: '1'}; return e.request; }`, ev: requestEvent, errType: ValidationError},
		{name: "header value with CRLF", code: `function handler(e) { e.request.headers['x-a'] = {value: 'a\r\nb: c'}; return e.request; }`, ev: requestEvent, errType: ValidationError},
		{name: "header without value", code: `function handler(e) { e.request.headers['x-a'] = 'plain'; return e.request; }`, ev: requestEvent, errType: ValidationError},
		{name: "cookie header in headers", code: `function handler(e) { e.request.headers.cookie = {value: 'a=b'}; return e.request; }`, ev: requestEvent, errType: ValidationError},
		{name: "method assignment throws", code: `function handler(e) { e.request.method = 'POST'; return e.request; }`, ev: requestEvent, errType: ExecutionError, errHas: "TypeError"},
		{name: "method changed in new object", code: `function handler(e) { return {method: 'POST', uri: '/'}; }`, ev: requestEvent, errType: ValidationError, errHas: "method"},
		{name: "status code string", code: `function handler(e) { return {statusCode: '200'}; }`, ev: requestEvent, errType: ValidationError},
		{name: "status code out of range", code: `function handler(e) { return {statusCode: 600}; }`, ev: requestEvent, errType: ValidationError},
		{name: "bad base64 body", code: `function handler(e) { return {statusCode: 200, body: {encoding: 'base64', data: '!!!'}}; }`, ev: requestEvent, errType: ValidationError},
		{name: "bad body encoding", code: `function handler(e) { return {statusCode: 200, body: {encoding: 'gzip', data: 'x'}}; }`, ev: requestEvent, errType: ValidationError},
		{name: "viewer-response returns request", code: `function handler(e) { return e.request; }`, ev: responseEvent, errType: ValidationError},
		{name: "set-cookie header", code: `function handler(e) { e.response.headers['set-cookie'] = {value: 'a=b'}; return e.response; }`, ev: responseEvent, errType: ValidationError},
		{name: "throw", code: `function handler(e) { throw new Error('boom'); }`, ev: requestEvent, errType: ExecutionError, errHas: "Error: boom"},
		{name: "throw string", code: `function handler(e) { throw 'boom'; }`, ev: requestEvent, errType: ExecutionError, errHas: "boom"},
		{name: "undefined variable (strict mode)", code: `function handler(e) { undeclared = 1; return e.request; }`, ev: requestEvent, errType: ExecutionError, errHas: "ReferenceError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rtName := tc.runtime
			if rtName == "" {
				rtName = Runtime10
			}
			p := compile(t, rtName, tc.code)
			res, _, err := p.Run(tc.ev(), testLimit)
			checkOutcome(t, res, err, tc.errType, tc.errHas)
			if err == nil && tc.check != nil {
				tc.check(t, res)
			}
		})
	}
}

func checkOutcome(t *testing.T, res *Result, err error, errType, errHas string) {
	t.Helper()
	if errType == "" {
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		return
	}
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("want %s, got result %+v, err %v", errType, res, err)
	}
	if fe.Type != errType || !strings.Contains(fe.Message, errHas) {
		t.Fatalf("want %s containing %q, got %s: %s", errType, errHas, fe.Type, fe.Message)
	}
}

// TestRawBytes: bytes that are not UTF-8 reach the handler as escaped
// lone surrogates and come back unchanged; names differing only in such
// bytes stay apart.
func TestRawBytes(t *testing.T) {
	p := compile(t, Runtime10, `function handler(e) {
		var v = e.request.headers['x-latin1'].value;
		e.request.headers['x-seen'] = {value: v.length + ':' + v.charCodeAt(3).toString(16)};
		return e.request;
	}`)
	ev := requestEvent()
	ev.Request.Headers = Fields{{Name: "x-latin1", Values: []Value{{Value: "caf\xe9"}}}}
	ev.Request.Cookies = Fields{{Name: "\x96", Values: []Value{{Value: "a"}}}, {Name: "\x97", Values: []Value{{Value: "b\xff"}}}}
	ev.Request.URI = "/caf\xe9"
	res, _, err := p.Run(ev, testLimit)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := res.Request.Headers.Get("x-seen"); f.Values[0].Value != "4:dce9" {
		t.Errorf("handler saw %q", f.Values[0].Value)
	}
	if f, _ := res.Request.Headers.Get("x-latin1"); f.Values[0].Value != "caf\xe9" {
		t.Errorf("value came back as %q", f.Values[0].Value)
	}
	if !reflect.DeepEqual(res.Request.Cookies, ev.Request.Cookies) || res.Request.URI != "/caf\xe9" {
		t.Errorf("cookies %q uri %q", res.Request.Cookies, res.Request.URI)
	}
}

// BenchmarkRunURIRewrite is the per-request cost of a typical
// viewer-request function (pooled runtime, event in and out).
func BenchmarkRunURIRewrite(b *testing.B) {
	p, err := Compile([]byte(`function handler(event) {
		var request = event.request;
		if (request.uri.endsWith('/')) request.uri += 'index.html';
		else if (!request.uri.includes('.')) request.uri += '/index.html';
		return request;
	}`), Runtime10)
	if err != nil {
		b.Fatal(err)
	}
	ev := requestEvent()
	ev.Request.URI = "/docs/"
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := p.Run(ev, time.Second); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRuntimesPooled: the top-level code runs once per runtime and a
// successful run's runtime is reused (package doc: globals persist within
// a pooled runtime); a failed run's runtime is dropped.
func TestRuntimesPooled(t *testing.T) {
	p := compile(t, Runtime10, `var runs = 0;
function handler(e) {
	runs++;
	if (e.request.uri === '/fail') throw new Error('x');
	e.request.headers.runs = {value: '' + runs};
	return e.request;
}`)
	seen := func() string {
		res, _, err := p.Run(requestEvent(), testLimit)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := res.Request.Headers.Get("runs")
		return f.Values[0].Value
	}
	got := []string{seen(), seen(), seen()}
	if strings.Join(got, ",") != "1,2,3" {
		t.Errorf("runs %v: the runtime was not reused", got)
	}
	ev := requestEvent()
	ev.Request.URI = "/fail"
	if _, _, err := p.Run(ev, testLimit); err == nil {
		t.Fatal("no error")
	}
	if n := seen(); n != "1" {
		t.Errorf("after a failure: runs %s, want a fresh runtime", n)
	}
}

// TestConcurrentRuns: one program serves many goroutines at once (run
// with -race).
func TestConcurrentRuns(t *testing.T) {
	p := compile(t, Runtime20, `function handler(e) { e.request.headers['x-uri'] = {value: e.request.uri}; return e.request; }`)
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func(g int) {
			for i := 0; i < 50; i++ {
				ev := requestEvent()
				ev.Request.URI = fmt.Sprintf("/%d/%d", g, i)
				res, _, err := p.Run(ev, time.Second)
				if err != nil {
					errs <- err
					return
				}
				if f, _ := res.Request.Headers.Get("x-uri"); f.Values[0].Value != ev.Request.URI {
					errs <- fmt.Errorf("got %q for %q", f.Values[0].Value, ev.Request.URI)
					return
				}
			}
			errs <- nil
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestLimitIsCPUTime: time a run spends off the CPU (here a Go call that
// sleeps, as a descheduled thread would) does not count toward the limit,
// up to the wall-clock cap of twenty limits.
func TestLimitIsCPUTime(t *testing.T) {
	if _, ok := threadClock(); !ok {
		t.Skip("no per-thread CPU clock on this system")
	}
	p := compile(t, Runtime10, `function handler(e) { sleep(+e.request.uri.slice(1)); return e.request; }`)
	run := func(ms int) (*Run, error) {
		v := p.get()
		if v == nil {
			var err error
			if v, err = p.newVM(); err != nil {
				t.Fatal(err)
			}
		}
		_ = v.rt.Set("sleep", func(ms int) { time.Sleep(time.Duration(ms) * time.Millisecond) })
		p.put(v)
		ev := requestEvent()
		ev.Request.URI = fmt.Sprintf("/%d", ms)
		_, rep, err := p.Run(ev, 30*time.Millisecond)
		return rep, err
	}
	rep, err := run(100)
	if err != nil {
		t.Fatalf("100 ms asleep with a 30 ms CPU limit: %v", err)
	}
	if rep.Duration < 100*time.Millisecond || rep.CPU > 30*time.Millisecond {
		t.Errorf("wall %v, CPU %v", rep.Duration, rep.CPU)
	}
	if _, err := run(1000); err == nil || err.(*Error).Type != ThrottledError {
		t.Errorf("1 s asleep (over the 600 ms wall cap): %v", err)
	}
}
