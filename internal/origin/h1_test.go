package origin

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// scriptOrigin is a raw origin: serve runs on each accepted connection.
type scriptOrigin struct {
	port    int
	accepts atomic.Int64
	mu      sync.Mutex
	heads   []string // request heads read by readRequest
}

func newScriptOrigin(t *testing.T, serve func(o *scriptOrigin, c net.Conn, br *bufio.Reader)) *scriptOrigin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &scriptOrigin{port: ln.Addr().(*net.TCPAddr).Port}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			o.accepts.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(o, c, bufio.NewReader(c))
			}()
		}
	}()
	return o
}

// readRequest reads one request head (to its blank line); false at the
// end of the connection.
func (o *scriptOrigin) readRequest(br *bufio.Reader) bool {
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return false
		}
		head.WriteString(line)
		if line == "\r\n" {
			o.mu.Lock()
			o.heads = append(o.heads, head.String())
			o.mu.Unlock()
			return true
		}
	}
}

// replyEach answers every request on a connection with reply.
func replyEach(reply string) func(*scriptOrigin, net.Conn, *bufio.Reader) {
	return func(o *scriptOrigin, c net.Conn, br *bufio.Reader) {
		for o.readRequest(br) {
			if _, err := io.WriteString(c, reply); err != nil {
				return
			}
		}
	}
}

// replyOnce answers the first request with reply and closes.
func replyOnce(reply string) func(*scriptOrigin, net.Conn, *bufio.Reader) {
	return func(o *scriptOrigin, c net.Conn, br *bufio.Reader) {
		if o.readRequest(br) {
			io.WriteString(c, reply)
		}
	}
}

