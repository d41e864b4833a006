package httpguard

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"net"
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

// A failed handshake is reported to WatchHandshakes' function, and a
// client that refuses the certificate (Go's and curl's default
// verification against a self-signed one) is told apart from other
// failures. The server completes each handshake itself, as package
// fastpath does.
func TestWatchHandshakes_failed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	failed := make(chan error, 4)
	watch := WatchHandshakes(func(remote net.Addr, err error) {
		if remote == nil {
			t.Error("no remote address")
		}
		failed <- err
	})
	serverTLS := &tls.Config{Certificates: []tls.Certificate{testCertificate(t)}, MinVersion: tls.VersionTLS12}
	go func() {
		for {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c, done := watch(raw)
				tc := tls.Server(c, serverTLS)
				tc.SetDeadline(time.Now().Add(time.Second))
				err := tc.Handshake()
				done(err)
				tc.Close()
			}()
		}
	}()
	addr := ln.Addr().String()
	for _, tc := range []struct {
		name     string
		client   func() error
		rejected bool
	}{
		{"client refuses the self-signed certificate", func() error {
			c, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "h"})
			if err == nil {
				c.Close()
			}
			return err
		}, true},
		{"client trusts another certificate", func() error {
			pool := x509.NewCertPool()
			pool.AddCert(mustParse(t, testCertificate(t)))
			c, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "other", RootCAs: pool})
			if err == nil {
				c.Close()
			}
			return err
		}, true},
		{"no common version", func() error {
			c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11, MinVersion: tls.VersionTLS10})
			if err == nil {
				c.Close()
			}
			return err
		}, false},
		{"not TLS at all", func() error {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return err
			}
			defer c.Close()
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
			io.Copy(io.Discard, c)
			return fmt.Errorf("plain HTTP")
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.client(); err == nil {
				t.Fatal("the handshake succeeded")
			}
			select {
			case err := <-failed:
				if got := CertificateRejected(err); got != tc.rejected {
					t.Errorf("CertificateRejected(%v) = %v, want %v", err, got, tc.rejected)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the failure was not reported")
			}
		})
	}
	if CertificateRejected(nil) || CertificateRejected(io.EOF) {
		t.Error("CertificateRejected of a non-alert error")
	}
}

func mustParse(t *testing.T, c tls.Certificate) *x509.Certificate {
	t.Helper()
	x, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// chunkConn reads its data in the given chunk sizes.
type chunkConn struct {
	net.Conn
	data   []byte
	chunks []int
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(c.data)
	if len(c.chunks) > 0 {
		n, c.chunks = min(c.chunks[0], n), c.chunks[1:]
	}
	n = copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func readAllTail(data []byte, chunks []int) *readTail {
	t := &readTail{Conn: &chunkConn{data: data, chunks: chunks}}
	buf := make([]byte, 64)
	for {
		if _, err := t.Read(buf); err != nil {
			return t
		}
	}
}

// A TLS 1.3 OpenSSL client that refuses the certificate sends its alert
// unencrypted; crypto/tls reports "bad record MAC", plaintextAlert the
// client's alert.
func TestReadTail_plaintextAlert(t *testing.T) {
	badMAC := &net.OpError{Op: "local error", Err: alertError("tls: bad record MAC")}
	hello := bytes.Repeat([]byte{0x17}, 40)
	alert := func(desc byte) []byte { return []byte{21, 3, 3, 0, 2, 2, desc} }
	for _, tc := range []struct {
		name     string
		data     []byte
		chunks   []int
		err      error
		rejected bool
	}{
		{"unknown CA, one read", append(hello, alert(48)...), nil, badMAC, true},
		{"bad certificate, split reads", append(hello, alert(42)...), []int{38, 3, 2, 1, 1, 1, 1}, badMAC, true},
		{"alert split from its header", append(hello, alert(46)...), []int{45, 1, 1}, badMAC, true},
		{"another alert", append(hello, alert(70)...), nil, badMAC, false},
		{"unknown alert code", append(hello, alert(200)...), nil, badMAC, false},
		{"not an alert record", append(hello, 22, 3, 3, 0, 2, 2, 48), nil, badMAC, false},
		{"alert but another error", append(hello, alert(48)...), nil, io.EOF, false},
		{"too short", []byte{2, 48}, nil, badMAC, false},
		{"nothing read", nil, nil, badMAC, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := readAllTail(tc.data, tc.chunks).plaintextAlert(tc.err)
			if CertificateRejected(got) != tc.rejected {
				t.Errorf("plaintextAlert = %v: rejected %v, want %v", got, !tc.rejected, tc.rejected)
			}
		})
	}
}

// FuzzReadTail: whatever the bytes and read sizes, readTail keeps exactly
// the last bytes read (up to its size) and plaintextAlert never panics.
func FuzzReadTail(f *testing.F) {
	f.Add([]byte{21, 3, 3, 0, 2, 2, 48}, []byte{7})
	f.Add(bytes.Repeat([]byte{1}, 100), []byte{1, 15, 16, 17, 0})
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, data, sizes []byte) {
		chunks := make([]int, len(sizes))
		for i, s := range sizes {
			chunks[i] = int(s%32) + 1
		}
		tail := readAllTail(data, chunks)
		want := data[max(0, len(data)-len(tail.last)):]
		if !bytes.Equal(tail.last[:tail.n], want) {
			t.Fatalf("kept %x, want %x", tail.last[:tail.n], want)
		}
		tail.plaintextAlert(&net.OpError{Op: "local error", Err: alertError("tls: bad record MAC")})
	})
}
