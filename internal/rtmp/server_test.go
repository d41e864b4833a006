package rtmp

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/pmp4"

	"openfront/internal/cache"
	"openfront/internal/cache/memory"
	"openfront/internal/model"
	"openfront/internal/origin"
	"openfront/internal/snapshot"
)

// fakeOrigin serves objects with Range support and records requests.
type fakeOrigin struct {
	mu      sync.Mutex
	objects map[string][]byte // by request path "/bucket-domain/key"
	gets    map[string]int
	signed  map[string]bool
	puts    map[string][]byte
}

func newFakeOrigin() *fakeOrigin {
	return &fakeOrigin{objects: map[string][]byte{}, gets: map[string]int{}, signed: map[string]bool{}, puts: map[string][]byte{}}
}

func (o *fakeOrigin) Do(ctx context.Context, r *origin.Request) (*http.Response, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	p := "/" + r.Origin.DomainName + r.Path
	if r.Method == http.MethodPut {
		b, _ := io.ReadAll(r.Body)
		o.puts[p] = b
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	}
	o.gets[p]++
	o.signed[p] = r.Sign
	data, ok := o.objects[p]
	if !ok {
		return &http.Response{StatusCode: 404, Body: http.NoBody, ContentLength: 0}, nil
	}
	var start, end int64
	fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-%d", &start, &end)
	end = min(end, int64(len(data))-1)
	if start > end {
		return &http.Response{StatusCode: 416, Body: http.NoBody}, nil
	}
	h := http.Header{}
	h.Set("ETag", `"v1"`)
	h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, len(data)))
	body := data[start : end+1]
	return &http.Response{StatusCode: 206, Header: h, ContentLength: int64(len(body)), Body: io.NopCloser(bytes.NewReader(body))}, nil
}

func (o *fakeOrigin) getCount(p string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.gets[p]
}

// makeFLV builds an FLV of d milliseconds: onMetaData, AVC and AAC
// sequence headers, 25 fps video with a keyframe every second and audio
// every 40 ms.
func makeFLV(d uint32) []byte {
	var b bytes.Buffer
	b.Write([]byte{'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0})
	tagw := func(typ uint8, ts uint32, data []byte) {
		h := make([]byte, 11)
		h[0] = typ
		putBE24(h[1:], uint32(len(data)))
		putBE24(h[4:], ts&0xffffff)
		h[7] = byte(ts >> 24)
		b.Write(h)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, uint32(11+len(data)))
	}
	tagw(flvScript, 0, appendAMF(nil, "onMetaData", ECMAArray{{"duration", float64(d) / 1000}, {"width", 320.0}, {"height", 240.0}}))
	tagw(flvVideo, 0, []byte{0x17, 0, 0, 0, 0, 1, 2, 3})
	tagw(flvAudio, 0, []byte{0xaf, 0, 0x12, 0x10})
	for ts := uint32(0); ts < d; ts += 40 {
		hdr := byte(0x27)
		if ts%1000 == 0 {
			hdr = 0x17
		}
		tagw(flvVideo, ts, append([]byte{hdr, 1, 0, 0, 0}, bytes.Repeat([]byte{byte(ts)}, 500)...))
		tagw(flvAudio, ts, append([]byte{0xaf, 1}, bytes.Repeat([]byte{7}, 100)...))
	}
	return b.Bytes()
}

// makeMP4 builds an MP4 with an H.264 track (25 fps, keyframe every
// second) and an AAC track, d milliseconds long.
func makeMP4(t testing.TB, d uint32) []byte {
	video := &pmp4.Track{ID: 1, TimeScale: 90000, Codec: &codecs.H264{
		SPS: []byte{0x67, 0x42, 0xc0, 0x28, 0xd9, 0x00, 0x78, 0x02, 0x27, 0xe5, 0x84, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xf0, 0x3c, 0x60, 0xc9, 0x20},
		PPS: []byte{0x08, 0x06, 0x07, 0x08},
	}}
	for ts := uint32(0); ts < d; ts += 40 {
		payload := []byte{0, 0, 0, 2, 0x65, byte(ts)}
		video.Samples = append(video.Samples, &pmp4.Sample{Duration: 3600, IsNonSyncSample: ts%1000 != 0, PayloadSize: uint32(len(payload)), GetPayload: func() ([]byte, error) { return payload, nil }})
	}
	audio := &pmp4.Track{ID: 2, TimeScale: 44100}
	audio.Codec = &codecs.MPEG4Audio{}
	audio.Codec.(*codecs.MPEG4Audio).Config.Type = 2
	audio.Codec.(*codecs.MPEG4Audio).Config.SampleRate = 44100
	audio.Codec.(*codecs.MPEG4Audio).Config.ChannelConfig = 2
	audio.Codec.(*codecs.MPEG4Audio).Config.ChannelCount = 2
	for n := uint32(0); n*1024*1000/44100 < d; n++ {
		payload := []byte{0x21, byte(n)}
		audio.Samples = append(audio.Samples, &pmp4.Sample{Duration: 1024, PayloadSize: 2, GetPayload: func() ([]byte, error) { return payload, nil }})
	}
	var buf seekBuffer
	if err := (pmp4.Presentation{Tracks: []*pmp4.Track{video, audio}}).Marshal(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.b
}

type seekBuffer struct {
	b   []byte
	pos int
}

func (s *seekBuffer) Write(p []byte) (int, error) {
	if need := s.pos + len(p); need > len(s.b) {
		s.b = append(s.b, make([]byte, need-len(s.b))...)
	}
	copy(s.b[s.pos:], p)
	s.pos += len(p)
	return len(p), nil
}

func (s *seekBuffer) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		s.pos = int(off)
	case io.SeekCurrent:
		s.pos += int(off)
	case io.SeekEnd:
		s.pos = len(s.b) + int(off)
	}
	return int64(s.pos), nil
}

