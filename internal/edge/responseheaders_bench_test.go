package edge_test

import (
	"bytes"
	"io"
	"net/http"
	"slices"
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

// BenchmarkSecurityHeadersPolicyCost measures in one run the CPU cost of a
// typical security-headers policy (the managed SecurityHeadersPolicy: five
// headers) on a 1 KiB hit: two edges over one origin, one with the policy
// on its behaviour and one without, served in alternating rounds so both
// see the same machine. It reports each one's ns/op and allocs/op and the
// overhead in percent, for the fast path (ServeFast, a plain HTTP/1.1 hit)
// and for ServeHTTP (HTTP/2, TLS, and anything the fast path declines).
func BenchmarkSecurityHeadersPolicyCost(b *testing.B) {
	const size = 1 << 10
	const path = "/obj/hit?size=1024"
	o := newBenchOrigin(b)
	policyEdge := newBenchEdgeWith(b, o, func(c model.Tree) {
		c["DefaultCacheBehavior"].(model.Tree)["ResponseHeadersPolicyId"] = "67f7725c-6f97-4210-82d7-5512b31e9d03"
	}, nil)
	plainEdge := newBenchEdge(b, o)
	prefill(b, policyEdge, path, size)
	prefill(b, plainEdge, path, size)

	b.Run("fast", func(b *testing.B) {
		r := &fastpath.Request{Method: "GET", Path: "/obj/hit", RawQuery: "size=1024", Host: benchHost, RemoteAddr: "127.0.0.1:40000"}
		buf := make([]byte, 0, 4096)
		serve := func(s interface {
			ServeFast(*fastpath.Request, []byte) ([]byte, []byte, bool)
		}) []byte {
			head, body, ok := s.ServeFast(r, buf[:0])
			if !ok || len(body) != size {
				b.Fatalf("ServeFast declined a fresh hit (ok=%v, %d body bytes)", ok, len(body))
			}
			return head
		}
		if head := serve(policyEdge); !bytes.Contains(head, []byte("\r\nX-Content-Type-Options: nosniff\r\n")) || !bytes.Contains(head, []byte("\r\nStrict-Transport-Security: max-age=31536000\r\n")) {
			b.Fatalf("head without the policy's headers:\n%s", head)
		}
		if head := serve(plainEdge); bytes.Contains(head, []byte("X-Content-Type-Options")) {
			b.Fatalf("plain head with the policy's headers:\n%s", head)
		}
		reportAlternating(b, func() { serve(policyEdge) }, func() { serve(plainEdge) })
	})
	b.Run("ServeHTTP", func(b *testing.B) {
		r := newBenchRequest(path)
		w := newBenchWriter()
		serve := func(s http.Handler) {
			w.reset()
			s.ServeHTTP(w, r)
			if w.status != http.StatusOK || w.n != size {
				b.Fatalf("status %d, %d bytes", w.status, w.n)
			}
		}
		serve(policyEdge)
		if w.h.Get("X-Frame-Options") != "SAMEORIGIN" {
			b.Fatalf("headers without the policy's: %v", w.h)
		}
		reportAlternating(b, func() { serve(policyEdge) }, func() { serve(plainEdge) })
	})
}

// reportAlternating runs withPolicy and plain b.N times each in
// alternating rounds of 100 and reports their ns/op, allocs/op and the
// overhead of withPolicy over plain in percent: the median of the rounds'
// ratios, so that a burst of load from other processes on the machine
// (which lands in one round of one of them) does not decide it.
func reportAlternating(b *testing.B, withPolicy, plain func()) {
	b.Helper()
	policyAllocs := testing.AllocsPerRun(100, withPolicy)
	plainAllocs := testing.AllocsPerRun(100, plain)
	var tPolicy, tPlain time.Duration
	var ratios []float64
	const round = 100
	b.ResetTimer()
	for i := 0; i < b.N; i += round {
		n := min(round, b.N-i)
		t0 := time.Now()
		for range n {
			withPolicy()
		}
		t1 := time.Now()
		for range n {
			plain()
		}
		t2 := time.Now()
		tPolicy += t1.Sub(t0)
		tPlain += t2.Sub(t1)
		ratios = append(ratios, float64(t1.Sub(t0))/float64(t2.Sub(t1)))
	}
	slices.Sort(ratios)
	b.ReportMetric(float64(tPolicy.Nanoseconds())/float64(b.N), "policy-ns/op")
	b.ReportMetric(float64(tPlain.Nanoseconds())/float64(b.N), "plain-ns/op")
	b.ReportMetric(policyAllocs, "policy-allocs/op")
	b.ReportMetric(plainAllocs, "plain-allocs/op")
	b.ReportMetric(100*(ratios[len(ratios)/2]-1), "overhead-%")
}
