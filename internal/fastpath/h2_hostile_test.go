package fastpath

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// rawH2 is a client that writes frames as given (x/net's Framer and HPACK
// encoder), to send what well-behaved clients never would.
type rawH2 struct {
	t  *testing.T
	c  *tls.Conn
	fr *http2.Framer
}

func dialRawH2(t *testing.T, addr string, settings ...http2.Setting) *rawH2 {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if c.ConnectionState().NegotiatedProtocol != "h2" {
		t.Fatal("h2 not negotiated")
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(c, http2.ClientPreface)
	r := &rawH2{t: t, c: c, fr: http2.NewFramer(c, c)}
	r.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	r.fr.MaxHeaderListSize = 1 << 20
	if err := r.fr.WriteSettings(settings...); err != nil {
		t.Fatal(err)
	}
	// The server's SETTINGS, acknowledged now: read() then writes
	// nothing (a test may send frames from another goroutine, or need
	// nothing between its HEADERS and CONTINUATION).
	for {
		f, err := r.fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if sf, ok := f.(*http2.SettingsFrame); ok && !sf.IsAck() {
			r.fr.WriteSettingsAck()
			return r
		}
	}
}

// block encodes name, value pairs as an HPACK block.
func block(kv ...string) []byte {
	var b bytes.Buffer
	e := hpack.NewEncoder(&b)
	for i := 0; i+1 < len(kv); i += 2 {
		e.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return b.Bytes()
}

func getBlock(path string, extra ...string) []byte {
	return block(append([]string{":method", "GET", ":scheme", "https", ":authority", "h", ":path", path}, extra...)...)
}

func (r *rawH2) headers(id uint32, end bool, blk []byte) {
	r.t.Helper()
	if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: blk, EndStream: end, EndHeaders: true}); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawH2) raw(typ http2.FrameType, flags http2.Flags, id uint32, payload []byte) {
	r.t.Helper()
	if err := r.fr.WriteRawFrame(typ, flags, id, payload); err != nil {
		r.t.Fatal(err)
	}
}

// outcome is what the server answered: the first GOAWAY's code, the
// RST_STREAM codes by stream, the :status of responses by stream.
type outcome struct {
	goaway     *http2.ErrCode
	rst        map[uint32]http2.ErrCode
	status     map[uint32]string
	closed     bool
	dataFrames int
}

// read collects frames until done reports true, the connection ends, or
// the deadline passes.
func (r *rawH2) read(within time.Duration, done func(*outcome) bool) *outcome {
	o := &outcome{rst: map[uint32]http2.ErrCode{}, status: map[uint32]string{}}
	r.c.SetReadDeadline(time.Now().Add(within))
	for !done(o) {
		f, err := r.fr.ReadFrame()
		if err != nil {
			var se http2.StreamError
			if errors.As(err, &se) {
				continue
			}
			o.closed = true
			return o
		}
		switch f := f.(type) {
		case *http2.GoAwayFrame:
			if o.goaway == nil {
				code := f.ErrCode
				o.goaway = &code
			}
		case *http2.RSTStreamFrame:
			o.rst[f.StreamID] = f.ErrCode
		case *http2.MetaHeadersFrame:
			o.status[f.StreamID] = f.PseudoValue("status")
		case *http2.DataFrame:
			o.dataFrames++
		}
	}
	return o
}

func goAwayWith(code http2.ErrCode) func(*outcome) bool {
	return func(o *outcome) bool { return o.goaway != nil }
}

