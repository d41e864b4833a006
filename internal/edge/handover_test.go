package edge

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"openfront/internal/fastpath"
	"openfront/internal/model"
	"openfront/internal/origin"
)

// Over package fastpath, a connection's declined requests (misses,
// refreshes) share one *http.Request, refilled for each (Server.Fallback's
// contract: the handler keeps nothing of it), one exchange and one
// originFill; origin request and response header maps are reused too.
// Each origin request carries its own viewer's values and none of the
// request before on the connection, and each response its own: after an
// origin failure, after a 103 relayed to its request only, and for a
// stale-while-revalidate refresh that runs on after its request while
// the connection goes on (run with -race: it reads its own copy of the
// request, never the connection's).
func TestServer_reusedHandoverRequestLeaksNothing(t *testing.T) {
	var mu sync.Mutex
	seen := map[string][]string{}  // path: "X-Probe|X-Forwarded-For|Via" of each origin request
	cfIDs := map[string][]string{} // path: X-Amz-Cf-Id of each origin request
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = append(seen[r.URL.Path], r.Header.Get("X-Probe")+"|"+r.Header.Get("X-Forwarded-For")+"|"+strings.Join(r.Header["Via"], ","))
		cfIDs[r.URL.Path] = append(cfIDs[r.URL.Path], r.Header.Get("X-Amz-Cf-Id"))
		names := slices.Sorted(maps.Keys(r.Header))
		want := []string{"User-Agent", "Via", "X-Amz-Cf-Id", "X-Forwarded-For", "X-Probe"} // (legacy settings forward the viewer's others)
		if r.URL.Path == "/fail" {
			want = []string{"User-Agent", "Via", "X-Amz-Cf-Id", "X-Extra-1", "X-Extra-2", "X-Forwarded-For", "X-Probe"}
		}
		if !slices.Equal(names, want) {
			t.Errorf("origin request for %s: fields %q, want %q", r.URL.Path, names, want)
		}
		mu.Unlock()
		if r.URL.Path == "/fail" {
			c, _, _ := http.NewResponseController(w).Hijack()
			c.Close() // no answer: the edge's 502
			return
		}
		if r.URL.Path == "/hint" { // an interim response, relayed to this viewer only
			w.Header().Set("Link", "</hint.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.Header().Del("Link")
		}
		w.Header().Set("Cache-Control", "max-age=10, stale-while-revalidate=60")
		io.WriteString(w, "body of "+r.URL.Path)
	})
	te := newTestEdge(t, distConfig(o, func(cfg model.Tree) {
		cfg["DefaultCacheBehavior"].(model.Tree)["ForwardedValues"] = model.Tree{"QueryString": "false",
			"Cookies": model.Tree{"Forward": "none"}, "Headers": model.Wrapper([]string{"X-Probe"})}
	}))
	// The debug log's request ids, kept as logged: a reused exchange's
	// id must be a string of its own, as queued log records keep it.
	var logged []string
	te.Server.opts.Log = slog.New(recordHandler(func(r slog.Record) {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "request_id" && r.Message == "edge: request" {
				mu.Lock()
				logged = append(logged, a.Value.String())
				mu.Unlock()
			}
			return true
		})
	}))
	c, br := dialThroughFastpath(t, te)
	request := func(path, probe, extra string) string {
		return fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nX-Probe: %s\r\n%s\r\n", path, testHost, probe, extra)
	}
	var ids []string                           // each response's X-Amz-Cf-Id
	send := func(raw string, want ...string) { // want: each response's X-Cache
		t.Helper()
		if _, err := io.WriteString(c, raw); err != nil {
			t.Fatal(err)
		}
		for i, cache := range want {
			resp, err := http.ReadResponse(br, nil)
			hints := 0
			for err == nil && resp.StatusCode == http.StatusEarlyHints {
				hints++
				resp, err = http.ReadResponse(br, nil)
			}
			if err != nil {
				t.Fatalf("response %d to %q: %v", i, raw, err)
			}
			if wantHints := strings.HasPrefix(raw, "GET /hint "); (hints == 1) != wantHints || hints > 1 {
				t.Errorf("response %d to %q: %d interim responses", i, raw, hints)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if got := resp.Header.Get("X-Cache"); got != cache {
				t.Fatalf("response %d to %q: %d, X-Cache %q, want %q", i, raw, resp.StatusCode, got, cache)
			}
			// Age is a RefreshHit's here, never the request after's.
			if age := resp.Header.Get("Age"); (age != "") != (cache == "RefreshHit from cloudfront") {
				t.Errorf("response %d to %q: %s, Age %q", i, raw, cache, age)
			}
			ids = append(ids, resp.Header.Get("X-Amz-Cf-Id"))
		}
	}
	// A first request whose origin fails, with values of its own
	// (prior Via and X-Forwarded-For, which the origin request extends),
	// then one without them.
	send(request("/fail", "first", "X-Forwarded-For: 192.0.2.66\r\nVia: 1.1 first.example\r\nX-Extra-1: 1\r\nX-Extra-2: 2\r\n"),
		"Error from cloudfront")
	send(request("/after", "second", ""), "Miss from cloudfront")
	// One with a 103 from the origin, then a request that must not get it.
	send(request("/hint", "hint", ""), "Miss from cloudfront")
	// A stale object within stale-while-revalidate: its request's
	// refresh runs in the background while the next request, pipelined
	// behind it, refills the connection's request.
	send(request("/swr", "swr", ""), "Miss from cloudfront")
	te.advance(15 * time.Second)
	send(request("/swr", "swr", "")+request("/next", "next", "Via: 1.1 next.example\r\n"),
		"RefreshHit from cloudfront", "Miss from cloudfront")
	deadline := time.Now().Add(5 * time.Second)
	for o.count("/swr") < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	te.settle()

	mu.Lock()
	defer mu.Unlock()
	via := strings.Join(seen["/after"], "")
	via = via[strings.LastIndexByte(via, '|')+1:] // the edge's own Via
	want := map[string][]string{
		"/fail":  {"first|192.0.2.66, 127.0.0.1|1.1 first.example, " + via},
		"/after": {"second|127.0.0.1|" + via},
		"/hint":  {"hint|127.0.0.1|" + via},
		"/swr":   {"swr|127.0.0.1|" + via, "swr|127.0.0.1|" + via}, // the miss, then the refresh
		"/next":  {"next|127.0.0.1|1.1 next.example, " + via},
	}
	seen["/fail"] = slices.Compact(seen["/fail"]) // (retried: ConnectionAttempts)
	// Each origin request carries its own viewer request's id (the
	// edge's values, kept in a reused originFill's array).
	cfIDs["/fail"] = slices.Compact(cfIDs["/fail"])
	wantIDs := map[string][]string{"/fail": {ids[0]}, "/after": {ids[1]}, "/hint": {ids[2]}, "/swr": {ids[3], ids[4]}, "/next": {ids[5]}}
	if !maps.EqualFunc(cfIDs, wantIDs, slices.Equal) {
		t.Errorf("origin requests' X-Amz-Cf-Id: %q, want %q", cfIDs, wantIDs)
	}
	if len(slices.Compact(slices.Clone(ids))) != len(ids) || !slices.Equal(logged, ids) {
		t.Errorf("request ids: responses %q, log %q; want distinct, the same", ids, logged)
	}
	for path, w := range want {
		if got := seen[path]; strings.Join(got, "\n") != strings.Join(w, "\n") {
			t.Errorf("origin requests for %s: %q, want %q", path, got, w)
		}
	}
}

