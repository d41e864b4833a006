package fastpath

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/http2/hpack"
)

// HTTP/2 (RFC 9113) on TLS connections that negotiated "h2": see the
// package documentation (doc.go) for the design.

const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// Frame types and flags (RFC 9113 section 6).
const (
	frameData         = 0x0
	frameHeaders      = 0x1
	framePriority     = 0x2
	frameRSTStream    = 0x3
	frameSettings     = 0x4
	framePushPromise  = 0x5
	framePing         = 0x6
	frameGoAway       = 0x7
	frameWindowUpdate = 0x8
	frameContinuation = 0x9

	flagEndStream  = 0x1
	flagAck        = 0x1
	flagEndHeaders = 0x4
	flagPadded     = 0x8
	flagPriority   = 0x20
)

// Error codes (RFC 9113 section 7).
type h2Code uint32

const (
	codeNo                      h2Code = 0x0
	codeProtocol                h2Code = 0x1
	codeInternal                h2Code = 0x2
	codeFlowControl             h2Code = 0x3
	codeStreamClosed            h2Code = 0x5
	codeFrameSize               h2Code = 0x6
	codeRefusedStream           h2Code = 0x7
	codeCancel                  h2Code = 0x8
	codeCompression             h2Code = 0x9
	codeEnhanceYourCalm         h2Code = 0xb
	codeInadequateSecurity      h2Code = 0xc
	settingHeaderTable                 = 0x1
	settingEnablePush                  = 0x2
	settingMaxStreams                  = 0x3
	settingInitialWindow               = 0x4
	settingMaxFrameSize                = 0x5
	settingMaxHeaderList               = 0x6
	maxWindow                          = 1<<31 - 1
	h2DefaultWindow                    = 65535
	h2FrameHeaderLen                   = 9
	h2DefaultMaxFrameSize              = 16384
	h2MaxFrameSizeLimit                = 1<<24 - 1
	h2DefaultMaxHeaderListBytes        = 1 << 20
)

// What this server offers and bounds (its SETTINGS and limits against
// hostile peers).
const (
	// h2MaxStreams is SETTINGS_MAX_CONCURRENT_STREAMS: streams open or
	// with a handler still running (a stream reset by the peer counts
	// until its handler returns, so rapid resets cannot pile up
	// handlers: CVE-2023-44487).
	h2MaxStreams = 128
	// h2StreamWindow is SETTINGS_INITIAL_WINDOW_SIZE, h2ConnWindow the
	// connection's receive window: request bodies buffered per stream
	// and per connection until the handler reads them.
	h2StreamWindow = 256 << 10
	h2ConnWindow   = 1 << 20
	// h2ReadBufSize holds at least one frame of the largest size this
	// server accepts (the default 16 KiB: it announces no other). The
	// buffer is taken from h2ReadBufPool only while it holds bytes: an
	// idle connection reads into its h2SmallReadSize array (h2readbuf.go).
	h2ReadBufSize = 64 << 10
	// h2MaxOut bounds the frames queued for a peer that does not read:
	// past it, control frames (PING and SETTINGS acknowledgements) are a
	// flood and the connection ends with ENHANCE_YOUR_CALM.
	h2MaxOut = 1 << 20
	// h2ResetBudget is how many streams the peer may reset before their
	// handlers finish, in excess of the streams completed normally.
	h2ResetBudget = 200
	// h2FastHeadLimit: a request whose head, written as HTTP/1.1, is
	// larger than the HTTP/1.1 fast path's read buffer is left to the
	// handler (where httpguard.LimitHead applies CloudFront's limits), so
	// both fast paths serve the same requests.
	h2FastHeadLimit = readBufSize
	h2WriteChunk    = 16 << 10
)

// connError ends the connection with a GOAWAY carrying code.
type connError struct {
	code h2Code
	why  string
}

func (e connError) Error() string { return "http2: connection error: " + e.why }

type h2stream struct {
	id uint32
	// remoteDone: the peer ended its side (END_STREAM or RST_STREAM);
	// localDone: ours is ended (END_STREAM sent or RST_STREAM).
	remoteDone, localDone bool
	reset                 bool // RST_STREAM sent or received: writes fail
	peerReset             bool // RST_STREAM received
	handler               bool // a handler goroutine runs it
	sendWin               int64
	recvWin               int64 // what the peer may still send
	recvUnacked           int64 // bytes read by the handler, not yet given back
	declared, received    int64 // Content-Length (-1: none) and DATA bytes
	// pending is a fast hit's body waiting for flow control window.
	pending []byte
	body    *h2body
	req     *http.Request
	cancel  context.CancelFunc
}

