package functions

import (
	"net/http"
	"slices"
	"sort"
	"strings"

	"openfront/internal/urlpath"
)

// ParseQuery splits a raw query string (without '?') into the event's
// querystring fields: parameters in order, a repeated name collected into
// one field, values kept as sent (percent-encoding included) so the
// request round-trips. A parameter without '=' has the value "".
func ParseQuery(raw string) Fields {
	return (*EventStorage)(nil).ParseQuery(raw)
}

// EventStorage is backing storage for the fields of one event: its
// ParseQuery and RequestHeaders allocate nothing more for a request with a
// few query parameters and headers. What they return shares the storage,
// so it must live as long as the event and serve no other event. A nil
// *EventStorage allocates.
type EventStorage struct {
	fields [6]Field
	values [8]Value
	nf, nv int
}

// takeFields returns an empty slice with room for n fields, from the
// storage while it lasts. Its capacity is n: an append past it copies
// rather than writing over storage handed out later.
func (s *EventStorage) takeFields(n int) Fields {
	if s == nil || s.nf+n > len(s.fields) {
		return make(Fields, 0, n)
	}
	fs := s.fields[s.nf : s.nf : s.nf+n]
	s.nf += n
	return fs
}

// takeValues is takeFields for n values.
func (s *EventStorage) takeValues(n int) []Value {
	if s == nil || s.nv+n > len(s.values) {
		return make([]Value, 0, n)
	}
	vs := s.values[s.nv : s.nv : s.nv+n]
	s.nv += n
	return vs
}

// ParseQuery is the package's ParseQuery, using the storage.
func (s *EventStorage) ParseQuery(raw string) Fields {
	if raw == "" {
		return nil
	}
	n := strings.Count(raw, "&") + 1
	var fs Fields
	var values []Value
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		if i := fs.index(name); i >= 0 {
			fs[i].Values = append(fs[i].Values, Value{Value: value})
			continue
		}
		if fs == nil {
			fs, values = s.takeFields(n), s.takeValues(n)
		}
		values = append(values, Value{Value: value})
		fs = append(fs, Field{Name: name, Values: values[len(values)-1 : len(values) : len(values)]})
	}
	return fs
}

// index is the position of the field with the name, or -1.
func (fs Fields) index(name string) int {
	for i := range fs {
		if fs[i].Name == name {
			return i
		}
	}
	return -1
}

// QueryString joins querystring fields back into a raw query string, each
// value of a field as its own name=value pair.
func (fs Fields) QueryString() string {
	var b strings.Builder
	for _, f := range fs {
		for _, v := range f.Values {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(f.Name)
			b.WriteByte('=')
			b.WriteString(v.Value)
		}
	}
	return b.String()
}

// EscapedQueryString is QueryString as the edge forwards a query string a
// function changed: UTF-8 ("URI, query string, and headers encoding",
// "Restrictions on all edge functions"), with every byte a request line
// cannot carry as it is percent-encoded: non-ASCII bytes, and, should one
// get this far (validation refuses them in what a function sets), a
// space, a control byte or '#'. '%' is left alone: values are passed as
// they appear in the request, percent-encoding kept.
func (fs Fields) EscapedQueryString() string {
	return urlpath.EscapeBytes(fs.QueryString(), escapeInQuery)
}

func escapeInQuery(c byte) bool {
	return c <= ' ' || c >= 0x7f || c == '#'
}

// IsQueryString reports whether raw is fs.QueryString(), without building
// it.
func (fs Fields) IsQueryString(raw string) bool {
	first := true
	for _, f := range fs {
		for _, v := range f.Values {
			if !first {
				if raw == "" || raw[0] != '&' {
					return false
				}
				raw = raw[1:]
			}
			first = false
			var ok bool
			if raw, ok = strings.CutPrefix(raw, f.Name); !ok {
				return false
			}
			if raw, ok = strings.CutPrefix(raw, "="); !ok {
				return false
			}
			if raw, ok = strings.CutPrefix(raw, v.Value); !ok {
				return false
			}
		}
	}
	return raw == ""
}

// RequestHeaders converts request headers to the event's headers (names in
// lower case, repeated headers collected) and cookies (from every Cookie
// header, which is not among the headers). Disallowed headers
// (IsDisallowedHeader) are left out: edge functions never see them.
func RequestHeaders(h http.Header) (headers, cookies Fields) {
	return (*EventStorage)(nil).requestHeaders(h, "", false, nil, nil)
}

// RequestHeaders converts request headers as the package's RequestHeaders
// does, using the storage, with a host header of the value host first (a
// server request's Host is not in its header map). It also leaves out the
// headers skip reports (nil: none), and adds extra, header values the
// edge computed itself (canonical names, as http.Header keys; a name in
// both h and extra must be one skip leaves out).
func (s *EventStorage) RequestHeaders(h http.Header, host string, skip func(string) bool, extra http.Header) (headers, cookies Fields) {
	return s.requestHeaders(h, host, true, skip, extra)
}

