package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAKID   = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	apiHost    = "cloudfront.amazonaws.com"

	// An ARN as CloudFront's tag operations put it in the query, and a WAFv2
	// ARN as ListDistributionsByWebACLId puts it in the path.
	distARN   = "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE"
	webACLARN = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/my-acl/473e64fd-f30b-4765-81a0-62ad96dd167a"
)

var signTime = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func newTestVerifier(now time.Time) *Verifier {
	return &Verifier{
		Credentials: CredentialsFunc(func(id string) (string, bool) {
			if id == testAKID {
				return testSecret, true
			}
			return "", false
		}),
		Services: []string{"cloudfront", "lightsail"},
		Now:      func() time.Time { return now },
	}
}

// outcome is what the test server's handler saw.
type outcome struct {
	id   Identity
	err  error
	body string // what the handler could read after Verify
}

// newServer starts a server whose handler runs v.Verify and reports the
// outcome, so requests are verified exactly as net/http's server parses them.
// It returns the base URL and a function that sends one request.
func newServer(t testing.TB, v *Verifier) (string, func(*http.Request) outcome) {
	t.Helper()
	results := make(chan outcome, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := v.Verify(r)
		b, _ := io.ReadAll(r.Body)
		results <- outcome{id: id, err: err, body: string(b)}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func(req *http.Request) outcome {
		t.Helper()
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		resp.Body.Close()
		return <-results
	}
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// reqSpec describes one request to sign.
type reqSpec struct {
	method  string
	target  string // path and raw query as sent
	header  http.Header
	body    string
	service string
	region  string
}

func (s reqSpec) build(t testing.TB, base string) *http.Request {
	t.Helper()
	var body io.Reader
	if s.body != "" {
		body = strings.NewReader(s.body)
	}
	req, err := http.NewRequest(s.method, base+s.target, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = apiHost
	for k, vs := range s.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return req
}

func (s reqSpec) withDefaults() reqSpec {
	if s.method == "" {
		s.method = http.MethodGet
	}
	if s.service == "" {
		s.service = "cloudfront"
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	return s
}

// signHeader signs req in the Authorization header with aws-sdk-go-v2.
func signHeader(t testing.TB, req *http.Request, s reqSpec, akid, secret string, at time.Time) {
	t.Helper()
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hashHex([]byte(s.body)), s.service, s.region, at); err != nil {
		t.Fatal(err)
	}
}

// presign returns a request for the URL aws-sdk-go-v2 presigned, carrying the
// headers it says must be sent.
func presign(t testing.TB, base string, s reqSpec, payloadHash string, expires time.Duration, at time.Time) *http.Request {
	t.Helper()
	req := s.build(t, base)
	if expires > 0 {
		q := req.URL.Query()
		q.Set("X-Amz-Expires", strconv.Itoa(int(expires/time.Second)))
		req.URL.RawQuery = q.Encode()
	}
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, payloadHash, s.service, s.region, at)
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader
	if s.body != "" {
		body = strings.NewReader(s.body)
	}
	out, err := http.NewRequest(s.method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	out.Host = apiHost
	for k, vs := range hdr {
		if k != "Host" {
			out.Header[k] = vs
		}
	}
	return out
}

// oracleSpecs are requests shaped like the ones CloudFront and Lightsail
// clients send.
var oracleSpecs = []struct {
	name string
	spec reqSpec
}{
	{"ListDistributions GET with Marker and MaxItems", reqSpec{
		target: "/2020-05-31/distribution?Marker=EDFDVBD6EXAMPLE&MaxItems=10",
	}},
	{"CreateDistribution POST with XML body eu-west-3", reqSpec{
		method: http.MethodPost, target: "/2020-05-31/distribution", region: "eu-west-3",
		header: http.Header{"Content-Type": {"application/xml"}},
		body:   `<?xml version="1.0" encoding="UTF-8"?><DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><CallerReference>r1</CallerReference></DistributionConfig>`,
	}},
	{"UpdateDistribution PUT with If-Match cn-north-1", reqSpec{
		method: http.MethodPut, target: "/2020-05-31/distribution/EDFDVBD6EXAMPLE/config", region: "cn-north-1",
		header: http.Header{"If-Match": {"E2QWRUHAPOMQZL"}, "Content-Type": {"text/xml"}},
		body:   `<DistributionConfig><Enabled>false</Enabled></DistributionConfig>`,
	}},
	{"ListDistributionsByWebACLId ARN encoded in path", reqSpec{
		target: "/2020-05-31/distributionsByWebACLId/" + url.PathEscape(webACLARN) + "?MaxItems=5",
	}},
	{"ListDistributionsByWebACLId ARN fully escaped in path", reqSpec{
		target: "/2020-05-31/distributionsByWebACLId/" + strings.ReplaceAll(url.QueryEscape(webACLARN), "+", "%20"),
	}},
	{"ListTagsForResource ARN in query", reqSpec{
		target: "/2020-05-31/tagging?Resource=" + url.QueryEscape(distARN),
	}},
	{"TagResource POST with Operation and ARN in query", reqSpec{
		method: http.MethodPost, target: "/2020-05-31/tagging?Operation=Tag&Resource=" + url.QueryEscape(distARN),
		header: http.Header{"Content-Type": {"application/xml"}},
		body:   `<Tags xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Items><Tag><Key>k</Key><Value>v</Value></Tag></Items></Tags>`,
	}},
	{"query values with spaces, reserved and unicode characters", reqSpec{
		target: "/2020-05-31/distribution?" + url.Values{
			"Marker":   {"a b/c+d=e&f ü 日本 ~*'()!"},
			"MaxItems": {"1"},
			"Empty":    {""},
		}.Encode(),
	}},
	{"repeated query keys", reqSpec{
		target: "/2020-05-31/distribution?b=2&a=2&a=1&a=10",
	}},
	{"repeated header and inner spaces", reqSpec{
		target: "/2020-05-31/origin-access-identity/cloudfront",
		header: http.Header{"X-Amz-Meta-Note": {"  two   spaces  ", "second"}},
	}},
	{"DeleteDistribution with If-Match", reqSpec{
		method: http.MethodDelete, target: "/2020-05-31/distribution/EDFDVBD6EXAMPLE",
		header: http.Header{"If-Match": {"E2QWRUHAPOMQZL"}},
	}},
	{"X-Amz-Content-Sha256 header signed", reqSpec{
		method: http.MethodPost, target: "/2020-05-31/distribution/EDFDVBD6EXAMPLE/invalidation",
		header: http.Header{"X-Amz-Content-Sha256": {hashHex([]byte("<InvalidationBatch/>"))}},
		body:   "<InvalidationBatch/>",
	}},
	{"lightsail JSON 1.1", reqSpec{
		method: http.MethodPost, target: "/", service: "lightsail",
		header: http.Header{
			"Content-Type": {"application/x-amz-json-1.1"},
			"X-Amz-Target": {"Lightsail_20161128.GetDistributions"},
		},
		body: `{"distributionName":"d1"}`,
	}},
	{"lightsail JSON 1.1 eu-west-3", reqSpec{
		method: http.MethodPost, target: "/", service: "lightsail", region: "eu-west-3",
		header: http.Header{
			"Content-Type": {"application/x-amz-json-1.1"},
			"X-Amz-Target": {"Lightsail_20161128.CreateDistribution"},
		},
		body: `{"distributionName":"d1","origin":{"name":"o","regionName":"eu-west-3"}}`,
	}},
}

func TestVerifier_Verify_oracleHeader(t *testing.T) {
	for _, tc := range oracleSpecs {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.spec.withDefaults()
			v := newTestVerifier(signTime.Add(3 * time.Minute))
			base, do := newServer(t, v)
			req := s.build(t, base)
			signHeader(t, req, s, testAKID, testSecret, signTime)
			got := do(req)
			if got.err != nil {
				t.Fatalf("Verify: %v\n%s", got.err, detail(got.err))
			}
			want := Identity{AccessKeyID: testAKID, Region: s.region, Service: s.service, Date: signTime}
			if got.id != want {
				t.Errorf("identity = %+v, want %+v", got.id, want)
			}
			if got.body != s.body {
				t.Errorf("handler read body %q, want %q", got.body, s.body)
			}
		})
	}
}

func TestVerifier_Verify_oraclePresigned(t *testing.T) {
	for _, tc := range oracleSpecs {
		for _, payload := range []string{"UNSIGNED-PAYLOAD", "body-hash"} {
			t.Run(tc.name+"/"+payload, func(t *testing.T) {
				s := tc.spec.withDefaults()
				if payload == unsignedPayload && s.header.Get("X-Amz-Content-Sha256") != "" {
					t.Skip("the declared X-Amz-Content-Sha256 is the payload hash; PresignHTTP would sign another")
				}
				if payload == unsignedPayload && s.body != "" {
					t.Skip("UNSIGNED-PAYLOAD leaves a body unauthenticated (TestVerifier_Verify_unsignedPayload)")
				}
				ph := payload
				if ph == "body-hash" {
					ph = hashHex([]byte(s.body))
				}
				v := newTestVerifier(signTime.Add(time.Minute))
				base, do := newServer(t, v)
				got := do(presign(t, base, s, ph, 5*time.Minute, signTime))
				if got.err != nil {
					t.Fatalf("Verify: %v\n%s", got.err, detail(got.err))
				}
				if got.id.Service != s.service || got.id.Region != s.region {
					t.Errorf("identity = %+v", got.id)
				}
				if got.body != s.body {
					t.Errorf("handler read body %q, want %q", got.body, s.body)
				}
			})
		}
	}
}

func detail(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Detail
	}
	return ""
}

