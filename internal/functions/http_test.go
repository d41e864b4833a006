package functions

import (
	"net/http"
	"reflect"
	"testing"
)

func TestHTTPConversions(t *testing.T) {
	q := ParseQuery("ID=42&mv=a&&mv=b%20c&flag&=x")
	want := Fields{{Name: "ID", Values: []Value{{Value: "42"}}}, {Name: "mv", Values: []Value{{Value: "a"}, {Value: "b%20c"}}},
		{Name: "flag", Values: []Value{{Value: ""}}}, {Name: "", Values: []Value{{Value: "x"}}}}
	if !reflect.DeepEqual(q, want) {
		t.Errorf("ParseQuery: %+v", q)
	}
	if s := q.QueryString(); s != "ID=42&mv=a&mv=b%20c&flag=&=x" {
		t.Errorf("QueryString: %q", s)
	}

	h := http.Header{"Accept": {"a", "b"}, "Cookie": {"s=1; t=2", "s=3"}, "X-Custom-Header": {"v"}}
	headers, cookies := RequestHeaders(h)
	if !reflect.DeepEqual(headers, Fields{{Name: "accept", Values: []Value{{Value: "a"}, {Value: "b"}}}, {Name: "x-custom-header", Values: []Value{{Value: "v"}}}}) {
		t.Errorf("headers %+v", headers)
	}
	if !reflect.DeepEqual(cookies, Fields{{Name: "s", Values: []Value{{Value: "1"}, {Value: "3"}}}, {Name: "t", Values: []Value{{Value: "2"}}}}) {
		t.Errorf("cookies %+v", cookies)
	}
	if c := cookies.CookieHeader(); c != "s=1; s=3; t=2" {
		t.Errorf("CookieHeader %q", c)
	}

	rh := http.Header{"Content-Type": {"text/html"}, "Set-Cookie": {"ID=id1234; Expires=Wed, 05 Apr 2021 07:28:00 GMT", "plain=1"}}
	headers, cookies = ResponseHeaders(rh)
	if !reflect.DeepEqual(cookies, Fields{{Name: "ID", Values: []Value{{Value: "id1234", Attributes: "Expires=Wed, 05 Apr 2021 07:28:00 GMT"}}}, {Name: "plain", Values: []Value{{Value: "1"}}}}) {
		t.Errorf("response cookies %+v", cookies)
	}
	if got := cookies.SetCookieHeaders(); !reflect.DeepEqual(got, rh["Set-Cookie"]) {
		t.Errorf("SetCookieHeaders %q", got)
	}
	out := http.Header{}
	append(headers, Field{Name: "example-header-name", Values: []Value{{Value: "1"}}}).Header(out)
	if out.Get("Example-Header-Name") != "1" || out.Get("Content-Type") != "text/html" {
		t.Errorf("Header %v", out)
	}
	for in, want := range map[string]string{"example-header-name": "Example-Header-Name", "x-amz-cf-id": "X-Amz-Cf-Id", "a--b": "A--B", "9x": "9x"} {
		if got := CanonicalHeaderName(in); got != want {
			t.Errorf("CanonicalHeaderName(%q) = %q", in, got)
		}
	}
}