// Hostile or malformed input gets the error RFC 9113 names: a GOAWAY for
// connection errors, a RST_STREAM for stream errors (after which the
// connection still serves), and limits hold against floods.
func TestH2_hostilePeers(t *testing.T) {
	_, addr := startH2Server(t, func(s *Server) {
		s.IdleTimeout = 3 * time.Second
		s.MaxHeaderListBytes = 16 << 10
	})
	var (
		protocol    = http2.ErrCodeProtocol
		frameSize   = http2.ErrCodeFrameSize
		flowControl = http2.ErrCodeFlowControl
		compression = http2.ErrCodeCompression
		calm        = http2.ErrCodeEnhanceYourCalm
		closedCode  = http2.ErrCodeStreamClosed
	)
	big := strings.Repeat("v", 1000)
	tests := []struct {
		name   string
		send   func(r *rawH2)
		goaway *http2.ErrCode // a connection error
		rst    *http2.ErrCode // a stream error on stream 1, the connection goes on
	}{
		// Frames.
		{"DATA on stream 0", func(r *rawH2) { r.raw(http2.FrameData, 0, 0, []byte("x")) }, &protocol, nil},
		{"HEADERS on an even stream", func(r *rawH2) { r.headers(2, true, getBlock("/fast/1")) }, &protocol, nil},
		// RFC 9113 section 5.1.1: an unexpected stream id is PROTOCOL_ERROR,
		// for an id skipped (3) as for one used before (5 again).
		{"stream id going down", func(r *rawH2) {
			r.headers(5, true, getBlock("/fast/1"))
			r.headers(3, true, getBlock("/fast/1"))
		}, &protocol, nil},
		{"stream id reused", func(r *rawH2) {
			r.headers(5, true, getBlock("/fast/1"))
			r.headers(5, true, getBlock("/fast/1"))
		}, &protocol, nil},
		{"frame over SETTINGS_MAX_FRAME_SIZE", func(r *rawH2) { r.raw(http2.FrameData, 0, 1, make([]byte, 16385)) }, &frameSize, nil},
		{"PING of 7 bytes", func(r *rawH2) { r.raw(http2.FramePing, 0, 0, make([]byte, 7)) }, &frameSize, nil},
		{"PING on a stream", func(r *rawH2) { r.raw(http2.FramePing, 0, 1, make([]byte, 8)) }, &protocol, nil},
		{"SETTINGS of 5 bytes", func(r *rawH2) { r.raw(http2.FrameSettings, 0, 0, make([]byte, 5)) }, &frameSize, nil},
		{"SETTINGS ack with payload", func(r *rawH2) { r.raw(http2.FrameSettings, http2.FlagSettingsAck, 0, make([]byte, 6)) }, &frameSize, nil},
		{"SETTINGS_ENABLE_PUSH 2", func(r *rawH2) { r.fr.WriteSettings(http2.Setting{ID: http2.SettingEnablePush, Val: 2}) }, &protocol, nil},
		{"SETTINGS_INITIAL_WINDOW_SIZE 2^31", func(r *rawH2) { r.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 31}) }, &flowControl, nil},
		{"SETTINGS_MAX_FRAME_SIZE too small", func(r *rawH2) { r.fr.WriteSettings(http2.Setting{ID: http2.SettingMaxFrameSize, Val: 1000}) }, &protocol, nil},
		{"WINDOW_UPDATE of 0 on the connection", func(r *rawH2) { r.raw(http2.FrameWindowUpdate, 0, 0, make([]byte, 4)) }, &protocol, nil},
		{"connection window overflow", func(r *rawH2) {
			r.fr.WriteWindowUpdate(0, 1<<31-1)
		}, &flowControl, nil},
		{"stream window overflow", func(r *rawH2) {
			r.headers(1, false, block(":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/slow"))
			r.fr.WriteWindowUpdate(1, 1<<31-1)
		}, nil, &flowControl},
		{"WINDOW_UPDATE of 5 bytes", func(r *rawH2) { r.raw(http2.FrameWindowUpdate, 0, 0, make([]byte, 5)) }, &frameSize, nil},
		{"WINDOW_UPDATE on an idle stream", func(r *rawH2) { r.fr.WriteWindowUpdate(9, 1) }, &protocol, nil},
		{"PUSH_PROMISE from the client", func(r *rawH2) { r.raw(http2.FramePushPromise, http2.FlagPushPromiseEndHeaders, 1, []byte{0, 0, 0, 2}) }, &protocol, nil},
		{"RST_STREAM on stream 0", func(r *rawH2) { r.raw(http2.FrameRSTStream, 0, 0, []byte{0, 0, 0, 8}) }, &protocol, nil},
		{"RST_STREAM on an idle stream", func(r *rawH2) { r.fr.WriteRSTStream(7, http2.ErrCodeCancel) }, &protocol, nil},
		{"GOAWAY on a stream", func(r *rawH2) { r.raw(http2.FrameGoAway, 0, 1, make([]byte, 8)) }, &protocol, nil},
		{"padding longer than the frame", func(r *rawH2) {
			r.raw(http2.FrameHeaders, http2.FlagHeadersPadded|http2.FlagHeadersEndHeaders, 1, []byte{200, 0x82})
		}, &protocol, nil},
		{"PRIORITY on stream 0", func(r *rawH2) { r.raw(http2.FramePriority, 0, 0, make([]byte, 5)) }, &protocol, nil},
		{"PRIORITY of 4 bytes", func(r *rawH2) { r.raw(http2.FramePriority, 0, 1, make([]byte, 4)) }, nil, &frameSize},
		{"PRIORITY on itself", func(r *rawH2) { r.raw(http2.FramePriority, 0, 1, []byte{0, 0, 0, 1, 16}) }, nil, &protocol},
		{"HEADERS depending on itself", func(r *rawH2) {
			r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: getBlock("/fast/1"), EndStream: true, EndHeaders: true,
				Priority: http2.PriorityParam{StreamDep: 1, Weight: 15}})
		}, nil, &protocol},
		{"DATA on a closed stream", func(r *rawH2) {
			r.headers(1, true, getBlock("/fast/1"))
			r.raw(http2.FrameData, 0, 1, []byte("x"))
		}, nil, &closedCode},
		{"DATA past the stream window", func(r *rawH2) {
			r.headers(1, false, block(":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/slow"))
			for range 17 { // 17 x 16 KiB > 256 KiB
				r.raw(http2.FrameData, 0, 1, make([]byte, 16384))
			}
		}, nil, &flowControl},
		{"DATA past the connection window", func(r *rawH2) {
			for id := uint32(1); id <= 9; id += 2 { // 5 streams x 256 KiB > 1 MiB
				r.headers(id, false, block(":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/slow"))
				for range 16 {
					r.raw(http2.FrameData, 0, id, make([]byte, 16384))
				}
			}
		}, &flowControl, nil},
		{"Content-Length larger than the body", func(r *rawH2) {
			r.headers(1, false, block(":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/echo", "content-length", "5"))
			r.fr.WriteData(1, true, []byte("abc"))
		}, nil, &protocol},
		{"trailers without END_STREAM", func(r *rawH2) {
			r.headers(1, false, block(":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/slow"))
			r.headers(1, false, block("x-t", "1"))
		}, nil, &protocol},
		// Header blocks.
		{"CONTINUATION without HEADERS", func(r *rawH2) { r.fr.WriteContinuation(1, true, getBlock("/fast/1")) }, &protocol, nil},
		{"frame between HEADERS and CONTINUATION", func(r *rawH2) {
			r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: getBlock("/fast/1"), EndStream: true})
			r.fr.WritePing(false, [8]byte{})
		}, &protocol, nil},
		{"CONTINUATION flood", func(r *rawH2) {
			r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: getBlock("/fast/1"), EndStream: true})
			for range 200 {
				if r.fr.WriteContinuation(1, false, block("x-flood", big)) != nil {
					return
				}
			}
		}, &calm, nil},
		{"invalid HPACK index", func(r *rawH2) { r.headers(1, true, []byte{0xff, 0xff, 0x7f}) }, &compression, nil},
		{"uppercase field name", func(r *rawH2) { r.headers(1, true, getBlock("/fast/1", "X-Upper", "1")) }, nil, &protocol},
		{"connection header", func(r *rawH2) { r.headers(1, true, getBlock("/fast/1", "connection", "close")) }, nil, &protocol},
		{"transfer-encoding header", func(r *rawH2) { r.headers(1, true, getBlock("/fast/1", "transfer-encoding", "chunked")) }, nil, &protocol},
		{"te: gzip", func(r *rawH2) { r.headers(1, true, getBlock("/fast/1", "te", "gzip")) }, nil, &protocol},
		{"NUL in a value", func(r *rawH2) { r.headers(1, true, getBlock("/fast/1", "x-a", "a\x00b")) }, nil, &protocol},
		{"no :path", func(r *rawH2) { r.headers(1, true, block(":method", "GET", ":scheme", "https", ":authority", "h")) }, nil, &protocol},
		{"no :scheme", func(r *rawH2) { r.headers(1, true, block(":method", "GET", ":authority", "h", ":path", "/")) }, nil, &protocol},
		{"empty :path", func(r *rawH2) { r.headers(1, true, block(":method", "GET", ":scheme", "https", ":path", "")) }, nil, &protocol},
		{":path not absolute", func(r *rawH2) { r.headers(1, true, block(":method", "GET", ":scheme", "https", ":path", "fast/1")) }, nil, &protocol},
		{"two :method", func(r *rawH2) { r.headers(1, true, getBlock("/fast/1", ":method", "GET")) }, nil, &protocol},
		{":status in a request", func(r *rawH2) { r.headers(1, true, getBlock("/fast/1", ":status", "200")) }, nil, &protocol},
		{"unknown pseudo-header", func(r *rawH2) {
			r.headers(1, true, block(":method", "GET", ":scheme", "https", ":path", "/", ":x", "1"))
		}, nil, &protocol},
		{"pseudo-header after a field", func(r *rawH2) {
			r.headers(1, true, block(":method", "GET", ":scheme", "https", "x-a", "1", ":path", "/"))
		}, nil, &protocol},
		{"two different Content-Length", func(r *rawH2) {
			r.headers(1, false, block(":method", "POST", ":scheme", "https", ":path", "/echo", "content-length", "1", "content-length", "2"))
		}, nil, &protocol},
		// RFC 9113 section 8.1.1: a content-length other than the DATA
		// received; none when the HEADERS end the stream (a hit, a
		// request for the handler) or the trailers come too early.
		{"GET with Content-Length and END_STREAM", func(r *rawH2) { r.headers(1, true, getBlock("/fast/1", "content-length", "5")) }, nil, &protocol},
		{"HEAD with Content-Length and END_STREAM", func(r *rawH2) {
			r.headers(1, true, block(":method", "HEAD", ":scheme", "https", ":authority", "h", ":path", "/other", "content-length", "5"))
		}, nil, &protocol},
		{"POST with Content-Length and END_STREAM", func(r *rawH2) {
			r.headers(1, true, block(":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/echo", "content-length", "1"))
		}, nil, &protocol},
		{"trailers before the Content-Length's bytes", func(r *rawH2) {
			r.headers(1, false, block(":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/echo", "content-length", "5"))
			r.fr.WriteData(1, false, []byte("abc"))
			r.headers(1, true, block("x-t", "1"))
		}, nil, &protocol},
		// RFC 9113 section 8.2.1: no whitespace at a value's ends.
		{"value with a leading space", func(r *rawH2) { r.headers(1, true, getBlock("/fast/1", "x-a", " a")) }, nil, &protocol},
		{"value with a trailing space", func(r *rawH2) { r.headers(1, true, getBlock("/other", "x-a", "a ")) }, nil, &protocol},
		{"value with a trailing HTAB", func(r *rawH2) { r.headers(1, true, getBlock("/fast/1", "x-a", "a\t")) }, nil, &protocol},
		{"value of a space", func(r *rawH2) { r.headers(1, true, getBlock("/fast/1", "x-a", " ")) }, nil, &protocol},
		{"pseudo-header value with a trailing space", func(r *rawH2) {
			r.headers(1, true, block(":method", "GET", ":scheme", "https", ":authority", "h ", ":path", "/fast/1"))
		}, nil, &protocol},
		{"trailer value with a leading HTAB", func(r *rawH2) {
			r.headers(1, false, block(":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/echo"))
			r.fr.WriteData(1, false, []byte("abc"))
			r.headers(1, true, block("x-t", "\t1"))
		}, nil, &protocol},
		// RFC 9113 section 8.3.1: Host and :authority name one entity.
		{":authority and Host differ", func(r *rawH2) { r.headers(1, true, getBlock("/fast/1", "host", "other")) }, nil, &protocol},
		{":authority and Host differ, to the handler", func(r *rawH2) { r.headers(1, true, getBlock("/other", "host", "h:443")) }, nil, &protocol},
		// RFC 9110 section 7.2: a port is digits.
		{":authority with a port of letters", func(r *rawH2) {
			r.headers(1, true, block(":method", "GET", ":scheme", "https", ":authority", "h:abc", ":path", "/fast/1"))
		}, nil, &protocol},
		{"Host with a port of letters", func(r *rawH2) {
			r.headers(1, true, block(":method", "GET", ":scheme", "https", ":path", "/other", "host", "h:8o"))
		}, nil, &protocol},
		// Floods.
		{"rapid reset", func(r *rawH2) {
			for id := uint32(1); id < 2*600; id += 2 {
				if r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: getBlock("/stuck"), EndStream: true, EndHeaders: true}) != nil ||
					r.fr.WriteRSTStream(id, http2.ErrCodeCancel) != nil {
					return
				}
			}
		}, &calm, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := dialRawH2(t, addr)
			tc.send(r)
			if tc.goaway != nil {
				o := r.read(10*time.Second, goAwayWith(*tc.goaway))
				if o.goaway == nil || *o.goaway != *tc.goaway {
					t.Fatalf("GOAWAY %v (closed %v), want %v", o.goaway, o.closed, *tc.goaway)
				}
				return
			}
			o := r.read(5*time.Second, func(o *outcome) bool { _, ok := o.rst[1]; return ok || o.goaway != nil })
			if code, ok := o.rst[1]; !ok || code != *tc.rst || o.goaway != nil {
				t.Fatalf("RST_STREAM %v on stream 1 (GOAWAY %v, closed %v), want %v", o.rst, o.goaway, o.closed, *tc.rst)
			}
			// The connection goes on.
			r.headers(101, true, getBlock("/fast/2"))
			o = r.read(5*time.Second, func(o *outcome) bool { return o.status[101] != "" || o.goaway != nil })
			if o.status[101] != "200" {
				t.Fatalf("after the stream error: status %q, GOAWAY %v", o.status[101], o.goaway)
			}
		})
	}
}