// TestVerifier_Verify_rejects covers each failure with its exact AWS code and
// status.
func TestVerifier_Verify_rejects(t *testing.T) {
	getSpec := reqSpec{target: "/2020-05-31/distribution?Marker=E1&MaxItems=10", header: http.Header{"If-Match": {"E1"}}}.withDefaults()
	postSpec := reqSpec{method: http.MethodPost, target: "/2020-05-31/distribution", body: "<DistributionConfig/>"}.withDefaults()

	type signed struct {
		spec   reqSpec
		akid   string
		secret string
		at     time.Time
	}
	std := signed{getSpec, testAKID, testSecret, signTime}

	tests := []struct {
		name       string
		sign       signed
		unsigned   bool
		mutate     func(r *http.Request)
		now        time.Time
		wantCode   string
		wantStatus int
		wantMsg    string // prefix
	}{
		{name: "unsigned", sign: std, unsigned: true,
			wantCode: CodeMissingAuthenticationToken, wantStatus: 403, wantMsg: "Missing Authentication Token"},
		{name: "unknown access key", sign: signed{getSpec, "AKIDUNKNOWN", testSecret, signTime},
			wantCode: CodeInvalidClientTokenId, wantStatus: 403, wantMsg: "The security token included in the request is invalid."},
		{name: "wrong secret", sign: signed{getSpec, testAKID, "not-the-secret", signTime},
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: "The request signature we calculated does not match"},
		{name: "tampered body same length", sign: signed{postSpec, testAKID, testSecret, signTime},
			mutate: func(r *http.Request) {
				r.Body = io.NopCloser(strings.NewReader("<DistributionConfig?>"))
				r.GetBody = nil
			},
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: "The request signature we calculated"},
		{name: "tampered signed header", sign: std,
			mutate:   func(r *http.Request) { r.Header.Set("If-Match", "E2") },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403},
		{name: "signed header removed", sign: std,
			mutate:   func(r *http.Request) { r.Header.Del("If-Match") },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403},
		{name: "tampered query value", sign: std,
			mutate:   func(r *http.Request) { r.URL.RawQuery = "Marker=E1&MaxItems=11" },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403},
		{name: "added query parameter", sign: std,
			mutate:   func(r *http.Request) { r.URL.RawQuery += "&x=1" },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403},
		{name: "tampered path", sign: std,
			mutate:   func(r *http.Request) { r.URL.Path = "/2020-05-31/distribution/E1" },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403},
		{name: "tampered host", sign: std,
			mutate:   func(r *http.Request) { r.Host = "evil.example" },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403},
		{name: "clock 16 min behind the signature", sign: std, now: signTime.Add(-16 * time.Minute),
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403,
			wantMsg: "Signature not yet current: 20240301T120000Z is still later than 20240301T115900Z (20240301T114400Z + 15 min.)"},
		{name: "clock 16 min ahead of the signature", sign: std, now: signTime.Add(16 * time.Minute),
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403,
			wantMsg: "Signature expired: 20240301T120000Z is now earlier than 20240301T120100Z (20240301T121600Z - 15 min.)"},
		{name: "wrong service in scope", sign: signed{reqSpec{target: "/x", service: "s3", region: "us-east-1", method: "GET"}, testAKID, testSecret, signTime},
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403,
			wantMsg: "Credential should be scoped to correct service: 'cloudfront' or 'lightsail'."},
		{name: "scope date differs from X-Amz-Date", sign: std, now: signTime.Add(24 * time.Hour),
			mutate:   func(r *http.Request) { r.Header.Set("X-Amz-Date", "20240302T120000Z") },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403,
			wantMsg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240301' != '20240302', from '20240302T120000Z'."},
		{name: "missing X-Amz-Date", sign: std,
			mutate:   func(r *http.Request) { r.Header.Del("X-Amz-Date") },
			wantCode: CodeIncompleteSignature, wantStatus: 400,
			wantMsg: "Authorization header requires existence of a 'X-Amz-Date' header. Authorization=AWS4-HMAC-SHA256 "},
		{name: "malformed X-Amz-Date", sign: std,
			mutate:   func(r *http.Request) { r.Header.Set("X-Amz-Date", "2024-03-01T12:00:00Z") },
			wantCode: CodeIncompleteSignature, wantStatus: 400,
			wantMsg: "Date must be in ISO-8601 'basic format'. Got '2024-03-01T12:00:00Z'."},
		{name: "X-Amz-Content-Sha256 does not match body", sign: signed{postSpec, testAKID, testSecret, signTime},
			mutate:   func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", hashHex([]byte("other"))) },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403,
			wantMsg: "The provided 'x-amz-content-sha256' header does not match what was computed."},
		{name: "header and presigned query together", sign: std,
			mutate:   func(r *http.Request) { r.URL.RawQuery += "&X-Amz-Algorithm=AWS4-HMAC-SHA256" },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: msgFoundBoth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = signTime.Add(time.Minute)
			}
			base, do := newServer(t, newTestVerifier(now))
			req := tc.sign.spec.build(t, base)
			if !tc.unsigned {
				signHeader(t, req, tc.sign.spec, tc.sign.akid, tc.sign.secret, tc.sign.at)
			}
			if tc.mutate != nil {
				tc.mutate(req)
			}
			checkErr(t, do(req).err, tc.wantCode, tc.wantStatus, tc.wantMsg)
		})
	}
}

