package fastpath

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// declineAll sends every request to the fallback handler on the loop.
type declineAll struct{}

func (declineAll) ServeFast(r *Request, dst []byte) ([]byte, []byte, bool) { return dst, nil, false }

// The in-loop ResponseWriter frames responses as net/http does: each
// handler below answers through net/http and through the fast loop, and
// the two answers must match, including whether the connection stays
// usable.
func TestResponseWriter_sameAsNetHTTP(t *testing.T) {
	t.Run("http", func(t *testing.T) { testResponseWriterSameAsNetHTTP(t, false) })
	t.Run("https", func(t *testing.T) { testResponseWriterSameAsNetHTTP(t, true) })
}

// startStd starts net/http's own server for h, over TLS (httptest's
// certificate) when overTLS.
func startStd(t testing.TB, h http.Handler, overTLS bool) *httptest.Server {
	t.Helper()
	std := httptest.NewUnstartedServer(h)
	if overTLS {
		std.StartTLS()
	} else {
		std.Start()
	}
	t.Cleanup(std.Close)
	return std
}

// testTLSConfig is the fast path's server config in these tests (the
// certificate of httptest's servers).
func testTLSConfig(t testing.TB) *tls.Config {
	t.Helper()
	std := startStd(t, http.NotFoundHandler(), true)
	return &tls.Config{Certificates: std.TLS.Certificates, NextProtos: []string{"h2", "http/1.1"}}
}

// dialFront opens a viewer connection, over TLS (no ALPN) when overTLS.
func dialFront(t *testing.T, addr string, overTLS bool) net.Conn {
	t.Helper()
	var c net.Conn
	var err error
	if overTLS {
		c, err = tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	} else {
		c, err = net.Dial("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testResponseWriterSameAsNetHTTP(t *testing.T, overTLS bool) {
	file := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(file, []byte(strings.Repeat("F", 70000)), 0o644); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 5000)
	handlers := map[string]http.HandlerFunc{
		"/small": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "hello")
		},
		"/long": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			for i := 0; i < 3; i++ {
				io.WriteString(w, long)
			}
		},
		"/mixed": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			for _, n := range []int{100, 3000, 10, 1900, 5000, 1} {
				io.WriteString(w, long[:n])
			}
		},
		"/cl": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", "5000")
			io.WriteString(w, long)
		},
		"/cl-short": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", "10")
			io.WriteString(w, "12345")
		},
		"/flush": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "part 1;")
			w.(http.Flusher).Flush()
			io.WriteString(w, "part 2")
		},
		"/sniff": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<html><body>hi</body></html>")
		},
		"/encoded": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			io.WriteString(w, "not really gzip")
		},
		"/no-type": func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = nil
			io.WriteString(w, "raw")
		},
		"/204": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "3")
			w.WriteHeader(204)
			io.WriteString(w, "ignored")
		},
		"/304": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("ETag", `"e"`)
			w.WriteHeader(304)
		},
		"/299": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(299)
			io.WriteString(w, "odd")
		},
		"/close": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
			io.WriteString(w, "bye")
		},
		"/empty": func(w http.ResponseWriter, r *http.Request) {},
		"/copy": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.Copy(w, strings.NewReader(long))
		},
		"/tls": func(w http.ResponseWriter, r *http.Request) {
			if r.TLS != nil {
				w.Header().Set("X-TLS", tls.VersionName(r.TLS.Version)+" "+r.TLS.NegotiatedProtocol)
			}
			io.WriteString(w, "scheme")
		},
		"/copy-short": func(w http.ResponseWriter, r *http.Request) {
			io.Copy(w, strings.NewReader("tiny"))
		},
		"/sendfile": func(w http.ResponseWriter, r *http.Request) {
			f, err := os.Open(file)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", "70000")
			io.CopyN(w, f, 70000)
		},
	}
	mux := http.NewServeMux()
	for p, h := range handlers {
		mux.Handle(p, h)
	}
	std := startStd(t, mux, overTLS)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &Server{Handler: declineAll{}, Fallback: &http.Server{Handler: mux}}
	if overTLS {
		fs.TLSConfig = &tls.Config{Certificates: std.TLS.Certificates}
	}
	go fs.Serve(ln)
	defer fs.Shutdown(t.Context())

	for p := range handlers {
		for _, method := range []string{"GET", "HEAD"} {
			for _, extra := range []string{"", "Connection: close\r\n"} {
				raw := method + " " + p + " HTTP/1.1\r\nHost: h\r\n" + extra + "\r\n"
				name := strings.TrimSpace(method + " " + p + " " + extra)
				want, wantReuse := exchange(t, dialFront(t, std.Listener.Addr().String(), overTLS), raw)
				got, gotReuse := exchange(t, dialFront(t, ln.Addr().String(), overTLS), raw)
				if want.status != got.status || want.body != got.body {
					t.Errorf("%s: %d %q, net/http %d %q", name, got.status, got.body, want.status, want.body)
				}
				for k := range mergeKeys(want.header, got.header) {
					if k == "Date" {
						if (want.header[k] == nil) != (got.header[k] == nil) {
							t.Errorf("%s: Date %q, net/http %q", name, got.header[k], want.header[k])
						}
						continue
					}
					if !slices.Equal(want.header[k], got.header[k]) {
						t.Errorf("%s: %s %q, net/http %q", name, k, got.header[k], want.header[k])
					}
				}
				if want.chunked != got.chunked {
					t.Errorf("%s: chunked %v, net/http %v", name, got.chunked, want.chunked)
				}
				if wantReuse != gotReuse {
					t.Errorf("%s: connection reusable %v, net/http %v", name, gotReuse, wantReuse)
				}
			}
		}
	}
	if st := fs.Stats(); st.Declined == 0 || st.HandedOver != 0 {
		t.Errorf("stats %+v: every request should have been answered on the loop", st)
	}
	if got, _ := exchange(t, dialFront(t, ln.Addr().String(), overTLS), "GET /tls HTTP/1.1\r\nHost: h\r\n\r\n"); (got.header.Get("X-TLS") != "") != overTLS {
		t.Errorf("handler saw Request.TLS %q over TLS=%v", got.header.Get("X-TLS"), overTLS)
	}
}