// What the checks of field values, Host, :authority and content-length
// (TestH2_hostilePeers) must still take: a hit answered here or a request
// answered by the handler, not a stream error.
func TestH2_wellFormedEdgesServed(t *testing.T) {
	_, addr := startH2Server(t, nil)
	post := func(extra ...string) []byte {
		return block(append([]string{":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/echo"}, extra...)...)
	}
	tests := []struct {
		name string
		send func(r *rawH2, id uint32)
	}{
		{"Host equal to :authority", func(r *rawH2, id uint32) { r.headers(id, true, getBlock("/fast/1", "host", "h")) }},
		{"Host without :authority", func(r *rawH2, id uint32) {
			r.headers(id, true, block(":method", "GET", ":scheme", "https", ":path", "/fast/1", "host", "h:8443"))
		}},
		{":authority with an empty port", func(r *rawH2, id uint32) {
			r.headers(id, true, block(":method", "GET", ":scheme", "https", ":authority", "h:", ":path", "/fast/1"))
		}},
		{":authority of an IPv6 address and port", func(r *rawH2, id uint32) {
			r.headers(id, true, block(":method", "GET", ":scheme", "https", ":authority", "[::1]:443", ":path", "/other"))
		}},
		{"whitespace inside a value, empty value", func(r *rawH2, id uint32) {
			r.headers(id, true, getBlock("/fast/1", "x-a", "a \t b", "x-b", ""))
		}},
		{"Content-Length 0 and END_STREAM", func(r *rawH2, id uint32) { r.headers(id, true, getBlock("/fast/1", "content-length", "0")) }},
		{"Content-Length and its DATA", func(r *rawH2, id uint32) {
			r.headers(id, false, post("content-length", "3"))
			r.fr.WriteData(id, true, []byte("abc"))
		}},
		{"Content-Length, its DATA and trailers", func(r *rawH2, id uint32) {
			r.headers(id, false, post("content-length", "3"))
			r.fr.WriteData(id, false, []byte("abc"))
			r.headers(id, true, block("x-t", "1 2"))
		}},
	}
	r := dialRawH2(t, addr)
	for i, tc := range tests {
		id := uint32(2*i + 1)
		tc.send(r, id)
		o := r.read(5*time.Second, func(o *outcome) bool { _, rst := o.rst[id]; return o.status[id] != "" || rst || o.goaway != nil })
		if o.status[id] != "200" {
			t.Errorf("%s: status %q, RST_STREAM %v, GOAWAY %v; want 200", tc.name, o.status[id], o.rst, o.goaway)
		}
	}
}

