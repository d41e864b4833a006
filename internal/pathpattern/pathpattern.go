package pathpattern

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Default is the path pattern of a distribution's DefaultCacheBehavior.
const Default = "*"

// MaxPatternLength is the longest PathPattern the API accepts ("Path
// pattern" in "Cache behavior settings").
const MaxPatternLength = 255

// ErrInvalidPattern is wrapped by every error ValidatePattern and Compile
// return; the API maps it to InvalidArgument.
var ErrInvalidPattern = errors.New("invalid path pattern")

// ValidatePattern reports whether p is a PathPattern the CloudFront API
// accepts: 1 to 255 characters from `A-Z a-z 0-9 _ - . * $ / ~ " ' @ : +`
// and `&` (sent as `&amp;` in XML, so already decoded here), plus `?`.
//
// `?` is not in the character list of the AWS "Path pattern" section, yet
// the same AWS page documents `?` as the one-character wildcard with the
// example `a??.jpg`. A wildcard the API
// rejected could never be used, so `?` is accepted.
func ValidatePattern(p string) error {
	if p == "" {
		return fmt.Errorf("%w: empty", ErrInvalidPattern)
	}
	if n := utf8.RuneCountInString(p); n > MaxPatternLength {
		return fmt.Errorf("%w: %d characters, maximum is %d", ErrInvalidPattern, n, MaxPatternLength)
	}
	for i := 0; i < len(p); i++ {
		if !allowed(p[i]) {
			r, _ := utf8.DecodeRuneInString(p[i:])
			return fmt.Errorf("%w: character %q at offset %d is not allowed", ErrInvalidPattern, r, i)
		}
	}
	return nil
}

func allowed(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '_', '-', '.', '*', '?', '$', '/', '~', '"', '\'', '@', ':', '+', '&':
		return true
	}
	return false
}

// Pattern is a compiled PathPattern. It is immutable and safe for
// concurrent use.
type Pattern struct {
	raw string
	// segs are the pattern (without its leading '/') split at '*'.
	// len(segs) == 1 means the pattern has no star.
	segs []segment
	// minLen is the sum of the segment lengths: the shortest path that can
	// match.
	minLen int
}

// segment is a run of literal characters and '?' between stars.
type segment struct {
	s     string
	quest bool // s contains '?'
}

// Compile validates pattern and compiles it for Match.
func Compile(pattern string) (*Pattern, error) {
	if err := ValidatePattern(pattern); err != nil {
		return nil, err
	}
	body := strings.TrimPrefix(pattern, "/")
	p := &Pattern{raw: pattern}
	for part := range strings.SplitSeq(body, "*") {
		p.segs = append(p.segs, segment{s: part, quest: strings.IndexByte(part, '?') >= 0})
		p.minLen += len(part)
	}
	return p, nil
}

// MustCompile is Compile for patterns known to be valid (tests, constants);
// it panics on an invalid pattern.
func MustCompile(pattern string) *Pattern {
	p, err := Compile(pattern)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the pattern as given to Compile.
func (p *Pattern) String() string { return p.raw }

// Match reports whether the request path (escaped, without query string)
// matches the whole pattern. It does not allocate.
func (p *Pattern) Match(path string) bool {
	if len(path) > 0 && path[0] == '/' {
		path = path[1:]
	}
	if len(path) < p.minLen {
		return false
	}
	segs := p.segs
	if len(segs) == 1 {
		return len(path) == len(segs[0].s) && segs[0].equal(path)
	}
	first, last := segs[0], segs[len(segs)-1]
	if !first.equal(path[:len(first.s)]) || !last.equal(path[len(path)-len(last.s):]) {
		return false
	}
	rest := path[len(first.s) : len(path)-len(last.s)]
	for _, seg := range segs[1 : len(segs)-1] {
		i := seg.index(rest)
		if i < 0 {
			return false
		}
		rest = rest[i+len(seg.s):]
	}
	return true
}

// equal reports whether s (of the same length as the segment) matches it.
func (g segment) equal(s string) bool {
	if !g.quest {
		return g.s == s
	}
	for i := 0; i < len(g.s); i++ {
		if g.s[i] != '?' && g.s[i] != s[i] {
			return false
		}
	}
	return true
}

// index returns the offset of the leftmost match of the segment in s, or -1.
func (g segment) index(s string) int {
	if !g.quest {
		return strings.Index(s, g.s)
	}
	for i := 0; i+len(g.s) <= len(s); i++ {
		if g.equal(s[i : i+len(g.s)]) {
			return i
		}
	}
	return -1
}