// A handler that aborts mid-body ends the connection, as with net/http.
func TestResponseWriter_abort(t *testing.T) {
	t.Run("http", func(t *testing.T) { testResponseWriterAbort(t, false) })
	t.Run("https", func(t *testing.T) { testResponseWriterAbort(t, true) })
}

func testResponseWriterAbort(t *testing.T, overTLS bool) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		io.WriteString(w, strings.Repeat("a", 10000))
		panic(http.ErrAbortHandler)
	})
	c := dialFront(t, serveDecliningOver(t, h, overTLS), overTLS)
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(io.Discard, resp.Body); err == nil || n >= 100000 {
		t.Errorf("aborted body: read %d bytes, err %v; want a short read", n, err)
	}
}

// serveDecliningOver serves h through a fast-path Server whose Handler
// declines everything, over TLS when overTLS, and returns its address.
func serveDecliningOver(t *testing.T, h http.Handler, overTLS bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &Server{Handler: declineAll{}, Fallback: &http.Server{Handler: h}}
	if overTLS {
		fs.TLSConfig = testTLSConfig(t)
	}
	go fs.Serve(ln)
	t.Cleanup(func() { fs.Shutdown(context.Background()) })
	return ln.Addr().String()
}

type answer struct {
	status  int
	header  http.Header
	body    string
	chunked bool
}

// exchange sends raw on a new connection and reports the answer and
// whether the connection then answers a second request.
func exchange(t *testing.T, c net.Conn, raw string) (answer, bool) {
	t.Helper()
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, raw)
	br := bufio.NewReader(c)
	method, _, _ := strings.Cut(raw, " ")
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, body: string(b), chunked: slices.Contains(resp.TransferEncoding, "chunked")}
	if _, err := io.WriteString(c, "GET /small HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil {
		return a, false
	}
	_, err = http.ReadResponse(br, nil)
	return a, err == nil
}

