package functions

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEventRoundTrip feeds random query strings, headers and cookies
// through the event object: a handler that returns the request unchanged
// must give back exactly the fields it received, and the query string
// must re-serialise to the same fields.
func FuzzEventRoundTrip(f *testing.F) {
	f.Add("ID=42&querymv=val1&querymv=val2,val3&NoValue=", "Accept: application/json\nAccept: text/html\nX-A: 1", "a=1; b=2; a=3")
	f.Add("a&&b=&=c&%zz=%41", "Host: example.com", "")
	f.Add("q=caf%C3%A9&q=%E2%82%AC&x=a+b", "X-Weird: \"quoted\" value", "session=abc=def")
	f.Add("__proto__=1&constructor=2&toString=3", "X-Proto: x", "__proto__=x")
	f.Add("length=5&0=a&1=b", "", "=; ;x")
	p, err := Compile([]byte(`function handler(e) { return e.request; }`), Runtime10)
	if err != nil {
		f.Fatal(err)
	}
	echo, err := Compile([]byte(`function handler(e) { var r = e.request; return {method: r.method, uri: r.uri, querystring: JSON.parse(JSON.stringify(r.querystring)), headers: JSON.parse(JSON.stringify(r.headers)), cookies: JSON.parse(JSON.stringify(r.cookies))}; }`), Runtime20)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rawQuery, headerLines, cookieLine string) {
		if strings.ContainsAny(rawQuery+headerLines+cookieLine, "\r\x00") || strings.Contains(rawQuery, "\n") {
			return // not in a parsed HTTP request
		}
		qs := ParseQuery(rawQuery)
		if again := ParseQuery(qs.QueryString()); !reflect.DeepEqual(again, qs) {
			t.Fatalf("query %q re-serialised as %q: %v != %v", rawQuery, qs.QueryString(), again, qs)
		}
		h := http.Header{}
		for _, line := range strings.Split(headerLines, "\n") {
			name, value, ok := strings.Cut(line, ":")
			if !ok || !checkCookieName(name) || strings.Contains(value, "\n") {
				continue
			}
			h.Add(name, strings.TrimSpace(value))
		}
		if cookieLine != "" && !strings.Contains(cookieLine, "\n") {
			h.Add("Cookie", cookieLine)
		}
		headers, cookies := RequestHeaders(h)
		ev := requestEvent()
		ev.Request.QueryString, ev.Request.Headers, ev.Request.Cookies = qs, headers, cookies
		progs := []*Program{p}
		valid := utf8.ValidString(rawQuery) && utf8.ValidString(headerLines) && utf8.ValidString(cookieLine)
		if valid {
			// JSON.stringify does not keep lone surrogates (escaped bytes).
			progs = append(progs, echo)
		}
		for _, prog := range progs {
			res, _, err := prog.Run(ev, testLimit)
			if err != nil {
				t.Fatalf("%s: %v (query %q headers %v)", prog.Runtime(), err, rawQuery, h)
			}
			got := res.Request
			if !sameFields(got.QueryString, qs) || !sameFields(got.Headers, headers) || !sameFields(got.Cookies, cookies) {
				t.Fatalf("%s: round trip changed the request:\n got %+v\nwant %+v %+v %+v", prog.Runtime(), got, qs, headers, cookies)
			}
		}
		// The TestFunction JSON form round-trips too (JSON text is UTF-8).
		if !valid {
			return
		}
		out := (&Result{Request: &ev.Request}).OutputJSON()
		back, err := ParseEvent([]byte(`{"context":{"eventType":"viewer-request"},` + string(out[1:])))
		if err != nil {
			t.Fatalf("parse %s: %v", out, err)
		}
		if !sameFields(back.Request.QueryString, qs) || !sameFields(back.Request.Headers, headers) || !sameFields(back.Request.Cookies, cookies) {
			t.Fatalf("JSON round trip changed the request: %s", out)
		}
	})
}

