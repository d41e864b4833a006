package edge

import (
	"bufio"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"openfront/internal/httpcache"
	"openfront/internal/model"
)

// The tests of this file drive the edge over real HTTP on both sides (an
// httptest origin, the edge behind an httptest server, net/http's client
// as the viewer) for the caching rules of docs/http-caching.md.

// viewer serves te over loopback HTTP and returns a GET function.
func (te *testEdge) viewer(t *testing.T) func(path string, h http.Header) *http.Response {
	t.Helper()
	srv := httptest.NewServer(te)
	t.Cleanup(srv.Close)
	return func(path string, h http.Header) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = testHost
		for k, vs := range h {
			req.Header[k] = vs
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(&readOnce{b: body})
		te.settle()
		return resp
	}
}

// testStart is the test edge's clock at start (newTestEdge).
var testStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type readOnce struct{ b []byte }

func (r *readOnce) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func bodyOf(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func withMinTTL(seconds int) func(model.Tree) {
	return func(c model.Tree) {
		b := model.Sub(c, "DefaultCacheBehavior")
		b["MinTTL"] = strconv.Itoa(seconds)
		b["DefaultTTL"] = "86400"
		b["MaxTTL"] = "31536000"
	}
}

// TestCaching_varyStar: with MinTTL 0 a response whose Vary holds a "*",
// however spelt, is never served from the cache (AWS "Request and response
// behavior for custom origins", Content negotiation); with MinTTL > 0
// CloudFront drops the "*" and caches as usual.
func TestCaching_varyStar(t *testing.T) {
	for _, vary := range [][]string{{"*"}, {" * "}, {"Accept-Encoding, *"}, {"Accept-Encoding", "*"}, {"Origin,*,Cookie"}, {"X-*"}} {
		t.Run(vary[0], func(t *testing.T) {
			o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Vary"] = vary
				w.Header().Set("Cache-Control", "max-age=3600")
				io.WriteString(w, "negotiated")
			})
			get := newTestEdge(t, distConfig(o, nil)).viewer(t)
			for i := range 3 {
				resp := get("/v", nil)
				if resp.StatusCode != 200 || bodyOf(resp) != "negotiated" {
					t.Fatalf("request %d: %d", i, resp.StatusCode)
				}
				if x := resp.Header.Get("X-Cache"); x != "Miss from cloudfront" {
					t.Errorf("request %d: X-Cache %q, want Miss (Vary: * is never served from cache)", i, x)
				}
				if v := resp.Header.Values("Vary"); len(v) == 0 || !hasToken(v[len(v)-1], "*") {
					t.Errorf("request %d: Vary %q, want it to keep *", i, v)
				}
			}
			if n := o.count("/v"); n != 3 {
				t.Errorf("origin asked %d times for 3 requests, want 3", n)
			}
			if h := o.lastHeader(); h.Get("If-None-Match") != "" || h.Get("If-Modified-Since") != "" {
				t.Errorf("the origin must be asked unconditionally: %v", h)
			}
		})
	}
	t.Run("MinTTL>0 drops the star and caches", func(t *testing.T) {
		o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Vary", "Accept-Encoding, *")
			w.Header().Set("Cache-Control", "max-age=3600")
			io.WriteString(w, "negotiated")
		})
		get := newTestEdge(t, distConfig(o, withMinTTL(60))).viewer(t)
		get("/v", nil)
		resp := get("/v", nil)
		if x := resp.Header.Get("X-Cache"); x != "Hit from cloudfront" {
			t.Errorf("second request: X-Cache %q, want Hit", x)
		}
		if v := resp.Header.Get("Vary"); v != "Accept-Encoding" {
			t.Errorf("Vary %q, want Accept-Encoding (the * removed)", v)
		}
		if n := o.count("/v"); n != 1 {
			t.Errorf("origin asked %d times, want 1", n)
		}
	})
}

