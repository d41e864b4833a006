package fastpath

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
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
		"\r\n\r\nGET /after/empty/lines?q HTTP/1.1\r\nHost: h:\r\nX-A: 1\r\n\r\n",
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
		// A connection's reused request, after another request whose
		// handler left traces, is the same request.
		var into handoverRequest
		var other Request
		otherHead := []byte("GET /other?o=1 HTTP/1.1\r\nHost: other\r\nAccept: x\r\nCookie: o=1\r\n\r\n")
		parse(otherHead, &other)
		prev, err := other.httpRequest(context.Background(), otherHead, &into)
		if err != nil {
			t.Fatal(err)
		}
		prev.Header.Set("X-Left", "1")
		prev.URL.Fragment, prev.URL.User = "left", url.User("left")
		prev.SetPathValue("left", "1")
		into.reset()
		ctx := context.WithValue(context.Background(), got, 1)
		reused, err := r.httpRequest(ctx, data[:n], &into)
		if err != nil {
			t.Fatalf("%q reused: %v", data[:n], err)
		}
		if reused.Context() != ctx || reused.PathValue("left") != "" || *reused.URL != *got.URL || !reflect.DeepEqual(reused.Header, got.Header) ||
			reused.Method != got.Method || reused.RequestURI != got.RequestURI || reused.Host != got.Host || reused.Close != got.Close ||
			reused.Proto != got.Proto || reused.ProtoMajor != got.ProtoMajor || reused.ProtoMinor != got.ProtoMinor || reused.Body != got.Body {
			t.Fatalf("%q: reused request %+v\nURL %+v, new one %+v\nURL %+v", data[:n], reused, reused.URL, got, got.URL)
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
// map made 7 and 1,056). A connection's reused one pays for the head's
// copy and the values only.
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
	// A connection's request, URL and header map are reused
	// (handoverRequest): the head's copy and the values remain, 2
	// objects, 144 bytes.
	var into handoverRequest
	build = func() {
		if _, err := r.httpRequest(ctx, head, &into); err != nil {
			t.Fatal(err)
		}
		into.reset()
	}
	allocs = testing.AllocsPerRun(1000, build)
	runtime.ReadMemStats(&ms0)
	for range runs {
		build()
	}
	runtime.ReadMemStats(&ms1)
	bytes = float64(ms1.TotalAlloc-ms0.TotalAlloc) / runs
	t.Logf("reused: %.0f allocations, %.0f bytes per request", allocs, bytes)
	if allocs > 2 || bytes > 176 {
		t.Errorf("reused handover allocates %.0f objects, %.0f bytes per request; want <= 2, <= 176", allocs, bytes)
	}
}

// The context of a reused request is set where http.Request keeps it
// (requestContextOffset): if a Go release renames or retypes that field,
// this fails and every handover allocates a new request until the
// offset is found again.
func TestRequestContextOffset(t *testing.T) {
	if requestContextOffset == 0 {
		t.Fatal("http.Request has no ctx field of type context.Context: handed-over requests are not reused")
	}
	var r Request
	head := []byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	parse(head, &r)
	var into handoverRequest
	for i := range 3 {
		ctx := context.WithValue(context.Background(), &into, i)
		req, err := r.httpRequest(ctx, head, &into)
		if err != nil {
			t.Fatal(err)
		}
		if req != &into.req || req.Context() != ctx || req.Context().Value(&into) != i {
			t.Fatalf("request %d: %p (kept %p), context %v", i, req, &into.req, req.Context())
		}
		into.reset()
	}
}

