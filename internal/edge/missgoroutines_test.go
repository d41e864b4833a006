package edge_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
)

// A cold miss over the product's HTTP/1.1 path starts no goroutine: the
// viewer's goroutine runs the fill it leads (cache.FillRequest.OnCaller),
// where a goroutine per fill was a start, a park and a wake-up per miss
// (bench/FILL-RESULTS.md). Counted with the runtime's goroutines-created
// metric over misses on one keep-alive connection, to an origin that
// answers on its connection's goroutine (net/http's server starts one per
// request: a background read).
func TestMiss_startsNoGoroutine(t *testing.T) {
	s := newBenchEdge(t, newLoopOrigin(t))
	c, err := net.Dial("tcp", strings.TrimPrefix(serveLikeTheProduct(t, s), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	miss := func(i int) {
		fmt.Fprintf(c, "GET /obj/goroutines-%d?size=1024 HTTP/1.1\r\nHost: %s\r\n\r\n", i, benchHost)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || n != 1024 || resp.Header.Get("X-Cache") != "Miss from cloudfront" {
			t.Fatalf("miss %d: status %d, %d bytes, X-Cache %q", i, resp.StatusCode, n, resp.Header.Get("X-Cache"))
		}
	}
	for i := range 10 { // connections, pools and timers set up
		miss(i)
	}
	const misses = 200
	created := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(created)
	before := created[0].Value.Uint64()
	for i := range misses {
		miss(100 + i)
	}
	metrics.Read(created)
	perMiss := float64(created[0].Value.Uint64()-before) / misses
	t.Logf("%.2f goroutines started per miss", perMiss)
	if perMiss > 0.1 {
		t.Errorf("%.2f goroutines started per cold miss, want none", perMiss)
	}
}

// missAllocs bounds the heap allocations of one cold 1 KiB miss over the
// product's HTTP/1.1 path (fastpath's handover, the edge's handler, the
// fill and the stored object, internal/origin's plain-HTTP client): every
// allocation counted by TestMiss_allocations is the server's, since its
// viewer and origin allocate nothing per request. Lower it when a miss
// allocates less; an allocation that comes back fails the test
// (bench/FILL-RESULTS.md: garbage is most of a miss's GC cost). Of these,
// the body copy, the memory tier's item, otter's node and the cache key
// are kept with the object; the rest is garbage.
const missAllocs = 14

// missBytes bounds the bytes a cold 1 KiB miss allocates, counted as
// missAllocs is (runtime.MemStats.TotalAlloc; the test's other
// goroutines allocate nothing meanwhile). About 1.35 KB of it is kept
// with the object (the body's copy, the item, the node, the key, the
// stored header); the rest is garbage, and the GC runs once per so many
// bytes allocated (internal/app's gctuner keeps the heap's headroom
// fixed): bytes here are GC cycles in a fill (bench/FILL-RESULTS.md).
// 5,389 bytes at first; 4,540 once package fastpath reused the request
// it hands a connection's declined requests over in, 4,170 once the
// edge reused a connection's exchange (connScratch), 3,760 once the
// origin response's header map went back to the origin client after
// the fill (origin.ReleaseHeader), 3,360 once the origin request's went
// back too after the plain-HTTP client's fetch (origin.KeepsNoHeader),
// 3,040 once a reused exchange reused its originFill and the fill's 1xx
// relay in it (reuseFill), 2,910 once package fastpath reused a
// connection's ResponseWriter (the request's context stays its own).
const missBytes = 3000

// A cold miss allocates no more than missAllocs objects, counted with
// testing.AllocsPerRun around misses on one keep-alive connection whose
// requests and responses are written and read in place, to an origin
// that answers from one buffer (newLoopOrigin).
func TestMiss_allocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	s := newBenchEdge(t, newLoopOrigin(t))
	c, err := net.Dial("tcp", strings.TrimPrefix(serveLikeTheProduct(t, s), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := make([]byte, 0, 256)
	resp := make([]byte, 8<<10)
	i := 0
	miss := func() {
		i++
		req = append(req[:0], "GET /obj/allocs-"...)
		req = strconv.AppendInt(req, int64(i), 10)
		req = append(req, "?size=1024 HTTP/1.1\r\nHost: "+benchHost+"\r\nUser-Agent: wrk\r\n\r\n"...)
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		if head, ok := readResponseInPlace(c, resp); !ok || !bytes.HasPrefix(head, []byte("HTTP/1.1 200 ")) || !bytes.Contains(head, []byte("\r\nX-Cache: Miss from cloudfront\r\n")) {
			t.Fatalf("miss %d: response %q", i, head)
		}
	}
	for range 20 { // connections, pools and tables set up
		miss()
	}
	got := testing.AllocsPerRun(500, miss)
	t.Logf("%.0f allocations per cold miss", got)
	if got > missAllocs {
		t.Errorf("%.0f allocations per cold miss, want at most %d", got, missAllocs)
	}
	const misses = 500
	// On one P, as AllocsPerRun counts: the pools the miss path takes
	// from (sync.Pool) find a value only on the P that put it.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range misses {
		miss()
	}
	runtime.ReadMemStats(&after)
	bytesPerMiss := float64(after.TotalAlloc-before.TotalAlloc) / misses
	t.Logf("%.0f bytes allocated per cold miss", bytesPerMiss)
	if bytesPerMiss > missBytes {
		t.Errorf("%.0f bytes allocated per cold miss, want at most %d", bytesPerMiss, missBytes)
	}
}

// readResponseInPlace reads one response with a Content-Length into buf
// without allocating and returns its head; ok is false on a read error or
// a response that does not fit.
func readResponseInPlace(c net.Conn, buf []byte) (head []byte, ok bool) {
	n, end := 0, -1
	for end < 0 {
		k, err := c.Read(buf[n:])
		n += k
		if err != nil || n == len(buf) {
			return buf[:n], false
		}
		end = bytes.Index(buf[:n], []byte("\r\n\r\n"))
	}
	head = buf[:end]
	const field = "\r\nContent-Length: "
	at := bytes.Index(head, []byte(field))
	if at < 0 {
		return head, false
	}
	v := head[at+len(field):]
	length := 0
	for len(v) > 0 && v[0] >= '0' && v[0] <= '9' {
		length = length*10 + int(v[0]-'0')
		v = v[1:]
	}
	total := end + 4 + length
	if total > len(buf) {
		return head, false
	}
	for n < total {
		k, err := c.Read(buf[n:total])
		n += k
		if err != nil {
			return head, false
		}
	}
	return head, true
}

// newLoopOrigin is a benchOrigin (1 KiB, cacheable for an hour) served by
// one goroutine per connection, reading request heads and writing
// answers in a loop.
func newLoopOrigin(t *testing.T) *benchOrigin {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &benchOrigin{Server: &httptest.Server{Listener: ln}}
	answer := []byte("HTTP/1.1 200 OK\r\nCache-Control: max-age=3600\r\nContent-Type: application/octet-stream\r\nContent-Length: 1024\r\n\r\n" + strings.Repeat("a", 1024))
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			go func() {
				br := bufio.NewReader(c)
				var head bytes.Buffer
				for {
					line, err := br.ReadSlice('\n')
					if err != nil {
						return
					}
					head.Write(line)
					if len(line) <= 2 { // the empty line ending a head
						o.requests.Add(1)
						head.Reset()
						if _, err := c.Write(answer); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return o
}
