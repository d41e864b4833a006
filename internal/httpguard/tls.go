package httpguard

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// TLSListener accepts TLS connections on ln. It completes each handshake
// itself (within cfg.HeadTimeout, off the accept loop), then hands
// HTTP/2 connections to net/http as they are (net/http runs HTTP/2 only
// on a *tls.Conn, and HTTP/2 frames bodies without Content-Length or
// Transfer-Encoding) and guards the HTTP/1.x ones. Serve it with
// http.Server.Serve, with ConnContext set to this package's ConnContext
// and the handler wrapped by KeepTLS, so that r.TLS is set on guarded
// connections too. For HTTP/2, tlsConfig lists "h2" in NextProtos, and
// so does the server's TLSConfig (Serve sets HTTP/2 up only then).
func TLSListener(ln net.Listener, tlsConfig *tls.Config, cfg *Config) net.Listener {
	l := &tlsListener{ln: ln, tlsConfig: tlsConfig, cfg: cfg, conns: make(chan net.Conn), done: make(chan struct{})}
	go l.acceptLoop()
	return l
}

type tlsListener struct {
	ln        net.Listener
	tlsConfig *tls.Config
	cfg       *Config
	conns     chan net.Conn
	done      chan struct{}
	once      sync.Once

	mu  sync.Mutex
	err error // why acceptLoop stopped
}

func (l *tlsListener) acceptLoop() {
	var backoff time.Duration
	for {
		raw, err := l.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			l.mu.Lock()
			l.err = err
			l.mu.Unlock()
			l.Close()
			return
		}
		backoff = 0
		go l.handshake(raw)
	}
}

func (l *tlsListener) handshake(raw net.Conn) {
	var tail readTail
	if l.cfg.HandshakeFailed != nil {
		tail.Conn = raw
		raw = &tail
	}
	tc := tls.Server(raw, l.tlsConfig)
	if l.cfg.HeadTimeout > 0 {
		tc.SetDeadline(time.Now().Add(l.cfg.HeadTimeout))
	}
	if err := tc.Handshake(); err != nil {
		tc.Close()
		if l.cfg.HandshakeFailed != nil {
			l.cfg.HandshakeFailed(raw.RemoteAddr(), tail.plaintextAlert(err))
		}
		return
	}
	tc.SetDeadline(time.Time{})
	tail.done = true
	var c net.Conn = tc
	state := tc.ConnectionState()
	if state.NegotiatedProtocol != "h2" {
		c = &conn{Conn: tc, cfg: l.cfg, tlsState: &state}
	}
	select {
	case l.conns <- c:
	case <-l.done:
		tc.Close()
	}
}

// WatchHandshakes returns, for a server that completes TLS handshakes
// itself (package fastpath), what to wrap each raw connection with so
// that a failed handshake is told to failed, a client's unencrypted alert
// recognised as TLSListener does (nil when failed is nil).
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

func (l *tlsListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.err != nil && !errors.Is(l.err, net.ErrClosed) {
			return nil, l.err
		}
		return nil, net.ErrClosed
	}
}

func (l *tlsListener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.ln.Close()
	})
	return err
}

func (l *tlsListener) Addr() net.Addr { return l.ln.Addr() }

type tlsStateKey struct{}

// ConnContext is the http.Server's ConnContext for a TLSListener: it
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
// net/http: a *tls.Conn (HTTP/2) is passed as it is, like TLSListener
// does; any other connection is guarded and keeps the TLS state that
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