func mergeKeys(a, b http.Header) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// While the handler runs, a viewer that goes away cancels the request's
// context (as net/http does), and a request pipelined meanwhile is read
// and answered after the current one.
func TestResponseWriter_backgroundRead(t *testing.T) {
	t.Run("http", func(t *testing.T) { testResponseWriterBackgroundRead(t, false) })
	t.Run("https", func(t *testing.T) { testResponseWriterBackgroundRead(t, true) })
}

func testResponseWriterBackgroundRead(t *testing.T, overTLS bool) {
	cancelled := make(chan bool, 1)
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/wait-for-viewer":
			select {
			case <-r.Context().Done():
				cancelled <- true
			case <-time.After(5 * time.Second):
				cancelled <- false
			}
		case "/slow":
			<-release
			io.WriteString(w, "slow")
		default:
			io.WriteString(w, "next")
		}
	})
	addr := serveDecliningOver(t, h, overTLS)

	c := dialFront(t, addr, overTLS)
	io.WriteString(c, "GET /wait-for-viewer HTTP/1.1\r\nHost: h\r\n\r\n")
	time.Sleep(50 * time.Millisecond)
	c.Close()
	if !<-cancelled {
		t.Error("the request context was not cancelled when the viewer closed the connection")
	}

	c = dialFront(t, addr, overTLS)
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	time.Sleep(50 * time.Millisecond)
	io.WriteString(c, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n")
	time.Sleep(50 * time.Millisecond)
	close(release)
	br := bufio.NewReader(c)
	for _, want := range []string{"slow", "next"} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		if b, _ := io.ReadAll(resp.Body); string(b) != want {
			t.Errorf("got %q, want %q", b, want)
		}
	}
}

// Interim (1xx) responses go out at once with the header map as it is
// then, as net/http writes them; the final response follows on the same
// connection, which stays usable.
func TestResponseWriter_interimSameAsNetHTTP(t *testing.T) {
	t.Run("http", func(t *testing.T) { testResponseWriterInterim(t, false) })
	t.Run("https", func(t *testing.T) { testResponseWriterInterim(t, true) })
}

func testResponseWriterInterim(t *testing.T, overTLS bool) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hints" {
			io.WriteString(w, "plain")
			return
		}
		w.Header().Set("Link", "</style.css>; rel=preload; as=style")
		w.Header().Set("Content-Length", "99") // never on a 1xx
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		w.Header().Del("Content-Length")
		w.WriteHeader(http.StatusProcessing)
		w.WriteHeader(199)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "final")
	})
	std := startStd(t, h, overTLS)
	fast := serveDecliningOver(t, h, overTLS)
	read := func(addr string) (heads []answer, reusable bool) {
		c := dialFront(t, addr, overTLS)
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET /hints HTTP/1.1\r\nHost: h\r\n\r\n")
		br := bufio.NewReader(c)
		for {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("%s: %v after %d responses", addr, err, len(heads))
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Header.Del("Date")
			heads = append(heads, answer{status: resp.StatusCode, header: resp.Header, body: string(b)})
			if resp.StatusCode >= 200 {
				break
			}
		}
		io.WriteString(c, "GET /again HTTP/1.1\r\nHost: h\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		return heads, err == nil && resp.StatusCode == 200
	}
	want, wantReuse := read(std.Listener.Addr().String())
	got, gotReuse := read(fast)
	if len(want) != 4 || want[0].status != 103 || want[0].header.Get("Link") == "" || want[3].body != "final" {
		t.Fatalf("net/http's own answer is not the expected one: %+v", want)
	}
	if len(got) != len(want) {
		t.Fatalf("fast loop sent %d responses, net/http %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].status != want[i].status || got[i].body != want[i].body {
			t.Errorf("response %d: %d %q, net/http %d %q", i, got[i].status, got[i].body, want[i].status, want[i].body)
		}
		for k := range mergeKeys(want[i].header, got[i].header) {
			if !slices.Equal(want[i].header[k], got[i].header[k]) {
				t.Errorf("response %d: %s %q, net/http %q", i, k, got[i].header[k], want[i].header[k])
			}
		}
	}
	if gotReuse != wantReuse || !gotReuse {
		t.Errorf("connection reusable after the final response: %v, net/http %v", gotReuse, wantReuse)
	}
}