// A connection's declined requests share one *http.Request, URL and
// header map (handoverRequest), and none shows anything of the request
// before, whatever its handler did to it: not its header (more fields
// than the kept map takes, fewer, a handler's additions), URL, Host,
// path values, form, TLS state, trailer or length; each has a context of
// its own, and the last one's has ended.
func TestHandover_reusedRequestShowsNothingOfTheLast(t *testing.T) {
	type seen struct {
		req                       *http.Request
		ctx                       context.Context
		header                    http.Header
		url, host, uri, pathValue string
		form                      url.Values
		tls, trailer              bool
		length                    int64
		ctxErr, lastCtxErr        error
	}
	var mu sync.Mutex
	var got []seen
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := seen{req: r, ctx: r.Context(), header: r.Header.Clone(), url: r.URL.String(), host: r.Host, uri: r.RequestURI,
			pathValue: r.PathValue("leak"), form: r.Form, tls: r.TLS != nil, trailer: r.Trailer != nil, length: r.ContentLength, ctxErr: r.Context().Err()}
		mu.Lock()
		if len(got) > 0 {
			s.lastCtxErr = got[len(got)-1].ctx.Err()
		}
		got = append(got, s)
		mu.Unlock()
		// A hostile handler leaves traces everywhere it can.
		r.Header.Set("X-Leak", "1")
		r.Header["Cookie"] = append(r.Header["Cookie"], "leak=1")
		r.URL.Path, r.URL.RawQuery, r.URL.Fragment, r.Host = "/leak", "leak=1", "leak", "leak.example"
		r.SetPathValue("leak", "1")
		r.Form = url.Values{"leak": {"1"}}
		r.TLS, r.Trailer, r.ContentLength = &tls.ConnectionState{}, http.Header{"Leak": nil}, 99
		io.WriteString(w, "ok")
	})
	c := dialFront(t, serveDecliningOver(t, h, false), false)
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	many := "GET /many HTTP/1.1\r\nHost: many.example\r\n"
	manyWant := http.Header{}
	for i := range reusedHeaderFields + 2 {
		many += fmt.Sprintf("X-Many-%d: %d\r\n", i, i)
		manyWant[fmt.Sprintf("X-Many-%d", i)] = []string{strconv.Itoa(i)}
	}
	requests := []struct {
		raw       string
		url, host string
		header    http.Header
	}{
		{"GET /first?a=1 HTTP/1.1\r\nHost: one.example\r\nCookie: c=1\r\nX-One: 1\r\nAccept: */*\r\n\r\n", "/first?a=1", "one.example",
			http.Header{"Cookie": {"c=1"}, "X-One": {"1"}, "Accept": {"*/*"}}},
		{many + "\r\n", "/many", "many.example", manyWant},
		{"GET /third HTTP/1.1\r\nHost: three.example\r\n\r\n", "/third", "three.example", http.Header{}},
		{"HEAD /fourth?b HTTP/1.1\r\nHost: four\r\nCookie: d=4\r\n\r\n", "/fourth?b", "four", http.Header{"Cookie": {"d=4"}}},
	}
	br := bufio.NewReader(c)
	for i, r := range requests {
		if _, err := io.WriteString(c, r.raw); err != nil {
			t.Fatal(err)
		}
		method, _, _ := strings.Cut(r.raw, " ")
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(requests) {
		t.Fatalf("%d requests handled, want %d", len(got), len(requests))
	}
	for i, r := range requests {
		s := got[i]
		if s.url != r.url || s.uri != r.url || s.host != r.host || !reflect.DeepEqual(s.header, r.header) || s.pathValue != "" || s.form != nil ||
			s.tls || s.trailer || s.length != 0 || s.ctxErr != nil {
			t.Errorf("request %d saw %+v\nwant URL %s, host %s, header %v and nothing else", i, s, r.url, r.host, r.header)
		}
		if i > 0 && (s.ctx == got[i-1].ctx || s.lastCtxErr == nil) {
			t.Errorf("request %d: context %p, the last one's %p (ended: %v)", i, s.ctx, got[i-1].ctx, s.lastCtxErr)
		}
	}
	// The test is about reuse: the requests are one.
	if got[2].req != got[0].req || got[3].req != got[0].req {
		t.Errorf("requests %p, %p, %p, %p: not reused", got[0].req, got[1].req, got[2].req, got[3].req)
	}
}
