package fastpath

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// serveHTTP runs Fallback's handler for a request the fast path parsed but
// Handler declined (a miss, a Range, a disk hit...), on this connection,
// with a ResponseWriter that frames the response as net/http's does. The
// connection then goes on with the fast path. It reports whether the
// connection may serve another request, and how many bytes of the next
// requests it read into spare meanwhile.
//
// Only requests parse accepts come here: GET or HEAD, HTTP/1.1, no body,
// no Expect or Upgrade. That is what keeps this writer small: no request
// body to drain, no 100-continue, no hijacking, no HTTP/1.0 keep-alive.
// The rules it does follow are net/http's chunkWriter.writeHeader for
// that subset (Content-Length for short bodies, chunking, sniffing, Date,
// Connection: close); edge/fast_test.go compares the two on the wire.
//
// As in net/http, a read runs in the background while the handler does, so
// that the request's context ends when the viewer goes away (an origin
// fetch for it then stops); unlike net/http, only once the handler has run
// for backgroundReadDelay (see backgroundRead).
func (c *conn) serveHTTP(r *Request, head []byte, remote string, spare []byte) (keepAlive bool, read int) {
	// The writer, the request, its URL and header map are the
	// connection's, set anew for each declined request (Server.Fallback:
	// the handler keeps none of them); the context is the request's own,
	// as fills and background refreshes keep it for its values.
	if c.handover == nil {
		c.handover, c.writer = new(handoverRequest), new(responseWriter)
	}
	w := c.writer
	*w = responseWriter{conn: c.responseConn(), contentLength: -1, scratch: &c.scratch, ctx: new(viewerContext)}
	defer func() {
		w.ctx.cancel()
		*w = responseWriter{} // nothing of this request stays with the connection
	}()
	defer c.handover.reset()
	req, err := r.httpRequest(w.ctx, head, c.handover)
	if err != nil {
		return false, 0 // parse and net/url disagree: cannot happen (fuzzed)
	}
	req.RemoteAddr, req.TLS = remote, c.tls
	var bg *backgroundRead
	if len(spare) > 0 {
		bg = c.startBackgroundRead(spare, w.ctx)
	}

	bw := writerPool.Get().(*bufio.Writer)
	bw.Reset(w.conn)
	defer func() {
		bw.Reset(nil)
		writerPool.Put(bw)
	}()
	pb := pendingPool.Get().(*[]byte)
	header := headerPool.Get().(http.Header)
	defer func() {
		clear(header) // the handler is done with it (as with any ResponseWriter)
		headerPool.Put(header)
	}()
	w.bw, w.req, w.header, w.pending = bw, req, header, (*pb)[:0]
	finished := w.run(c.s.Fallback.Handler)
	if finished {
		w.finish()
	}
	if cap(w.pending) == pendingCap { // framed and sent by now
		*pb = w.pending[:0]
		pendingPool.Put(pb)
	}
	gone := false
	if bg != nil {
		read, gone = bg.stop(c)
	}
	keepAlive = finished && !gone && !w.closeAfter && w.err == nil &&
		(req.Method == http.MethodHead || w.contentLength == -1 || !bodyAllowed(w.status) || w.written == w.contentLength)
	return keepAlive, read
}

// responseConn is what a declined request's response is written to: the
// connection, or on a plain TCP connection its raw form (package rawio:
// a miss then enters no system call the scheduler is told about, and
// its writes, sendfile included, have the send timeout).
func (c *conn) responseConn() io.Writer {
	if raw := c.rawConn(); raw != nil {
		return raw
	}
	return c.nc
}

// backgroundRead waits for bytes (a pipelined next request) or the end of
// the connection while a handler runs. The read starts only once the
// handler has run for backgroundReadDelay: most declined requests (a miss
// from a nearby origin) are answered sooner, and a goroutine blocked in a
// read that must then be interrupted cost about a twentieth of a miss. A
// viewer that goes away is noticed that much later; its pipelined bytes
// are read by the connection's loop instead.
type backgroundRead struct {
	timer *time.Timer // runs start; made once, reset per request

	mu         sync.Mutex
	state      int // bgArmed, bgReading or bgStopped
	c          *conn
	buf        []byte
	viewerGone *viewerContext
	done       chan struct{} // closed when a started read returns
	n          int
	err        error
}

