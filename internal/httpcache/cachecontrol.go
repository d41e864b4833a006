package httpcache

import (
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxDeltaSeconds is the value a delta-seconds greater than any integer we
// represent is taken as: 2^31 seconds (RFC 9111 §1.2.2).
const MaxDeltaSeconds = 1 << 31

// CacheControl holds the response directives of RFC 9111 §5.2.2 (plus the
// RFC 5861 stale-* extensions and RFC 8246 immutable) parsed from one or
// more Cache-Control field lines.
//
// Durations are whole seconds. A HasX flag tells "absent" from "0".
//
// Invalid and duplicate values (RFC 9111 §4.2.1, "first occurrence or
// stale"; §1.2.2):
//   - max-age / s-maxage with a value that is not 1*DIGIT (missing, empty,
//     negative, fractional, `abc`) make the response stale: the directive is
//     recorded as present with value 0, as RFC 9111 §4.2.1 encourages
//     ("consider responses that have invalid freshness information ... to be
//     stale").
//   - stale-while-revalidate / stale-if-error with an invalid value are
//     treated as absent: they can only extend use of a stale response, so
//     dropping them is the restrictive choice.
//   - A value above 2^31 is taken as 2^31 seconds (RFC 9111 §1.2.2).
//   - When a directive repeats, the first occurrence wins for its value
//     (an invalid first occurrence still wins); boolean directives are
//     set by any occurrence; field lists of qualified no-cache / private are
//     merged.
type CacheControl struct {
	MaxAge                  time.Duration
	HasMaxAge               bool
	SMaxAge                 time.Duration
	HasSMaxAge              bool
	StaleWhileRevalidate    time.Duration
	HasStaleWhileRevalidate bool
	StaleIfError            time.Duration
	HasStaleIfError         bool

	// NoCache is the unqualified no-cache: the whole response must be
	// revalidated before each use. The qualified form no-cache="a, b" only
	// sets NoCacheFields (RFC 9111 §5.2.2.4): the rest of the response
	// stays usable.
	NoCache       bool
	NoCacheFields []string // canonical header names
	NoStore       bool
	// Private is the unqualified private: a shared cache must not store the
	// response. private="a, b" only sets PrivateFields (RFC 9111 §5.2.2.7).
	Private         bool
	PrivateFields   []string // canonical header names
	Public          bool
	MustRevalidate  bool
	ProxyRevalidate bool
	Immutable       bool
	NoTransform     bool
}

// ParseCacheControl parses a Cache-Control field value. Several field lines
// are combined by joining them with "," (RFC 9110 §5.3). Directive names are
// case-insensitive; arguments may be tokens or quoted strings (RFC 9111
// §5.2: recipients accept both forms). Unknown directives are ignored. It
// never fails: malformed parts are skipped.
func ParseCacheControl(header string) CacheControl {
	var cc CacheControl
	cc.parse(header)
	return cc
}

// CacheControlFromHeader parses every Cache-Control field line of h.
func CacheControlFromHeader(h http.Header) CacheControl {
	var cc CacheControl
	for _, v := range h.Values("Cache-Control") {
		cc.parse(v)
	}
	return cc
}

func (cc *CacheControl) parse(s string) {
	for s != "" {
		var name, arg string
		var hasArg bool
		name, arg, hasArg, s = nextDirective(s)
		if name == "" {
			continue
		}
		switch strings.ToLower(name) {
		case "max-age":
			setFreshness(&cc.MaxAge, &cc.HasMaxAge, arg, hasArg)
		case "s-maxage":
			setFreshness(&cc.SMaxAge, &cc.HasSMaxAge, arg, hasArg)
		case "stale-while-revalidate":
			setExtension(&cc.StaleWhileRevalidate, &cc.HasStaleWhileRevalidate, arg, hasArg)
		case "stale-if-error":
			setExtension(&cc.StaleIfError, &cc.HasStaleIfError, arg, hasArg)
		case "no-cache":
			var named bool
			cc.NoCacheFields, named = addFields(cc.NoCacheFields, arg)
			cc.NoCache = cc.NoCache || !named
		case "private":
			var named bool
			cc.PrivateFields, named = addFields(cc.PrivateFields, arg)
			cc.Private = cc.Private || !named
		case "no-store":
			cc.NoStore = true
		case "public":
			cc.Public = true
		case "must-revalidate":
			cc.MustRevalidate = true
		case "proxy-revalidate":
			cc.ProxyRevalidate = true
		case "immutable":
			cc.Immutable = true
		case "no-transform":
			cc.NoTransform = true
		}
	}
}

// nextDirective splits the first directive off s. It returns the name, the
// argument (unquoted) and whether there was a "=", and the rest of s after
// the separating comma. Commas inside quoted strings do not split.
func nextDirective(s string) (name, arg string, hasArg bool, rest string) {
	s = trimOWS(s)
	i := 0
	for i < len(s) && s[i] != ',' && s[i] != '=' {
		i++
	}
	name = trimOWS(s[:i])
	if i == len(s) {
		return name, "", false, ""
	}
	if s[i] == ',' {
		return name, "", false, s[i+1:]
	}
	// s[i] == '='
	s = trimOWS(s[i+1:])
	if strings.HasPrefix(s, `"`) {
		arg, s = quotedString(s)
		// Skip anything up to the next comma (malformed trailing junk).
		if j := strings.IndexByte(s, ','); j >= 0 {
			return name, arg, true, s[j+1:]
		}
		return name, arg, true, ""
	}
	if j := strings.IndexByte(s, ','); j >= 0 {
		return name, trimOWS(s[:j]), true, s[j+1:]
	}
	return name, trimOWS(s), true, ""
}

// quotedString reads a quoted-string at the start of s (which begins with
// '"'), undoing quoted-pairs. An unterminated string runs to the end.
func quotedString(s string) (value, rest string) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:]
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), ""
}