// A header list over MaxHeaderListBytes (but in a block under the flood
// limit) gets 431 on its stream; the connection goes on.
func TestH2_oversizeHeaderList(t *testing.T) {
	_, addr := startH2Server(t, func(s *Server) { s.MaxHeaderListBytes = 16 << 10 })
	r := dialRawH2(t, addr)
	r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: getBlock("/fast/1"), EndStream: true})
	for range 20 {
		r.fr.WriteContinuation(1, false, block("x-big", strings.Repeat("v", 1000)))
	}
	r.fr.WriteContinuation(1, true, nil)
	r.headers(3, true, getBlock("/fast/2"))
	o := r.read(5*time.Second, func(o *outcome) bool { return o.status[3] != "" || o.goaway != nil })
	if o.status[1] != "431" || o.status[3] != "200" {
		t.Fatalf("statuses %v GOAWAY %v, want 431 then 200", o.status, o.goaway)
	}
}

// More concurrent streams than SETTINGS_MAX_CONCURRENT_STREAMS are
// refused one by one.
func TestH2_maxConcurrentStreams(t *testing.T) {
	_, addr := startH2Server(t, nil)
	r := dialRawH2(t, addr)
	last := uint32(2*h2MaxStreams + 1)
	for id := uint32(1); id <= last; id += 2 {
		r.headers(id, true, getBlock("/slow"))
	}
	o := r.read(5*time.Second, func(o *outcome) bool { return len(o.rst) > 0 || o.goaway != nil })
	if code, ok := o.rst[last]; !ok || code != http2.ErrCodeRefusedStream || len(o.rst) != 1 {
		t.Fatalf("RST_STREAM %v, want REFUSED_STREAM on stream %d only", o.rst, last)
	}
}

