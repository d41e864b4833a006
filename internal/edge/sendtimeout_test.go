package edge

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"openfront/internal/cache"
	"openfront/internal/cache/disk"
	"openfront/internal/cache/memory"
	"openfront/internal/fastpath"
	"openfront/internal/model"
	"openfront/internal/realtimelog"
)

// sendTimeoutBody is far more than the sockets between origin, edge and
// a viewer that does not read hold.
const sendTimeoutBody = 32 << 20

// TestSendTimeout_releasesOrigin: a viewer that stops reading a miss or a
// pass-through is disconnected after the fast path's send timeout, on
// the fast path's own loop (a miss) and on net/http's (a POST, and a
// miss after it on the handed-over connection), plain and over TLS; the
// origin then sees its connection end (the fill of an uncacheable
// object follows its readers: with none left it stops and closes the
// origin connection rather than keep it, unread, for the fill timeout),
// and the real-time log says Error, Miss, ClientCommError. Before the
// send timeout, each of these held its viewer and origin connections for
// as long as the viewer wished.
func TestSendTimeout_releasesOrigin(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the send timeout needs package rawio (Linux)")
	}
	originEnded := make(chan string, 16)
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/small" {
			io.WriteString(w, "ok")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Length", strconv.Itoa(sendTimeoutBody))
		chunk := []byte(strings.Repeat("o", 64<<10))
		for n := 0; n < sendTimeoutBody; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				originEnded <- r.Method + " " + r.URL.Path
				return
			}
		}
		originEnded <- "whole " + r.Method + " " + r.URL.Path
	})
	cfg := distConfig(o, func(cfg model.Tree) {
		beh := model.Sub(cfg, "DefaultCacheBehavior")
		beh["AllowedMethods"] = model.Tree{"Quantity": "7", "Items": []any{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}}
	})
	for _, overTLS := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "TLS"}[overTLS]
		t.Run(name, func(t *testing.T) {
			te := newTestEdge(t, cfg)
			p := recordRealtime(t, te)
			f := newFastFrontsWith(t, te, overTLS, func(fs *fastpath.Server) { fs.SendTimeout = 200 * time.Millisecond })
			cases := []struct{ name, send, originSees string }{
				{"miss", "GET /miss HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n", "GET /miss"},
				{"pass-through", "POST /post HTTP/1.1\r\nHost: " + testHost + "\r\nContent-Length: 1\r\n\r\nx", "POST /post"},
				{"miss on net/http", "POST /small HTTP/1.1\r\nHost: " + testHost + "\r\nContent-Length: 0\r\n\r\n" +
					"GET /miss-nethttp HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n", "GET /miss-nethttp"},
			}
			for _, tc := range cases {
				c := dialSmallWindow(t, f.fast, overTLS)
				io.WriteString(c, tc.send)
				start := time.Now()
				select {
				case got := <-originEnded:
					if got != tc.originSees {
						t.Fatalf("%s: the origin saw %q end, want %q", tc.name, got, tc.originSees)
					}
				case <-time.After(15 * time.Second):
					t.Fatalf("%s: the origin connection is still in use after %v (the viewer stopped reading)", tc.name, time.Since(start))
				}
			}
			p.wait(t, 4)
			want := []string{"/miss\tError\tMiss\tClientCommError\n", "/miss-nethttp\tError\tMiss\tClientCommError\n",
				"/post\tError\tMiss\tClientCommError\n", "/small\tMiss\tMiss\tMiss\n"}
			if got := p.sorted(); !slices.Equal(got, want) {
				t.Errorf("records %q, want %q", got, want)
			}
		})
	}
}

