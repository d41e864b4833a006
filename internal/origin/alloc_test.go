package origin

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// keepAliveOrigin answers every request on a connection with reply,
// keeping the connection open, without allocating per request (the
// allocation tests count the whole process's).
func keepAliveOrigin(t testing.TB, reply string) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	b := []byte(reply)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					for {
						line, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(line) == 2 {
							break
						}
					}
					if _, err := c.Write(b); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// drainInto reads r to its end through buf and returns how many bytes it
// read (io.Copy's buffer would count as the test's allocation).
func drainInto(r io.Reader, buf []byte) int {
	n := 0
	for {
		m, err := r.Read(buf)
		n += m
		if err != nil {
			return n
		}
	}
}

// bytesPerRun is testing.AllocsPerRun for bytes: the average bytes
// allocated by one call of f (after a warm-up call).
func bytesPerRun(runs int, f func()) float64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		f()
	}
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-before.TotalAlloc) / float64(runs)
}

// The plain client's garbage per request (a cache miss's origin fetch:
// keep-alive, a body framed by Content-Length, read to its end): every
// object and byte counts at a fill's rate, so each case's bound is what
// the client allocates today and fails if one comes back.
func TestPlainRoundTrip_allocations(t *testing.T) {
	smallHead := "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nCache-Control: max-age=3600\r\n" +
		"Date: Sun, 06 Dec 2026 14:00:00 GMT\r\nEtag: \"1024\"\r\nContent-Length: 1024\r\n\r\n"
	var large strings.Builder
	large.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n")
	for i := 0; i < 30; i++ {
		large.WriteString("X-Field-" + strconv.Itoa(i) + ": a value of some thirty bytes\r\n")
	}
	large.WriteString("\r\n")
	body := strings.Repeat("b", 1024)
	deadline, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	cancelable, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	header := http.Header{"User-Agent": {"Amazon CloudFront"}, "Via": {"1.1 x.cloudfront.net (CloudFront)"},
		"X-Forwarded-For": {"127.0.0.1"}, "X-Amz-Cf-Id": {"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQR=="}}
	for _, tc := range []struct {
		name         string
		head         string
		ctx          context.Context
		deadlineOnly bool
		release      bool // the caller gives the header map back (ReleaseHeader)
		fields       int
		objects      float64
		bytes        float64
	}{
		// A fill's request: its context ends only at its deadline.
		{name: "fill", head: smallHead, ctx: deadline, deadlineOnly: true, fields: 5, objects: 3, bytes: 912},
		// The edge's fill, which gives the header map back once the
		// cache has copied it.
		{name: "fill, header released", head: smallHead, ctx: deadline, deadlineOnly: true, release: true, fields: 5, objects: 1, bytes: 512},
		{name: "background", head: smallHead, ctx: context.Background(), fields: 5, objects: 3, bytes: 912},
		// A context whose cancellation interrupts the exchange.
		{name: "watched", head: smallHead, ctx: cancelable, fields: 5, objects: 7, bytes: 1088},
		// A head past the exchange's largest room for one.
		{name: "large head", head: large.String(), ctx: deadline, deadlineOnly: true, fields: 31, objects: 7, bytes: 4990},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.release && raceEnabled {
				t.Skip("sync.Pool drops items under the race detector")
			}
			port := keepAliveOrigin(t, tc.head+body)
			c := newTestClient(t)
			r := &Request{Origin: customOrigin("127.0.0.1", port, 443, "http-only"), Method: http.MethodGet,
				Path: "/obj/1", RawQuery: "size=1024", Host: "127.0.0.1", Header: header, DeadlineOnly: tc.deadlineOnly}
			buf := make([]byte, 4096)
			get := func() {
				resp, err := c.Do(tc.ctx, r)
				if err != nil {
					t.Fatal(err)
				}
				n := drainInto(resp.Body, buf)
				resp.Body.Close()
				if n != len(body) || resp.StatusCode != 200 || len(resp.Header) != tc.fields || resp.ContentLength != int64(len(body)) {
					t.Fatalf("status %d, %d fields, length %d, %d bytes read", resp.StatusCode, len(resp.Header), resp.ContentLength, n)
				}
				if tc.release {
					ReleaseHeader(resp.Header)
				}
			}
			objects := testing.AllocsPerRun(200, get)
			bytes := bytesPerRun(200, get)
			t.Logf("%.0f objects, %.0f bytes per request", objects, bytes)
			if objects > tc.objects {
				t.Errorf("%.0f objects per request, want at most %.0f", objects, tc.objects)
			}
			// (A few bytes of slack: the runtime's own rare allocations.)
			if bytes > tc.bytes+16 {
				t.Errorf("%.0f bytes per request, want at most %.0f", bytes, tc.bytes)
			}
		})
	}
}

