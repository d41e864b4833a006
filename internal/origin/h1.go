package origin

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/http/httpguts"

	"openfront/internal/rawio"
)

// The plain-HTTP client: GET and HEAD without a body to a custom origin
// over HTTP, the requests every cache miss makes. net/http's Transport
// runs two goroutines per connection and hands each request and response
// between them and the caller; here the fill's goroutine writes the
// request (one write) and reads the response itself (both without the
// scheduler's system call bookkeeping: package rawio), on a pooled
// persistent connection. Everything else (HTTPS, gRPC, request bodies,
// other methods, SigV4-signed S3 requests) stays on the Transport.
//
// The response is hostile input, parsed as strictly as the edge parses
// viewers: a status line of HTTP/1.0 or HTTP/1.1 and a status 100-599;
// field names that are tokens, values without control characters, no
// obsolete line folding; the head within MaxResponseHeadBytes; framing
// by exactly one of Content-Length (duplicates must agree) and
// Transfer-Encoding: chunked, a response with both being refused ("a
// message that contains both ... ought to be handled as an error", RFC
// 9112 §6.3), or else by the end of the connection. Any violation is a
// 502 (OriginInvalidResponseError), as CloudFront answers an origin
// response it cannot parse.

// errInvalidResponse wraps every framing or syntax violation of an origin
// response.
var errInvalidResponse = errors.New("invalid origin response")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errInvalidResponse}, args...)...)
}

// errHeadTooLarge is an origin response head over MaxResponseHeadBytes.
var errHeadTooLarge = errors.New("origin response head exceeds 20480 bytes")

// maxChunkLine bounds a chunk-size line (size and extensions).
const maxChunkLine = 4096

// maxIdlePerOrigin is the most idle connections kept per origin address,
// as the Transport's MaxIdleConnsPerHost.
const maxIdlePerOrigin = 1024

// h1Key is one pool: an origin address with the settings that shape its
// connections.
type h1Key struct {
	host      string // the origin's domain name or address, without brackets
	port      int
	connect   time.Duration
	keepalive time.Duration
}

// h1Pool keeps the idle persistent connections to one origin address.
type h1Pool struct {
	key    h1Key
	addr   string // host:port to dial
	mu     sync.Mutex
	idle   []*h1Conn // most recently used last
	reaper *time.Timer
	// transient: a pool past maxPlainPools, for one request.
	transient bool
}

type h1Conn struct {
	nc     net.Conn
	w      io.Writer     // nc, or its raw form (package rawio)
	br     *bufio.Reader // reads nc, or its raw form
	buf    []byte        // request head being written, then response head being read
	idleAt time.Time     // when it went back to the pool
}

func (c *Client) poolFor(k h1Key) *h1Pool {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.h1Pools[k]
	if p == nil {
		p = &h1Pool{key: k, addr: net.JoinHostPort(k.host, strconv.Itoa(k.port))}
		if len(c.h1Pools) >= maxPlainPools {
			// Origins a function chose are unbounded: past this many, a
			// pool is made for the one request and keeps no connection.
			p.transient = true
			return p
		}
		c.h1Pools[k] = p
	}
	return p
}

// maxPlainPools bounds the pooled origin addresses of the plain client.
const maxPlainPools = 4096

// get returns an idle connection (reused = true) or dials a new one by
// deadline.
func (p *h1Pool) get(ctx context.Context, deadline time.Time, fresh bool) (conn *h1Conn, reused bool, err error) {
	if !fresh {
		now := time.Now()
		p.mu.Lock()
		for len(p.idle) > 0 {
			conn = p.idle[len(p.idle)-1]
			p.idle[len(p.idle)-1] = nil
			p.idle = p.idle[:len(p.idle)-1]
			if now.Sub(conn.idleAt) < p.key.keepalive {
				p.mu.Unlock()
				return conn, true, nil
			}
			conn.nc.Close()
		}
		p.mu.Unlock()
	}
	d := net.Dialer{Deadline: deadline, KeepAlive: 30 * time.Second}
	if p.key.connect > 0 {
		d.Timeout = p.key.connect
	}
	nc, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, false, err
	}
	conn = &h1Conn{nc: nc, w: nc, buf: make([]byte, 0, 1024)}
	var r io.Reader = nc
	if raw := rawio.New(nc); raw != nil {
		conn.w, r = raw, raw
	}
	conn.br = bufio.NewReaderSize(r, 16<<10)
	return conn, false, nil
}

