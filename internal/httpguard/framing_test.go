package httpguard

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"
)

func TestFramer_head(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name   string
		in     string
		status int
		st     state
		remain int64
	}{
		{"GET", "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0, stHead, 0},
		{"LF only", "GET / HTTP/1.1\nHost: h\n\n", 0, stHead, 0},
		{"Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n", 0, stBody, 12},
		{"Content-Length 0", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", 0, stHead, 0},
		{"repeated equal Content-Length", "POST / HTTP/1.1\r\nHost: h\r\ncontent-length: 3\r\nContent-Length:  3 \r\n\r\n", 0, stBody, 3},
		{"chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n", 0, stChunkSize, 0},
		{"HTTP/1.0 Content-Length", "POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\n", 0, stBody, 2},

		{"CL and TE", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n", 400, stHead, 0},
		{"TE and CL", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: h\r\ncontent-LENGTH: 0\r\n\r\n", 400, stHead, 0},
		{"TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, stHead, 0},
		{"TE gzip", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, stHead, 0},
		{"two TE", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 501, stHead, 0},
		{"differing Content-Length", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, stHead, 0},
		{"signed Content-Length", "POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", 400, stHead, 0},
		{"empty Content-Length", "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400, stHead, 0},
		{"obs-fold hiding TE", "POST / HTTP/1.1\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400, stHead, 0},
		{"space before colon", "POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\n", 400, stHead, 0},
		{"no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", 400, stHead, 0},
		{"bad request line", "GET /\r\n\r\n", 400, stHead, 0},
		{"empty line first", "\r\nGET / HTTP/1.1\r\n\r\n", 400, stHead, 0},
		{"HTTP/2.0", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, stHead, 0},
		{"HTTP/1.1x", "GET / HTTP/1.10\r\n\r\n", 400, stHead, 0},
		{"URL of 8192", "GET /" + long(8191) + " HTTP/1.1\r\nHost: h\r\n\r\n", 0, stHead, 0},
		{"URL of 8193", "GET /" + long(8192) + " HTTP/1.1\r\nHost: h\r\n\r\n", 413, stHead, 0},
		{"head of 20480", "GET / HTTP/1.1\r\nHost: h\r\nX: " + long(20480-len("GET / HTTP/1.1\r\nHost: h\r\nX: \r\n\r\n")) + "\r\n\r\n", 0, stHead, 0},
		{"head of 20481", "GET / HTTP/1.1\r\nX: " + long(20481-len("GET / HTTP/1.1\r\nX: \r\n\r\n")) + "\r\n\r\n", 413, stHead, 0},
		{"unfinished head over the limit", "GET / HTTP/1.1\r\nX: " + long(20480), 413, stHead, 0},

		// What net/http refuses itself, refused here first (the viewer
		// then gets the server's page, not net/http's plain text).
		{"no Host on HTTP/1.1", "GET / HTTP/1.1\r\nX: 1\r\n\r\n", 400, stHead, 0},
		{"no Host on HTTP/1.0", "GET / HTTP/1.0\r\n\r\n", 0, stHead, 0},
		{"CONNECT without Host", "CONNECT h:443 HTTP/1.1\r\n\r\n", 0, stHead, 0},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400, stHead, 0},
		{"two equal Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, stHead, 0},
		{"empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", 0, stHead, 0},
		{"Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, stHead, 0},
		{"Host with a slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, stHead, 0},
		{"Host with port and brackets", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 0, stHead, 0},
		// RFC 9110 section 7.2, RFC 9112 section 3.2: a port is digits
		// (net/http takes any host characters after the colon).
		{"Host with an empty port", "GET / HTTP/1.1\r\nHost: h:\r\n\r\n", 0, stHead, 0},
		{"Host with a port of letters", "GET / HTTP/1.1\r\nHost: h:abc\r\n\r\n", 400, stHead, 0},
		{"Host with a port of digits then a letter", "GET / HTTP/1.1\r\nHost: h:80a\r\n\r\n", 400, stHead, 0},
		{"Host with two ports", "GET / HTTP/1.1\r\nHost: h:80:81\r\n\r\n", 400, stHead, 0},
		{"IPv6 Host with a port of letters", "GET / HTTP/1.1\r\nHost: [::1]:http\r\n\r\n", 400, stHead, 0},
		{"NUL in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n", 400, stHead, 0},
		{"DEL in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x7fb\r\n\r\n", 400, stHead, 0},
		{"CR alone in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400, stHead, 0},
		{"HTAB and obs-text in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\tb\xe9\r\n\r\n", 0, stHead, 0},
		{"HTAB in the target", "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", 400, stHead, 0},
		{"NUL in the target", "GET /hi\x00t HTTP/1.1\r\nHost: h\r\n\r\n", 400, stHead, 0},
		{"control character in the target", "GET /c\x01t HTTP/1.1\r\nHost: h\r\n\r\n", 400, stHead, 0},
		{"DEL in the target", "GET /c\x7ft HTTP/1.1\r\nHost: h\r\n\r\n", 400, stHead, 0},
		{"target without a leading slash", "GET hit HTTP/1.1\r\nHost: h\r\n\r\n", 400, stHead, 0},
		{"bad percent-escape in the path", "GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n", 400, stHead, 0},
		{"percent at the end of the path", "GET /a% HTTP/1.1\r\nHost: h\r\n\r\n", 400, stHead, 0},
		{"bad absolute-form port", "GET http://a:b/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, stHead, 0},
		{"percent-escapes in the path", "GET /a%20b HTTP/1.1\r\nHost: h\r\n\r\n", 0, stHead, 0},
		{"bad percent-escape in the query", "GET /x?%zz HTTP/1.1\r\nHost: h\r\n\r\n", 0, stHead, 0},
		{"absolute-form", "GET http://h/x HTTP/1.1\r\nHost: h\r\n\r\n", 0, stHead, 0},
		{"asterisk-form", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", 0, stHead, 0},
		{"authority-form", "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 0, stHead, 0},
		{"obs-text in the target", "GET /\xe9 HTTP/1.1\r\nHost: h\r\n\r\n", 0, stHead, 0},
		{"Expect: bogus", "POST / HTTP/1.1\r\nHost: h\r\nExpect: bogus\r\nContent-Length: 3\r\n\r\n", 417, stHead, 0},
		{"Expect: bogus on HTTP/1.0", "POST / HTTP/1.0\r\nExpect: bogus\r\n\r\n", 417, stHead, 0},
		{"Expect: 100-continue", "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n", 0, stBody, 3},
		{"Expect listing 100-continue", "POST / HTTP/1.1\r\nHost: h\r\nExpect: foo, 100-continue\r\n\r\n", 0, stHead, 0},
		{"second Expect ignored", "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nExpect: bogus\r\n\r\n", 0, stHead, 0},
		{"empty Expect", "POST / HTTP/1.1\r\nHost: h\r\nExpect:\r\n\r\n", 0, stHead, 0},
	}
	for _, tc := range tests {
		var f framer
		end, status := f.head([]byte(tc.in), &Config{})
		if status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, status, tc.status)
			continue
		}
		if status != 0 {
			continue
		}
		if tc.name == "unfinished head over the limit" {
			continue
		}
		if end != len(tc.in) || f.st != tc.st || f.remaining != tc.remain {
			t.Errorf("%s: end %d of %d, state %d remaining %d; want state %d remaining %d", tc.name, end, len(tc.in), f.st, f.remaining, tc.st, tc.remain)
		}
	}
}

// A head arriving in pieces is found whole, whatever the split.
func TestFramer_headIncremental(t *testing.T) {
	in := []byte("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")
	for split := 1; split < len(in); split++ {
		var f framer
		end, status := f.head(in[:split], &Config{})
		if status != 0 || end >= 0 && end != 48 {
			t.Fatalf("split %d: end %d status %d", split, end, status)
		}
		if end < 0 {
			end, status = f.head(in, &Config{})
		}
		if end != 48 || status != 0 || f.st != stBody || f.remaining != 5 {
			t.Fatalf("split %d: end %d status %d state %d", split, end, status, f.st)
		}
	}
}

func TestFramer_chunked(t *testing.T) {
	tests := []struct {
		name string
		body string
		n    int // bytes given to net/http (on a failure: those before the bad line)
		ok   bool
		done bool // back at a head
	}{
		{"two chunks", "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n", 32, true, true},
		{"trailer", "1\r\na\r\n0\r\nX-T: 1\r\n\r\n", 19, true, true},
		{"trailing whitespace", "1 \t\r\na\r\n0\r\n\r\n", 13, true, true},
		{"whitespace before extension (net/http refuses it)", "1 ;x\r\na\r\n", 0, false, false},
		{"partial", "5\r\nhel", 6, true, false},
		{"partial size line", "5", 0, true, false},
		{"bare LF size line", "5\nhello\r\n0\r\n\r\n", 0, false, false},
		{"CR inside size line", "5\r\r\nhello", 0, false, false},
		{"no CRLF after data", "5\r\nhelloXX0\r\n\r\n", 8, false, false},
		{"not hex", "g\r\n", 0, false, false},
		{"empty size", "\r\n", 0, false, false},
		{"17 digits", "00000000000000001\r\nx\r\n", 0, false, false},
		{"bare LF trailer", "0\r\nX: 1\n\r\n", 3, false, false},
	}
	for _, tc := range tests {
		f := framer{st: stChunkSize}
		n, ok := f.body([]byte(tc.body))
		if n != tc.n || ok != tc.ok || (f.st == stHead) != tc.done {
			t.Errorf("%s: n=%d ok=%v state %d; want n=%d ok=%v done=%v", tc.name, n, ok, f.st, tc.n, tc.ok, tc.done)
		}
	}
}

// FuzzFramer checks the framer against net/http's own reading of a
// request stream: wherever the framer accepts a head and its whole body,
// net/http must read that request and body without error and stop at
// exactly the same byte. That is what keeps the guard's idea of where a
// request starts, the one it checks, the same as net/http's.
func FuzzFramer(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nX-T: 1\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nhiGET / HTTP/1.1\nHost: h\n\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 01\r\n\r\nx",
		"\r\nPOST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi\r\n\nGET / HTTP/1.1\r\nHost: h:80\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The framer's requests, as net/http reads them: without the
		// empty lines dropped before each head (ends: where each ends).
		var fr framer
		var kept []byte
		var ends []int
		for off := 0; off < len(data); {
			off += fr.skipEmpty(data[off:])
			end, status := fr.head(data[off:], &Config{})
			if status != 0 || end < 0 {
				break
			}
			n, ok := fr.body(data[off+end:])
			if !ok || fr.st != stHead {
				break // cut, or the body is not all there
			}
			kept = append(kept, data[off:off+end+n]...)
			ends = append(ends, len(kept))
			off += end + n
		}
		rd := bytes.NewReader(kept)
		br := bufio.NewReader(rd)
		for _, end := range ends {
			req, err := http.ReadRequest(br)
			if err != nil {
				return // net/http refuses the head: it closes the connection
			}
			if _, err := io.Copy(io.Discard, req.Body); err != nil {
				t.Fatalf("%q: the framer takes %q as a whole request, net/http's body read fails: %v", data, kept[:end], err)
			}
			if used := len(kept) - rd.Len() - br.Buffered(); used != end {
				t.Fatalf("%q: the framer ends a request at %d of %q, net/http at %d", data, end, kept, used)
			}
		}
	})
}

// FuzzCheck_netHTTPAnswersNothing: a head the guard accepts is one that
// net/http's server hands to its handler, never one it answers itself
// (in plain text, without the server's headers: a 400 for a bad request
// target, a 417 for an unknown Expect). What the guard refuses, the
// server answers with its own page (Config.Reject). The server's checks
// after http.ReadRequest are those of net/http's conn.readRequest and
// serve.
func FuzzCheck_netHTTPAnswersNothing(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET hit HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /%zz?%zz HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET http://h:80/x HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET mailto:x HTTP/1.1\r\nHost: h\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
		"CONNECT h:443 HTTP/1.1\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue, x\r\nContent-Length: 1\r\n\r\n",
		"POST / HTTP/1.0\r\nExpect: x\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		if status, _ := Check(head, &Config{}); status != 0 {
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if err != nil {
			t.Fatalf("%q: the guard accepts it, net/http refuses it: %v", head, err)
		}
		// http.ReadRequest drops the Host field, the server's own reading
		// keeps it: read the fields again.
		tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(head)))
		tp.ReadLine()
		fields, _ := tp.ReadMIMEHeader()
		hosts, haveHost := fields["Host"]
		switch {
		case req.ProtoMajor != 1:
			t.Fatalf("%q: the guard accepts it, net/http answers 505", head)
		case req.ProtoAtLeast(1, 1) && (!haveHost || len(hosts) == 0) && req.Method != "CONNECT",
			len(hosts) > 1, len(hosts) == 1 && !httpguts.ValidHostHeader(hosts[0]):
			t.Fatalf("%q: the guard accepts it, net/http answers 400 for its Host", head)
		case req.Header.Get("Expect") != "" && !hasToken([]byte(req.Header.Get("Expect")), "100-continue"):
			t.Fatalf("%q: the guard accepts it, net/http answers 417", head)
		}
		for name, values := range req.Header {
			if !httpguts.ValidHeaderFieldName(name) {
				t.Fatalf("%q: the guard accepts it, net/http answers 400 for field name %q", head, name)
			}
			for _, v := range values {
				if !httpguts.ValidHeaderFieldValue(v) {
					t.Fatalf("%q: the guard accepts it, net/http answers 400 for field value %q", head, v)
				}
			}
		}
	})
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		head   string
		status int
		body   bool
	}{
		{"GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0, false},
		{"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n", 0, true},
		{"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400, false},
		{"GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\n\r\n", 400, false}, // more than one head
		// RFC 9112 section 2.2: empty lines before the request line are
		// dropped, up to MaxLeadingEmptyBytes.
		{"\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 0, false},
		{"\n\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 0, false},
		{"\r\n\r\n\r\n\r\nPOST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n", 0, true},
		{"\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400, false},
		{"\r\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400, false},
		{"GET / HTTP/1.1\r\nHost: h:x\r\n\r\n", 400, false},
	} {
		if status, body := Check([]byte(tc.head), &Config{}); status != tc.status || body != tc.body {
			t.Errorf("%q: %d %v, want %d %v", tc.head, status, body, tc.status, tc.body)
		}
	}
}

// chunkedConn returns its data a few bytes per Read (sizes from seed).
type chunkedConn struct {
	net.Conn
	data []byte
	seed uint32
}

func (c *chunkedConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	c.seed = c.seed*1664525 + 1013904223
	n := min(len(p), len(c.data), int(c.seed>>24)%97+1)
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func (c *chunkedConn) SetReadDeadline(time.Time) error { return nil }

// FuzzGuardStream reads a stream through a guarded connection in pieces
// of every size: what comes out is always the start of what went in, cut
// only at a request boundary the framer chose, never altered.
func FuzzGuardStream(f *testing.F) {
	f.Add([]byte("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloPOST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), uint32(1), uint8(7))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: h\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), uint32(2), uint8(1))
	f.Add([]byte("\r\n\r\nPOST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n\n\n\n\n\n\n\n\n\n"), uint32(3), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, seed uint32, psize uint8) {
		g := Wrap(&chunkedConn{data: append([]byte(nil), data...), seed: seed}, &Config{}).(*conn)
		var out []byte
		buf := make([]byte, int(psize)+1)
		for {
			n, err := g.Read(buf)
			out = append(out, buf[:n]...)
			if err != nil {
				break
			}
		}
		// The framer alone, over the whole input, gives the same cut and
		// drops the same empty lines before heads (kept: what is left).
		var fr framer
		var kept []byte
		off := 0
		for off < len(data) {
			if fr.st == stHead {
				off += fr.skipEmpty(data[off:])
				end, status := fr.head(data[off:], &Config{})
				if status != 0 || end < 0 {
					break
				}
				kept = append(kept, data[off:off+end]...)
				off += end
				continue
			}
			n, ok := fr.body(data[off:])
			kept = append(kept, data[off:off+n]...)
			off += n
			if !ok || n == 0 {
				break
			}
		}
		if !bytes.HasPrefix(append(kept, data[off:]...), out) {
			t.Fatalf("%q came out of %q (without the empty lines before heads: %q)", out, data, kept)
		}
		if fr.st == stHead && len(out) != len(kept) && !(len(out) == len(kept)+len(data)-off) {
			t.Fatalf("%q: %d bytes came out, the framer accepts %d", data, len(out), len(kept))
		}
	})
}
