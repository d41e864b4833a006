package origin

import (
	"context"
	"net/http"
	"testing"
)

// BenchmarkOriginGet1KiB is one 1 KiB origin GET over a kept-alive
// loopback connection to a raw origin (a fixed answer per request), as a
// cache miss makes it: plain is this package's HTTP/1.1 client, transport
// net/http's Transport (what every fetch used before, and still uses for
// HTTPS). allocs/op are the client's alone.
func BenchmarkOriginGet1KiB(b *testing.B) {
	reply := "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nCache-Control: max-age=3600\r\n" +
		"Date: Sun, 06 Dec 2026 14:00:00 GMT\r\nEtag: \"1024\"\r\nContent-Length: 1024\r\n\r\n" + string(make([]byte, 1024))
	port := keepAliveOrigin(b, reply)
	header := http.Header{"User-Agent": {"Amazon CloudFront"}, "Via": {"1.1 x.cloudfront.net (CloudFront)"},
		"X-Forwarded-For": {"127.0.0.1"}, "X-Amz-Cf-Id": {"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQR=="}}
	for _, tc := range []struct {
		name   string
		policy string
	}{{"plain", "http-only"}, {"transport", "http-only"}} {
		b.Run(tc.name, func(b *testing.B) {
			c := New(S3{})
			defer c.CloseIdleConnections()
			o := customOrigin("127.0.0.1", port, 443, tc.policy)
			buf := make([]byte, 4096)
			r := &Request{Origin: o, Method: http.MethodGet, Path: "/obj/1", RawQuery: "size=1024", Host: "127.0.0.1", Header: header}
			do := c.Do
			if tc.name == "transport" {
				do = c.doTransport
			}
			b.ReportAllocs()
			for b.Loop() {
				resp, err := do(context.Background(), r)
				if err != nil {
					b.Fatal(err)
				}
				n := drainInto(resp.Body, buf)
				resp.Body.Close()
				if n != 1024 {
					b.Fatalf("%d bytes", n)
				}
			}
		})
	}
}