// A peer that never opens its window does not hold a handler for ever: the
// stream is reset after the write timeout (IdleTimeout).
func TestH2_zeroWindowStall(t *testing.T) {
	_, addr := startH2Server(t, func(s *Server) { s.IdleTimeout = time.Second })
	r := dialRawH2(t, addr, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
	r.headers(1, true, getBlock("/big/100000"))
	start := time.Now()
	o := r.read(10*time.Second, func(o *outcome) bool { _, ok := o.rst[1]; return ok })
	if o.rst[1] != http2.ErrCodeCancel || o.dataFrames != 0 {
		t.Fatalf("RST_STREAM %v after %d DATA frames, want CANCEL", o.rst, o.dataFrames)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stalled stream reset after %v", d)
	}
}

// An idle connection is closed with GOAWAY(NO_ERROR) after IdleTimeout,
// PINGs notwithstanding; a PING flood from a peer that does not read ends
// the connection instead of growing its buffers.
func TestH2_idleAndPingFlood(t *testing.T) {
	_, addr := startH2Server(t, func(s *Server) { s.IdleTimeout = time.Second })
	r := dialRawH2(t, addr)
	r.headers(1, true, getBlock("/fast/1"))
	start := time.Now()
	go func(c *tls.Conn) {
		for range 20 { // PINGs do not keep an idle connection
			time.Sleep(200 * time.Millisecond)
			ping := append(appendFrameHeader(nil, 8, framePing, 0, 0), make([]byte, 8)...)
			if _, err := c.Write(ping); err != nil {
				return
			}
		}
	}(r.c)
	o := r.read(5*time.Second, func(o *outcome) bool { return o.goaway != nil })
	if o.goaway == nil || *o.goaway != http2.ErrCodeNo || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("GOAWAY %v after %v, want NO_ERROR after the idle timeout", o.goaway, time.Since(start))
	}

	flood := dialRawH2(t, addr)
	done := make(chan error, 1)
	go func() {
		ping := make([]byte, 17*1000)
		for i := 0; i < len(ping); i += 17 {
			copy(ping[i:], []byte{0, 0, 8, byte(http2.FramePing), 0, 0, 0, 0, 0})
		}
		for {
			if _, err := flood.c.Write(ping); err != nil {
				done <- err
				return
			}
		}
	}()
	select {
	case <-done: // the server closed the connection: writes fail
	case <-time.After(15 * time.Second):
		t.Fatal("PING flood without reading: connection still open after 15 s")
	}
}

