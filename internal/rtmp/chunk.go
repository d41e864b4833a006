package rtmp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// RTMP message type ids (RTMP specification §5.4, §7.1).
const (
	msgSetChunkSize     = 1
	msgAbort            = 2
	msgAck              = 3
	msgUserControl      = 4
	msgWindowAckSize    = 5
	msgSetPeerBandwidth = 6
	msgAudio            = 8
	msgVideo            = 9
	msgDataAMF3         = 15
	msgCommandAMF3      = 17
	msgDataAMF0         = 18
	msgCommandAMF0      = 20
	msgAggregate        = 22
)

// User control event types (RTMP specification §7.1.7).
const (
	ucStreamBegin      = 0
	ucStreamEOF        = 1
	ucStreamDry        = 2
	ucSetBufferLength  = 3
	ucStreamIsRecorded = 4
	ucPingRequest      = 6
	ucPingResponse     = 7
)

// Limits of the chunk reader. A viewer only sends commands and control
// messages, so these are generous for players and small for attackers.
const (
	// maxInMessage is the largest message a peer may send us.
	maxInMessage = 256 << 10
	// maxInPending bounds the bytes buffered across all partially received
	// messages of one connection.
	maxInPending = 1 << 20
	// maxInChunkStreams bounds the chunk streams a peer may open.
	maxInChunkStreams = 64
	// maxInChunkSize caps the chunk size a peer may announce (the field is
	// 31 bits); larger values are clamped, which only changes how much is
	// read per chunk, never how much is allocated.
	maxInChunkSize = 1 << 24
	// defaultChunkSize is the chunk size both directions start with.
	defaultChunkSize = 128
)

// Errors of the chunk layer.
var (
	errChunkProtocol = errors.New("rtmp: chunk stream protocol error")
	errTooLarge      = errors.New("rtmp: message too large")
)

// message is one RTMP message.
type message struct {
	csid      uint32
	typ       uint8
	streamID  uint32
	timestamp uint32 // milliseconds
	payload   []byte
}

// chunkReader reassembles messages from the chunk stream (RTMP
// specification §5.3). It allocates only as payload bytes actually arrive, never from lengths
// announced on the wire.
type chunkReader struct {
	r         *bufio.Reader
	chunkSize uint32
	streams   map[uint32]*inStream
	pending   int   // bytes buffered in partial messages
	read      int64 // bytes consumed, for acknowledgements
	hdr       [16]byte
}

// inStream is the header state of one inbound chunk stream.
type inStream struct {
	started   bool
	typ       uint8
	streamID  uint32
	length    uint32
	timestamp uint32
	delta     uint32
	extended  bool
	buf       []byte // payload received so far
}

func newChunkReader(r *bufio.Reader) *chunkReader {
	return &chunkReader{r: r, chunkSize: defaultChunkSize, streams: map[uint32]*inStream{}}
}

func (cr *chunkReader) readFull(p []byte) error {
	n, err := io.ReadFull(cr.r, p)
	cr.read += int64(n)
	return err
}

// setChunkSize applies a peer's Set Chunk Size message.
func (cr *chunkReader) setChunkSize(n uint32) error {
	n &= 0x7fffffff
	if n == 0 {
		return fmt.Errorf("%w: chunk size 0", errChunkProtocol)
	}
	cr.chunkSize = min(n, maxInChunkSize)
	return nil
}

// abort discards a partially received message (Abort Message, RTMP specification §5.4.2).
func (cr *chunkReader) abort(csid uint32) {
	if s := cr.streams[csid]; s != nil {
		cr.pending -= len(s.buf)
		s.buf = nil
	}
}

// readMessage returns the next complete message. Protocol control
// messages are returned like any other; the caller applies them.
func (cr *chunkReader) readMessage() (*message, error) {
	for {
		m, err := cr.readChunk()
		if err != nil || m != nil {
			return m, err
		}
	}
}