// TestCaching_varyCookieKept: an origin's Vary: Cookie reaches the viewer
// even when the behaviour forwards no cookies ("Request and response
// behavior for custom origins", HTTP response headers that CloudFront
// removes or replaces, Vary: Accept-Encoding or Cookie in Vary are
// included in the response to the viewer); other names it does not
// forward are removed. On the miss and on the hit.
func TestCaching_varyCookieKept(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Cookie, Accept-Language")
		w.Header().Set("Cache-Control", "max-age=3600")
		io.WriteString(w, "per cookie")
	})
	get := newTestEdge(t, distConfig(o, nil)).viewer(t) // Cookies: Forward none
	for i, want := range []string{"Miss from cloudfront", "Hit from cloudfront"} {
		resp := get("/vc", http.Header{"Cookie": {"s=1"}})
		if x := resp.Header.Get("X-Cache"); x != want {
			t.Errorf("request %d: X-Cache %q, want %q", i, x, want)
		}
		if v := resp.Header.Values("Vary"); len(v) != 1 || v[0] != "Cookie" {
			t.Errorf("request %d: Vary %q, want [Cookie]", i, v)
		}
	}
}

// TestCaching_anyStatusWithExplicitFreshness: a final status CloudFront's
// documentation says nothing about is cached when the origin gives it
// explicit freshness (RFC 9111 §3), and only then.
func TestCaching_anyStatusWithExplicitFreshness(t *testing.T) {
	tests := []struct {
		status       int
		cacheControl string
		expires      bool
		hit          bool
	}{
		{299, "max-age=3600", false, true},
		{299, "s-maxage=3600", false, true},
		{299, "", true, true},
		{201, "max-age=3600", false, true},
		{226, "public, max-age=60", false, true},
		{299, "", false, false},
		{299, "public", false, false},
		{299, "no-store, max-age=3600", false, false},
		{429, "max-age=3600", false, false}, // an error AWS does not list: never cached
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.status)+" "+tc.cacheControl, func(t *testing.T) {
			o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.cacheControl != "" {
					w.Header().Set("Cache-Control", tc.cacheControl)
				}
				if tc.expires {
					w.Header().Set("Date", testStart.Format(http.TimeFormat))
					w.Header().Set("Expires", testStart.Add(time.Hour).Format(http.TimeFormat))
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, "status "+strconv.Itoa(tc.status))
			})
			get := newTestEdge(t, distConfig(o, nil)).viewer(t)
			first := get("/s", nil)
			second := get("/s", nil)
			if first.StatusCode != tc.status || second.StatusCode != tc.status || bodyOf(second) != "status "+strconv.Itoa(tc.status) {
				t.Fatalf("statuses %d, %d; want %d", first.StatusCode, second.StatusCode, tc.status)
			}
			want, calls := "Miss from cloudfront", 2
			if tc.status >= 400 {
				want = "Error from cloudfront"
			}
			if tc.hit {
				want, calls = "Hit from cloudfront", 1
			}
			if x := second.Header.Get("X-Cache"); x != want {
				t.Errorf("second request: X-Cache %q, want %q", x, want)
			}
			if n := o.count("/s"); n != calls {
				t.Errorf("origin asked %d times, want %d", n, calls)
			}
		})
	}
}