func sameFields(a, b Fields) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// FuzzParseEvent feeds arbitrary bytes as a TestFunction event object: it
// is parsed or refused, never a panic, and an accepted one runs and its
// output parses back to the same request.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"198.51.100.11"},"request":{"method":"GET","uri":"/example.png","headers":{"host":{"value":"example.org"}}}}`))
	f.Add([]byte(`{"context":{"eventType":"viewer-response"},"request":{"uri":"/"},"response":{"statusCode":200,"cookies":{"a":{"value":"b","attributes":"Secure","multiValue":[{"value":"b"},{"value":"c"}]}}}}`))
	f.Add([]byte(`{"context":{"eventType":"viewer-request"},"request":{"querystring":{"__proto__":{"value":"x"}},"headers":{"a":{"multiValue":[]}}}}`))
	f.Add([]byte(`{"context":{"eventType":"viewer-request"},"request":{}} trailing`))
	p, err := Compile([]byte(`function handler(e) { return e.context.eventType === 'viewer-request' ? e.request : e.response; }`), Runtime10)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := ParseEvent(data)
		if err != nil {
			return
		}
		res, _, err := p.Run(ev, testLimit)
		if err != nil {
			return // a parsed event may still hold values a handler cannot return (a CR in a header)
		}
		if res.Request != nil {
			out := res.OutputJSON()
			back, err := ParseEvent([]byte(`{"context":{"eventType":"viewer-request"},` + string(out[1:])))
			if err != nil {
				t.Fatalf("output %s does not parse: %v", out, err)
			}
			if back.Request.URI != res.Request.URI || !sameFields(back.Request.Headers, res.Request.Headers) || !sameFields(back.Request.QueryString, res.Request.QueryString) {
				t.Fatalf("output %s changed the request", out)
			}
		}
	})
}

// FuzzResponseRoundTrip: response headers and Set-Cookie lines go through
// a viewer-response function that returns the response unchanged, and the
// cookies written back parse to the same fields.
func FuzzResponseRoundTrip(f *testing.F) {
	f.Add("ID=id1234; Expires=Wed, 05 Apr 2021 07:28:00 GMT\nCookie1=val1; Secure; Path=/\nCookie1=val2; Path=/cat", "Content-Type: text/html\nX-A: 1\nX-A: 2")
	f.Add("=; ;\n a = b ; c", "Server: x")
	p, err := Compile([]byte(`function handler(e) { return e.response; }`), Runtime20)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, setCookies, headerLines string) {
		if strings.ContainsAny(setCookies+headerLines, "\r\x00") {
			return
		}
		h := http.Header{}
		for _, line := range strings.Split(setCookies, "\n") {
			if line != "" {
				h.Add("Set-Cookie", line)
			}
		}
		for _, line := range strings.Split(headerLines, "\n") {
			name, value, ok := strings.Cut(line, ":")
			if ok && checkCookieName(name) && !strings.EqualFold(name, "set-cookie") {
				h.Add(name, strings.TrimSpace(value))
			}
		}
		headers, cookies := ResponseHeaders(h)
		ev := responseEvent()
		ev.Response.Headers, ev.Response.Cookies = headers, cookies
		res, _, err := p.Run(ev, testLimit)
		if err != nil {
			t.Fatalf("run: %v (%q)", err, h)
		}
		if !sameFields(res.Response.Headers, headers) || !sameFields(res.Response.Cookies, cookies) {
			t.Fatalf("round trip changed the response:\n got %+v %+v\nwant %+v %+v", res.Response.Headers, res.Response.Cookies, headers, cookies)
		}
		_, again := ResponseHeaders(http.Header{"Set-Cookie": res.Response.Cookies.SetCookieHeaders()})
		if !sameFields(again, cookies) {
			t.Fatalf("Set-Cookie lines %q parse to %+v, want %+v", res.Response.Cookies.SetCookieHeaders(), again, cookies)
		}
	})
}
