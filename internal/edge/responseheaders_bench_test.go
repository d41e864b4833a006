package edge_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"openfront/internal/fastpath"
	"openfront/internal/model"
)

// BenchmarkHit1KiBResponseHeadersPolicy is BenchmarkHit1KiB with the
// managed CORS-with-preflight-and-SecurityHeadersPolicy on the behaviour
// and a CORS request (Origin set): the cost of a response headers policy
// on a hit is the difference between the two.
func BenchmarkHit1KiBResponseHeadersPolicy(b *testing.B) {
	const size = 1 << 10
	o := newBenchOrigin(b)
	s := newBenchEdgeWith(b, o, func(c model.Tree) {
		c["DefaultCacheBehavior"].(model.Tree)["ResponseHeadersPolicyId"] = "eaab4381-ed33-4a86-88ca-d9558dc6cd63"
	}, nil)
	path := "/obj/hit?size=1024"
	prefill(b, s, path, size)
	r := newBenchRequest(path)
	r.Header.Set("Origin", "https://app.example")
	w := newBenchWriter()
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		w.reset()
		s.ServeHTTP(w, r)
	}
	if w.status != http.StatusOK || w.n != size || w.h.Get("Access-Control-Allow-Origin") != "*" || w.h.Get("X-Frame-Options") != "SAMEORIGIN" {
		b.Fatalf("last response: status %d, %d bytes, headers %v", w.status, w.n, w.h)
	}
}

// BenchmarkHitResponseHeadersPolicyOverHTTP measures the target:
// the latency of a whole 1 KiB hit as a viewer sees it (HTTP/1.1
// keep-alive over loopback, served as the product serves plain HTTP), with
// and without the managed CORS-with-preflight-and-SecurityHeadersPolicy
// and a CORS request. Without the policy, the origin sends the same seven
// headers itself, so both responses are the same size and what differs is
// the edge applying the policy. Rounds alternate so both see the same
// machine; overhead-% is the added latency.
func BenchmarkHitResponseHeadersPolicyOverHTTP(b *testing.B) {
	const size = 1 << 10
	policyEdge := newBenchEdgeWith(b, newBenchOrigin(b), func(c model.Tree) {
		c["DefaultCacheBehavior"].(model.Tree)["ResponseHeadersPolicyId"] = "eaab4381-ed33-4a86-88ca-d9558dc6cd63"
	}, nil)
	plainOrigin := newBenchOrigin(b)
	inner := plainOrigin.Config.Handler
	plainOrigin.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "*")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Strict-Transport-Security", "max-age=31536000")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "SAMEORIGIN")
		h.Set("X-Xss-Protection", "1; mode=block")
		inner.ServeHTTP(w, r)
	})
	plainEdge := newBenchEdge(b, plainOrigin)
	path := "/obj/hit?size=1024"
	prefill(b, policyEdge, path, size)
	prefill(b, plainEdge, path, size)
	policyURL, plainURL := serveLikeTheProduct(b, policyEdge), serveLikeTheProduct(b, plainEdge)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}
	get := func(base string) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Host = benchHost
		req.Header.Set("Origin", "https://app.example")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || n != size || resp.Header.Get("X-Cache") != "Hit from cloudfront" ||
			resp.Header.Get("X-Frame-Options") != "SAMEORIGIN" || len(resp.Header) != 16 {
			b.Fatalf("status %d, %d bytes, headers %v", resp.StatusCode, n, resp.Header)
		}
	}
	var withPolicy, plain time.Duration
	const round = 200
	b.ResetTimer()
	for i := 0; i < b.N; i += round {
		n := min(round, b.N-i)
		t0 := time.Now()
		for range n {
			get(policyURL)
		}
		t1 := time.Now()
		for range n {
			get(plainURL)
		}
		withPolicy += t1.Sub(t0)
		plain += time.Since(t1)
	}
	b.ReportMetric(float64(withPolicy.Nanoseconds())/float64(b.N), "policy-ns/op")
	b.ReportMetric(float64(plain.Nanoseconds())/float64(b.N), "plain-ns/op")
	b.ReportMetric(100*float64(withPolicy-plain)/float64(plain), "overhead-%")
}

// BenchmarkServeFast1KiBResponseHeadersPolicy is BenchmarkServeFast1KiB
// with the managed CORS-with-preflight-and-SecurityHeadersPolicy and a
// CORS request: the fast path applies the policy without allocating.
func BenchmarkServeFast1KiBResponseHeadersPolicy(b *testing.B) {
	const size = 1 << 10
	s := newBenchEdgeWith(b, newBenchOrigin(b), func(c model.Tree) {
		c["DefaultCacheBehavior"].(model.Tree)["ResponseHeadersPolicyId"] = "eaab4381-ed33-4a86-88ca-d9558dc6cd63"
	}, nil)
	prefill(b, s, "/obj/hit?size=1024", size)
	r := &fastpath.Request{Method: "GET", Path: "/obj/hit", RawQuery: "size=1024", Host: benchHost, RemoteAddr: "127.0.0.1:40000"}
	r.AddHeader("Origin", "https://app.example")
	buf := make([]byte, 0, 4096)
	b.SetBytes(size)
	b.ReportAllocs()
	var head []byte
	for b.Loop() {
		var body []byte
		var ok bool
		head, body, ok = s.ServeFast(r, buf[:0])
		if !ok || len(body) != size {
			b.Fatalf("ServeFast declined a fresh hit (ok=%v, %d body bytes)", ok, len(body))
		}
	}
	if !bytes.Contains(head, []byte("\r\nAccess-Control-Allow-Origin: *\r\n")) || !bytes.Contains(head, []byte("\r\nX-Frame-Options: SAMEORIGIN\r\n")) {
		b.Fatalf("head without the policy's headers:\n%s", head)
	}
}
