package httpguard

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// TestLimitHead: over HTTP/2 (Go's client and server over TLS), a request
// whose head, written as HTTP/1.1, is over 20,480 bytes or whose URL is
// over 8,192 gets the configured 413 page on its stream, and the
// connection goes on serving; at the limit it is served. Without
// LimitHead and the raised header list size, net/http would answer 431 or
// end the connection.
func TestLimitHead(t *testing.T) {
	var refused atomic.Int64 // Refused calls
	reject := func(status int) []byte {
		body := "<h1>" + strconv.Itoa(status) + " page</h1>"
		return []byte("HTTP/1.1 " + strconv.Itoa(status) + " Request Entity Too Large\r\nContent-Type: text/html\r\nConnection: close\r\nX-Cache: Error from cloudfront\r\nContent-Length: " +
			strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	}
	srv := httptest.NewUnstartedServer(LimitHead(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "served "+r.Proto)
	}), &Config{Reject: reject, Refused: func(status int, viewer string) {
		if status != 413 || viewer == "" {
			t.Errorf("Refused told %d %q, want 413 and the viewer's address", status, viewer)
		}
		refused.Add(1)
	}}))
	srv.EnableHTTP2 = true
	srv.Config.MaxHeaderBytes = MaxHeaderListBytes
	srv.StartTLS()
	defer srv.Close()
	c := srv.Client()
	c.Transport.(*http.Transport).TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	c.Transport.(*http.Transport).ForceAttemptHTTP2 = true

	// base is the head of GET / with no header but Host (and what Go's
	// client adds: Accept-Encoding and User-Agent), as HeadSize counts it.
	host := strings.TrimPrefix(srv.URL, "https://")
	probe := func(path string, h http.Header) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		for k, vs := range h {
			r.Header[k] = vs
		}
		return r
	}
	base := len("GET / HTTP/1.1\r\n") + len("Host: \r\n") + len(host) + len("Accept-Encoding: gzip\r\n") + len("User-Agent: Go-http-client/2.0\r\n") + len("\r\n")
	pad := func(total int) http.Header { // one X-Pad header bringing the head to total bytes
		return http.Header{"X-Pad": {strings.Repeat("p", total-base-len("X-Pad: \r\n"))}}
	}
	many := http.Header{}
	for i := range 30 {
		many["X-Many-"+strconv.Itoa(i)] = []string{strings.Repeat("m", 700)} // 30 x 712 bytes: no field is large
	}
	for _, tt := range []struct {
		name string
		req  *http.Request
		want int
	}{
		{"small", probe("/", nil), 200},
		{"head at 20,480 bytes", probe("/", pad(MaxHeadBytes)), 200},
		{"head at 20,481 bytes", probe("/", pad(MaxHeadBytes+1)), 413},
		{"one 30 KB header", probe("/", http.Header{"X-Big": {strings.Repeat("b", 30000)}}), 413},
		{"many headers over the limit", probe("/", many), 413},
		{"URL of 8,192 bytes", probe("/"+strings.Repeat("u", MaxTargetBytes-1), nil), 200},
		{"URL of 8,193 bytes", probe("/"+strings.Repeat("u", MaxTargetBytes), nil), 413},
		{"after the refusals, same connection", probe("/", nil), 200},
	} {
		resp, err := c.Do(tt.req)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("%s: %s, want HTTP/2", tt.name, resp.Proto)
		}
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %d %q, want %d", tt.name, resp.StatusCode, body, tt.want)
			continue
		}
		if tt.want == 413 && (string(body) != "<h1>413 page</h1>" || resp.Header.Get("X-Cache") != "Error from cloudfront" || resp.Header.Get("Content-Type") != "text/html") {
			t.Errorf("%s: 413 with %q %v, want the configured page and headers", tt.name, body, resp.Header)
		}
	}
	if n := refused.Load(); n != 4 {
		t.Errorf("Refused told of %d refusals, want 4 (one per 413 above)", n)
	}
}

// TestHeadSize: the HTTP/1.1 length of a request head, hostile shapes
// included (repeated names, empty values).
func TestHeadSize(t *testing.T) {
	for _, tt := range []struct {
		r    *http.Request
		want string
	}{
		{&http.Request{Method: "GET", RequestURI: "/", Host: "a", Header: http.Header{}}, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"},
		{&http.Request{Method: "POST", RequestURI: "/x?y=1", Host: "h.example", Header: http.Header{"A": {"1", ""}, "Bb": {"22"}}},
			"POST /x?y=1 HTTP/1.1\r\nHost: h.example\r\nA: 1\r\nA: \r\nBb: 22\r\n\r\n"},
	} {
		if got := HeadSize(tt.r); got != len(tt.want) {
			t.Errorf("HeadSize(%s %s) = %d, want %d", tt.r.Method, tt.r.RequestURI, got, len(tt.want))
		}
	}
}

// FuzzLimitHead: for any HTTP/2 request head, LimitHead refuses exactly
// when the same head written as HTTP/1.1 is over 20,480 bytes or its URL
// over 8,192, and HeadSize is that written length.
func FuzzLimitHead(f *testing.F) {
	f.Add("GET", "/", "a.example", "X-A", "v", 1)
	f.Add("POST", "/x?"+strings.Repeat("q", 8200), "h", "Cookie", "c=1", 3)
	f.Add("GET", "/", "h", "X-Pad", strings.Repeat("p", 1000), 25)
	f.Add("GET", "/", "", "", "", 0)
	f.Fuzz(func(t *testing.T, method, uri, host, name, value string, repeat int) {
		repeat = max(0, min(repeat, 64))
		r := &http.Request{Method: method, RequestURI: uri, Host: host, Header: http.Header{}, ProtoMajor: 2}
		for range repeat {
			r.Header[name] = append(r.Header[name], value)
		}
		var b strings.Builder
		b.WriteString(method + " " + uri + " HTTP/1.1\r\nHost: " + host + "\r\n")
		for range repeat {
			b.WriteString(name + ": " + value + "\r\n")
		}
		b.WriteString("\r\n")
		if got := HeadSize(r); got != b.Len() {
			t.Fatalf("HeadSize = %d, written %d", got, b.Len())
		}
		served := false
		h := LimitHead(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served = true }), &Config{})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		over := b.Len() > MaxHeadBytes || len(uri) > MaxTargetBytes
		if served == over || (over && w.Code != http.StatusRequestEntityTooLarge) {
			t.Fatalf("head %d bytes, URL %d: served %v, status %d", b.Len(), len(uri), served, w.Code)
		}
	})
}
