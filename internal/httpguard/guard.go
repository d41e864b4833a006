// Package httpguard sits between a listener and net/http's HTTP/1.x
// server and enforces what net/http does not: request framing (a request
// with both Content-Length and Transfer-Encoding is refused, RFC 9112
// §6.3, where net/http would follow Transfer-Encoding and run the bytes
// Content-Length covers as the next request), CloudFront's request size
// limits, a Host's port of digits (RFC 9110 §7.2), and total deadlines
// for a request head and a request body. It also refuses the heads
// net/http would refuse itself in plain text (no Host on HTTP/1.1,
// several Hosts or a malformed one, control characters in a value or the
// request target, a target that is not a URI, an Expect other than
// 100-continue), so that the viewer gets the server's own page for them
// (Config.Reject) and the server hears of them (Config.Refused). It drops
// the empty lines a viewer sends before a request line (RFC 9112 §2.2),
// where net/http would answer 400.
//
// It reads the connection ahead of net/http and tracks the framing of
// every request (heads, Content-Length bodies, chunked bodies and their
// trailers) exactly as net/http does, holding each head back until it
// is complete and checked. A refused head is never given to net/http:
// net/http sees the end of the connection after the requests before it,
// and when it closes the connection the guard sends its own answer
// (Config.Reject) first, so answers stay in order. Malformed chunked
// framing cuts the connection before the bad bytes: the read that would
// return them fails with ErrMalformedBody, so net/http fails that body
// with an error its handler can tell from a viewer that went away, and
// nothing after it can be read as a request.
//
// A handler that switches a connection to another protocol (the edge's
// WebSocket connections) hijacks it and then calls SwitchProtocols on it
// (the connection net/http's Hijack returns is the guard's): from there
// on the bytes pass through as they come, with no framing and no
// deadline of the guard's. Until then an upgrade request is an ordinary
// request, so one refused or answered otherwise leaves the connection
// guarded as before.
package httpguard

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"
)

// CloudFront's limits: "Maximum length of a request or an origin
// response, including headers and query strings, but not including the
// body content: 20,480 bytes" and "Maximum length of a URL: 8,192 bytes"
// (Amazon CloudFront Developer Guide, "Quotas", General quotas). A request
// over either gets 413 and the TCP connection is closed ("Request and
// response behavior for custom origins", Maximum length of a request and
// maximum length of a URL).
const (
	MaxHeadBytes   = 20480
	MaxTargetBytes = 8192
)

// Config is what a guarded listener enforces.
type Config struct {
	// HeadTimeout bounds a request head from its first byte to its end (a
	// total deadline, not reset by each read). A connection's first head
	// is also bounded by net/http's ReadHeaderTimeout from the accept.
	HeadTimeout time.Duration
	// BodyTimeout bounds a request body from the first time the server
	// waits for it, extended by a second for every BodyMinRate bytes
	// received (Apache mod_reqtimeout's rule): a slow but steady upload
	// goes on, a trickle is cut. Zero disables it. (A handler that stops
	// reading, e.g. behind a slow origin, counts against the client.)
	BodyTimeout time.Duration
	BodyMinRate int
	// MaxHeadBytes and MaxTargetBytes override the CloudFront limits
	// (tests).
	MaxHeadBytes, MaxTargetBytes int
	// Reject returns the complete response sent for a refused head (status
	// 400, 413, 417, 501 or 505) before the connection is closed; nil
	// sends a plain-text one.
	Reject func(status int) []byte
	// Refused, when set, is told of each refused head (its status and the
	// viewer's address) as it is answered: the request never reaches the
	// handler, so this is where a server logs or counts it.
	Refused func(status int, viewer string)
}

func (c *Config) maxHead() int {
	if c.MaxHeadBytes > 0 {
		return c.MaxHeadBytes
	}
	return MaxHeadBytes
}

func (c *Config) maxTarget() int {
	if c.MaxTargetBytes > 0 {
		return c.MaxTargetBytes
	}
	return MaxTargetBytes
}