// TestCaching_originAge: the Age an origin (or a cache before it) sends
// counts toward the object's age, for freshness (RFC 9111 §4.2.3) and in
// the Age the edge sends (RFC 9111 §5.1), on the fast path and through net/http.
func TestCaching_originAge(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Cache-Control", "max-age=3600")
		switch r.URL.Path {
		case "/young":
			w.Header().Set("Age", "600")
		case "/old":
			w.Header().Set("Age", "7200") // the example: stale on arrival
		}
		io.WriteString(w, "aged "+r.URL.Path)
	})
	f := newFastFronts(t, distConfig(o, nil))
	get := func(addr, path string) *http.Response {
		t.Helper()
		resp := roundTrip(t, addr, "GET "+path+" HTTP/1.1\r\nHost: "+testHost+"\r\n\r\n")
		f.settle(t)
		return resp
	}
	check := func(resp *http.Response, step, xcache, age string) {
		t.Helper()
		if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != xcache || resp.Header.Get("Age") != age || len(resp.Header.Values("Age")) > 1 {
			t.Errorf("%s: %d X-Cache %q Age %q, want 200 %q Age %q", step, resp.StatusCode, resp.Header.Get("X-Cache"), resp.Header.Values("Age"), xcache, age)
		}
	}

	check(get(f.slow, "/young"), "miss passes the origin's Age", "Miss from cloudfront", "600")
	f.te.advance(100 * time.Second)
	check(get(f.slow, "/young"), "net/http hit: stored age + time in cache", "Hit from cloudfront", "700")
	before := f.fs.Stats()
	check(get(f.fast, "/young"), "fast-path hit: stored age + time in cache", "Hit from cloudfront", "700")
	if got := routeOf(before, f.fs.Stats()); got != answered {
		t.Errorf("fast-path hit: %s, want %s", got, answered)
	}
	// 600 + 2999 s old: still fresh; 600 + 3000: stale (max-age=3600).
	f.te.advance(2899 * time.Second)
	check(get(f.fast, "/young"), "one second before expiry", "Hit from cloudfront", "3599")
	f.te.advance(time.Second)
	before = f.fs.Stats()
	resp := get(f.fast, "/young")
	if resp.Header.Get("X-Cache") == "Hit from cloudfront" || routeOf(before, f.fs.Stats()) == answered {
		t.Errorf("at 600 s Age + 3000 s in cache the object is stale, got X-Cache %q", resp.Header.Get("X-Cache"))
	}
	if n := o.count("/young"); n != 2 {
		t.Errorf("origin asked %d times for /young, want 2 (fill, refetch when stale)", n)
	}

	check(get(f.slow, "/old"), "Age above max-age: miss", "Miss from cloudfront", "7200")
	for _, addr := range []string{f.slow, f.fast} {
		if resp := get(addr, "/old"); resp.Header.Get("X-Cache") == "Hit from cloudfront" {
			t.Errorf("max-age=3600 with Age: 7200 is stale on arrival, got a Hit with Age %q", resp.Header.Get("Age"))
		}
	}
	if n := o.count("/old"); n != 3 {
		t.Errorf("origin asked %d times for /old, want 3", n)
	}
}

// TestCaching_ageAfterRevalidation: a 304 restarts the object's age from
// the 304's own Age, and its Age field is not stored as a header.
func TestCaching_ageAfterRevalidation(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Cache-Control", "max-age=60")
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.Header().Set("Age", "20")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "payload")
	})
	f := newFastFronts(t, distConfig(o, nil))
	raw := "GET /r HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n"
	roundTrip(t, f.slow, raw)
	f.settle(t)
	f.te.advance(61 * time.Second)
	resp := roundTrip(t, f.slow, raw)
	f.settle(t)
	if resp.Header.Get("X-Cache") != "RefreshHit from cloudfront" || resp.Header.Get("Age") != "20" {
		t.Errorf("revalidated: X-Cache %q Age %q, want RefreshHit and the 304's Age 20", resp.Header.Get("X-Cache"), resp.Header.Values("Age"))
	}
	f.te.advance(10 * time.Second)
	for _, addr := range []string{f.slow, f.fast} {
		resp := roundTrip(t, addr, raw)
		if resp.Header.Get("X-Cache") != "Hit from cloudfront" || len(resp.Header.Values("Age")) != 1 || resp.Header.Get("Age") != "30" {
			t.Errorf("%s: X-Cache %q Age %q, want one Age: 30", addr, resp.Header.Get("X-Cache"), resp.Header.Values("Age"))
		}
	}
}