// CloseIdleConnections closes the idle pooled connections to every origin.
func (c *Client) CloseIdleConnections() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.h1Pools {
		p.mu.Lock()
		for _, conn := range p.idle {
			conn.nc.Close()
		}
		clear(p.idle)
		p.idle = p.idle[:0]
		p.mu.Unlock()
	}
	for _, t := range c.transports {
		t.CloseIdleConnections()
	}
}

// put returns a connection whose response was read to its end.
func (p *h1Pool) put(conn *h1Conn) {
	if conn.br.Buffered() > 0 || p.transient { // bytes past the response: not a clean connection
		conn.nc.Close()
		return
	}
	conn.nc.SetDeadline(time.Time{})
	conn.idleAt = time.Now()
	p.mu.Lock()
	if len(p.idle) >= maxIdlePerOrigin {
		p.mu.Unlock()
		conn.nc.Close()
		return
	}
	p.idle = append(p.idle, conn)
	if p.reaper == nil {
		p.reaper = time.AfterFunc(p.key.keepalive, p.reap)
	}
	p.mu.Unlock()
}

// reap closes the connections idle for the keep-alive timeout ("how long
// CloudFront tries to maintain a connection to your custom origin after
// it gets the last packet of a response", Developer Guide, "Keep-alive
// timeout (custom origins only)") and runs again when the next one is due.
func (p *h1Pool) reap() {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	kept := p.idle[:0]
	var next time.Duration
	for _, conn := range p.idle { // oldest first
		left := p.key.keepalive - now.Sub(conn.idleAt)
		if left <= 0 {
			conn.nc.Close()
			continue
		}
		if next == 0 || left < next {
			next = left
		}
		kept = append(kept, conn)
	}
	clear(p.idle[len(kept):])
	p.idle = kept
	if len(kept) == 0 {
		p.reaper = nil
		return
	}
	p.reaper.Reset(next)
}

// h1Exchange is one request on the plain-HTTP client. It lives on its
// caller's stack until the response head is read; the response then
// carries a copy of it (h1Response), for the body's reads.
type h1Exchange struct {
	ctx         context.Context
	pool        *h1Pool
	readTimeout time.Duration
	whole       time.Time // ResponseCompletionTimeout's end (or ctx's deadline), or zero
	// deadlineOnly: ctx ends only at its deadline (Request.DeadlineOnly).
	deadlineOnly bool
	watch        *h1Watch // nil: ctx is not watched
}

// h1Watch makes ctx's cancellation interrupt the connection in use.
type h1Watch struct {
	stop    func() bool
	mu      sync.Mutex
	cur     *h1Conn
	aborted bool
}

// startWatch makes ctx's cancellation interrupt the exchange's I/O.
func (e *h1Exchange) startWatch() {
	if !e.deadlineOnly && e.ctx.Done() != nil { // (Done would make ctx a channel)
		w := new(h1Watch)
		w.stop = context.AfterFunc(e.ctx, w.abort)
		e.watch = w
	}
	if d, ok := e.ctx.Deadline(); ok && (e.whole.IsZero() || d.Before(e.whole)) {
		e.whole = d
	}
}

func (w *h1Watch) abort() {
	w.mu.Lock()
	w.aborted = true
	if w.cur != nil {
		w.cur.nc.SetDeadline(aLongTimeAgo)
	}
	w.mu.Unlock()
}

var aLongTimeAgo = time.Unix(1, 0)

