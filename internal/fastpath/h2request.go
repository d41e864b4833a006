package fastpath

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2/hpack"

	"openfront/internal/httpguard"
)

// requestHeaders is a decoded request header block, validated as RFC 9113
// section 8.3 requires (a malformed request is a stream error).
type requestHeaders struct {
	method, scheme, authority, path string
	regular                         []hpack.HeaderField // aliases the decoder's fields
	host                            string
	contentLength                   int64 // -1: none
	cookies                         int
	headSize                        int // the head's size written as HTTP/1.1
}

func (rh *requestHeaders) parse(fields []hpack.HeaderField) bool {
	*rh = requestHeaders{contentLength: -1}
	first := len(fields)
	for i, f := range fields {
		if !strings.HasPrefix(f.Name, ":") {
			first = i
			break
		}
		var p *string
		switch f.Name {
		case ":method":
			p = &rh.method
		case ":scheme":
			p = &rh.scheme
		case ":authority":
			p = &rh.authority
		case ":path":
			p = &rh.path
		default:
			return false // :status, :protocol (not offered) or unknown
		}
		if *p != "" || f.Value == "" || !trimmed(f.Value) {
			return false // repeated, empty or with whitespace around
		}
		*p = f.Value
	}
	rh.regular = fields[first:]
	for _, f := range rh.regular {
		if !validLowerName(f.Name) || !validValue(f.Value) {
			return false
		}
		switch f.Name {
		case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
			return false // connection-specific (RFC 9113 section 8.2.2)
		case "te":
			if f.Value != "trailers" {
				return false
			}
		case "content-length":
			n, err := strconv.ParseUint(f.Value, 10, 63)
			if err != nil || rh.contentLength >= 0 && rh.contentLength != int64(n) {
				return false
			}
			rh.contentLength = int64(n)
		case "host":
			if rh.host != "" {
				return false
			}
			rh.host = f.Value
		case "cookie":
			rh.cookies++
		}
		rh.headSize += len(f.Name) + len(": \r\n") + len(f.Value)
	}
	if rh.method == "" {
		return false
	}
	if rh.authority != "" && rh.host != "" && rh.authority != rh.host {
		// "A server SHOULD treat a request as malformed if it contains a
		// Host header field that identifies an entity that differs from
		// the entity in the :authority pseudo-header field" (RFC 9113
		// section 8.3.1); compared as they are, as the HTTP/3 server does.
		return false
	}
	if !httpguard.ValidPort(rh.authority) || !httpguard.ValidPort(rh.host) {
		return false // RFC 9110 section 7.2: a port is digits
	}
	if rh.method == http.MethodConnect {
		if rh.scheme != "" || rh.path != "" || rh.authority == "" {
			return false
		}
	} else if rh.scheme == "" || rh.path == "" || rh.path[0] != '/' && !(rh.path == "*" && rh.method == http.MethodOptions) {
		return false
	}
	rh.headSize += len(rh.method) + 1 + len(rh.path) + len(" HTTP/1.1\r\n") + len("Host: \r\n") + len(rh.hostname()) + len("\r\n")
	return true
}

// hostname is the request's authority: :authority, else Host.
func (rh *requestHeaders) hostname() string {
	if rh.authority != "" {
		return rh.authority
	}
	return rh.host
}

// validLowerName accepts a token without uppercase letters (RFC 9113
// section 8.2.1).
func validLowerName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !tokenChar[c] || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// validValue accepts a field value as RFC 9113 section 8.2.1 does: no
// NUL, CR or LF (nor other control characters but HTAB, as net/http),
// and no SP or HTAB at its start or end.
func validValue(v string) bool {
	return trimmed(v) && httpguts.ValidHeaderFieldValue(v)
}

// trimmed reports whether v neither starts nor ends with SP or HTAB: two
// bytes looked at, on every value of every request.
func trimmed(v string) bool {
	return v == "" || v[0] != ' ' && v[0] != '\t' && v[len(v)-1] != ' ' && v[len(v)-1] != '\t'
}

func validTrailers(fields []hpack.HeaderField) bool {
	for _, f := range fields {
		if !validLowerName(f.Name) || !validValue(f.Value) {
			return false
		}
	}
	return true
}