// TestSendTimeout_collapsedFill: of two viewers of one collapsed miss
// (an object for the disk tier), the one that stops reading is
// disconnected and the other gets the whole object, which is stored
// whole: the next request is a hit of every byte.
func TestSendTimeout_collapsedFill(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the send timeout needs package rawio (Linux)")
	}
	release := make(chan struct{})
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		w.Header().Set("Content-Length", strconv.Itoa(sendTimeoutBody))
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-release // both viewers join before the body comes
		chunk := []byte(strings.Repeat("o", 64<<10))
		for n := 0; n < sendTimeoutBody; n += len(chunk) {
			w.Write(chunk)
		}
	})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) }) // before the origin closes
	te := newTestEdge(t, distConfig(o, nil))
	mem, err := memory.New(64 << 20)
	if err != nil {
		t.Fatal(err)
	}
	dt, err := disk.Open(disk.Config{Dir: t.TempDir(), MaxBytes: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(cache.Config{Memory: mem, Disk: dt})
	if err != nil {
		t.Fatal(err)
	}
	te.cache, te.opts.Cache = c, c
	f := newFastFrontsWith(t, te, false, func(fs *fastpath.Server) { fs.SendTimeout = 200 * time.Millisecond })

	stalled := dialSmallWindow(t, f.fast, false)
	io.WriteString(stalled, "GET /obj HTTP/1.1\r\nHost: "+testHost+"\r\n\r\n")
	read := func() (string, int64, error) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+f.fast+"/obj", nil)
		req.Host = testHost
		// No Accept-Encoding: the stalled viewer sent none (one key).
		resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
		if err != nil {
			return "", 0, err
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		return resp.Header.Get("X-Cache"), n, err
	}
	type result struct {
		xcache string
		n      int64
		err    error
	}
	reader := make(chan result, 1)
	go func() {
		x, n, err := read()
		reader <- result{x, n, err}
	}()
	for deadline := time.Now().Add(5 * time.Second); c.Stats().Joins == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second viewer did not join the fill")
		}
	}
	once.Do(func() { close(release) })
	r := <-reader
	if r.err != nil || r.n != sendTimeoutBody {
		t.Fatalf("the reading viewer got %d bytes, %v; want %d", r.n, r.err, sendTimeoutBody)
	}
	endedBySendTimeout(t, stalled)
	f.settle(t)
	if x, n, err := read(); err != nil || n != sendTimeoutBody || x != "Hit from cloudfront" {
		t.Fatalf("after the fill: %q, %d bytes, %v; want a hit of %d", x, n, err, sendTimeoutBody)
	}
}

// endedBySendTimeout waits past the send timeout (reading would be
// progress), then reads what the connection still delivers: the server
// must have ended it (a reset, or the end of the stream) before the
// whole body, where a connection it kept would deliver the body and then
// wait (the read deadline).
func endedBySendTimeout(t *testing.T, c net.Conn) {
	t.Helper()
	time.Sleep(time.Second)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) || n >= sendTimeoutBody {
		t.Fatalf("the viewer that stopped reading is still connected (%d bytes, %v)", n, err)
	}
}

// dialSmallWindow opens a viewer connection with a small receive buffer
// (set before the connect) that will not read what it is sent, over TLS
// (ALPN http/1.1) when overTLS.
func dialSmallWindow(t *testing.T, addr string, overTLS bool) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return serr
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if overTLS {
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		c = tc
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// realtimeRecords collects an edge's real-time log records of the URI
// stem and the three result types.
type realtimeRecords struct {
	*recordingPutter
	logger *realtimelog.Logger
}

func recordRealtime(t *testing.T, te *testEdge) *realtimeRecords {
	t.Helper()
	p := &recordingPutter{}
	logger := realtimelog.New(realtimelog.Options{Putter: p, FlushInterval: 10 * time.Millisecond})
	t.Cleanup(func() { logger.Close(t.Context()) })
	te.opts.RealtimeLog = logger
	snap := te.Snapshot()
	d := snap.Lookup(testHost)
	d.RealtimeLogs = true
	d.Match("/").RealtimeLog = &model.RealtimeLogConfigRecord{Name: "rt", SamplingRate: 100,
		Fields:    []string{"cs-uri-stem", "x-edge-result-type", "x-edge-response-result-type", "x-edge-detailed-result-type"},
		EndPoints: []model.KinesisEndPoint{{StreamType: "Kinesis", StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/s"}}}
	te.Apply(snap, nil)
	return &realtimeRecords{recordingPutter: p, logger: logger}
}

// wait waits until n records are in.
func (p *realtimeRecords) wait(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		p.mu.Lock()
		got := len(p.records)
		p.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			return
		}
	}
}

func (p *realtimeRecords) sorted() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Sorted(slices.Values(p.records))
}
