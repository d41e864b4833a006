package fastpath

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"
)

// kibHandler answers every GET with the same 1 KiB, allocating nothing
// (stubHandler builds its answers with allocations).
type kibHandler struct{}

var kib = bytes.Repeat([]byte("k"), 1024)

func (kibHandler) ServeFast(r *Request, dst []byte) ([]byte, []byte, bool) {
	dst = append(dst, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1024\r\nX-Cache: Hit from cloudfront\r\n\r\n"...)
	return dst, kib, true
}

// h2Loop is one HTTP/2 connection served in process (over loopback TCP,
// without TLS, which is not what is measured) and a client that sends
// batches of HEADERS frames for 1 KiB hits, as h2load -m16 does.
type h2Loop struct {
	cl        net.Conn
	batch     []byte // HEADERS frames for streams, ids patched per batch
	nextID    uint32
	perBatch  int
	respBytes int // bytes of one batch's answers
	in        []byte
}

func newH2Loop(tb testing.TB, perBatch int) *h2Loop {
	return newH2LoopOver(tb, perBatch, false, 0)
}

// newH2LoopOver is newH2Loop, over TLS (as the edge serves HTTP/2) if
// useTLS, with pad bytes of padding in each HEADERS frame (larger
// batches of the same requests).
func newH2LoopOver(tb testing.TB, perBatch int, useTLS bool, pad int) *h2Loop {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	var certs []tls.Certificate
	if useTLS {
		std := httptest.NewUnstartedServer(http.NotFoundHandler())
		std.StartTLS()
		certs = std.TLS.Certificates
		std.Close()
	}
	s := &Server{Handler: kibHandler{}, Fallback: &http.Server{}, HTTP2: true, IdleTimeout: time.Minute}
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		c := &conn{s: s, nc: nc}
		if useTLS {
			tc := tls.Server(nc, &tls.Config{Certificates: certs, NextProtos: []string{"h2"}})
			if tc.Handshake() != nil {
				nc.Close()
				return
			}
			st := tc.ConnectionState()
			c.nc, c.tls, nc = tc, &st, tc
		}
		c.serveH2(nc)
	}()
	cl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	if useTLS {
		tc := tls.Client(cl, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
		if err := tc.Handshake(); err != nil {
			tb.Fatal(err)
		}
		cl = tc
	}
	tb.Cleanup(func() { cl.Close() })
	l := &h2Loop{cl: cl, nextID: 1, perBatch: perBatch, in: make([]byte, 1<<20)}
	// The preface, SETTINGS and the ack of the server's.
	var pre []byte
	pre = append(pre, h2Preface...)
	pre = appendFrameHeader(pre, 0, frameSettings, 0, 0)
	pre = appendFrameHeader(pre, 0, frameSettings, flagAck, 0)
	// Room for a batch's answers before the batch's WINDOW_UPDATE (past
	// 64 answers of 1 KiB, they would wait for it, as new streams).
	pre = appendWindowUpdate(pre, 0, 1<<20)
	cl.Write(pre)
	// Requests as h2load sends them; the second batch's blocks are all
	// indexed in the dynamic table, as every later one is.
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for round := 0; round < 2; round++ {
		l.batch = l.batch[:0]
		for i := 0; i < perBatch; i++ {
			hb.Reset()
			for _, f := range [][2]string{{":method", "GET"}, {":path", "/fast/1024"}, {":scheme", "https"}, {":authority", "h"}, {"user-agent", "h2load nghttp2/1.52.0"}} {
				enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
			}
			if pad > 0 {
				l.batch = appendFrameHeader(l.batch, 1+hb.Len()+pad, frameHeaders, flagEndHeaders|flagEndStream|flagPadded, 0)
				l.batch = append(l.batch, byte(pad))
				l.batch = append(l.batch, hb.Bytes()...)
				l.batch = append(l.batch, make([]byte, pad)...)
			} else {
				l.batch = appendFrameHeader(l.batch, hb.Len(), frameHeaders, flagEndHeaders|flagEndStream, 0)
				l.batch = append(l.batch, hb.Bytes()...)
			}
		}
		// The connection window the answers use, given back.
		l.batch = appendWindowUpdate(l.batch, 0, uint32(perBatch*1024))
		if round == 0 {
			l.send()
			// The server's SETTINGS, WINDOW_UPDATE and ack, then the answers.
			l.respBytes = -1
			l.readAnswers(tb, 9+18+13+9)
		}
	}
	// Measure one batch's answers.
	l.send()
	n := l.readSome(tb)
	l.respBytes = n
	return l
}

func (l *h2Loop) send() {
	for off := 0; off < len(l.batch); {
		length := int(l.batch[off])<<16 | int(l.batch[off+1])<<8 | int(l.batch[off+2])
		if l.batch[off+3] == frameHeaders {
			binary.BigEndian.PutUint32(l.batch[off+5:], l.nextID)
			l.nextID += 2
		}
		off += 9 + length
	}
	l.cl.Write(l.batch)
}

// readAnswers reads control frames of n bytes plus one batch of answers
// (whose size is learnt from the first batch).
func (l *h2Loop) readAnswers(tb testing.TB, n int) {
	if l.respBytes < 0 {
		l.respBytes = 0
		if _, err := io.ReadFull(l.cl, l.in[:n]); err != nil {
			tb.Fatal(err)
		}
		l.readSome(tb)
		return
	}
	if _, err := io.ReadFull(l.cl, l.in[:n+l.respBytes]); err != nil {
		tb.Fatal(err)
	}
}

// readSome reads frames until perBatch streams have ended.
func (l *h2Loop) readSome(tb testing.TB) int {
	ended, total, have := 0, 0, 0
	for ended < l.perBatch {
		for have-total < 9 {
			n, err := l.cl.Read(l.in[have:])
			if err != nil {
				tb.Fatal(err)
			}
			have += n
		}
		length := int(l.in[total])<<16 | int(l.in[total+1])<<8 | int(l.in[total+2])
		for have-total < 9+length {
			n, err := l.cl.Read(l.in[have:])
			if err != nil {
				tb.Fatal(err)
			}
			have += n
		}
		if l.in[total+3] == frameData && l.in[total+4]&flagEndStream != 0 {
			ended++
		}
		total += 9 + length
	}
	return total
}

func (l *h2Loop) roundTrip(tb testing.TB) {
	l.send()
	if _, err := io.ReadFull(l.cl, l.in[:l.respBytes]); err != nil {
		tb.Fatal(err)
	}
}

// The hit path allocates nothing: a batch of 16 requests read, decoded,
// answered by ServeFast, encoded and written. Batches of 16 and 100
// (1.4 KiB of HEADERS) fit the connection's small read array
// (h2readbuf.go); padded to 7 KiB, a batch takes a read buffer from the
// pool and gives it back, without allocating either.
func TestH2_hitPathAllocs(t *testing.T) {
	for _, tc := range []struct{ perBatch, pad int }{{16, 0}, {100, 0}, {100, 60}} {
		l := newH2LoopOver(t, tc.perBatch, false, tc.pad)
		if allocs := testing.AllocsPerRun(200, func() { l.roundTrip(t) }); allocs > 0 {
			t.Errorf("%.1f allocations per batch of %d hits (%d bytes), want 0", allocs, tc.perBatch, len(l.batch))
		}
	}
}

// BenchmarkH2Hits1KiB: per request, 16 streams per read as h2load -m16.
func BenchmarkH2Hits1KiB(b *testing.B) {
	l := newH2Loop(b, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 16 {
		l.roundTrip(b)
	}
}

// BenchmarkH2Hits1KiBBurst100: per request, 100 streams per read, their
// HEADERS in the small read array, or padded to 7 KiB (a pooled read
// buffer per batch).
func BenchmarkH2Hits1KiBBurst100(b *testing.B) {
	for _, pad := range []int{0, 60} {
		b.Run(fmt.Sprintf("pad%d", pad), func(b *testing.B) {
			l := newH2LoopOver(b, 100, false, pad)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += 100 {
				l.roundTrip(b)
			}
		})
	}
}

// BenchmarkH2Hits1KiBTLS is BenchmarkH2Hits1KiB over TLS, as the edge
// serves HTTP/2 (the small read takes what crypto/tls decrypted).
func BenchmarkH2Hits1KiBTLS(b *testing.B) {
	for _, perBatch := range []int{16, 100} {
		b.Run(fmt.Sprintf("m%d", perBatch), func(b *testing.B) {
			l := newH2LoopOver(b, perBatch, true, 0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += perBatch {
				l.roundTrip(b)
			}
		})
	}
}
