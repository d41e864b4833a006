package fastpath

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"openfront/internal/rawio"
)

// Handler answers the requests it can serve at once, from memory.
type Handler interface {
	// ServeFast appends a complete HTTP/1.1 response head to dst and
	// returns it with the body to send after it (not copied; it must stay
	// unmodified), or ok=false to leave the request, untouched, to
	// net/http. A handler that returns ok=false must have written nothing
	// and counted nothing. The room in dst past len(dst) is the handler's
	// scratch until it returns (no caller keeps anything there, and the
	// request's fields never point into it).
	ServeFast(r *Request, dst []byte) (head, body []byte, ok bool)
}

// A Batcher is a Handler that does part of its work, its counting say,
// once per batch of requests the epoll loop answers instead of once per
// request. Each loop answers its requests with Request.Batch set to the
// loop's own scratch (from NewBatch), and calls EndBatch with it after
// it answered a batch and before it sends the answers (and earlier when
// some answers leave before the batch's end): a viewer never reads an
// answer whose work is still to be done. Requests answered elsewhere
// (TLS, HTTP/2, a connection's goroutine) have a nil Batch.
type Batcher interface {
	Handler
	NewBatch() any
	EndBatch(scratch any)
}

// Server serves HTTP/1.1 connections (plain, or TLS: TLSConfig) with Handler while it answers
// every request on them, and hands a connection to Fallback (with the
// bytes it has read) at the first request Handler declines or cannot
// parse. A connection handed over stays with net/http.
//
// A request Handler declines on an HTTP/1.1 connection the loop serves
// is answered by Fallback.Handler on the connection's goroutine, with a
// ResponseWriter and a *http.Request that the connection reuses for its
// next declined request (the request's URL and Header map too; not its
// context, Body or header values): the handler must not keep the
// writer, the request, its URL or its Header map past its return (as
// net/http asks of a ResponseWriter), and must copy the request
// (Request.Clone) for a goroutine that outlives it.
type Server struct {
	Handler  Handler
	Fallback *http.Server
	// IdleTimeout closes a keep-alive connection with no request pending
	// for this long (with about a second of slack: that deadline is moved
	// at most once a second, not per request). ReadHeaderTimeout bounds a
	// request head from its first byte, and a new connection's first head
	// from the accept: a total deadline, not moved by each read, so a
	// head trickled a byte at a time cannot hold a connection.
	IdleTimeout       time.Duration
	ReadHeaderTimeout time.Duration
	// SendTimeout closes a connection whose viewer took none of the
	// response's pending bytes for this long (zero: never), on HTTP/1.1
	// (plain and TLS, handed-over connections included; Linux only) and
	// HTTP/2 (sendtimeout.go). Set it before Serve.
	SendTimeout time.Duration
	// FallbackListener, if set, wraps the listener of handed-over
	// connections that Fallback serves (the edge guards their framing
	// there: internal/httpguard).
	FallbackListener func(net.Listener) net.Listener
	// TLSConfig, if set, makes this an HTTPS server: each accepted
	// connection is a TLS server connection whose handshake the
	// connection's goroutine completes (within ReadHeaderTimeout). When
	// ALPN chose "http/1.1" or nothing, the loop serves it as a plain
	// connection and sets Request.TLS; any other protocol ("h2") is handed
	// to Fallback as the *tls.Conn itself, so that net/http runs it (set
	// Fallback.TLSConfig with the same NextProtos for net/http to set
	// HTTP/2 up). Connections handed over after a request keep their TLS
	// state: see TLSState.
	TLSConfig *tls.Config
	// WatchHandshake, if set, wraps each accepted connection before its
	// TLS handshake and returns what to tell the handshake's outcome (nil
	// error: it succeeded): httpguard.WatchHandshakes logs the failures.
	WatchHandshake func(raw net.Conn) (net.Conn, func(error))
	// HTTP2 makes this server serve the TLS connections that negotiate
	// "h2" itself (h2.go) instead of handing them to Fallback: hits are
	// answered on the connection's goroutine, other requests run
	// Fallback.Handler in a goroutine each. MaxHeaderListBytes is the
	// largest request header list it decodes (SETTINGS_MAX_HEADER_LIST_SIZE;
	// default 1 MiB); a larger one gets 431.
	HTTP2              bool
	MaxHeaderListBytes int
	Log                *slog.Logger

	handoff *handoffListener
	pollers []*poller // epoll loops for plain connections (Linux): poller_linux.go
	// counted are the loops Stats adds up (pollers, not cleared by
	// Shutdown), under mu.
	counted []*poller
	mu      sync.Mutex
	ln      net.Listener
	conns   map[*conn]struct{}
	closing atomic.Bool
	wg      sync.WaitGroup

	served, declined, handedOver atomic.Uint64
}

