package httpguard

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// state is where the framer is in the request stream.
type state uint8

const (
	stHead      state = iota // a request head, up to its empty line
	stBody                   // a Content-Length body: remaining bytes
	stChunkSize              // a chunk-size line
	stChunkData              // chunk data: remaining bytes
	stChunkEnd               // the CRLF after chunk data
	stTrailer                // trailer lines, up to an empty line
)

// maxChunkLine bounds a chunk-size or trailer line, as net/http's own
// chunked reader does (4096, its maxLineLength).
const maxChunkLine = 4096

// framer follows HTTP/1.1 request framing (RFC 9112 §6) the way net/http's
// server reads it, so that it knows where each head starts.
type framer struct {
	st        state
	remaining int64
	excess    int64 // chunk overhead, as net/http's chunkedReader counts it
	scan      int   // stHead: held bytes already searched for the head's end
	leading   int   // stHead: bytes of empty lines dropped before the head
}

// MaxLeadingEmptyBytes bounds the empty lines dropped before a request
// line (framer.skipEmpty): four CRLFs.
const MaxLeadingEmptyBytes = 8

// skipEmpty is how many bytes of empty lines at the start of held to drop
// before a request line: "a server that is expecting to receive and parse
// a request-line SHOULD ignore at least one empty line (CRLF) received
// prior to the request-line" (RFC 9112 section 2.2). net/http would read
// an empty request line as a malformed request. Lines end with CRLF or
// LF, as net/http reads them. At most MaxLeadingEmptyBytes go before one
// head; an empty line past them is taken as the head's end, a head
// refused with 400.
func (f *framer) skipEmpty(held []byte) int {
	n := 0
	for {
		k := 0
		switch {
		case n < len(held) && held[n] == '\n':
			k = 1
		case n+1 < len(held) && held[n] == '\r' && held[n+1] == '\n':
			k = 2
		}
		if k == 0 || f.leading+k > MaxLeadingEmptyBytes {
			return n
		}
		n += k
		f.leading += k
	}
}

// head looks for the end of the head at the start of held: end is its
// length, or -1 while it is incomplete. A complete head is checked and
// the framing of its body set; status is non-zero for a head to refuse.
func (f *framer) head(held []byte, cfg *Config) (end, status int) {
	end = -1
	for end < 0 {
		i := bytes.IndexByte(held[f.scan:], '\n')
		if i < 0 {
			break
		}
		line := held[f.scan : f.scan+i]
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			end = f.scan + i + 1
		}
		f.scan += i + 1
	}
	if end < 0 {
		if len(held) > cfg.maxHead() {
			return -1, 413
		}
		return -1, 0
	}
	f.scan, f.leading = 0, 0
	if end > cfg.maxHead() {
		return -1, 413
	}
	status = f.check(held[:end], cfg)
	return end, status
}

