package edge

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"openfront/internal/cache"
	"openfront/internal/fastpath"
	"openfront/internal/httpguard"
	"openfront/internal/model"
	"openfront/internal/signedurl"
)

// fastFronts serves one test edge two ways: through net/http alone, and
// through the fast path (which hands what it declines to net/http).
type fastFronts struct {
	te   *testEdge
	slow string // address of the net/http-only front
	fast string // address of the fastpath front
	fs   *fastpath.Server
	// tls: both fronts serve HTTPS (HTTP/1.1 over TLS), the fast path
	// with its TLSConfig as the edge runs it.
	tls *tls.Config
}

func newFastFronts(t *testing.T, cfg model.Tree) *fastFronts { return newFastFrontsOver(t, cfg, false) }

// newFastFrontsOver is newFastFronts over TLS when overTLS (both fronts
// with httptest's certificate; the viewer offers no ALPN protocol).
func newFastFrontsOver(t *testing.T, cfg model.Tree, overTLS bool) *fastFronts {
	t.Helper()
	return newFastFrontsWith(t, newTestEdge(t, cfg), overTLS, nil)
}

// newFastFrontsWith is newFastFrontsOver for an edge already made, with
// edit applied to the fast-path server before it serves.
func newFastFrontsWith(t *testing.T, te *testEdge, overTLS bool, edit func(*fastpath.Server)) *fastFronts {
	t.Helper()
	slow := httptest.NewUnstartedServer(te.Server)
	if overTLS {
		slow.StartTLS()
	} else {
		slow.Start()
	}
	t.Cleanup(slow.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &fastpath.Server{Handler: te.Server, Fallback: &http.Server{Handler: te.Server}, IdleTimeout: time.Minute, Log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	f := &fastFronts{te: te, slow: slow.Listener.Addr().String(), fast: ln.Addr().String(), fs: fs}
	if overTLS {
		fs.TLSConfig = &tls.Config{Certificates: slow.TLS.Certificates, NextProtos: []string{"h2", "http/1.1"}}
		fs.Fallback.TLSConfig = fs.TLSConfig
		fs.FallbackListener = func(ln net.Listener) net.Listener {
			return httpguard.TLSHandoffListener(ln, &httpguard.Config{}, fastpath.TLSState)
		}
		fs.Fallback.Handler, fs.Fallback.ConnContext = httpguard.KeepTLS(te.Server), httpguard.ConnContext
		f.tls = &tls.Config{InsecureSkipVerify: true}
	}
	if edit != nil {
		edit(fs)
	}
	go fs.Serve(ln)
	t.Cleanup(func() { fs.Shutdown(t.Context()) })
	return f
}

// dial opens a viewer connection to addr, over TLS for TLS fronts.
func (f *fastFronts) dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	var c net.Conn
	var err error
	if f.tls != nil {
		c, err = tls.Dial("tcp", addr, f.tls)
	} else {
		c, err = net.Dial("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// scheme is the viewer's scheme on these fronts.
func (f *fastFronts) scheme() string {
	if f.tls != nil {
		return "https"
	}
	return "http"
}

func (f *fastFronts) roundTrip(t *testing.T, addr, raw string) *http.Response {
	t.Helper()
	return roundTripOn(t, f.dial(t, addr), raw)
}

// settle waits until no fill is running, so that what was fetched is
// stored (a client can read a whole miss before its fill commits).
func (f *fastFronts) settle(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); f.te.opts.Cache.Stats().InFlight > 0; {
		if time.Now().After(deadline) {
			t.Fatal("fills still running after 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// compare sends raw through net/http twice (the second finds the cache
// warm), then through the fast-path front twice (the first hit there
// renders the stored head, the second copies that rendering), and checks
// that both fronts answer alike and that the fast-path front took route
// how each time.
func (f *fastFronts) compare(t *testing.T, name, raw string, how route) *http.Response {
	t.Helper()
	f.roundTrip(t, f.slow, raw)
	f.settle(t)
	slow := f.roundTrip(t, f.slow, raw)
	slowBody, _ := io.ReadAll(slow.Body)
	var fast *http.Response
	for _, pass := range []string{"", " (again)"} {
		slow.Body = io.NopCloser(bytes.NewReader(slowBody)) // sameResponse reads it
		before := f.fs.Stats()
		fast = f.roundTrip(t, f.fast, raw)
		sameResponse(t, name+pass, slow, fast)
		if got := routeOf(before, f.fs.Stats()); got != how {
			t.Errorf("%s%s: %s, want %s", name, pass, got, how)
		}
	}
	return fast
}

// roundTrip sends one raw request on a new connection and reads the
// response.
func roundTrip(t *testing.T, addr, raw string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return roundTripOn(t, c, raw)
}

// roundTripOn sends one raw request on c and reads the response.
func roundTripOn(t *testing.T, c net.Conn, raw string) *http.Response {
	t.Helper()
	addr := c.RemoteAddr().String()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	method, _, _ := strings.Cut(raw, " ")
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%q to %s (http.Response %v): body: %v after %d bytes", raw, addr, resp.Header, err, len(body))
	}
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return resp
}

// sameResponse compares what a viewer can see of two responses to the
// same request: status, body and headers, except the per-response
// X-Amz-Cf-Id, and Date and Age (clocks) which only have to be present
// alike.
func sameResponse(t *testing.T, name string, slow, fast *http.Response) {
	t.Helper()
	if slow.StatusCode != fast.StatusCode {
		t.Errorf("%s: status %d through the fast path, %d through net/http", name, fast.StatusCode, slow.StatusCode)
	}
	sb, _ := io.ReadAll(slow.Body)
	fb, _ := io.ReadAll(fast.Body)
	// Error pages quote the request id.
	sb = []byte(strings.ReplaceAll(string(sb), slow.Header.Get("X-Amz-Cf-Id"), "ID"))
	fb = []byte(strings.ReplaceAll(string(fb), fast.Header.Get("X-Amz-Cf-Id"), "ID"))
	if string(sb) != string(fb) {
		t.Errorf("%s: bodies differ (%d vs %d bytes)", name, len(fb), len(sb))
	}
	names := map[string]bool{}
	for k := range slow.Header {
		names[k] = true
	}
	for k := range fast.Header {
		names[k] = true
	}
	for k := range names {
		s, f := slow.Header[k], fast.Header[k]
		switch k {
		case "X-Amz-Cf-Id":
			if len(f) != 1 || len(f[0]) != 56 {
				t.Errorf("%s: X-Amz-Cf-Id %q", name, f)
			}
		case "Date", "Age":
			if (len(s) == 0) != (len(f) == 0) {
				t.Errorf("%s: %s %q through the fast path, %q through net/http", name, k, f, s)
			}
		default:
			if !slices.Equal(s, f) {
				t.Errorf("%s: %s %q through the fast path, %q through net/http", name, k, f, s)
			}
		}
	}
	if slow.Close != fast.Close {
		t.Errorf("%s: connection close %v through the fast path, %v through net/http", name, fast.Close, slow.Close)
	}
}

// route is how the fast-path front answered a request.
type route string

const (
	answered   route = "answered by ServeFast"
	inLoop     route = "declined, answered by ServeHTTP on the fast loop"
	handedOver route = "connection handed to net/http"
)

func routeOf(before, after fastpath.Stats) route {
	switch {
	case after.Served > before.Served:
		return answered
	case after.Declined > before.Declined:
		return inLoop
	case after.HandedOver > before.HandedOver:
		return handedOver
	}
	return "not counted"
}

func TestServeFast_sameAnswersAsNetHTTP(t *testing.T) {
	t.Run("http", func(t *testing.T) { testServeFastSameAnswers(t, false) })
	t.Run("https", func(t *testing.T) { testServeFastSameAnswers(t, true) })
}

// testServeFastSameAnswers compares the fronts over plain HTTP or TLS:
// everything the plan decides from the scheme (viewer protocol policy
// here) must come out alike.
func testServeFastSameAnswers(t *testing.T, overTLS bool) {
	big := strings.Repeat("0123456789abcdef", 6<<10) // 96 KiB: written in place
	text := strings.Repeat("compress me please ", 200)
	o := newTestOrigin(t, sameAnswersOrigin(big, text))
	f := newFastFrontsOver(t, distConfig(o, func(c model.Tree) {
		def := model.Sub(c, "DefaultCacheBehavior")
		model.Sub(def, "ForwardedValues")["QueryString"] = "true"
		secure := model.Clone(def)
		secure["PathPattern"], secure["ViewerProtocolPolicy"] = "/secure/*", "https-only"
		comp := model.Clone(def)
		comp["PathPattern"], comp["Compress"] = "/c/*", "true"
		pass := model.Clone(def)
		pass["PathPattern"], pass["MinTTL"], pass["DefaultTTL"], pass["MaxTTL"] = "/pass/*", "0", "0", "0"
		c["CacheBehaviors"] = model.Wrapper([]model.Tree{secure, comp, pass})
		c["DefaultRootObject"] = "index.html"
	}), overTLS)
	httpsOnly := inLoop // a 403 over plain HTTP
	if overTLS {
		httpsOnly = answered
	}

	req := func(method, target, host string, headers ...string) string {
		return method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n" + strings.Join(headers, "") + "\r\n"
	}
	tests := []struct {
		name string
		raw  string
		how  route // after the cache is warm
	}{
		{"GET hit", req("GET", "/a", testHost), answered},
		{"HEAD hit", req("HEAD", "/a", testHost), answered},
		{"query in the key", req("GET", "/a?b=2&a=1", testHost), answered},
		{"escaped path", req("GET", "/p%20q/~user", testHost), answered},
		{"path to normalise", req("GET", "/p%20q/x/../%7Euser", testHost), inLoop},
		{"root object", req("GET", "/", testHost), answered},
		{"host with port and capitals", req("GET", "/a", strings.ToUpper(testHost)+":8080"), answered},
		{"alias", req("GET", "/a", "www.example.com"), answered},
		{"wildcard alias", req("GET", "/a", "x.wild.example.com"), answered},
		{"cookie not in the key", req("GET", "/a", testHost, "Cookie: c=1\r\n"), answered},
		{"moved, cached 301", req("GET", "/moved", testHost), answered},
		{"96 KiB hit", req("GET", "/big", testHost), answered},
		{"origin sent no Date", req("GET", "/no-date", testHost), answered},
		{"compressed variant", req("GET", "/c/page.html", testHost, "Accept-Encoding: gzip, br\r\n"), answered},
		{"identity variant", req("GET", "/c/page.html", testHost), answered},
		{"Connection: close", req("GET", "/a", testHost, "Connection: close\r\n"), answered},
		{"Range", req("GET", "/a", testHost, "Range: bytes=1-3\r\n"), inLoop},
		{"If-None-Match", req("GET", "/a", testHost, "If-None-Match: \"v1\"\r\n"), inLoop},
		{"no Content-Type", req("GET", "/no-type", testHost), inLoop},
		{"cached 404", req("GET", "/missing", testHost), inLoop},
		{"https-only behaviour", req("GET", "/secure/x", testHost), httpsOnly},
		{"POST not allowed", "POST /a HTTP/1.1\r\nHost: " + testHost + "\r\nContent-Length: 1\r\n\r\nx", handedOver},
		{"unknown host", req("GET", "/a", "nobody.example.org"), inLoop},
		{"HTTP/1.0", "GET /a HTTP/1.0\r\nHost: " + testHost + "\r\n\r\n", handedOver},
		{"bad escape", req("GET", "/a%zz", testHost), handedOver},
		{"not cached, chunked origin", req("GET", "/pass/stream", testHost), inLoop},
		{"not cached, short chunked origin", req("GET", "/pass/short", testHost), inLoop},
		{"not cached, HEAD", req("HEAD", "/pass/stream", testHost), inLoop},
		{"not cached, sniffed type", req("GET", "/pass/untyped", testHost), inLoop},
		{"not cached, Connection: close", req("GET", "/pass/stream", testHost, "Connection: close\r\n"), inLoop},
	}
	for _, tc := range tests {
		f.compare(t, tc.name, tc.raw, tc.how)
	}
}

func TestServeFast_staleGoesToNetHTTP(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	f := newFastFronts(t, distConfig(o, nil))
	raw := "GET /s HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n"
	roundTrip(t, f.slow, raw)
	f.settle(t)
	if r := roundTrip(t, f.fast, raw); r.Header.Get("X-Cache") != "Hit from cloudfront" || f.fs.Stats().Served != 1 {
		t.Fatalf("fresh object: X-Cache %q, fast-path answers %d", r.Header.Get("X-Cache"), f.fs.Stats().Served)
	}
	f.te.advance(2 * time.Minute)
	r := roundTrip(t, f.fast, raw)
	if r.Header.Get("X-Cache") != "RefreshHit from cloudfront" && r.Header.Get("X-Cache") != "Miss from cloudfront" {
		t.Errorf("stale object: X-Cache %q, want a revalidation or refetch", r.Header.Get("X-Cache"))
	}
	if f.fs.Stats().Served != 1 || o.count("/s") != 2 {
		t.Errorf("stale object: fast-path answers %d (want 1), origin requests %d (want 2)", f.fs.Stats().Served, o.count("/s"))
	}
}

// Pipelined requests are answered in order, the hits by ServeFast and the
// miss by ServeHTTP on the same connection loop, which goes on with the
// fast path after it.
func TestServeFast_pipelinedMissInTheLoop(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=600"))
	f := newFastFronts(t, distConfig(o, nil))
	get := func(p string) string { return "GET " + p + " HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n" }
	roundTrip(t, f.slow, get("/one"))
	f.settle(t)
	c, err := net.Dial("tcp", f.fast)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, get("/one")+get("/one")+get("/two")+get("/one"))
	br := bufio.NewReader(c)
	want := []struct{ body, cache string }{
		{"body of /one", "Hit"}, {"body of /one", "Hit"}, {"body of /two", "Miss"}, {"body of /one", "Hit"},
	}
	for i, w := range want {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if string(b) != w.body || resp.Header.Get("X-Cache") != w.cache+" from cloudfront" {
			t.Errorf("response %d: %q %q, want %q %s", i, b, resp.Header.Get("X-Cache"), w.body, w.cache)
		}
	}
	if st := f.fs.Stats(); st.Served != 3 || st.Declined != 1 || st.HandedOver != 0 {
		t.Errorf("stats %+v, want 3 answered by ServeFast and the miss by ServeHTTP on the same loop", st)
	}
}

// Signed URLs and cookies that verify are answered by the fast path; the
// rest get net/http's 403 from the one request pipeline. Over TLS, the
// signed resource is the https:// URL (a signature for http:// fails).
func TestServeFast_signed(t *testing.T) {
	t.Run("http", func(t *testing.T) { testServeFastSigned(t, false) })
	t.Run("https", func(t *testing.T) { testServeFastSigned(t, true) })
}

func testServeFastSigned(t *testing.T, overTLS bool) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	o := newTestOrigin(t, okHandler("max-age=600"))
	f := newFastFrontsOver(t, distConfig(o, func(c model.Tree) {
		model.Sub(c, "DefaultCacheBehavior")["TrustedKeyGroups"] = model.Tree{"Enabled": "true", "Quantity": "1", "Items": []any{"kg"}}
	}), overTLS)
	// Compile from records has no key groups: trust the key directly.
	for _, beh := range f.te.Snapshot().Distributions["E1TEST"].Behaviors {
		beh.TrustedKeys = map[string]crypto.PublicKey{"KTESTKEY": &key.PublicKey}
	}
	expires := time.Now().Add(time.Hour).Unix()
	sign := func(resource string) string {
		sum := sha1.Sum(signedurl.CannedPolicy(resource, expires))
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA1, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return strings.NewReplacer("+", "-", "=", "_", "/", "~").Replace(base64.StdEncoding.EncodeToString(sig))
	}
	signedQuery := func(scheme, path string) string {
		return path + "?Expires=" + strconv.FormatInt(expires, 10) + "&Signature=" + sign(scheme+"://"+testHost+path) + "&Key-Pair-Id=KTESTKEY"
	}
	query := func(path string) string { return signedQuery(f.scheme(), path) }
	otherScheme := "https"
	if overTLS {
		otherScheme = "http"
	}
	cookies := "Cookie: CloudFront-Expires=" + strconv.FormatInt(expires, 10) + "; CloudFront-Signature=" + sign(f.scheme()+"://"+testHost+"/c") + "; CloudFront-Key-Pair-Id=KTESTKEY\r\n"
	get := func(target string, extra ...string) string {
		return "GET " + target + " HTTP/1.1\r\nHost: " + testHost + "\r\n" + strings.Join(extra, "") + "\r\n"
	}
	tests := []struct {
		name   string
		raw    string
		status int
		how    route
	}{
		{"signed URL", get(query("/s")), 200, answered},
		{"signed cookies", get("/c", cookies), 200, answered},
		{"unsigned", get("/s"), 403, inLoop},
		{"signature for another path", get(strings.Replace(query("/s"), "/s?", "/t?", 1)), 403, inLoop},
		{"signature for the other scheme", get(signedQuery(otherScheme, "/s")), 403, inLoop},
	}
	for _, tc := range tests {
		if fast := f.compare(t, tc.name, tc.raw, tc.how); fast.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, fast.StatusCode, tc.status)
		}
	}
}

// TestAppendRequestID checks the X-Amz-Cf-Id form, from math/rand/v2's
// words and from an epoll loop's idSource: what base64url of 40 random
// bytes looks like (53 characters of the alphabet, one of A, Q, g, w
// carrying the last two bits, "=="), every character used about evenly
// (the bits look all random, none lost), no two ids alike. A source whose
// two keys are equal (its two words then alike) still never repeats.
func TestAppendRequestID(t *testing.T) {
	same := idSource{key0: 7, key1: 7}
	for _, tc := range []struct {
		name string
		ids  *idSource
	}{
		{"math/rand/v2", nil},
		{"loop source", &idSource{key0: 0x0123456789abcdef, key1: 0xfedcba9876543210}},
		{"new loop source", func() *idSource { s := newIDSource(); return &s }()},
		{"loop source with equal keys", &same},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := regexp.MustCompile(`^[A-Za-z0-9_-]{53}[AQgw]==$`)
			seen := map[string]bool{}
			var counts [256]int
			const n = 20000
			for range n {
				id := string(appendRequestID([]byte("x"), tc.ids))[1:]
				if !form.MatchString(id) {
					t.Fatalf("id %q is not 40 bytes of base64url", id)
				}
				if seen[id] {
					t.Fatalf("id %q twice", id)
				}
				seen[id] = true
				raw, err := base64.URLEncoding.DecodeString(id)
				if err != nil || len(raw) != 40 {
					t.Fatalf("id %q decodes to %d bytes, %v", id, len(raw), err)
				}
				for i := range 53 {
					counts[id[i]]++
				}
			}
			// 64 symbols over n*53 positions: each expected n*53/64 ≈
			// 16,562; a symbol that a bug starves (or favours) is far
			// outside ±10%.
			want := n * 53 / 64
			for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
				if got := counts[c]; got < want*9/10 || got > want*11/10 {
					t.Errorf("symbol %q used %d times, want about %d", c, got, want)
				}
			}
		})
	}
}