type h2conn struct {
	s      *Server
	c      *conn
	nc     net.Conn
	remote string

	// in is small or big: the frames read and not yet handled are
	// in[start:end] (h2readbuf.go).
	in         []byte
	start, end int
	small      [h2SmallReadSize]byte
	big        *[h2ReadBufSize]byte // from h2ReadBufPool, or nil
	received   time.Time
	headStart  time.Time // when the incomplete header block's first bytes came

	dec       *hpack.Decoder
	fields    []hpack.HeaderField
	listSize  int
	tooBig    bool
	blockRead int // header block bytes of the block being read
	// contID is the stream whose header block continues (0: none).
	contID                 uint32
	contEndStream, contBad bool

	// resetIDs are the last streams reset by this server (noteResetLocked).
	resetIDs  [16]uint32
	resetNext uint32

	maxClientID   uint32
	peerMaxFrame  uint32
	peerInitWin   int64
	recvConnWin   int64
	seenSettings  bool
	goingAway     bool // GOAWAY sent (shutdown) or received: no new streams
	resetTokens   int
	idleSince     time.Time
	maxHeaderList int

	req     Request
	fastBuf []byte
	hdrBuf  []byte
	nameBuf []byte // a field name being lowercased

	mu          sync.Mutex
	streams     map[uint32]*h2stream
	handlers    int
	connSendWin int64
	connUnacked int64
	out, spare  []byte
	windowCh    chan struct{} // closed when send windows grow or streams reset
	windowWait  bool          // a handler took windowCh to wait on it
	closed      bool

	wmu       sync.Mutex // held while writing to nc
	writeDL   time.Time
	writeTime time.Duration
	wake      bool // a handler must wake the read loop when it finishes
}

// serveH2 runs an HTTP/2 connection after the TLS handshake chose "h2".
func (c *conn) serveH2(nc net.Conn) {
	s := c.s
	h := &h2conn{s: s, c: c, nc: nc, remote: nc.RemoteAddr().String(),
		peerMaxFrame: h2DefaultMaxFrameSize, peerInitWin: h2DefaultWindow,
		recvConnWin: h2ConnWindow, connSendWin: h2DefaultWindow, streams: map[uint32]*h2stream{},
		windowCh: make(chan struct{}), resetTokens: h2ResetBudget, idleSince: time.Now(),
		maxHeaderList: s.MaxHeaderListBytes, writeTime: s.SendTimeout}
	if h.maxHeaderList <= 0 {
		h.maxHeaderList = h2DefaultMaxHeaderListBytes
	}
	if h.writeTime <= 0 {
		h.writeTime = s.IdleTimeout
	}
	if h.writeTime <= 0 {
		h.writeTime = time.Minute
	}
	h.in = h.small[:]
	h.dec = hpack.NewDecoder(4096, h.emit)
	h.dec.SetMaxStringLength(h.maxHeaderList)
	h.serve()
}

func (h *h2conn) emit(f hpack.HeaderField) {
	h.listSize += int(f.Size())
	if h.listSize > h.maxHeaderList {
		h.tooBig = true
		return
	}
	h.fields = append(h.fields, f)
}