type testEdge struct {
	srv    *Server
	origin *fakeOrigin
	addr   string
	dists  map[string]*snapshot.StreamingDistribution
}

func newTestEdge(t *testing.T, verifier Verifier) *testEdge {
	t.Helper()
	mem, err := memory.New(64 << 20)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(cache.Config{Memory: mem})
	if err != nil {
		t.Fatal(err)
	}
	e := &testEdge{origin: newFakeOrigin(), dists: map[string]*snapshot.StreamingDistribution{}}
	e.srv = New(Options{Origin: e.origin, Cache: c, Verifier: verifier, BlockSize: 16 << 10, Log: slog.New(slog.NewTextHandler(testLogOut(), &slog.HandlerOptions{Level: slog.LevelDebug})), LogInterval: time.Hour})
	e.srv.lookup = func(host string) *snapshot.StreamingDistribution { return e.dists[host] }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	go e.srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.srv.Shutdown(ctx)
	})
	return e
}

func (e *testEdge) addDist(host string, mod func(*model.StreamingDistributionConfig)) *snapshot.StreamingDistribution {
	d := &snapshot.StreamingDistribution{ID: "E" + strings.ToUpper(strings.SplitN(host, ".", 2)[0]), DomainName: host, Config: &model.StreamingDistributionConfig{
		S3DomainName: "media.s3.amazonaws.com", Enabled: true, PriceClass: "PriceClass_All",
	}}
	if mod != nil {
		mod(d.Config)
	}
	e.dists[host] = d
	return d
}

func (e *testEdge) put(key string, data []byte) {
	e.origin.objects["/media.s3.amazonaws.com/"+key] = data
}

// testClient is a minimal RTMP player.
type testClient struct {
	t    *testing.T
	nc   net.Conn
	bw   *bufio.Writer
	cw   *chunkWriter
	msgs chan *message
	txn  float64
}

