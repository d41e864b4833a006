package edge

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

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