var roomSink *h1Response

// Each room's object fills its allocation size class exactly (no bytes
// rounded up, but the allocator's 8-byte header past 512), the rooms go
// smallest first, and a head takes the first room it fits.
func TestResponseRooms_sizeClasses(t *testing.T) {
	last := 0.0
	for _, r := range responseRooms {
		size := float64(baseUpTo512) + float64(r.values)*float64(stringSize) + float64(r.head)
		if size > 512 {
			size += 8
		}
		// (Less than the 64 bytes between size classes of slack: other
		// goroutines' rare allocations.)
		got := bytesPerRun(1000, func() { roomSink, _, _ = r.alloc() })
		if got < size || got >= size+16 {
			t.Errorf("room of %d values and %d head bytes: %.0f bytes allocated for %.0f", r.values, r.head, got, size)
		}
		if size < last {
			t.Errorf("room of %d values and %d head bytes (%.0f bytes) after a larger one", r.values, r.head, size)
		}
		last = size
	}
	maxHead, maxValues := 0, 0
	for _, r := range responseRooms {
		maxHead, maxValues = max(maxHead, r.head), max(maxValues, r.values)
	}
	for _, tc := range []struct {
		head, fields int
		want         int // room index; -1: none
	}{
		{0, 0, 0},
		{responseRooms[0].head, responseRooms[0].values, 0},
		{responseRooms[0].head + 1, 0, 2},
		{0, responseRooms[0].values + 1, 1},
		{maxHead + 1, 0, -1},
		{0, maxValues + 1, -1},
	} {
		x, values, room := newResponse(tc.head, tc.fields)
		if tc.want < 0 {
			if values != nil || room != nil || x == nil {
				t.Errorf("head %d, %d fields: room %d, %d values; want none", tc.head, tc.fields, len(room), cap(values))
			}
			continue
		}
		if w := responseRooms[tc.want]; len(room) != w.head || cap(values) != w.values || len(values) != 0 {
			t.Errorf("head %d, %d fields: room %d, %d values; want %d, %d", tc.head, tc.fields, len(room), cap(values), w.head, w.values)
		}
	}
}

// A response's header (its values are parts of the response's own
// object) stays as it was while later responses are read on the same
// connection into the connection's buffer.
func TestPlain_headerOutlivesConnectionReuse(t *testing.T) {
	replies := []string{
		"HTTP/1.1 200 First\r\nX-A: one\r\nContent-Length: 1\r\n\r\n1",
		"HTTP/1.1 203 Other\r\nX-A: two, longer\r\nX-B: b\r\nContent-Length: 1\r\n\r\n2",
		"HTTP/1.1 200 OK\r\nX-A: " + strings.Repeat("3", 3000) + "\r\nContent-Length: 1\r\n\r\n3", // past every room
		"HTTP/1.1 200 OK\r\nX-A: four\r\nContent-Length: 1\r\n\r\n4",
	}
	org := newScriptOrigin(t, func(o *scriptOrigin, c net.Conn, br *bufio.Reader) {
		for i := 0; o.readRequest(br); i++ {
			if _, err := c.Write([]byte(replies[i%len(replies)])); err != nil {
				return
			}
		}
	})
	c := newTestClient(t)
	var resps []*http.Response
	for range replies {
		resp, err := plainGet(c, org.port, http.MethodGet)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(resp.Body); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		resps = append(resps, resp)
	}
	if n := org.accepts.Load(); n != 1 {
		t.Fatalf("%d connections, want 1 (kept alive)", n)
	}
	want := []struct{ status, a, b string }{{"200 First", "one", ""}, {"203 Other", "two, longer", "b"}, {"200 OK", strings.Repeat("3", 3000), ""}, {"200 OK", "four", ""}}
	for i, resp := range resps {
		if resp.Status != want[i].status || resp.Header.Get("X-A") != want[i].a || resp.Header.Get("X-B") != want[i].b || resp.Header.Get("Content-Length") != "1" {
			t.Errorf("response %d: %q %q, want %q X-A %q X-B %q", i, resp.Status, resp.Header, want[i].status, want[i].a, want[i].b)
		}
	}
}