// use makes conn the connection ctx's cancellation interrupts (nil: none).
func (e *h1Exchange) use(conn *h1Conn) {
	w := e.watch
	if w == nil {
		return
	}
	w.mu.Lock()
	w.cur = conn
	if conn != nil && w.aborted {
		conn.nc.SetDeadline(aLongTimeAgo)
	}
	w.mu.Unlock()
}

// done ends the watch of ctx.
func (e *h1Exchange) done() {
	if e.watch != nil {
		e.watch.stop()
		e.use(nil)
	}
}

// roundTrip sends r (to host) and reads the response head. A pooled
// connection the origin closed meanwhile (nothing read back) is replaced
// by a new one once: the request is a GET or HEAD without a body, safe to
// send again.
func (e *h1Exchange) roundTrip(r *Request, host string) (*http.Response, error) {
	e.startWatch()
	deadline := e.deadline(time.Now())
	for fresh := false; ; fresh = true {
		conn, reused, err := e.pool.get(e.ctx, deadline, fresh)
		if err != nil {
			e.done()
			return nil, e.timeoutCause(err)
		}
		b, err := appendRequest(conn.buf[:0], r.Method, r.Path, r.RawQuery, host, r.Header)
		conn.buf = b
		if err != nil { // nothing sent: the connection stays good
			e.pool.put(conn)
			e.done()
			return nil, err
		}
		e.use(conn)
		resp, err := e.send(conn, deadline, r)
		if err == nil {
			return resp, nil
		}
		e.use(nil)
		conn.nc.Close()
		if reused && errors.Is(err, errStale) && e.ctx.Err() == nil {
			continue
		}
		e.done()
		return nil, e.timeoutCause(err)
	}
}

// errStale is a reused connection that failed before any response byte.
var errStale = errors.New("pooled origin connection closed by the origin")

// deadline is the read timeout from now, or the completion deadline if
// that comes first.
func (e *h1Exchange) deadline(now time.Time) time.Time {
	d := now.Add(e.readTimeout)
	if !e.whole.IsZero() && e.whole.Before(d) {
		return e.whole
	}
	return d
}

// timeoutCause names which timeout a deadline error hit.
func (e *h1Exchange) timeoutCause(err error) error {
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		if e.ctx.Err() != nil {
			return context.Cause(e.ctx)
		}
		return err
	}
	if e.ctx.Err() != nil {
		return context.Cause(e.ctx)
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return err // a connect timeout (OriginConnectError)
	}
	if !e.whole.IsZero() && !time.Now().Before(e.whole) {
		return errCompletionTimeout
	}
	return errReadTimeout
}

func (e *h1Exchange) send(conn *h1Conn, deadline time.Time, r *Request) (*http.Response, error) {
	b := conn.buf // the request, built by roundTrip
	conn.nc.SetDeadline(deadline)
	if _, err := conn.w.Write(b); err != nil {
		return nil, staleIf(err, true)
	}
	interims, interimBytes, continues := 0, 0, 0
	for {
		head, err := readHead(conn.br, conn.buf[:0])
		if err != nil {
			return nil, staleIf(err, len(head) == 0)
		}
		conn.buf = head[:0]
		if !interimHead(head) {
			return e.final(conn, head, r.Method)
		}
		// An interim response: relayed (except 100 Continue, which
		// answers the edge's own Expect), within the limits. Its header
		// is the relay's: a string of its own.
		var resp http.Response
		if err := parseHeadInto(string(head), countFields(head), &resp, nil); err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusContinue {
			if continues++; continues > 1 {
				return nil, errRepeatedContinue
			}
		}
		interims++
		interimBytes += len(head)
		if interims > maxInterimResponses || interimBytes > MaxResponseHeadBytes {
			return nil, errInterimTooLarge
		}
		if r.Interim != nil && resp.StatusCode != http.StatusContinue {
			r.Interim(resp.StatusCode, resp.Header)
		}
		conn.nc.SetReadDeadline(e.deadline(time.Now()))
	}
}

// interimHead says whether a head is a 1xx response's (its status code's
// first digit, when it parses).
func interimHead(head []byte) bool {
	return len(head) > 9 && head[9] == '1'
}

