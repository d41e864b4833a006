package urlpath

import (
	"bytes"
	"errors"
)

// Errors of Normalize and ForAccess; the edge answers each with 400.
var (
	ErrNotAbsolute = errors.New("urlpath: path does not start with /")
	ErrBadEscape   = errors.New("urlpath: malformed percent-encoding")
	ErrNUL         = errors.New("urlpath: NUL in path")
	ErrControl     = errors.New("urlpath: control character in path")
)

// Normalize returns the canonical form of the escaped path p (see the
// package doc). It returns p itself, without allocating, when p is already
// canonical.
func Normalize(p string) (string, error) {
	if scan(p, false) {
		return p, nil
	}
	return clean(p, false)
}

// ForAccess returns the access form of the escaped path p: its canonical
// form with %2F and %5C as `/`, runs of `/` merged and dot segments
// removed (see the package doc). It returns p itself, without allocating,
// when p is already in that form.
func ForAccess(p string) (string, error) {
	if scan(p, true) {
		return p, nil
	}
	c, err := Normalize(p)
	if err != nil {
		return "", err
	}
	if scan(c, true) {
		return c, nil
	}
	return clean(c, true)
}

// IsNormal reports whether p is both its canonical and its access form,
// so that every decision may use p as it is. It does not allocate.
func IsNormal(p string) bool { return scan(p, true) }

// scan reports whether p needs no change: it starts with `/`, holds only
// characters kept raw and upper-case escapes of characters that are not
// unreserved (nor NUL), and no `.` or `..` segment; with access also no
// empty segment and no %2F or %5C.
func scan(p string, access bool) bool {
	if len(p) == 0 || p[0] != '/' {
		return false
	}
	seg := 1 // start of the current segment
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			switch n := i - seg; {
			case n == 0:
				if access && i < len(p) {
					return false
				}
			case n == 1:
				if p[seg] == '.' {
					return false
				}
			case n == 2:
				if p[seg] == '.' && p[seg+1] == '.' {
					return false
				}
			}
			seg = i + 1
			continue
		}
		c := p[i]
		if c == '%' {
			if i+2 >= len(p) || !isUpperHex(p[i+1]) || !isUpperHex(p[i+2]) {
				return false
			}
			v := unhex(p[i+1])<<4 | unhex(p[i+2])
			if v == 0 || unreserved[v] || access && (v == '/' || v == '\\') {
				return false
			}
			i += 2
			continue
		}
		if !keepRaw[c] {
			return false
		}
	}
	return true
}

// clean builds the canonical (access false) or access form of p. For the
// access form p must be canonical already.
func clean(p string, access bool) (string, error) {
	if len(p) == 0 || p[0] != '/' {
		return "", ErrNotAbsolute
	}
	out := make([]byte, 1, len(p)+8)
	out[0] = '/'
	seg := 1 // start in out of the current segment
	// endSegment closes the segment out[seg:]: a `.` or `..` is removed
	// (with the segment before it for `..`, never the root); otherwise a
	// `/` follows it when sep.
	endSegment := func(sep bool) {
		s := out[seg:]
		switch {
		case len(s) == 1 && s[0] == '.':
			out = out[:seg]
		case len(s) == 2 && s[0] == '.' && s[1] == '.':
			out = out[:seg]
			if seg > 1 {
				prev := bytes.LastIndexByte(out[:seg-1], '/')
				out = out[:prev+1]
			}
		case len(s) == 0 && access:
			// an empty segment: runs of `/` are one `/`
		default:
			if sep {
				out = append(out, '/')
			}
		}
		seg = len(out)
	}
	for i := 1; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '/':
			endSegment(true)
		case c == '%':
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return "", ErrBadEscape
			}
			v := unhex(p[i+1])<<4 | unhex(p[i+2])
			i += 2
			switch {
			case v == 0:
				return "", ErrNUL
			case unreserved[v]:
				out = append(out, v)
			case access && (v == '/' || v == '\\'):
				endSegment(true)
			default:
				out = append(out, '%', upperHex[v>>4], upperHex[v&15])
			}
		case c < 0x20 || c == 0x7f:
			return "", ErrControl
		case keepRaw[c]:
			out = append(out, c)
		default:
			out = append(out, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	endSegment(false)
	return string(out), nil
}

const upperHex = "0123456789ABCDEF"

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// unreserved are RFC 3986 §2.3's unreserved characters, which an escape
// never needs to hide.
var unreserved = byteSet("-._~")

// keepRaw are the bytes a canonical path holds unescaped: unreserved,
// sub-delims, `:`, `@`, `/`, and `[` `]`, the set Go's url.URL.EscapedPath
// keeps (so net/http's path and the fast path's agree).
var keepRaw = byteSet("-._~!$&'()*+,;=:@[]/")

func byteSet(extra string) (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for i := 0; i < len(extra); i++ {
		t[extra[i]] = true
	}
	return t
}
