package rtmp

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
)

// FLV tag types (FLV specification E.4.1).
const (
	flvAudio  = 8
	flvVideo  = 9
	flvScript = 18
)

// flvSource plays an FLV file: its tags map one-to-one onto RTMP audio,
// video and data messages. The file's own onMetaData is forwarded.
type flvSource struct {
	ra        sizedReaderAt
	br        *bufio.Reader
	pos       int64 // offset of the next tag header
	dataStart int64 // first tag after the leading metadata and sequence headers
	meta      ECMAArray
	cfgs      []tag
	index     []flvKeyframe // built on the first seek
	hdr       [flvTagHeader]byte
}

type flvKeyframe struct {
	ts  uint32
	pos int64
}

const (
	flvTagHeader = 11
	// flvProbeTags bounds the tags scanned at open for metadata and
	// sequence headers.
	flvProbeTags = 16
)

func openFLV(ra sizedReaderAt) (*flvSource, error) {
	s := &flvSource{ra: ra}
	var h [9]byte
	if _, err := ra.ReadAt(h[:], 0); err != nil {
		return nil, fmt.Errorf("%w: flv header: %v", errBadMedia, err)
	}
	if string(h[:3]) != "FLV" || h[3] != 1 {
		return nil, fmt.Errorf("%w: no FLV signature", errBadMedia)
	}
	s.reposition(int64(binary.BigEndian.Uint32(h[5:])) + 4) // + PreviousTagSize0
	var haveAudioCfg, haveVideoCfg bool
	for i := 0; i < flvProbeTags; i++ {
		at := s.pos
		t, err := s.readTag()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch {
		case t.typ == msgDataAMF0:
			if s.meta == nil {
				s.meta = flvMetadata(t.data)
			}
			continue
		case t.typ == msgVideo && isVideoConfig(t.data) && !haveVideoCfg:
			haveVideoCfg = true
			s.cfgs = append(s.cfgs, t)
			continue
		case t.typ == msgAudio && isAudioConfig(t.data) && !haveAudioCfg:
			haveAudioCfg = true
			s.cfgs = append(s.cfgs, t)
			continue
		}
		s.dataStart = at
		break
	}
	if s.dataStart == 0 {
		s.dataStart = s.pos
	}
	if s.meta == nil {
		s.meta = ECMAArray{}
	}
	s.reposition(s.dataStart)
	return s, nil
}

// flvMetadata extracts the onMetaData array of a script tag (the
// "@setDataFrame" wrapper some muxers write is skipped).
func flvMetadata(b []byte) ECMAArray {
	vals, _ := decodeAMF(b)
	for i, v := range vals {
		if name, _ := v.(string); name == "onMetaData" && i+1 < len(vals) {
			switch m := vals[i+1].(type) {
			case ECMAArray:
				return m
			case Object:
				return ECMAArray(m)
			}
		}
	}
	return nil
}

func isVideoConfig(b []byte) bool { return len(b) >= 2 && b[0]&0x0f == 7 && b[1] == 0 }
func isAudioConfig(b []byte) bool { return len(b) >= 2 && b[0]>>4 == 10 && b[1] == 0 }

func (s *flvSource) reposition(pos int64) {
	sr := io.NewSectionReader(s.ra, pos, s.ra.Size()-pos)
	if s.br == nil {
		s.br = bufio.NewReaderSize(sr, 64<<10)
	} else {
		s.br.Reset(sr)
	}
	s.pos = pos
}

// readTagHeader reads the 11-byte tag header at s.pos.
func (s *flvSource) readTagHeader() (typ uint8, size int, ts uint32, err error) {
	if _, err := io.ReadFull(s.br, s.hdr[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			err = io.EOF // a truncated last tag ends the file
		}
		return 0, 0, 0, err
	}
	typ = s.hdr[0] & 0x1f
	size = int(be24(s.hdr[1:]))
	ts = be24(s.hdr[4:]) | uint32(s.hdr[7])<<24
	return typ, size, ts, nil
}

func (s *flvSource) readTag() (tag, error) {
	for {
		typ, size, ts, err := s.readTagHeader()
		if err != nil {
			return tag{}, err
		}
		if s.pos+flvTagHeader+int64(size) > s.ra.Size() {
			return tag{}, io.EOF
		}
		data := make([]byte, size)
		if _, err := io.ReadFull(s.br, data); err != nil {
			return tag{}, io.EOF
		}
		if _, err := s.br.Discard(4); err != nil { // PreviousTagSize
			s.pos = s.ra.Size()
		} else {
			s.pos += flvTagHeader + int64(size) + 4
		}
		var t tag
		switch typ {
		case flvAudio:
			t = tag{typ: msgAudio, ts: ts, data: data}
		case flvVideo:
			t = tag{typ: msgVideo, ts: ts, data: data, key: size > 0 && data[0]>>4 == 1}
		case flvScript:
			t = tag{typ: msgDataAMF0, ts: ts, data: data}
		default:
			continue // reserved/encrypted tag types are skipped
		}
		return t, nil
	}
}

func (s *flvSource) metadata() ECMAArray { return s.meta }
func (s *flvSource) configs() []tag      { return s.cfgs }

// next returns the next audio or video tag; script tags after the header
// are dropped (onMetaData was sent already).
func (s *flvSource) next() (tag, error) {
	for {
		t, err := s.readTag()
		if err != nil {
			return t, err
		}
		if t.typ != msgDataAMF0 {
			return t, nil
		}
	}
}

// seek builds the keyframe index on first use by walking the tag headers
// (bodies are skipped, so only the blocks holding headers are read), then
// positions at the last keyframe at or before ms. Files without video
// seek on audio tags.
func (s *flvSource) seek(ms uint32) (uint32, error) {
	if s.index == nil {
		if err := s.buildIndex(); err != nil {
			return 0, err
		}
	}
	if len(s.index) == 0 {
		s.reposition(s.dataStart)
		return 0, nil
	}
	i := sort.Search(len(s.index), func(i int) bool { return s.index[i].ts > ms })
	if i > 0 {
		i--
	}
	s.reposition(s.index[i].pos)
	return s.index[i].ts, nil
}

func (s *flvSource) buildIndex() error {
	s.reposition(s.dataStart)
	var video, audio []flvKeyframe
	var first [1]byte
	for {
		at := s.pos
		typ, size, ts, err := s.readTagHeader()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if at+flvTagHeader+int64(size) > s.ra.Size() {
			break
		}
		skip := size + 4
		switch typ {
		case flvVideo:
			if size > 0 {
				if _, err := io.ReadFull(s.br, first[:]); err != nil {
					return err
				}
				skip--
				if first[0]>>4 == 1 {
					video = append(video, flvKeyframe{ts, at})
				}
			}
		case flvAudio:
			if len(audio) == 0 || ts-audio[len(audio)-1].ts >= 500 {
				audio = append(audio, flvKeyframe{ts, at})
			}
		}
		if _, err := s.br.Discard(skip); err != nil {
			break
		}
		s.pos = at + flvTagHeader + int64(size) + 4
	}
	s.index = video
	if len(s.index) == 0 {
		s.index = audio
	}
	if s.index == nil {
		s.index = []flvKeyframe{}
	}
	return nil
}

var _ source = (*flvSource)(nil)
