package fastpath

import (
	"context"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// FuzzHTTPRequest: for every head parse accepts, the request handed to
// net/http's handler is the one http.ReadRequest would have made.
func FuzzHTTPRequest(f *testing.F) {
	for _, s := range []string{
		"GET /a/b?x=1&y HTTP/1.1\r\nHost: h.example\r\nAccept: */*\r\n\r\n",
		"HEAD /%41%2f;p=1/(x)*!~$ HTTP/1.1\r\nHost: H:80\r\nConnection: close\r\nCookie: a=b\r\ncookie: c=d\r\nx-a: 1\r\n\r\n",
		"GET /? HTTP/1.1\r\nHost: [::1]:8080\r\naccept-encoding:  gzip \r\n\r\n",
		"GET /%7e%20 HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\nCache-Control: max-age=0\r\n\r\n",
		"GET /x HTTP/1.1\r\nX-Empty:\r\nHost: h\r\nx-empty: \r\n\r\n",
		"GET //authority/like?q HTTP/1.1\r\nHost: h\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Request
		n, want := parseWithNetHTTP(t, data, &r)
		if want == nil {
			return
		}
		delete(want.Header, "Host") // as serveHTTP always did
		got, err := r.httpRequest(context.Background(), data[:n], nil)
		if err != nil {
			t.Fatalf("%q: %v", data[:n], err)
		}
		// The head's bytes may change once the request is built (the
		// connection's buffer is reused): nothing may alias them.
		for i := range data[:n] {
			data[i] = '#'
		}
		if got.Method != want.Method || got.RequestURI != want.RequestURI || *got.URL != *want.URL ||
			got.Proto != want.Proto || got.ProtoMajor != want.ProtoMajor || got.ProtoMinor != want.ProtoMinor ||
			got.Host != want.Host || got.Close != want.Close || got.ContentLength != want.ContentLength ||
			got.Body != want.Body || got.TransferEncoding != nil || got.Trailer != nil ||
			!reflect.DeepEqual(got.Header, want.Header) {
			t.Fatalf("built %+v\nURL %+v\nheader %q\nnet/http %+v\nURL %+v\nheader %q", got, got.URL, got.Header, want, want.URL, want.Header)
		}
		if strings.Contains(got.Host+got.RequestURI+got.URL.Path+got.URL.RawQuery, "#") {
			t.Fatalf("request aliases the read buffer: %+v", got)
		}
	})
}

// A miss pays for the handover: the request, its URL, the header map (its
// header and one group of slots), its values and one copy of the head, and
// nothing more: 6 objects, 1,008 bytes on go1.26 (a second, empty header
// map made 7 and 1,056).
func TestHTTPRequest_allocations(t *testing.T) {
	head := []byte("GET /bench/0001?x=1 HTTP/1.1\r\nHost: d111111abcdef8.cloudfront.net\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n")
	var r Request
	if n, st := parse(head, &r); st != complete || n != len(head) {
		t.Fatalf("parse: %d %v", n, st)
	}
	ctx := context.Background()
	build := func() {
		if _, err := r.httpRequest(ctx, head, nil); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(1000, build)
	var ms0, ms1 runtime.MemStats
	const runs = 1000
	runtime.ReadMemStats(&ms0)
	for range runs {
		build()
	}
	runtime.ReadMemStats(&ms1)
	bytes := float64(ms1.TotalAlloc-ms0.TotalAlloc) / runs // other goroutines' too: a margin
	t.Logf("%.0f allocations, %.0f bytes per request", allocs, bytes)
	if allocs > 6 || bytes > 1040 {
		t.Errorf("handover allocates %.0f objects, %.0f bytes per request; want <= 6, <= 1040", allocs, bytes)
	}
}
