package rtmp

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"openfront/internal/snapshot"
)

// Timeouts of a connection.
const (
	// connectTimeout bounds the handshake and the connect command.
	connectTimeout = 10 * time.Second
	// writeTimeout bounds each write to a viewer; a viewer that reads
	// nothing for this long is dropped.
	writeTimeout = 30 * time.Second
	// outChunkSize is the chunk size we announce and send with.
	outChunkSize = 4096
	// windowAckSize is announced to the peer (Window Acknowledgement
	// Size and Set Peer Bandwidth).
	windowAckSize = 2500000
)

// Chunk stream ids we send on.
const (
	csidControl = 2
	csidCommand = 3
	csidStatus  = 5
	csidAudio   = 6
	csidVideo   = 7
)

// conn is one viewer connection: the read loop runs commands; a player
// goroutine streams media once play arrives. Writes from both are
// serialised by wmu.
type conn struct {
	s        *Server
	nc       net.Conn
	ctx      context.Context
	cancel   context.CancelFunc
	clientIP string
	clientID string

	br *bufio.Reader
	cr *chunkReader

	wmu sync.Mutex
	bw  *bufio.Writer
	cw  *chunkWriter

	// Set by connect.
	dist      *snapshot.StreamingDistribution
	stripSt   bool // app was "cfx": play paths start with "st/"
	uriStem   string
	uriQuery  string
	swfURL    string
	pageURL   string
	flashVer  string
	connected bool

	peerWindow uint32
	lastAck    int64
	nextStream uint32

	pmu       sync.Mutex
	player    *player
	bufferLen uint32 // ms, from SetBufferLength
}

func newConn(s *Server, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(s.ctx)
	var id [16]byte
	rand.Read(id[:])
	c := &conn{s: s, nc: nc, ctx: ctx, cancel: cancel, clientID: hex.EncodeToString(id[:])}
	if ap, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		c.clientIP = ap.IP.String()
	} else {
		c.clientIP, _, _ = net.SplitHostPort(nc.RemoteAddr().String())
	}
	c.br = bufio.NewReaderSize(nc, 4096)
	c.bw = bufio.NewWriterSize(nc, 32<<10)
	c.cr = newChunkReader(c.br)
	c.cw = newChunkWriter(c.bw)
	return c
}

// serve runs the connection until the viewer leaves, a refusal is sent or
// the server shuts down.
func (c *conn) serve() {
	stop := context.AfterFunc(c.ctx, func() { c.nc.Close() })
	defer stop()
	defer c.nc.Close()
	defer c.cancel()
	defer c.stopPlayer()

	c.nc.SetDeadline(time.Now().Add(connectTimeout))
	if err := serverHandshake(c.br, c.bw); err != nil {
		c.s.log.Debug("rtmp: handshake failed", "remote", c.nc.RemoteAddr().String(), "err", err)
		return
	}
	err := c.readLoop()
	if c.connected {
		c.logEvent("disconnect", "OK", nil, "")
	}
	if err != nil && !errors.Is(err, errClose) && c.ctx.Err() == nil {
		c.s.log.Debug("rtmp: connection ended", "remote", c.nc.RemoteAddr().String(), "err", err)
	}
}

// errClose ends the read loop after a refusal was sent.
var errClose = errors.New("rtmp: closing after refusal")

func (c *conn) readLoop() error {
	for {
		m, err := c.cr.readMessage()
		if err != nil {
			return err
		}
		if c.peerWindow > 0 && c.cr.read-c.lastAck >= int64(c.peerWindow) {
			c.lastAck = c.cr.read
			if err := c.writeControl(msgAck, binary.BigEndian.AppendUint32(nil, uint32(c.cr.read))); err != nil {
				return err
			}
		}
		if err := c.handle(m); err != nil {
			return err
		}
	}
}

func (c *conn) handle(m *message) error {
	switch m.typ {
	case msgSetChunkSize:
		if len(m.payload) < 4 {
			return fmt.Errorf("%w: short set chunk size", errChunkProtocol)
		}
		return c.cr.setChunkSize(binary.BigEndian.Uint32(m.payload))
	case msgAbort:
		if len(m.payload) >= 4 {
			c.cr.abort(binary.BigEndian.Uint32(m.payload))
		}
	case msgWindowAckSize:
		if len(m.payload) >= 4 {
			c.peerWindow = binary.BigEndian.Uint32(m.payload)
		}
	case msgUserControl:
		return c.userControl(m.payload)
	case msgCommandAMF3:
		// An AMF3 command message is an AMF0 command behind one format
		// byte when the player uses AMF0 values, as every player does for
		// NetConnection/NetStream commands.
		if len(m.payload) == 0 {
			return nil
		}
		return c.command(m, m.payload[1:])
	case msgCommandAMF0:
		return c.command(m, m.payload)
	}
	return nil
}

