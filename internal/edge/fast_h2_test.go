package edge

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"openfront/internal/fastpath"
	"openfront/internal/model"
)

// TestServeFast_http2SameAnswersAsNetHTTP: over HTTP/2, the fast path's
// own HTTP/2 server (fastpath.Server.HTTP2) answers every request as
// net/http's HTTP/2 server running the same edge does (status, headers
// but the per-response ones, body), hits from ServeFast on the
// connection's goroutine and the rest through ServeHTTP; the client is
// golang.org/x/net/http2's Transport.
func TestServeFast_http2SameAnswersAsNetHTTP(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 6<<10)
	text := strings.Repeat("compress me please ", 200)
	o := newTestOrigin(t, sameAnswersOrigin(big, text))
	te := newTestEdge(t, distConfig(o, func(c model.Tree) {
		def := model.Sub(c, "DefaultCacheBehavior")
		model.Sub(def, "ForwardedValues")["QueryString"] = "true"
		def["AllowedMethods"] = model.Tree{"Quantity": "7", "Items": []any{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}}
		cookies := model.Clone(def)
		cookies["PathPattern"] = "/k/*"
		model.Sub(model.Sub(cookies, "ForwardedValues"), "Cookies")["Forward"] = "all"
		comp := model.Clone(def)
		comp["PathPattern"], comp["Compress"] = "/c/*", "true"
		pass := model.Clone(def)
		pass["PathPattern"], pass["MinTTL"], pass["DefaultTTL"], pass["MaxTTL"] = "/pass/*", "0", "0", "0"
		c["CacheBehaviors"] = model.Wrapper([]model.Tree{cookies, comp, pass})
		c["DefaultRootObject"] = "index.html"
	}))

	slow := httptest.NewUnstartedServer(te.Server)
	slow.EnableHTTP2 = true
	slow.StartTLS()
	t.Cleanup(slow.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &fastpath.Server{Handler: te.Server, Fallback: &http.Server{Handler: te.Server}, HTTP2: true,
		TLSConfig:   &tls.Config{Certificates: slow.TLS.Certificates, NextProtos: []string{"h2", "http/1.1"}},
		IdleTimeout: time.Minute, Log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	go fs.Serve(ln)
	t.Cleanup(func() { fs.Shutdown(t.Context()) })
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http2.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	do := func(t *testing.T, addr, method, target, host, body string, headers ...string) *http.Response {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, "https://"+addr+target, rd)
		req.Host = host
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Add(headers[i], headers[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, target, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s %s: body: %v", method, target, err)
		}
		resp.Body = io.NopCloser(strings.NewReader(string(b)))
		return resp
	}
	settle := func(t *testing.T) {
		for deadline := time.Now().Add(5 * time.Second); te.opts.Cache.Stats().InFlight > 0; {
			if time.Now().After(deadline) {
				t.Fatal("fills still running after 5 s")
			}
			time.Sleep(time.Millisecond)
		}
	}

	tests := []struct {
		name, method, target, host, body string
		headers                          []string
		how                              route
	}{
		{"GET hit", "GET", "/a", testHost, "", nil, answered},
		{"HEAD hit", "HEAD", "/a", testHost, "", nil, answered},
		{"query in the key", "GET", "/a?b=2&a=1", testHost, "", nil, answered},
		{"escaped path", "GET", "/p%20q/~user", testHost, "", nil, answered},
		{"path to normalise", "GET", "/p%20q/x/../%7Euser", testHost, "", nil, inLoop},
		{"root object", "GET", "/", testHost, "", nil, answered},
		{"authority with port and capitals", "GET", "/a", strings.ToUpper(testHost) + ":8080", "", nil, answered},
		{"alias", "GET", "/a", "www.example.com", "", nil, answered},
		{"cookie not in the key", "GET", "/a", testHost, "", []string{"Cookie", "c=1"}, answered},
		{"cookies forwarded, one field", "GET", "/k/a", testHost, "", []string{"Cookie", "c=1"}, answered},
		{"cookies forwarded, two fields", "GET", "/k/b", testHost, "", []string{"Cookie", "c=1", "Cookie", "d=2"}, inLoop},
		{"moved, cached 301", "GET", "/moved", testHost, "", nil, answered},
		{"96 KiB hit", "GET", "/big", testHost, "", nil, answered},
		{"compressed variant", "GET", "/c/page.html", testHost, "", []string{"Accept-Encoding", "gzip, br"}, answered},
		{"Range", "GET", "/a", testHost, "", []string{"Range", "bytes=1-3"}, inLoop},
		{"If-None-Match", "GET", "/a", testHost, "", []string{"If-None-Match", `"v1"`}, inLoop},
		{"no Content-Type", "GET", "/no-type", testHost, "", nil, inLoop},
		{"cached 404", "GET", "/missing", testHost, "", nil, inLoop},
		{"unknown host", "GET", "/a", "nobody.example.org", "", nil, inLoop},
		{"not cached, streamed", "GET", "/pass/stream", testHost, "", nil, inLoop},
		{"not cached, sniffed type", "GET", "/pass/untyped", testHost, "", nil, inLoop},
		{"POST with a body", "POST", "/pass/echo", testHost, "posted", nil, inLoop},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			do(t, slow.Listener.Addr().String(), tc.method, tc.target, tc.host, tc.body, tc.headers...)
			settle(t)
			s := do(t, slow.Listener.Addr().String(), tc.method, tc.target, tc.host, tc.body, tc.headers...)
			slowBody, _ := io.ReadAll(s.Body)
			// Twice: a hit's stored head is rendered at its second hit and
			// copied from then on (fast.go).
			for _, pass := range []string{"", " (again)"} {
				s.Body = io.NopCloser(strings.NewReader(string(slowBody))) // sameResponse reads it
				before := fs.Stats()
				f := do(t, ln.Addr().String(), tc.method, tc.target, tc.host, tc.body, tc.headers...)
				if f.ProtoMajor != 2 || s.ProtoMajor != 2 {
					t.Fatalf("protocols %s and %s, want HTTP/2", f.Proto, s.Proto)
				}
				sameResponse(t, tc.name+pass, s, f)
				if got := routeOf(before, fs.Stats()); got != tc.how {
					t.Errorf("%s%s, want %s", got, pass, tc.how)
				}
			}
		})
	}
}