// Stats are counters since the start.
type Stats struct {
	Served     uint64 // requests Handler answered
	Declined   uint64 // requests Handler declined, answered by Fallback's handler here
	HandedOver uint64 // connections given to net/http
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	served := s.served.Load()
	s.mu.Lock()
	counted := s.counted
	s.mu.Unlock()
	for _, p := range counted {
		served += p.servedHere()
	}
	return Stats{Served: served, Declined: s.declined.Load(), HandedOver: s.handedOver.Load()}
}

// Serve accepts connections on ln until Shutdown; it runs Fallback on the
// handed-over connections meanwhile. It returns http.ErrServerClosed after
// Shutdown, like http.Server.Serve.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	s.ln = ln
	s.conns = map[*conn]struct{}{}
	s.handoff = &handoffListener{addr: ln.Addr(), conns: make(chan net.Conn), done: make(chan struct{})}
	if s.TLSConfig == nil {
		s.pollers = newPollers(runtime.GOMAXPROCS(0), s.IdleTimeout, s.Handler)
		s.counted = s.pollers
	}
	pollers := s.pollers // Shutdown clears the field
	s.mu.Unlock()
	var fallbackLn net.Listener = s.handoff
	if s.FallbackListener != nil {
		fallbackLn = s.FallbackListener(fallbackLn)
	}
	go func() {
		err := s.Fallback.Serve(fallbackLn)
		s.handoff.Close() // no more handovers once net/http stopped
		if !errors.Is(err, http.ErrServerClosed) && s.Log != nil {
			s.Log.Error("fastpath: net/http stopped serving handed-over connections", "err", err)
		}
	}()

	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		var handshakeDone func(error)
		var under *sendConn
		if s.TLSConfig != nil {
			if s.SendTimeout > 0 {
				nc = newSendConn(nc)
				under, _ = nc.(*sendConn)
			}
			if s.WatchHandshake != nil {
				nc, handshakeDone = s.WatchHandshake(nc)
			}
			nc = tls.Server(nc, s.TLSConfig)
		}
		c := &conn{s: s, nc: nc, handshakeDone: handshakeDone, fd: -1, under: under}
		if len(pollers) > 0 {
			if c.fd = connFD(nc); c.fd >= 0 {
				c.poller, c.wake = pollers[c.fd%len(pollers)], make(chan struct{}, 1)
			}
		}
		s.mu.Lock()
		if s.closing.Load() {
			s.mu.Unlock()
			nc.Close()
			return http.ErrServerClosed
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go c.serve()
	}
}

// Shutdown stops accepting, lets requests being answered finish, closes
// the idle connections, then shuts Fallback down (its connections drain
// the same way); ctx bounds the wait.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	if s.ln != nil {
		s.ln.Close()
	}
	for c := range s.conns {
		// Wakes a connection blocked reading; one answering a request
		// finishes it and then sees closing.
		c.nc.SetReadDeadline(time.Now())
	}
	pollers := s.pollers
	s.pollers = nil
	s.mu.Unlock()
	for _, p := range pollers {
		p.evictAll() // parked connections are idle: closed
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.mu.Lock()
		for c := range s.conns {
			c.nc.Close()
		}
		s.mu.Unlock()
	}
	if s.handoff == nil {
		return err
	}
	return errors.Join(err, s.Fallback.Shutdown(ctx))
}

// Read and write buffer sizes. A request head that does not fit in
// readBufSize goes to net/http (whose limit is far larger); responses are
// gathered up to flushSize before a write; bodies from writevSize up are
// written in place rather than copied; a write buffer grown past
// idleOutSize is dropped before waiting for the next request, so idle
// keep-alive connections hold little memory.
const (
	readBufSize = 8 << 10
	flushSize   = 64 << 10
	writevSize  = 16 << 10
	idleOutSize = 32 << 10
)