func (c *conn) userControl(p []byte) error {
	if len(p) < 2 {
		return nil
	}
	switch binary.BigEndian.Uint16(p) {
	case ucSetBufferLength:
		if len(p) >= 10 {
			c.pmu.Lock()
			c.bufferLen = binary.BigEndian.Uint32(p[6:])
			c.pmu.Unlock()
		}
	case ucPingRequest:
		if len(p) >= 6 {
			b := binary.BigEndian.AppendUint16(nil, ucPingResponse)
			return c.writeControlMsg(msgUserControl, append(b, p[2:6]...))
		}
	}
	return nil
}

func (c *conn) command(m *message, payload []byte) error {
	vals, err := decodeAMF(payload)
	if len(vals) < 2 {
		if err != nil {
			return err
		}
		return nil
	}
	name, _ := vals[0].(string)
	txn, _ := vals[1].(float64)
	args := vals[2:]
	c.s.log.Debug("rtmp: command", "name", name, "args", args)
	arg := func(i int) any {
		if i < len(args) {
			return args[i]
		}
		return nil
	}
	if !c.connected && name != "connect" {
		return fmt.Errorf("command %q before connect", name)
	}
	switch name {
	case "connect":
		if c.connected {
			return nil
		}
		obj, _ := arg(0).(Object)
		return c.connect(m, txn, obj)
	case "createStream":
		c.nextStream++
		return c.writeCommand(csidCommand, 0, "_result", txn, nil, float64(c.nextStream))
	case "play":
		name, _ := arg(1).(string)
		start, ok := arg(2).(float64)
		if !ok {
			start = -2
		}
		c.startPlayer(m.streamID, name, start)
	case "seek":
		ms, _ := arg(1).(float64)
		c.control(ctrlMsg{kind: ctrlSeek, ms: msArg(ms)})
	case "pause", "pauseRaw":
		pause, _ := arg(1).(bool)
		ms, _ := arg(2).(float64)
		kind := ctrlUnpause
		if pause {
			kind = ctrlPause
		}
		c.control(ctrlMsg{kind: kind, ms: msArg(ms)})
	case "deleteStream", "closeStream":
		c.stopPlayer()
	case "publish", "releaseStream", "FCPublish":
		// The RTMP edge only plays; refuse publishing at once.
		c.writeStatus(m.streamID, "error", "NetStream.Publish.BadName", "Publishing is not supported by CloudFront streaming distributions.")
		return errClose
	case "getStreamLength":
		// Players wait for this answer before they play; the length is
		// sent in onMetaData.
		return c.writeCommand(csidCommand, 0, "_result", txn, nil, 0.0)
	}
	// Other commands (_checkbw, FCSubscribe, receiveAudio, ...) need no
	// answer.
	return nil
}

func msArg(ms float64) uint32 {
	if ms < 0 || ms != ms {
		return 0
	}
	return uint32(min(ms, float64(1<<31)))
}