// recordHandler is a debug-level slog.Handler that hands each record to f.
type recordHandler func(slog.Record)

func (h recordHandler) Enabled(context.Context, slog.Level) bool      { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error { h(r); return nil }
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler            { return h }
func (h recordHandler) WithGroup(string) slog.Handler                 { return h }

// The origin response's header map goes back to the origin client once
// the cache has copied it (origin.ReleaseHeader, after Fill): every
// object keeps its own header, and the next misses' maps, made of the
// released ones, carry nothing of the last.
func TestServer_releasedOriginHeaderStaysWithItsObject(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		n := strings.TrimPrefix(r.URL.Path, "/obj-")
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("X-Obj", n)
		if len(n)%2 == 0 {
			w.Header().Set("X-Even", n)
		}
		io.WriteString(w, "object "+n)
	})
	te := newTestEdge(t, distConfig(o, nil))
	c, br := dialThroughFastpath(t, te)
	get := func(n string, cache string) {
		t.Helper()
		fmt.Fprintf(c, "GET /obj-%s HTTP/1.1\r\nHost: %s\r\n\r\n", n, testHost)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		names := slices.Sorted(maps.Keys(resp.Header))
		want := []string{"Cache-Control", "Content-Length", "Content-Type", "Date", "Via", "X-Amz-Cf-Id", "X-Amz-Cf-Pop", "X-Cache", "X-Obj"}
		if len(n)%2 == 0 {
			want = append(want, "X-Even")
		}
		if cache == "Hit from cloudfront" {
			want = append(want, "Age")
		}
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("/obj-%s (%s): fields %q, want %q", n, cache, names, want)
		}
		even := ""
		if len(n)%2 == 0 {
			even = n
		}
		if string(b) != "object "+n || resp.Header.Get("X-Cache") != cache || resp.Header.Get("X-Obj") != n || resp.Header.Get("X-Even") != even {
			t.Errorf("/obj-%s: %q, X-Cache %q, X-Obj %q, X-Even %q; want %s, X-Obj %s, X-Even %q",
				n, b, resp.Header.Get("X-Cache"), resp.Header.Get("X-Obj"), resp.Header.Get("X-Even"), cache, n, even)
		}
	}
	names := []string{"1", "22", "333", "4444", "5", "66"}
	for _, n := range names {
		get(n, "Miss from cloudfront")
	}
	te.settle()
	for _, n := range names {
		get(n, "Hit from cloudfront")
	}
}