// Two loops' sources (keys drawn at random) give different ids, and a
// source's first id differs from its second.
func TestIDSource_loopsDiffer(t *testing.T) {
	a, b := newIDSource(), newIDSource()
	ida := string(appendRequestID(nil, &a))
	if idb := string(appendRequestID(nil, &b)); ida == idb {
		t.Errorf("two loops' first ids alike: %q", ida)
	}
	if next := string(appendRequestID(nil, &a)); next == ida {
		t.Errorf("a loop's first two ids alike: %q", ida)
	}
}

// A cache key longer than the spare room of the connection's write
// buffer (a long query string in the key) grows past it: every hit on one
// keep-alive connection is still answered by the fast path, as net/http
// answers it.
func TestServeFast_keyLongerThanTheRoom(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	f := newFastFronts(t, distConfig(o, func(c model.Tree) {
		model.Sub(model.Sub(c, "DefaultCacheBehavior"), "ForwardedValues")["QueryString"] = "true"
	}))
	raw := "GET /long?q=" + strings.Repeat("k", 3000) + " HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n"
	roundTrip(t, f.slow, raw) // the miss
	f.settle(t)
	slow := roundTrip(t, f.slow, raw)
	slowBody, _ := io.ReadAll(slow.Body)
	c := f.dial(t, f.fast)
	before := f.fs.Stats().Served
	for i := range 4 {
		slow.Body = io.NopCloser(bytes.NewReader(slowBody)) // sameResponse reads it
		sameResponse(t, fmt.Sprintf("hit %d on one connection", i+1), slow, roundTripOn(t, c, raw))
	}
	if got := f.fs.Stats().Served - before; got != 4 {
		t.Errorf("fast-path answers %d, want 4", got)
	}
}