var bufPool = sync.Pool{New: func() any { return new(buffers) }}

type buffers struct {
	in  [readBufSize]byte
	out []byte
}

type conn struct {
	s        *Server
	nc       net.Conn
	deadline time.Time            // read deadline currently set
	tls      *tls.ConnectionState // after the handshake, on a TLS connection
	// handshakeDone is told the TLS handshake's outcome (Server.WatchHandshake).
	handshakeDone func(error)
	// under is the TCP connection under a TLS one, with the send timeout
	// (sendtimeout.go); nil without one.
	under *sendConn

	// The epoll loop's share (plain connections on Linux; poller nil
	// otherwise): while the connection is parked there, the loop owns
	// bufs, req and res; wake returns the connection to its goroutine.
	poller *poller
	fd     int
	wake   chan struct{}
	// detached: the loop took fd out of Go's netpoller (nc is closed,
	// fd a duplicate only the loop waits on), after inLoop hits answered
	// there in a row; the goroutine attaches it again when handed back
	// (poller_linux.go, detach).
	detached bool
	inLoop   int
	bufs     *buffers
	raw      *rawio.Conn // made by the first declined request (respond.go)
	// handover is the request declined requests are handed to
	// Fallback's handler in (handover.go); made by the first.
	handover *handoverRequest
	writer   *responseWriter         // declined requests' (respond.go), made with handover
	scratch  any                     // Fallback's handler's (responseWriter.ConnScratch)
	idle     *[tls1IdleReadSize]byte // a TLS connection's read while idle (tls1idle.go)
	remote   string
	req      Request
	res      resume
}

// resume is where the epoll loop left a connection it hands back: the
// goroutine sends out and body, closes if closeAfter or exit, and goes on
// with the requests in bufs.in[start:end].
type resume struct {
	start, end int
	out, body  []byte
	closeAfter bool
	exit       bool // idle timeout, Shutdown, or a panic in the loop
	received   time.Time
}

func (c *conn) logPanic(p any) {
	if c.s.Log != nil {
		c.s.Log.Error("fastpath: panic serving a connection", "panic", p, "remote", c.nc.RemoteAddr().String())
	}
}

