package fastpath

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// h2ResponseWriter is the http.ResponseWriter of a stream whose request
// runs Fallback's handler: it frames the response as net/http's HTTP/2
// server does (Content-Length for a body complete when the handler
// returns, Date, sniffed Content-Type, trailers declared with "Trailer"
// or set with http.TrailerPrefix) and sends it through the connection's
// writes, within the peer's flow control windows.
type h2ResponseWriter struct {
	h      *h2conn
	st     *h2stream
	req    *http.Request
	header http.Header

	wroteHeader, sentHeader, done bool
	status                        int
	contentLength, written        int64
	buf                           []byte // body not yet framed
	trailers                      []string
	writeDeadline                 time.Time
	err                           error
}

var errStreamClosed = errors.New("http2: stream closed")

func (w *h2ResponseWriter) run(handler http.Handler) {
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler && w.h.s.Log != nil {
				w.h.s.Log.Error("fastpath: panic serving an HTTP/2 stream", "panic", fmt.Sprint(p), "remote", w.h.remote)
			}
			w.h.resetStream(w.st.id, codeInternal)
		} else {
			w.finish()
		}
		w.h.handlerDone(w.st)
	}()
	handler.ServeHTTP(w, w.req)
}

// handlerDone releases the stream's slot; a stream whose request body is
// still arriving is reset (the answer is complete).
func (h *h2conn) handlerDone(st *h2stream) {
	h.mu.Lock()
	st.handler = false
	h.handlers--
	if !st.remoteDone {
		h.resetLocked(st, codeNo)
	} else if !st.localDone {
		h.resetLocked(st, codeInternal)
	} else {
		if h.resetTokens < h2ResetBudget {
			h.resetTokens++
		}
		h.endStreamLocked(st, false)
	}
	st.cancel()
	if h.handlers == 0 {
		h.idleSince = time.Now()
	}
	wake := h.wake && h.handlers == 0
	h.mu.Unlock()
	h.flush()
	if wake {
		h.nc.SetReadDeadline(aLongTimeAgo) // the read loop sees the drain
	}
}

func (w *h2ResponseWriter) Header() http.Header { return w.header }

func (w *h2ResponseWriter) WriteHeader(code int) {
	if w.wroteHeader || w.done {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		// An interim response, with the fields set so far (as net/http).
		w.sendHeaders(code, false, false)
		return
	}
	w.wroteHeader, w.status = true, code
	if cl := w.header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			w.contentLength = n
		} else {
			delete(w.header, "Content-Length")
		}
	}
	for _, v := range w.header["Trailer"] {
		for _, k := range strings.Split(v, ",") {
			if k = http.CanonicalHeaderKey(strings.TrimSpace(k)); k != "" {
				w.trailers = append(w.trailers, k)
			}
		}
	}
}

func (w *h2ResponseWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, errStreamClosed
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.contentLength >= 0 && w.written+int64(len(p)) > w.contentLength {
		return 0, http.ErrContentLength
	}
	if w.err != nil {
		return 0, w.err
	}
	w.written += int64(len(p))
	if w.req.Method == http.MethodHead {
		return len(p), nil
	}
	n := len(p)
	for len(w.buf)+len(p) > h2WriteChunk {
		if len(w.buf) == 0 {
			if err := w.sendBody(p, false); err != nil {
				return 0, err
			}
			return n, nil
		}
		k := h2WriteChunk - len(w.buf)
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if err := w.sendBody(nil, false); err != nil {
			return 0, err
		}
	}
	w.buf = append(w.buf, p...)
	return n, nil
}

func (w *h2ResponseWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

func (w *h2ResponseWriter) Flush() { w.FlushError() }

// FlushError sends the head and the body written so far
// (http.ResponseController.Flush).
func (w *h2ResponseWriter) FlushError() error {
	if w.done {
		return errStreamClosed
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return w.err
	}
	return w.sendBody(nil, false)
}

// SetReadDeadline bounds the request body's reads
// (http.ResponseController.SetReadDeadline).
func (w *h2ResponseWriter) SetReadDeadline(t time.Time) error {
	if w.st.body != nil {
		w.h.mu.Lock()
		w.st.body.deadline = t
		w.h.mu.Unlock()
		w.st.body.signal()
	}
	return nil
}

// SetWriteDeadline bounds the waits for flow control window.
func (w *h2ResponseWriter) SetWriteDeadline(t time.Time) error {
	w.writeDeadline = t
	return nil
}

// EnableFullDuplex: HTTP/2 streams always are.
func (w *h2ResponseWriter) EnableFullDuplex() error { return nil }

// finish ends the response when the handler returns.
func (w *h2ResponseWriter) finish() {
	if w.done {
		return
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return
	}
	if w.contentLength >= 0 && w.written != w.contentLength && w.req.Method != http.MethodHead && bodyAllowed(w.status) {
		w.h.resetStream(w.st.id, codeInternal) // short of its Content-Length
		w.done = true
		return
	}
	trailers := w.trailerBlock()
	if !w.sentHeader {
		endStream := len(w.buf) == 0 && trailers == nil
		if w.contentLength < 0 && bodyAllowed(w.status) && w.req.Method != http.MethodHead && !w.hasTrailers() {
			w.contentLength = int64(len(w.buf))
			w.header.Set("Content-Length", strconv.Itoa(len(w.buf)))
		}
		if !w.sendHeaders(w.status, endStream, true) || endStream {
			w.done = true
			return
		}
	}
	w.sendBody(nil, trailers == nil)
	if trailers != nil && w.err == nil {
		h := w.h
		h.mu.Lock()
		if !w.st.reset {
			h.out = h.appendHeadersLocked(h.out, w.st.id, trailers, true)
			w.st.localDone = true
		}
		h.mu.Unlock()
	}
	w.done = true
}

func (w *h2ResponseWriter) hasTrailers() bool {
	if len(w.trailers) > 0 {
		return true
	}
	for k := range w.header {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			return true
		}
	}
	return false
}