func (h *h2conn) serve() {
	defer h.closeAll()
	defer h.releaseReadBuf()
	if st := h.c.tls; st != nil && st.Version == tls.VersionTLS12 && !h2CipherAllowed(st.CipherSuite) {
		h.goAway(codeInadequateSecurity)
		return
	}
	// Our SETTINGS, and the connection window raised to h2ConnWindow.
	h.mu.Lock()
	h.out = appendFrameHeader(h.out, 18, frameSettings, 0, 0)
	h.out = appendSetting(h.out, settingMaxStreams, h2MaxStreams)
	h.out = appendSetting(h.out, settingInitialWindow, h2StreamWindow)
	h.out = appendSetting(h.out, settingMaxHeaderList, uint32(h.maxHeaderList))
	h.out = appendWindowUpdate(h.out, 0, h2ConnWindow-h2DefaultWindow)
	h.mu.Unlock()
	if h.flush() != nil {
		return
	}
	// The preface and the peer's SETTINGS, within the head deadline the
	// handshake set.
	for h.end < len(h2Preface)+h2FrameHeaderLen {
		n, err := h.nc.Read(h.in[h.end:])
		h.end += n
		if h.end >= len(h2Preface) && string(h.in[:len(h2Preface)]) != h2Preface ||
			h.end < len(h2Preface) && string(h.in[:h.end]) != h2Preface[:h.end] {
			h.goAway(codeProtocol)
			return
		}
		if err != nil {
			return
		}
	}
	if h.in[len(h2Preface)+3] != frameSettings {
		h.goAway(codeProtocol)
		return
	}
	h.start = len(h2Preface)
	h.received = time.Now()
	for {
		if err := h.frames(); err != nil {
			var ce connError
			if errors.As(err, &ce) {
				h.goAway(ce.code)
			}
			return
		}
		if h.flush() != nil {
			return
		}
		if h.s.closing.Load() && !h.goingAway {
			h.startGoAway()
			if h.flush() != nil {
				return
			}
		}
		if h.goingAway && h.drained() {
			return
		}
		h.compactReadBuf()
		// A header block (or a frame header) left incomplete must be
		// completed within ReadHeaderTimeout of its first bytes, as an
		// HTTP/1.1 head: a peer cannot hold the connection by trickling.
		if h.contID != 0 || h.start < h.end && (h.end-h.start < 4 || h.in[h.start+3] == frameHeaders || h.in[h.start+3] == frameContinuation) {
			if h.headStart.IsZero() {
				h.headStart = h.received
			}
		} else {
			h.headStart = time.Time{}
		}
		h.mu.Lock()
		idle := h.handlers == 0
		since := h.idleSince
		h.mu.Unlock()
		switch {
		case h.goingAway:
			// Draining: look again soon (a handler that finishes also
			// wakes the read: handlerDone).
			h.c.deadline = time.Now().Add(250 * time.Millisecond)
			h.nc.SetReadDeadline(h.c.deadline)
		case !h.headStart.IsZero() && h.s.ReadHeaderTimeout > 0:
			h.c.setDeadline(h.headStart.Add(h.s.ReadHeaderTimeout))
		case h.s.IdleTimeout > 0 && idle:
			// Idle from the last stream's start or end, whatever the peer
			// sends meanwhile (PINGs do not keep a connection).
			h.c.extendDeadline(since, h.s.IdleTimeout)
		case h.s.IdleTimeout > 0:
			h.c.extendDeadline(h.received, h.s.IdleTimeout)
		default:
			h.c.setDeadline(time.Time{}) // the handshake's is over
		}
		n, err := h.nc.Read(h.in[h.end:])
		h.received = time.Now()
		h.end += n
		if err != nil && n == 0 {
			if !isTimeout(err) {
				return
			}
			if h.s.closing.Load() || h.goingAway {
				continue // the loop above sends the GOAWAY, or waits for handlers
			}
			if !h.headStart.IsZero() && h.s.ReadHeaderTimeout > 0 && !h.received.Before(h.headStart.Add(h.s.ReadHeaderTimeout)) {
				h.goAway(codeEnhanceYourCalm) // a header block too slow
				return
			}
			if h.s.IdleTimeout <= 0 {
				continue
			}
			h.mu.Lock()
			idle := h.handlers == 0 && h.received.Sub(h.idleSince) >= h.s.IdleTimeout-time.Second
			h.mu.Unlock()
			if idle {
				h.goAway(codeNo)
				return
			}
			// A handler is running (or a stream started since): the loop
			// sets the next deadline.
			h.c.deadline = time.Time{}
		}
	}
}

// drained reports whether no stream needs the connection any more.
func (h *h2conn) drained() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.handlers == 0 && len(h.streams) == 0
}

// startGoAway tells the peer no stream after the last one it opened will
// be served (graceful shutdown); the loop goes on until the open ones end.
func (h *h2conn) startGoAway() {
	h.goingAway = true
	h.mu.Lock()
	h.wake = true
	h.out = appendGoAway(h.out, h.maxClientID, codeNo)
	h.mu.Unlock()
}

// h2CipherAllowed reports whether HTTP/2 may run over a TLS 1.2
// connection with cipher suite id: RFC 9113 section 9.2.2 prohibits the
// suites of its Appendix A, which leaves, of those Go's TLS server
// negotiates, the ephemeral ECDHE ones with an AEAD (GCM or ChaCha20-
// Poly1305); an endpoint may end a connection with another suite with
// INADEQUATE_SECURITY, as Go's own HTTP/2 server does.
func h2CipherAllowed(id uint16) bool {
	switch id {
	case tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:
		return true
	}
	return false
}

// goAway sends a GOAWAY with code and ends the connection.
func (h *h2conn) goAway(code h2Code) {
	h.mu.Lock()
	h.out = appendGoAway(h.out, h.maxClientID, code)
	h.mu.Unlock()
	h.flush()
	if code != codeNo {
		// Let the peer read the GOAWAY before the close (a RST would
		// discard it).
		closeWriteAndWait(h.nc)
	}
}

// closeAll ends every stream: handlers see their context cancelled and
// their writes fail.
func (h *h2conn) closeAll() {
	h.mu.Lock()
	h.closed = true
	for _, st := range h.streams {
		h.endStreamLocked(st, true)
	}
	close(h.windowCh)
	h.windowCh = nil
	h.mu.Unlock()
	h.nc.Close()
}