// handshake completes a TLS connection's handshake within the head
// deadline and reports whether the loop serves it (ALPN chose HTTP/1.1
// or nothing); handed is set when it went to Fallback (HTTP/2), h2 when
// the connection is HTTP/2 and this server serves it (Server.HTTP2).
func (c *conn) handshake(tc *tls.Conn) (serve, handed, h2 bool) {
	if t := c.s.ReadHeaderTimeout; t > 0 {
		c.deadline = time.Now().Add(t)
		tc.SetDeadline(c.deadline)
	}
	err := tc.Handshake()
	if c.handshakeDone != nil {
		c.handshakeDone(err)
	}
	if err != nil {
		// Plain HTTP to the HTTPS port gets net/http's answer to it.
		var re tls.RecordHeaderError
		if errors.As(err, &re) && re.Conn != nil && looksLikeHTTP(re.RecordHeader) {
			io.WriteString(re.Conn, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
		}
		return false, false, false
	}
	tc.SetWriteDeadline(time.Time{})
	if c.under != nil {
		c.under.raw.SetSendTimeout(c.s.SendTimeout)
	}
	st := tc.ConnectionState()
	if p := st.NegotiatedProtocol; p == "h2" && c.s.HTTP2 {
		c.tls = &st
		return true, false, true // the preface must come within the head deadline
	} else if p != "" && p != "http/1.1" {
		tc.SetReadDeadline(time.Time{}) // net/http sets its own
		c.s.handedOver.Add(1)
		return false, c.s.handoff.push(tc), false
	}
	c.tls = &st
	return true, false, false
}

func (c *conn) serve() {
	s := c.s
	var handed bool
	defer func() {
		if p := recover(); p != nil {
			c.logPanic(p)
			handed = false
		}
		if !handed {
			c.nc.Close()
			c.closeDetached()
		}
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.wg.Done()
	}()

	if tc, ok := c.nc.(*tls.Conn); ok {
		var serve, h2 bool
		if serve, handed, h2 = c.handshake(tc); !serve {
			return
		}
		if h2 {
			c.serveH2(tc)
			return
		}
	}
	// The HTTP/1.1 loop's buffers, taken after the handshake: an HTTP/2
	// connection never uses them, nor does one still shaking hands.
	// An idle TLS connection gives them back (tls1idle.go): bufs is nil
	// when its idle read failed.
	bufs := bufPool.Get().(*buffers)
	c.bufs = bufs
	in, out := bufs.in[:], bufs.out[:0]
	defer func() {
		if bufs != nil {
			releaseBuffers(bufs, out)
		}
	}()
	remote := c.nc.RemoteAddr().String()
	c.remote = remote
	start, end := 0, 0 // unparsed bytes are in[start:end]
	// headStart is when the head being read began: the accept for the
	// first one, then the read that brought its first bytes; zero while
	// no head is pending.
	headStart := time.Now()
	received := headStart // when the last read returned
	// stay: the last request answered was declined (a miss, most often),
	// so the connection waits for its next one here rather than in the
	// epoll loop (see doc.go, "The epoll loop").
	stay := false
	var req Request
	for {
		// Answer every complete request already read.
		for start < end {
			n, st := parse(in[start:end], &req)
			if st == incomplete {
				break
			}
			headStart = time.Time{}
			if st == unsupported {
				if c.flush(out) == nil {
					handed = c.handOver(in[start:end])
				}
				return
			}
			req.RemoteAddr, req.Received, req.TLS = remote, received, c.tls
			head, body, ok := s.Handler.ServeFast(&req, out)
			if !ok {
				// Declined: net/http's handler answers it here, after the
				// answers already gathered.
				if c.flush(out) != nil {
					return
				}
				out = out[:0]
				s.declined.Add(1)
				stay = true
				keep, read := c.serveHTTP(&req, in[start:start+n], remote, in[end:])
				received = time.Now() // that may have taken a while (a miss)
				end += read
				if !keep {
					closeWriteAndWait(c.nc)
					return
				}
				start += n
				continue
			}
			s.served.Add(1)
			stay = false
			start += n
			out = head
			if len(body) >= writevSize {
				if c.writev(out, body) != nil {
					return
				}
				out = out[:0]
			} else {
				out = append(out, body...)
			}
			if req.Close {
				if c.flush(out) == nil {
					closeWriteAndWait(c.nc)
				}
				return
			}
			if len(out) >= flushSize {
				if c.flush(out) != nil {
					return
				}
				out = out[:0]
			}
		}
		// Nothing more to answer without reading: send what is ready.
		if len(out) > 0 {
			if c.flush(out) != nil {
				return
			}
			out = out[:0]
		}
		if cap(out) > idleOutSize {
			out = nil // an idle connection keeps no large write buffer
		}
		if s.closing.Load() {
			return
		}
		if start == end {
			start, end = 0, 0
		} else if start > 0 && end == len(in) {
			end = copy(in, in[start:end])
			start = 0
		}
		if end == len(in) { // a head larger than the buffer
			handed = c.handOver(in[start:end])
			return
		}
		if start < end && headStart.IsZero() {
			headStart = received // the last read brought a head's first bytes
		}
		if !headStart.IsZero() && s.ReadHeaderTimeout > 0 {
			c.setDeadline(headStart.Add(s.ReadHeaderTimeout))
		} else {
			// Answering what the last read brought takes microseconds:
			// its time is "now" for the idle deadline.
			c.extendDeadline(received, s.IdleTimeout)
		}
		if c.poller != nil && !stay && start == end && headStart.IsZero() && c.poller.park(c, out, received) {
			// The loop answered what it could; it hands the connection
			// back for anything else (see resume).
			r := &c.res
			if r.exit || !c.attach() {
				return
			}
			start, end, received, out = r.start, r.end, r.received, r.out
			if len(r.body) > 0 {
				if c.writev(out, r.body) != nil {
					return
				}
			} else if c.flush(out) != nil {
				return
			}
			out, r.out, r.body = out[:0], nil, nil
			if r.closeAfter {
				closeWriteAndWait(c.nc)
				return
			}
			c.deadline = time.Time{} // it may have passed while parked: set it again
			continue
		}
		if s.closing.Load() {
			// Checked again after the deadline was set: Shutdown sets
			// closing, then a past read deadline, so a connection that
			// missed the first check has its read woken by that deadline.
			return
		}
		if c.tls != nil && start == end && headStart.IsZero() {
			var err error
			if bufs, end, received, err = c.idleRead(bufs, out); err != nil {
				return
			}
			in, out = bufs.in[:], bufs.out[:0]
			continue
		}
		var n int
		var err error
		if c.raw != nil {
			n, err = c.raw.Read(in[end:]) // no system call the scheduler is told about (package rawio)
		} else {
			n, err = c.nc.Read(in[end:])
		}
		received = time.Now()
		end += n
		if err != nil && n == 0 {
			return
		}
	}
}

// looksLikeHTTP reports whether a TLS record header is the start of an
// HTTP/1.x request, as net/http's tlsRecordHeaderLooksLikeHTTP.
func looksLikeHTTP(hdr [5]byte) bool {
	switch string(hdr[:]) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO":
		return true
	}
	return false
}