// storedThroughNetHTTP starts both fronts over an origin whose answers
// are fresh for a minute and stores path through net/http's (a miss,
// waited for); it returns the fronts and the raw request for path.
func storedThroughNetHTTP(t *testing.T, path string) (*fastFronts, string) {
	t.Helper()
	o := newTestOrigin(t, okHandler("max-age=60"))
	f := newFastFronts(t, distConfig(o, nil))
	raw := "GET " + path + " HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n"
	roundTrip(t, f.slow, raw) // the miss
	f.settle(t)
	return f, raw
}

// The fast path renders an object's stored head at its second hit and
// copies that rendering from then on; the first hit formats the head
// itself and keeps nothing. Every answer is the same but for the clocks
// and X-Amz-Cf-Id, and the same as net/http's.
func TestServeFast_rendersFromTheSecondHit(t *testing.T) {
	f, raw := storedThroughNetHTTP(t, "/rendered")
	slot := func() *cache.Rendering {
		t.Helper()
		for r := range f.te.opts.Cache.All() {
			if r.Path == "/rendered" {
				e, ok := f.te.opts.Cache.LookupMemory(r.Key)
				if !ok || e.Rendering == nil {
					t.Fatalf("object /rendered: in memory %v, slot %v", ok, e.Rendering)
				}
				return e.Rendering.Load()
			}
		}
		t.Fatal("object /rendered not stored")
		return nil
	}
	var first *http.Response
	var firstBody []byte
	var kept *cache.Rendering
	for i, want := range []string{"none (first hit)", "kept (second hit)", "the same (third hit)"} {
		resp := roundTrip(t, f.fast, raw)
		if resp.Header.Get("X-Cache") != "Hit from cloudfront" || f.fs.Stats().Served != uint64(i+1) {
			t.Fatalf("hit %d: X-Cache %q, fast-path answers %d", i+1, resp.Header.Get("X-Cache"), f.fs.Stats().Served)
		}
		got := slot()
		switch {
		case i == 0 && got != nil, i > 0 && (got == nil || got.Head == nil), i == 2 && got != kept:
			desc := "none"
			if got != nil {
				desc = fmt.Sprintf("%q at %p", got.Head, got)
			}
			t.Fatalf("after hit %d: rendering %s, want %s", i+1, desc, want)
		}
		kept = got
		if first == nil {
			first = resp
			firstBody, _ = io.ReadAll(resp.Body)
			continue
		}
		first.Body = io.NopCloser(bytes.NewReader(firstBody)) // sameResponse reads it
		sameResponse(t, fmt.Sprintf("hit %d against hit 1", i+1), first, resp)
	}
	sameResponse(t, "net/http", roundTrip(t, f.slow, raw), roundTrip(t, f.fast, raw))
}

