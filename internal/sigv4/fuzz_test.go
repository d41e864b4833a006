package sigv4

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
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

// FuzzVerify_payload signs a request for one body (over its hash or with
// UNSIGNED-PAYLOAD, in the header or presigned), then delivers another: a
// body that was not signed is never accepted, and UNSIGNED-PAYLOAD never
// passes a header signature (CloudFront and Lightsail sign the body).
func FuzzVerify_payload(f *testing.F) {
	f.Add([]byte("<DistributionConfig/>"), []byte("<DistributionConfig/>"), false, false, false)
	f.Add([]byte("<DistributionConfig/>"), []byte("<Evil/>"), true, false, false)
	f.Add([]byte(""), []byte("<Evil/>"), true, true, false)
	f.Add([]byte(""), []byte(""), true, true, true)
	f.Add([]byte("{}"), []byte("{}"), true, false, true)
	v := newTestVerifier(signTime)
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	f.Fuzz(func(t *testing.T, signed, sent []byte, unsigned, presigned, lightsail bool) {
		service, target := "cloudfront", "/2020-05-31/distribution"
		if lightsail {
			service, target = "lightsail", "/"
		}
		out, err := http.NewRequest(http.MethodPost, "http://"+apiHost+target, bytes.NewReader(signed))
		if err != nil {
			t.Fatal(err)
		}
		hash := hashHex(signed)
		if unsigned {
			hash = unsignedPayload
			out.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
		}
		in := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(sent))
		in.Host = apiHost
		if presigned {
			u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, out, hash, service, "us-east-1", signTime)
			if err != nil {
				t.Fatal(err)
			}
			pu, _ := url.Parse(u)
			in = httptest.NewRequest(http.MethodPost, pu.RequestURI(), bytes.NewReader(sent))
			in.Host = apiHost
			for k, vs := range hdr {
				if k != "Host" {
					in.Header[k] = vs
				}
			}
		} else {
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, out, hash, service, "us-east-1", signTime); err != nil {
				t.Fatal(err)
			}
			in.Header = out.Header.Clone()
		}
		in.ContentLength = int64(len(sent))
		if _, err := v.Verify(in); err != nil {
			return
		}
		if len(sent) > 0 && !bytes.Equal(sent, signed) {
			t.Fatalf("accepted a body that was not signed (unsigned %v, presigned %v): signed %q, sent %q", unsigned, presigned, signed, sent)
		}
		if unsigned && !presigned {
			t.Fatalf("accepted UNSIGNED-PAYLOAD on a header signature for %s", service)
		}
	})
}