// newTestClient is a Client whose idle connections close at the test's
// end (so raw origins' connection goroutines end).
func newTestClient(t *testing.T) *Client {
	c := New(S3{})
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func plainGet(c *Client, port int, method string) (*http.Response, error) {
	o := customOrigin("127.0.0.1", port, 443, "http-only")
	return c.Do(context.Background(), &Request{Origin: o, Method: method, Path: "/obj", RawQuery: "a=1", Host: "origin.example", Header: http.Header{}})
}

func detailOf(err error) string {
	var oe *Error
	if errors.As(err, &oe) {
		return oe.Detail
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

// Origin responses the plain client parses: each either fails the fetch
// with the edge's 502 and its access-log detail, fails the body read, or
// gives the status, length and body listed.
func TestPlain_responses(t *testing.T) {
	const (
		invalid = "OriginInvalidResponseError"
		tooBig  = "OriginHeaderTooBigError"
	)
	tests := []struct {
		name      string
		reply     string
		method    string
		detail    string // fetch error's detail; "" for a response
		status    int
		length    int64
		body      string
		bodyError bool // the body read must fail (truncated, bad chunk)
	}{
		{name: "content-length", reply: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", status: 200, length: 2, body: "ok"},
		{name: "bare LF line ends", reply: "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", status: 200, length: 2, body: "ok"},
		{name: "status without reason", reply: "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", status: 404, length: 0},
		{name: "HTTP/1.0", reply: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", status: 200, length: 2, body: "ok"},
		{name: "duplicate equal Content-Length", reply: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", status: 200, length: 2, body: "ok"},
		{name: "close-delimited body", reply: "HTTP/1.1 200 OK\r\n\r\nuntil the end", status: 200, length: -1, body: "until the end"},
		{name: "chunked", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\nA;ext=1\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n", status: 200, length: -1, body: "ok0123456789"},
		{name: "chunked, case-insensitive", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", status: 200, length: -1, body: "ok"},
		{name: "204 without body", reply: "HTTP/1.1 204 No Content\r\n\r\n", status: 204, length: 0},
		{name: "304 with a length but no body", reply: "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n", status: 304, length: 0},
		{name: "HEAD keeps the length, no body", method: http.MethodHead, reply: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", status: 200, length: 100},
		{name: "interim then final", reply: "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", status: 200, length: 2, body: "ok"},

		{name: "HTTP/2 status line", reply: "HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok", detail: invalid},
		{name: "HTTP/1.2", reply: "HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nok", detail: invalid},
		{name: "not HTTP", reply: "ICY 200 OK\r\n\r\n", detail: invalid},
		{name: "four-digit status", reply: "HTTP/1.1 2000 OK\r\n\r\n", detail: invalid},
		{name: "status below 100", reply: "HTTP/1.1 099 Low\r\n\r\n", detail: invalid},
		{name: "status 600", reply: "HTTP/1.1 600 High\r\n\r\n", detail: invalid},
		{name: "no space after status", reply: "HTTP/1.1 200OK\r\n\r\n", detail: invalid},
		{name: "letters in status", reply: "HTTP/1.1 2x0 OK\r\n\r\n", detail: invalid},
		{name: "blank line first", reply: "\r\nHTTP/1.1 200 OK\r\n\r\n", detail: invalid},
		{name: "101 to a plain GET", reply: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", detail: invalid},
		{name: "conflicting Content-Length", reply: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", detail: invalid},
		{name: "Content-Length list of equal values", reply: "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok", detail: invalid},
		{name: "conflicting Content-Length list", reply: "HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok", detail: invalid},
		{name: "signed Content-Length", reply: "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok", detail: invalid},
		{name: "negative Content-Length", reply: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok", detail: invalid},
		{name: "hex Content-Length", reply: "HTTP/1.1 200 OK\r\nContent-Length: 0x2\r\n\r\nok", detail: invalid},
		{name: "empty Content-Length", reply: "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\nok", detail: invalid},
		{name: "huge Content-Length", reply: "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nok", detail: invalid},
		{name: "Transfer-Encoding and Content-Length", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\nok\r\n0\r\n\r\n", detail: invalid},
		{name: "Content-Length and Transfer-Encoding", reply: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", detail: invalid},
		{name: "gzip Transfer-Encoding", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", detail: invalid},
		{name: "Transfer-Encoding twice", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", detail: invalid},
		{name: "Transfer-Encoding in HTTP/1.0", reply: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", detail: invalid},
		{name: "obsolete line folding", reply: "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n", detail: invalid},
		{name: "space before colon", reply: "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", detail: invalid},
		{name: "no colon", reply: "HTTP/1.1 200 OK\r\nContent-Length 0\r\n\r\n", detail: invalid},
		{name: "empty field name", reply: "HTTP/1.1 200 OK\r\n: v\r\n\r\n", detail: invalid},
		{name: "control character in value", reply: "HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 0\r\n\r\n", detail: invalid},
		{name: "bare CR in value", reply: "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n", detail: invalid},
		{name: "NUL in value", reply: "HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n", detail: invalid},
		{name: "head over 20,480 bytes", reply: "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("b", 20480) + "\r\nContent-Length: 0\r\n\r\n", detail: tooBig},
		{name: "many small fields over 20,480 bytes", reply: "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-A: 0123456789\r\n", 1300) + "\r\n", detail: tooBig},
		{name: "truncated head", reply: "HTTP/1.1 200 OK\r\nContent-Len", detail: "OriginConnectError"},
		{name: "no answer", reply: "", detail: "OriginConnectError"},
		{name: "17 interim responses", reply: strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 17) + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", detail: tooBig},
		{name: "two 100 Continue", reply: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", detail: invalid},

		{name: "truncated Content-Length body", reply: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok", status: 200, length: 10, bodyError: true},
		{name: "truncated chunk", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\nok", status: 200, length: -1, bodyError: true},
		{name: "no last chunk", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n", status: 200, length: -1, bodyError: true},
		{name: "bad chunk size", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n", status: 200, length: -1, bodyError: true},
		{name: "negative chunk size", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\nok\r\n0\r\n\r\n", status: 200, length: -1, bodyError: true},
		{name: "overflowing chunk size", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nok\r\n0\r\n\r\n", status: 200, length: -1, bodyError: true},
		{name: "chunk longer than its size", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokk\r\n0\r\n\r\n", status: 200, length: -1, bodyError: true},
		{name: "chunk size line too long", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;" + strings.Repeat("e", 20000) + "\r\nok\r\n0\r\n\r\n", status: 200, length: -1, bodyError: true},
		{name: "bad trailer", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nbad trailer\r\n\r\n", status: 200, length: -1, bodyError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := newScriptOrigin(t, replyOnce(tt.reply))
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			resp, err := plainGet(newTestClient(t), org.port, method)
			if tt.detail != "" {
				if resp != nil {
					resp.Body.Close()
				}
				var oe *Error
				if !errors.As(err, &oe) || oe.Status != http.StatusBadGateway || oe.Detail != tt.detail {
					t.Fatalf("err %v (%s), want a 502 %s", err, detailOf(err), tt.detail)
				}
				return
			}
			if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status || resp.ContentLength != tt.length {
				t.Errorf("status %d length %d, want %d %d", resp.StatusCode, resp.ContentLength, tt.status, tt.length)
			}
			if _, ok := resp.Header["Transfer-Encoding"]; ok {
				t.Errorf("Transfer-Encoding left in the header: %v", resp.Header)
			}
			body, err := io.ReadAll(resp.Body)
			if tt.bodyError {
				if err == nil {
					t.Fatalf("body %q read without error, want a failed read", body)
				}
				return
			}
			if err != nil || string(body) != tt.body {
				t.Errorf("body %q, err %v; want %q", body, err, tt.body)
			}
		})
	}
}

// The request goes in one piece, with the fields the Transport would send
// and nothing that could split it.
func TestPlain_requestHead(t *testing.T) {
	org := newScriptOrigin(t, replyEach("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
	c := newTestClient(t)
	o := customOrigin("127.0.0.1", org.port, 443, "http-only")
	do := func(r *Request) error {
		r.Origin = o
		resp, err := c.Do(context.Background(), r)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := do(&Request{Method: http.MethodGet, Path: "/a%20b/c", RawQuery: "x=1&y", Host: "origin.example",
		Header: http.Header{"X-Amz-Cf-Id": {"id1"}, "Host": {"ignored"}, "Content-Length": {"5"}}}); err != nil {
		t.Fatal(err)
	}
	if err := do(&Request{Method: http.MethodHead, Path: "/", Header: http.Header{"User-Agent": {"Amazon CloudFront"}}}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []http.Header{{"X-A": {"a\r\nX-Injected: 1"}}, {"X-A\r\nB": {"v"}}, {"X-A": {"a\nb"}}} {
		err := do(&Request{Method: http.MethodGet, Path: "/", Header: bad})
		if err == nil {
			t.Errorf("header %q was sent", bad)
		}
	}
	org.mu.Lock()
	defer org.mu.Unlock()
	want := []string{
		"GET /a%20b/c?x=1&y HTTP/1.1\r\nHost: origin.example\r\nUser-Agent: Go-http-client/1.1\r\nX-Amz-Cf-Id: id1\r\n\r\n",
		"HEAD / HTTP/1.1\r\nHost: 127.0.0.1:" + strconv.Itoa(org.port) + "\r\nUser-Agent: Amazon CloudFront\r\n\r\n",
	}
	if len(org.heads) != len(want) {
		t.Fatalf("origin got %d requests %q, want %d", len(org.heads), org.heads, len(want))
	}
	for i := range want {
		if org.heads[i] != want[i] {
			t.Errorf("request %d:\n got %q\nwant %q", i, org.heads[i], want[i])
		}
	}
	if org.accepts.Load() != 1 {
		t.Errorf("%d connections, want one kept alive", org.accepts.Load())
	}
}

// Which responses leave their connection reusable: after a body read to
// its end on a keep-alive response, yes; after Connection: close, an
// HTTP/1.0 response, a close-delimited body, a body closed unread, or
// bytes past the response, no (the next request opens a connection).
func TestPlain_connectionReuse(t *testing.T) {
	tests := []struct {
		name    string
		reply   string
		readAll bool
		reused  bool
	}{
		{"keep-alive", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true, true},
		{"chunked keep-alive", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", true, true},
		{"204", "HTTP/1.1 204 No Content\r\n\r\n", true, true},
		{"interim then final", "HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true, true},
		{"Connection: close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", true, false},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", true, false},
		{"closed unread", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false, false},
		{"bytes past the body", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := newScriptOrigin(t, replyEach(tt.reply))
			c := newTestClient(t)
			for i := 0; i < 2; i++ {
				resp, err := plainGet(c, org.port, http.MethodGet)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if tt.readAll {
					if b, err := io.ReadAll(resp.Body); err != nil || !bytes.HasSuffix([]byte("ok"), b) {
						t.Fatalf("request %d: body %q, %v", i, b, err)
					}
				}
				resp.Body.Close()
			}
			want := int64(2)
			if tt.reused {
				want = 1
			}
			if got := org.accepts.Load(); got != want {
				t.Errorf("%d connections for 2 requests, want %d", got, want)
			}
		})
	}
}

// Slow origins: no answer within the read timeout, a body that stops
// within it, a body that trickles past the completion timeout: each a 504
// OriginReadError, on the fetch or on the body read.
func TestPlain_timeouts(t *testing.T) {
	silent := newScriptOrigin(t, func(o *scriptOrigin, c net.Conn, br *bufio.Reader) {
		o.readRequest(br)
		br.ReadByte() // until the client closes
	})
	stalls := newScriptOrigin(t, func(o *scriptOrigin, c net.Conn, br *bufio.Reader) {
		o.readRequest(br)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok")
		br.ReadByte() // until the client closes
	})
	trickles := newScriptOrigin(t, func(o *scriptOrigin, c net.Conn, br *bufio.Reader) {
		o.readRequest(br)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
		for i := 0; i < 100; i++ {
			if _, err := io.WriteString(c, "x"); err != nil {
				return
			}
			time.Sleep(30 * time.Millisecond)
		}
	})
	is504 := func(err error) bool {
		var oe *Error
		return errors.As(err, &oe) && oe.Status == http.StatusGatewayTimeout && oe.Detail == "OriginReadError"
	}
	c := newTestClient(t)
	get := func(port int, completion time.Duration) (*http.Response, error) {
		o := customOrigin("127.0.0.1", port, 443, "http-only")
		o.Custom.ReadTimeout = 200 * time.Millisecond
		o.ResponseCompletionTimeout = completion
		return c.Do(context.Background(), &Request{Origin: o, Method: http.MethodGet, Path: "/", Header: http.Header{}})
	}
	start := time.Now()
	if _, err := get(silent.port, 0); !is504(err) {
		t.Errorf("silent origin: %v, want 504 OriginReadError", err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > time.Second {
		t.Errorf("silent origin failed after %v, want about the 200 ms read timeout", d)
	}
	for _, tc := range []struct {
		name       string
		port       int
		completion time.Duration
	}{{"body stalls", stalls.port, 0}, {"body trickles past completion", trickles.port, 400 * time.Millisecond}} {
		start := time.Now()
		resp, err := get(tc.port, tc.completion)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if !is504(err) {
			t.Errorf("%s: body error %v, want 504 OriginReadError", tc.name, err)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("%s: cut after %v", tc.name, d)
		}
	}
}

// A canceled request stops waiting for the origin at once.
func TestPlain_contextCanceled(t *testing.T) {
	silent := newScriptOrigin(t, func(o *scriptOrigin, c net.Conn, br *bufio.Reader) {
		o.readRequest(br)
		br.ReadByte() // until the client closes
	})
	o := customOrigin("127.0.0.1", silent.port, 443, "http-only")
	o.Custom.ReadTimeout = 5 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := newTestClient(t).Do(ctx, &Request{Origin: o, Method: http.MethodGet, Path: "/", Header: http.Header{}})
	if err == nil {
		t.Fatal("canceled request succeeded")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("canceled after 100 ms, returned after %v", d)
	}
}

// FuzzParseResponseHead: the head parser never panics, and what it
// accepts net/http accepts too, with the same status and length, and no
// field value carrying a line break or control character.
func FuzzParseResponseHead(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n",
		"HTTP/1.0 404\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\nX-A:  b \r\n\r\n",
		"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n",
		"HTTP/1.1 200 OK\nA: b\n\n",
		"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n",
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n",
		"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\nI: 9\r\nA: 10\r\n\r\n",
		"HTTP/1.1 200 OK\r\nSet-Cookie: " + strings.Repeat("c", 1500) + "\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		head, err := readHead(bufio.NewReaderSize(bytes.NewReader(data), 16), nil)
		if err != nil {
			return
		}
		resp, err := parseResponseHead(head)
		if err != nil {
			return
		}
		if resp.StatusCode < 100 || resp.StatusCode > 599 || resp.ContentLength < -1 {
			t.Fatalf("accepted status %d length %d", resp.StatusCode, resp.ContentLength)
		}
		for name, vs := range resp.Header {
			for _, v := range vs {
				if strings.ContainsAny(name+v, "\r\n\x00") {
					t.Fatalf("field %q: %q", name, v)
				}
			}
		}
		if resp.TransferEncoding != nil && resp.Header.Get("Content-Length") != "" {
			t.Fatalf("both framings accepted")
		}
		ref, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(head)), nil)
		if err != nil {
			t.Fatalf("accepted %q, net/http refuses it: %v", head, err)
		}
		if ref.StatusCode != resp.StatusCode {
			t.Fatalf("status %d, net/http %d", resp.StatusCode, ref.StatusCode)
		}
		if resp.StatusCode >= 200 && resp.StatusCode != 204 && resp.StatusCode != 304 && resp.TransferEncoding == nil && ref.ContentLength != resp.ContentLength {
			t.Fatalf("length %d, net/http %d", resp.ContentLength, ref.ContentLength)
		}
		// The same fields and values (read from the head's copy in the
		// response's own object, parseFinalHead), but for Transfer-Encoding
		// and net/http's single Content-Length for equal repeated ones.
		delete(ref.Header, "Transfer-Encoding")
		got := resp.Header.Clone()
		if cl := got["Content-Length"]; len(cl) > 1 {
			got["Content-Length"] = cl[:1]
		}
		if !reflect.DeepEqual(map[string][]string(got), map[string][]string(ref.Header)) {
			t.Fatalf("header %q, net/http %q", resp.Header, ref.Header)
		}
		// (Without a reason phrase, net/http leaves it out; this parser
		// puts the status's text.)
		if len(ref.Status) > 3 && resp.Status != ref.Status {
			t.Fatalf("status %q, net/http %q", resp.Status, ref.Status)
		}
	})
}

// DeadlineOnly: the context is not watched, its deadline bounds the
// exchange instead (a fill's context ends only at its deadline).
func TestPlain_deadlineOnly(t *testing.T) {
	silent := newScriptOrigin(t, func(o *scriptOrigin, c net.Conn, br *bufio.Reader) {
		o.readRequest(br)
		br.ReadByte() // until the client closes
	})
	o := customOrigin("127.0.0.1", silent.port, 443, "http-only")
	o.Custom.ReadTimeout = 5 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := newTestClient(t).Do(ctx, &Request{Origin: o, Method: http.MethodGet, Path: "/", Header: http.Header{}, DeadlineOnly: true})
	var oe *Error
	if !errors.As(err, &oe) || oe.Status != http.StatusGatewayTimeout {
		t.Fatalf("err %v, want a 504 at the context's deadline", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > time.Second {
		t.Errorf("returned after %v, want about the 150 ms deadline", d)
	}
}

// Past maxPlainPools origin addresses (a function may choose any origin),
// a request gets a pool of its own that keeps no connection.
func TestPlain_poolsBounded(t *testing.T) {
	org := newScriptOrigin(t, replyEach("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	c := newTestClient(t)
	for i := 0; i < maxPlainPools; i++ {
		c.poolFor(h1Key{host: "198.51.100.1", port: 10000 + i})
	}
	for i := 0; i < 2; i++ {
		resp, err := plainGet(c, org.port, http.MethodGet)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if len(c.h1Pools) != maxPlainPools {
		t.Errorf("%d pools, want them bounded at %d", len(c.h1Pools), maxPlainPools)
	}
	if n := org.accepts.Load(); n != 2 {
		t.Errorf("%d connections for 2 requests past the bound, want 2 (none kept)", n)
	}
}