// serveFast offers a GET or HEAD without body to the Handler and, when it
// answers, queues the response (HEADERS and as much DATA as the windows
// allow) in the connection's writes. The request it builds is the one
// the HTTP/1.1 loop builds (the plan input is the same), with HTTP2 set.
func (h *h2conn) serveFast(id uint32, rh *requestHeaders) bool {
	// (parse refused an :authority that differs from Host, and a port that
	// is not digits; headerBlock a Content-Length above 0.)
	if rh.method != http.MethodGet && rh.method != http.MethodHead || rh.cookies > 1 ||
		rh.headSize > h2FastHeadLimit || len(rh.regular) > maxFields || rh.scheme != "https" {
		return false
	}
	host := rh.hostname()
	if !hostChars(host) || !validTarget(unsafe.Slice(unsafe.StringData(rh.path), len(rh.path))) {
		return false
	}
	r := &h.req
	*r = Request{hdr: r.hdr[:0], Method: rh.method, Host: host, RemoteAddr: h.remote,
		Received: h.received, TLS: h.c.tls, HTTP2: true}
	if q := strings.IndexByte(rh.path, '?'); q >= 0 {
		r.Path, r.RawQuery = rh.path[:q], rh.path[q+1:]
	} else {
		r.Path = rh.path
	}
	for _, f := range rh.regular {
		if f.Name != "host" {
			r.hdr = append(r.hdr, field{f.Name, f.Value})
		}
	}
	head, body, ok := h.s.Handler.ServeFast(r, h.fastBuf[:0])
	h.fastBuf = head[:0]
	if !ok {
		return false
	}
	h.s.served.Add(1)
	block, ok := appendH1HeadAsHPACK(h.hdrBuf[:0], head, &h.nameBuf)
	h.hdrBuf = block[:0]
	h.mu.Lock()
	defer h.mu.Unlock()
	if !ok {
		// Cannot happen with the edge's heads; the request was counted.
		h.out = appendRSTStream(h.out, id, codeInternal)
		return true
	}
	end := len(body) == 0
	h.out = h.appendHeadersLocked(h.out, id, block, end)
	if end {
		return true
	}
	win := h.peerInitWin
	if rest := h.appendDataWinLocked(id, &win, body, true); rest != nil {
		// Waits for WINDOW_UPDATE (windowGrewLocked sends it).
		h.streams[id] = &h2stream{id: id, remoteDone: true, sendWin: win, declared: -1, pending: rest}
	}
	return true
}

// appendH1HeadAsHPACK converts an HTTP/1.1 response head written by
// Handler.ServeFast ("HTTP/1.1 200 OK\r\nName: value\r\n...\r\n") into an
// HPACK block: field names lowercased, Connection dropped.
func appendH1HeadAsHPACK(dst, head []byte, scratch *[]byte) ([]byte, bool) {
	line, rest, ok := cutCRLF(head)
	if !ok || len(line) < 12 || string(line[:9]) != "HTTP/1.1 " {
		return dst, false
	}
	status := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return dst, false
		}
		status = status*10 + int(c-'0')
	}
	dst = appendStatus(dst, status)
	for {
		line, rest, ok = cutCRLF(rest)
		if !ok {
			return dst, false
		}
		if len(line) == 0 {
			return dst, true
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return dst, false
		}
		n := (*scratch)[:0]
		for _, c := range line[:colon] {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			n = append(n, c)
		}
		*scratch = n
		v := line[colon+1:]
		for len(v) > 0 && v[0] == ' ' {
			v = v[1:]
		}
		if string(n) == "connection" {
			continue
		}
		dst = appendHPACK(dst, str(n), str(v))
	}
}

func cutCRLF(b []byte) (line, rest []byte, ok bool) {
	i := bytes.Index(b, crlf)
	if i < 0 {
		return nil, nil, false
	}
	return b[:i], b[i+2:], true
}

// startHandler runs Fallback's handler for the stream in a goroutine of its
// own, with an http.Request built as net/http's HTTP/2 server builds it.
func (h *h2conn) startHandler(id uint32, rh *requestHeaders, endStream bool) {
	req, err := h.newRequest(rh, endStream)
	if err != nil {
		h.resetStream(id, codeProtocol)
		return
	}
	ctx, cancel := context.WithCancel(h.baseContext())
	req = req.WithContext(ctx)
	st := &h2stream{id: id, handler: true, remoteDone: endStream, sendWin: h.peerInitWin, recvWin: h2StreamWindow,
		declared: rh.contentLength, req: req, cancel: cancel}
	if !endStream {
		st.body = &h2body{h: h, st: st, wake: make(chan struct{}, 1)}
		// As net/http: "100 Continue" when the handler first reads.
		st.body.needContinue = strings.EqualFold(req.Header.Get("Expect"), "100-continue")
		req.Body = st.body
	}
	h.mu.Lock()
	h.streams[id] = st
	h.handlers++
	h.mu.Unlock()
	h.s.declined.Add(1)
	w := &h2ResponseWriter{h: h, st: st, req: req, header: make(http.Header, 12), contentLength: -1}
	handler := h.s.Fallback.Handler
	if handler == nil {
		handler = http.DefaultServeMux // as net/http
	}
	go w.run(handler)
}

