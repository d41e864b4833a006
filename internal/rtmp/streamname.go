package rtmp

import (
	"errors"
	"net/url"
	"path"
	"strings"
)

// streamName is a parsed play path ("Configuring the Media Player", archived
// RTMP pages of the Developer Guide): "mp4:<key>" for
// MP4 objects, "<key>" or "flv:<key>" for FLV objects (".flv" optional),
// optionally followed by "?query" with the viewer's own parameters and,
// for private content, the signed-URL parameters.
type streamName struct {
	raw      string     // as the player sent it
	name     string     // without the query
	resource string     // name plus the viewer's own query: what is signed
	query    url.Values // whole query, signing parameters included
	rawQuery string     // whole query as sent
	mp4      bool       // MP4 container; else FLV
	key      string     // S3 object key
}

// errBadStreamName is returned for play paths that name no object.
var errBadStreamName = errors.New("rtmp: invalid stream name")

// maxStreamName bounds a play path (S3 keys are at most 1024 bytes).
const maxStreamName = 4096

func isSigningParam(name string) bool {
	switch name {
	case "Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm":
		return true
	}
	return false
}

// parseStreamName parses a play path.
func parseStreamName(raw string) (streamName, error) {
	s := streamName{raw: raw}
	if raw == "" || len(raw) > maxStreamName {
		return s, errBadStreamName
	}
	name, rawQuery, _ := strings.Cut(raw, "?")
	s.rawQuery = rawQuery
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return s, errBadStreamName
	}
	s.query = q
	// The resource keeps the viewer's own parameters in their order and
	// drops the signing parameters ("Create a signed URL using a canned policy").
	var own []string
	for _, kv := range strings.Split(rawQuery, "&") {
		k, _, _ := strings.Cut(kv, "=")
		if kv != "" && !isSigningParam(k) {
			own = append(own, kv)
		}
	}
	s.name = name
	s.resource = name
	if len(own) > 0 {
		s.resource += "?" + strings.Join(own, "&")
	}

	key := name
	switch {
	case strings.HasPrefix(key, "mp4:"):
		key, s.mp4 = key[4:], true
	case strings.HasPrefix(key, "flv:"):
		key = key[4:]
	case strings.Contains(key[:strings.IndexByte(key+"/", '/')], ":"):
		// mp3:, id3:, raw: and other Flash Media Server prefixes.
		return s, errBadStreamName
	default:
		switch strings.ToLower(path.Ext(key)) {
		case ".mp4", ".m4v", ".m4a", ".mov", ".f4v", ".3gp":
			s.mp4 = true
		}
	}
	key = strings.TrimLeft(key, "/")
	if !s.mp4 && !strings.EqualFold(path.Ext(key), ".flv") {
		key += ".flv"
	}
	if key == "" || key == ".flv" {
		return s, errBadStreamName
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return s, errBadStreamName
		}
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] == 0x7f {
			return s, errBadStreamName
		}
	}
	s.key = key
	return s, nil
}

// ext is the file extension for access logs (x-file-ext).
func (s streamName) ext() string {
	e := strings.TrimPrefix(path.Ext(s.key), ".")
	if e == "" {
		return "-"
	}
	return e
}
