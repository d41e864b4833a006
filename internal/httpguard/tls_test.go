package httpguard

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

func testCertificate(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{"h"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// The HTTPS listener: HTTP/1.1 is guarded (and r.TLS still set), HTTP/2
// is served by net/http as usual, a silent handshake is cut.
func TestTLSListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var handled atomic.Int64
	srv := &http.Server{
		Handler: KeepTLS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			handled.Add(1)
			fmt.Fprintf(w, "%s %s tls=%v", r.Proto, r.URL.Path, r.TLS != nil && r.TLS.HandshakeComplete)
		})),
		ConnContext:       ConnContext,
		ReadHeaderTimeout: time.Minute,
		// NextProtos with h2 also tells Serve to set HTTP/2 up.
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{testCertificate(t)}, NextProtos: []string{"h2", "http/1.1"}},
	}
	go srv.Serve(TLSListener(ln, srv.TLSConfig, &Config{HeadTimeout: 300 * time.Millisecond}))
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()
	clientTLS := &tls.Config{InsecureSkipVerify: true, ServerName: "h"}

	t.Run("HTTP/1.1 smuggling refused", func(t *testing.T) {
		c, err := tls.Dial("tcp", addr, clientTLS)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		smuggled := "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"
		fmt.Fprintf(c, "GET /first HTTP/1.1\r\nHost: h\r\n\r\nPOST /a HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n%s", len(smuggled), smuggled)
		statuses, bodies := responses(t, bufio.NewReader(c))
		if len(statuses) != 2 || bodies[0] != "HTTP/1.1 /first tls=true" || statuses[1] != 400 {
			t.Fatalf("got %v %q, want the first answered (with r.TLS set) and 400", statuses, bodies)
		}
	})
	t.Run("HTTP/2", func(t *testing.T) {
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: clientTLS, ForceAttemptHTTP2: true}}
		resp, err := client.Get("https://" + addr + "/h2")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "HTTP/2.0 /h2 tls=true" {
			t.Fatalf("got %q", b)
		}
	})
	t.Run("silent handshake", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if d := closedWithin(t, c, 3*time.Second, nil); d > 2*time.Second {
			t.Errorf("closed after %v", d)
		}
	})
}
