package fastpath

// The HPACK encoder (RFC 7541) of responses: fields as "literal without
// indexing", with the static table's index for known names, no Huffman
// coding and no dynamic table. It keeps no state, so any goroutine can
// encode a block without ordering against the others, and it allocates
// nothing: the cost of x/net's hpack.Encoder (state under the
// connection's lock, strings copied into its dynamic table) buys a few
// hundred bytes per response that the hits of this server do not need.
// nginx encodes responses the same way, but for its Huffman coding.

// appendStatus appends :status, indexed for the codes the static table has.
func appendStatus(dst []byte, status int) []byte {
	switch status {
	case 200:
		return append(dst, 0x80|8)
	case 204:
		return append(dst, 0x80|9)
	case 206:
		return append(dst, 0x80|10)
	case 304:
		return append(dst, 0x80|11)
	case 400:
		return append(dst, 0x80|12)
	case 404:
		return append(dst, 0x80|13)
	case 500:
		return append(dst, 0x80|14)
	}
	// Literal without indexing, name :status, a 3-digit value.
	return append(dst, 8, 3, byte('0'+status/100%10), byte('0'+status/10%10), byte('0'+status%10))
}

// appendHPACK appends one field; name must be lowercase.
func appendHPACK(dst []byte, name, value string) []byte {
	if i := staticNameIndex(name); i > 0 {
		dst = appendHPACKInt(dst, 0x00, 4, uint64(i))
	} else {
		dst = append(dst, 0x00)
		dst = appendHPACKString(dst, name)
	}
	return appendHPACKString(dst, value)
}

func appendHPACKString(dst []byte, s string) []byte {
	dst = appendHPACKInt(dst, 0x00, 7, uint64(len(s)))
	return append(dst, s...)
}

// appendHPACKInt appends i with an n-bit prefix after the bits in first
// (RFC 7541 section 5.1).
func appendHPACKInt(dst []byte, first byte, n uint, i uint64) []byte {
	max := uint64(1)<<n - 1
	if i < max {
		return append(dst, first|byte(i))
	}
	dst = append(dst, first|byte(max))
	i -= max
	for i >= 128 {
		dst = append(dst, byte(i&0x7f|0x80))
		i >>= 7
	}
	return append(dst, byte(i))
}

// staticNameIndex is the first index of name in the static table (RFC 7541
// appendix A), 0 if it is not there; pseudo-headers other than :status
// are never sent by a server.
func staticNameIndex(name string) int {
	switch name {
	case "accept-charset":
		return 15
	case "accept-encoding":
		return 16
	case "accept-language":
		return 17
	case "accept-ranges":
		return 18
	case "accept":
		return 19
	case "access-control-allow-origin":
		return 20
	case "age":
		return 21
	case "allow":
		return 22
	case "authorization":
		return 23
	case "cache-control":
		return 24
	case "content-disposition":
		return 25
	case "content-encoding":
		return 26
	case "content-language":
		return 27
	case "content-length":
		return 28
	case "content-location":
		return 29
	case "content-range":
		return 30
	case "content-type":
		return 31
	case "cookie":
		return 32
	case "date":
		return 33
	case "etag":
		return 34
	case "expect":
		return 35
	case "expires":
		return 36
	case "from":
		return 37
	case "host":
		return 38
	case "if-match":
		return 39
	case "if-modified-since":
		return 40
	case "if-none-match":
		return 41
	case "if-range":
		return 42
	case "if-unmodified-since":
		return 43
	case "last-modified":
		return 44
	case "link":
		return 45
	case "location":
		return 46
	case "max-forwards":
		return 47
	case "proxy-authenticate":
		return 48
	case "proxy-authorization":
		return 49
	case "range":
		return 50
	case "referer":
		return 51
	case "refresh":
		return 52
	case "retry-after":
		return 53
	case "server":
		return 54
	case "set-cookie":
		return 55
	case "strict-transport-security":
		return 56
	case "transfer-encoding":
		return 57
	case "user-agent":
		return 58
	case "vary":
		return 59
	case "via":
		return 60
	case "www-authenticate":
		return 61
	}
	return 0
}
