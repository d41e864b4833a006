package rtmp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"reflect"
	"testing"
)

func TestAMF_roundTrip(t *testing.T) {
	in := []any{
		"connect", 1.0, nil, true, false, "",
		Object{{"app", "cfx/st"}, {"tcUrl", "rtmp://s1.example/cfx/st"}, {"n", 3.5}, {"nested", Object{{"a", nil}}}},
		ECMAArray{{"duration", 4.0}, {"width", 320.0}},
		[]any{1.0, "x", Object{}},
	}
	b := appendAMF(nil, in...)
	out, err := decodeAMF(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n in %#v\nout %#v", in, out)
	}
}

func TestAMF_longString(t *testing.T) {
	s := string(bytes.Repeat([]byte("a"), math.MaxUint16+10))
	out, err := decodeAMF(appendAMF(nil, s))
	if err != nil || len(out) != 1 || out[0] != s {
		t.Fatalf("long string: err %v", err)
	}
}

func TestAMF_malformed(t *testing.T) {
	for name, b := range map[string][]byte{
		"short number":         {amfNumber, 1, 2},
		"string past end":      {amfString, 0xff, 0xff, 'a'},
		"long string past end": {amfLongString, 0xff, 0xff, 0xff, 0xff},
		"object without end":   {amfObject, 0, 1, 'a', amfNull},
		"unknown marker":       {0x42},
		"huge strict array":    {amfStrictArray, 0xff, 0xff, 0xff, 0xff, amfNull},
		"deep nesting":         bytes.Repeat([]byte{amfStrictArray, 0, 0, 0, 1}, 100),
	} {
		if _, err := decodeAMF(b); !errors.Is(err, errAMF) {
			t.Errorf("%s: err = %v, want errAMF", name, err)
		}
	}
}