// final parses the final response head into an h1Response and attaches
// the body its framing calls for.
func (e *h1Exchange) final(conn *h1Conn, head []byte, method string) (*http.Response, error) {
	x, err := parseFinalHead(head)
	if err != nil {
		return nil, err
	}
	x.h1Exchange = *e
	resp := &x.resp
	body := &x.body
	*body = h1Body{e: &x.h1Exchange, conn: conn, remaining: -1}
	switch {
	case method == http.MethodHead || resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified:
		body.remaining = 0
	case resp.TransferEncoding != nil:
		body.chunked = true
		resp.TransferEncoding = nil
	case resp.ContentLength >= 0:
		body.remaining = resp.ContentLength
	default:
		resp.Close = true // delimited by the end of the connection
	}
	body.reuse = !resp.Close
	if resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified {
		resp.ContentLength = 0
	}
	resp.Body = body
	if body.remaining == 0 {
		body.finish()
	}
	return resp, nil
}

// parseFinalHead parses a head into an h1Response allocated with room for
// the head's bytes and its header's values.
func parseFinalHead(head []byte) (*h1Response, error) {
	fields := countFields(head)
	x, values, room := newResponse(len(head), fields)
	var s string
	if room != nil {
		n := copy(room, head)
		// The bytes are not written again: the string may share them.
		s = unsafe.String(unsafe.SliceData(room), n)
	} else {
		s = string(head)
	}
	if err := parseHeadInto(s, fields, &x.resp, values); err != nil {
		return nil, err
	}
	return x, nil
}

// h1Response is an exchange with its final response and body: the
// response handed to the caller, allocated when the head has been read
// (newResponse).
type h1Response struct {
	h1Exchange
	resp http.Response
	body h1Body
}

// h1ResponseWith is an h1Response in one object with room for its head's
// bytes (H, a [n]byte) and its header's values (V, a [n]string). The
// header's names and values are substrings of the head kept there, so
// whoever keeps one keeps the whole object (exchange, response, head):
// the cache does not, it copies the header it stores (cache.MakeHeader),
// and the others hold the response for the request's time only.
type h1ResponseWith[V, H any] struct {
	h1Response
	values V
	head   H
}

// responseRoom is one size of h1ResponseWith.
type responseRoom struct {
	values, head int
	alloc        func() (*h1Response, []string, []byte)
}

func roomOf[V, H any]() responseRoom {
	var x h1ResponseWith[V, H]
	return responseRoom{values: int(unsafe.Sizeof(x.values) / stringSize), head: int(unsafe.Sizeof(x.head)), alloc: newResponseWith[V, H]}
}

func newResponseWith[V, H any]() (*h1Response, []string, []byte) {
	x := new(h1ResponseWith[V, H])
	values := unsafe.Slice((*string)(unsafe.Pointer(&x.values)), unsafe.Sizeof(x.values)/stringSize)
	return &x.h1Response, values[:0], unsafe.Slice((*byte)(unsafe.Pointer(&x.head)), unsafe.Sizeof(x.head))
}

// The rooms are sized so that each object fills one of the runtime's
// allocation size classes (512, 576, 640, ... bytes) exactly: past 512
// bytes, an object with pointers also carries an 8-byte header of the
// allocator's. Each class has two rooms: about 30 bytes of head per value
// (a field line's usual length), and one for heads of shorter lines.
const (
	stringSize  = unsafe.Sizeof("")
	baseUpTo512 = unsafe.Sizeof(h1Response{}) // in an object of up to 512 bytes
	baseOver512 = baseUpTo512 + 8             // in a larger one
)