// readChunk reads one chunk and returns a message when it completes one.
func (cr *chunkReader) readChunk() (*message, error) {
	// Basic header (RTMP specification §5.3.1.1): fmt in the top two bits,
	// csid in 6, 14 or 22 bits.
	if err := cr.readFull(cr.hdr[:1]); err != nil {
		return nil, err
	}
	format := cr.hdr[0] >> 6
	csid := uint32(cr.hdr[0] & 0x3f)
	switch csid {
	case 0:
		if err := cr.readFull(cr.hdr[:1]); err != nil {
			return nil, err
		}
		csid = 64 + uint32(cr.hdr[0])
	case 1:
		if err := cr.readFull(cr.hdr[:2]); err != nil {
			return nil, err
		}
		csid = 64 + uint32(cr.hdr[0]) + uint32(cr.hdr[1])*256
	}
	s := cr.streams[csid]
	if s == nil {
		if len(cr.streams) >= maxInChunkStreams {
			return nil, fmt.Errorf("%w: more than %d chunk streams", errChunkProtocol, maxInChunkStreams)
		}
		s = &inStream{}
		cr.streams[csid] = s
	}
	// Message header (RTMP specification §5.3.1.2).
	switch format {
	case 0:
		if err := cr.readFull(cr.hdr[:11]); err != nil {
			return nil, err
		}
		if len(s.buf) > 0 {
			return nil, fmt.Errorf("%w: new message header inside a message", errChunkProtocol)
		}
		s.timestamp = be24(cr.hdr[0:])
		s.length = be24(cr.hdr[3:])
		s.typ = cr.hdr[6]
		s.streamID = binary.LittleEndian.Uint32(cr.hdr[7:])
		s.delta = 0
		s.extended = s.timestamp == 0xffffff
		if s.extended {
			if err := cr.readFull(cr.hdr[:4]); err != nil {
				return nil, err
			}
			s.timestamp = binary.BigEndian.Uint32(cr.hdr[:4])
		}
		s.started = true
	case 1, 2:
		n := 7
		if format == 2 {
			n = 3
		}
		if err := cr.readFull(cr.hdr[:n]); err != nil {
			return nil, err
		}
		if !s.started {
			return nil, fmt.Errorf("%w: type %d chunk without a previous header", errChunkProtocol, format)
		}
		if len(s.buf) > 0 {
			return nil, fmt.Errorf("%w: new message header inside a message", errChunkProtocol)
		}
		s.delta = be24(cr.hdr[0:])
		if format == 1 {
			s.length = be24(cr.hdr[3:])
			s.typ = cr.hdr[6]
		}
		s.extended = s.delta == 0xffffff
		if s.extended {
			if err := cr.readFull(cr.hdr[:4]); err != nil {
				return nil, err
			}
			s.delta = binary.BigEndian.Uint32(cr.hdr[:4])
		}
		s.timestamp += s.delta
	case 3:
		if !s.started {
			return nil, fmt.Errorf("%w: type 3 chunk without a previous header", errChunkProtocol)
		}
		if s.extended {
			// The extended timestamp is repeated on type 3 chunks.
			if err := cr.readFull(cr.hdr[:4]); err != nil {
				return nil, err
			}
		}
		if len(s.buf) == 0 {
			// A type 3 chunk starting a new message repeats the delta.
			s.timestamp += s.delta
		}
	}
	if s.length > maxInMessage {
		return nil, fmt.Errorf("%w: %d bytes", errTooLarge, s.length)
	}
	want := min(s.length-uint32(len(s.buf)), cr.chunkSize)
	if cr.pending+int(want) > maxInPending {
		return nil, fmt.Errorf("%w: %d bytes pending", errTooLarge, cr.pending+int(want))
	}
	// Grow by what is actually read, in bounded steps.
	for want > 0 {
		step := min(want, 32<<10)
		off := len(s.buf)
		s.buf = append(s.buf, make([]byte, step)...)
		if err := cr.readFull(s.buf[off:]); err != nil {
			return nil, err
		}
		cr.pending += int(step)
		want -= step
	}
	if uint32(len(s.buf)) < s.length {
		return nil, nil
	}
	m := &message{csid: csid, typ: s.typ, streamID: s.streamID, timestamp: s.timestamp, payload: s.buf}
	cr.pending -= len(s.buf)
	s.buf = nil
	return m, nil
}

func be24(b []byte) uint32 { return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]) }

func putBE24(b []byte, v uint32) { b[0], b[1], b[2] = byte(v>>16), byte(v>>8), byte(v) }

// chunkWriter splits messages into chunks. Every message starts with a
// type 0 header (simple, and always correct); continuation chunks use
// type 3.
type chunkWriter struct {
	w         *bufio.Writer
	chunkSize uint32
	written   int64
	hdr       [18]byte
}

func newChunkWriter(w *bufio.Writer) *chunkWriter {
	return &chunkWriter{w: w, chunkSize: defaultChunkSize}
}

// basicHeader encodes the fmt/csid byte(s) into b and returns the length.
func basicHeader(b []byte, format uint8, csid uint32) int {
	switch {
	case csid < 64:
		b[0] = format<<6 | byte(csid)
		return 1
	case csid < 64+256:
		b[0] = format << 6
		b[1] = byte(csid - 64)
		return 2
	default:
		b[0] = format<<6 | 1
		b[1] = byte((csid - 64) & 0xff)
		b[2] = byte((csid - 64) >> 8)
		return 3
	}
}

func (cw *chunkWriter) writeMessage(m *message) error {
	n := basicHeader(cw.hdr[:], 0, m.csid)
	h := cw.hdr[n:]
	extended := m.timestamp >= 0xffffff
	if extended {
		putBE24(h[0:], 0xffffff)
	} else {
		putBE24(h[0:], m.timestamp)
	}
	putBE24(h[3:], uint32(len(m.payload)))
	h[6] = m.typ
	binary.LittleEndian.PutUint32(h[7:], m.streamID)
	n += 11
	if extended {
		binary.BigEndian.PutUint32(cw.hdr[n:], m.timestamp)
		n += 4
	}
	if err := cw.write(cw.hdr[:n]); err != nil {
		return err
	}
	p := m.payload
	for {
		k := min(uint32(len(p)), cw.chunkSize)
		if err := cw.write(p[:k]); err != nil {
			return err
		}
		p = p[k:]
		if len(p) == 0 {
			return nil
		}
		n := basicHeader(cw.hdr[:], 3, m.csid)
		if extended {
			binary.BigEndian.PutUint32(cw.hdr[n:], m.timestamp)
			n += 4
		}
		if err := cw.write(cw.hdr[:n]); err != nil {
			return err
		}
	}
}

func (cw *chunkWriter) write(p []byte) error {
	n, err := cw.w.Write(p)
	cw.written += int64(n)
	return err
}
