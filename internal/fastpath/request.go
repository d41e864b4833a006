package fastpath

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"time"
	"unsafe"

	"openfront/internal/httpguard"
)

// Request is one parsed GET or HEAD request. Its strings alias the
// connection's read buffer: they are valid only until ServeFast returns
// and must not be kept (copy them with strings.Clone if needed).
type Request struct {
	Method     string // "GET" or "HEAD"
	Path       string // request-target before "?", as received (escaped)
	RawQuery   string // after "?", without it; "" when there is none
	Host       string // the Host header, as received
	RemoteAddr string // the peer, as net/http's Request.RemoteAddr
	// Close is set when the viewer sent Connection: close; the response
	// must say Connection: close and the connection ends after it.
	Close bool
	// Received is when the read that completed the request returned: the
	// clock is read once per read, not once per request (the handler may
	// use it as the request's time instead of reading the clock again).
	Received time.Time
	// TLS is the connection's TLS state on an HTTPS connection (as
	// net/http's Request.TLS), nil on plain HTTP.
	TLS *tls.ConnectionState
	// HTTP2 is set on a request read from an HTTP/2 stream (h2.go): the
	// answer is the same but for the protocol's own words (Via: 2.0).
	HTTP2 bool
	// Batch is the scratch of the epoll loop answering the request, when
	// Handler is a Batcher (nil elsewhere).
	Batch any

	hdr []field // every header line except Host, in order
}

type field struct{ name, value string }

// maxFields bounds the header lines of a request served here; a request
// with more goes to net/http.
const maxFields = 64

// Has reports whether the request has a header named name (ASCII case
// insensitive).
func (r *Request) Has(name string) bool {
	for _, f := range r.hdr {
		if equalFold(f.name, name) {
			return true
		}
	}
	return false
}

// AddHeader adds a header line to a Request built by hand (benchmarks of
// a Server's ServeFast); parsed requests have theirs already.
func (r *Request) AddHeader(name, value string) { r.hdr = append(r.hdr, field{name, value}) }

// Only returns the value of the request's header named name (ASCII case
// insensitive) when it has exactly one; ok is false when it has none or
// several.
func (r *Request) Only(name string) (value string, ok bool) {
	n := 0
	for _, f := range r.hdr {
		if equalFold(f.name, name) {
			value, n = f.value, n+1
		}
	}
	if n != 1 {
		return "", false
	}
	return value, true
}

// HeaderOf returns the request's headers named in names (canonical), as
// net/http's Request.Header has them; nil when the request has none of
// them, so that the common case allocates nothing.
func (r *Request) HeaderOf(names []string) http.Header {
	var h http.Header
	for _, f := range r.hdr {
		for _, name := range names {
			if equalFold(f.name, name) {
				if h == nil {
					h = make(http.Header, len(names))
				}
				h[name] = append(h[name], f.value)
			}
		}
	}
	return h
}

// FieldCount is the number of header fields received, Host excluded (as
// net/http keeps Host apart from Request.Header).
func (r *Request) FieldCount() int { return len(r.hdr) }

// ParseRequest parses one complete request head the way the fast path's
// connection loop does; ok is false when the loop would not serve it
// (tests of handlers compare its reading with net/http's).
func ParseRequest(head []byte) (r *Request, ok bool) {
	r = new(Request)
	_, st := parse(head, r)
	return r, st == complete
}

// parseStatus is the outcome of parse.
type parseStatus int

const (
	// incomplete: the buffer ends before the request's header does.
	incomplete parseStatus = iota
	// complete: one request was parsed; n bytes are consumed.
	complete
	// unsupported: the request is valid or not, but not one this package
	// serves (other methods or versions, a body, unusual syntax): it goes
	// to net/http, which answers it or rejects it with the right error.
	unsupported
)