// responseRooms, smallest first; a head that fits none (over ~1.1 KB or
// 52 fields) gets a string and a []string of its own.
var responseRooms = [...]responseRoom{
	roomOf[[5]string, [512 - baseUpTo512 - 5*stringSize]byte](),
	roomOf[[7]string, [512 - baseUpTo512 - 7*stringSize]byte](),
	roomOf[[7]string, [576 - baseOver512 - 7*stringSize]byte](),
	roomOf[[9]string, [576 - baseOver512 - 9*stringSize]byte](),
	roomOf[[8]string, [640 - baseOver512 - 8*stringSize]byte](),
	roomOf[[11]string, [640 - baseOver512 - 11*stringSize]byte](),
	roomOf[[9]string, [704 - baseOver512 - 9*stringSize]byte](),
	roomOf[[13]string, [704 - baseOver512 - 13*stringSize]byte](),
	roomOf[[11]string, [768 - baseOver512 - 11*stringSize]byte](),
	roomOf[[15]string, [768 - baseOver512 - 15*stringSize]byte](),
	roomOf[[14]string, [896 - baseOver512 - 14*stringSize]byte](),
	roomOf[[18]string, [896 - baseOver512 - 18*stringSize]byte](),
	roomOf[[16]string, [1024 - baseOver512 - 16*stringSize]byte](),
	roomOf[[22]string, [1024 - baseOver512 - 22*stringSize]byte](),
	roomOf[[22]string, [1280 - baseOver512 - 22*stringSize]byte](),
	roomOf[[30]string, [1280 - baseOver512 - 30*stringSize]byte](),
	roomOf[[27]string, [1536 - baseOver512 - 27*stringSize]byte](),
	roomOf[[37]string, [1536 - baseOver512 - 37*stringSize]byte](),
	roomOf[[39]string, [2048 - baseOver512 - 39*stringSize]byte](),
	roomOf[[52]string, [2048 - baseOver512 - 52*stringSize]byte](),
}

// newResponse allocates an h1Response with room for a head of headLen
// bytes and fields values (room nil and values nil when none fits).
func newResponse(headLen, fields int) (x *h1Response, values []string, room []byte) {
	for i := range responseRooms {
		if r := &responseRooms[i]; headLen <= r.head && fields <= r.values {
			return r.alloc()
		}
	}
	return new(h1Response), nil, nil
}

// staleIf marks an error on a connection as stale when nothing was read
// back and the connection was found closed or reset.
func staleIf(err error, nothingRead bool) error {
	if nothingRead && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)) {
		return fmt.Errorf("%w: %w", errStale, err)
	}
	return err
}

// h1Body reads a response body by its framing. Each read that waits on
// the origin must make progress within the read timeout (and the whole
// response within the completion timeout). A body read to its end gives
// its connection back to the pool.
type h1Body struct {
	e         *h1Exchange
	conn      *h1Conn // nil once released or closed
	remaining int64   // of a Content-Length body or the current chunk; -1: until EOF
	chunked   bool
	reuse     bool
	done      bool
	err       error
}

func (b *h1Body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.done {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := b.read(p)
	if err != nil {
		if err != io.EOF {
			err = b.fail(err)
		} else {
			b.finish()
		}
	}
	return n, err
}

func (b *h1Body) read(p []byte) (int, error) {
	conn := b.conn
	if b.chunked && b.remaining <= 0 {
		if b.remaining == 0 { // the CRLF after a chunk's data
			if err := b.expectCRLF(); err != nil {
				return 0, err
			}
		}
		size, err := b.chunkSize()
		if err != nil {
			return 0, err
		}
		if size == 0 {
			if err := b.trailer(); err != nil {
				return 0, err
			}
			return 0, io.EOF
		}
		b.remaining = size
	}
	if b.remaining >= 0 && int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	b.armIfEmpty()
	n, err := conn.br.Read(p)
	if b.remaining >= 0 {
		b.remaining -= int64(n)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // truncated
		}
		if err == nil && b.remaining == 0 && !b.chunked {
			b.finish() // the connection goes back before the reader's next call
		}
	}
	return n, err
}

// armIfEmpty sets the read deadline before a read that will wait on the
// connection.
func (b *h1Body) armIfEmpty() {
	if b.conn.br.Buffered() == 0 {
		b.conn.nc.SetReadDeadline(b.e.deadline(time.Now()))
	}
}