func FuzzDecodeAMF(f *testing.F) {
	f.Add(appendAMF(nil, "connect", 1.0, Object{{"app", "cfx/st"}, {"tcUrl", "rtmp://h/cfx/st"}}))
	f.Add(appendAMF(nil, "onMetaData", ECMAArray{{"duration", 1.0}}, []any{1.0, true}))
	f.Add([]byte{amfStrictArray, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		vals, err := decodeAMF(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to something that decodes the same.
		again, err := decodeAMF(appendAMF(nil, vals...))
		if err != nil {
			t.Fatalf("re-encoded value does not decode: %v", err)
		}
		if len(again) != len(vals) {
			t.Fatalf("re-decoded %d values, want %d", len(again), len(vals))
		}
	})
}

// chunkBytes encodes messages with the writer at the given chunk size.
func chunkBytes(t testing.TB, chunkSize uint32, msgs ...*message) []byte {
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	cw := newChunkWriter(bw)
	cw.chunkSize = chunkSize
	for _, m := range msgs {
		if err := cw.writeMessage(m); err != nil {
			t.Fatal(err)
		}
	}
	bw.Flush()
	return buf.Bytes()
}

func TestChunk_roundTrip(t *testing.T) {
	msgs := []*message{
		{csid: 3, typ: msgCommandAMF0, streamID: 0, timestamp: 0, payload: appendAMF(nil, "connect", 1.0)},
		{csid: 6, typ: msgAudio, streamID: 1, timestamp: 1000, payload: bytes.Repeat([]byte{1}, 300)},
		{csid: 7, typ: msgVideo, streamID: 1, timestamp: 0xffffff + 5, payload: bytes.Repeat([]byte{2}, 1000)},
		{csid: 70, typ: msgVideo, streamID: 1, timestamp: 7, payload: []byte{}},
		{csid: 400, typ: msgDataAMF0, streamID: 1, timestamp: 8, payload: []byte("x")},
	}
	for _, size := range []uint32{1, 128, 4096} {
		data := chunkBytes(t, size, msgs...)
		cr := newChunkReader(bufio.NewReader(bytes.NewReader(data)))
		cr.chunkSize = size
		for i, want := range msgs {
			got, err := cr.readMessage()
			if err != nil {
				t.Fatalf("chunk size %d, message %d: %v", size, i, err)
			}
			if got.csid != want.csid || got.typ != want.typ || got.streamID != want.streamID || got.timestamp != want.timestamp || !bytes.Equal(got.payload, want.payload) {
				t.Fatalf("chunk size %d, message %d: got %+v want %+v", size, i, got, want)
			}
		}
		if _, err := cr.readMessage(); err != io.EOF {
			t.Fatalf("after last message: %v, want EOF", err)
		}
		if cr.pending != 0 {
			t.Fatalf("pending = %d after complete messages", cr.pending)
		}
	}
}

func TestChunk_typeHeaders(t *testing.T) {
	// fmt 0 (ts 100), fmt 1 (delta 10, new length/type), fmt 2 (delta 5),
	// fmt 3 (repeats delta 5): as ffmpeg and Flash compress headers.
	var b []byte
	b = append(b, 0x03, 0, 0, 100, 0, 0, 2, msgCommandAMF0, 1, 0, 0, 0, 'a', 'b')
	b = append(b, 0x43, 0, 0, 10, 0, 0, 1, msgDataAMF0, 'c')
	b = append(b, 0x83, 0, 0, 5, 'd')
	b = append(b, 0xc3, 'e')
	cr := newChunkReader(bufio.NewReader(bytes.NewReader(b)))
	want := []struct {
		ts      uint32
		typ     uint8
		payload string
	}{{100, msgCommandAMF0, "ab"}, {110, msgDataAMF0, "c"}, {115, msgDataAMF0, "d"}, {120, msgDataAMF0, "e"}}
	for i, w := range want {
		m, err := cr.readMessage()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if m.timestamp != w.ts || m.typ != w.typ || string(m.payload) != w.payload || m.streamID != 1 {
			t.Fatalf("message %d: got ts %d type %d %q stream %d", i, m.timestamp, m.typ, m.payload, m.streamID)
		}
	}
}

func TestChunk_limits(t *testing.T) {
	t.Run("huge declared length", func(t *testing.T) {
		b := []byte{0x03, 0, 0, 0, 0xff, 0xff, 0xff, msgCommandAMF0, 0, 0, 0, 0}
		cr := newChunkReader(bufio.NewReader(bytes.NewReader(b)))
		if _, err := cr.readMessage(); !errors.Is(err, errTooLarge) {
			t.Fatalf("err = %v, want errTooLarge", err)
		}
	})
	t.Run("type 3 without header", func(t *testing.T) {
		cr := newChunkReader(bufio.NewReader(bytes.NewReader([]byte{0xc3, 1, 2})))
		if _, err := cr.readMessage(); !errors.Is(err, errChunkProtocol) {
			t.Fatalf("err = %v, want errChunkProtocol", err)
		}
	})
	t.Run("too many chunk streams", func(t *testing.T) {
		var b []byte
		for i := 0; i < maxInChunkStreams+1; i++ {
			// fmt 0 on csid 64+i, 2 of 4 bytes: every stream stays partial.
			b = append(b, 0x00, byte(i), 0, 0, 0, 0, 0, 4, msgCommandAMF0, 0, 0, 0, 0, 'a', 'b')
		}
		cr := newChunkReader(bufio.NewReader(bytes.NewReader(b)))
		cr.chunkSize = 2
		var err error
		for err == nil {
			_, err = cr.readMessage()
		}
		if !errors.Is(err, errChunkProtocol) {
			t.Fatalf("err = %v, want errChunkProtocol", err)
		}
	})
	t.Run("pending bytes bounded", func(t *testing.T) {
		// 5 streams each announcing 255 KiB and sending 250 KiB: the
		// fifth exceeds maxInPending.
		var b []byte
		chunk := bytes.Repeat([]byte{0}, 250<<10)
		for i := 0; i < 5; i++ {
			b = append(b, byte(10+i), 0, 0, 0, 0x03, 0xfc, 0x00, msgCommandAMF0, 0, 0, 0, 0)
			b = append(b, chunk...)
		}
		cr := newChunkReader(bufio.NewReader(bytes.NewReader(b)))
		cr.chunkSize = 250 << 10
		var err error
		for err == nil {
			_, err = cr.readMessage()
		}
		if !errors.Is(err, errTooLarge) {
			t.Fatalf("err = %v, want errTooLarge", err)
		}
	})
	t.Run("chunk size zero", func(t *testing.T) {
		cr := newChunkReader(nil)
		if err := cr.setChunkSize(0); err == nil {
			t.Fatal("chunk size 0 accepted")
		}
		if err := cr.setChunkSize(0xffffffff); err != nil || cr.chunkSize != maxInChunkSize {
			t.Fatalf("huge chunk size: err %v size %d", err, cr.chunkSize)
		}
	})
}

// FuzzChunkReader feeds arbitrary bytes (with arbitrary chunk sizes) to
// the chunk reader: it must fail cleanly, never panic, and never hold more
// than maxInPending bytes of partial messages.
func FuzzChunkReader(f *testing.F) {
	f.Add(uint32(128), chunkBytes(f, 128, &message{csid: 3, typ: msgCommandAMF0, payload: appendAMF(nil, "connect", 1.0, Object{{"app", "cfx/st"}})}))
	f.Add(uint32(1), chunkBytes(f, 1, &message{csid: 300, typ: msgVideo, timestamp: 0xffffff + 1, payload: []byte("abc")}))
	f.Add(uint32(0x7fffffff), []byte{0x03, 0, 0, 0, 0xff, 0xff, 0xff, 20, 0, 0, 0, 0})
	f.Add(uint32(128), []byte{0x00, 0x00, 0x01})
	f.Fuzz(func(t *testing.T, chunkSize uint32, b []byte) {
		cr := newChunkReader(bufio.NewReader(bytes.NewReader(b)))
		if cr.setChunkSize(chunkSize) != nil {
			return
		}
		for i := 0; i < 10000; i++ {
			m, err := cr.readMessage()
			if cr.pending > maxInPending {
				t.Fatalf("pending %d > %d", cr.pending, maxInPending)
			}
			if err != nil {
				return
			}
			if len(m.payload) > maxInMessage {
				t.Fatalf("message of %d bytes", len(m.payload))
			}
			if m.typ == msgSetChunkSize && len(m.payload) >= 4 {
				cr.setChunkSize(uint32(m.payload[0])<<24 | uint32(m.payload[1])<<16 | uint32(m.payload[2])<<8 | uint32(m.payload[3]))
			}
		}
	})
}

// FuzzHandshake runs the server handshake on arbitrary (often truncated)
// client bytes: it must return an error or succeed, never panic or block.
func FuzzHandshake(f *testing.F) {
	good := append([]byte{3}, make([]byte, 2*handshakeSize)...)
	f.Add(good)
	f.Add(good[:100])
	f.Add([]byte{6})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var out bytes.Buffer
		err := serverHandshake(bufio.NewReader(bytes.NewReader(b)), bufio.NewWriter(&out))
		if err == nil && (len(b) < 1+2*handshakeSize || b[0] != 3) {
			t.Fatalf("handshake accepted %d bytes starting %v", len(b), b[:min(1, len(b))])
		}
		if err == nil && !bytes.Equal(out.Bytes()[1+handshakeSize:], b[1:1+handshakeSize]) {
			t.Fatal("S2 does not echo C1")
		}
	})
}