func checkErr(t *testing.T, err error, code string, status int, msgPrefix string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *Error %s", err, code)
	}
	if e.Code != code || e.Status != status {
		t.Errorf("got %s %d (%q), want %s %d", e.Code, e.Status, e.Message, code, status)
	}
	if !strings.HasPrefix(e.Message, msgPrefix) {
		t.Errorf("message = %q, want prefix %q", e.Message, msgPrefix)
	}
}

func TestVerifier_Verify_skewBoundary(t *testing.T) {
	for _, d := range []time.Duration{-15 * time.Minute, -14 * time.Minute, 0, 14 * time.Minute, 15 * time.Minute} {
		base, do := newServer(t, newTestVerifier(signTime.Add(d)))
		s := reqSpec{target: "/2020-05-31/distribution"}.withDefaults()
		req := s.build(t, base)
		signHeader(t, req, s, testAKID, testSecret, signTime)
		if err := do(req).err; err != nil {
			t.Errorf("now = sign%+v: %v", d, err)
		}
	}
}

func TestVerifier_Verify_presignedRejects(t *testing.T) {
	s := reqSpec{target: "/2020-05-31/distribution?MaxItems=1"}.withDefaults()
	tests := []struct {
		name       string
		expires    time.Duration
		now        time.Time
		mutate     func(u *url.URL)
		wantCode   string
		wantStatus int
		wantMsg    string
	}{
		{name: "expired", expires: time.Minute, now: signTime.Add(61 * time.Second),
			wantCode: CodeAccessDenied, wantStatus: 403, wantMsg: "Request has expired"},
		{name: "signed in the future", expires: time.Hour, now: signTime.Add(-16 * time.Minute),
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: "Signature not yet current:"},
		{name: "no X-Amz-Expires and past the skew", now: signTime.Add(16 * time.Minute),
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: "Signature expired:"},
		{name: "X-Amz-Expires over a week", expires: time.Minute,
			mutate:   func(u *url.URL) { setQuery(u, "X-Amz-Expires", "604801") },
			wantCode: CodeIncompleteSignature, wantStatus: 400, wantMsg: "X-Amz-Expires must be less than a week"},
		{name: "X-Amz-Expires not a number", expires: time.Minute,
			mutate:   func(u *url.URL) { setQuery(u, "X-Amz-Expires", "soon") },
			wantCode: CodeIncompleteSignature, wantStatus: 400, wantMsg: "X-Amz-Expires should be a number"},
		{name: "X-Amz-Expires extended", expires: time.Minute, now: signTime.Add(2 * time.Minute),
			mutate:   func(u *url.URL) { setQuery(u, "X-Amz-Expires", "3600") },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403},
		{name: "tampered query", expires: time.Minute,
			mutate:   func(u *url.URL) { setQuery(u, "MaxItems", "2") },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403},
		{name: "signature missing", expires: time.Minute,
			mutate:   func(u *url.URL) { q := u.Query(); q.Del("X-Amz-Signature"); u.RawQuery = q.Encode() },
			wantCode: CodeIncompleteSignature, wantStatus: 400,
			wantMsg: "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters."},
		{name: "only a credential", expires: time.Minute,
			mutate: func(u *url.URL) {
				u.RawQuery = "X-Amz-Credential=" + url.QueryEscape(testAKID+"/20240301/us-east-1/cloudfront/aws4_request")
			},
			wantCode: CodeIncompleteSignature, wantStatus: 400,
			wantMsg: "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Signature'. " +
				"AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine"},
		{name: "unknown access key", expires: time.Minute,
			mutate: func(u *url.URL) {
				setQuery(u, "X-Amz-Credential", "AKIDOTHER/20240301/us-east-1/cloudfront/aws4_request")
			},
			wantCode: CodeInvalidClientTokenId, wantStatus: 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = signTime.Add(30 * time.Second)
			}
			base, do := newServer(t, newTestVerifier(now))
			req := presign(t, base, s, unsignedPayload, tc.expires, signTime)
			if tc.mutate != nil {
				tc.mutate(req.URL)
			}
			checkErr(t, do(req).err, tc.wantCode, tc.wantStatus, tc.wantMsg)
		})
	}
}