// check reads the head's request line and the header fields that frame
// the body, as net/http's readRequest would, refusing what net/http would
// refuse too (then the guard answers it) and what RFC 9112 says must not
// be processed.
func (f *framer) check(head []byte, cfg *Config) (status int) {
	line, rest := nextLine(head)
	method, rest1, ok1 := bytes.Cut(line, sp)
	target, proto, ok2 := bytes.Cut(rest1, sp)
	if !ok1 || !ok2 || len(method) == 0 || !isToken(method) {
		return 400
	}
	if len(target) > cfg.maxTarget() {
		return 413
	}
	major, minor, ok := parseVersion(proto)
	switch {
	case !ok:
		return 400
	case major != 1:
		return 505
	case !validTarget(method, target):
		return 400
	}
	var cls, tes [][]byte
	var expect []byte
	hosts, expects := 0, 0
	for {
		line, rest = nextLine(rest)
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			// obs-fold: "A server that receives an obs-fold in a request
			// message ... MUST either reject the message by sending a 400
			// (Bad Request)... or replace each received obs-fold with one
			// or more SP octets" (RFC 9112 §5.2).
			return 400
		}
		name, value, ok := bytes.Cut(line, colon)
		if !ok || len(name) == 0 || !isToken(name) {
			return 400
		}
		value = trimOWS(value)
		if !validValue(value) {
			return 400 // net/http: "invalid header field value"
		}
		switch {
		case equalFold(name, "Host"):
			// net/http refuses a Host of invalid characters and more
			// than one Host; so does the guard, so that the viewer gets
			// the server's own page (Config.Reject). It also refuses a
			// port that is not digits, which net/http takes (ValidPort).
			if hosts++; hosts > 1 || !httpguts.ValidHostHeader(string(value)) || !ValidPort(string(value)) {
				return 400
			}
		case equalFold(name, "Content-Length"):
			cls = append(cls, value)
		case equalFold(name, "Transfer-Encoding"):
			tes = append(tes, value)
		case equalFold(name, "Expect"):
			if expects++; expects == 1 {
				expect = value // net/http reads the first one
			}
		}
	}
	if hosts == 0 && minor > 0 && !bytes.Equal(method, []byte("CONNECT")) {
		// "A server MUST respond with a 400 (Bad Request) status code to
		// any HTTP/1.1 request message that lacks a Host header field"
		// (RFC 9112 §3.2), as net/http does.
		return 400
	}
	if len(expect) > 0 && !hasToken(expect, "100-continue") {
		// "A server that receives an Expect field value containing a
		// member other than 100-continue MAY respond with a 417
		// (Expectation Failed) status code" (RFC 9110 §10.1.1), as
		// net/http does, in plain text.
		return 417
	}
	f.st, f.remaining, f.excess = stHead, 0, 0
	if len(tes) > 0 {
		switch {
		case minor == 0:
			// "A server or client that receives an HTTP/1.0 message
			// containing a Transfer-Encoding header field MUST treat the
			// message as if the framing is faulty" (RFC 9112 §6.1).
			return 400
		case len(cls) > 0:
			// "A server MAY reject a request that contains both
			// Content-Length and Transfer-Encoding or process such a
			// request in accordance with the Transfer-Encoding
			// alone. Regardless, the server MUST close the connection
			// after responding" (RFC 9112 §6.3): refused, as the bytes
			// Content-Length covers would otherwise run as a request.
			return 400
		case len(tes) != 1 || !equalFold(tes[0], "chunked"):
			return 501 // net/http supports chunked alone
		}
		f.st = stChunkSize
		return 0
	}
	if len(cls) == 0 {
		return 0
	}
	for _, v := range cls[1:] {
		if !bytes.Equal(v, cls[0]) {
			return 400 // RFC 9112 §6.3: differing Content-Length values
		}
	}
	n, err := strconv.ParseUint(string(cls[0]), 10, 63)
	if err != nil || cls[0][0] == '+' {
		return 400
	}
	if n > 0 {
		f.st, f.remaining = stBody, int64(n)
	}
	return 0
}

// body consumes the body bytes at the start of held: n of them may go to
// net/http. ok is false when the chunked framing is broken (n then ends
// just before the bad chunk line or chunk end).
func (f *framer) body(held []byte) (n int, ok bool) {
	for n < len(held) && f.st != stHead {
		rest := held[n:]
		switch f.st {
		case stBody, stChunkData:
			k := int(min(int64(len(rest)), f.remaining))
			n += k
			f.remaining -= int64(k)
			if f.remaining == 0 {
				if f.st == stBody {
					f.st = stHead
				} else {
					f.st = stChunkEnd
				}
			}
		case stChunkEnd:
			if len(rest) < 2 {
				return n, true
			}
			if rest[0] != '\r' || rest[1] != '\n' {
				return n, false
			}
			n += 2
			f.st = stChunkSize
		case stChunkSize, stTrailer:
			i := bytes.IndexByte(rest, '\n')
			if i < 0 {
				return n, len(rest) < maxChunkLine
			}
			line, start := rest[:i+1], n
			n += i + 1
			// net/http wants CRLF line ends here and no other CR
			// (errata 7633 to RFC 9112).
			if i == 0 || i+1 > maxChunkLine || bytes.IndexByte(line, '\r') != i-1 {
				return start, false
			}
			line = line[:i-1]
			if f.st == stTrailer {
				// net/http reads the trailer as header fields, all of it
				// within its 4 KiB buffer.
				f.remaining += int64(i + 1)
				if len(line) == 0 {
					f.st = stHead
					continue
				}
				name, value, ok := bytes.Cut(line, colon)
				if !ok || len(name) == 0 || !isToken(name) || !validValue(value) || f.remaining > maxChunkLine {
					return start, false
				}
				continue
			}
			size, ok := chunkSize(line)
			// net/http's limit on chunk overhead: 16 bytes per chunk plus
			// twice its data.
			f.excess += int64(len(line)) + 2 - 16 - 2*int64(size)
			f.excess = max(f.excess, 0)
			if !ok || f.excess > 16<<10 {
				return start, false
			}
			if size == 0 {
				f.st, f.remaining = stTrailer, 0
			} else {
				f.st, f.remaining = stChunkData, int64(size)
			}
		}
	}
	return n, true
}