// writeCounter counts the writes to its connections, ReadFrom included
// (it keeps the *net.TCPConn's ReadFrom, as the loop's connections have).
type writeCounter struct {
	net.Listener
	writes atomic.Int64
}

func (l *writeCounter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: c, l: l}, nil
}

type countedConn struct {
	net.Conn
	l *writeCounter
}

func (c *countedConn) Write(p []byte) (int, error) {
	c.l.writes.Add(1)
	return c.Conn.Write(p)
}
func (c *countedConn) ReadFrom(r io.Reader) (int64, error) {
	c.l.writes.Add(1)
	return c.Conn.(io.ReaderFrom).ReadFrom(r)
}

// A short body of declared length copied in (io.CopyN, as the edge
// streams a miss) leaves with its head in one write; a long one still
// goes through ReadFrom after the head.
func TestResponseWriter_shortBodyOneWrite(t *testing.T) {
	for _, tc := range []struct {
		size      int
		maxWrites int64
	}{{1024, 1}, {2048, 1}, {100000, 3}} {
		body := strings.Repeat("b", tc.size)
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			io.CopyN(w, struct{ io.Reader }{strings.NewReader(body)}, int64(len(body)))
		})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		counted := &writeCounter{Listener: ln}
		fs := &Server{Handler: declineAll{}, Fallback: &http.Server{Handler: h}}
		go fs.Serve(counted)
		got, reusable := exchange(t, dialFront(t, ln.Addr().String(), false), "GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
		fs.Shutdown(context.Background())
		if got.status != 200 || got.body != body || !reusable {
			t.Fatalf("%d bytes: %d, %d body bytes, reusable %v", tc.size, got.status, len(got.body), reusable)
		}
		// exchange's second request (/x again) is answered too: halve.
		if w := counted.writes.Load(); w > 2*tc.maxWrites || tc.maxWrites == 1 && w != 2 {
			t.Errorf("%d-byte body: %d writes for two responses, want %d each", tc.size, w, tc.maxWrites)
		}
	}
}

// A short body of declared length (a 1 KiB miss) is read straight into
// the pending buffer: copying it in allocates nothing, where io.Copy
// allocated a copy buffer for every response.
func TestResponseWriter_shortBodyNoCopyBuffer(t *testing.T) {
	for _, size := range []int{1, 1024, bufferBeforeChunking} {
		body := strings.Repeat("b", size)
		src := strings.NewReader(body)
		lr := &io.LimitedReader{R: src, N: int64(size)} // as io.CopyN hands it over: no WriterTo
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		var sent bytes.Buffer
		bw := bufio.NewWriterSize(&sent, 4<<10)
		pending := make([]byte, 0, pendingCap)
		var w *responseWriter
		allocs := testing.AllocsPerRun(50, func() {
			src.Reset(body)
			lr.N = int64(size)
			w = &responseWriter{bw: bw, req: req, wroteHeader: true, status: 200, contentLength: int64(size), pending: pending[:0]}
			if n, err := w.ReadFrom(lr); n != int64(size) || err != nil {
				t.Fatalf("ReadFrom: %d, %v", n, err)
			}
		})
		if allocs > 1 { // the responseWriter itself
			t.Errorf("%d-byte body: %.0f allocations, want at most 1", size, allocs)
		}
		if string(w.pending) != body || w.written != int64(size) || w.headSent {
			t.Errorf("%d-byte body: pending %d bytes, written %d, head sent %v", size, len(w.pending), w.written, w.headSent)
		}
	}
}