// trailerBlock is the HPACK block of the trailers with values, or nil.
func (w *h2ResponseWriter) trailerBlock() []byte {
	var block []byte
	add := func(k string, vs []string) {
		k = strings.ToLower(k)
		if !validLowerName(k) {
			return
		}
		for _, v := range vs {
			block = appendHPACK(block, k, v)
		}
	}
	for _, k := range w.trailers {
		add(k, w.header[k])
	}
	for k, vs := range w.header {
		if t, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			add(t, vs)
		}
	}
	return block
}

// sendHeaders queues the response head; false when the stream is gone.
func (w *h2ResponseWriter) sendHeaders(status int, endStream, final bool) bool {
	block := appendStatus(nil, status)
	if final {
		if _, ok := w.header["Date"]; !ok {
			block = appendHPACK(block, "date", Date())
		}
		if _, ok := w.header["Content-Type"]; !ok && bodyAllowed(status) && len(w.buf) > 0 && !w.hasHeader("Content-Encoding") {
			block = appendHPACK(block, "content-type", http.DetectContentType(w.buf))
		}
	}
	for k, vs := range w.header {
		switch k {
		case "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "Trailer":
			continue
		}
		if strings.HasPrefix(k, http.TrailerPrefix) {
			continue
		}
		lk := strings.ToLower(k)
		if !validLowerName(lk) {
			continue
		}
		for _, v := range vs {
			block = appendHPACK(block, lk, strings.TrimSpace(v))
		}
	}
	if final && len(w.trailers) > 0 {
		block = appendHPACK(block, "trailer", strings.ToLower(strings.Join(w.trailers, ", ")))
	}
	h := w.h
	h.mu.Lock()
	ok := !w.st.reset
	if ok {
		h.out = h.appendHeadersLocked(h.out, w.st.id, block, endStream)
		if endStream {
			w.st.localDone = true
			h.endStreamLocked(w.st, false)
		}
	}
	h.mu.Unlock()
	if final {
		w.sentHeader = true
	}
	if !ok {
		w.err = errStreamClosed
	}
	return ok
}

func (w *h2ResponseWriter) hasHeader(k string) bool { return len(w.header[k]) > 0 }

// sendBody sends the head if not yet sent, then w.buf and p as DATA,
// waiting for window as needed, and writes them out.
func (w *h2ResponseWriter) sendBody(p []byte, endStream bool) error {
	if !w.sentHeader {
		if !w.sendHeaders(w.status, false, true) {
			return w.err
		}
	}
	h := w.h
	body := w.buf
	for {
		if len(body) == 0 && p != nil {
			body, p = p, nil
		}
		end := endStream && p == nil
		if len(body) == 0 && !end {
			break
		}
		h.mu.Lock()
		if w.st.reset {
			h.mu.Unlock()
			w.err = errStreamClosed
			return w.err
		}
		rest := h.appendDataLocked(w.st, body, end)
		if rest == nil && end {
			w.st.localDone = true
			h.endStreamLocked(w.st, false)
		}
		ch := h.windowCh
		if rest != nil {
			h.windowWait = true
		}
		h.mu.Unlock()
		if rest == nil {
			body = nil
			if p == nil {
				break
			}
			continue
		}
		body = rest
		// Out of window: send what is queued, wait for WINDOW_UPDATE.
		if err := h.flush(); err != nil {
			w.err = err
			return err
		}
		if ch == nil {
			w.err = errStreamClosed
			return w.err
		}
		wait := h.writeTime
		if !w.writeDeadline.IsZero() {
			wait = time.Until(w.writeDeadline)
		}
		t := time.NewTimer(wait)
		select {
		case <-ch:
			t.Stop()
		case <-t.C:
			h.resetStream(w.st.id, codeCancel) // a stalled peer (zero window)
			w.err = os.ErrDeadlineExceeded
			return w.err
		}
	}
	w.buf = w.buf[:0]
	if err := h.flush(); err != nil {
		w.err = err
		return err
	}
	return nil
}