// A request with Expect: 100-continue gets "100 Continue" when the handler
// reads its body, then the answer.
func TestH2_expectContinue(t *testing.T) {
	_, addr := startH2Server(t, nil)
	r := dialRawH2(t, addr)
	r.headers(1, false, block(":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/echo", "expect", "100-continue"))
	if o := r.read(5*time.Second, func(o *outcome) bool { return o.status[1] != "" }); o.status[1] != "100" {
		t.Fatalf("status %q before the body, want 100", o.status[1])
	}
	r.fr.WriteData(1, true, []byte("abc"))
	if o := r.read(5*time.Second, func(o *outcome) bool { return o.status[1] != "" }); o.status[1] != "200" {
		t.Fatalf("status %q after the body, want 200", o.status[1])
	}
}

// DATA still in flight after the server reset the stream (its answer was
// complete before the body) is ignored, not answered with STREAM_CLOSED,
// and its connection window is given back.
func TestH2_dataAfterOwnResetIgnored(t *testing.T) {
	_, addr := startH2Server(t, nil)
	r := dialRawH2(t, addr)
	r.headers(1, false, block(":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/stream"))
	o := r.read(5*time.Second, func(o *outcome) bool { _, ok := o.rst[1]; return ok })
	if o.rst[1] != http2.ErrCodeNo {
		t.Fatalf("RST_STREAM %v, want NO_ERROR after the complete answer", o.rst)
	}
	for range 4 {
		r.fr.WriteData(1, false, make([]byte, 16000))
	}
	r.headers(3, true, getBlock("/fast/1"))
	o = r.read(5*time.Second, func(o *outcome) bool { return o.status[3] != "" })
	if len(o.rst) != 0 || o.status[3] != "200" {
		t.Fatalf("after DATA in flight: RST_STREAM %v, status %q", o.rst, o.status[3])
	}
}

