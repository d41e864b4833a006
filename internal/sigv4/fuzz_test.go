package sigv4

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzParseAuthorization feeds arbitrary Authorization headers through the
// parser and the checks that need no secret, then through Verify.
func FuzzParseAuthorization(f *testing.F) {
	for _, seed := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240301/us-east-1/cloudfront/aws4_request, SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240301/us-east-1/lightsail/aws4_request,SignedHeaders=content-type;host;x-amz-date;x-amz-target,Signature=00",
		"AWS4-HMAC-SHA256 Credential, SignedHeaders=host, Signature=0",
		"AWS4-HMAC-SHA256 Credential=a/b/c/d/e/, SignedHeaders=, Signature=",
		"AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
		"Bearer abc",
		"AWS4-",
		"",
		",,,=,=",
	} {
		f.Add(seed, "20240301T120000Z")
	}
	v := newTestVerifier(signTime)
	f.Fuzz(func(t *testing.T, header, amzDate string) {
		p, e := parseAuthorization(header, amzDate)
		if e != nil {
			if e.Code != CodeIncompleteSignature || e.Status != http.StatusBadRequest {
				t.Fatalf("parse error %s %d, want IncompleteSignature 400", e.Code, e.Status)
			}
			return
		}
		if p.credential == "" || p.signature == "" || p.date == "" || !p.hasSignedHeaders {
			t.Fatalf("parsed %+v without a required part", p)
		}
		sc, _, e := v.checkParams(p)
		if e == nil {
			if sc.String() != strings.TrimRight(p.credential, "/")[len(sc.accessKeyID)+1:] {
				t.Fatalf("scope %q does not round-trip credential %q", sc, p.credential)
			}
			if sc.date != p.date[:8] || !signsHost(p.signedHeaders) {
				t.Fatalf("checks passed on %+v", p)
			}
		}
		r := httptest.NewRequest(http.MethodGet, "http://"+apiHost+"/", nil)
		r.Header.Set("Authorization", header)
		r.Header.Set("X-Amz-Date", amzDate)
		if _, err := v.Verify(r); err == nil {
			t.Fatalf("a fuzzed header verified: %q", header)
		}
	})
}

// FuzzParsePresigned feeds arbitrary raw query strings through the query
// parser, the presigned-URL parser and the canonical query builder.
func FuzzParsePresigned(f *testing.F) {
	for _, seed := range []string{
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240301%2Fus-east-1%2Fcloudfront%2Faws4_request&X-Amz-Date=20240301T120000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
		"X-Amz-Credential=a&X-Amz-Credential=b&X-Amz-Signature=",
		"MaxItems=10&Marker=a%20b+c&Empty=&flag",
		"Resource=arn%3Aaws%3Acloudfront%3A%3A1%3Adistribution%2FE1&%zz=%",
		"&&=&X-Amz-Expires=-1",
		"",
	} {
		f.Add(seed)
	}
	v := newTestVerifier(signTime)
	f.Fuzz(func(t *testing.T, raw string) {
		q := parseQuery(raw)
		var b strings.Builder
		canonicalQuery(&b, q, true)
		for pair := range strings.SplitSeq(b.String(), "&") {
			k, val, ok := strings.Cut(pair, "=")
			if pair != "" && (!ok || !isEncoded(k) || !isEncoded(val)) {
				t.Fatalf("canonical query %q has a badly encoded pair %q", b.String(), pair)
			}
		}
		if !isPresigned(q) {
			return
		}
		p, e := parsePresigned(q)
		if e != nil {
			if e.Code != CodeIncompleteSignature {
				t.Fatalf("parse error %s, want IncompleteSignature", e.Code)
			}
			return
		}
		if !p.presigned || p.algorithm == "" || p.credential == "" || p.signature == "" || p.signedHeaders == "" || p.date == "" {
			t.Fatalf("parsed %+v without a required part", p)
		}
		_, _, _ = v.checkParams(p)
		r := httptest.NewRequest(http.MethodGet, "http://"+apiHost+"/", nil)
		r.RequestURI = "/?" + raw
		if _, err := v.Verify(r); err == nil {
			t.Fatalf("a fuzzed query verified: %q", raw)
		}
	})
}

// isEncoded reports whether s holds only unreserved characters and %XX
// escapes with upper-case hex.
func isEncoded(s string) bool {
	for i := 0; i < len(s); i++ {
		switch {
		case isUnreserved(s[i]):
		case s[i] == '%' && i+2 < len(s) && strings.IndexByte(upperHex, s[i+1]) >= 0 && strings.IndexByte(upperHex, s[i+2]) >= 0:
			i += 2
		default:
			return false
		}
	}
	return true
}