// parse reads one request from the start of buf into r. It accepts only
// the plain shape: "GET|HEAD <origin-form target> HTTP/1.1" with CRLF
// line ends (after up to four empty lines, which n counts), one Host, no
// body, no Expect or Upgrade, no obsolete line folding, printable ASCII
// in the target. Anything else is unsupported,
// never an error: net/http has the last word on what is malformed.
//
// It reads the head in one pass, each byte looked up once in a table
// (targetClass, tokenChar, valueChar): this runs for every hit. When
// that pass stops short (a byte or a field it does not take, or the
// buffer's end), undecided tells an incomplete head from an unsupported
// one.
func parse(buf []byte, r *Request) (n int, st parseStatus) {
	*r = Request{hdr: r.hdr[:0]}
	skip := 0
	if len(buf) > 0 && buf[0] == '\r' {
		// Empty lines before the request line are ignored (RFC 9112
		// section 2.2), as many as the guard drops on net/http's path
		// (more are its to refuse).
		for skip+1 < len(buf) && skip < httpguard.MaxLeadingEmptyBytes && buf[skip] == '\r' && buf[skip+1] == '\n' {
			skip += 2
		}
		buf = buf[skip:]
	}
	var i int
	switch {
	case len(buf) >= len("GET ") && string(buf[:len("GET ")]) == "GET ":
		r.Method, i = "GET", len("GET ")
	case len(buf) >= len("HEAD ") && string(buf[:len("HEAD ")]) == "HEAD ":
		r.Method, i = "HEAD", len("HEAD ")
	default:
		return 0, undecided(buf)
	}

	// The target, as validTarget takes it, up to the space before the
	// version.
	start, query := i, -1
	if i >= len(buf) || buf[i] != '/' {
		return 0, undecided(buf)
	}
target:
	for ; i < len(buf); i++ {
		switch targetClass[buf[i]] {
		case inPath:
		case inQuery:
			if query < 0 {
				return 0, undecided(buf)
			}
		case percent:
			if i+2 >= len(buf) || !isHex(buf[i+1]) || !isHex(buf[i+2]) {
				return 0, undecided(buf)
			}
		case question:
			if query < 0 {
				query = i
			}
		default:
			break target
		}
	}
	if len(buf)-i < len(" HTTP/1.1\r\n") || string(buf[i:i+len(" HTTP/1.1\r\n")]) != " HTTP/1.1\r\n" {
		return 0, undecided(buf)
	}
	if query >= 0 {
		r.Path, r.RawQuery = str(buf[start:query]), str(buf[query+1:i])
	} else {
		r.Path = str(buf[start:i])
	}
	i += len(" HTTP/1.1\r\n")

	hosts, hostOK := 0, false
	for {
		if i+1 < len(buf) && buf[i] == '\r' && buf[i+1] == '\n' {
			break // the empty line: the head's end
		}
		nameStart := i
		for i < len(buf) && tokenChar[buf[i]] {
			i++
		}
		if i == nameStart || i == len(buf) || buf[i] != ':' {
			return 0, undecided(buf) // also catches obs-fold (leading SP/HTAB)
		}
		name := str(buf[nameStart:i])
		for i++; i < len(buf) && (buf[i] == ' ' || buf[i] == '\t'); i++ {
		}
		valueStart := i
		host := len(name) == len("Host") && equalFold(name, "Host")
		if host {
			// Host characters (validHost's) are value characters too:
			// a name of them and a port of digits is a valid value
			// both ways in one pass (any other shape is validHost's).
			for i < len(buf) && nameChar[buf[i]] {
				i++
			}
			if i < len(buf) && buf[i] == ':' {
				for i++; i < len(buf) && '0' <= buf[i] && buf[i] <= '9'; i++ {
				}
			}
		}
		hostEnd := i
		for i < len(buf) && valueChar[buf[i]] {
			i++
		}
		if i+1 >= len(buf) || buf[i] != '\r' || buf[i+1] != '\n' {
			return 0, undecided(buf)
		}
		value, allHost := trimOWS(buf[valueStart:i]), hostEnd == i
		i += 2
		if host {
			hosts++
			r.Host = str(value)
			hostOK = len(value) > 0 && (allHost || validHost(r.Host)) // else trailing OWS or other bytes
			continue
		}
		switch len(name) {
		case len("Content-Length"), len("Transfer-Encoding"), len("Expect"), len("Upgrade"):
			if equalFold(name, "Content-Length") || equalFold(name, "Transfer-Encoding") ||
				equalFold(name, "Expect") || equalFold(name, "Upgrade") {
				return 0, undecided(buf)
			}
		case len("Connection"):
			if equalFold(name, "Connection") && !connectionTokens(value, &r.Close) {
				return 0, undecided(buf)
			}
		}
		if len(r.hdr) == maxFields {
			return 0, undecided(buf)
		}
		r.hdr = append(r.hdr, field{name, str(value)})
	}
	if hosts != 1 || !hostOK {
		return 0, unsupported
	}
	return skip + i + 2, complete
}

