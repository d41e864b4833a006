package rtmp

import (
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// ctrlKind is a command the read loop hands to the player.
type ctrlKind int

const (
	ctrlSeek ctrlKind = iota
	ctrlPause
	ctrlUnpause
	ctrlStop
)

type ctrlMsg struct {
	kind ctrlKind
	ms   uint32
}

// Pacing: media is sent ahead of real time by the player's buffer length
// plus minLead, so players fill their buffer at once and then receive
// media at the rate it plays, as Flash Media Server does; pause holds the
// stream where it is.
const (
	minLead = 2 * time.Second
	maxLead = 12 * time.Second
)

// player streams one object on one message stream.
type player struct {
	c        *conn
	streamID uint32
	rawName  string
	start    float64 // seconds; negative = from the beginning
	ctrl     chan ctrlMsg
	done     chan struct{}

	sn  streamName
	sid string

	lastTS uint32
	base   time.Time // wall time at which media time baseTS is due
	baseTS uint32
}

func (c *conn) startPlayer(streamID uint32, name string, start float64) {
	c.stopPlayer()
	if c.stripSt {
		name = strings.TrimPrefix(name, "st/")
	}
	p := &player{c: c, streamID: streamID, rawName: name, start: start, ctrl: make(chan ctrlMsg, 16), done: make(chan struct{}), sid: strconv.FormatUint(uint64(streamID), 10)}
	c.pmu.Lock()
	c.player = p
	c.pmu.Unlock()
	go func() {
		defer close(p.done)
		if err := p.run(); err != nil {
			if errors.Is(err, errClose) {
				// A refusal was sent: close the connection so the player
				// sees the end at once (OpenFront's choice: refusals are
				// fast; AWS retired RTMP distributions).
				c.cancel()
				return
			}
			var ne net.Error
			if !errors.As(err, &ne) && !errors.Is(err, net.ErrClosed) && c.ctx.Err() == nil {
				c.s.log.Warn("rtmp: play failed", "dist_id", c.dist.ID, "stream", name, "err", err)
			}
			c.cancel()
		}
	}()
}

// stopPlayer stops the current player, if any, and waits for it.
func (c *conn) stopPlayer() {
	c.pmu.Lock()
	p := c.player
	c.player = nil
	c.pmu.Unlock()
	if p == nil {
		return
	}
	select {
	case p.ctrl <- ctrlMsg{kind: ctrlStop}:
	case <-p.done:
	}
	<-p.done
}

// control hands a command to the current player; commands without a
// player are ignored.
func (c *conn) control(m ctrlMsg) {
	c.pmu.Lock()
	p := c.player
	c.pmu.Unlock()
	if p == nil {
		return
	}
	select {
	case p.ctrl <- m:
	case <-p.done:
	}
}

func (p *player) lead() time.Duration {
	p.c.pmu.Lock()
	bl := time.Duration(p.c.bufferLen) * time.Millisecond
	p.c.pmu.Unlock()
	return min(minLead+bl, maxLead)
}

// refuse sends an error status for the stream and ends the connection.
func (p *player) refuse(code, desc string) error {
	p.c.writeStatus(p.streamID, "error", code, desc)
	p.c.logEvent("play", code, &p.sn, p.sid)
	return errClose
}

func (p *player) run() error {
	c := p.c
	sn, err := parseStreamName(p.rawName)
	p.sn = sn
	if err != nil {
		return p.refuse("NetStream.Play.StreamNotFound", "Invalid stream name: "+p.rawName)
	}
	if signers := c.dist.Config.TrustedSigners; signers != nil {
		var err error = errNoVerifier
		if c.s.opts.Verifier != nil {
			if verify := c.s.opts.Verifier(signers); verify != nil {
				err = verify(sn.resource, sn.query, net.ParseIP(c.clientIP), c.s.opts.Now())
			}
		}
		if err != nil {
			c.s.log.Debug("rtmp: signed stream refused", "dist_id", c.dist.ID, "stream", sn.name, "err", err)
			return p.refuse("NetStream.Play.Failed", "Access denied.")
		}
	}
	obj, err := c.s.blocks.open(c.ctx, c.dist, sn.key)
	if err != nil {
		switch {
		case errors.Is(err, errNotFound):
			return p.refuse("NetStream.Play.StreamNotFound", "Failed to play "+sn.name+"; stream not found.")
		case errors.Is(err, errBadMedia):
			return p.refuse("NetStream.Play.Failed", "Failed to play "+sn.name+"; not a playable file.")
		case c.ctx.Err() != nil:
			return c.ctx.Err()
		}
		c.s.log.Warn("rtmp: origin fetch failed", "dist_id", c.dist.ID, "key", sn.key, "err", err)
		return p.refuse("NetStream.Play.Failed", "Failed to play "+sn.name+"; origin error.")
	}
	defer obj.Close()
	var src source
	if sn.mp4 {
		src, err = openMP4(obj)
	} else {
		src, err = openFLV(obj)
	}
	if err != nil {
		if errors.Is(err, errNotFound) {
			return p.refuse("NetStream.Play.StreamNotFound", "Failed to play "+sn.name+"; stream not found.")
		}
		c.s.log.Info("rtmp: unplayable object", "dist_id", c.dist.ID, "key", sn.key, "err", err)
		return p.refuse("NetStream.Play.Failed", "Failed to play "+sn.name+"; not a playable file.")
	}
	if p.start > 0 {
		ts, err := src.seek(uint32(p.start * 1000))
		if err != nil {
			return err
		}
		p.lastTS = ts
	}
	if err := p.begin(src); err != nil {
		return err
	}
	c.logEvent("play", "OK", &p.sn, p.sid)
	return p.stream(src)
}

// begin sends the play preamble: stream begin, status, sample access,
// metadata and codec configuration.
func (p *player) begin(src source) error {
	c := p.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	desc := "Playing and resetting " + p.sn.name + "."
	err := c.writeUserControlLocked(ucStreamIsRecorded, p.streamID)
	if err == nil {
		err = c.writeUserControlLocked(ucStreamBegin, p.streamID)
	}
	if err == nil {
		err = c.writeStatusLocked(p.streamID, "status", "NetStream.Play.Reset", desc, Property{"details", p.sn.name})
	}
	if err == nil {
		err = c.writeStatusLocked(p.streamID, "status", "NetStream.Play.Start", "Started playing "+p.sn.name+".", Property{"details", p.sn.name})
	}
	if err == nil {
		err = c.writeDataLocked(p.streamID, "|RtmpSampleAccess", false, false)
	}
	if err == nil {
		err = c.writeDataLocked(p.streamID, "onMetaData", src.metadata())
	}
	if err == nil {
		err = p.writeConfigsLocked(src)
	}
	if err == nil {
		err = c.flushLocked()
	}
	return err
}

func (p *player) writeConfigsLocked(src source) error {
	for _, t := range src.configs() {
		if err := p.writeTagLocked(t, p.lastTS); err != nil {
			return err
		}
	}
	return nil
}

func (p *player) writeTagLocked(t tag, ts uint32) error {
	csid := uint32(csidAudio)
	switch t.typ {
	case msgVideo:
		csid = csidVideo
	case msgDataAMF0:
		csid = csidStatus
	}
	return p.c.writeMessageLocked(&message{csid: csid, typ: t.typ, streamID: p.streamID, timestamp: ts, payload: t.data})
}

// stream sends media paced against the wall clock, handling seek, pause
// and stop between messages.
func (p *player) stream(src source) error {
	c := p.c
	p.base, p.baseTS = time.Now(), p.lastTS
	paused, ended := false, false
	var pending *tag
	for {
		// Commands first, without blocking unless paused or at the end.
		var m ctrlMsg
		var got bool
		if paused || ended {
			select {
			case m = <-p.ctrl:
				got = true
			case <-c.ctx.Done():
				return nil
			}
		} else {
			select {
			case m = <-p.ctrl:
				got = true
			default:
			}
		}
		if got {
			switch m.kind {
			case ctrlStop:
				c.logEvent("stop", "OK", &p.sn, p.sid)
				return nil
			case ctrlPause:
				if !paused && !ended {
					paused = true
					c.logEvent("pause", "OK", &p.sn, p.sid)
					c.wmu.Lock()
					err := c.writeUserControlLocked(ucStreamEOF, p.streamID)
					if err == nil {
						err = c.writeStatusLocked(p.streamID, "status", "NetStream.Pause.Notify", "Pausing "+p.sn.name+".")
					}
					if err == nil {
						err = c.flushLocked()
					}
					c.wmu.Unlock()
					if err != nil {
						return err
					}
				}
			case ctrlUnpause:
				if paused {
					paused = false
					c.logEvent("unpause", "OK", &p.sn, p.sid)
					p.base, p.baseTS = time.Now(), p.lastTS
					c.wmu.Lock()
					err := c.writeUserControlLocked(ucStreamBegin, p.streamID)
					if err == nil {
						err = c.writeStatusLocked(p.streamID, "status", "NetStream.Unpause.Notify", "Unpausing "+p.sn.name+".")
					}
					if err == nil {
						err = c.flushLocked()
					}
					c.wmu.Unlock()
					if err != nil {
						return err
					}
				}
			case ctrlSeek:
				ts, err := src.seek(m.ms)
				if err != nil {
					return err
				}
				c.logEvent("seek", "OK", &p.sn, p.sid)
				pending, ended = nil, false
				p.lastTS = ts
				p.base, p.baseTS = time.Now(), ts
				c.wmu.Lock()
				if paused {
					// A seek while paused stays paused (the player sends
					// unpause when it wants media).
					err = c.writeStatusLocked(p.streamID, "status", "NetStream.Seek.Notify", "Seeking "+strconv.FormatUint(uint64(ts), 10)+" (stream ID: "+p.sid+").")
				} else {
					err = c.writeUserControlLocked(ucStreamBegin, p.streamID)
					if err == nil {
						err = c.writeStatusLocked(p.streamID, "status", "NetStream.Seek.Notify", "Seeking "+strconv.FormatUint(uint64(ts), 10)+" (stream ID: "+p.sid+").")
					}
					if err == nil {
						err = c.writeStatusLocked(p.streamID, "status", "NetStream.Play.Start", "Started playing "+p.sn.name+".")
					}
				}
				if err == nil {
					err = p.writeConfigsLocked(src)
				}
				if err == nil {
					err = c.flushLocked()
				}
				c.wmu.Unlock()
				if err != nil {
					return err
				}
			}
			continue
		}

		// Next message.
		if pending == nil {
			t, err := src.next()
			if err == io.EOF {
				// The end is signalled when the last media is due, not
				// when it was sent ahead: a player that seeks meanwhile
				// must not see a stale NetStream.Play.Stop after its
				// seek (ffmpeg would stop there).
				if wait := p.due(p.lastTS); wait > 0 {
					if m, ok := p.sleep(wait); !ok {
						return nil
					} else if m != nil {
						p.requeue(*m)
						continue
					}
				}
				if err := p.end(src); err != nil {
					return err
				}
				ended = true
				continue
			}
			if err != nil {
				return err
			}
			pending = &t
		}
		if wait := p.due(pending.ts) - p.lead(); wait > 0 {
			if m, ok := p.sleep(wait); !ok {
				return nil
			} else if m != nil {
				// Put it back through the loop's command handling.
				p.requeue(*m)
				continue
			}
		}
		c.wmu.Lock()
		err := p.writeTagLocked(*pending, pending.ts)
		c.wmu.Unlock()
		if err != nil {
			return err
		}
		p.lastTS = pending.ts
		pending = nil
	}
}

// sleep waits for d, flushing first. It returns a command that arrived
// meanwhile, and false when the connection ended.
func (p *player) sleep(d time.Duration) (*ctrlMsg, bool) {
	c := p.c
	c.wmu.Lock()
	err := c.flushLocked()
	c.wmu.Unlock()
	if err != nil {
		return nil, false
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil, true
	case m := <-p.ctrl:
		return &m, true
	case <-c.ctx.Done():
		return nil, false
	}
}

// requeue puts a command back at the head of the queue (the channel has
// room: the player is the only reader and this is the one it took).
func (p *player) requeue(m ctrlMsg) {
	rest := []ctrlMsg{m}
	for {
		select {
		case x := <-p.ctrl:
			rest = append(rest, x)
			continue
		default:
		}
		break
	}
	for _, x := range rest {
		select {
		case p.ctrl <- x:
		default:
		}
	}
}

// due returns how far in the future media time ts is due.
func (p *player) due(ts uint32) time.Duration {
	if ts < p.baseTS {
		return -time.Until(p.base)
	}
	return time.Until(p.base.Add(time.Duration(ts-p.baseTS) * time.Millisecond))
}

// end signals the end of the file: onPlayStatus Complete, StreamEOF and
// NetStream.Play.Stop (OpenFront's choice; AWS retired RTMP distributions
// and documents no end-of-stream sequence).
func (p *player) end(src source) error {
	c := p.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	dur, _ := propFloat(src.metadata(), "duration")
	err := c.writeDataLocked(p.streamID, "onPlayStatus", Object{
		{"code", "NetStream.Play.Complete"}, {"level", "status"}, {"duration", dur}, {"bytes", float64(c.cw.written)},
	})
	if err == nil {
		err = c.writeUserControlLocked(ucStreamEOF, p.streamID)
	}
	if err == nil {
		err = c.writeStatusLocked(p.streamID, "status", "NetStream.Play.Stop", "Stopped playing "+p.sn.name+".", Property{"details", p.sn.name})
	}
	if err == nil {
		err = c.flushLocked()
	}
	return err
}

func propFloat(props ECMAArray, key string) (float64, bool) {
	for _, pr := range props {
		if pr.Key == key {
			f, ok := pr.Value.(float64)
			return f, ok
		}
	}
	return 0, false
}