func (b *h1Body) line() ([]byte, error) {
	b.armIfEmpty()
	line, err := b.conn.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull || len(line) > maxChunkLine {
		return nil, invalidf("chunk line too long")
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, err
	}
	return trimEOL(line), nil
}

func (b *h1Body) expectCRLF() error {
	line, err := b.line()
	if err != nil {
		return err
	}
	if len(line) != 0 {
		return invalidf("chunk data longer than its size")
	}
	return nil
}

// chunkSize parses "hex-size [; extensions]" (RFC 9112 §7.1).
func (b *h1Body) chunkSize() (int64, error) {
	line, err := b.line()
	if err != nil {
		return 0, err
	}
	return parseChunkSize(line)
}

func parseChunkSize(line []byte) (int64, error) {
	var size int64
	i := 0
	for ; i < len(line); i++ {
		c := line[i]
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			goto rest
		}
		if i >= 15 { // 15 hex digits: up to 2^60, far past any body
			return 0, invalidf("chunk size too large")
		}
		size = size<<4 | int64(v)
	}
rest:
	if i == 0 {
		return 0, invalidf("bad chunk size %q", line)
	}
	for ; i < len(line) && (line[i] == ' ' || line[i] == '\t'); i++ {
	}
	if i < len(line) && line[i] != ';' {
		return 0, invalidf("bad chunk size %q", line)
	}
	for _, c := range line[i:] {
		if c < ' ' && c != '\t' || c == 0x7f {
			return 0, invalidf("control character in chunk extension")
		}
	}
	return size, nil
}

// trailer reads (and drops) the trailer section after the last chunk,
// bounded as a head is.
func (b *h1Body) trailer() error {
	total := 0
	for {
		line, err := b.line()
		if err != nil {
			return err
		}
		if len(line) == 0 {
			return nil
		}
		if total += len(line) + 2; total > MaxResponseHeadBytes {
			return errHeadTooLarge
		}
		if _, _, err := splitField(string(line)); err != nil {
			return err
		}
	}
}

// fail ends the body with err (classified: a timeout is the edge's 504).
func (b *h1Body) fail(err error) error {
	err = b.e.timeoutCause(err)
	if err == errReadTimeout || err == errCompletionTimeout {
		err = &Error{Status: http.StatusGatewayTimeout, Detail: "OriginReadError", Err: err}
	}
	b.err = err
	b.e.done()
	if b.conn != nil {
		b.conn.nc.Close()
		b.conn = nil
	}
	return err
}

// finish marks the body complete and pools its connection when it may be
// reused.
func (b *h1Body) finish() {
	b.done = true
	b.e.done()
	if b.conn == nil {
		return
	}
	if b.reuse {
		b.e.pool.put(b.conn)
	} else {
		b.conn.nc.Close()
	}
	b.conn = nil
}

func (b *h1Body) Close() error {
	b.e.done()
	if b.conn != nil { // not read to the end: the connection cannot be reused
		b.conn.nc.Close()
		b.conn = nil
	}
	if b.err == nil {
		b.err = errBodyClosed
	}
	return nil
}

var errBodyClosed = errors.New("origin: read on closed response body")

