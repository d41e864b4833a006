package functions

import (
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
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

// refParseQuery and refRequestHeaders are the plain forms of ParseQuery
// and RequestHeaders (a field appended at a time), which the storage-backed
// forms must match exactly.
func refParseQuery(raw string) Fields {
	var fs Fields
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		fs = fs.add(name, Value{Value: value})
	}
	return fs
}

func refRequestHeaders(h http.Header, host string, skip func(string) bool, extra http.Header) (headers, cookies Fields) {
	all := http.Header{}
	for name, vs := range h {
		if !IsDisallowedHeader(name) && (skip == nil || !skip(name)) {
			all[name] = vs
		}
	}
	maps.Copy(all, extra)
	names := slices.Sorted(maps.Keys(all))
	var own Fields
	for _, name := range names {
		lname := strings.ToLower(name)
		for _, v := range all[name] {
			if lname == "cookie" {
				cookies = append(cookies, ParseCookies(v)...)
				continue
			}
			own = own.add(lname, Value{Value: v})
		}
	}
	headers = append(Fields{{Name: "host", Values: []Value{{Value: host}}}}, own...)
	return headers, mergeFields(cookies)
}

// TestEventStorage: the storage-backed conversions give what the plain
// ones give, past the storage's size too, and a field the handler's
// result appends to does not write over its neighbour's values.
func TestEventStorage(t *testing.T) {
	many := http.Header{}
	for i := range 40 {
		many.Add(fmt.Sprintf("X-H%02d", i), strconv.Itoa(i))
	}
	cf := func(name string) bool { return strings.HasPrefix(strings.ToLower(name), "cloudfront-") }
	for _, tc := range []struct {
		query string
		h     http.Header
		skip  func(string) bool
		extra http.Header
	}{
		{"size=1024", http.Header{"User-Agent": {"wrk"}}, nil, nil},
		{"a=1&b=2&a=3&&c&=x", http.Header{"Accept": {"a", "b"}, "accept": {"c"}, "B": {"1"}, "Host": {"other"}, "Empty": {}}, nil, nil},
		{strings.Repeat("k=v&", 30) + "z=1", many, nil, nil},
		{"", http.Header{"Cookie": {"s=1; t=2", "s=3"}, "X-Custom-Header": {"v"}}, nil, nil},
		{"", http.Header{"Connection": {"close"}, "X-Amz-Cf-Id": {"forged"}, "X-Edge-Foo": {"1"}, "Via": {"1.1 proxy"}}, nil, nil},
		{"a=1", http.Header{"Cloudfront-Viewer-Country": {"FR"}, "Cloudfront_viewer_address": {"1.2.3.4:5"}, "Accept": {"x"}},
			cf, http.Header{"Cloudfront-Viewer-Country": {"US"}, "Cloudfront-Is-Mobile-Viewer": {"false"}}},
	} {
		var s EventStorage
		qs := s.ParseQuery(tc.query)
		headers, cookies := s.RequestHeaders(tc.h, "example.com", tc.skip, tc.extra)
		wantH, wantC := refRequestHeaders(tc.h, "example.com", tc.skip, tc.extra)
		if !reflect.DeepEqual(qs, refParseQuery(tc.query)) || !reflect.DeepEqual(headers, wantH) || !reflect.DeepEqual(cookies, wantC) {
			t.Errorf("%q %v: got %v %v %v", tc.query, tc.h, qs, headers, cookies)
		}
		if plainH, plainC := RequestHeaders(tc.h); tc.skip == nil && tc.extra == nil &&
			(!reflect.DeepEqual(plainH, wantH[1:]) && len(plainH)+len(wantH[1:]) > 0 || !reflect.DeepEqual(plainC, wantC)) {
			t.Errorf("RequestHeaders(%v) = %v %v", tc.h, plainH, plainC)
		}
		for i := range headers {
			headers[i].Values = append(headers[i].Values, Value{Value: "appended"})
		}
		if _, again := s.RequestHeaders(tc.h, "example.com", tc.skip, tc.extra); !reflect.DeepEqual(again, wantC) {
			t.Errorf("cookies after appends: %v", again)
		}
		for i, f := range headers {
			if !slices.Equal(f.Values[:len(f.Values)-1], wantH[i].Values) {
				t.Errorf("field %s after appends: %v, want %v", f.Name, f.Values, wantH[i].Values)
			}
		}
	}
}

func TestIsQueryString(t *testing.T) {
	for _, raw := range []string{"", "a=1", "a=1&b=2", "a=1&a=2&b=", "a", "a=1&&b=2", "a=1&b=2&a=3", "=x", "a=1&", "&a=1", "a==1", "a=1&b"} {
		qs := ParseQuery(raw)
		if got, want := qs.IsQueryString(raw), qs.QueryString() == raw; got != want {
			t.Errorf("IsQueryString(%q) = %v, want %v", raw, got, want)
		}
		if !qs.IsQueryString(qs.QueryString()) {
			t.Errorf("IsQueryString of %q's own serialisation is false", raw)
		}
	}
}

// FuzzEventStorage: for any query string and header lines, the
// storage-backed conversions equal the plain ones, and IsQueryString
// agrees with QueryString.
func FuzzEventStorage(f *testing.F) {
	f.Add("a=1&b=2&a=3&&c&=x", "Accept: a\naccept: b\nUser-Agent: wrk\nCookie: s=1; t=2", "other")
	f.Add("size=1024", "User-Agent: wrk", "example.com")
	f.Add(strings.Repeat("k=v&", 20), strings.Repeat("X-A: 1\nx-a: 2\n", 20), "")
	f.Fuzz(func(t *testing.T, rawQuery, headerLines, host string) {
		h := http.Header{}
		for _, line := range strings.Split(headerLines, "\n") {
			if name, value, ok := strings.Cut(line, ":"); ok {
				h[name] = append(h[name], value) // raw keys: names that differ only in case too
			}
		}
		var s EventStorage
		qs := s.ParseQuery(rawQuery)
		if want := refParseQuery(rawQuery); !reflect.DeepEqual(qs, want) {
			t.Fatalf("ParseQuery(%q) = %v, want %v", rawQuery, qs, want)
		}
		if got, want := qs.IsQueryString(rawQuery), qs.QueryString() == rawQuery; got != want {
			t.Fatalf("IsQueryString(%q) = %v, want %v", rawQuery, got, want)
		}
		headers, cookies := s.RequestHeaders(h, host, nil, nil)
		wantH, wantC := refRequestHeaders(h, host, nil, nil)
		if !reflect.DeepEqual(headers, wantH) || !reflect.DeepEqual(cookies, wantC) {
			t.Fatalf("RequestHeaders(%v): %v %v, want %v %v", h, headers, cookies, wantH, wantC)
		}
	})
}