const (
	bgStopped = iota
	bgArmed
	bgReading
)

// backgroundReadDelay is how long a handler runs before the connection is
// watched; a variable for tests.
var backgroundReadDelay = 5 * time.Millisecond

// backgroundReadsStarted counts reads started (for tests).
var backgroundReadsStarted atomic.Int64

var backgroundReadPool = sync.Pool{New: func() any {
	b := &backgroundRead{}
	b.timer = time.AfterFunc(time.Hour, b.start)
	b.timer.Stop()
	return b
}}

func (c *conn) startBackgroundRead(buf []byte, viewerGone *viewerContext) *backgroundRead {
	b := backgroundReadPool.Get().(*backgroundRead)
	b.mu.Lock()
	b.state, b.c, b.buf, b.viewerGone = bgArmed, c, buf, viewerGone
	b.mu.Unlock()
	b.timer.Reset(backgroundReadDelay)
	return b
}

// start runs on the timer's goroutine. A late run from an earlier
// request finds the struct stopped, or armed for a later request on
// whose fields it then starts early, which is harmless.
func (b *backgroundRead) start() {
	b.mu.Lock()
	if b.state != bgArmed {
		b.mu.Unlock()
		return
	}
	b.state = bgReading
	b.done = make(chan struct{})
	c, buf, viewerGone, done := b.c, b.buf, b.viewerGone, b.done
	b.mu.Unlock()
	backgroundReadsStarted.Add(1)
	go func() {
		defer close(done)
		n, err := c.nc.Read(buf)
		b.n, b.err = n, err // read by stop after done is closed
		if n == 0 && err != nil && !isTimeout(err) {
			viewerGone.cancel()
		}
	}()
}

// stop ends the background read, if it started, and returns what it read
// and whether the connection is gone.
func (b *backgroundRead) stop(c *conn) (n int, gone bool) {
	b.timer.Stop()
	b.mu.Lock()
	st, done := b.state, b.done
	b.state, b.c, b.buf, b.viewerGone, b.done = bgStopped, nil, nil, nil, nil
	b.mu.Unlock()
	if st == bgReading {
		c.nc.SetReadDeadline(aLongTimeAgo)
		<-done
		c.nc.SetReadDeadline(c.deadline) // the loop's own
		n, gone = b.n, b.n == 0 && b.err != nil && !isTimeout(b.err)
		b.n, b.err = 0, nil
	}
	backgroundReadPool.Put(b)
	return n, gone
}

var aLongTimeAgo = time.Unix(1, 0)

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) { // without errors.As's allocation
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// headerPool holds response header maps: one per declined request (every
// miss) was most of the handover's garbage. Room for 14 fields: an edge
// response is the origin's fields and the edge's 4 or 5 (X-Cache, Via,
// X-Amz-Cf-*, Age), past the 8 a map holds before it grows.
var headerPool = sync.Pool{New: func() any { return make(http.Header, 12) }}

var writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4<<10) }}

// pendingPool holds responseWriter's pending buffers: every declined
// request with a body (every miss) needs one, and a short body goes
// straight into it (copyShort).
var pendingPool = sync.Pool{New: func() any {
	b := make([]byte, 0, pendingCap)
	return &b
}}

// pendingCap leaves one byte past bufferBeforeChunking, so that copyShort
// sees the end of a body that fills the buffer without another buffer.
const pendingCap = bufferBeforeChunking + 1

// run calls the handler; it reports false when the handler aborted the
// response (http.ErrAbortHandler): the connection must then be closed
// without finishing it, as net/http does.
func (w *responseWriter) run(h http.Handler) (finished bool) {
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			finished = false
		}
	}()
	h.ServeHTTP(w, w.req)
	return true
}

// bufferBeforeChunking is net/http's: a body that ends within this many
// bytes gets a Content-Length rather than chunked framing.
const bufferBeforeChunking = 2048

