package sigv4

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	amzDateFormat   = "20060102T150405Z"
	scopeTerminator = "aws4_request"
	unsignedPayload = "UNSIGNED-PAYLOAD"

	// maxPresignExpires is a week, the longest a SigV4 signing key is valid.
	maxPresignExpires = 7 * 24 * 60 * 60
)

// Query parameter names of a presigned URL.
const (
	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
	qContentSHA256 = "X-Amz-Content-Sha256"
)

// authParams are the signing parameters exactly as the client sent them, from
// the Authorization header (plus X-Amz-Date) or from a presigned query.
type authParams struct {
	algorithm        string
	credential       string
	signedHeaders    string
	hasSignedHeaders bool // SignedHeaders= may legally be empty in the header form
	signature        string
	date             string
	expires          string // presigned only; "" when absent
	regionSet        string // SigV4A: X-Amz-Region-Set, header or query
	presigned        bool
}

// parseAuthorization parses an Authorization header of the form
//
//	AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/cloudfront/aws4_request, SignedHeaders=host;x-amz-date, Signature=…
//
// amzDate is the X-Amz-Date header ("" when absent). Unknown parameters are
// ignored; a repeated parameter keeps its last value.
func parseAuthorization(header, amzDate string) (authParams, *Error) {
	p := authParams{date: amzDate}
	alg, rest, _ := strings.Cut(strings.TrimSpace(header), " ")
	p.algorithm = alg
	// Anything that is not a SigV4 scheme (SigV2 "AWS key:sig", "Bearer …") is
	// answered with the list of what a SigV4 header requires, as CloudFront
	// does (aws/aws-sdk-ruby#317).
	if strings.HasPrefix(alg, "AWS4-") {
		for part := range strings.SplitSeq(rest, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			k, val, ok := strings.Cut(part, "=")
			if !ok {
				return p, errIncomplete("'" + part + "' not a valid key=value pair (missing equal-sign) in Authorization header: '" + header + "'.")
			}
			switch k {
			case "Credential":
				p.credential = val
			case "SignedHeaders":
				p.signedHeaders, p.hasSignedHeaders = val, true
			case "Signature":
				p.signature = val
			}
		}
	}
	if err := missingHeaderParams(p, header); err != nil {
		return p, err
	}
	return p, nil
}

// queryPair is one decoded key=value pair of a query string.
type queryPair struct{ key, value string }

// parseQuery splits a raw query string into decoded pairs, in order. A
// component that is not valid percent-encoding is kept literally, so such a
// request simply fails the signature comparison instead of being misread.
func parseQuery(raw string) []queryPair {
	if raw == "" {
		return nil
	}
	pairs := make([]queryPair, 0, strings.Count(raw, "&")+1)
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, val, _ := strings.Cut(part, "=")
		pairs = append(pairs, queryPair{key: unescapeQuery(k), value: unescapeQuery(val)})
	}
	return pairs
}

func unescapeQuery(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// isPresigned reports whether the query carries presigned-URL parameters.
func isPresigned(q []queryPair) bool {
	for _, p := range q {
		switch p.key {
		case qAlgorithm, qCredential, qSignature:
			return true
		}
	}
	return false
}

// parsePresigned reads the signing parameters of a presigned URL from its
// decoded query. For a repeated parameter the first value wins.
func parsePresigned(q []queryPair) (authParams, *Error) {
	p := authParams{presigned: true}
	seen := 0
	for _, kv := range q {
		var dst *string
		var bit int
		switch kv.key {
		case qAlgorithm:
			dst, bit = &p.algorithm, 1
		case qCredential:
			dst, bit = &p.credential, 2
		case qSignedHeaders:
			dst, bit = &p.signedHeaders, 4
		case qSignature:
			dst, bit = &p.signature, 8
		case qDate:
			dst, bit = &p.date, 16
		case qExpires:
			dst, bit = &p.expires, 32
		case hRegionSet:
			dst, bit = &p.regionSet, 64
		default:
			continue
		}
		if seen&bit == 0 {
			*dst = kv.value
			seen |= bit
		}
	}
	p.hasSignedHeaders = p.signedHeaders != ""
	if err := missingQueryParams(p); err != nil {
		return p, err
	}
	return p, nil
}

// scope is a parsed credential: AKID/YYYYMMDD/region/service/aws4_request,
// or for SigV4A (regionless) AKID/YYYYMMDD/service/aws4_request.
type scope struct {
	accessKeyID, date, region, service, terminator string
	regionless                                     bool
}

// String returns the credential scope without the access key, as it appears
// in the string to sign.
func (s scope) String() string {
	if s.regionless {
		return s.date + "/" + s.service + "/" + s.terminator
	}
	return s.date + "/" + s.region + "/" + s.service + "/" + s.terminator
}

// parseCredential splits the Credential value; a SigV4A (regionless)
// credential has no region element. AWS ignores trailing slashes.
func parseCredential(c string, regionless bool) (scope, *Error) {
	parts := strings.Split(strings.TrimRight(c, "/"), "/")
	if regionless {
		if len(parts) != 4 {
			return scope{}, errIncomplete("Credential must have exactly 4 slash-delimited elements, e.g. keyid/date/service/term, got '" + c + "'")
		}
		return scope{accessKeyID: parts[0], date: parts[1], service: parts[2], terminator: parts[3], regionless: true}, nil
	}
	if len(parts) != 5 {
		return scope{}, errIncomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + c + "'")
	}
	return scope{accessKeyID: parts[0], date: parts[1], region: parts[2], service: parts[3], terminator: parts[4]}, nil
}

// parseAmzDate parses an ISO-8601 basic timestamp (20240101T000000Z).
func parseAmzDate(s string) (time.Time, *Error) {
	t, err := time.Parse(amzDateFormat, s)
	if err != nil || len(s) != len(amzDateFormat) {
		return time.Time{}, errIncomplete("Date must be in ISO-8601 'basic format'. Got '" + s + "'. See http://en.wikipedia.org/wiki/ISO_8601")
	}
	return t, nil
}

// parseExpires parses X-Amz-Expires (seconds, 1 to a week). The messages are
// S3's (the only service that documents them).
func parseExpires(s string) (time.Duration, *Error) {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		return 0, errIncomplete("X-Amz-Expires should be a number")
	case n < 0:
		return 0, errIncomplete("X-Amz-Expires must be non-negative")
	case n > maxPresignExpires:
		return 0, errIncomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	return time.Duration(n) * time.Second, nil
}

// validRegion accepts any region-shaped name (lower-case letters, digits and
// dashes): SDKs given a custom endpoint sign with whatever region they were
// configured with, and the region then picks the ARN partition.
func validRegion(r string) bool {
	if r == "" || len(r) > 64 {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