// fetch gives the origin request's header map back (origin.ReleaseHeader,
// out.Header nil) only when every client it went to keeps no reference to
// it (origin.Client.KeepsNoHeader: the plain-HTTP client); net/http's
// Transport may still be writing it, so an HTTPS origin's stays, and so
// does the originFill whose values it holds (reuseFill).
func TestFetch_givesTheOriginHeaderBackOnlyWhenNoClientKeepsIt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close() // refused: the fetch fails either way, after the client had the header
	for _, tc := range []struct {
		policy string
		kept   bool
	}{{"http-only", false}, {"https-only", true}} {
		te := newTestEdge(t, distConfig(newTestOrigin(t, okHandler("")), func(cfg model.Tree) {
			cfg["Origins"] = model.Wrapper([]model.Tree{{"Id": "o1", "DomainName": "127.0.0.1",
				"CustomOriginConfig": model.Tree{"HTTPPort": port, "HTTPSPort": port, "OriginProtocolPolicy": tc.policy}}})
		}))
		r, _ := http.NewRequest(http.MethodGet, "http://"+testHost+"/a", nil)
		x := newExchange(te.Server, nil, r)
		if ref := x.decide(); ref != nil {
			t.Fatalf("%s: refused: %+v", tc.policy, ref)
		}
		var of originFill
		var out origin.Request
		x.originRequest(&out, of.own[:0], http.MethodGet, nil, 0)
		if _, err := x.fetch(context.Background(), &out, nil); err == nil {
			t.Fatalf("%s: fetched from a closed port", tc.policy)
		}
		if kept := out.Header != nil; kept != tc.kept {
			t.Errorf("%s: header kept %v, want %v", tc.policy, kept, tc.kept)
		}
		x.reused, of.headerKept = true, out.Header != nil
		x.reuseFill(&of)
		if spare := x.spareFill == &of; spare == tc.kept {
			t.Errorf("%s: originFill kept for reuse %v, want %v", tc.policy, spare, !tc.kept)
		}
	}
}

// dialThroughFastpath serves te's edge as the product does (package
// fastpath in front, its handler as Fallback) and returns one keep-alive
// connection to it, closed at the test's end, with a 10 s deadline.
func dialThroughFastpath(t *testing.T, te *testEdge) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", serveThroughFastpath(t, te))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

// serveThroughFastpath serves te's edge as the product does (package
// fastpath in front, its handler as Fallback) until the test's end and
// returns its address.
func serveThroughFastpath(t *testing.T, te *testEdge) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &fastpath.Server{Handler: te.Server, Fallback: &http.Server{Handler: te.Server}}
	go fs.Serve(ln)
	t.Cleanup(func() { fs.Shutdown(context.Background()) })
	return ln.Addr().String()
}