// refused tells Refused of a refused head, if anyone listens.
func (c *Config) refused(status int, viewer string) {
	if c.Refused != nil {
		c.Refused(status, viewer)
	}
}

func (c *Config) reject(status int) []byte {
	if c.Reject != nil {
		return c.Reject(status)
	}
	return PlainResponse(status)
}

// PlainResponse is a minimal text/plain response that closes the
// connection, byte for byte the one net/http sends for a request it
// refuses itself, so that a guard without Reject answers as the server
// behind it would have.
func PlainResponse(status int) []byte {
	text := strconv.Itoa(status) + " " + statusText(status)
	return []byte("HTTP/1.1 " + text + "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n" + text)
}

func statusText(status int) string {
	switch status {
	case 400:
		return "Bad Request"
	case 413:
		return "Request Entity Too Large"
	case 417:
		return "Expectation Failed"
	case 501:
		return "Not Implemented"
	case 505:
		return "HTTP Version Not Supported"
	}
	return "Error"
}

// Listener returns ln with every accepted connection guarded.
func Listener(ln net.Listener, cfg *Config) net.Listener {
	return &listener{Listener: ln, cfg: cfg}
}

type listener struct {
	net.Listener
	cfg *Config
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return Wrap(c, l.cfg), nil
}

// Wrap guards one connection.
func Wrap(nc net.Conn, cfg *Config) net.Conn {
	return &conn{Conn: nc, cfg: cfg}
}

// bufSize holds the largest head CloudFront accepts with room to spare.
const bufSize = 32 << 10

type conn struct {
	net.Conn
	cfg *Config

	// buf[r:ready] may be given to net/http; buf[ready:w] is read but held
	// (an unfinished head, chunk line or trailer line).
	buf          []byte
	r, ready, w  int
	f            framer
	headStart    time.Time // when the first bytes of the head being held arrived
	bodyStart    time.Time // first wait for the body being read
	bodyRead     int64
	done         bool // the stream is cut: reads return io.EOF
	malformed    bool // cut at broken chunked framing: reads return ErrMalformedBody
	reject       int  // status of the refused head, answered at Close
	rejectServed bool // net/http read up to the refused head

	mu       sync.Mutex
	user     time.Time // read deadline set by net/http
	applied  time.Time // deadline set on the connection
	ours     bool      // applied is the guard's own
	closeErr error
	once     sync.Once

	tlsState *tls.ConnectionState // a TLS connection handed over (TLSHandoffListener)

	// switched: the connection left HTTP/1.1 (SwitchProtocols); reads
	// pass through.
	switched bool
}

// Switcher is the method a guarded connection adds: SwitchProtocols
// tells the guard that its handler hijacked the connection and answered
// 101 Switching Protocols (RFC 9110 section 15.2.2): what follows is
// another protocol, so the bytes already read are handed out as they are,
// and later reads go straight to the connection, with the caller's
// deadlines only. Call it after Hijack, before reading.
type Switcher interface{ SwitchProtocols() }

func (c *conn) SwitchProtocols() {
	c.switched = true
	c.ready = c.w // whatever is held is the new protocol's
	c.headStart, c.bodyStart = time.Time{}, time.Time{}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.applyLocked(time.Time{})
}

// ErrTimeout is returned by a read cut by the guard's head or body
// deadline.
var ErrTimeout = &timeoutError{}

type timeoutError struct{}

func (*timeoutError) Error() string   { return "httpguard: request head or body too slow" }
func (*timeoutError) Timeout() bool   { return true }
func (*timeoutError) Temporary() bool { return false }
func (*timeoutError) Unwrap() error   { return os.ErrDeadlineExceeded }

