package edge_test

// BenchmarkHit1KiBSigned is BenchmarkHit1KiB behind a behaviour with
// trusted key groups: every hit carries a valid canned signed URL, which
// the edge verifies (through its cache of verified signatures) before
// answering from the cache. After the measured loop it times as many
// unsigned hits on an edge built like BenchmarkHit1KiB's and reports them
// as unsigned-ns/op, and the added latency as overhead-%; the target is
// <= 10 %.

import (
	"bufio"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"openfront/internal/edge"
	"openfront/internal/fastpath"
	"openfront/internal/model"
	"openfront/internal/signedurl"
	"openfront/internal/snapshot"
)

const benchKeyID = "KBENCHKEY00001"

// newSignedBenchEdge is newBenchEdge with TrustedKeyGroups on the default
// behaviour, trusting pub as benchKeyID.
func newSignedBenchEdge(b *testing.B, o *benchOrigin, pub crypto.PublicKey) *edge.Server {
	b.Helper()
	return newBenchEdgeWith(b, o, func(cfg model.Tree) {
		model.Sub(cfg, "DefaultCacheBehavior")["TrustedKeyGroups"] = model.Tree{"Enabled": "true", "Quantity": "1", "Items": []any{"kg-bench"}}
	}, func(d *snapshot.Distribution) {
		// The store would hold the key and the group; Compile from records
		// has neither, so trust the key the way snapshot.Keys.Allowed would.
		for _, beh := range d.Behaviors {
			if !beh.Signed {
				b.Fatal("behaviour with TrustedKeyGroups did not compile as signed")
			}
			beh.TrustedKeys = map[string]crypto.PublicKey{benchKeyID: pub}
		}
	})
}

// cannedSignedPath returns path with a canned-policy signature for
// http://benchHost+path, valid for a day.
func cannedSignedPath(b *testing.B, key *rsa.PrivateKey, path string) string {
	b.Helper()
	expires := time.Now().Add(24 * time.Hour).Unix()
	policy := signedurl.CannedPolicy("http://"+benchHost+path, expires)
	sum := sha1.Sum(policy)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA1, sum[:])
	if err != nil {
		b.Fatal(err)
	}
	enc := strings.NewReplacer("+", "-", "=", "_", "/", "~").Replace(base64.StdEncoding.EncodeToString(sig))
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "Expires=" + strconv.FormatInt(expires, 10) + "&Signature=" + enc + "&Key-Pair-Id=" + benchKeyID
}

// BenchmarkHit1KiBSigned is one memory-tier hit of a 1 KiB object through a
// valid canned signed URL.
func BenchmarkHit1KiBSigned(b *testing.B) {
	const size = 1 << 10
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	o := newBenchOrigin(b)
	s := newSignedBenchEdge(b, o, &key.PublicKey)
	path := cannedSignedPath(b, key, "/obj/hit?size="+strconv.Itoa(size))

	// Unsigned, the behaviour refuses.
	w := newBenchWriter()
	s.ServeHTTP(w, newBenchRequest("/obj/hit?size="+strconv.Itoa(size)))
	if w.status != http.StatusForbidden {
		b.Fatalf("unsigned request: status %d, want 403", w.status)
	}
	prefill(b, s, path, size)
	before := o.requests.Load()
	r := newBenchRequest(path)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		w.reset()
		s.ServeHTTP(w, r)
	}
	if w.status != http.StatusOK || w.n != size || w.h.Get("X-Cache") != "Hit from cloudfront" {
		b.Fatalf("last response: status %d, %d bytes, X-Cache %q", w.status, w.n, w.h.Get("X-Cache"))
	}
	if n := o.requests.Load() - before; n != 0 {
		b.Fatalf("%d origin requests during the hit loop", n)
	}
	signed := float64(b.Elapsed().Nanoseconds()) / float64(b.N)

	// The unsigned baseline, in the same process and moment, not timed by b.
	// (testing.Benchmark cannot be nested in a running benchmark.)
	bo := newBenchOrigin(b)
	bs := newBenchEdge(b, bo)
	plain := "/obj/hit?size=" + strconv.Itoa(size)
	prefill(b, bs, plain, size)
	br := newBenchRequest(plain)
	start := time.Now()
	for range b.N {
		w.reset()
		bs.ServeHTTP(w, br)
	}
	unsigned := float64(time.Since(start).Nanoseconds()) / float64(b.N)
	if w.status != http.StatusOK || w.h.Get("X-Cache") != "Hit from cloudfront" {
		b.Fatalf("baseline: status %d, X-Cache %q", w.status, w.h.Get("X-Cache"))
	}
	b.ReportMetric(unsigned, "unsigned-ns/op")
	b.ReportMetric(100*(signed-unsigned)/unsigned, "overhead-%")
}

