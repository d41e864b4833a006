package signedurl

import (
	"syscall"
	"testing"
	"time"
)

// reportCPU adds a cpu-ns/op metric (process user+system CPU time per
// op) next to ns/op: on a loaded machine wall-clock ns/op includes time
// spent waiting for a core, CPU time much less so.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchRequest is a canned signed URL with RSA-2048, the common case.
func benchRequest(b *testing.B) (Request, KeySet) {
	k1, _, _ := testKeys(b)
	u := cannedURL(b, k1, keyID, "https://"+testHost+"/videos/2024/episode-01/segment-00042.ts?quality=hd", expires)
	req := requestFor(b, u, "192.0.2.10")
	keys := testKeySet(b)
	if err := Verify(req, keys, testNow); err != nil {
		b.Fatal(err)
	}
	return req, keys
}

func BenchmarkVerifyUncached(b *testing.B) {
	req, keys := benchRequest(b)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if err := Verify(req, keys, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	req, keys := benchRequest(b)
	v := NewVerifier(0)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if err := v.Verify(req, keys, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCachedParallel(b *testing.B) {
	req, keys := benchRequest(b)
	v := NewVerifier(0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := v.Verify(req, keys, testNow); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