// ErrMalformedBody is returned by the read that reaches broken chunked
// framing in a request body (a bad chunk size, a chunk not ended by
// CRLF, a bare LF, a malformed trailer): the message is invalid and the
// connection must be closed (RFC 9112 §7.1, §8), and the bad bytes are
// never given to the server. A handler reading the body sees this error
// (errors.Is), the viewer's fault, where a viewer that went away gives
// io.ErrUnexpectedEOF or a connection error. In a trailer it does not
// get through: net/http's trailer reading peeks for the trailer's end
// and fails with an error of its own.
var ErrMalformedBody = errors.New("httpguard: malformed chunked request body")

func (c *conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if c.r < c.ready {
			n := copy(p, c.buf[c.r:c.ready])
			c.r += n
			if c.r == c.w {
				c.release()
			}
			return n, nil
		}
		if c.done {
			if c.reject != 0 {
				c.rejectServed = true
			}
			if c.malformed {
				return 0, ErrMalformedBody
			}
			return 0, io.EOF
		}
		if c.ready < c.w {
			c.advance()
			if c.r < c.ready || c.done {
				continue
			}
		}
		if c.switched {
			return c.Conn.Read(p)
		}
		// Need more bytes.
		c.arm()
		var n int
		var err error
		switch {
		case c.r == c.w && c.f.st == stBody:
			// Nothing held, inside a Content-Length body: straight into p.
			n, err = c.Conn.Read(p[:min(int64(len(p)), c.f.remaining)])
			c.f.remaining -= int64(n)
			c.bodyRead += int64(n)
			if c.f.remaining == 0 {
				c.f.st, c.bodyStart = stHead, time.Time{}
			}
			if n > 0 || err == nil || !c.ownTimeout(err) {
				return n, err
			}
		case c.r == c.w:
			// Nothing held: wait in the caller's buffer, so that an idle
			// connection holds no buffer of its own, then hold the bytes.
			n, err = c.Conn.Read(p[:min(len(p), 4<<10)])
			if n > 0 {
				c.hold(p[:n])
				continue
			}
		default:
			if c.r > 0 && c.w == len(c.buf) { // make room after what is held
				copy(c.buf, c.buf[c.r:c.w])
				c.ready -= c.r
				c.w -= c.r
				c.r = 0
			}
			if c.w == len(c.buf) { // cannot happen: held bytes stay below bufSize
				c.cut(c.w)
				continue
			}
			n, err = c.Conn.Read(c.buf[c.w:])
			if n > 0 {
				c.w += n
				continue
			}
		}
		if err != nil {
			if c.ownTimeout(err) {
				c.done = true
				return 0, ErrTimeout
			}
			return 0, err
		}
	}
}

// bufPool holds the buffers of connections with bytes held.
var bufPool = sync.Pool{New: func() any { return new([bufSize]byte) }}

// hold copies b, read while nothing was held, into a buffer.
func (c *conn) hold(b []byte) {
	if c.buf == nil {
		c.buf = bufPool.Get().(*[bufSize]byte)[:]
	}
	c.r, c.ready, c.w = 0, 0, copy(c.buf, b)
}

// release returns the buffer once everything read has been given out.
func (c *conn) release() {
	if c.buf != nil {
		bufPool.Put((*[bufSize]byte)(c.buf))
		c.buf = nil
	}
	c.r, c.ready, c.w = 0, 0, 0
}

// advance runs the framer over the held bytes, releasing what net/http
// may read.
func (c *conn) advance() {
	for c.ready < c.w && !c.done {
		held := c.buf[c.ready:c.w]
		if c.f.st == stHead {
			if n := c.f.skipEmpty(held); n > 0 {
				// Never given to net/http (RFC 9112 section 2.2).
				copy(c.buf[c.ready:], c.buf[c.ready+n:c.w])
				c.w -= n
				if c.r == c.w {
					c.release()
				}
				continue
			}
			end, status := c.f.head(held, c.cfg)
			switch {
			case status != 0:
				c.reject, c.done = status, true
				c.w = c.ready // never given to net/http
				return
			case end < 0:
				return
			}
			c.ready += end
			c.headStart = time.Time{}
			c.bodyStart, c.bodyRead = time.Time{}, 0 // the body's clock starts at its first wait
			continue
		}
		n, ok := c.f.body(held)
		c.ready += n
		c.bodyRead += int64(n)
		if !ok {
			c.cut(c.ready)
			c.malformed = true
			return
		}
		if n == 0 {
			return
		}
		if c.f.st == stHead {
			c.bodyStart = time.Time{}
		}
	}
}