// A header block, or a frame header, left incomplete ends the connection
// after ReadHeaderTimeout (a trickling peer cannot hold it).
func TestH2_slowHeaderBlock(t *testing.T) {
	_, addr := startH2Server(t, func(s *Server) { s.ReadHeaderTimeout = 500 * time.Millisecond })
	tests := []struct {
		name string
		send func(r *rawH2)
	}{
		{"HEADERS without its CONTINUATION", func(r *rawH2) {
			r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: getBlock("/fast/1"), EndStream: true})
		}},
		{"half a frame header", func(r *rawH2) { r.c.Write([]byte{0, 0, 20, 1, 5}) }},
		{"a HEADERS frame trickled", func(r *rawH2) {
			b := append(appendFrameHeader(nil, 40, frameHeaders, flagEndHeaders|flagEndStream, 1), make([]byte, 40)...)
			for i := 0; i < len(b); i++ {
				if _, err := r.c.Write(b[i : i+1]); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := dialRawH2(t, addr)
			start := time.Now()
			if tc.name == "a HEADERS frame trickled" {
				go tc.send(r) // raw writes only
			} else {
				tc.send(r)
			}
			o := r.read(5*time.Second, func(o *outcome) bool { return o.goaway != nil })
			if o.goaway == nil || *o.goaway != http2.ErrCodeEnhanceYourCalm || time.Since(start) > 3*time.Second {
				t.Fatalf("GOAWAY %v after %v, want ENHANCE_YOUR_CALM after about 500 ms", o.goaway, time.Since(start))
			}
		})
	}
}

// A body the handler closed unread, or left unread when its stream ended,
// does not keep the connection's window: uploads to such streams, past
// the connection window in total, leave room for another upload.
func TestH2_closedBodyReturnsWindow(t *testing.T) {
	for _, path := range []string{"/closebody", "/nap"} {
		t.Run(path, func(t *testing.T) { testH2UnreadBodies(t, path) })
	}
}

