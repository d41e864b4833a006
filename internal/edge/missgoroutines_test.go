package edge_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime/metrics"
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
