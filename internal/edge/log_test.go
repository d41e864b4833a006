package edge

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"openfront/internal/fastpath"
	"openfront/internal/model"
	"openfront/internal/snapshot"
)

// syncBuffer is a log destination shared by the edge's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines(msg string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range strings.Split(s.b.String(), "\n") {
		if strings.Contains(l, `msg="`+msg+`"`) {
			out = append(out, l)
		}
	}
	return out
}

// newLoggingEdge is newTestEdge whose log goes to the returned buffer at
// level, with a second, disabled distribution at off.cloudfront.localhost.
func newLoggingEdge(t *testing.T, cfg model.Tree, level slog.Level) (*testEdge, *syncBuffer) {
	t.Helper()
	te := newTestEdge(t, cfg)
	buf := &syncBuffer{}
	opts := te.opts
	opts.Log = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: level}))
	te.Server = New(opts)
	off := model.Clone(cfg)
	off["Enabled"] = "false"
	delete(off, "Aliases")
	te.Apply(snapshot.Compile(1, []*model.DistributionRecord{
		{ID: "E1TEST", DomainName: testHost, Config: cfg},
		{ID: "E2OFF", DomainName: "off.cloudfront.localhost", Config: off},
	}, nil, nil), nil)
	return te, buf
}

// TestServer_logsOriginFailure: at the default level, a dead origin is
// named once per failed fetch with distribution, origin id, host:port,
// reason and attempts.
func TestServer_logsOriginFailure(t *testing.T) {
	down := newTestOrigin(t, okHandler(""))
	down.Close()
	te, buf := newLoggingEdge(t, distConfig(down, func(c model.Tree) {
		model.StructItems(c, "Origins")[0]["ConnectionAttempts"] = "2"
	}), slog.LevelInfo)
	if w := te.get(t, "/x", nil); w.Code != http.StatusBadGateway {
		t.Fatalf("dead origin: %d, want 502", w.Code)
	}
	lines := buf.lines("edge: origin failed")
	if len(lines) != 1 {
		t.Fatalf("origin failure logged %d times, want once:\n%s", len(lines), buf.b.String())
	}
	for _, want := range []string{"level=WARN", "dist_id=E1TEST", "origin_id=o1", "origin=127.0.0.1:" + down.port(), "attempts=2", "detail=OriginConnectError", "reason=", "path=/x"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("origin failure line lacks %q:\n%s", want, lines[0])
		}
	}
	if got := buf.lines("edge: request"); len(got) != 0 {
		t.Errorf("per-request lines at the default level: %q", got)
	}
}

// TestServer_logsOriginFailureCountsAttempts: the attempts a line names
// are the requests made, not the configuration's: a failover status is one
// request though the origin would be tried ConnectionAttempts times on a
// connection failure.
func TestServer_logsOriginFailureCountsAttempts(t *testing.T) {
	primary := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	secondary := newTestOrigin(t, okHandler(""))
	te, buf := newLoggingEdge(t, distConfig(primary, func(c model.Tree) {
		model.StructItems(c, "Origins")[0]["ConnectionAttempts"] = "3" // both members: o2 is o1's copy
		withFailoverTo(secondary, "503")(c)
	}), slog.LevelInfo)
	if w := te.get(t, "/x", nil); w.Code != 200 {
		t.Fatalf("failover: %d, want the secondary's 200", w.Code)
	}
	lines := buf.lines("edge: origin failed")
	if len(lines) != 1 {
		t.Fatalf("failover logged %d times, want once:\n%s", len(lines), buf.b.String())
	}
	for _, want := range []string{"origin_id=o1", "detail=OriginFailoverStatus", "attempts=1"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("failover line lacks %q:\n%s", want, lines[0])
		}
	}
}

// TestServer_logsOriginFailureMidBody: an origin that stops part way
// through a body (its Content-Length promised more) is named at the
// default level, with the bytes it sent, as a failure before the head is.
func TestServer_logsOriginFailureMidBody(t *testing.T) {
	for _, tc := range []struct{ cacheControl, length string }{
		{"max-age=60", "1000"},    // a fill the cache reads inline
		{"max-age=60", "4194304"}, // a fill read on a goroutine of its own
		{"no-store", "1000"},      // a response that is not stored
	} {
		cacheControl := tc.cacheControl
		t.Run(cacheControl+" "+tc.length, func(t *testing.T) {
			o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", cacheControl)
				w.Header().Set("Content-Length", tc.length)
				w.WriteHeader(http.StatusOK)
				io.WriteString(w, "first")
				w.(http.Flusher).Flush()
				c, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					c.Close()
				}
			})
			te, buf := newLoggingEdge(t, distConfig(o, nil), slog.LevelInfo)
			srv := httptest.NewServer(te)
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/cut", nil)
			req.Host = testHost
			if resp, err := srv.Client().Do(req); err == nil { // the edge may send no head at all
				if b, err := io.ReadAll(resp.Body); err == nil && strconv.Itoa(len(b)) == tc.length {
					t.Errorf("the viewer got a whole body of %d bytes", len(b))
				}
				resp.Body.Close()
			}
			var lines []string
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if lines = buf.lines("edge: origin failed"); len(lines) > 0 {
					break
				}
			}
			if len(lines) != 1 {
				t.Fatalf("a body cut short logged %d times, want once:\n%s", len(lines), buf.b.String())
			}
			for _, want := range []string{"level=WARN", "dist_id=E1TEST", "origin_id=o1", "origin=127.0.0.1:" + o.port(), "detail=Origin", "body cut after 5 bytes", "attempts=1", "path=/cut"} {
				if !strings.Contains(lines[0], want) {
					t.Errorf("the line lacks %q:\n%s", want, lines[0])
				}
			}
		})
	}
}