// connect checks the application and the host of tcUrl against the
// streaming distributions (OpenFront's choice: the host is matched like an
// HTTP Host, application cfx/st), then accepts or refuses.
func (c *conn) connect(m *message, txn float64, obj Object) error {
	c.flashVer, c.swfURL, c.pageURL = obj.String("flashVer"), obj.String("swfUrl"), obj.String("pageUrl")
	tcURL := strings.Trim(obj.String("tcUrl"), "'")
	if tcURL == "" {
		tcURL = obj.String("tcurl")
	}
	app := strings.Trim(obj.String("app"), "/")
	app, _, _ = strings.Cut(app, "?")
	var host string
	if u, err := url.Parse(tcURL); err == nil {
		host = strings.ToLower(u.Hostname())
		c.uriQuery = u.RawQuery
		u.RawQuery = ""
		c.uriStem = u.String()
	}
	var d *snapshot.StreamingDistribution
	if host != "" {
		d = c.s.lookup(host)
	}
	refuse := func(desc string) error {
		c.s.log.Debug("rtmp: connect refused", "remote", c.nc.RemoteAddr().String(), "tcUrl", tcURL, "app", app, "reason", desc)
		c.writeCommand(csidCommand, 0, "_error", txn, nil, Object{
			{"level", "error"}, {"code", "NetConnection.Connect.Rejected"}, {"description", desc},
		})
		if d != nil {
			c.dist = d
			c.logEvent("connect", "NetConnection.Connect.Rejected", nil, "")
		}
		return errClose
	}
	switch {
	case d == nil:
		return refuse("No streaming distribution serves host " + host + ".")
	case !d.Config.Enabled:
		c.dist = d
		return refuse("The streaming distribution is disabled.")
	case app != "cfx/st" && app != "cfx":
		c.dist = d
		return refuse("Unknown application " + app + ": use cfx/st.")
	}
	c.dist = d
	c.stripSt = app == "cfx"
	c.connected = true
	c.nc.SetDeadline(time.Time{})

	c.wmu.Lock()
	err := c.writeControlLocked(msgWindowAckSize, binary.BigEndian.AppendUint32(nil, windowAckSize))
	if err == nil {
		err = c.writeControlLocked(msgSetPeerBandwidth, append(binary.BigEndian.AppendUint32(nil, windowAckSize), 2))
	}
	if err == nil {
		err = c.writeControlLocked(msgSetChunkSize, binary.BigEndian.AppendUint32(nil, outChunkSize))
		c.cw.chunkSize = outChunkSize
	}
	if err == nil {
		err = c.writeUserControlLocked(ucStreamBegin, 0)
	}
	if err == nil {
		err = c.writeCommandLocked(csidCommand, 0, "_result", txn,
			Object{{"fmsVer", "FMS/3,5,7,7009"}, {"capabilities", 31.0}, {"mode", 1.0}},
			Object{{"level", "status"}, {"code", "NetConnection.Connect.Success"}, {"description", "Connection succeeded."}, {"objectEncoding", 0.0}})
	}
	if err == nil {
		err = c.flushLocked()
	}
	c.wmu.Unlock()
	c.logEvent("connect", "OK", nil, "")
	return err
}

// --- writing ---

func (c *conn) flushLocked() error {
	c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.bw.Flush()
}

func (c *conn) writeMessageLocked(m *message) error {
	if c.bw.Available() < len(m.payload)+32 {
		c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	}
	return c.cw.writeMessage(m)
}

func (c *conn) writeControlLocked(typ uint8, payload []byte) error {
	return c.writeMessageLocked(&message{csid: csidControl, typ: typ, payload: payload})
}

func (c *conn) writeUserControlLocked(event uint16, streamID uint32) error {
	b := binary.BigEndian.AppendUint16(nil, event)
	return c.writeControlLocked(msgUserControl, binary.BigEndian.AppendUint32(b, streamID))
}

func (c *conn) writeControl(typ uint8, payload []byte) error {
	return c.writeControlMsg(typ, payload)
}

func (c *conn) writeControlMsg(typ uint8, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.writeControlLocked(typ, payload); err != nil {
		return err
	}
	return c.flushLocked()
}

func (c *conn) writeCommandLocked(csid, streamID uint32, name string, txn float64, args ...any) error {
	p := appendAMF(nil, name, txn)
	p = appendAMF(p, args...)
	return c.writeMessageLocked(&message{csid: csid, typ: msgCommandAMF0, streamID: streamID, payload: p})
}

func (c *conn) writeCommand(csid, streamID uint32, name string, txn float64, args ...any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.writeCommandLocked(csid, streamID, name, txn, args...); err != nil {
		return err
	}
	return c.flushLocked()
}

func (c *conn) writeStatusLocked(streamID uint32, level, code, desc string, extra ...Property) error {
	info := Object{{"level", level}, {"code", code}, {"description", desc}}
	info = append(info, extra...)
	return c.writeCommandLocked(csidStatus, streamID, "onStatus", 0, nil, info)
}

func (c *conn) writeStatus(streamID uint32, level, code, desc string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.writeStatusLocked(streamID, level, code, desc); err != nil {
		return err
	}
	return c.flushLocked()
}

func (c *conn) writeDataLocked(streamID uint32, values ...any) error {
	return c.writeMessageLocked(&message{csid: csidStatus, typ: msgDataAMF0, streamID: streamID, payload: appendAMF(nil, values...)})
}

func (c *conn) bytesSent() int64 {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.cw.written
}

// logEvent records one access log line for this connection.
func (c *conn) logEvent(event, status string, sn *streamName, sid string) {
	if c.dist == nil || !c.dist.Config.Logging.Enabled {
		return
	}
	e := &logEvent{
		time: c.s.opts.Now(), clientIP: c.clientIP, event: event, bytes: c.bytesSent(), status: status,
		clientID: c.clientID, uriStem: c.uriStem, uriQuery: c.uriQuery, referrer: c.swfURL,
		pageURL: c.pageURL, userAgent: c.flashVer, sid: sid,
	}
	if sn != nil {
		e.sname, e.squery, e.ext = sn.name, sn.rawQuery, sn.ext()
	}
	c.s.logs.add(c.dist, e)
}