// cut ends the stream after buf[:end].
func (c *conn) cut(end int) {
	c.ready, c.w, c.done = end, end, true
}

// arm sets the read deadline: net/http's, or the guard's head or body
// deadline when that is earlier.
func (c *conn) arm() {
	if c.f.st == stHead && c.ready < c.w && c.headStart.IsZero() {
		c.headStart = time.Now() // the first bytes of a head are held
	}
	var own time.Time
	switch {
	case c.f.st == stHead && !c.headStart.IsZero() && c.cfg.HeadTimeout > 0:
		own = c.headStart.Add(c.cfg.HeadTimeout)
	case c.f.st != stHead && c.cfg.BodyTimeout > 0:
		if c.bodyStart.IsZero() {
			c.bodyStart = time.Now()
		}
		own = c.bodyStart.Add(c.cfg.BodyTimeout)
		if c.cfg.BodyMinRate > 0 {
			own = own.Add(time.Duration(float64(c.bodyRead) / float64(c.cfg.BodyMinRate) * float64(time.Second)))
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.applyLocked(own)
}

func (c *conn) applyLocked(own time.Time) {
	d, ours := c.user, false
	if !own.IsZero() && (d.IsZero() || own.Before(d)) {
		d, ours = own, true
	}
	c.ours = ours
	if !d.Equal(c.applied) {
		c.applied = d
		c.Conn.SetReadDeadline(d)
	}
}

// ownTimeout reports whether err is the guard's own deadline passing.
func (c *conn) ownTimeout(err error) bool {
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ours
}

func (c *conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.user = t
	// net/http aborts a background read with a past deadline: it must
	// take effect at once, whatever the guard's own deadline.
	if c.ours && (t.IsZero() || !t.Before(c.applied)) {
		return nil
	}
	c.ours = false
	c.applied = t
	return c.Conn.SetReadDeadline(t)
}

func (c *conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetWriteDeadline(t)
}

// Close answers a refused head (after every earlier answer, since
// net/http closes only once it has finished them), then closes.
func (c *conn) Close() error {
	c.once.Do(func() {
		if c.rejectServed {
			c.cfg.refused(c.reject, c.Conn.RemoteAddr().String())
			c.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Conn.Write(c.cfg.reject(c.reject)); err == nil {
				// Half-close and read a little of what the viewer still
				// sends, so that closing with unread bytes does not reset
				// the connection before the answer is read (as net/http's
				// closeWriteAndWait). A viewer still sending after that
				// (a long upload) is given the rest of the wait before the
				// reset, which discards what its side has not read yet:
				// closing as soon as the bytes were read lost the answer
				// now and then over TLS.
				if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
					cw.CloseWrite()
				}
				until := time.Now().Add(lingerTime)
				c.Conn.SetReadDeadline(until)
				if n, _ := io.CopyN(io.Discard, c.Conn, lingerBytes); n == lingerBytes {
					time.Sleep(time.Until(until))
				}
			}
		}
		c.closeErr = c.Conn.Close()
	})
	return c.closeErr
}

// lingerTime and lingerBytes bound what Close reads of a refused
// viewer's bytes after the answer, and how long it waits for the viewer
// to read the answer before closing (net/http waits 500 ms).
const (
	lingerTime  = 500 * time.Millisecond
	lingerBytes = 256 << 10
)

// CloseWrite and ReadFrom keep the methods net/http uses on a
// *net.TCPConn (half-close; sendfile).
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}
