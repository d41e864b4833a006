package functions

import (
	"net/http"
	"sort"
	"strings"
)

// ParseQuery splits a raw query string (without '?') into the event's
// querystring fields: parameters in order, a repeated name collected into
// one field, values kept as sent (percent-encoding included) so the
// request round-trips. A parameter without '=' has the value "".
func ParseQuery(raw string) Fields {
	var fs Fields
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		fs = fs.add(name, Value{Value: value})
	}
	return fs
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

// RequestHeaders converts request headers to the event's headers (names in
// lower case, repeated headers collected) and cookies (from every Cookie
// header, which is not among the headers).
func RequestHeaders(h http.Header) (headers, cookies Fields) {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		values := h[name]
		lname := strings.ToLower(name)
		if lname == "cookie" {
			for _, v := range values {
				cookies = append(cookies, ParseCookies(v)...)
			}
			continue
		}
		for _, v := range values {
			headers = headers.add(lname, Value{Value: v})
		}
	}
	return headers, mergeFields(cookies)
}

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
// "Cookie attributes").
func ResponseHeaders(h http.Header) (headers, cookies Fields) {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
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
