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
	tc := tls.Server(raw, l.tlsConfig)
	if l.cfg.HeadTimeout > 0 {
		tc.SetDeadline(time.Now().Add(l.cfg.HeadTimeout))
	}
	if err := tc.Handshake(); err != nil {
		tc.Close()
		return
	}
	tc.SetDeadline(time.Time{})
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
