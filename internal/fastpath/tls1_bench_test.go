package fastpath

import (
	"crypto/tls"
	"fmt"
	"io"
	"strings"
	"testing"
)

// BenchmarkTLS1Hits1KiB: per request, HTTPS/1.1 keep-alive hits of 1 KiB
// over loopback, one request at a time as wrk sends them (bench/tls.sh
// h1tls), or pipelined in batches (several requests per TLS record and
// read). Between requests the connection is idle: its read is the small
// one (tls1idle.go).
func BenchmarkTLS1Hits1KiB(b *testing.B) {
	for _, perBatch := range []int{1, 16} {
		b.Run(fmt.Sprintf("batch%d", perBatch), func(b *testing.B) {
			_, addr := startTLSServer(b, nil)
			c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			req := []byte(strings.Repeat("GET /fast/1024 HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n", perBatch))
			want := len("HTTP/1.1 200 OK\r\nContent-Length: 1024\r\nX-Path: fast\r\n\r\n") + 1024
			resp := make([]byte, want*perBatch)
			b.SetBytes(1024)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += perBatch {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, resp); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if !strings.HasPrefix(string(resp[len(resp)-want:]), "HTTP/1.1 200 OK\r\n") {
				b.Fatalf("answer %q, want a fast-path hit", resp[:64])
			}
		})
	}
}