// undecided is the status of a head parse's one pass did not take: an
// unsupported one if it is complete (it ends at the first CRLF CRLF) or
// has a LF without CR (LF-only line ends would never complete), else an
// incomplete one (more bytes may still make it one parse takes).
func undecided(buf []byte) parseStatus {
	if bytes.Index(buf, crlfcrlf) >= 0 || bareLF(buf) {
		return unsupported
	}
	return incomplete
}

// Byte classes of a target (see validTarget).
const (
	invalid  = iota // ends the target: the space before the version, or a byte parse does not take
	inPath          // taken anywhere
	inQuery         // taken in the query only
	percent         // an escape: two hex digits follow
	question        // the query's start (in the query, a byte like any other)
)

var targetClass = func() (t [256]byte) {
	for c := '!'; c < 0x7f; c++ {
		t[c] = inQuery
		if pathChar[c] {
			t[c] = inPath
		}
	}
	t['#'], t['%'], t['?'] = invalid, percent, question
	return t
}()

// valueChar are the bytes of a header value: no control characters
// other than HTAB (net/http rejects them too; it is simpler to let it).
var valueChar = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= ' ' && c != 0x7f || c == '\t'
	}
	return t
}()

var (
	crlf     = []byte("\r\n")
	crlfcrlf = []byte("\r\n\r\n")
)

// bareLF reports whether b has a LF not preceded by CR.
func bareLF(b []byte) bool {
	for off := 0; ; {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			return false
		}
		if off+i == 0 || b[off+i-1] != '\r' {
			return true
		}
		off += i + 1
	}
}

// str views b as a string without copying; see Request for the lifetime.
func str(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// validTarget accepts an origin-form target of printable ASCII with
// well-formed percent escapes, no fragment, and in the path only the
// characters Go's URL parser keeps as they are. For such a target the
// path (URL.EscapedPath) and query net/http gives the edge are exactly
// the bytes received (fuzz-checked in request_test.go).
func validTarget(t []byte) bool {
	if len(t) == 0 || t[0] != '/' {
		return false
	}
	query := false
	for i := 0; i < len(t); i++ {
		switch targetClass[t[i]] { // parse's target loop reads the same table
		case inPath:
		case inQuery:
			if !query {
				return false
			}
		case percent:
			if i+2 >= len(t) || !isHex(t[i+1]) || !isHex(t[i+2]) {
				return false
			}
		case question:
			query = true
		default:
			return false
		}
	}
	return true
}

// pathChar are the bytes url.URL.EscapedPath leaves unescaped in a path
// (besides '%' escapes).
var pathChar = alnumAnd("-_.~!$&'()*+,;=:@[]/")

// tokenChar are the bytes of an RFC 9110 token.
var tokenChar = alnumAnd("!#$%&'*+-.^_`|~")

// hostChar are the bytes of a DNS name or IP address with a port;
// nameChar those before a port (parse's Host loop).
var (
	hostChar = alnumAnd("-.:[]")
	nameChar = alnumAnd("-.[]")
)

// alnumAnd is a byte set of ASCII letters, digits and extra.
func alnumAnd(extra string) (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range extra {
		t[c] = true
	}
	return t
}

// validHost accepts a DNS name or IP address with an optional port of
// digits: a subset of what net/http accepts, so that a Host it would
// reject with 400 is never served here, and one the edge's guard rejects
// with 400 (httpguard.ValidPort) goes to net/http through the guard.
func validHost(h string) bool {
	return hostChars(h) && httpguard.ValidPort(h)
}

// hostChars reports whether h is made of hostChar only (and not empty).
func hostChars(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !hostChar[h[i]] {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// connectionTokens accepts a Connection header of "close" and
// "keep-alive" tokens only (setting close), as other tokens name
// hop-by-hop headers that net/http's path handles.
func connectionTokens(v []byte, close *bool) bool {
	for len(v) > 0 {
		var tok []byte
		tok, v, _ = bytes.Cut(v, []byte(","))
		tok = trimOWS(tok)
		switch {
		case len(tok) == 0:
		case equalFold(str(tok), "close"):
			*close = true
		case equalFold(str(tok), "keep-alive"):
		default:
			return false
		}
	}
	return true
}

// equalFold is ASCII case-insensitive equality (header names are ASCII).
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