// TestCaching_revalidationFiltersLikeAFill: a 304's header is merged into
// the stored one only after the filter a fill's header goes through, so a
// revalidation brings back no Set-Cookie the behaviour does not forward, no
// X-Edge-* field and no Vary value CloudFront does not vary on (with
// MinTTL > 0 the "*" goes too, as on a fill; with MinTTL 0 it stays, and
// the refreshed copy is not kept).
func TestCaching_revalidationFiltersLikeAFill(t *testing.T) {
	for _, tc := range []struct {
		name     string
		minTTL   int
		wantVary string // on the revalidated response
		kept     bool   // the refreshed copy is kept (later requests hit it)
	}{
		{"MinTTL 0", 0, "Accept-Encoding, *", false},
		{"MinTTL 30", 30, "Accept-Encoding", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("ETag", `"v1"`)
				w.Header().Set("Cache-Control", "max-age=60")
				if r.Header.Get("If-None-Match") == `"v1"` {
					w.Header().Set("Vary", "X-Foo, Accept-Encoding, *")
					w.Header().Set("Set-Cookie", "session=from-304")
					w.Header().Set("X-Edge-Origin-Shield", "spoofed")
					w.WriteHeader(http.StatusNotModified)
					return
				}
				io.WriteString(w, "payload")
			})
			f := newFastFronts(t, distConfig(o, withMinTTL(tc.minTTL)))
			raw := "GET /r HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n"
			roundTrip(t, f.slow, raw)
			f.settle(t)
			f.te.advance(61 * time.Second)
			check := func(what string, resp *http.Response, wantVary string) {
				t.Helper()
				if c := resp.Header.Values("Set-Cookie"); len(c) != 0 {
					t.Errorf("%s: Set-Cookie %q, want none (the behaviour forwards no cookies)", what, c)
				}
				if v := resp.Header.Get("X-Edge-Origin-Shield"); v != "" {
					t.Errorf("%s: X-Edge-Origin-Shield %q passed on", what, v)
				}
				if v := strings.Join(resp.Header.Values("Vary"), ", "); v != wantVary {
					t.Errorf("%s: Vary %q, want %q", what, v, wantVary)
				}
			}
			resp := roundTrip(t, f.slow, raw)
			f.settle(t)
			if x := resp.Header.Get("X-Cache"); x != "RefreshHit from cloudfront" {
				t.Fatalf("revalidated: X-Cache %q, want RefreshHit", x)
			}
			check("the revalidated response", resp, tc.wantVary)
			if !tc.kept {
				// Vary: * with MinTTL 0: the copy is dropped, and the next
				// request goes to the origin unconditionally.
				resp := roundTrip(t, f.slow, raw)
				if x := resp.Header.Get("X-Cache"); x != "Miss from cloudfront" {
					t.Errorf("after the revalidation: X-Cache %q, want Miss", x)
				}
				if h := o.lastHeader(); h.Get("If-None-Match") != "" {
					t.Errorf("after the revalidation the origin was asked conditionally: %v", h)
				}
				return
			}
			for _, addr := range []string{f.slow, f.fast} {
				resp := roundTrip(t, addr, raw)
				if x := resp.Header.Get("X-Cache"); x != "Hit from cloudfront" {
					t.Errorf("%s after the revalidation: X-Cache %q, want Hit", addr, x)
				}
				check(addr+" after the revalidation", resp, tc.wantVary)
			}
		})
	}
}

// deadOrigin is a TCP listener that counts connections and closes each at
// once: an origin that is down (the edge answers 502).
type deadOrigin struct {
	net.Listener
	conns atomic.Int64
}

func newDeadOrigin(t *testing.T) *deadOrigin {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &deadOrigin{Listener: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d.conns.Add(1)
			c.Close()
		}
	}()
	return d
}

func (d *deadOrigin) port() string {
	_, p, _ := net.SplitHostPort(d.Addr().String())
	return p
}

// TestCaching_deadOriginErrorCached: the edge's own 502 for an origin that
// cannot be reached is cached for ErrorCachingMinTTL like an origin's 502
// (AWS "How CloudFront processes HTTP 4xx and 5xx status codes from your
// origin"), so requests meanwhile do not retry the origin
// ConnectionAttempts times each.
func TestCaching_deadOriginErrorCached(t *testing.T) {
	tests := []struct {
		name    string
		minTTL  string // ErrorCachingMinTTL for 502; "" = default 10 s
		advance time.Duration
		cached  bool // the third request (after advance) is still answered from the cache
	}{
		{"default 10 s: within", "", 9 * time.Second, true},
		{"default 10 s: after", "", 11 * time.Second, false},
		{"configured 60 s", "60", 30 * time.Second, true},
		{"configured 0: never cached", "0", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dead := newDeadOrigin(t)
			te := newTestEdge(t, distConfig(newTestOrigin(t, okHandler("")), func(c model.Tree) {
				o := model.StructItems(c, "Origins")[0]
				model.Sub(o, "CustomOriginConfig")["HTTPPort"] = dead.port()
				o["ConnectionAttempts"] = "3"
				if tc.minTTL != "" {
					c["CustomErrorResponses"] = model.Wrapper([]model.Tree{{"ErrorCode": "502", "ErrorCachingMinTTL": tc.minTTL}})
				}
			}))
			get := te.viewer(t)
			check := func(step string, wantConns int64) {
				t.Helper()
				resp := get("/x", nil)
				if resp.StatusCode != http.StatusBadGateway || resp.Header.Get("X-Cache") != "Error from cloudfront" ||
					!strings.Contains(bodyOf(resp), "The request could not be satisfied") {
					t.Errorf("%s: %d %q, want CloudFront's 502 page", step, resp.StatusCode, resp.Header.Get("X-Cache"))
				}
				if n := dead.conns.Load(); n != wantConns {
					t.Errorf("%s: %d connection attempts so far, want %d", step, n, wantConns)
				}
			}
			check("first request", 3)
			second := int64(3)
			if tc.minTTL == "0" {
				second = 6
			}
			check("second request", second)
			te.advance(tc.advance)
			third := second + 3
			if tc.cached {
				third = second
			}
			check("after "+tc.advance.String(), third)
		})
	}
}