// Hits served from an object, by the fast path and by net/http, are
// counted on the object (the console's top objects); the miss that stored
// it is not.
func TestServeFast_countsHitsPerObject(t *testing.T) {
	f, raw := storedThroughNetHTTP(t, "/counted")
	for range 2 {
		roundTrip(t, f.slow, raw)
	}
	for range 3 {
		if r := roundTrip(t, f.fast, raw); r.Header.Get("X-Cache") != "Hit from cloudfront" {
			t.Fatalf("X-Cache %q", r.Header.Get("X-Cache"))
		}
	}
	if f.fs.Stats().Served != 3 {
		t.Fatalf("fast-path answers %d, want 3", f.fs.Stats().Served)
	}
	var hits uint64
	found := false
	for r := range f.te.opts.Cache.All() {
		if r.Path == "/counted" {
			hits, found = r.Hits, true
		}
	}
	if !found || hits != 5 {
		t.Errorf("object /counted: found %v, %d hits, want 5 (2 through net/http, 3 through the fast path)", found, hits)
	}
}

// BenchmarkAppendRequestID and BenchmarkAppendRequestIDBase64 compare the
// X-Amz-Cf-Id encoder with the plain way (40 random bytes through
// encoding/base64) in one run.
func BenchmarkAppendRequestID(b *testing.B) {
	buf := make([]byte, 0, 64)
	for b.Loop() {
		buf = appendRequestID(buf[:0], nil)
	}
}

