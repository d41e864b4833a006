package functions

import (
	"errors"
	"strings"
	"testing"
)

func TestIsDisallowedHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"connection": true, "Connection": true, "KEEP-ALIVE": true, "Proxy-Authorization": true, "upgrade": true,
		"X-Accel-Redirect": true, "x-amz-cf-id": true, "X-Amz-Cf-Pop": true, "x-amz-cf-anything": true,
		"X-Amzn-RequestId": true, "x-amzn-cf-id": true, "X-Cache": true, "X-Edge-Foo": true, "x-edge-location": true,
		"X-Forwarded-Proto": true, "X-Real-Ip": true, "Expect": true, "Trailer": true, "X-Amzn-Lambda-Integration-Tag": true,
		// not listed
		"x-amz-cf-": false, "x-edge-": false, "x-amz-date": false, "x-amzn-trace-id": false, "via": false, "host": false,
		"x-forwarded-for": false, "x-cached": false, "connections": false, "": false, "te": false, "accept": false,
	} {
		if got := IsDisallowedHeader(name); got != want {
			t.Errorf("IsDisallowedHeader(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestIsReadOnlyHeader(t *testing.T) {
	for _, tc := range []struct {
		event, name string
		want        bool
	}{
		{ViewerRequest, "host", true}, {ViewerRequest, "Content-Length", true}, {ViewerRequest, "transfer-encoding", true},
		{ViewerRequest, "VIA", true}, {ViewerRequest, "warning", false}, {ViewerRequest, "accept", false},
		{ViewerResponse, "warning", true}, {ViewerResponse, "via", true}, {ViewerResponse, "host", false},
		{ViewerResponse, "content-length", false}, {"", "via", false},
	} {
		if got := IsReadOnlyHeader(tc.event, tc.name); got != tc.want {
			t.Errorf("IsReadOnlyHeader(%q, %q) = %v", tc.event, tc.name, got)
		}
	}
}

// TestRestrictions runs handlers that break a rule of "Restrictions on
// all edge functions" (or stay just inside it): each breach is a
// FunctionValidationError.
func TestRestrictions(t *testing.T) {
	withHeaders := func(ev *Event, hs ...Field) *Event {
		if ev.Response != nil {
			ev.Response.Headers = append(ev.Response.Headers, hs...)
		} else {
			ev.Request.Headers = append(ev.Request.Headers, hs...)
		}
		return ev
	}
	one := func(name, value string) Field { return Field{Name: name, Values: []Value{{Value: value}}} }
	long := strings.Repeat("a", MaxURILength)
	cases := []struct {
		name string
		ev   *Event
		code string
		bad  string // "" valid, else a part of the validation message
	}{
		// Disallowed headers, viewer request.
		{"add x-amz-cf-id", requestEvent(), `r.headers["x-amz-cf-id"] = {value: "x"}`, "x-amz-cf-id"},
		{"add connection", requestEvent(), `r.headers["connection"] = {value: "close"}`, "connection"},
		{"add x-forwarded-proto", requestEvent(), `r.headers["x-forwarded-proto"] = {value: "https"}`, "x-forwarded-proto"},
		{"add x-real-ip", requestEvent(), `r.headers["x-real-ip"] = {value: "1.2.3.4"}`, "x-real-ip"},
		{"add x-edge-foo", requestEvent(), `r.headers["x-edge-foo"] = {value: "1"}`, "x-edge-foo"},
		{"add upgrade as multiValue", requestEvent(), `r.headers["upgrade"] = {value: "h2c", multiValue: [{value: "h2c"}]}`, "upgrade"},
		// Read-only headers, viewer request.
		{"edit host", requestEvent(), `r.headers.host = {value: "evil.example"}`, "read-only"},
		{"host unchanged", requestEvent(), `r.headers.host = {value: r.headers.host.value}`, ""},
		{"add via", requestEvent(), `r.headers.via = {value: "me"}`, "read-only"},
		{"edit via", withHeaders(requestEvent(), one("via", "1.1 proxy")), `r.headers.via.value = "me"`, "read-only"},
		{"remove via", withHeaders(requestEvent(), one("via", "1.1 proxy")), `delete r.headers.via`, ""},
		{"add content-length", requestEvent(), `r.headers["content-length"] = {value: "0"}`, "read-only"},
		{"add transfer-encoding", requestEvent(), `r.headers["transfer-encoding"] = {value: "chunked"}`, "read-only"},
		{"add warning (not read-only in requests)", requestEvent(), `r.headers.warning = {value: "199 - x"}`, ""},
		// Viewer response.
		{"response add x-cache", responseEvent(), `r.headers["x-cache"] = {value: "forged"}`, "x-cache"},
		{"response add x-amz-cf-pop", responseEvent(), `r.headers["x-amz-cf-pop"] = {value: "X"}`, "x-amz-cf-pop"},
		{"response add connection", responseEvent(), `r.headers.connection = {value: "close"}`, "connection"},
		{"response add via", responseEvent(), `r.headers.via = {value: "me"}`, "read-only"},
		{"response add warning", responseEvent(), `r.headers.warning = {value: "199 - x"}`, "read-only"},
		{"response edit warning", withHeaders(responseEvent(), one("warning", "110 - stale")), `r.headers.warning.value = "x"`, "read-only"},
		{"response keep warning", withHeaders(responseEvent(), one("warning", "110 - stale")), `r.headers["x-w"] = {value: r.headers.warning.value}`, ""},
		{"response add host (not read-only in responses)", responseEvent(), `r.headers.host = {value: "x"}`, ""},
		// A test event holding a disallowed header, returned as it came.
		{"disallowed header passed through", withHeaders(requestEvent(), one("x-cache", "t")), `r.headers.accept = {value: "x"}`, ""},
		// A viewer-request function's own response.
		{"generated response with x-cache", requestEvent(), `return {statusCode: 200, headers: {"x-cache": {value: "Hit from cloudfront"}}}`, "x-cache"},
		{"generated response with via", requestEvent(), `return {statusCode: 200, headers: {via: {value: "1.1 me"}}}`, ""},
		// Query strings.
		{"query value with space", requestEvent(), `r.querystring.q = {value: "a b"}`, "space"},
		{"query value with #", requestEvent(), `r.querystring.q = {value: "a#frag"}`, "space"},
		{"query value with tab", requestEvent(), `r.querystring.q = {value: "a\tb"}`, "space"},
		{"query value with U+0001", requestEvent(), `r.querystring.q = {value: "a\u0001b"}`, "space"},
		{"query value with DEL", requestEvent(), `r.querystring.q = {value: "a\u007fb"}`, "space"},
		{"query value with C1 control", requestEvent(), `r.querystring.q = {value: "a\u0085b"}`, "space"},
		{"query value with vertical tab in multiValue", requestEvent(), `r.querystring.q = {value: "a", multiValue: [{value: "a"}, {value: "b\u000bc"}]}`, "space"},
		{"query name with tab", requestEvent(), `r.querystring["a\tb"] = {value: "1"}`, "not valid"},
		{"query name with C1", requestEvent(), `r.querystring["a\u0085"] = {value: "1"}`, "not valid"},
		{"query value utf-8", requestEvent(), `r.querystring.q = {value: "é"}`, ""},
		{"query value percent-encoded", requestEvent(), `r.querystring.q = {value: "a%20b%23c"}`, ""},
		{"query value with ampersand (kept as the function wrote it)", requestEvent(), `r.querystring.q = {value: "a&b=c"}`, ""},
		// URI length, query string included.
		{"uri 8191", requestEvent(), `r.querystring = {}; r.uri = "/" + "a".repeat(8190)`, ""},
		{"uri 8192", requestEvent(), `r.querystring = {}; r.uri = "/" + "a".repeat(8191)`, "is 8192 characters"},
		{"uri 9001", requestEvent(), `r.uri = "/" + "a".repeat(9000)`, "less than 8192"},
		{"uri short, query long", requestEvent(), `r.uri = "/a"; r.querystring = {q: {value: "` + long[:8188] + `"}}`, "less than 8192"},
		{"uri short, query just fits", requestEvent(), `r.uri = "/a"; r.querystring = {q: {value: "` + long[:8186] + `"}}`, ""},
		{"uri non-ASCII counted encoded", requestEvent(), `r.querystring = {}; r.uri = "/" + "é".repeat(1400)`, "less than 8192"},
		{"query only changed, too long", requestEvent(), `r.querystring.q = {value: "` + long + `"}`, "less than 8192"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := compile(t, Runtime20, `function handler(event) {
				var r = event.response || event.request;
				`+tc.code+`;
				return r;
			}`)
			_, _, err := p.Run(tc.ev, testLimit)
			if tc.bad == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Type != ValidationError || !strings.Contains(fe.Message, tc.bad) {
				t.Fatalf("got %v, want a %s mentioning %q", err, ValidationError, tc.bad)
			}
		})
	}
}

func TestEscapedQueryString(t *testing.T) {
	for _, tc := range []struct {
		fs   Fields
		want string
	}{
		{Fields{{Name: "q", Values: []Value{{Value: "plain"}}}}, "q=plain"},
		{Fields{{Name: "q", Values: []Value{{Value: "é"}}}}, "q=%C3%A9"},
		{Fields{{Name: "ü", Values: []Value{{Value: "1"}}}}, "%C3%BC=1"},
		{Fields{{Name: "q", Values: []Value{{Value: "a b#c\t\x00\x7f"}}}}, "q=a%20b%23c%09%00%7F"},
		{Fields{{Name: "q", Values: []Value{{Value: "\xff"}}}}, "q=%FF"},
		{Fields{{Name: "q", Values: []Value{{Value: "a%20b"}, {Value: "~!$'()*+,;:@/?"}}}}, "q=a%20b&q=~!$'()*+,;:@/?"},
	} {
		got := tc.fs.EscapedQueryString()
		if got != tc.want {
			t.Errorf("EscapedQueryString(%v) = %q, want %q", tc.fs, got, tc.want)
		}
		for i := 0; i < len(got); i++ {
			if c := got[i]; c <= ' ' || c >= 0x7f || c == '#' {
				t.Errorf("%q holds byte %#x", got, c)
			}
		}
	}
}

// FuzzEscapedQueryString: whatever a query string's fields hold, the
// escaped form never carries a byte that would break the request line.
func FuzzEscapedQueryString(f *testing.F) {
	f.Add("q", "a b")
	f.Add("é", "\r\n#\x00")
	f.Fuzz(func(t *testing.T, name, value string) {
		got := Fields{{Name: name, Values: []Value{{Value: value}}}}.EscapedQueryString()
		for i := 0; i < len(got); i++ {
			if c := got[i]; c <= ' ' || c >= 0x7f || c == '#' {
				t.Fatalf("%q holds byte %#x", got, c)
			}
		}
	})
}