// TestCaching_timedOutOriginErrorCached: the same for the edge's 504 when
// the origin accepts the connection but does not answer within its read
// timeout.
func TestCaching_timedOutOriginErrorCached(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int64
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			held = append(held, c) // never answered
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	te := newTestEdge(t, distConfig(newTestOrigin(t, okHandler("")), func(c model.Tree) {
		o := model.StructItems(c, "Origins")[0]
		model.Sub(o, "CustomOriginConfig")["HTTPPort"] = port
		model.Sub(o, "CustomOriginConfig")["OriginReadTimeout"] = "1"
		o["ConnectionAttempts"] = "1"
	}))
	get := te.viewer(t)
	for i := range 3 {
		resp := get("/slow", nil)
		if resp.StatusCode != http.StatusGatewayTimeout || resp.Header.Get("X-Cache") != "Error from cloudfront" {
			t.Errorf("request %d: %d %q, want CloudFront's 504", i, resp.StatusCode, resp.Header.Get("X-Cache"))
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("origin tried %d times for 3 requests within ErrorCachingMinTTL, want 1", n)
	}
}

// rawResponses sends raw on a new connection to addr and reads responses
// until a final one (status >= 200); it returns them all.
func rawResponses(t *testing.T, addr, raw string) []*http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	method, _, _ := strings.Cut(raw, " ")
	var out []*http.Response
	for {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("%q: %v after %d responses", raw, err, len(out))
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(strings.NewReader(string(b)))
		out = append(out, resp)
		if resp.StatusCode >= 200 {
			return out
		}
	}
}