func setQuery(u *url.URL, k, v string) {
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
}

// TestVerifier_Verify_malformedAuthorization feeds hand-written headers.
func TestVerifier_Verify_malformedAuthorization(t *testing.T) {
	const cred = testAKID + "/20240301/us-east-1/cloudfront/aws4_request"
	const sig = "0000000000000000000000000000000000000000000000000000000000000000"
	tests := []struct {
		name       string
		auth       string
		wantCode   string
		wantStatus int
		wantMsg    string
	}{
		{"bearer token", "Bearer abc.def",
			CodeIncompleteSignature, 400,
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer abc.def"},
		{"SigV2 header", "AWS " + testAKID + ":frJIUN8DYpKDtOLCwo//yllqDzg=",
			CodeIncompleteSignature, 400, "Authorization header requires 'Credential' parameter."},
		{"algorithm only", "AWS4-HMAC-SHA256",
			CodeIncompleteSignature, 400, "Authorization header requires 'Credential' parameter."},
		{"missing signature", "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host;x-amz-date",
			CodeIncompleteSignature, 400, "Authorization header requires 'Signature' parameter. Authorization=AWS4"},
		{"pair without equal sign", "AWS4-HMAC-SHA256 Credential, SignedHeaders=host, Signature=" + sig,
			CodeIncompleteSignature, 400, "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential,"},
		{"unsupported algorithm", "AWS4-HMAC-SHA512 Credential=" + cred + ", SignedHeaders=host;x-amz-date, Signature=" + sig,
			CodeIncompleteSignature, 400, "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256 for now)."},
		{"SigV4a without X-Amz-Region-Set", "AWS4-ECDSA-P256-SHA256 Credential=" + testAKID + "/20240301/cloudfront/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig,
			CodeIncompleteSignature, 400, "Authorization header requires existence of a 'X-Amz-Region-Set' header for AWS4-ECDSA-P256-SHA256."},
		{"credential with four parts", "AWS4-HMAC-SHA256 Credential=" + testAKID + "/20240301/us-east-1/cloudfront, SignedHeaders=host;x-amz-date, Signature=" + sig,
			CodeIncompleteSignature, 400, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + testAKID + "/20240301/us-east-1/cloudfront'"},
		{"host not signed", "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=x-amz-date, Signature=" + sig,
			CodeSignatureDoesNotMatch, 403, msgHostNotSigned},
		{"empty SignedHeaders", "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=, Signature=" + sig,
			CodeSignatureDoesNotMatch, 403, msgHostNotSigned},
		{"bad terminator and region", "AWS4-HMAC-SHA256 Credential=" + testAKID + "/20240301/US East/cloudfront/aws4_reques, SignedHeaders=host;x-amz-date, Signature=" + sig,
			CodeSignatureDoesNotMatch, 403,
			"Credential should be scoped to a valid region, not 'US East'. Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reques'."},
		{"signature of the wrong length", "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host;x-amz-date, Signature=abc",
			CodeSignatureDoesNotMatch, 403, "The request signature we calculated"},
		{"no spaces after commas", "AWS4-HMAC-SHA256 Credential=" + cred + ",SignedHeaders=host;x-amz-date,Signature=" + sig,
			CodeSignatureDoesNotMatch, 403, "The request signature we calculated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://"+apiHost+"/2020-05-31/distribution", nil)
			r.Header.Set("X-Amz-Date", "20240301T120000Z")
			r.Header.Set("Authorization", tc.auth)
			_, err := newTestVerifier(signTime).Verify(r)
			checkErr(t, err, tc.wantCode, tc.wantStatus, tc.wantMsg)
		})
	}
}

