package rtmp

import (
	"errors"
	"io"
)

// tag is one media message as it goes to the player: an FLV tag body with
// its message type and timestamp.
type tag struct {
	typ  uint8  // msgAudio, msgVideo or msgDataAMF0
	ts   uint32 // decoding timestamp in milliseconds
	key  bool   // video keyframe
	data []byte // FLV tag body (= RTMP message payload)
}

// source is a playable media object: an FLV file or an MP4 file, read
// from the origin through the block cache. It is used by one goroutine.
type source interface {
	// metadata returns the onMetaData properties.
	metadata() ECMAArray
	// configs returns the codec configuration tags (AVC sequence header,
	// AAC AudioSpecificConfig) sent before media, at the start and after
	// every seek.
	configs() []tag
	// seek positions the source at the keyframe at or before ms and
	// returns that keyframe's time.
	seek(ms uint32) (uint32, error)
	// next returns the next media tag, or io.EOF at the end.
	next() (tag, error)
}

// errBadMedia marks an object that is not a playable FLV or MP4 file.
var errBadMedia = errors.New("rtmp: not a playable media file")

// sizedReaderAt is a random-access object of known size.
type sizedReaderAt interface {
	io.ReaderAt
	Size() int64
}