func dialTest(t *testing.T, addr string) *testClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(nc)
	bw := bufio.NewWriter(nc)
	c1 := make([]byte, 1+handshakeSize)
	c1[0] = 3
	bw.Write(c1)
	bw.Flush()
	s := make([]byte, 1+2*handshakeSize)
	if _, err := io.ReadFull(br, s); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	bw.Write(s[1 : 1+handshakeSize])
	bw.Flush()
	c := &testClient{t: t, nc: nc, bw: bw, cw: newChunkWriter(bw), msgs: make(chan *message, 10000)}
	go func() {
		defer close(c.msgs)
		cr := newChunkReader(br)
		for {
			m, err := cr.readMessage()
			if err != nil {
				return
			}
			if m.typ == msgSetChunkSize {
				cr.setChunkSize(binary.BigEndian.Uint32(m.payload))
			}
			c.msgs <- m
		}
	}()
	return c
}

func (c *testClient) command(streamID uint32, name string, args ...any) {
	c.txn++
	p := appendAMF(nil, name, c.txn)
	p = appendAMF(p, args...)
	if err := c.cw.writeMessage(&message{csid: 3, typ: msgCommandAMF0, streamID: streamID, payload: p}); err != nil {
		c.t.Fatal(err)
	}
	c.bw.Flush()
}

func (c *testClient) connect(tcURL string) {
	app := "cfx/st"
	if u, err := url.Parse(tcURL); err == nil {
		app = strings.Trim(u.Path, "/")
	}
	c.command(0, "connect", Object{{"app", app}, {"flashVer", "LNX 9,0,124,2"}, {"tcUrl", tcURL}})
}

// next returns the next command or data message's decoded values (media
// messages are returned through media when non-nil).
func (c *testClient) next(media *[]*message) (*message, []any) {
	c.t.Helper()
	for m := range c.msgs {
		switch m.typ {
		case msgCommandAMF0, msgDataAMF0:
			vals, err := decodeAMF(m.payload)
			if err != nil {
				c.t.Fatalf("undecodable %d message: %v", m.typ, err)
			}
			return m, vals
		case msgAudio, msgVideo:
			if media != nil {
				*media = append(*media, m)
			}
		}
	}
	return nil, nil
}

// waitStatus reads until an onStatus with the code or an error status.
func (c *testClient) waitStatus(code string, media *[]*message) Object {
	c.t.Helper()
	for {
		m, vals := c.next(media)
		if m == nil {
			c.t.Fatalf("connection closed waiting for %s", code)
		}
		if len(vals) >= 4 && vals[0] == "onStatus" {
			info, _ := vals[3].(Object)
			if info.String("code") == code {
				return info
			}
			if info.String("level") == "error" {
				c.t.Fatalf("waiting for %s, got %s: %s", code, info.String("code"), info.String("description"))
			}
		}
	}
}

func (c *testClient) play(host, name string, start float64) {
	c.connect("rtmp://" + host + ":1935/cfx/st")
	for {
		m, vals := c.next(nil)
		if m == nil {
			c.t.Fatal("closed before connect result")
		}
		if vals[0] == "_result" {
			break
		}
		if vals[0] == "_error" {
			c.t.Fatalf("connect refused: %v", vals)
		}
	}
	c.command(0, "createStream", nil)
	c.next(nil)
	c.command(1, "play", nil, name, start)
}

func TestServer_playFLV(t *testing.T) {
	e := newTestEdge(t, nil)
	e.addDist("s1.example", nil)
	e.put("videos/clip.flv", makeFLV(3000))
	for _, name := range []string{"videos/clip", "videos/clip.flv", "flv:videos/clip"} {
		c := dialTest(t, e.addr)
		c.play("s1.example", name, -2)
		var media []*message
		c.waitStatus("NetStream.Play.Start", nil)
		c.waitStatus("NetStream.Play.Stop", &media)
		video, audio := 0, 0
		var last uint32
		for _, m := range media {
			if m.timestamp < last {
				t.Fatalf("%s: timestamps go back: %d after %d", name, m.timestamp, last)
			}
			last = m.timestamp
			if m.typ == msgVideo {
				video++
			} else {
				audio++
			}
		}
		// 75 frames + the sequence header; 75 audio + the config.
		if video != 76 || audio != 76 {
			t.Fatalf("%s: got %d video and %d audio messages, want 76 and 76", name, video, audio)
		}
		if last != 2960 {
			t.Fatalf("%s: last timestamp %d, want 2960", name, last)
		}
	}
	// Three plays, one origin read per block.
	if n := e.origin.getCount("/media.s3.amazonaws.com/videos/clip.flv"); n != (len(makeFLV(3000))+16<<10-1)/(16<<10) {
		t.Fatalf("origin read %d times", n)
	}
}