func TestVerifier_Verify_unsignedHeaderAdded(t *testing.T) {
	base, do := newServer(t, newTestVerifier(signTime))
	s := reqSpec{target: "/2020-05-31/distribution"}.withDefaults()
	req := s.build(t, base)
	signHeader(t, req, s, testAKID, testSecret, signTime)
	req.Header.Set("X-Forwarded-For", "192.0.2.1")
	req.Header.Set("User-Agent", "changed")
	if err := do(req).err; err != nil {
		t.Fatal(err)
	}
}

// TestVerifier_Verify_unsignedPayload: only Amazon S3 takes UNSIGNED-PAYLOAD
// in place of the body's hash; CloudFront and Lightsail sign the body, so a
// header-signed request declaring UNSIGNED-PAYLOAD is SignatureDoesNotMatch
// (the body it carries is not authenticated), with or without a body. A
// presigned URL may use it only for a request without a body, where the
// signature then covers everything there is (aws-sdk-go-v2's PresignHTTP is
// commonly called with UNSIGNED-PAYLOAD).
func TestVerifier_Verify_unsignedPayload(t *testing.T) {
	base, do := newServer(t, newTestVerifier(signTime.Add(time.Minute)))
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	for _, tc := range []struct {
		name      string
		spec      reqSpec
		presigned bool
		ok        bool
	}{
		{"CloudFront PUT header-signed", reqSpec{method: http.MethodPut, target: "/2020-05-31/distribution/E1/config", body: "<x/>"}, false, false},
		{"CloudFront GET header-signed", reqSpec{target: "/2020-05-31/distribution"}, false, false},
		{"Lightsail header-signed", reqSpec{method: http.MethodPost, target: "/", service: "lightsail", body: `{"distributionName":"d1"}`}, false, false},
		{"CloudFront POST presigned with a body", reqSpec{method: http.MethodPost, target: "/2020-05-31/distribution", body: "<x/>"}, true, false},
		{"CloudFront GET presigned", reqSpec{target: "/2020-05-31/distribution"}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.spec.withDefaults()
			var req *http.Request
			if tc.presigned {
				req = presign(t, base, s, unsignedPayload, 5*time.Minute, signTime)
			} else {
				req = s.build(t, base)
				req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
				if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, unsignedPayload, s.service, s.region, signTime); err != nil {
					t.Fatal(err)
				}
			}
			got := do(req)
			if tc.ok {
				if got.err != nil {
					t.Fatalf("Verify: %v", got.err)
				}
				return
			}
			checkErr(t, got.err, CodeSignatureDoesNotMatch, 403, msgSignatureMismatch)
			if !tc.presigned && !strings.Contains(detail(got.err), "UNSIGNED-PAYLOAD") {
				t.Errorf("detail does not say why: %q", detail(got.err))
			}
		})
	}
	// A presigned URL for an empty body does not authenticate one added
	// later.
	s := reqSpec{method: http.MethodPost, target: "/2020-05-31/distribution"}.withDefaults()
	req := presign(t, base, s, unsignedPayload, 5*time.Minute, signTime)
	req.Body = io.NopCloser(strings.NewReader("<DistributionConfig/>"))
	req.ContentLength = int64(len("<DistributionConfig/>"))
	got := do(req)
	checkErr(t, got.err, CodeSignatureDoesNotMatch, 403, msgSignatureMismatch)
}