// testH2UnreadBodies uploads to path (whose handler does not read the
// body: /closebody closes it, /nap answers after 300 ms and returns,
// which resets the stream with the body buffered) past the connection
// window, then uploads beside.
func testH2UnreadBodies(t *testing.T, path string) {
	_, addr := startH2Server(t, nil)
	c := h2Client()
	var wg sync.WaitGroup
	for range 6 { // 6 x 256 KiB > the 1 MiB connection window
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Post("https://"+addr+path, "application/octet-stream", bytes.NewReader(make([]byte, 256<<10)))
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	time.Sleep(500 * time.Millisecond) // the uploads are under way, /nap's handlers have returned
	start := time.Now()
	resp, err := c.Post("https://"+addr+"/echo", "text/plain", bytes.NewReader(make([]byte, 200<<10)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(b) != 200<<10 || time.Since(start) > 700*time.Millisecond {
		t.Errorf("upload beside closed bodies: %d bytes after %v", len(b), time.Since(start))
	}
	wg.Wait()
}

// TestH2_prohibitedTLS12CipherSuite: HTTP/2 over TLS 1.2 with a suite RFC
// 9113 section 9.2.2 prohibits (CBC, or RSA key exchange) ends with GOAWAY
// INADEQUATE_SECURITY before any stream; an AEAD ECDHE suite is served.
// h2CipherAllowed's own table is TestH2CipherAllowed.
func TestH2_prohibitedTLS12CipherSuite(t *testing.T) {
	_, addr := startH2Server(t, nil)
	tests := []struct {
		suite   uint16
		refused bool
	}{
		// The test certificate is RSA, and the test server offers Go's
		// default suites: one CBC suite stands for the prohibited ones
		// (the edge's TLSv1 security policy offers it too).
		{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, true},
		{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, false},
		{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, false},
	}
	for _, tc := range tests {
		t.Run(tls.CipherSuiteName(tc.suite), func(t *testing.T) {
			c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"},
				MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tc.suite}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			st := c.ConnectionState()
			if st.NegotiatedProtocol != "h2" {
				t.Fatalf("ALPN %q", st.NegotiatedProtocol)
			}
			refused := !h2CipherAllowed(st.CipherSuite)
			if refused != tc.refused {
				t.Fatalf("negotiated %s, not a suite of the case", tls.CipherSuiteName(st.CipherSuite))
			}
			io.WriteString(c, h2Preface)
			c.Write(appendFrameHeader(nil, 0, frameSettings, 0, 0))
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			r := bufio.NewReader(c)
			var goAway []byte
			for {
				var hdr [9]byte
				if _, err := io.ReadFull(r, hdr[:]); err != nil {
					break
				}
				payload := make([]byte, int(hdr[0])<<16|int(hdr[1])<<8|int(hdr[2]))
				if _, err := io.ReadFull(r, payload); err != nil {
					break
				}
				if hdr[3] == frameGoAway {
					goAway = payload
					break
				}
				if hdr[3] == frameSettings && hdr[4]&flagAck == 0 && !refused {
					break // served: SETTINGS, not GOAWAY
				}
			}
			switch {
			case refused && (len(goAway) < 8 || h2Code(binary.BigEndian.Uint32(goAway[4:8])) != codeInadequateSecurity):
				t.Errorf("%s: GOAWAY payload %x, want INADEQUATE_SECURITY", tls.CipherSuiteName(st.CipherSuite), goAway)
			case !refused && goAway != nil:
				t.Errorf("%s: GOAWAY %x, want the connection served", tls.CipherSuiteName(st.CipherSuite), goAway)
			}
		})
	}
}

func TestH2CipherAllowed(t *testing.T) {
	for _, cs := range tls.CipherSuites() {
		want := strings.HasPrefix(cs.Name, "TLS_ECDHE_") && (strings.Contains(cs.Name, "_GCM_") || strings.Contains(cs.Name, "CHACHA20"))
		if got := h2CipherAllowed(cs.ID); got != want {
			t.Errorf("%s: allowed %v, want %v", cs.Name, got, want)
		}
	}
	for _, cs := range tls.InsecureCipherSuites() {
		if h2CipherAllowed(cs.ID) {
			t.Errorf("%s (insecure): allowed", cs.Name)
		}
	}
}