// Many connections at once, each going through misses (its request,
// exchange, originFill and header maps reused from one to the next),
// hits, origin failures, 103s and viewers that leave in the middle of a
// response: every answer is its own request's (the origin echoes the
// path and the viewer's X-Probe, which is part of the cache key), and
// no two responses share an X-Amz-Cf-Id. Run with -race too.
func TestServer_reuseUnderConcurrentConnections(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		path, probe := r.URL.Path, r.Header.Get("X-Probe")
		switch {
		case strings.HasPrefix(path, "/fail-"):
			c, _, _ := http.NewResponseController(w).Hijack()
			c.Close() // no answer: the edge's 502
			return
		case strings.HasPrefix(path, "/hint-"):
			w.Header().Set("Link", "<"+path+".css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.Header().Del("Link")
		case strings.HasPrefix(path, "/slow-"):
			time.Sleep(2 * time.Millisecond)
		}
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("X-Path", path)
		w.Header().Set("X-Probe-Echo", probe)
		io.WriteString(w, "body of "+path+" for "+probe+strings.Repeat(".", len(path)*37%900))
	})
	te := newTestEdge(t, distConfig(o, func(cfg model.Tree) {
		cfg["DefaultCacheBehavior"].(model.Tree)["ForwardedValues"] = model.Tree{"QueryString": "false",
			"Cookies": model.Tree{"Forward": "none"}, "Headers": model.Wrapper([]string{"X-Probe"})}
	}))
	addr := serveThroughFastpath(t, te)

	const workers, requests = 8, 120
	var mu sync.Mutex
	ids := map[string]string{} // X-Amz-Cf-Id: the request that got it
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c net.Conn
			var br *bufio.Reader
			dial := func() {
				if c != nil {
					c.Close()
				}
				var err error
				if c, err = net.Dial("tcp", addr); err != nil {
					t.Error(err)
					return
				}
				c.SetDeadline(time.Now().Add(20 * time.Second))
				br = bufio.NewReader(c)
			}
			dial()
			defer func() { c.Close() }()
			last := ""
			for i := range requests {
				kind := []string{"obj", "obj", "slow", "fail", "hint", "again", "leave", "obj", "again", "obj"}[(i+w)%10]
				path, probe := fmt.Sprintf("/%s-%d-%d", kind, w, i), fmt.Sprintf("probe-%d-%d", w, i)
				if kind == "again" && last != "" { // the last object again: a hit (fastpath's own answer)
					path, probe, _ = strings.Cut(last, " ")
				}
				if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nX-Probe: %s\r\n\r\n", path, testHost, probe); err != nil {
					t.Errorf("worker %d request %d: %v", w, i, err)
					return
				}
				if kind == "leave" { // gone after the first bytes of the answer
					br.ReadByte()
					dial()
					continue
				}
				resp, err := http.ReadResponse(br, nil)
				for err == nil && resp.StatusCode == http.StatusEarlyHints {
					if got, want := resp.Header.Get("Link"), "<"+path+".css>; rel=preload"; got != want {
						t.Errorf("%s: 103 Link %q, want %q", path, got, want)
					}
					resp, err = http.ReadResponse(br, nil)
				}
				if err != nil {
					t.Errorf("worker %d, %s: %v", w, path, err)
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Errorf("%s: body: %v", path, err)
					return
				}
				id := resp.Header.Get("X-Amz-Cf-Id")
				mu.Lock()
				if other, dup := ids[id]; dup || len(id) != requestIDLen {
					t.Errorf("%s: X-Amz-Cf-Id %q (also given to %s)", path, id, other)
				}
				ids[id] = path
				mu.Unlock()
				if kind == "fail" {
					if resp.StatusCode != http.StatusBadGateway || resp.Header.Get("X-Cache") != "Error from cloudfront" {
						t.Errorf("%s: %d %q, want the edge's 502", path, resp.StatusCode, resp.Header.Get("X-Cache"))
					}
				} else {
					want := "body of " + path + " for " + probe + strings.Repeat(".", len(path)*37%900)
					if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Path") != path || resp.Header.Get("X-Probe-Echo") != probe || string(body) != want {
						t.Errorf("%s (%s): %d, X-Path %q, X-Probe-Echo %q, body %.60q", path, probe, resp.StatusCode,
							resp.Header.Get("X-Path"), resp.Header.Get("X-Probe-Echo"), body)
					}
					if wantCache := map[bool]string{true: "Hit from cloudfront", false: "Miss from cloudfront"}[kind == "again" && last != ""]; resp.Header.Get("X-Cache") != wantCache {
						t.Errorf("%s: X-Cache %q, want %q", path, resp.Header.Get("X-Cache"), wantCache)
					}
					last = path + " " + probe
				}
				if resp.Close {
					dial()
				}
			}
		}()
	}
	wg.Wait()
	te.settle()
}
