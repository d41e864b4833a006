package rtmp

import (
	"fmt"
	"io"
	"sort"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/pmp4"
)

// mp4Source plays an MP4 file: mediacommon's pmp4 reads the moov index
// through the ranged reader (only the boxes it walks are fetched), and
// each sample's payload is read when it is sent. H.264 video and AAC
// audio tracks are played; other tracks are skipped.
type mp4Source struct {
	samples []mp4Sample // all played samples in decoding order
	pos     int
	meta    ECMAArray
	cfgs    []tag
}

type mp4Sample struct {
	video bool
	key   bool
	dts   uint32 // ms
	cts   int32  // ms, composition offset
	get   func() ([]byte, error)
}

func openMP4(ra sizedReaderAt) (*mp4Source, error) {
	var p pmp4.Presentation
	if err := p.Unmarshal(io.NewSectionReader(ra, 0, ra.Size())); err != nil {
		return nil, fmt.Errorf("%w: mp4: %v", errBadMedia, err)
	}
	s := &mp4Source{}
	var duration float64
	meta := ECMAArray{}
	for _, t := range p.Tracks {
		var video bool
		switch c := t.Codec.(type) {
		case *codecs.H264:
			if s.hasVideo() || len(c.SPS) < 4 || len(c.PPS) == 0 {
				continue
			}
			video = true
			s.cfgs = append(s.cfgs, tag{typ: msgVideo, key: true, data: append([]byte{0x17, 0, 0, 0, 0}, avcDecoderConfig(c.SPS, c.PPS)...)})
			var sps h264.SPS
			if err := sps.Unmarshal(c.SPS); err == nil {
				meta = append(meta, Property{"width", float64(sps.Width())}, Property{"height", float64(sps.Height())})
			}
			meta = append(meta, Property{"videocodecid", 7.0})
		case *codecs.MPEG4Audio:
			if s.hasAudio() {
				continue
			}
			asc, err := c.Config.Marshal()
			if err != nil {
				continue
			}
			s.cfgs = append(s.cfgs, tag{typ: msgAudio, data: append([]byte{0xaf, 0}, asc...)})
			meta = append(meta,
				Property{"audiocodecid", 10.0},
				Property{"audiosamplerate", float64(c.Config.SampleRate)},
				Property{"stereo", c.Config.ChannelConfig >= 2 || c.Config.ChannelCount >= 2})
		default:
			continue
		}
		var dts uint64
		scale := uint64(t.TimeScale)
		for _, sa := range t.Samples {
			s.samples = append(s.samples, mp4Sample{
				video: video,
				key:   video && !sa.IsNonSyncSample,
				dts:   uint32(dts * 1000 / scale),
				cts:   int32(int64(sa.PTSOffset) * 1000 / int64(scale)),
				get:   sa.GetPayload,
			})
			dts += uint64(sa.Duration)
		}
		d := float64(dts) / float64(scale)
		duration = max(duration, d)
		if video && d > 0 {
			meta = append(meta, Property{"framerate", float64(len(t.Samples)) / d})
		}
	}
	if len(s.samples) == 0 {
		return nil, fmt.Errorf("%w: mp4 has no H.264 or AAC track", errBadMedia)
	}
	// Interleave the tracks by decoding time; at equal times video goes
	// first so a seek lands on its keyframe.
	sort.SliceStable(s.samples, func(i, j int) bool {
		a, b := s.samples[i], s.samples[j]
		if a.dts != b.dts {
			return a.dts < b.dts
		}
		return a.video && !b.video
	})
	s.meta = append(ECMAArray{{"duration", duration}}, meta...)
	return s, nil
}

func (s *mp4Source) hasVideo() bool { return len(s.cfgs) > 0 && s.cfgs[0].typ == msgVideo }
func (s *mp4Source) hasAudio() bool {
	for _, c := range s.cfgs {
		if c.typ == msgAudio {
			return true
		}
	}
	return false
}

// avcDecoderConfig builds an AVCDecoderConfigurationRecord (ISO 14496-15
// §5.2.4.1) for one SPS and one PPS, with 4-byte NAL unit lengths (what
// MP4 muxers write and the samples carry).
func avcDecoderConfig(sps, pps []byte) []byte {
	b := []byte{1, sps[1], sps[2], sps[3], 0xff, 0xe1, byte(len(sps) >> 8), byte(len(sps))}
	b = append(b, sps...)
	b = append(b, 1, byte(len(pps)>>8), byte(len(pps)))
	return append(b, pps...)
}

func (s *mp4Source) metadata() ECMAArray { return s.meta }
func (s *mp4Source) configs() []tag      { return s.cfgs }

func (s *mp4Source) next() (tag, error) {
	if s.pos >= len(s.samples) {
		return tag{}, io.EOF
	}
	sa := &s.samples[s.pos]
	s.pos++
	payload, err := sa.get()
	if err != nil {
		return tag{}, fmt.Errorf("read mp4 sample: %w", err)
	}
	if !sa.video {
		data := make([]byte, 2+len(payload))
		data[0], data[1] = 0xaf, 1
		copy(data[2:], payload)
		return tag{typ: msgAudio, ts: sa.dts, data: data}, nil
	}
	data := make([]byte, 5+len(payload))
	data[0] = 0x27
	if sa.key {
		data[0] = 0x17
	}
	data[1] = 1
	putBE24(data[2:], uint32(sa.cts)&0xffffff)
	copy(data[5:], payload)
	return tag{typ: msgVideo, ts: sa.dts, key: sa.key, data: data}, nil
}

// seek positions at the last video keyframe at or before ms (any sample
// when there is no video).
func (s *mp4Source) seek(ms uint32) (uint32, error) {
	best := -1
	video := s.hasVideo()
	for i := range s.samples {
		sa := &s.samples[i]
		if sa.dts > ms && best >= 0 {
			break
		}
		if !video || sa.key {
			best = i
		}
	}
	if best < 0 {
		best = 0
	}
	s.pos = best
	return s.samples[best].dts, nil
}

var _ source = (*mp4Source)(nil)