func (h *h2conn) baseContext() context.Context {
	ctx := context.WithValue(context.Background(), http.ServerContextKey, h.s.Fallback)
	return context.WithValue(ctx, http.LocalAddrContextKey, h.nc.LocalAddr())
}

func (h *h2conn) newRequest(rh *requestHeaders, endStream bool) (*http.Request, error) {
	header := make(http.Header, len(rh.regular))
	var cookies []string
	for _, f := range rh.regular {
		switch f.Name {
		case "host":
			continue // as net/http: Request.Host
		case "cookie":
			cookies = append(cookies, f.Value)
			continue
		}
		k := http.CanonicalHeaderKey(f.Name)
		header[k] = append(header[k], f.Value)
	}
	if len(cookies) > 0 {
		// RFC 9113 section 8.2.3: one field for HTTP/1.1 semantics.
		header["Cookie"] = []string{strings.Join(cookies, "; ")}
	}
	var u *url.URL
	var err error
	requestURI := rh.path
	if rh.method == http.MethodConnect {
		u = &url.URL{Host: rh.authority}
		requestURI = rh.authority
	} else if u, err = url.ParseRequestURI(rh.path); err != nil {
		return nil, err
	}
	req := &http.Request{Method: rh.method, URL: u, Proto: "HTTP/2.0", ProtoMajor: 2, Header: header,
		Host: rh.hostname(), RemoteAddr: h.remote, RequestURI: requestURI, TLS: h.c.tls, Body: http.NoBody}
	if !endStream {
		req.ContentLength = rh.contentLength
		if vs := header["Trailer"]; len(vs) > 0 {
			req.Trailer = http.Header{}
			for _, v := range vs {
				for _, k := range strings.Split(v, ",") {
					if k = http.CanonicalHeaderKey(strings.TrimSpace(k)); k != "" {
						req.Trailer[k] = nil
					}
				}
			}
		}
	}
	return req, nil
}

// h2body is a request body: DATA the read loop received, read by the
// handler; what it reads is given back to the peer as window.
type h2body struct {
	h        *h2conn
	st       *h2stream
	buf      []byte // under h.mu
	done     bool
	err      error // io.EOF or why the stream ended
	wake     chan struct{}
	deadline time.Time // http.ResponseController.SetReadDeadline
	// needContinue: the viewer waits for "100 Continue" before sending.
	needContinue bool
}

func (b *h2body) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *h2body) closeLocked(err error) {
	if b.done {
		return
	}
	b.done = true
	b.err = err
	if err == nil {
		b.err = io.EOF
	}
	b.signal()
}

func (b *h2body) Read(p []byte) (int, error) {
	h := b.h
	h.mu.Lock()
	if b.needContinue {
		b.needContinue = false
		if len(b.buf) == 0 && !b.done && !b.st.reset {
			h.out = h.appendHeadersLocked(h.out, b.st.id, appendStatus(nil, http.StatusContinue), false)
			h.mu.Unlock()
			h.flush()
			h.mu.Lock()
		}
	}
	for len(b.buf) == 0 && !b.done {
		h.mu.Unlock()
		var timeout <-chan time.Time
		if !b.deadline.IsZero() {
			d := time.Until(b.deadline)
			if d <= 0 {
				return 0, os.ErrDeadlineExceeded
			}
			t := time.NewTimer(d)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-b.wake:
		case <-timeout:
		}
		h.mu.Lock()
	}
	if len(b.buf) == 0 {
		err := b.err
		h.mu.Unlock()
		return 0, err
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	if len(b.buf) == 0 {
		b.buf = b.buf[:0:0] // let the array go
	}
	st := b.st
	if !st.remoteDone {
		st.recvUnacked += int64(n)
		if st.recvUnacked >= h2StreamWindow/4 {
			h.out = appendWindowUpdate(h.out, st.id, uint32(st.recvUnacked))
			st.recvWin += st.recvUnacked
			st.recvUnacked = 0
		}
	}
	h.creditConnLocked(int64(n))
	send := len(h.out) > 0
	h.mu.Unlock()
	if send {
		h.flush()
	}
	return n, nil
}

func (b *h2body) Close() error {
	h := b.h
	h.mu.Lock()
	n := int64(len(b.buf))
	b.buf = nil
	b.closeLocked(errBodyClosed)
	h.creditConnLocked(n)
	h.mu.Unlock()
	return nil
}

var errBodyClosed = errorString("http: invalid Read on closed Body")

type errorString string

func (e errorString) Error() string { return string(e) }