func TestVerifier_Verify_bodyTooLarge(t *testing.T) {
	v := newTestVerifier(signTime)
	v.MaxBodyBytes = 8
	base, do := newServer(t, v)
	s := reqSpec{method: http.MethodPost, target: "/2020-05-31/distribution", body: "0123456789"}.withDefaults()
	req := s.build(t, base)
	signHeader(t, req, s, testAKID, testSecret, signTime)
	checkErr(t, do(req).err, CodeRequestEntityTooLarge, 413, "Request body is larger than 8 bytes.")
}

// TestCanonicalURI_doubleEncodes pins the non-S3 rule on a path as the
// CloudFront client sends it.
func TestCanonicalURI_doubleEncodes(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"", "/"},
		{"/", "/"},
		{"/2020-05-31/distribution", "/2020-05-31/distribution"},
		{"/2020-05-31/distributionsByWebACLId/arn%3Aaws%3Awafv2%3Aus-east-1%3A1%3Aglobal%2Fwebacl%2Fa",
			"/2020-05-31/distributionsByWebACLId/arn%253Aaws%253Awafv2%253Aus-east-1%253A1%253Aglobal%252Fwebacl%252Fa"},
		{"/a:b/c d", "/a%3Ab/c%20d"},
	}
	for _, tc := range tests {
		var b strings.Builder
		canonicalURI(&b, tc.raw)
		if b.String() != tc.want {
			t.Errorf("canonicalURI(%q) = %q, want %q", tc.raw, b.String(), tc.want)
		}
	}
}

