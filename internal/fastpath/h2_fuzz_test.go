package fastpath

import (
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"
)

// FuzzH2Frames feeds arbitrary bytes after the preface and SETTINGS to a
// connection: the server must neither panic nor hang, and what it sends
// must be well-formed: frames within the default maximum size, on stream
// 0 or client (odd) streams, header blocks that x/net's HPACK decoder
// reads.
func FuzzH2Frames(f *testing.F) {
	frame := func(typ, flags byte, id uint32, payload []byte) []byte {
		return append(appendFrameHeader(nil, len(payload), typ, flags, id), payload...)
	}
	get := block(":method", "GET", ":scheme", "https", ":authority", "h", ":path", "/fast/3")
	post := block(":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/echo", "content-length", "3")
	f.Add(frame(frameHeaders, flagEndHeaders|flagEndStream, 1, get))
	// Malformed: content-length without DATA, whitespace at a value's
	// end, Host other than :authority, a port of letters.
	f.Add(frame(frameHeaders, flagEndHeaders|flagEndStream, 1, append(get, block("content-length", "5")...)))
	f.Add(frame(frameHeaders, flagEndHeaders|flagEndStream, 1, append(get, block("x-a", "a ")...)))
	f.Add(frame(frameHeaders, flagEndHeaders|flagEndStream, 1, append(get, block("host", "other")...)))
	f.Add(frame(frameHeaders, flagEndHeaders|flagEndStream, 1, block(":method", "GET", ":scheme", "https", ":authority", "h:x", ":path", "/fast/3")))
	f.Add(append(frame(frameHeaders, flagEndHeaders, 1, post), frame(frameData, flagEndStream, 1, []byte("abc"))...))
	f.Add(append(frame(frameHeaders, flagEndStream, 1, get[:3]), frame(frameContinuation, flagEndHeaders, 1, get[3:])...))
	f.Add(frame(frameHeaders, flagEndHeaders|flagPadded|flagPriority, 3, append(append([]byte{2, 0, 0, 0, 1, 9}, get...), 0, 0)))
	f.Add(append(frame(frameSettings, 0, 0, []byte{0, 4, 0, 0, 0, 0}), frame(frameHeaders, flagEndHeaders|flagEndStream, 1, get)...))
	f.Add(append(frame(frameWindowUpdate, 0, 0, []byte{0, 0, 0, 1}), frame(framePing, 0, 0, make([]byte, 8))...))
	f.Add(frame(frameRSTStream, 0, 1, []byte{0, 0, 0, 8}))
	f.Add(frame(frameGoAway, 0, 0, make([]byte, 8)))
	// A DATA frame larger than the small read array, written 7 bytes at
	// a time (its last byte).
	upload := block(":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/echo", "content-length", "2000")
	f.Add(append(frame(frameHeaders, flagEndHeaders, 1, upload), frame(frameData, flagEndStream, 1, []byte(strings.Repeat("d", 1999)+"\x07"))...))
	f.Fuzz(func(t *testing.T, in []byte) {
		srv, cl := net.Pipe()
		s := &Server{Handler: stubHandler{}, HTTP2: true, IdleTimeout: time.Second, MaxHeaderListBytes: 4 << 10,
			Fallback: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				w.Header().Set("X-Len", strings.Repeat("l", len(b)%50))
				w.Write(b)
			})}}
		done := make(chan struct{})
		go func() {
			defer close(done)
			(&conn{s: s, nc: srv}).serveH2(srv)
		}()
		problems := make(chan string, 1)
		go func() { problems <- checkServerFrames(cl) }()
		var pre []byte
		pre = append(pre, h2Preface...)
		pre = appendFrameHeader(pre, 0, frameSettings, 0, 0)
		cl.SetWriteDeadline(time.Now().Add(2 * time.Second))
		// The server's reads end where the writes do (net.Pipe): the
		// last byte picks the size of the pieces (0: one write), so
		// frames cross reads everywhere (the read buffer moves between
		// the small array and a pooled one: h2readbuf.go).
		all := append(pre, in...)
		step := len(all)
		if len(in) > 0 && in[len(in)-1] != 0 {
			step = int(in[len(in)-1])
		}
		for len(all) > 0 {
			n := min(step, len(all))
			if _, err := cl.Write(all[:n]); err != nil {
				break
			}
			all = all[n:]
		}
		time.Sleep(time.Millisecond)
		cl.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("serveH2 still running 5 s after the peer closed")
		}
		if p := <-problems; p != "" {
			t.Fatal(p)
		}
	})
}

// checkServerFrames reads the server's frames until the connection ends
// and returns what is wrong with them ("" if nothing).
func checkServerFrames(c net.Conn) string {
	dec := hpack.NewDecoder(4096, func(hpack.HeaderField) {})
	var buf []byte
	tmp := make([]byte, 32<<10)
	for {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		for len(buf) >= 9 {
			length := int(buf[0])<<16 | int(buf[1])<<8 | int(buf[2])
			if length > h2DefaultMaxFrameSize {
				return "frame over the default maximum size"
			}
			if len(buf) < 9+length {
				break
			}
			typ, id := buf[3], binary.BigEndian.Uint32(buf[5:9])
			if id != 0 && id%2 == 0 {
				return "frame on an even stream"
			}
			if typ == frameHeaders || typ == frameContinuation {
				if _, err := dec.Write(buf[9 : 9+length]); err != nil {
					return "undecodable header block: " + err.Error()
				}
			}
			buf = buf[9+length:]
		}
		if err != nil {
			return ""
		}
	}
}

// FuzzHPACKEncode: what appendHPACK encodes, x/net's decoder reads back.
func FuzzHPACKEncode(f *testing.F) {
	f.Add("content-type", "text/plain", 200)
	f.Add("x-custom", strings.Repeat("v", 300), 418)
	f.Add("via", "", 304)
	f.Fuzz(func(t *testing.T, name, value string, status int) {
		status = 100 + (status%900+900)%900
		b := appendStatus(nil, status)
		b = appendHPACK(b, name, value)
		fields, err := hpack.NewDecoder(4096, nil).DecodeFull(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(fields) != 2 || fields[0].Name != ":status" || fields[0].Value != strings.TrimLeft(string(rune('0'+status/100))+string(rune('0'+status/10%10))+string(rune('0'+status%10)), "") ||
			fields[1].Name != name || fields[1].Value != value {
			t.Fatalf("decoded %v", fields)
		}
	})
}