// TestCaching_earlyHints: the origin's interim responses (103 Early Hints)
// reach the viewer before the final response, through the fast path's
// loop and through net/http, on a miss and on a request that is not
// cached; a hit has none to give, and an HTTP/1.0 viewer gets none (RFC
// 9110 §15.2).
func TestCaching_earlyHints(t *testing.T) {
	const link = "</style.css>; rel=preload; as=style"
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", link)
		w.Header().Set("X-Hint-Only", "1")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		w.Header().Del("X-Hint-Only")
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Cache-Control", "max-age=3600")
		io.WriteString(w, r.Method+" final")
	})
	f := newFastFronts(t, distConfig(o, func(c model.Tree) {
		model.Sub(c, "DefaultCacheBehavior")["AllowedMethods"] = model.Tree{"Quantity": "7", "Items": []any{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}}
	}))
	fronts := map[string]string{"fast path": f.fast, "net/http": f.slow}
	for name, addr := range fronts {
		t.Run(name, func(t *testing.T) {
			path := "/page-" + strings.ReplaceAll(name, " ", "-")
			for _, step := range []struct {
				what, raw string
				hints     bool
				xcache    string
			}{
				{"miss", "GET " + path + " HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n", true, "Miss from cloudfront"},
				{"hit", "GET " + path + " HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n", false, "Hit from cloudfront"},
				{"not cached (POST)", "POST " + path + " HTTP/1.1\r\nHost: " + testHost + "\r\nContent-Length: 1\r\n\r\nx", true, "Miss from cloudfront"},
				{"HTTP/1.0 viewer", "GET " + path + "-10 HTTP/1.0\r\nHost: " + testHost + "\r\n\r\n", false, "Miss from cloudfront"},
			} {
				resps := rawResponses(t, addr, step.raw)
				f.settle(t)
				final := resps[len(resps)-1]
				if final.StatusCode != 200 || final.Header.Get("X-Cache") != step.xcache {
					t.Errorf("%s: final %d %q, want 200 %q", step.what, final.StatusCode, final.Header.Get("X-Cache"), step.xcache)
				}
				if final.Header.Get("Link") != "" || final.Header.Get("X-Hint-Only") != "" {
					t.Errorf("%s: the 103's fields leaked into the final response: %v", step.what, final.Header)
				}
				if !step.hints {
					if len(resps) != 1 {
						t.Errorf("%s: %d interim responses, want none", step.what, len(resps)-1)
					}
					continue
				}
				if len(resps) != 2 || resps[0].StatusCode != http.StatusEarlyHints {
					t.Errorf("%s: %d responses (first %d), want a 103 then the final", step.what, len(resps), resps[0].StatusCode)
					continue
				}
				hint := resps[0].Header
				if hint.Get("Link") != link || hint.Get("X-Hint-Only") != "1" {
					t.Errorf("%s: 103 fields %v, want the origin's Link and X-Hint-Only", step.what, hint)
				}
				for _, owned := range []string{"Via", "X-Cache", "Age", "Content-Length"} {
					if hint.Get(owned) != "" {
						t.Errorf("%s: 103 carries %s", step.what, owned)
					}
				}
			}
		})
	}
}

// TestCaching_earlyHintsAfterViewerLeft: a 103 that arrives after the
// viewer gave up is dropped (the fill goes on and is stored); run with
// -race, this also checks the relay never writes to a finished response.
func TestCaching_earlyHintsAfterViewerLeft(t *testing.T) {
	release := make(chan struct{})
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Header().Set("Link", "</a.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, "late")
	})
	f := newFastFronts(t, distConfig(o, nil))
	for _, addr := range []string{f.fast, f.slow} {
		path := "/late-" + addr[strings.LastIndexByte(addr, ':')+1:]
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: "+testHost+"\r\n\r\n")
		time.Sleep(50 * time.Millisecond)
		c.Close()
		time.Sleep(50 * time.Millisecond)
		release <- struct{}{}
		f.settle(t)
		resps := rawResponses(t, addr, "GET "+path+" HTTP/1.1\r\nHost: "+testHost+"\r\n\r\n")
		if len(resps) != 1 || resps[0].Header.Get("X-Cache") != "Hit from cloudfront" {
			t.Errorf("%s: %d responses, X-Cache %q; want the stored object as a Hit", addr, len(resps), resps[len(resps)-1].Header.Get("X-Cache"))
		}
	}
}

// TestCaching_earlyHintsHTTP2: an HTTP/2 viewer gets the 103 too (as a
// HEADERS frame before the final one), seen by net/http's own client.
func TestCaching_earlyHintsHTTP2(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</h2.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		io.WriteString(w, "h2 final")
	})
	te := newTestEdge(t, distConfig(o, nil))
	srv := httptest.NewUnstartedServer(te)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	var hints []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		hints = append(hints, strconv.Itoa(code)+" "+h.Get("Link"))
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), http.MethodGet, srv.URL+"/h2", nil)
	req.Host = testHost
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 || string(body) != "h2 final" || resp.Header.Get("Link") != "" {
		t.Errorf("final: %s %d %q Link %q", resp.Proto, resp.StatusCode, body, resp.Header.Get("Link"))
	}
	if len(hints) != 1 || hints[0] != "103 </h2.css>; rel=preload" {
		t.Errorf("interim responses seen by the HTTP/2 viewer: %q, want one 103 with the Link", hints)
	}
}