func TestServer_playMP4(t *testing.T) {
	e := newTestEdge(t, nil)
	e.addDist("s1.example", nil)
	e.put("clip.mp4", makeMP4(t, 2000))
	c := dialTest(t, e.addr)
	c.play("s1.example", "mp4:clip.mp4", -2)
	var meta ECMAArray
	for meta == nil {
		m, vals := c.next(nil)
		if m == nil {
			t.Fatal("closed before onMetaData")
		}
		if len(vals) == 2 && vals[0] == "onMetaData" {
			meta = vals[1].(ECMAArray)
		}
	}
	if d, _ := propFloat(meta, "duration"); d < 1.99 || d > 2.05 {
		t.Fatalf("duration %v", d)
	}
	if w, _ := propFloat(meta, "width"); w != 1920 {
		t.Fatalf("width %v", w)
	}
	var media []*message
	c.waitStatus("NetStream.Play.Stop", &media)
	video := 0
	for _, m := range media {
		if m.typ == msgVideo {
			if video == 0 && (m.payload[0] != 0x17 || m.payload[1] != 0) {
				t.Fatalf("first video message is not the AVC sequence header: % x", m.payload[:5])
			}
			video++
		}
	}
	if video != 51 {
		t.Fatalf("got %d video messages, want 50 + sequence header", video)
	}
}

func TestServer_seekAndPause(t *testing.T) {
	e := newTestEdge(t, nil)
	e.addDist("s1.example", nil)
	e.put("long.flv", makeFLV(30000))
	c := dialTest(t, e.addr)
	c.play("s1.example", "long", -2)
	c.waitStatus("NetStream.Play.Start", nil)

	c.command(1, "seek", nil, 12500.0)
	info := c.waitStatus("NetStream.Seek.Notify", nil)
	if !strings.Contains(info.String("description"), "12000") {
		t.Fatalf("seek landed at %q, want keyframe 12000", info.String("description"))
	}
	var media []*message
	c.waitStatus("NetStream.Play.Start", nil)
	for m := range c.msgs {
		if m.typ == msgAudio || m.typ == msgVideo {
			media = append(media, m)
			if len(media) == 10 {
				break
			}
		}
	}
	// After the configuration tags, media resumes at the keyframe.
	for _, m := range media {
		if m.timestamp < 12000 {
			t.Fatalf("media at %d after seeking to 12000", m.timestamp)
		}
	}

	c.command(1, "pause", nil, true, 13000.0)
	var before []*message
	c.waitStatus("NetStream.Pause.Notify", &before)
	lastTS := uint32(0)
	if len(before) > 0 {
		lastTS = before[len(before)-1].timestamp
	}
	// While paused nothing arrives.
	select {
	case m := <-c.msgs:
		if m.typ == msgAudio || m.typ == msgVideo {
			t.Fatalf("media while paused: ts %d", m.timestamp)
		}
	case <-time.After(300 * time.Millisecond):
	}
	c.command(1, "pause", nil, false, float64(lastTS))
	c.waitStatus("NetStream.Unpause.Notify", nil)
	var after []*message
	for m := range c.msgs {
		if m.typ == msgAudio || m.typ == msgVideo {
			after = append(after, m)
			break
		}
	}
	if after[0].timestamp < lastTS {
		t.Fatalf("resumed at %d, before the pause point %d", after[0].timestamp, lastTS)
	}
	c.command(1, "deleteStream", nil, 1.0)
}