// BenchmarkAppendRequestIDLoop is BenchmarkAppendRequestID from an epoll
// loop's idSource.
func BenchmarkAppendRequestIDLoop(b *testing.B) {
	buf := make([]byte, 0, 64)
	ids := newIDSource()
	for b.Loop() {
		buf = appendRequestID(buf[:0], &ids)
	}
}

func BenchmarkAppendRequestIDBase64(b *testing.B) {
	buf := make([]byte, 0, 64)
	for b.Loop() {
		var raw [40]byte
		for i := 0; i < 40; i += 8 {
			binary.LittleEndian.PutUint64(raw[i:], mathrand.Uint64())
		}
		buf = base64.URLEncoding.AppendEncode(buf[:0], raw[:])
	}
}

// HTTPS hits answered by the fast path carry the Alt-Svc of the HTTP/3
// listener when the distribution serves HTTP/3 (HttpVersion http3 or
// http2and3), as the server's other HTTPS answers do; plain-HTTP answers
// and other distributions' never do.
func TestServeFast_altSvcOverTLS(t *testing.T) {
	const altSvc = `h3=":8443"; ma=86400`
	o := newTestOrigin(t, okHandler("max-age=600"))
	for _, tc := range []struct {
		version string
		overTLS bool
		want    string
	}{
		{"http2and3", true, altSvc},
		{"http3", true, altSvc},
		{"http2", true, ""},
		{"http1.1", true, ""},
		{"http2and3", false, ""},
	} {
		f := newFastFrontsOver(t, distConfig(o, func(c model.Tree) { c["HttpVersion"] = tc.version }), tc.overTLS)
		f.te.Server.opts.AltSvc = altSvc
		for _, host := range []string{testHost, "www.example.com:443"} {
			raw := "GET /alt HTTP/1.1\r\nHost: " + host + "\r\n\r\n"
			f.roundTrip(t, f.fast, raw) // a miss, fills
			f.settle(t)
			before := f.fs.Stats()
			r := f.roundTrip(t, f.fast, raw)
			if got := routeOf(before, f.fs.Stats()); got != answered {
				t.Errorf("%s tls=%v %s: %s, want %s", tc.version, tc.overTLS, host, got, answered)
			}
			if got := r.Header.Get("Alt-Svc"); got != tc.want {
				t.Errorf("%s tls=%v %s: Alt-Svc %q, want %q", tc.version, tc.overTLS, host, got, tc.want)
			}
		}
	}
}