// TestCaching_ageOnMisses: a response that did not come from a cache has
// no Age, however long the origin took; one that did keeps the origin's,
// cached or not.
func TestCaching_ageOnMisses(t *testing.T) {
	var slow atomic.Pointer[testEdge] // (the origin's goroutine reads it: the plain client's writes give the race detector no order)
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		slow.Load().advance(3 * time.Second) // a slow origin
		if r.URL.Path == "/aged" {
			w.Header().Set("Age", "50")
		}
		io.WriteString(w, "x")
	})
	te := newTestEdge(t, distConfig(o, func(c model.Tree) {
		model.Sub(c, "DefaultCacheBehavior")["AllowedMethods"] = model.Tree{"Quantity": "7", "Items": []any{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}}
	}))
	slow.Store(te)
	for _, tc := range []struct{ method, path, age string }{
		{"GET", "/fresh", ""}, {"POST", "/fresh", ""}, {"GET", "/aged", "50"}, {"POST", "/aged", "50"},
	} {
		var body io.Reader
		if tc.method == "POST" {
			body = strings.NewReader("b")
		}
		w := te.do(t, tc.method, testHost, tc.path, nil, body)
		if w.Header().Get("X-Cache") != "Miss from cloudfront" || w.Header().Get("Age") != tc.age {
			t.Errorf("%s %s: X-Cache %q Age %q, want Miss with Age %q", tc.method, tc.path, w.Header().Get("X-Cache"), w.Header().Get("Age"), tc.age)
		}
	}
}

// TestCaching_ifRangeStrongOnly: If-Range matches by strong comparison
// (RFC 9110 §13.1.5), so a weak validator never applies the Range: the
// whole object comes back with 200. A matching strong one gets the 206.
func TestCaching_ifRangeStrongOnly(t *testing.T) {
	body := strings.Repeat("0123456789", 200)
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		etag := `"s1"`
		if strings.HasPrefix(r.URL.Path, "/weak") {
			etag = `W/"e1"`
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "max-age=3600")
		io.WriteString(w, body)
	})
	get := newTestEdge(t, distConfig(o, nil)).viewer(t)
	for _, tc := range []struct {
		name, path, ifRange string // /weak* objects have ETag W/"e1", the others "s1"
		status              int
		body                string
	}{
		{"weak against weak", "/weak1", `W/"e1"`, 200, body},
		{"strong against weak", "/weak2", `"e1"`, 200, body},
		{"strong against strong", "/strong1", `"s1"`, 206, body[:2]},
		{"strong, another tag", "/strong2", `"s2"`, 200, body},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			for i, x := range []string{"Miss from cloudfront", "Hit from cloudfront"} {
				resp := get(path, http.Header{"Range": {"bytes=0-1"}, "If-Range": {tc.ifRange}})
				if resp.StatusCode != tc.status || bodyOf(resp) != tc.body || resp.Header.Get("X-Cache") != x {
					t.Errorf("request %d: %d %s, want %d %s", i, resp.StatusCode, resp.Header.Get("X-Cache"), tc.status, x)
				}
			}
		})
	}
}

