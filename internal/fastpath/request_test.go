package fastpath

import (
	"bufio"
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"

	"openfront/internal/httpguard"
)

func TestParse(t *testing.T) {
	long := strings.Repeat("X-Pad: 1\r\n", maxFields+1)
	tests := []struct {
		name  string
		in    string
		st    parseStatus
		check func(*Request) bool
	}{
		{"GET", "GET /a/b?x=1&y HTTP/1.1\r\nHost: h.example\r\nAccept: */*\r\n\r\n", complete,
			func(r *Request) bool {
				return r.Method == "GET" && r.Path == "/a/b" && r.RawQuery == "x=1&y" && r.Host == "h.example" && !r.Close && r.Has("accept")
			}},
		{"HEAD, close", "HEAD / HTTP/1.1\r\nhost:h:8080\r\nConnection: keep-alive, Close\r\n\r\n", complete,
			func(r *Request) bool { return r.Method == "HEAD" && r.Host == "h:8080" && r.Close }},
		{"value whitespace trimmed", "GET / HTTP/1.1\r\nHost: h\r\nX-A: \t v \t\r\n\r\n", complete,
			func(r *Request) bool { return r.HeaderOf([]string{"X-A"}).Get("X-A") == "v" }},
		{"partial head", "GET / HTTP/1.1\r\nHost: h\r\n", incomplete, nil},
		{"partial line", "GET / HT", incomplete, nil},
		{"POST", "POST / HTTP/1.1\r\nHost: h\r\n\r\n", unsupported, nil},
		{"HTTP/1.0", "GET / HTTP/1.0\r\nHost: h\r\n\r\n", unsupported, nil},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", unsupported, nil},
		{"absolute form", "GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", unsupported, nil},
		{"asterisk", "GET * HTTP/1.1\r\nHost: h\r\n\r\n", unsupported, nil},
		{"double space", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", unsupported, nil},
		{"bad escape", "GET /%g1 HTTP/1.1\r\nHost: h\r\n\r\n", unsupported, nil},
		{"truncated escape", "GET /%4 HTTP/1.1\r\nHost: h\r\n\r\n", unsupported, nil},
		{"fragment", "GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", unsupported, nil},
		{"non-ASCII target", "GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", unsupported, nil},
		{"no Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", unsupported, nil},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", unsupported, nil},
		{"bad Host", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", unsupported, nil},
		{"Host with trailing whitespace", "GET / HTTP/1.1\r\nHost: h.example:80 \t\r\n\r\n", complete,
			func(r *Request) bool { return r.Host == "h.example:80" }},
		{"Host with a space inside", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", unsupported, nil},
		{"Host with a bad byte after whitespace", "GET / HTTP/1.1\r\nHost: a \x01\r\n\r\n", unsupported, nil},
		{"empty Host", "GET / HTTP/1.1\r\nHost: \r\n\r\n", unsupported, nil},
		{"Host of whitespace", "GET / HTTP/1.1\r\nHost:  \t \r\n\r\n", unsupported, nil},
		{"Host after a bad one", "GET / HTTP/1.1\r\nHost: a/b\r\nHost: h\r\n\r\n", unsupported, nil},
		{"Content-Length", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", unsupported, nil},
		{"Transfer-Encoding", "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", unsupported, nil},
		{"Expect", "GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n", unsupported, nil},
		{"Upgrade", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n", unsupported, nil},
		{"other Connection token", "GET / HTTP/1.1\r\nHost: h\r\nConnection: X-Foo\r\n\r\n", unsupported, nil},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n 2\r\n\r\n", unsupported, nil},
		{"space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", unsupported, nil},
		{"control character", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x01b\r\n\r\n", unsupported, nil},
		{"bare LF", "GET / HTTP/1.1\nHost: h\n\n", unsupported, nil},
		{"too many fields", "GET / HTTP/1.1\r\nHost: h\r\n" + long + "\r\n", unsupported, nil},
		// RFC 9112 section 2.2: empty lines before the request line are
		// ignored, up to httpguard.MaxLeadingEmptyBytes (the guard has
		// the last word on more).
		{"empty line first", "\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n", complete,
			func(r *Request) bool { return r.Method == "GET" && r.Path == "/a" && r.Host == "h" }},
		{"four empty lines first", "\r\n\r\n\r\n\r\nHEAD / HTTP/1.1\r\nHost: h\r\n\r\n", complete,
			func(r *Request) bool { return r.Method == "HEAD" }},
		{"five empty lines first", "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", unsupported, nil},
		{"an empty line alone", "\r\n", incomplete, nil},
		{"empty lines, then a partial head", "\r\n\r\nGET / HTTP/1.1\r\nHo", incomplete, nil},
		{"empty line of a bare LF first", "\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", unsupported, nil},
		{"CR alone first", "\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", unsupported, nil},
		// RFC 9110 section 7.2: a port is digits (the guard answers 400).
		{"Host with a port of letters", "GET / HTTP/1.1\r\nHost: h:abc\r\n\r\n", unsupported, nil},
		{"Host with a port of digits then letters", "GET / HTTP/1.1\r\nHost: h:80a\r\n\r\n", unsupported, nil},
		{"Host with two ports", "GET / HTTP/1.1\r\nHost: h:80:80\r\n\r\n", unsupported, nil},
		{"Host with an empty port", "GET / HTTP/1.1\r\nHost: h:\r\n\r\n", complete,
			func(r *Request) bool { return r.Host == "h:" }},
		{"IPv6 Host with a port", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", complete,
			func(r *Request) bool { return r.Host == "[::1]:8080" }},
		{"IPv6 Host", "GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n", complete,
			func(r *Request) bool { return r.Host == "[::1]" }},
		{"IPv6 Host with a port of letters", "GET / HTTP/1.1\r\nHost: [::1]:x\r\n\r\n", unsupported, nil},
		{"Host with a bad port and trailing whitespace", "GET / HTTP/1.1\r\nHost: h:8x \r\n\r\n", unsupported, nil},
	}
	for _, tc := range tests {
		var r Request
		n, st := parse([]byte(tc.in), &r)
		if st != tc.st {
			t.Errorf("%s: status %d, want %d", tc.name, st, tc.st)
			continue
		}
		if st == complete && (n != len(tc.in) || !tc.check(&r)) {
			t.Errorf("%s: consumed %d of %d, request %+v", tc.name, n, len(tc.in), r)
		}
	}
}

// Two pipelined requests: the first parse consumes exactly the first.
func TestParse_pipelined(t *testing.T) {
	in := []byte("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n")
	var r Request
	n, st := parse(in, &r)
	if st != complete || r.Path != "/1" {
		t.Fatalf("first: %d %+v", st, r)
	}
	if n2, st := parse(in[n:], &r); st != complete || r.Path != "/2" || n+n2 != len(in) {
		t.Fatalf("second: %d %+v", st, r)
	}
}

// parseWithNetHTTP parses data into r and, when parse takes a complete
// head (its first n bytes), returns what http.ReadRequest makes of the
// same bytes, failing the test if net/http refuses what parse accepted;
// nil when parse did not take a complete head.
func parseWithNetHTTP(t *testing.T, data []byte, r *Request) (int, *http.Request) {
	t.Helper()
	n, st := parse(data, r)
	if st != complete {
		return 0, nil
	}
	// The empty lines before the request line that parse skips, net/http
	// never sees: the guard in front of it drops them (httpguard).
	head := data[:n]
	for bytes.HasPrefix(head, []byte("\r\n")) {
		head = head[2:]
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
	if err != nil {
		t.Fatalf("parse accepted %q, net/http: %v", data[:n], err)
	}
	return n, req
}

// FuzzParse checks every request parse accepts against net/http's own
// parser: it must accept it too and see the same method, path (as
// URL.EscapedPath), query, Host, headers and Connection: close, and no
// body. That is what lets the edge answer it without net/http.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"GET /a/b?x=1&y HTTP/1.1\r\nHost: h.example\r\nAccept: */*\r\n\r\n",
		"HEAD /%41%2f;p=1/(x)*!~$ HTTP/1.1\r\nHost: H:80\r\nConnection: close\r\nCookie: a=b\r\ncookie: c=d\r\nx-a: 1\r\n\r\n",
		"GET /? HTTP/1.1\r\nHost: [::1]:8080\r\naccept-encoding:  gzip \r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n",
		"GET /" + strings.Repeat("a", 8190) + " HTTP/1.1\r\nHost: h\r\n\r\n",
		"\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h:8080x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: [::1]:\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Request
		n, req := parseWithNetHTTP(t, data, &r)
		if req == nil {
			return
		}
		if req.Method != r.Method || req.URL.EscapedPath() != r.Path || req.URL.RawQuery != r.RawQuery ||
			req.Host != r.Host || req.Close != r.Close {
			t.Fatalf("%q: parse %q %q %q %q close=%v; net/http %q %q %q %q close=%v", data[:n],
				r.Method, r.Path, r.RawQuery, r.Host, r.Close,
				req.Method, req.URL.EscapedPath(), req.URL.RawQuery, req.Host, req.Close)
		}
		if req.ContentLength != 0 || len(req.TransferEncoding) != 0 {
			t.Fatalf("%q: net/http sees a body", data[:n])
		}
		// The request guard of the net/http path (framing, CloudFront's
		// size limits) accepts every head the fast path serves, as no body.
		// Heads the server can hold are at most readBufSize.
		if n <= readBufSize {
			if status, body := httpguard.Check(data[:n], &httpguard.Config{}); status != 0 || body {
				t.Fatalf("%q: the fast path serves it, httpguard refuses it (%d) or sees a body (%v)", data[:n], status, body)
			}
		}
		names, values := []string{}, 0
		for name, vs := range req.Header {
			names, values = append(names, name), values+len(vs)
		}
		got := r.HeaderOf(names)
		if len(r.hdr) != values {
			t.Fatalf("%q: %d header lines, net/http %d values", data[:n], len(r.hdr), values)
		}
		for name, vs := range req.Header {
			if !slices.Equal(got[name], vs) {
				t.Fatalf("%q: %s = %q, net/http %q", data[:n], name, got[name], vs)
			}
		}
		some := []string{"Cookie", "Accept-Encoding", "X-A"}
		sub := r.HeaderOf(some)
		for _, name := range some {
			if !slices.Equal(sub[name], req.Header[name]) {
				t.Fatalf("%q: HeaderOf %s = %q, net/http %q", data[:n], name, sub[name], req.Header[name])
			}
		}
	})
}

// BenchmarkParse: wrk's request in bench/run.sh, and a browser's.
func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, head string }{
		{"wrk", "GET /obj/hit1k?size=1024 HTTP/1.1\r\nHost: dxzsjrnmqqhlfl.cloudfront.localhost\r\n\r\n"},
		{"browser", "GET /images/logo-big.png?v=12 HTTP/1.1\r\nHost: d111111abcdef8.cloudfront.net\r\n" +
			"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36\r\nAccept: image/avif,image/webp,*/*\r\n" +
			"Accept-Encoding: gzip, deflate, br\r\nAccept-Language: en-US,en;q=0.9\r\nConnection: keep-alive\r\n\r\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			head := []byte(bc.head)
			var r Request
			for b.Loop() {
				if _, st := parse(head, &r); st != complete {
					b.Fatal(st)
				}
			}
		})
	}
}