// TestServer_debugLogsRefusedHeads: a head the listener's guard refused
// (it never reaches the handler) still gets its one line at debug level,
// and none at the default level.
func TestServer_debugLogsRefusedHeads(t *testing.T) {
	o := newTestOrigin(t, okHandler(""))
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
		te, buf := newLoggingEdge(t, distConfig(o, nil), level)
		te.LogRefused(http.StatusRequestEntityTooLarge, "192.0.2.7:40123")
		lines := buf.lines("edge: request")
		if level == slog.LevelInfo {
			if len(lines) != 0 {
				t.Errorf("a refused head logged at the default level: %q", lines)
			}
			continue
		}
		if len(lines) != 1 {
			t.Fatalf("%d lines for a refused head, want 1:\n%s", len(lines), buf.b.String())
		}
		for _, want := range []string{"level=DEBUG", "viewer=192.0.2.7:40123", "status=413", "result=Error", "refused before the handler"} {
			if !strings.Contains(lines[0], want) {
				t.Errorf("the line lacks %q:\n%s", want, lines[0])
			}
		}
	}
}

// TestServer_logsRefusals: a refusal that is not the viewer's fault (a
// disabled distribution) is logged at the default level; the viewer's own
// (unknown host, method, protocol) are not.
func TestServer_logsRefusals(t *testing.T) {
	o := newTestOrigin(t, okHandler(""))
	te, buf := newLoggingEdge(t, distConfig(o, nil), slog.LevelInfo)
	if w := te.do(t, http.MethodGet, "unknown.example.org", "/a", nil, nil); w.Code != 403 {
		t.Fatalf("unknown host: %d", w.Code)
	}
	if w := te.do(t, http.MethodDelete, testHost, "/a", nil, nil); w.Code != 403 {
		t.Fatalf("DELETE: %d", w.Code)
	}
	if got := buf.lines("edge: request refused"); len(got) != 0 {
		t.Fatalf("the viewer's own refusals were logged: %q", got)
	}
	if w := te.do(t, http.MethodGet, "off.cloudfront.localhost", "/a", nil, nil); w.Code != 403 {
		t.Fatalf("disabled distribution: %d", w.Code)
	}
	lines := buf.lines("edge: request refused")
	if len(lines) != 1 || !strings.Contains(lines[0], "status=403") || !strings.Contains(lines[0], "host=off.cloudfront.localhost") {
		t.Fatalf("disabled distribution's refusal: %q", lines)
	}
}

// TestServer_debugLogsEveryRequest: at debug level every request, served
// or refused, gets exactly one structured line with what happened.
func TestServer_debugLogsEveryRequest(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	te, buf := newLoggingEdge(t, distConfig(o, nil), slog.LevelDebug)
	te.get(t, "/a", nil)
	te.get(t, "/a", nil)
	te.do(t, http.MethodGet, "unknown.example.org", "/b", nil, nil)
	lines := buf.lines("edge: request")
	if len(lines) != 3 {
		t.Fatalf("%d request lines, want 3:\n%s", len(lines), buf.b.String())
	}
	for i, want := range [][]string{
		{"dist_id=E1TEST", "method=GET", "path=/a", "status=200", "result=Miss", "request_id="},
		{"dist_id=E1TEST", "path=/a", "status=200", "result=Hit"},
		{"dist_id=\"\"", "host=unknown.example.org", "status=403", "result=Error"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d lacks %q:\n%s", i, w, lines[i])
			}
		}
	}
	// The fast path leaves requests to ServeHTTP at debug level, so that
	// none goes unlogged.
	r, ok := fastpath.ParseRequest([]byte("GET /a HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n"))
	if !ok {
		t.Fatal("fastpath did not parse the request")
	}
	r.RemoteAddr = "127.0.0.1:1"
	if _, _, served := te.ServeFast(r, nil); served {
		t.Fatal("ServeFast answered a hit at debug level, which nothing logs")
	}
}