func TestServer_refusals(t *testing.T) {
	e := newTestEdge(t, nil)
	e.addDist("s1.example", nil)
	e.addDist("off.example", func(c *model.StreamingDistributionConfig) { c.Enabled = false })
	e.put("clip.flv", makeFLV(1000))

	connectRefused := func(tcURL string) {
		t.Helper()
		c := dialTest(t, e.addr)
		start := time.Now()
		c.connect(tcURL)
		m, vals := c.next(nil)
		for m != nil && vals[0] != "_error" && vals[0] != "_result" {
			m, vals = c.next(nil)
		}
		if m == nil || vals[0] != "_error" {
			t.Fatalf("%s: connect not refused: %v", tcURL, vals)
		}
		if info, _ := vals[3].(Object); info.String("code") != "NetConnection.Connect.Rejected" {
			t.Fatalf("%s: code %v", tcURL, vals[3])
		}
		for range c.msgs { // the server closes the connection
		}
		if time.Since(start) > time.Second {
			t.Fatalf("%s: refusal took %v", tcURL, time.Since(start))
		}
	}
	connectRefused("rtmp://unknown.example/cfx/st")
	connectRefused("rtmp://off.example/cfx/st")
	connectRefused("rtmp://s1.example/other/app")

	playRefused := func(name, code string) {
		t.Helper()
		c := dialTest(t, e.addr)
		c.play("s1.example", name, -2)
		for {
			m, vals := c.next(nil)
			if m == nil {
				t.Fatalf("%s: closed without a status", name)
			}
			if len(vals) >= 4 && vals[0] == "onStatus" {
				info := vals[3].(Object)
				if info.String("code") != code {
					t.Fatalf("%s: code %s, want %s", name, info.String("code"), code)
				}
				break
			}
		}
		for range c.msgs {
		}
	}
	playRefused("missing", "NetStream.Play.StreamNotFound")
	playRefused("mp4:missing.mp4", "NetStream.Play.StreamNotFound")
	playRefused("../etc/passwd", "NetStream.Play.StreamNotFound")
	playRefused("mp3:song", "NetStream.Play.StreamNotFound")
	e.put("notmedia.flv", []byte("hello world, not an flv"))
	playRefused("notmedia", "NetStream.Play.Failed")
	e.put("notmedia.mp4", []byte("hello world, not an mp4"))
	playRefused("mp4:notmedia.mp4", "NetStream.Play.Failed")
}

func TestServer_signedStreams(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	verifier := func(signers []string) VerifyFunc {
		return func(resource string, q url.Values, ip net.IP, now time.Time) error {
			mu.Lock()
			seen = append(seen, strings.Join(signers, ",")+" "+resource+" "+ip.String())
			mu.Unlock()
			if q.Get("Signature") != "good" {
				return fmt.Errorf("bad signature")
			}
			return nil
		}
	}
	e := newTestEdge(t, verifier)
	e.addDist("private.example", func(c *model.StreamingDistributionConfig) { c.TrustedSigners = []string{"self"} })
	e.put("clip.flv", makeFLV(1000))

	c := dialTest(t, e.addr)
	c.play("private.example", "clip?x=1&Expires=2000000000&Signature=good&Key-Pair-Id=APKA1", -2)
	c.waitStatus("NetStream.Play.Stop", nil)
	mu.Lock()
	if len(seen) != 1 || seen[0] != "self clip?x=1 127.0.0.1" {
		t.Fatalf("verifier saw %q", seen)
	}
	mu.Unlock()

	for _, name := range []string{"clip?Expires=2000000000&Signature=bad&Key-Pair-Id=APKA1", "clip"} {
		c := dialTest(t, e.addr)
		c.play("private.example", name, -2)
		m, vals := c.next(nil)
		for m != nil && !(len(vals) >= 4 && vals[0] == "onStatus") {
			m, vals = c.next(nil)
		}
		if m == nil || vals[3].(Object).String("code") != "NetStream.Play.Failed" {
			t.Fatalf("%s: not refused: %v", name, vals)
		}
	}

	// Without a verifier, private streams fail closed.
	e2 := newTestEdge(t, nil)
	e2.addDist("private.example", func(c *model.StreamingDistributionConfig) { c.TrustedSigners = []string{"self"} })
	e2.put("clip.flv", makeFLV(1000))
	c = dialTest(t, e2.addr)
	c.play("private.example", "clip?Expires=2000000000&Signature=good&Key-Pair-Id=APKA1", -2)
	m, vals := c.next(nil)
	for m != nil && !(len(vals) >= 4 && vals[0] == "onStatus") {
		m, vals = c.next(nil)
	}
	if m == nil || vals[3].(Object).String("code") != "NetStream.Play.Failed" {
		t.Fatalf("no verifier: not refused: %v", vals)
	}
}