// sniffLen is how much of the body http.DetectContentType looks at.
const sniffLen = 512

type responseWriter struct {
	conn   io.Writer // the connection or its raw form (responseConn)
	bw     *bufio.Writer
	req    *http.Request
	header http.Header

	wroteHeader   bool // WriteHeader called
	status        int
	contentLength int64  // declared, -1 if none
	written       int64  // body bytes the handler wrote
	pending       []byte // body bytes not yet framed (< bufferBeforeChunking)
	headSent      bool
	chunking      bool
	handlerDone   bool
	closeAfter    bool
	err           error

	scratch *any // the connection's (ConnScratch)

	// ctx is the request's context (48 bytes where context.WithCancel's
	// two objects made 80 and 16), never reused: a fill or a background
	// refresh may keep it after the request, for its values.
	ctx *viewerContext
}

func (w *responseWriter) Header() http.Header { return w.header }

// ConnScratch is a value the handler may keep per connection, for the
// connection's next declined request: the connection runs one handler at
// a time and frames and sends each response before the next request's
// handler runs. (The edge keeps its exchange there.)
func (w *responseWriter) ConnScratch() *any { return w.scratch }

func (w *responseWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		w.writeInterim(code)
		return
	}
	if code < 200 {
		return
	}
	w.wroteHeader, w.status = true, code
	if cl := w.header.Get("Content-Length"); cl != "" {
		if v, err := strconv.ParseInt(cl, 10, 64); err == nil && v >= 0 {
			w.contentLength = v
		} else {
			w.header.Del("Content-Length")
		}
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.contentLength != -1 && w.written > w.contentLength {
		return 0, http.ErrContentLength
	}
	if w.err != nil {
		return 0, w.err
	}
	n0 := len(p)
	if len(w.pending)+len(p) <= bufferBeforeChunking {
		w.pending = append(w.pending, p...)
		return len(p), nil
	}
	if len(w.pending) > 0 {
		n := bufferBeforeChunking - len(w.pending)
		w.pending = append(w.pending, p[:n]...)
		w.emit(w.pending)
		w.pending = w.pending[:0]
		p = p[n:]
	}
	if len(p) >= bufferBeforeChunking {
		w.emit(p)
	} else {
		w.pending = append(w.pending, p...)
	}
	if w.err != nil {
		return 0, w.err
	}
	return n0, nil
}

// emit sends the head if not sent yet (deciding the framing from p, the
// first body bytes), then p as framed.
func (w *responseWriter) emit(p []byte) {
	if !w.headSent {
		w.writeHead(p)
	}
	if w.req.Method == http.MethodHead || w.err != nil || len(p) == 0 {
		return
	}
	if w.chunking {
		w.bw.WriteString(strconv.FormatInt(int64(len(p)), 16))
		w.bw.WriteString("\r\n")
	}
	w.bw.Write(p)
	if w.chunking {
		w.bw.WriteString("\r\n")
	}
	if _, err := w.bw.Write(nil); err != nil {
		w.err = err
	}
}

// Flush sends the head and what is buffered (http.Flusher).
func (w *responseWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.emit(w.pending)
	w.pending = w.pending[:0]
	if err := w.bw.Flush(); err != nil && w.err == nil {
		w.err = err
	}
}

// ReadFrom lets a disk-tier body reach the socket with sendfile, as
// net/http's response does.
func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK) // as the first Write would: reads Content-Length
	}
	rf, ok := w.conn.(io.ReaderFrom)
	// A short body of declared length stays in the buffer and leaves with
	// the head, in one write at the end: net/http flushes the head and
	// the first bytes first, which costs a small miss a second write
	// (and segment). The bytes sent are the same.
	if w.contentLength >= 0 && w.contentLength <= bufferBeforeChunking {
		return w.copyShort(src)
	}
	if !ok {
		return io.Copy(writerOnly{w}, src)
	}
	// As net/http: the first bytes go through Write, so that a short body
	// still gets a Content-Length and an untyped one a sniffed type.
	var n int64
	if !w.headSent {
		n0, err := io.Copy(writerOnly{w}, io.LimitReader(src, sniffLen))
		n += n0
		if err != nil || n0 < sniffLen {
			return n, err
		}
	}
	w.Flush()
	if w.err != nil {
		return n, w.err
	}
	if !w.chunking && bodyAllowed(w.status) && w.req.Method != http.MethodHead {
		n0, err := rf.ReadFrom(src)
		n += n0
		w.written += n0
		if err != nil {
			w.err = err
		}
		return n, err
	}
	n0, err := io.Copy(writerOnly{w}, src)
	return n + n0, err
}

