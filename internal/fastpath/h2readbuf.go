package fastpath

import "sync"

// An HTTP/2 connection's read buffer is held only while it holds bytes.
// Browsers keep connections open and idle for minutes; a 64 KiB buffer
// each would cost an operator 640 MiB per 10,000 idle viewers (and let
// endless slow connections cost that much). So when every frame read has
// been handled, the 64 KiB buffer goes back to h2ReadBufPool and the next
// read lands in the connection's own small array: the frames of a small
// burst (a browser's next request, h2load -m16's batch of HEADERS) are
// handled from there; a frame that does not fit, or a burst that fills
// the array, moves with what follows to a pooled buffer. Over TLS the
// small read costs no system call (crypto/tls holds the record it
// decrypted); over plain TCP (benchmarks only: the edge serves HTTP/2 over
// TLS) a burst larger than the array takes one more read.
//
// Lifetime: frame payloads are slices of in, but nothing keeps one past
// the frame's handling: DATA is copied into the request body, header
// block fragments are decoded as they arrive (the HPACK decoder copies
// what it keeps), PING payloads are copied into the answer. So the buffer
// can go back to the pool as soon as start == end.

// h2SmallReadSize is the idle read's size: the HEADERS frames of a burst
// of requests (a browser's are about 50 to 100 bytes each; h2load -m100's
// 1.4 KiB). A burst that does not fit is handled in two reads, and its
// answers go out in two writes: with 1 KiB, bursts of 100 requests were
// 5 to 8% slower per request (BenchmarkH2Hits1KiBBurst100/pad0,
// BenchmarkH2Hits1KiBTLS/m100); with 4 KiB they are as fast as with the
// 64 KiB buffer, for 3 KiB more per idle connection.
const h2SmallReadSize = 4 << 10

// h2ReadBufPool holds read buffers of connections that have none of
// their frames unhandled; a pointer to an array, so Put does not allocate.
var h2ReadBufPool = sync.Pool{New: func() any { return new([h2ReadBufSize]byte) }}

// compactReadBuf moves the bytes not yet handled to the start of the
// buffer, before the next read: an empty buffer goes back to the pool;
// the bytes of a frame larger than the small array, or a read that
// filled the array (more is likely waiting), move to a pooled one.
func (h *h2conn) compactReadBuf() {
	full := h.big == nil && h.end == len(h.small)
	if h.start == h.end && !full {
		h.start, h.end = 0, 0
		h.releaseReadBuf()
		return
	}
	if h.big == nil && (full || h.pendingFrameLen() > len(h.small)) {
		h.big = h2ReadBufPool.Get().(*[h2ReadBufSize]byte)
		h.end = copy(h.big[:], h.in[h.start:h.end])
		h.start = 0
		h.in = h.big[:]
		return
	}
	if h.start > 0 {
		h.end = copy(h.in, h.in[h.start:h.end])
		h.start = 0
	}
}

// pendingFrameLen is the size of the frame whose first bytes are
// in[start:end], or of its header while its length is not read yet
// (frames checks the length against the maximum as soon as it has the
// header).
func (h *h2conn) pendingFrameLen() int {
	b := h.in[h.start:h.end]
	if len(b) < 3 {
		return h2FrameHeaderLen
	}
	return h2FrameHeaderLen + (int(b[0])<<16 | int(b[1])<<8 | int(b[2]))
}

// releaseReadBuf gives the pooled buffer back; reads go to the small
// array again. Only when no byte of it is left to handle.
func (h *h2conn) releaseReadBuf() {
	if h.big != nil {
		h2ReadBufPool.Put(h.big)
		h.big = nil
	}
	h.in = h.small[:]
}