// appendRequest appends a request head for a bodiless request, with the
// fields net/http's Transport would send: Host first, User-Agent (the
// header's first, or Go's default when it has none; an empty value sends
// none), then the header's fields except Host, User-Agent,
// Content-Length, Transfer-Encoding and Trailer.
func appendRequest(b []byte, method, path, query, host string, h http.Header) ([]byte, error) {
	if !httpguts.ValidHostHeader(host) {
		return b, fmt.Errorf("origin: invalid Host %q", host)
	}
	if path == "" {
		path = "/"
	}
	if !plainPath(path) || !plainQuery(query) {
		return b, fmt.Errorf("origin: invalid request target %q", path)
	}
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	if query != "" {
		b = append(b, '?')
		b = append(b, query...)
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	ua := "Go-http-client/1.1"
	if vs, ok := h["User-Agent"]; ok {
		ua = ""
		if len(vs) > 0 {
			ua = vs[0]
		}
	}
	if ua != "" {
		if !httpguts.ValidHeaderFieldValue(ua) {
			return b, errors.New("origin: invalid User-Agent value")
		}
		b = append(b, "User-Agent: "...)
		b = append(b, ua...)
		b = append(b, "\r\n"...)
	}
	for name, vs := range h {
		switch name {
		case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
			continue
		}
		if !httpguts.ValidHeaderFieldName(name) {
			return b, fmt.Errorf("origin: invalid header field name %q", name)
		}
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				return b, fmt.Errorf("origin: invalid header field value for %q", name)
			}
			b = append(b, name...)
			b = append(b, ": "...)
			b = append(b, trimOWS(v)...)
			b = append(b, "\r\n"...)
		}
	}
	return append(b, "\r\n"...), nil
}

// plainPath reports whether an escaped path goes on the request line as
// it is: the bytes net/url leaves alone in a path (RFC 3986 pchar and
// "/", "[", "]") and well-formed percent escapes. Others go through the
// Transport, which escapes them as url.URL.RequestURI does.
func plainPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '%':
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return false
			}
		default:
			if !strings.ContainsRune("-._~!$&'()*+,;=:@/[]", rune(c)) {
				return false
			}
		}
	}
	return true
}

// plainQuery: a query without bytes that would break the request line
// (it goes as it is, as url.URL.RequestURI sends RawQuery).
func plainQuery(q string) bool {
	for i := 0; i < len(q); i++ {
		if c := q[i]; c <= ' ' || c == 0x7f || c == '#' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// readHead reads one response head (status line to the empty line) into
// buf, within MaxResponseHeadBytes. A blank first line ends the head at
// once (and fails as a status line).
func readHead(br *bufio.Reader, buf []byte) ([]byte, error) {
	partial := false // the last piece read was not a whole line
	for {
		line, err := br.ReadSlice('\n')
		if len(buf)+len(line) > MaxResponseHeadBytes {
			return buf, errHeadTooLarge
		}
		buf = append(buf, line...)
		switch err {
		case nil:
		case bufio.ErrBufferFull:
			partial = true
			continue
		case io.EOF:
			if len(buf) == 0 {
				return buf, io.EOF
			}
			return buf, io.ErrUnexpectedEOF
		default:
			return buf, err
		}
		if !partial && len(trimEOL(line)) == 0 {
			return buf, nil
		}
		partial = false
	}
}

func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	return line
}

// parseResponseHead parses a head as readHead returned it. The response's
// TransferEncoding is ["chunked"] for a chunked body; ContentLength is the
// length given, or -1.
func parseResponseHead(head []byte) (*http.Response, error) {
	x, err := parseFinalHead(head)
	if err != nil {
		return nil, err
	}
	return &x.resp, nil
}

// parseHeadInto is parseResponseHead into resp, from the head as a string
// s of fields field lines (countFields, which the caller has counted to
// size values): the header's names and values are substrings of s. Its
// values are appended to values (made for them when nil), one backing
// array for all.
func parseHeadInto(s string, fields int, resp *http.Response, values []string) error {
	line, rest := cutLine(s)
	*resp = http.Response{ContentLength: -1}
	switch {
	case len(line) >= 12 && line[:9] == "HTTP/1.1 ":
		resp.Proto, resp.ProtoMajor, resp.ProtoMinor = "HTTP/1.1", 1, 1
	case len(line) >= 12 && line[:9] == "HTTP/1.0 ":
		resp.Proto, resp.ProtoMajor, resp.ProtoMinor = "HTTP/1.0", 1, 0
		resp.Close = true
	default:
		return invalidf("malformed status line %q", clip(line))
	}
	code := line[9:12]
	if code[0] < '1' || code[0] > '5' || code[1] < '0' || code[1] > '9' || code[2] < '0' || code[2] > '9' ||
		(len(line) > 12 && line[12] != ' ') {
		return invalidf("malformed status line %q", clip(line))
	}
	for i := 13; i < len(line); i++ {
		if c := line[i]; c < ' ' && c != '\t' || c == 0x7f {
			return invalidf("control character in the status line")
		}
	}
	resp.StatusCode = int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return invalidf("101 Switching Protocols to a request without Upgrade")
	}
	resp.Status = line[9:]
	if len(line) == 12 {
		resp.Status = code + " " + http.StatusText(resp.StatusCode)
	}

	var h http.Header
	if values != nil && fields <= pooledHeaderFields { // a final response's: ReleaseHeader may give it back
		h = NewHeader(fields)
	} else {
		h = make(http.Header, fields)
	}
	if values == nil {
		values = make([]string, 0, fields)
	}
	var cl string
	clSeen, te := false, false
	for {
		line, rest = cutLine(rest)
		if line == "" {
			break
		}
		name, value, err := splitField(line)
		if err != nil {
			return err
		}
		key := textproto.CanonicalMIMEHeaderKey(name)
		switch key {
		case "Content-Length":
			v, ok := sameLengths(cl, clSeen, value)
			if !ok {
				return invalidf("conflicting Content-Length %q", clip(value))
			}
			cl, clSeen = v, true
		case "Transfer-Encoding":
			if te || !equalFoldASCII(value, "chunked") {
				return invalidf("unsupported Transfer-Encoding %q", clip(value))
			}
			te = true
		case "Connection":
			if httpguts.HeaderValuesContainsToken([]string{value}, "close") {
				resp.Close = true
			}
		}
		values = append(values, value)
		vs := h[key]
		if vs == nil {
			vs = values[len(values)-1 : len(values) : len(values)]
		} else {
			vs = append(vs, value)
		}
		h[key] = vs
	}
	resp.Header = h
	if te {
		if clSeen {
			return invalidf("both Transfer-Encoding and Content-Length")
		}
		if resp.ProtoMinor == 0 {
			return invalidf("Transfer-Encoding in an HTTP/1.0 response")
		}
		delete(h, "Transfer-Encoding")
		resp.TransferEncoding = chunkedOnly
		return nil
	}
	if clSeen {
		n, ok := parseLength(cl)
		if !ok {
			return invalidf("bad Content-Length %q", clip(cl))
		}
		resp.ContentLength = n
	}
	return nil
}

