package httpguard

import "strings"

// ValidPort reports whether host ("name", "name:port", "[IPv6]" or
// "[IPv6]:port", as a Host header or an :authority carries it) has no port
// or a port of digits. "port = *DIGIT" (RFC 3986 section 3.2.3, which
// RFC 9110 section 7.2 and RFC 9112 section 3.2 refer to): an empty port
// is valid, "name:abc" is not, and a request with such a Host is
// answered 400 (RFC 9112 section 3.2). Outside an IP literal's brackets a
// host has at most one colon (a reg-name or IPv4 address has none).
// net/http checks the Host's characters only (httpguts.ValidHostHeader).
//
// It runs for every request of the fast path's HTTP/2 hits: a host without
// a colon costs one strings.IndexByte.
func ValidPort(host string) bool {
	c := strings.IndexByte(host, ':')
	if c < 0 {
		return true
	}
	if host[0] == '[' {
		// IP-literal (RFC 3986 section 3.2.2): the port follows "]".
		e := strings.IndexByte(host, ']')
		if e < 0 {
			return false
		}
		if e+1 == len(host) {
			return true
		}
		if host[e+1] != ':' {
			return false
		}
		c = e + 1
	}
	for i := c + 1; i < len(host); i++ {
		if host[i] < '0' || host[i] > '9' {
			return false
		}
	}
	return true
}