// flush writes the frames queued, in order, without holding mu (the read
// loop and handlers go on queueing meanwhile).
func (h *h2conn) flush() error {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	h.mu.Lock()
	buf := h.out
	h.out = h.spare[:0]
	h.spare = nil
	closed := h.closed
	h.mu.Unlock()
	var err error
	if len(buf) > 0 && !closed {
		if now := time.Now(); h.writeDL.Sub(now) < h.writeTime/2 {
			h.writeDL = now.Add(h.writeTime)
			h.nc.SetWriteDeadline(h.writeDL)
		}
		_, err = h.nc.Write(buf)
		if err != nil {
			h.nc.Close() // the read loop ends too
		}
	}
	if cap(buf) <= 2*flushSize {
		h.mu.Lock()
		if h.spare == nil {
			h.spare = buf[:0]
		}
		h.mu.Unlock()
	}
	return err
}

// frames handles every complete frame in the read buffer.
func (h *h2conn) frames() error {
	for h.end-h.start >= h2FrameHeaderLen {
		b := h.in[h.start:h.end]
		length := uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])
		if length > h2DefaultMaxFrameSize {
			return connError{codeFrameSize, "frame larger than SETTINGS_MAX_FRAME_SIZE"}
		}
		if len(b) < h2FrameHeaderLen+int(length) {
			return nil
		}
		typ, flags, id := b[3], b[4], binary.BigEndian.Uint32(b[5:9])&(1<<31-1)
		payload := b[h2FrameHeaderLen : h2FrameHeaderLen+length]
		h.start += h2FrameHeaderLen + int(length)
		if err := h.frame(typ, flags, id, payload); err != nil {
			return err
		}
		h.mu.Lock()
		over := len(h.out) > h2MaxOut
		h.mu.Unlock()
		if over {
			if h.flush() != nil {
				return errors.New("write failed")
			}
		}
	}
	return nil
}

func (h *h2conn) frame(typ, flags byte, id uint32, p []byte) error {
	if h.contID != 0 && typ != frameContinuation {
		return connError{codeProtocol, "frame between HEADERS and CONTINUATION"}
	}
	if !h.seenSettings {
		if typ != frameSettings || flags&flagAck != 0 {
			return connError{codeProtocol, "preface not followed by SETTINGS"}
		}
		h.seenSettings = true
	}
	if id%2 == 0 && id != 0 && typ <= frameContinuation && typ != framePriority && typ != frameSettings &&
		typ != framePing && typ != frameGoAway {
		// Even streams are the server's, and this one opens none: idle
		// for ever (RFC 9113 section 5.1.1).
		return connError{codeProtocol, "frame on a server stream"}
	}
	switch typ {
	case frameData:
		return h.data(flags, id, p)
	case frameHeaders:
		return h.headers(flags, id, p)
	case framePriority:
		if id == 0 {
			return connError{codeProtocol, "PRIORITY on stream 0"}
		}
		bad := codeNo
		if len(p) != 5 {
			bad = codeFrameSize
		} else if binary.BigEndian.Uint32(p)&(1<<31-1) == id {
			bad = codeProtocol // depends on itself
		}
		if bad != codeNo {
			if id%2 == 0 {
				return connError{bad, "bad PRIORITY on a server stream"}
			}
			h.resetStream(id, bad)
		}
		return nil
	case frameRSTStream:
		return h.rstStream(id, p)
	case frameSettings:
		return h.settings(flags, id, p)
	case framePushPromise:
		return connError{codeProtocol, "PUSH_PROMISE from a client"}
	case framePing:
		if id != 0 {
			return connError{codeProtocol, "PING on a stream"}
		}
		if len(p) != 8 {
			return connError{codeFrameSize, "PING length"}
		}
		if flags&flagAck == 0 {
			h.mu.Lock()
			over := len(h.out) > h2MaxOut
			h.out = appendFrameHeader(h.out, 8, framePing, flagAck, 0)
			h.out = append(h.out, p...)
			h.mu.Unlock()
			if over {
				return connError{codeEnhanceYourCalm, "PING flood"}
			}
		}
		return nil
	case frameGoAway:
		if id != 0 {
			return connError{codeProtocol, "GOAWAY on a stream"}
		}
		if len(p) < 8 {
			return connError{codeFrameSize, "GOAWAY length"}
		}
		h.goingAway = true // serve what is open, then close
		return nil
	case frameWindowUpdate:
		return h.windowUpdate(id, p)
	case frameContinuation:
		return h.continuation(flags, id, p)
	}
	return nil // unknown types are ignored
}