// chunkSize parses "hex [OWS] [; ext]" as net/http does (trailing
// whitespace trimmed before the extension is cut, at most 16 digits).
func chunkSize(line []byte) (uint64, bool) {
	for len(line) > 0 && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
		line = line[:len(line)-1]
	}
	line, _, _ = bytes.Cut(line, []byte(";"))
	if len(line) == 0 || len(line) > 16 {
		return 0, false
	}
	var n uint64
	for _, b := range line {
		switch {
		case '0' <= b && b <= '9':
			b -= '0'
		case 'a' <= b && b <= 'f':
			b -= 'a' - 10
		case 'A' <= b && b <= 'F':
			b -= 'A' - 10
		default:
			return 0, false
		}
		n = n<<4 | uint64(b)
	}
	if n > 1<<62 {
		return 0, false
	}
	return n, true
}

var (
	sp    = []byte(" ")
	colon = []byte(":")
)

// validTarget reports whether net/http takes the request target: no
// control characters, and a URI as url.ParseRequestURI reads it (an
// origin-form path with valid percent-escapes, an absolute URI, "*"; for
// CONNECT, an authority), else it answers 400 in plain text. RFC 9112
// §3.2 allows only those forms ("GET hit" is none of them). The usual
// path, without '%', is checked here; any other target is parsed.
func validTarget(method, target []byte) bool {
	plain := len(target) > 0 && target[0] == '/'
	for _, c := range target {
		if c < ' ' || c == 0x7f {
			return false
		}
		if c == '%' {
			plain = false
		}
	}
	if plain {
		return true
	}
	raw := string(target)
	if string(method) == "CONNECT" && !strings.HasPrefix(raw, "/") {
		raw = "http://" + raw // as net/http reads an authority-form target
	}
	_, err := url.ParseRequestURI(raw)
	return err == nil
}

// hasToken reports whether the comma- or space-separated list v has
// token (ASCII case-insensitively), as net/http's own hasToken decides
// whether a request expects 100-continue.
func hasToken(v []byte, token string) bool {
	boundary := func(b byte) bool { return b == ' ' || b == ',' || b == '\t' }
	for i := 0; i+len(token) <= len(v); i++ {
		end := i + len(token)
		if (i == 0 || boundary(v[i-1])) && (end == len(v) || boundary(v[end])) && bytes.EqualFold(v[i:end], []byte(token)) {
			return true
		}
	}
	return false
}

// nextLine splits off the first line (LF or CRLF ended, as net/http's
// textproto reads them).
func nextLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, rest
}

// parseVersion reads "HTTP/d.d" as net/http's ParseHTTPVersion does.
func parseVersion(v []byte) (major, minor int, ok bool) {
	if len(v) != 8 || string(v[:5]) != "HTTP/" || v[6] != '.' ||
		v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9' {
		return 0, 0, false
	}
	return int(v[5] - '0'), int(v[7] - '0'), true
}

func isToken(b []byte) bool {
	for _, c := range b {
		if !tokenChar[c] {
			return false
		}
	}
	return true
}

// tokenChar are the bytes of an RFC 9110 token.
var tokenChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// validValue rejects control characters other than HTAB, as net/http's
// textproto does.
func validValue(b []byte) bool {
	for _, c := range b {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func trimOWS(b []byte) []byte {
	return bytes.Trim(b, " \t")
}

func equalFold(b []byte, s string) bool {
	return len(b) == len(s) && bytes.EqualFold(b, []byte(s))
}

// Check checks one complete request head (through its empty line, after
// the empty lines the guard drops before it) as the guard does: the
// status it is refused with (0 when accepted) and whether a body follows
// it.
func Check(head []byte, cfg *Config) (status int, body bool) {
	var f framer
	head = head[f.skipEmpty(head):]
	end, status := f.head(head, cfg)
	if status == 0 && end != len(head) {
		return 400, false
	}
	return status, f.st != stHead
}
