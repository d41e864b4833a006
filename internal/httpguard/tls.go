package httpguard

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
)

// WatchHandshakes returns, for a server that completes TLS handshakes
// itself (package fastpath), what to wrap each raw connection with so
// that a failed handshake is told to failed, with a client's unencrypted
// alert recognised (readTail.plaintextAlert; nil when failed is nil).
func WatchHandshakes(failed func(remote net.Addr, err error)) func(raw net.Conn) (net.Conn, func(error)) {
	if failed == nil {
		return nil
	}
	return func(raw net.Conn) (net.Conn, func(error)) {
		t := &readTail{Conn: raw}
		return t, func(err error) {
			t.done = true
			if err != nil {
				failed(raw.RemoteAddr(), t.plaintextAlert(err))
			}
		}
	}
}

// readTail is a connection that keeps the last bytes read until the
// handshake is over (done), to tell what a failed handshake last received.
type readTail struct {
	net.Conn
	last [16]byte
	n    int
	done bool
}

func (t *readTail) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	if n > 0 && !t.done {
		got := p[:n]
		if len(got) >= len(t.last) {
			t.n = copy(t.last[:], got[len(got)-len(t.last):])
		} else {
			keep := min(t.n, len(t.last)-len(got))
			copy(t.last[:], t.last[t.n-keep:t.n])
			t.n = keep + copy(t.last[keep:], got)
		}
	}
	return n, err
}

// plaintextAlert returns err, or, when crypto/tls failed to decrypt a
// record ("bad record MAC") that was in fact an unencrypted alert, the
// client's alert as crypto/tls reports a remote one. TLS 1.3 clients built
// on OpenSSL (curl, Python) send their alert unencrypted when they refuse
// the certificate before they switch to the handshake keys.
func (t *readTail) plaintextAlert(err error) error {
	var oe *net.OpError
	if t.n < 7 || !errors.As(err, &oe) || oe.Op != "local error" || oe.Err == nil || oe.Err.Error() != "tls: bad record MAC" {
		return err
	}
	rec := t.last[t.n-7 : t.n] // type, version (2), length (2), level, description
	if rec[0] != 21 || rec[1] != 3 || rec[3] != 0 || rec[4] != 2 {
		return err
	}
	name, ok := alertNames[rec[6]]
	if !ok {
		return err
	}
	return &net.OpError{Op: "remote error", Net: oe.Net, Source: oe.Source, Addr: oe.Addr, Err: alertError("tls: " + name)}
}

type alertError string

func (a alertError) Error() string { return string(a) }

// alertNames are the alert descriptions plaintextAlert recognises (RFC
// 8446, section 6), named as crypto/tls names them.
var alertNames = map[byte]string{42: "bad certificate", 43: "unsupported certificate", 44: "certificate revoked",
	45: "certificate expired", 46: "certificate unknown", 48: "unknown certificate authority", 40: "handshake failure",
	70: "protocol version not supported", 80: "internal error", 90: "user canceled"}

// certificateAlerts are the TLS alerts a client sends when it refuses the
// server's certificate (RFC 8446, section 6.2), as crypto/tls words them.
var certificateAlerts = []string{"bad certificate", "unsupported certificate", "certificate revoked",
	"certificate expired", "certificate unknown", "unknown certificate authority"}

// CertificateRejected reports whether a failed handshake's error is the
// client's refusal of the server's certificate (a self-signed one it does
// not trust, say): the client's choice, not a server fault.
func CertificateRejected(err error) bool {
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "remote error" || oe.Err == nil {
		return false
	}
	msg := oe.Err.Error()
	for _, a := range certificateAlerts {
		if msg == "tls: "+a {
			return true
		}
	}
	return false
}

type tlsStateKey struct{}

// ConnContext is the http.Server's ConnContext for a TLSHandoffListener: it
// keeps a guarded connection's TLS state for KeepTLS.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if g, ok := c.(*conn); ok && g.tlsState != nil {
		return context.WithValue(ctx, tlsStateKey{}, g.tlsState)
	}
	return ctx
}

// KeepTLS sets r.TLS on requests of guarded TLS connections (net/http
// sets it only on a *tls.Conn).
func KeepTLS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			if st, ok := r.Context().Value(tlsStateKey{}).(*tls.ConnectionState); ok {
				r.TLS = st
			}
		}
		h.ServeHTTP(w, r)
	})
}

// TLSHandoffListener guards the connections that a server which completed
// their TLS handshakes itself (package fastpath with a TLSConfig) hands to
// net/http: a *tls.Conn (HTTP/2) is passed as it is (net/http runs HTTP/2
// only on a *tls.Conn); any other connection is guarded and keeps the TLS state that
// state returns for it, for KeepTLS (serve with ConnContext set to this
// package's ConnContext).
func TLSHandoffListener(ln net.Listener, cfg *Config, state func(net.Conn) *tls.ConnectionState) net.Listener {
	return &tlsHandoffListener{Listener: ln, cfg: cfg, state: state}
}

type tlsHandoffListener struct {
	net.Listener
	cfg   *Config
	state func(net.Conn) *tls.ConnectionState
}

func (l *tlsHandoffListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if _, ok := c.(*tls.Conn); ok {
		return c, nil
	}
	return &conn{Conn: c, cfg: l.cfg, tlsState: l.state(c)}, nil
}