// TestCaching_multipleRanges: several ranges get a multipart/byteranges
// 206 (RFC 9110 §14.6; CloudFront "generally follows the RFC
// specification for the Range header", "How CloudFront processes partial
// requests for an object (range GETs)"), on the miss (cut from the
// arriving body) and on the hit; ranges closer than a part's overhead are
// coalesced (RFC 9110 §14.2); a header with more than MaxRanges ranges,
// or whose parts would outweigh the object, gets the whole object.
func TestCaching_multipleRanges(t *testing.T) {
	var body strings.Builder
	for i := range 20000 {
		body.WriteByte(byte('a' + i%26))
	}
	whole := body.String()
	var sizeOf func(path string) int
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("Content-Type", "text/plain")
		size := sizeOf(r.URL.Path)
		w.Header().Set("Content-Length", strconv.Itoa(size))
		io.WriteString(w, whole[:size])
	})
	sizeOf = func(path string) int {
		switch {
		case strings.HasPrefix(path, "/big"):
			return len(whole)
		case path == "/small":
			return 500
		}
		return 2000
	}
	get := newTestEdge(t, distConfig(o, nil)).viewer(t)
	far := make([]string, httpcache.MaxRanges)
	for i := range far {
		far[i] = strconv.Itoa(i*150) + "-" + strconv.Itoa(i*150)
	}
	type part struct{ from, to int }
	tests := []struct {
		name, path, rng string
		status          int
		parts           []part // several: multipart; one: Content-Range; none: the whole object
	}{
		{"two far ranges", "/a", "bytes=0-1,1000-1001", 206, []part{{0, 1}, {1000, 1001}}},
		{"three, one suffix", "/b", "bytes=0-1,1000-1001,-3", 206, []part{{0, 1}, {1000, 1001}, {1997, 1999}}},
		{"an unsatisfiable member dropped", "/c", "bytes=0-1,1000-1001,5000-6000", 206, []part{{0, 1}, {1000, 1001}}},
		{"close ranges coalesce", "/d", "bytes=0-9,20-29", 206, []part{{0, 29}}},
		{"adjacent ranges coalesce", "/e", "bytes=0-9,10-19", 206, []part{{0, 19}}},
		{"overlapping: the whole object", "/f", "bytes=0-100,50-150", 200, nil},
		{"descending: the whole object", "/g", "bytes=1000-1001,0-1", 200, nil},
		{"MaxRanges parts", "/big", "bytes=" + strings.Join(far, ","), 206, nil},
		{"one more than MaxRanges: the whole object", "/big2", "bytes=" + strings.Join(far, ",") + ",19999-19999", 200, nil},
		{"parts longer than the object: the whole object", "/small", "bytes=0-0,105-105,210-210,315-315,420-420", 200, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			size := sizeOf(tc.path)
			want := tc.parts
			if tc.path == "/big" {
				for i := range far {
					want = append(want, part{i * 150, i * 150})
				}
			}
			for i, x := range []string{"Miss from cloudfront", "Hit from cloudfront"} {
				resp := get(tc.path, http.Header{"Range": {tc.rng}})
				got := bodyOf(resp)
				if resp.StatusCode != tc.status || resp.Header.Get("X-Cache") != x {
					t.Fatalf("request %d: %d %s, want %d %s", i, resp.StatusCode, resp.Header.Get("X-Cache"), tc.status, x)
				}
				if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(got)) {
					t.Errorf("request %d: Content-Length %s for %d bytes", i, cl, len(got))
				}
				switch {
				case len(want) == 0:
					if got != whole[:size] {
						t.Errorf("request %d: not the whole object (%d bytes)", i, len(got))
					}
				case len(want) == 1:
					p := want[0]
					if cr := resp.Header.Get("Content-Range"); cr != fmt.Sprintf("bytes %d-%d/%d", p.from, p.to, size) || got != whole[p.from:p.to+1] {
						t.Errorf("request %d: Content-Range %q body %q", i, cr, got)
					}
				default:
					checkMultipart(t, resp, got, whole[:size], len(want), func(k int) (int, int) { return want[k].from, want[k].to })
				}
			}
		})
	}
}

// checkMultipart reads a multipart/byteranges body: n parts, part k being
// bytes span(k) of whole, each typed text/plain.
func checkMultipart(t *testing.T, resp *http.Response, body, whole string, n int, span func(k int) (int, int)) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/byteranges" || params["boundary"] == "" {
		t.Fatalf("Content-Type %q, want multipart/byteranges with a boundary", resp.Header.Get("Content-Type"))
	}
	if cr := resp.Header.Get("Content-Range"); cr != "" {
		t.Errorf("a multipart 206 has no Content-Range of its own, got %q", cr)
	}
	mr := multipart.NewReader(strings.NewReader(body), params["boundary"])
	for k := 0; ; k++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			if k != n {
				t.Errorf("%d parts, want %d", k, n)
			}
			return
		}
		if err != nil {
			t.Fatalf("part %d: %v", k, err)
		}
		if k >= n {
			t.Fatalf("more than %d parts", n)
		}
		from, to := span(k)
		data, _ := io.ReadAll(p)
		if cr := p.Header.Get("Content-Range"); cr != fmt.Sprintf("bytes %d-%d/%d", from, to, len(whole)) || string(data) != whole[from:to+1] || p.Header.Get("Content-Type") != "text/plain" {
			t.Errorf("part %d: Content-Range %q Content-Type %q data %q, want bytes %d-%d", k, cr, p.Header.Get("Content-Type"), data, from, to)
		}
	}
}