func TestServer_originSignedWithOAI(t *testing.T) {
	e := newTestEdge(t, nil)
	e.addDist("s1.example", func(c *model.StreamingDistributionConfig) { c.OAI = "origin-access-identity/cloudfront/E123" })
	e.put("clip.flv", makeFLV(500))
	c := dialTest(t, e.addr)
	c.play("s1.example", "clip", -2)
	c.waitStatus("NetStream.Play.Stop", nil)
	e.origin.mu.Lock()
	defer e.origin.mu.Unlock()
	if !e.origin.signed["/media.s3.amazonaws.com/clip.flv"] {
		t.Fatal("origin request of an OAI distribution not signed")
	}
}

func TestServer_accessLogs(t *testing.T) {
	e := newTestEdge(t, nil)
	e.addDist("s1.example", func(c *model.StreamingDistributionConfig) {
		c.Logging = model.Logging{Enabled: true, Bucket: "logs.s3.amazonaws.com", Prefix: "rtmp/"}
	})
	e.put("clip.flv", makeFLV(500))
	c := dialTest(t, e.addr)
	c.play("s1.example", "clip?a=b", -2)
	c.waitStatus("NetStream.Play.Stop", nil)
	c.command(1, "deleteStream", nil, 1.0)
	c.nc.Close()
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e.srv.Shutdown(ctx)

	e.origin.mu.Lock()
	defer e.origin.mu.Unlock()
	if len(e.origin.puts) != 1 {
		t.Fatalf("%d log files delivered", len(e.origin.puts))
	}
	for name, body := range e.origin.puts {
		if !strings.HasPrefix(name, "/logs.s3.amazonaws.com/rtmp/ES1.") || !strings.HasSuffix(name, ".gz") {
			t.Fatalf("log file name %s", name)
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		text, _ := io.ReadAll(zr)
		lines := strings.Split(strings.TrimSpace(string(text)), "\n")
		if lines[1] != strings.TrimSpace(strings.Split(streamingLogHeader, "\n")[1]) {
			t.Fatalf("fields line %q", lines[1])
		}
		var events []string
		for _, l := range lines[2:] {
			f := strings.Split(l, "\t")
			if len(f) != 17 {
				t.Fatalf("%d fields in %q", len(f), l)
			}
			events = append(events, f[4])
			if f[4] == "play" && (f[13] != "clip" || f[14] != "a=b" || f[15] != "flv" || f[16] != "1" || f[12] != "LNX%209,0,124,2") {
				t.Fatalf("play line %q", l)
			}
			if _, err := strconv.Atoi(f[5]); err != nil {
				t.Fatalf("sc-bytes %q", f[5])
			}
		}
		if got := strings.Join(events, ","); got != "connect,play,stop,disconnect" {
			t.Fatalf("events %s", got)
		}
	}
}

func testLogOut() io.Writer {
	if testing.Verbose() {
		return os.Stderr
	}
	return io.Discard
}

// TestServer_notCounted: while the fleet does not count the edge
// (Options.Counted false), a new connection is closed unanswered.
func TestServer_notCounted(t *testing.T) {
	var counted atomic.Bool
	srv := New(Options{Origin: newFakeOrigin(), Counted: counted.Load, Log: slog.New(slog.NewTextHandler(testLogOut(), nil)), LogInterval: time.Hour})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	handshake := func() error {
		nc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		c0c1 := make([]byte, 1+1536)
		c0c1[0] = 3
		if _, err := nc.Write(c0c1); err != nil {
			return err
		}
		_, err = io.ReadFull(nc, make([]byte, 1+1536)) // S0 S1
		return err
	}
	if err := handshake(); err == nil {
		t.Error("not counted: the handshake was answered")
	}
	counted.Store(true)
	if err := handshake(); err != nil {
		t.Errorf("counted: %v", err)
	}
}
