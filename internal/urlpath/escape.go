package urlpath

// EscapedLen is the length of the path p once the bytes a canonical path
// cannot hold raw (those outside keepRaw, as clean escapes them) are
// percent-encoded; escapes already in p count as they are written.
func EscapedLen(p string) int {
	n := len(p)
	for i := 0; i < len(p); i++ {
		if c := p[i]; c != '%' && !keepRaw[c] {
			n += 2
		}
	}
	return n
}

// EscapeBytes percent-encodes (%XX, upper-case hex) the bytes of s that
// escape reports, and returns s itself when there are none. Callers
// choose the set: the bytes a request line or a header value cannot carry
// raw, say (RFC 3986 section 2.1).
func EscapeBytes(s string, escape func(c byte) bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if escape(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; escape(c) {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}