// countFields counts the field lines of a head: its lines but the status
// line and the blank line.
func countFields(head []byte) int {
	return max(bytes.Count(head, newline)-2, 0)
}

var newline = []byte{'\n'}

var chunkedOnly = []string{"chunked"}

// sameLengths checks a Content-Length field against the ones before it:
// repeated fields must all be equal (a list in one field is refused, as
// net/http does).
func sameLengths(prev string, seen bool, value string) (string, bool) {
	if value == "" || (seen && value != prev) {
		return "", false
	}
	return value, true
}

// parseLength parses 1*DIGIT within int64.
func parseLength(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// splitField splits "name: value" (RFC 9112 §5): a token name directly
// followed by the colon, the value without surrounding whitespace and
// without control characters; a line starting with whitespace (obsolete
// line folding) is refused.
func splitField(line string) (name, value string, err error) {
	colon := -1
	for i := 0; i < len(line); i++ {
		if line[i] == ':' {
			colon = i
			break
		}
	}
	if colon <= 0 {
		return "", "", invalidf("malformed header line %q", clip(line))
	}
	name = line[:colon]
	if !httpguts.ValidHeaderFieldName(name) {
		return "", "", invalidf("invalid header field name %q", clip(name))
	}
	value = trimOWS(line[colon+1:])
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < ' ' && c != '\t' || c == 0x7f {
			return "", "", invalidf("control character in header %q", clip(name))
		}
	}
	return name, value, nil
}

// cutLine returns s's first line without its end of line (CRLF or LF).
func cutLine(s string) (line, rest string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			line, rest = s[:i], s[i+1:]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			return line, rest
		}
	}
	return s, ""
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// clip shortens what goes into an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