// The background read starts only for a handler that runs past
// backgroundReadDelay: a quick answer (a miss from a nearby origin) costs
// no goroutine. A slow one still gets its pipelined request answered
// (TestResponseWriter_backgroundRead covers the viewer that goes away).
func TestBackgroundRead_onlyForSlowHandlers(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d, err := time.ParseDuration(r.URL.Query().Get("sleep")); err == nil {
			time.Sleep(d)
		}
		io.WriteString(w, "ok")
	})
	addr := serveDecliningOver(t, h, false)
	for _, tc := range []struct {
		name      string
		sleep     time.Duration
		wantReads int64
	}{
		{"quick", 0, 0},
		{"past the delay", 4 * backgroundReadDelay, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialFront(t, addr, false)
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			before := backgroundReadsStarted.Load()
			fmt.Fprintf(c, "GET /?sleep=%s HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n", tc.sleep)
			br := bufio.NewReader(c)
			for range 2 {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				if b, _ := io.ReadAll(resp.Body); string(b) != "ok" {
					t.Errorf("got %q", b)
				}
			}
			if got := backgroundReadsStarted.Load() - before; got != tc.wantReads {
				t.Errorf("%d background reads started, want %d", got, tc.wantReads)
			}
		})
	}
}

// writeHeaderSubset writes what net/http's Header.WriteSubset writes.
func TestWriteHeaderSubset_likeNetHTTP(t *testing.T) {
	many := http.Header{}
	for i := range 40 {
		many[fmt.Sprintf("X-Field-%02d", 40-i)] = []string{strconv.Itoa(i)}
	}
	for _, tc := range []struct {
		name    string
		h       http.Header
		exclude map[string]bool
	}{
		{"empty", http.Header{}, nil},
		{"sorted by name", http.Header{"Via": {"1.1 x"}, "Age": {"3"}, "Content-Type": {"text/plain"}, "X-Cache": {"Miss"}}, nil},
		{"several values", http.Header{"Set-Cookie": {"a=1", "b=2"}, "Vary": {"Accept-Encoding", "Origin"}}, nil},
		{"excluded", http.Header{"Content-Length": {"5"}, "Transfer-Encoding": {"chunked"}, "Etag": {`"x"`}}, map[string]bool{"Content-Length": true, "Transfer-Encoding": true}},
		{"CR and LF in values", http.Header{"X-A": {"a\r\nInjected: 1"}, "X-B": {"\r\n b \n"}, "X-C": {"c\rd"}}, nil},
		{"surrounding space", http.Header{"X-A": {"  a \t"}, "X-B": {"\t"}, "X-C": {""}}, nil},
		{"names that are not tokens", http.Header{"Bad Name": {"x"}, "Bad:Name": {"y"}, "": {"z"}, "Good": {"ok"}, "Bad\r\nName": {"w"}}, nil},
		{"non-canonical names", http.Header{"x-lower": {"1"}, "X-Upper": {"2"}, "x-Upper": {"3"}}, nil},
		{"more names than the stack array", many, map[string]bool{"X-Field-07": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want, got bytes.Buffer
			if err := tc.h.WriteSubset(&want, tc.exclude); err != nil {
				t.Fatal(err)
			}
			bw := bufio.NewWriter(&got)
			writeHeaderSubset(bw, tc.h, tc.exclude)
			bw.Flush()
			if got.String() != want.String() {
				t.Errorf("got\n%q\nwant\n%q", got.String(), want.String())
			}
		})
	}
}

func FuzzWriteHeaderSubset(f *testing.F) {
	f.Add("Content-Type", "text/plain", "X-A", " a\r\nb ", "X-A")
	f.Add("Bad Name", "x", "Via", "1.1\n", "")
	f.Add("a", "\r", "b", "\t\t", "b")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, excluded string) {
		h := http.Header{k1: {v1, v2}, k2: {v2}}
		exclude := map[string]bool{excluded: true}
		var want, got bytes.Buffer
		h.WriteSubset(&want, exclude)
		bw := bufio.NewWriter(&got)
		writeHeaderSubset(bw, h, exclude)
		bw.Flush()
		if got.String() != want.String() {
			t.Errorf("got %q, want %q", got.String(), want.String())
		}
	})
}