func (s *EventStorage) requestHeaders(h http.Header, host string, withHost bool, skip func(string) bool, extra http.Header) (headers, cookies Fields) {
	var buf [32]string
	names := buf[:0]
	nvalues := 0
	for name, values := range h {
		if IsDisallowedHeader(name) || skip != nil && skip(name) {
			continue
		}
		names = append(names, name)
		nvalues += len(values)
	}
	for name, values := range extra {
		names = append(names, name)
		nvalues += len(values)
	}
	slices.Sort(names)
	var values []Value
	first := 0 // where the header's own fields begin: after host
	if withHost {
		headers, values = s.takeFields(len(names)+1), s.takeValues(nvalues+1)
		values = append(values, Value{Value: host})
		headers = append(headers, Field{Name: "host", Values: values[0:1:1]})
		first = 1
	}
	for _, name := range names {
		vs, ok := extra[name]
		if !ok {
			vs = h[name]
		}
		lname := lowerHeaderName(name)
		if lname == "cookie" {
			for _, v := range vs {
				cookies = append(cookies, ParseCookies(v)...)
			}
			continue
		}
		if len(vs) == 0 {
			continue
		}
		if i := headers[first:].index(lname); i >= 0 {
			for _, v := range vs {
				headers[first+i].Values = append(headers[first+i].Values, Value{Value: v})
			}
			continue
		}
		if headers == nil {
			headers, values = s.takeFields(len(names)), s.takeValues(nvalues)
		}
		start := len(values)
		for _, v := range vs {
			values = append(values, Value{Value: v})
		}
		headers = append(headers, Field{Name: lname, Values: values[start:len(values):len(values)]})
	}
	return headers, mergeFields(cookies)
}

// lowerHeaderName is strings.ToLower(name), without allocating for the
// header names requests usually carry (in net/http's canonical form).
func lowerHeaderName(name string) string {
	if l, ok := commonHeaderNames[name]; ok {
		return l
	}
	return strings.ToLower(name)
}

var commonHeaderNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Authorization",
		"Cache-Control", "Cloudfront-Viewer-Address", "Connection", "Content-Length", "Content-Type", "Cookie",
		"Dnt", "Forwarded", "From", "If-Match", "If-Modified-Since", "If-None-Match", "If-Range",
		"If-Unmodified-Since", "Origin", "Pragma", "Priority", "Range", "Referer", "Sec-Ch-Ua", "Sec-Ch-Ua-Mobile",
		"Sec-Ch-Ua-Platform", "Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-User", "Te",
		"Upgrade-Insecure-Requests", "User-Agent", "Via", "X-Amz-Cf-Id", "X-Forwarded-For", "X-Forwarded-Host",
		"X-Forwarded-Proto", "X-Real-Ip", "X-Requested-With"} {
		m[n] = strings.ToLower(n)
	}
	return m
}()

// ParseCookies reads one Cookie header's name=value pairs.
func ParseCookies(line string) Fields {
	var fs Fields
	for line != "" {
		var part string
		part, line, _ = strings.Cut(line, ";")
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		fs = fs.add(strings.TrimSpace(name), Value{Value: strings.TrimSpace(value)})
	}
	return fs
}

// CookieHeader joins request cookies into one Cookie header value.
func (fs Fields) CookieHeader() string {
	var b strings.Builder
	for _, f := range fs {
		for _, v := range f.Values {
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(f.Name)
			b.WriteByte('=')
			b.WriteString(v.Value)
		}
	}
	return b.String()
}

// CanonicalHeaderName is how CloudFront writes a header name a function
// set: the first letter of each hyphen-separated word capitalised
// (functions-event-structure, "headers").
func CanonicalHeaderName(lower string) string {
	b := []byte(lower)
	up := true
	for i, c := range b {
		if up && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		up = c == '-'
	}
	return string(b)
}

func mergeFields(fs Fields) Fields {
	var out Fields
	for _, f := range fs {
		for _, v := range f.Values {
			out = out.add(f.Name, v)
		}
	}
	return out
}

// ResponseHeaders converts response headers to the event's headers (names
// in lower case) and cookies (from every Set-Cookie header: name, value
// and the attributes after the first ';', functions-event-structure
// "Cookie attributes"). Disallowed headers (IsDisallowedHeader: X-Cache,
// X-Amz-Cf-Id, X-Amz-Cf-Pop...) are left out.
func ResponseHeaders(h http.Header) (headers, cookies Fields) {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if IsDisallowedHeader(name) {
			continue
		}
		lname := strings.ToLower(name)
		for _, v := range h[name] {
			if lname == "set-cookie" {
				pair, attrs, _ := strings.Cut(v, ";")
				cname, cvalue, _ := strings.Cut(pair, "=")
				cookies = cookies.add(strings.TrimSpace(cname), Value{Value: strings.TrimSpace(cvalue), Attributes: strings.TrimSpace(attrs)})
				continue
			}
			headers = headers.add(lname, Value{Value: v})
		}
	}
	return headers, cookies
}

// SetCookieHeaders are the Set-Cookie header values of response cookies.
func (fs Fields) SetCookieHeaders() []string {
	var out []string
	for _, f := range fs {
		for _, v := range f.Values {
			line := f.Name + "=" + v.Value
			if v.Attributes != "" {
				line += "; " + v.Attributes
			}
			out = append(out, line)
		}
	}
	return out
}

// Header writes request or response header fields to h, each name as
// CloudFront writes it (CanonicalHeaderName), replacing what h had under
// that name.
func (fs Fields) Header(h http.Header) {
	for _, f := range fs {
		name := CanonicalHeaderName(f.Name)
		vals := make([]string, len(f.Values))
		for i, v := range f.Values {
			vals[i] = v.Value
		}
		h[name] = vals
	}
}