func TestKeyCache_bounded(t *testing.T) {
	var c keyCache
	for i := range 3 * maxCachedKeys {
		sc := scope{date: "20240301", region: "r" + strconv.Itoa(i), service: "cloudfront", terminator: scopeTerminator}
		got := c.get("secret", sc)
		if !bytes.Equal(got, deriveKey("secret", sc)) {
			t.Fatalf("key %d differs from a fresh derivation", i)
		}
	}
	if n := len(c.keys); n > maxCachedKeys {
		t.Errorf("cache holds %d keys, cap is %d", n, maxCachedKeys)
	}
}

// BenchmarkVerifier_Verify measures a typical signed ListDistributions GET.
func BenchmarkVerifier_Verify(b *testing.B) {
	s := reqSpec{target: "/2020-05-31/distribution?Marker=EDFDVBD6EXAMPLE&MaxItems=100"}.withDefaults()
	r := httptest.NewRequest(s.method, "http://"+apiHost+s.target, nil)
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26 api/cloudfront#1.73.0")
	r.Header.Set("Amz-Sdk-Invocation-Id", "0d6e1b5c-7f6e-4a7b-9a0c-2f8c4c3b7e11")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	signHeader(b, r, s, testAKID, testSecret, signTime)
	v := newTestVerifier(signTime)
	if _, err := v.Verify(r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}