type writerOnly struct{ io.Writer }

// copyShort is io.Copy(writerOnly{w}, src) for a short body: src reads
// into the free end of the pending buffer, which Write then takes in
// place, so no copy buffer is allocated (io.Copy's is one per miss).
// Whatever does not fit goes through io.Copy (a body longer than it
// declared: Write refuses it).
func (w *responseWriter) copyShort(src io.Reader) (int64, error) {
	var n int64
	for len(w.pending) < cap(w.pending) {
		free := w.pending[len(w.pending):cap(w.pending)]
		k, err := src.Read(free)
		if k > 0 {
			m, werr := w.Write(free[:k]) // appends free[:k] onto itself
			n += int64(m)
			if werr != nil {
				return n, werr
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	n0, err := io.Copy(writerOnly{w}, src)
	return n + n0, err
}

// finish completes the response after the handler returned.
func (w *responseWriter) finish() {
	w.handlerDone = true
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.headSent || len(w.pending) > 0 {
		w.emit(w.pending)
		w.pending = w.pending[:0]
	}
	if w.chunking && w.err == nil {
		w.bw.WriteString("0\r\n\r\n")
	}
	if err := w.bw.Flush(); err != nil && w.err == nil {
		w.err = err
	}
}

// writeInterim sends an interim (1xx) response at once, as net/http's
// response.WriteHeader does: the status line and the current header map
// without its framing fields, then a flush. The header map is left as it
// is (RFC 8297: Early Hints fields may be repeated on the final response;
// the caller takes out what it does not want there).
func (w *responseWriter) writeInterim(code int) {
	if w.err != nil {
		return
	}
	writeStatusLine(w.bw, code)
	writeHeaderSubset(w.bw, w.header, interimExcluded)
	w.bw.WriteString("\r\n")
	if err := w.bw.Flush(); err != nil {
		w.err = err
	}
}

// interimExcluded are the fields net/http leaves out of a 1xx head.
var interimExcluded = map[string]bool{"Content-Length": true, "Transfer-Encoding": true}

// writeHead writes the status line and header, framed as net/http's
// chunkWriter.writeHeader would for a GET or HEAD over HTTP/1.1; p is the
// first body bytes (all of them when the handler is done).
func (w *responseWriter) writeHead(p []byte) {
	w.headSent = true
	h := w.header
	isHEAD := w.req.Method == http.MethodHead
	exclude := map[string]bool{}
	var extraBuf [10]string // room for every pair below: extra stays on the stack
	extra := extraBuf[:0]   // name, value pairs written after h

	te := h.Get("Transfer-Encoding")
	hasTE := te != ""
	if w.handlerDone && !hasTE && bodyAllowed(w.status) && !has(h, "Content-Length") && (!isHEAD || len(p) > 0) {
		w.contentLength = int64(len(p))
		extra = append(extra, "Content-Length", strconv.Itoa(len(p)))
	}
	hasCL := w.contentLength != -1
	if w.req.Close || h.Get("Connection") == "close" {
		w.closeAfter = true
	}
	if bodyAllowed(w.status) {
		_, haveType := h["Content-Type"]
		if h.Get("Content-Encoding") == "" && !haveType && !hasTE && len(p) > 0 {
			extra = append(extra, "Content-Type", http.DetectContentType(p))
		}
	} else {
		suppressed := []string{"Content-Length", "Transfer-Encoding"}
		if w.status == http.StatusNotModified {
			suppressed = append(suppressed, "Content-Type")
		}
		for _, k := range suppressed {
			exclude[k] = true
		}
	}
	if !has(h, "Date") {
		extra = append(extra, "Date", Date())
	}
	if hasCL && hasTE && te != "identity" {
		exclude["Content-Length"] = true
		hasCL = false
	}
	switch {
	case isHEAD || !bodyAllowed(w.status):
		exclude["Transfer-Encoding"] = true
	case hasCL:
		exclude["Transfer-Encoding"] = true
	case hasTE && te == "identity":
		w.closeAfter = true
		exclude["Transfer-Encoding"] = true
	default:
		w.chunking = true
		exclude["Transfer-Encoding"] = true
		extra = append(extra, "Transfer-Encoding", "chunked")
	}
	if w.chunking {
		exclude["Content-Length"] = true
	}
	if w.closeAfter && !hasToken(h.Get("Connection"), "close") {
		exclude["Connection"] = true
		extra = append(extra, "Connection", "close")
	}

	writeStatusLine(w.bw, w.status)
	writeHeaderSubset(w.bw, h, exclude)
	for i := 0; i < len(extra); i += 2 {
		w.bw.WriteString(extra[i])
		w.bw.WriteString(": ")
		w.bw.WriteString(extra[i+1])
		w.bw.WriteString("\r\n")
	}
	w.bw.WriteString("\r\n")
}

// writeStatusLine writes "HTTP/1.1 <code> <reason>", as net/http does
// (" status code <code>" for a code without a reason phrase).
func writeStatusLine(bw *bufio.Writer, code int) {
	bw.WriteString("HTTP/1.1 ")
	bw.Write(strconv.AppendInt(bw.AvailableBuffer(), int64(code), 10))
	// Piece by piece: a concatenation passed to WriteString is allocated.
	if text := http.StatusText(code); text != "" {
		bw.WriteString(" ")
		bw.WriteString(text)
	} else {
		bw.WriteString(" status code ")
		bw.Write(strconv.AppendInt(bw.AvailableBuffer(), int64(code), 10))
	}
	bw.WriteString("\r\n")
}

// Date is the current time in the Date header's format, formatted once a
// second.
func Date() string {
	now := time.Now()
	sec := now.Unix()
	if d := lastDate.Load(); d != nil && d.sec == sec {
		return d.text
	}
	d := &formattedDate{sec: sec, text: now.UTC().Format(http.TimeFormat)}
	lastDate.Store(d)
	return d.text
}

type formattedDate struct {
	sec  int64
	text string
}

var lastDate atomic.Pointer[formattedDate]

func has(h http.Header, name string) bool {
	_, ok := h[name]
	return ok
}

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

func hasToken(v, token string) bool {
	for _, t := range strings.Split(v, ",") {
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}

// writeHeaderSubset is h.WriteSubset(bw, exclude) (net/http's
// Header.writeSubset: fields sorted by name, names that are not tokens
// dropped, CR and LF in values made spaces, values trimmed) without its
// sort.Slice over a pooled slice and its per-value Replacer: a response
// head has a dozen names, sorted in place on the stack.
func writeHeaderSubset(bw *bufio.Writer, h http.Header, exclude map[string]bool) {
	var arr [24]string
	names := arr[:0]
	for name := range h {
		if !exclude[name] {
			names = append(names, name)
		}
	}
	for i := 1; i < len(names); i++ { // insertion sort: few names
		for j := i; j > 0 && names[j] < names[j-1]; j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
	for _, name := range names {
		if !httpguts.ValidHeaderFieldName(name) {
			continue
		}
		for _, v := range h[name] {
			bw.WriteString(name)
			bw.WriteString(": ")
			v = textproto.TrimString(v)
			if strings.ContainsAny(v, "\r\n") {
				v = textproto.TrimString(newlineToSpace.Replace(v))
			}
			bw.WriteString(v)
			bw.WriteString("\r\n")
		}
	}
}

var newlineToSpace = strings.NewReplacer("\n", " ", "\r", " ")
