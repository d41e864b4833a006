package functions

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// What a function may see and return, from "Restrictions on all edge
// functions" (AWS CloudFront Developer Guide,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-function-restrictions-all.html):
//
//   - "Disallowed headers" are never exposed to a function, and a function
//     that adds one fails validation (502 to the viewer).
//   - "Read-only headers" are exposed, but a function that adds or edits
//     one fails validation. Viewer request: Content-Length, Host,
//     Transfer-Encoding, Via; viewer response: Warning, Via. Removing one
//     has no effect: the edge keeps the value the function read.
//   - "Query strings": a query string a function creates or updates
//     cannot include spaces, control characters or the fragment
//     identifier (#); the URI with its query string must be less than
//     8,192 characters ("URI").
//   - "URI, query string, and headers encoding": a function should
//     return UTF-8 (percent-encoding is compatible with it); CloudFront
//     forwards what a function changed UTF-8 encoded. The edge
//     percent-encodes the bytes a request line cannot carry raw
//     (QueryString).

// MaxURILength bounds a request URI a function changed, query string
// included: it must be less than this many characters ("Restrictions on
// all edge functions", "URI").
const MaxURILength = 8192

// disallowedHeaders are the "Disallowed headers" with an exact name, in
// lower case; disallowedPrefixes are the ones listed with a '*'.
var disallowedHeaders = map[string]bool{
	"connection": true, "expect": true, "keep-alive": true, "proxy-authenticate": true,
	"proxy-authorization": true, "proxy-connection": true, "trailer": true, "upgrade": true,
	"x-accel-buffering": true, "x-accel-charset": true, "x-accel-limit-rate": true, "x-accel-redirect": true,
	"x-amzn-auth": true, "x-amzn-cf-billing": true, "x-amzn-cf-id": true, "x-amzn-cf-xff": true,
	"x-amzn-errortype": true, "x-amzn-fle-profile": true, "x-amzn-header-count": true,
	"x-amzn-header-order": true, "x-amzn-lambda-integration-tag": true, "x-amzn-requestid": true,
	"x-cache": true, "x-forwarded-proto": true, "x-real-ip": true,
}

var disallowedPrefixes = []string{"x-amz-cf-", "x-edge-"}

// IsDisallowedHeader reports whether a header (name in any case) is one
// edge functions never see and cannot add ("Disallowed headers").
func IsDisallowedHeader(name string) bool {
	for _, p := range disallowedPrefixes {
		if len(name) > len(p) && strings.EqualFold(name[:len(p)], p) {
			return true
		}
	}
	if len(name) < len("expect") || len(name) > len("x-amzn-lambda-integration-tag") {
		return false
	}
	if disallowedHeaders[name] {
		return true
	}
	var buf [32]byte
	lower := buf[:0]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower = append(lower, c)
	}
	return disallowedHeaders[string(lower)] // no allocation: a map index by a converted []byte
}

// IsReadOnlyHeader reports whether a header (name in any case) is
// read-only in events of the type ("Read-only headers").
func IsReadOnlyHeader(eventType, name string) bool {
	switch eventType {
	case ViewerRequest:
		return strings.EqualFold(name, "content-length") || strings.EqualFold(name, "host") ||
			strings.EqualFold(name, "transfer-encoding") || strings.EqualFold(name, "via")
	case ViewerResponse:
		return strings.EqualFold(name, "warning") || strings.EqualFold(name, "via")
	}
	return false
}

// checkHeaderRules refuses returned headers that add a disallowed header
// or add or edit a read-only one of the event type, against the headers
// the handler received (orig).
func checkHeaderRules(eventType, what string, headers, orig Fields) error {
	for _, f := range headers {
		o, had := orig.Get(f.Name)
		if had && sameValues(f.Values, o.Values) {
			continue // as received (a test event may hold any header)
		}
		if IsDisallowedHeader(f.Name) {
			return invalid("The %s cannot contain %s: edge functions cannot add it.", what, f.Name)
		}
		if IsReadOnlyHeader(eventType, f.Name) {
			return invalid("The %s field %s is read-only in %s events: a function cannot add or change it.", what, f.Name, eventType)
		}
	}
	return nil
}

// checkQueryRules refuses a returned query string with a space, a
// control character or '#' in a value the handler did not receive as it
// is (orig); names it added were checked as they were read
// (checkQueryName).
func checkQueryRules(qs, orig Fields) error {
	for _, f := range qs {
		o, had := orig.Get(f.Name)
		for i, v := range f.Values {
			if had && i < len(o.Values) && o.Values[i].Value == v.Value {
				continue
			}
			if badQueryText(v.Value) {
				return invalid("The request querystring field %q has a value with a space, a control character or '#'.", f.Name)
			}
		}
	}
	return nil
}

// badQueryText reports whether s holds what a query string cannot: a
// space, a control character (C0, DEL or C1) or '#'. Bytes that are not
// UTF-8 (a viewer's, passed through) are not characters: QueryString
// percent-encodes them.
func badQueryText(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == 0x7f || c == '#' {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError && unicode.IsControl(r) {
			return true
		}
		i += size
	}
	return false
}