// serveLikeTheProduct serves s on a loopback listener through
// fastpath.Server, as `openfront serve` does on its plain-HTTP edge
// listener, and returns its base URL.
func serveLikeTheProduct(b testing.TB, s *edge.Server) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	fs := &fastpath.Server{Handler: s, Fallback: &http.Server{Handler: s}}
	go fs.Serve(ln)
	b.Cleanup(func() { fs.Shutdown(context.Background()) })
	return "http://" + ln.Addr().String()
}

// BenchmarkHitSignedOverHTTP measures what the target is about:
// the latency of a whole hit as a viewer sees it (HTTP/1.1 keep-alive over
// loopback, request parsing and response writing included), with and
// without a signed URL. Rounds of signed and unsigned requests alternate so
// both see the same machine; overhead-% is the added latency.
func BenchmarkHitSignedOverHTTP(b *testing.B) {
	const size = 1 << 10
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	o := newBenchOrigin(b)
	signedEdge := newSignedBenchEdge(b, o, &key.PublicKey)
	plainEdge := newBenchEdge(b, newBenchOrigin(b))
	signedPath := cannedSignedPath(b, key, "/obj/hit?size="+strconv.Itoa(size))
	plainPath := "/obj/hit?size=" + strconv.Itoa(size)
	prefill(b, signedEdge, signedPath, size)
	prefill(b, plainEdge, plainPath, size)
	// Served as the product serves plain HTTP: the fast path, net/http
	// for what it declines.
	signedURL, plainURL := serveLikeTheProduct(b, signedEdge), serveLikeTheProduct(b, plainEdge)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}
	get := func(base, path string) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Host = benchHost
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || n != size || resp.Header.Get("X-Cache") != "Hit from cloudfront" {
			b.Fatalf("%s: status %d, %d bytes, X-Cache %q", path, resp.StatusCode, n, resp.Header.Get("X-Cache"))
		}
	}
	var signed, plain time.Duration
	const round = 200
	b.ResetTimer()
	for i := 0; i < b.N; i += round {
		n := min(round, b.N-i)
		t0 := time.Now()
		for range n {
			get(signedURL, signedPath)
		}
		t1 := time.Now()
		for range n {
			get(plainURL, plainPath)
		}
		signed += t1.Sub(t0)
		plain += time.Since(t1)
	}
	b.ReportMetric(float64(signed.Nanoseconds())/float64(b.N), "signed-ns/op")
	b.ReportMetric(float64(plain.Nanoseconds())/float64(b.N), "unsigned-ns/op")
	b.ReportMetric(100*float64(signed-plain)/float64(plain), "overhead-%")
}

// BenchmarkMissOverHTTP1KiB is a cold 1 KiB miss as the product serves
// it: a keep-alive HTTP/1.1 connection to fastpath, which declines it and
// hands it to the edge's handler on the connection (bench/tls.sh's miss
// test, in process, for allocation and CPU profiles).
func BenchmarkMissOverHTTP1KiB(b *testing.B) {
	s := newBenchEdge(b, newBenchOrigin(b))
	addr := strings.TrimPrefix(serveLikeTheProduct(b, s), "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	b.ReportAllocs()
	b.SetBytes(1 << 10)
	i := 0
	for b.Loop() {
		i++
		fmt.Fprintf(c, "GET /obj/wire-miss-%d?size=1024 HTTP/1.1\r\nHost: %s\r\nUser-Agent: wrk\r\n\r\n", i, benchHost)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || n != 1<<10 || resp.Header.Get("X-Cache") != "Miss from cloudfront" {
			b.Fatalf("status %d, %d bytes, X-Cache %q", resp.StatusCode, n, resp.Header.Get("X-Cache"))
		}
	}
}