// A header map given back (ReleaseHeader) makes a later response's
// header, empty of the last one's fields; what the caller took from it
// before (values, their slices) is unchanged; a map of more fields than
// pooledHeaderFields is not kept.
func TestReleaseHeader_reusedMapStartsEmpty(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	// One P: a map sync.Pool keeps in the P's own slot is found only
	// there, and a goroutine that waited on the origin may go on on
	// another P.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	first := keepAliveOrigin(t, "HTTP/1.1 200 OK\r\nX-First: one\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n")
	second := keepAliveOrigin(t, "HTTP/1.1 404 Not Found\r\nX-Second: two\r\nContent-Length: 0\r\n\r\n")
	var many strings.Builder
	many.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n")
	for i := range pooledHeaderFields + 1 {
		many.WriteString("X-Many-" + strconv.Itoa(i) + ": v\r\n")
	}
	third := keepAliveOrigin(t, many.String()+"\r\n")
	c := newTestClient(t)
	get := func(port int) *http.Response {
		t.Helper()
		r := &Request{Origin: customOrigin("127.0.0.1", port, 443, "http-only"), Method: http.MethodGet, Path: "/", Host: "127.0.0.1"}
		resp, err := c.Do(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	mapOf := func(h http.Header) uintptr { return reflect.ValueOf(h).Pointer() }

	r1 := get(first)
	kept, cookies, m1 := r1.Header.Get("X-First"), r1.Header["Set-Cookie"], mapOf(r1.Header)
	ReleaseHeader(r1.Header)
	r2 := get(second)
	want := http.Header{"X-Second": {"two"}, "Content-Length": {"0"}}
	if !reflect.DeepEqual(r2.Header, want) || mapOf(r2.Header) != m1 {
		t.Errorf("after a release: header %q (map %#x, the released one %#x), want %q in that map", r2.Header, mapOf(r2.Header), m1, want)
	}
	if kept != "one" || !slices.Equal(cookies, []string{"a=1", "b=2"}) {
		t.Errorf("values taken before the release: %q, %q", kept, cookies)
	}

	r3 := get(third)
	if len(r3.Header) != pooledHeaderFields+2 {
		t.Fatalf("%d fields", len(r3.Header))
	}
	m3 := mapOf(r3.Header)
	ReleaseHeader(r3.Header) // too large: not kept
	ReleaseHeader(r2.Header)
	r4 := get(second)
	if m := mapOf(r4.Header); m == m3 || m != m1 || !reflect.DeepEqual(r4.Header, want) {
		t.Errorf("after releasing a large map and a small one: header %q in map %#x (large %#x, small %#x)", r4.Header, m, m3, m1)
	}
}

// KeepsNoHeader is true exactly for the requests the plain-HTTP client
// sends (plainHTTP): those whose header map the caller may give back once
// Do returns. Every other request goes through net/http's Transport,
// which may still be writing it.
func TestKeepsNoHeader(t *testing.T) {
	c := newTestClient(t)
	plain := func(edit func(*Request)) *Request {
		r := &Request{Origin: customOrigin("127.0.0.1", 8080, 443, "http-only"), Method: http.MethodGet, Path: "/a", Host: "h"}
		if edit != nil {
			edit(r)
		}
		return r
	}
	for _, tc := range []struct {
		name string
		r    *Request
		want bool
	}{
		{"plain GET", plain(nil), true},
		{"plain HEAD", plain(func(r *Request) { r.Method = http.MethodHead }), true},
		{"https-only", plain(func(r *Request) { r.Origin = customOrigin("127.0.0.1", 8080, 443, "https-only") }), false},
		{"match-viewer over HTTPS", plain(func(r *Request) {
			r.Origin = customOrigin("127.0.0.1", 8080, 443, "match-viewer")
			r.ViewerHTTPS = true
		}), false},
		{"a body", plain(func(r *Request) { r.Method, r.Body = http.MethodPost, strings.NewReader("x") }), false},
		{"gRPC", plain(func(r *Request) { r.GRPC = true }), false},
		{"a path to escape", plain(func(r *Request) { r.Path = "/a b" }), false},
	} {
		if got := c.KeepsNoHeader(tc.r); got != tc.want {
			t.Errorf("%s: KeepsNoHeader %v, want %v", tc.name, got, tc.want)
		}
	}
}

// NewHeader hands out the maps ReleaseHeader gave back, empty.
func TestNewHeader_reusesReleasedMaps(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	// One P: a map sync.Pool keeps in the P's own slot is found only
	// there, and a goroutine that waited on the origin may go on on
	// another P.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	h := NewHeader(4)
	h["Via"] = []string{"1.1 a"}
	h["X-Forwarded-For"] = []string{"192.0.2.1"}
	m := reflect.ValueOf(h).Pointer()
	ReleaseHeader(h)
	if again := NewHeader(4); reflect.ValueOf(again).Pointer() != m || len(again) != 0 {
		t.Errorf("after a release: %q (map %#x, released %#x), want the released map, empty", again, reflect.ValueOf(again).Pointer(), m)
	}
}
