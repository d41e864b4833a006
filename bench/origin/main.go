// Command origin is the benchmark's loopback origin. It serves
// GET /obj/<n>?size=<bytes>[&delay=<duration>] with a deterministic body of
// that many bytes and Cache-Control: max-age=3600, counts requests per path
// (the URL path, query excluded) and answers GET /count?path=<path> with the
// count for one path, or the total of /obj/ requests without a path.
// POST /reset clears the counters. It is meant for 127.0.0.1 only.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxSize bounds one body (64 GiB) so a typo cannot run forever.
const maxSize = 64 << 30

// block is the repeating body pattern; bodies are prefixes of its repetition.
var block = func() []byte {
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}()

type counters struct {
	mu    sync.Mutex
	paths map[string]int64
	total atomic.Int64
}

func (c *counters) add(path string) {
	c.total.Add(1)
	c.mu.Lock()
	c.paths[path]++
	c.mu.Unlock()
}

func (c *counters) get(path string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paths[path]
}

func (c *counters) reset() {
	c.mu.Lock()
	c.paths = map[string]int64{}
	c.mu.Unlock()
	c.total.Store(0)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address (loopback)")
	flag.Parse()
	c := &counters{paths: map[string]int64{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/obj/", func(w http.ResponseWriter, r *http.Request) {
		c.add(r.URL.Path)
		q := r.URL.Query()
		size, err := strconv.ParseInt(q.Get("size"), 10, 64)
		if err != nil || size < 0 || size > maxSize {
			size = 1024
		}
		if d, err := time.ParseDuration(q.Get("delay")); err == nil && d > 0 && d <= 10*time.Second {
			time.Sleep(d)
		}
		h := w.Header()
		h["Cache-Control"] = []string{"max-age=3600"}
		h["Content-Type"] = []string{"application/octet-stream"}
		h["Content-Length"] = []string{strconv.FormatInt(size, 10)}
		h["Last-Modified"] = []string{"Mon, 02 Jan 2006 15:04:05 GMT"}
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodHead {
			return
		}
		for left := size; left > 0; {
			n := min(left, int64(len(block)))
			if _, err := w.Write(block[:n]); err != nil {
				return
			}
			left -= n
		}
	})
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Query().Get("path"); p != "" {
			fmt.Fprintln(w, c.get(p))
			return
		}
		fmt.Fprintln(w, c.total.Load())
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		c.reset()
		fmt.Fprintln(w, "ok")
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if !strings.HasPrefix(ln.Addr().String(), "127.") {
		log.Fatalf("origin: refusing non-loopback address %s", ln.Addr())
	}
	log.Printf("origin listening on %s", ln.Addr())
	log.Fatal((&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln))
}