// sameAnswersOrigin is the origin of the tests that compare the fast
// path's answers with net/http's (HTTP/1.1 plain and over TLS, HTTP/2):
// cached, error, redirect, large, compressible, streamed, sniffed and
// echoed answers by path; big is written in place, text compresses.
func sameAnswersOrigin(big, text string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "max-age=600")
		h.Set("ETag", `"v1"`)
		switch r.URL.Path {
		case "/no-type":
			h["Content-Type"] = nil // net/http would sniff one
			io.WriteString(w, "plain bytes")
		case "/no-date":
			h["Date"] = nil
			h.Set("Content-Type", "text/plain")
			io.WriteString(w, "undated")
		case "/missing":
			h.Set("Content-Type", "text/plain")
			w.WriteHeader(404)
			io.WriteString(w, "not here")
		case "/moved":
			h.Set("Location", "/elsewhere")
			h.Set("Content-Type", "text/html")
			w.WriteHeader(301)
			io.WriteString(w, "moved")
		case "/big":
			h.Set("Content-Type", "application/octet-stream")
			io.WriteString(w, big)
		case "/c/page.html":
			h.Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, text)
		case "/pass/stream": // chunked from the origin, streamed on
			h.Set("Content-Type", "application/octet-stream")
			for i := 0; i < 20; i++ {
				io.WriteString(w, big[:1000])
				w.(http.Flusher).Flush()
			}
		case "/pass/short": // chunked from the origin, but short
			h.Set("Content-Type", "text/plain")
			io.WriteString(w, "short")
			w.(http.Flusher).Flush()
		case "/pass/untyped":
			h["Content-Type"] = nil
			io.WriteString(w, "<html><body>sniff me</body></html>")
			w.(http.Flusher).Flush()
		case "/pass/echo":
			b, _ := io.ReadAll(r.Body)
			h.Set("Content-Type", "text/plain")
			fmt.Fprintf(w, "%s %q", r.Method, b)
		default:
			h.Set("Content-Type", "text/plain")
			h.Add("X-Multi", "a")
			h.Add("X-Multi", "b")
			fmt.Fprintf(w, "body of %s?%s cookie %q", r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Cookie"))
		}
	}
}

// TestNewExchange_oneObject: a miss's exchange carries its request id in
// its own allocation, and two exchanges never share an id.
func TestNewExchange_oneObject(t *testing.T) {
	s := &Server{now: time.Now}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if n := testing.AllocsPerRun(100, func() { newExchange(s, nil, r) }); n != 1 {
		t.Errorf("newExchange allocates %.0f objects; want 1", n)
	}
	a, b := newExchange(s, nil, r), newExchange(s, nil, r)
	if a.reqID == b.reqID || len(a.reqID) != requestIDLen {
		t.Errorf("ids %q and %q", a.reqID, b.reqID)
	}
}
