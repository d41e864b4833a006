package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// This file rebuilds the SigV4 canonical request from an inbound request
// (AWS General Reference / IAM User Guide, "Create a signed AWS API request"):
//
//	Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n PayloadHash
//
// and the string to sign:
//
//	AWS4-HMAC-SHA256 \n X-Amz-Date \n date/region/service/aws4_request \n hex(SHA256(canonical request))

// requestTarget returns the path and query exactly as the client sent them.
// r.URL.Path is decoded, and middleware may rewrite r.URL, so the raw request
// line (r.RequestURI) is preferred; r.URL is the fallback for absolute-form
// targets and for requests built in-process.
func requestTarget(r *http.Request) (path, query string) {
	if u := r.RequestURI; strings.HasPrefix(u, "/") {
		path, query, _ = strings.Cut(u, "?")
		return path, query
	}
	return r.URL.EscapedPath(), r.URL.RawQuery
}

// canonicalURI encodes the path as sent once more. Every service except S3
// double-encodes: the client's path is already percent-encoded once, and the
// canonical URI encodes it again, so "arn%3Aaws" becomes "arn%253Aaws"
// (aws-sdk-go-v2 signer: httpbinding.EscapePath(URL.EscapedPath()); botocore:
// quote(path, safe='/~')). Dot segments are not removed (see doc.go).
func canonicalURI(b *strings.Builder, rawPath string) {
	if rawPath == "" {
		b.WriteByte('/')
		return
	}
	for i := 0; i < len(rawPath); i++ {
		c := rawPath[i]
		if c == '/' || isUnreserved(c) {
			b.WriteByte(c)
		} else {
			writeEscaped(b, c)
		}
	}
}

// canonicalQuery writes the query pairs, RFC 3986-encoded and sorted by key
// and then value, without X-Amz-Signature when presigned.
func canonicalQuery(b *strings.Builder, q []queryPair, presigned bool) {
	enc := make([]queryPair, 0, len(q))
	for _, p := range q {
		if presigned && p.key == qSignature {
			continue
		}
		enc = append(enc, queryPair{key: escapeRFC3986(p.key), value: escapeRFC3986(p.value)})
	}
	slices.SortFunc(enc, func(x, y queryPair) int {
		if c := strings.Compare(x.key, y.key); c != 0 {
			return c
		}
		return strings.Compare(x.value, y.value)
	})
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
}

// canonicalHeaders writes "name:value\n" for each name in SignedHeaders, in
// the client's order. Values are trimmed and runs of spaces collapsed; repeated
// headers are joined with ",".
func canonicalHeaders(b *strings.Builder, r *http.Request, signedHeaders string) {
	for name := range strings.SplitSeq(signedHeaders, ";") {
		name = strings.ToLower(name)
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range headerValues(r, name) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeTrimmed(b, v)
		}
		b.WriteByte('\n')
	}
}

// headerValues returns the values of a header by lower-case name. Go's server
// moves Host and Transfer-Encoding out of r.Header into request fields;
// Content-Length stays in r.Header, and r.ContentLength covers requests built
// in-process.
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		return []string{r.Host}
	case "content-length":
		if v := r.Header.Values("Content-Length"); len(v) > 0 {
			return v
		}
		if r.ContentLength > 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		return nil
	case "transfer-encoding":
		if len(r.TransferEncoding) > 0 {
			return r.TransferEncoding
		}
	}
	return r.Header.Values(name) // canonicalises the name itself
}

// writeTrimmed writes v without leading and trailing spaces and with every
// run of spaces replaced by one (the SigV4 "trimall").
func writeTrimmed(b *strings.Builder, v string) {
	v = strings.Trim(v, " \t")
	space := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(v[i])
	}
}

// stringToSign hashes the canonical request into the string to sign; alg is
// AWS4-HMAC-SHA256 or AWS4-ECDSA-P256-SHA256 (whose scope has no region).
func stringToSign(alg, amzDate string, s scope, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return alg + "\n" + amzDate + "\n" + s.String() + "\n" + hex.EncodeToString(sum[:])
}

// deriveKey computes the signing key for one day, region and service.
func deriveKey(secret string, s scope) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), s.date)
	k = hmacSHA256(k, s.region)
	k = hmacSHA256(k, s.service)
	return hmacSHA256(k, scopeTerminator)
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

const upperHex = "0123456789ABCDEF"

func writeEscaped(b *strings.Builder, c byte) {
	b.WriteByte('%')
	b.WriteByte(upperHex[c>>4])
	b.WriteByte(upperHex[c&15])
}

// escapeRFC3986 percent-encodes every byte except the unreserved characters.
func escapeRFC3986(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		if isUnreserved(s[i]) {
			b.WriteByte(s[i])
		} else {
			writeEscaped(&b, s[i])
		}
	}
	return b.String()
}