func (h *h2conn) settings(flags byte, id uint32, p []byte) error {
	if id != 0 {
		return connError{codeProtocol, "SETTINGS on a stream"}
	}
	if flags&flagAck != 0 {
		if len(p) != 0 {
			return connError{codeFrameSize, "SETTINGS ack with payload"}
		}
		return nil
	}
	if len(p)%6 != 0 {
		return connError{codeFrameSize, "SETTINGS length"}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	grew := false
	for ; len(p) > 0; p = p[6:] {
		v := binary.BigEndian.Uint32(p[2:6])
		switch binary.BigEndian.Uint16(p) {
		case settingEnablePush:
			if v > 1 {
				return connError{codeProtocol, "SETTINGS_ENABLE_PUSH"}
			}
		case settingInitialWindow:
			if v > maxWindow {
				return connError{codeFlowControl, "SETTINGS_INITIAL_WINDOW_SIZE"}
			}
			delta := int64(v) - h.peerInitWin
			h.peerInitWin = int64(v)
			for _, st := range h.streams {
				st.sendWin += delta
				if st.sendWin > maxWindow {
					return connError{codeFlowControl, "stream window overflow"}
				}
			}
			grew = grew || delta > 0
		case settingMaxFrameSize:
			if v < h2DefaultMaxFrameSize || v > h2MaxFrameSizeLimit {
				return connError{codeProtocol, "SETTINGS_MAX_FRAME_SIZE"}
			}
			h.peerMaxFrame = v
		}
		// SETTINGS_HEADER_TABLE_SIZE: the encoder uses no dynamic
		// table (hpack.go); SETTINGS_MAX_HEADER_LIST_SIZE is advisory.
	}
	if len(h.out) > h2MaxOut {
		return connError{codeEnhanceYourCalm, "SETTINGS flood"}
	}
	h.out = appendFrameHeader(h.out, 0, frameSettings, flagAck, 0)
	if grew {
		h.windowGrewLocked() // after the ACK: the peer applies its settings first
	}
	return nil
}

func (h *h2conn) windowUpdate(id uint32, p []byte) error {
	if len(p) != 4 {
		return connError{codeFrameSize, "WINDOW_UPDATE length"}
	}
	inc := int64(binary.BigEndian.Uint32(p) & (1<<31 - 1))
	h.mu.Lock()
	defer h.mu.Unlock()
	if id == 0 {
		if inc == 0 {
			return connError{codeProtocol, "WINDOW_UPDATE of 0"}
		}
		h.connSendWin += inc
		if h.connSendWin > maxWindow {
			return connError{codeFlowControl, "connection window overflow"}
		}
		h.windowGrewLocked()
		return nil
	}
	st := h.streams[id]
	if st == nil {
		if id > h.maxClientID {
			return connError{codeProtocol, "WINDOW_UPDATE on an idle stream"}
		}
		if inc == 0 {
			h.out = appendRSTStream(h.out, id, codeProtocol)
		}
		return nil // a closed stream: frames may still be in flight
	}
	if inc == 0 {
		h.resetLocked(st, codeProtocol)
		return nil
	}
	st.sendWin += inc
	if st.sendWin > maxWindow {
		h.resetLocked(st, codeFlowControl)
		return nil
	}
	h.windowGrewLocked()
	return nil
}

// windowGrewLocked wakes the handlers waiting for window and sends the
// queued bodies of fast hits.
func (h *h2conn) windowGrewLocked() {
	h.wakeWritersLocked()
	for _, st := range h.streams {
		if st.pending != nil {
			h.sendPendingLocked(st)
		}
	}
}

func (h *h2conn) rstStream(id uint32, p []byte) error {
	if id == 0 {
		return connError{codeProtocol, "RST_STREAM on stream 0"}
	}
	if len(p) != 4 {
		return connError{codeFrameSize, "RST_STREAM length"}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.streams[id]
	if st == nil {
		if id > h.maxClientID {
			return connError{codeProtocol, "RST_STREAM on an idle stream"}
		}
		return nil
	}
	if st.handler {
		// Rapid reset (CVE-2023-44487): a handler is running for it.
		h.resetTokens--
		if h.resetTokens < 0 {
			return connError{codeEnhanceYourCalm, "too many streams reset"}
		}
	}
	st.peerReset = true
	h.endStreamLocked(st, true)
	return nil
}

// resetStream sends RST_STREAM for id (which may be closed or unknown).
func (h *h2conn) resetStream(id uint32, code h2Code) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if st := h.streams[id]; st != nil {
		h.resetLocked(st, code)
		return
	}
	h.out = appendRSTStream(h.out, id, code)
	h.noteResetLocked(id)
}

func (h *h2conn) resetLocked(st *h2stream, code h2Code) {
	if !st.reset {
		h.out = appendRSTStream(h.out, st.id, code)
		if !st.remoteDone {
			h.noteResetLocked(st.id)
		}
	}
	h.endStreamLocked(st, true)
}

// noteResetLocked remembers a stream this server reset while the peer
// could still send on it: its frames in flight are then ignored (RFC 9113
// section 5.4.2), not answered with STREAM_CLOSED.
func (h *h2conn) noteResetLocked(id uint32) {
	h.resetIDs[h.resetNext%uint32(len(h.resetIDs))] = id
	h.resetNext++
}

func (h *h2conn) recentlyResetLocked(id uint32) bool {
	for _, r := range h.resetIDs {
		if r == id {
			return true
		}
	}
	return false
}

// endStreamLocked ends both sides of st if reset, else checks whether both
// are done; a finished stream leaves the map when no handler runs it.
func (h *h2conn) endStreamLocked(st *h2stream, reset bool) {
	if reset {
		st.reset, st.remoteDone, st.localDone = true, true, true
		st.pending = nil
		if st.cancel != nil {
			st.cancel()
		}
		if st.body != nil {
			h.dropBodyLocked(st)
			st.body.closeLocked(errStreamReset)
		}
		h.wakeWritersLocked()
	}
	if st.remoteDone && st.localDone && !st.handler {
		if st.body != nil {
			h.dropBodyLocked(st)
		}
		delete(h.streams, st.id)
	}
}

// dropBodyLocked gives back the connection window of body bytes the
// handler will not read (its stream ended, or it returned).
func (h *h2conn) dropBodyLocked(st *h2stream) {
	if n := len(st.body.buf); n > 0 {
		h.creditConnLocked(int64(n))
		st.body.buf = nil
	}
}

// wakeWritersLocked wakes the handlers waiting for send window.
func (h *h2conn) wakeWritersLocked() {
	if h.windowCh != nil && h.windowWait {
		close(h.windowCh)
		h.windowCh = make(chan struct{})
		h.windowWait = false
	}
}

var errStreamReset = errors.New("http2: stream reset")

func (h *h2conn) data(flags byte, id uint32, p []byte) error {
	if id == 0 {
		return connError{codeProtocol, "DATA on stream 0"}
	}
	size := int64(len(p))
	data, err := unpad(flags, p)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if size > h.recvConnWin {
		return connError{codeFlowControl, "DATA beyond the connection window"}
	}
	h.recvConnWin -= size
	st := h.streams[id]
	if st == nil && id > h.maxClientID {
		return connError{codeProtocol, "DATA on an idle stream"}
	}
	if st == nil || st.remoteDone {
		// A closed or half-closed (remote) stream: STREAM_CLOSED (RFC 9113
		// section 5.1), but for DATA still in flight after our own
		// RST_STREAM, which is ignored.
		h.creditConnLocked(size)
		if st == nil && h.recentlyResetLocked(id) {
			return nil
		}
		if st == nil || st.peerReset {
			h.out = appendRSTStream(h.out, id, codeStreamClosed)
		} else if !st.reset {
			h.resetLocked(st, codeStreamClosed)
		}
		return nil
	}
	if size > st.recvWin {
		h.creditConnLocked(size)
		h.resetLocked(st, codeFlowControl)
		return nil
	}
	st.recvWin -= size
	// Padding is given back at once; the data when the handler reads it.
	if pad := size - int64(len(data)); pad > 0 {
		h.creditConnLocked(pad)
		st.recvWin += pad
		h.out = appendWindowUpdate(h.out, id, uint32(pad))
	}
	st.received += int64(len(data))
	end := flags&flagEndStream != 0
	if st.declared >= 0 && (st.received > st.declared || end && st.received != st.declared) {
		h.creditConnLocked(int64(len(data)))
		h.resetLocked(st, codeProtocol) // Content-Length does not match (RFC 9113 section 8.1.1)
		return nil
	}
	if st.body != nil && st.body.done {
		// The handler closed the body: what comes is dropped, and its
		// window given back at once (it would hold the connection's).
		h.creditConnLocked(int64(len(data)))
		st.recvWin += int64(len(data))
		if !end && len(data) > 0 {
			h.out = appendWindowUpdate(h.out, id, uint32(len(data)))
		}
	} else if st.body != nil {
		st.body.buf = append(st.body.buf, data...)
		if end {
			st.body.closeLocked(nil)
		}
		st.body.signal()
	}
	if end {
		st.remoteDone = true
		h.endStreamLocked(st, false)
	}
	return nil
}

// creditConnLocked gives n bytes of connection window back to the peer
// (batched: a WINDOW_UPDATE when a quarter of the window is owed).
func (h *h2conn) creditConnLocked(n int64) {
	h.connUnacked += n
	if h.connUnacked >= h2ConnWindow/4 {
		h.out = appendWindowUpdate(h.out, 0, uint32(h.connUnacked))
		h.recvConnWin += h.connUnacked
		h.connUnacked = 0
	}
}

func unpad(flags byte, p []byte) ([]byte, error) {
	if flags&flagPadded == 0 {
		return p, nil
	}
	if len(p) == 0 || int(p[0]) >= len(p) {
		return nil, connError{codeProtocol, "padding longer than the frame"}
	}
	return p[1 : len(p)-int(p[0])], nil
}

func (h *h2conn) headers(flags byte, id uint32, p []byte) error {
	if id == 0 || id%2 == 0 {
		return connError{codeProtocol, "HEADERS on stream 0 or a server stream id"}
	}
	block, err := unpad(flags, p)
	if err != nil {
		return err
	}
	h.contBad = false
	if flags&flagPriority != 0 {
		if len(block) < 5 {
			return connError{codeFrameSize, "HEADERS priority fields"}
		}
		if binary.BigEndian.Uint32(block)&(1<<31-1) == id {
			h.contBad = true // a stream error, after the block is decoded
		}
		block = block[5:]
	}
	h.fields, h.listSize, h.tooBig, h.blockRead = h.fields[:0], 0, false, 0
	h.contEndStream = flags&flagEndStream != 0
	if err := h.headerFragment(block); err != nil {
		return err
	}
	if flags&flagEndHeaders == 0 {
		h.contID = id
		return nil
	}
	return h.headerBlock(id)
}

func (h *h2conn) continuation(flags byte, id uint32, p []byte) error {
	if h.contID == 0 || id != h.contID {
		return connError{codeProtocol, "CONTINUATION without HEADERS"}
	}
	if err := h.headerFragment(p); err != nil {
		return err
	}
	if flags&flagEndHeaders == 0 {
		return nil
	}
	h.contID = 0
	return h.headerBlock(id)
}

// headerFragment decodes a fragment of a header block as it arrives, so
// that a CONTINUATION flood costs no memory; a block far over the header
// list limit ends the connection.
func (h *h2conn) headerFragment(p []byte) error {
	h.blockRead += len(p)
	if h.blockRead > 2*h.maxHeaderList {
		return connError{codeEnhanceYourCalm, "header block too large"}
	}
	if _, err := h.dec.Write(p); err != nil {
		return connError{codeCompression, err.Error()}
	}
	return nil
}

// headerBlock handles a complete header block on stream id.
func (h *h2conn) headerBlock(id uint32) error {
	if err := h.dec.Close(); err != nil {
		return connError{codeCompression, err.Error()}
	}
	endStream := h.contEndStream
	h.mu.Lock()
	st := h.streams[id]
	if st != nil {
		// Trailers (RFC 9113 section 8.1): they end the stream.
		defer h.mu.Unlock()
		if st.peerReset {
			h.out = appendRSTStream(h.out, id, codeStreamClosed)
			return nil
		}
		if st.remoteDone {
			h.resetLocked(st, codeStreamClosed)
			return nil
		}
		if !endStream || h.contBad || h.tooBig || !validTrailers(h.fields) {
			h.resetLocked(st, codeProtocol)
			return nil
		}
		if st.declared >= 0 && st.received != st.declared {
			h.resetLocked(st, codeProtocol)
			return nil
		}
		if st.req != nil && st.body != nil {
			if st.req.Trailer == nil {
				st.req.Trailer = http.Header{}
			}
			for _, f := range h.fields {
				st.req.Trailer.Add(http.CanonicalHeaderKey(f.Name), f.Value)
			}
			st.body.closeLocked(nil)
			st.body.signal()
		}
		st.remoteDone = true
		h.endStreamLocked(st, false)
		return nil
	}
	if id <= h.maxClientID {
		// A new stream must have a higher id than every stream the
		// client opened before: an unexpected id is a connection error
		// of type PROTOCOL_ERROR (RFC 9113 section 5.1.1), as net/http
		// and nginx answer it, whether the id was used before or skipped.
		h.mu.Unlock()
		return connError{codeProtocol, "HEADERS with a stream id not above the last"}
	}
	h.maxClientID = id
	if h.goingAway {
		h.mu.Unlock()
		return nil // after our GOAWAY: not served
	}
	if len(h.streams) >= h2MaxStreams {
		// Past SETTINGS_MAX_CONCURRENT_STREAMS: refused, and counted
		// with the resets (a rapid reset flood ends up here once the
		// handlers it started fill the limit).
		h.out = appendRSTStream(h.out, id, codeRefusedStream)
		h.noteResetLocked(id)
		h.resetTokens--
		calm := h.resetTokens < 0
		h.mu.Unlock()
		if calm {
			return connError{codeEnhanceYourCalm, "too many streams refused or reset"}
		}
		return nil
	}
	h.idleSince = h.received
	h.mu.Unlock()
	if h.contBad {
		h.resetStream(id, codeProtocol)
		return nil
	}
	var rh requestHeaders
	if !rh.parse(h.fields) {
		h.resetStream(id, codeProtocol)
		return nil
	}
	if endStream && rh.contentLength > 0 {
		// The HEADERS end the stream: no DATA follows, so a
		// content-length above 0 differs from the payload and the
		// request is malformed (RFC 9113 section 8.1.1).
		h.resetStream(id, codeProtocol)
		return nil
	}
	if h.tooBig {
		h.answerStatus(id, http.StatusRequestHeaderFieldsTooLarge, endStream)
		return nil
	}
	if endStream && h.serveFast(id, &rh) {
		return nil
	}
	h.startHandler(id, &rh, endStream)
	return nil
}

// answerStatus answers stream id with a bare status (the request is not
// read further).
func (h *h2conn) answerStatus(id uint32, status int, remoteDone bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hdrBuf = appendStatus(h.hdrBuf[:0], status)
	h.hdrBuf = appendHPACK(h.hdrBuf, "content-length", "0")
	h.out = h.appendHeadersLocked(h.out, id, h.hdrBuf, true)
	if !remoteDone {
		h.out = appendRSTStream(h.out, id, codeNo)
		h.noteResetLocked(id)
	}
}

// appendHeadersLocked appends a header block as HEADERS and, past the
// peer's frame size, CONTINUATION frames.
func (h *h2conn) appendHeadersLocked(dst []byte, id uint32, block []byte, endStream bool) []byte {
	flags := byte(0)
	if endStream {
		flags |= flagEndStream
	}
	typ := byte(frameHeaders)
	for {
		n := min(len(block), int(h.peerMaxFrame))
		f := flags
		if n == len(block) {
			f |= flagEndHeaders
		}
		dst = appendFrameHeader(dst, n, typ, f, id)
		dst = append(dst, block[:n]...)
		block = block[n:]
		if len(block) == 0 {
			return dst
		}
		typ, flags = frameContinuation, 0
	}
}

// appendDataLocked appends as much of body as the windows allow, as DATA
// frames; it returns what is left.
func (h *h2conn) appendDataLocked(st *h2stream, body []byte, endStream bool) []byte {
	return h.appendDataWinLocked(st.id, &st.sendWin, body, endStream)
}

// appendDataWinLocked is appendDataLocked for stream id whose send window
// is *win (a fast hit has no h2stream unless it must wait).
func (h *h2conn) appendDataWinLocked(id uint32, win *int64, body []byte, endStream bool) []byte {
	if len(body) == 0 && !endStream {
		return nil
	}
	for {
		n := int64(len(body))
		n = min(n, *win, h.connSendWin, int64(h.peerMaxFrame))
		if n < 0 {
			n = 0
		}
		if n == 0 && len(body) > 0 {
			return body
		}
		flags := byte(0)
		if endStream && int(n) == len(body) {
			flags = flagEndStream
		}
		h.out = appendFrameHeader(h.out, int(n), frameData, flags, id)
		h.out = append(h.out, body[:n]...)
		*win -= n
		h.connSendWin -= n
		body = body[n:]
		if len(body) == 0 {
			return nil
		}
	}
}

func (h *h2conn) sendPendingLocked(st *h2stream) {
	rest := h.appendDataLocked(st, st.pending, true)
	st.pending = rest
	if rest == nil {
		st.localDone = true
		h.endStreamLocked(st, false)
	}
}

// Frame writers.

func appendFrameHeader(dst []byte, length int, typ, flags byte, id uint32) []byte {
	return append(dst, byte(length>>16), byte(length>>8), byte(length), typ, flags,
		byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
}

func appendSetting(dst []byte, id uint16, v uint32) []byte {
	return append(dst, byte(id>>8), byte(id), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendWindowUpdate(dst []byte, id, inc uint32) []byte {
	dst = appendFrameHeader(dst, 4, frameWindowUpdate, 0, id)
	return binary.BigEndian.AppendUint32(dst, inc)
}

func appendRSTStream(dst []byte, id uint32, code h2Code) []byte {
	dst = appendFrameHeader(dst, 4, frameRSTStream, 0, id)
	return binary.BigEndian.AppendUint32(dst, uint32(code))
}

func appendGoAway(dst []byte, last uint32, code h2Code) []byte {
	dst = appendFrameHeader(dst, 8, frameGoAway, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, last)
	return binary.BigEndian.AppendUint32(dst, uint32(code))
}
