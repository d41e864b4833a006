package httpcache

import (
	"errors"
	"strconv"
	"strings"
)

// Errors returned by ParseRange.
var (
	// ErrInvalidRange means the Range header must be ignored and the whole
	// representation served with 200: unknown unit, bad syntax, ranges not
	// in ascending order or overlapping, or too many ranges ("How CloudFront
	// processes partial requests for an object (range GETs)").
	ErrInvalidRange = errors.New("invalid range")
	// ErrUnsatisfiable means no range overlaps the representation: answer
	// 416 with Content-Range: bytes */<size> (RFC 9110 §15.5.17).
	ErrUnsatisfiable = errors.New("range not satisfiable")
)

// MaxRanges is the most range-specs ParseRange accepts before ignoring the
// header (RFC 9110 §14.2 lets a server ignore "a set of many small
// ranges"; CloudFront's limit is undocumented).
const MaxRanges = 100

// ByteRange is a satisfiable range: Length bytes from Start.
type ByteRange struct {
	Start, Length int64
}

// ContentRange returns the Content-Range value for r in a representation of
// size bytes: "bytes first-last/size".
func (r ByteRange) ContentRange(size int64) string {
	return "bytes " + strconv.FormatInt(r.Start, 10) + "-" +
		strconv.FormatInt(r.Start+r.Length-1, 10) + "/" + strconv.FormatInt(size, 10)
}

// ParseRange parses a Range header (RFC 9110 §14.1.1, §14.2) against a
// representation of size bytes. It returns:
//
//   - nil, nil when header is empty (no range requested);
//   - ErrInvalidRange when the header must be ignored and 200 served. That
//     includes a unit other than "bytes" (case-insensitive), any
//     syntactically invalid range-spec (first-pos > last-pos, signs,
//     spaces inside a spec), and — per the AWS page "How CloudFront
//     processes partial requests for an object (range GETs)" — ranges that are not
//     in ascending order or that overlap;
//   - ErrUnsatisfiable when the set is valid but no range overlaps the
//     representation (first-pos ≥ size, suffix-length 0, size 0);
//   - otherwise the satisfiable ranges, in request order, with last-pos
//     clamped to size−1 and suffix ranges resolved; unsatisfiable members of
//     a satisfiable set are dropped (RFC 9110 §14.1.1). Several ranges mean
//     a multipart/byteranges 206.
//
// Ordering is checked on the positions as written (a suffix or open-ended
// range extends to the end), so `bytes=0-100,60-70` overlaps even when size
// is 50. Empty list elements are allowed (RFC 9110 §5.6.1).
func ParseRange(header string, size int64) ([]ByteRange, error) {
	if header == "" {
		return nil, nil
	}
	unit, set, ok := strings.Cut(header, "=")
	if !ok || !strings.EqualFold(trimOWS(unit), "bytes") {
		return nil, ErrInvalidRange
	}
	var (
		out   []ByteRange
		specs int
		// prevEnd is the exclusive end, as written, of the previous
		// range-spec; the next must start at or after it.
		prevEnd int64
	)
	for spec := range strings.SplitSeq(set, ",") {
		spec = trimOWS(spec)
		if spec == "" {
			continue
		}
		if specs++; specs > MaxRanges {
			return nil, ErrInvalidRange
		}
		first, last, ok := strings.Cut(spec, "-")
		if !ok {
			return nil, ErrInvalidRange
		}
		var start, end int64 // [start, end) as written; end may exceed size
		if first == "" {
			n, ok := parseUint(last)
			if !ok {
				return nil, ErrInvalidRange
			}
			start, end = max(size-n, 0), size
			if n == 0 {
				start = size // suffix-length 0: unsatisfiable
			}
		} else {
			f, ok := parseUint(first)
			if !ok {
				return nil, ErrInvalidRange
			}
			start, end = f, 1<<63-1 // open-ended: to the end, as written
			if last != "" {
				l, ok := parseUint(last)
				if !ok || l < f {
					return nil, ErrInvalidRange
				}
				end = satAdd1(l)
			}
		}
		if specs > 1 && start < prevEnd {
			return nil, ErrInvalidRange
		}
		prevEnd = end
		if start < size {
			out = append(out, ByteRange{Start: start, Length: min(end, size) - start})
		}
	}
	if specs == 0 {
		return nil, ErrInvalidRange
	}
	if len(out) == 0 {
		return nil, ErrUnsatisfiable
	}
	return out, nil
}

// parseUint parses 1*DIGIT, saturating at the largest int64.
func parseUint(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	const limit = (1<<63 - 1) / 10
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		switch {
		case n > limit, n == limit && d > 7:
			n = 1<<63 - 1
		default:
			n = n*10 + d
		}
	}
	return n, true
}

func satAdd1(n int64) int64 {
	if n == 1<<63-1 {
		return n
	}
	return n + 1
}

// Coalesce merges, in place, neighbouring ranges of ParseRange's result
// (ascending, not overlapping) separated by fewer than gap bytes: RFC 9110
// §14.2 lets a server coalesce ranges "separated by a gap that is smaller
// than the overhead of sending multiple parts". Adjacent ranges (gap 0)
// always merge. It returns the shortened slice.
func Coalesce(ranges []ByteRange, gap int64) []ByteRange {
	if len(ranges) < 2 {
		return ranges
	}
	out := ranges[:1]
	for _, r := range ranges[1:] {
		last := &out[len(out)-1]
		if end := last.Start + last.Length; r.Start-end < max(gap, 1) {
			last.Length = max(end, r.Start+r.Length) - last.Start
			continue
		}
		out = append(out, r)
	}
	return out
}