// A declined request's handover allocates the head's copy (handover.go) and
// the request's context; the writer is the connection's, its header,
// buffered writer and pending buffer come from pools.
func TestServeHTTP_allocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	server, client := net.Pipe()
	defer server.Close()
	defer client.Close()
	go io.Copy(io.Discard, client)
	body := []byte(strings.Repeat("b", 1024))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Length"] = []string{"1024"} // (a literal: allocates with the handler)
		w.Write(body)
	})
	c := &conn{s: &Server{Fallback: &http.Server{Handler: h}}, nc: server}
	head := []byte("GET /x HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n")
	var r Request
	if _, st := parse(head, &r); st != complete {
		t.Fatal("parse")
	}
	allocs := testing.AllocsPerRun(200, func() {
		if keepAlive, _ := c.serveHTTP(&r, head, "192.0.2.1:5000", nil); !keepAlive {
			t.Fatal("not kept alive")
		}
	})
	// 2 for the request (the head's copy and the header's values: the
	// connection reuses the rest, TestHTTPRequest_allocations), 1 for the
	// handler's []string, 1 for the request's context (viewerContext;
	// context.WithCancel's were 2 more; the connection reuses the
	// ResponseWriter): 4 on go1.26 (8 before the request and the writer
	// were reused); writeHead's growing list of the fields it adds
	// (Content-Type and Date here) made it 12.
	t.Logf("%.0f allocations per declined request", allocs)
	if allocs > 4 {
		t.Errorf("serveHTTP allocates %.0f objects per declined request; want <= 4", allocs)
	}
}

// A connection's declined requests share one ResponseWriter, set anew for
// each: no response shows anything of the one before (its fields, status,
// framing: chunked, a HEAD's declared length, a flushed head), and each
// request has a context of its own.
func TestResponseWriter_reusedShowsNothingOfTheLast(t *testing.T) {
	var mu sync.Mutex
	var writers []string
	var contexts []context.Context
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		writers = append(writers, fmt.Sprintf("%p", w))
		contexts = append(contexts, r.Context())
		mu.Unlock()
		switch r.URL.Path {
		case "/one":
			w.Header().Set("X-One", "1")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, strings.Repeat("1", 3000)) // chunked: no length, past net/http's buffer
			w.(http.Flusher).Flush()
		case "/two":
			w.Header().Set("Content-Length", "5") // a HEAD's
		case "/three":
			io.WriteString(w, "three")
		}
	})
	c := dialFront(t, serveDecliningOver(t, h, false), false)
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	for _, step := range []struct {
		method, path string
		status       int
		length       int64
		chunked      bool
		body         string
	}{
		{"GET", "/one", 201, -1, true, strings.Repeat("1", 3000)},
		{"HEAD", "/two", 200, 5, false, ""},
		{"GET", "/three", 200, 5, false, "three"},
		{"GET", "/four", 200, 0, false, ""},
	} {
		fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: h\r\n\r\n", step.method, step.path)
		resp, err := http.ReadResponse(br, &http.Request{Method: step.method})
		if err != nil {
			t.Fatalf("%s: %v", step.path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		chunked := slices.Contains(resp.TransferEncoding, "chunked")
		if resp.StatusCode != step.status || resp.ContentLength != step.length || chunked != step.chunked || string(b) != step.body ||
			(resp.Header.Get("X-One") != "") != (step.path == "/one") {
			t.Errorf("%s %s: %d, length %d, chunked %v, %d bytes, header %v; want %d, length %d, chunked %v, %d bytes",
				step.method, step.path, resp.StatusCode, resp.ContentLength, chunked, len(b), resp.Header, step.status, step.length, step.chunked, len(step.body))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(writers) != 4 || len(slices.Compact(slices.Clone(writers))) != 1 {
		t.Errorf("writers %v: want one, reused", writers)
	}
	for i := 1; i < len(contexts); i++ {
		if contexts[i] == contexts[i-1] || contexts[i-1].Err() == nil {
			t.Errorf("request %d: context %p, the last one's %p (ended: %v)", i, contexts[i], contexts[i-1], contexts[i-1].Err())
		}
	}
}