func trimOWS(s string) string { return strings.Trim(s, " \t") }

// parseDelta parses delta-seconds (1*DIGIT), saturating at MaxDeltaSeconds.
func parseDelta(s string) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < MaxDeltaSeconds {
			n = n*10 + int64(c-'0')
		}
	}
	return time.Duration(min(n, MaxDeltaSeconds)) * time.Second, true
}

// setFreshness records max-age / s-maxage: first occurrence wins; an
// invalid value means "stale" (present, 0).
func setFreshness(d *time.Duration, has *bool, arg string, hasArg bool) {
	if *has {
		return
	}
	*has = true
	v, ok := parseDelta(arg)
	if !hasArg || !ok {
		v = 0
	}
	*d = v
}

// setExtension records stale-while-revalidate / stale-if-error: first
// valid occurrence wins; an invalid value is ignored.
func setExtension(d *time.Duration, has *bool, arg string, hasArg bool) {
	if *has || !hasArg {
		return
	}
	if v, ok := parseDelta(arg); ok {
		*d, *has = v, true
	}
}

// addFields merges the comma-separated field names of a qualified
// no-cache / private into list, canonicalised and without duplicates.
// Names that are not tokens are dropped. named reports whether arg held at
// least one valid name; when it did not (no argument, `no-cache=""`,
// garbage) the caller treats the directive as unqualified, the restrictive
// reading.
func addFields(list []string, arg string) (_ []string, named bool) {
	for f := range strings.SplitSeq(arg, ",") {
		f = trimOWS(f)
		if f == "" || !isToken(f) {
			continue
		}
		named = true
		f = textproto.CanonicalMIMEHeaderKey(f)
		if !slices.Contains(list, f) {
			list = append(list, f)
		}
	}
	return list, named
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return s != ""
}

// String formats cc as a Cache-Control field value, directives in a fixed
// order. ParseCacheControl(cc.String()) == cc for any cc ParseCacheControl
// returned.
func (cc CacheControl) String() string {
	var parts []string
	add := func(ok bool, s string) {
		if ok {
			parts = append(parts, s)
		}
	}
	secs := func(name string, d time.Duration) string {
		return name + "=" + strconv.FormatInt(int64(d/time.Second), 10)
	}
	add(cc.Public, "public")
	add(cc.Private, "private")
	add(len(cc.PrivateFields) > 0, `private="`+strings.Join(cc.PrivateFields, ", ")+`"`)
	add(cc.NoCache, "no-cache")
	add(len(cc.NoCacheFields) > 0, `no-cache="`+strings.Join(cc.NoCacheFields, ", ")+`"`)
	add(cc.NoStore, "no-store")
	add(cc.HasMaxAge, secs("max-age", cc.MaxAge))
	add(cc.HasSMaxAge, secs("s-maxage", cc.SMaxAge))
	add(cc.MustRevalidate, "must-revalidate")
	add(cc.ProxyRevalidate, "proxy-revalidate")
	add(cc.NoTransform, "no-transform")
	add(cc.Immutable, "immutable")
	add(cc.HasStaleWhileRevalidate, secs("stale-while-revalidate", cc.StaleWhileRevalidate))
	add(cc.HasStaleIfError, secs("stale-if-error", cc.StaleIfError))
	return strings.Join(parts, ", ")
}