// extendDeadline moves the read deadline to now+timeout, or leaves it when
// it is within a second of that (a deadline change per request costs
// more than the request).
func (c *conn) extendDeadline(now time.Time, timeout time.Duration) {
	if timeout <= 0 {
		return
	}
	want := now.Add(timeout)
	if d := want.Sub(c.deadline); d > time.Second || d < -time.Second {
		c.deadline = want
		c.nc.SetReadDeadline(want)
	}
}

// setDeadline sets the read deadline to exactly d.
func (c *conn) setDeadline(d time.Time) {
	if !d.Equal(c.deadline) {
		c.deadline = d
		c.nc.SetReadDeadline(d)
	}
}

// flush sends out, under the send timeout (sendtimeout.go).
func (c *conn) flush(out []byte) error {
	if len(out) == 0 {
		return nil
	}
	var err error
	if raw := c.rawConn(); raw != nil {
		_, err = raw.Write(out)
	} else {
		_, err = c.nc.Write(out)
	}
	return err
}

// handOver gives the connection to Fallback with the bytes read but not
// answered; it reports false (and the caller closes) when shutting down.
func (c *conn) handOver(pending []byte) bool {
	c.nc.SetReadDeadline(time.Time{}) // net/http sets its own
	rc := &replayConn{Conn: c.nc, pending: append([]byte(nil), pending...), tls: c.tls, raw: c.rawConn()}
	c.s.handedOver.Add(1) // before net/http may answer (tests read it then)
	return c.s.handoff.push(rc)
}

// rstAvoidanceDelay is net/http's pause between the half-close and the
// close: a viewer that pipelined more requests after Connection: close
// would otherwise get a RST that can discard the response unread.
const rstAvoidanceDelay = 500 * time.Millisecond

// closeWriteAndWait half-closes after a Connection: close response, as
// net/http does.
func closeWriteAndWait(nc net.Conn) {
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		time.Sleep(rstAvoidanceDelay)
	}
}

// replayConn is a connection whose first reads return bytes already read
// from it. It keeps the *net.TCPConn methods net/http uses (ReadFrom for
// sendfile, CloseWrite). A plain one writes through its raw form, under
// the send timeout (sendtimeout.go); a TLS one's *tls.Conn does already.
type replayConn struct {
	net.Conn
	pending []byte
	tls     *tls.ConnectionState
	raw     *rawio.Conn // nil on TLS, or without package rawio
}

// TLSState returns the TLS state of a connection handed over after its
// handshake (nil on plain HTTP). net/http sets Request.TLS only on a
// *tls.Conn: FallbackListener keeps this state for the handler (the edge
// does with httpguard.TLSHandoffListener).
func TLSState(c net.Conn) *tls.ConnectionState {
	if rc, ok := c.(*replayConn); ok {
		return rc.tls
	}
	return nil
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

func (c *replayConn) Write(p []byte) (int, error) {
	if c.raw != nil {
		return c.raw.Write(p)
	}
	return c.Conn.Write(p)
}

func (c *replayConn) ReadFrom(r io.Reader) (int64, error) {
	if c.raw != nil {
		return c.raw.ReadFrom(r)
	}
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

func (c *replayConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// handoffListener is the listener Fallback serves: it accepts the
// connections handed over.
type handoffListener struct {
	addr  net.Addr
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func (l *handoffListener) push(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }
