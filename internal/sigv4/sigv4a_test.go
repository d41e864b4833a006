package sigv4

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	kvs "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"
	"github.com/aws/smithy-go/middleware"
)

// The real SigV4A signer under test is aws-sdk-go-v2's (internal/v4a, which
// cannot be imported): the cloudfrontkeyvaluestore client signs every
// request with it, region set "*" (its endpoint rules say so).

const (
	kvsService = "cloudfront-keyvaluestore"
	kvsARN     = "arn:aws:cloudfront::123456789012:key-value-store/9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
)

func newKVSVerifier(now func() time.Time) *Verifier {
	v := newTestVerifier(time.Time{})
	v.Now = now
	v.Services = []string{"cloudfront", kvsService}
	return v
}

// capturedRequest is a request exactly as the server saw it, to replay
// (tampered) over a raw connection.
type capturedRequest struct {
	method, target, host string
	header               http.Header
	body                 string
}

func (c capturedRequest) clone() capturedRequest {
	c.header = c.header.Clone()
	return c
}

// raw writes the request in HTTP/1.1 wire form, with a Content-Length for
// the body unless the header already has one.
func (c capturedRequest) raw() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", c.method, c.target, c.host)
	h := c.header.Clone()
	if h.Get("Content-Length") == "" && c.body != "" {
		h.Set("Content-Length", fmt.Sprint(len(c.body)))
	}
	h.Del("Connection")
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range h[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("Connection: close\r\n\r\n")
	b.WriteString(c.body)
	return []byte(b.String())
}

// kvsOutcome is what the KVS test server's handler saw.
type kvsOutcome struct {
	req capturedRequest
	id  Identity
	err error
}

// newKVSServer starts a loopback server that verifies each request with v
// and answers the KVS data-plane operations with minimal valid JSON.
func newKVSServer(t testing.TB, v *Verifier) (*httptest.Server, <-chan kvsOutcome) {
	t.Helper()
	out := make(chan kvsOutcome, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := capturedRequest{method: r.Method, target: r.RequestURI, host: r.Host, header: r.Header.Clone()}
		id, err := v.Verify(r)
		b, _ := io.ReadAll(r.Body)
		c.body = string(b)
		out <- kvsOutcome{req: c, id: id, err: err}
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"message":%q}`, err.Error())
			return
		}
		w.Header().Set("ETag", "ETVPDKIKX0DER")
		switch {
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/keys"):
			io.WriteString(w, `{"Items":[{"Key":"k","Value":"v"}]}`)
		case r.Method == http.MethodGet:
			fmt.Fprintf(w, `{"KvsARN":%q,"Name":"kvs","ItemCount":1,"TotalSizeInBytes":2,"Created":1700000000}`, kvsARN)
		default:
			io.WriteString(w, `{"ItemCount":1,"TotalSizeInBytes":2}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, out
}

// newKVSClient points the real KVS client at srv. With a custom endpoint
// the client still prefixes the ARN's account ID to the host
// ("123456789012.127.0.0.1:port"), so the dialer ignores the host name.
func newKVSClient(srv *httptest.Server, akid, secret string, optFns ...func(*kvs.Options)) *kvs.Client {
	addr := srv.Listener.Addr().String()
	transport := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	return kvs.New(kvs.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(akid, secret, ""),
		HTTPClient:       &http.Client{Transport: transport},
		RetryMaxAttempts: 1,
	}, optFns...)
}

// TestDeriveECDSAKey_awsVector checks the key derivation against the
// public key aws-sdk-go-v2's v4a tests expect for their access key pair.
func TestDeriveECDSAKey_awsVector(t *testing.T) {
	priv, err := deriveECDSAKey("AKISORANDOMAASORANDOM", "q+jcrXGc+0zWN6uzclKVhvMmUsIfRPa4rlRandom")
	if err != nil {
		t.Fatal(err)
	}
	wantX, _ := new(big.Int).SetString("15D242CEEBF8D8169FD6A8B5A746C41140414C3B07579038DA06AF89190FFFCB", 16)
	wantY, _ := new(big.Int).SetString("515242CEDD82E94799482E4C0514B505AFCCF2C0C98D6A553BF539F424C5EC0", 16)
	if priv.X.Cmp(wantX) != 0 || priv.Y.Cmp(wantY) != 0 {
		t.Errorf("public key = (%X, %X), want (%X, %X)", priv.X, priv.Y, wantX, wantY)
	}
}

func TestConstantTimeLess(t *testing.T) {
	for _, tc := range []struct {
		x, y string
		want bool
	}{
		{"00", "01", true}, {"01", "00", false}, {"05", "05", false},
		{"00ff", "0100", true}, {"0100", "00ff", false}, {"ff00", "ff01", true},
		{"ffff", "ffff", false}, {"7f80", "8000", true},
	} {
		x, _ := hex.DecodeString(tc.x)
		y, _ := hex.DecodeString(tc.y)
		if got := constantTimeLess(x, y); got != tc.want {
			t.Errorf("constantTimeLess(%s, %s) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
}

func TestRegionSetCovers(t *testing.T) {
	for _, tc := range []struct {
		set  string
		want bool
	}{
		{"*", true}, {"us-east-1", true}, {"eu-west-1,us-east-1", true}, {"eu-west-1, us-east-1", true},
		{" * ", true}, {"eu-west-1", false}, {"us-*", false}, {"", false}, {",", false},
		{"us-east-1a", false}, {"US-EAST-1", false}, {"us-east-1*", false},
	} {
		if got := regionSetCovers(tc.set, "us-east-1"); got != tc.want {
			t.Errorf("regionSetCovers(%q) = %v, want %v", tc.set, got, tc.want)
		}
	}
}

// TestECDSAKeyCache_derivesOnce shows the derived key is reused per access
// key and secret, and that a new secret gets its own key.
func TestECDSAKeyCache_derivesOnce(t *testing.T) {
	var c ecdsaKeyCache
	a, _ := c.get(testAKID, testSecret)
	b, _ := c.get(testAKID, testSecret)
	if a != b {
		t.Error("second lookup derived the key again")
	}
	other, _ := c.get(testAKID, testSecret+"x")
	if other.Equal(a) {
		t.Error("another secret gave the same key")
	}
	for i := range maxCachedKeys * 2 {
		c.get(fmt.Sprint("AKID", i), testSecret)
	}
	if len(c.keys) > maxCachedKeys {
		t.Errorf("cache holds %d keys, cap %d", len(c.keys), maxCachedKeys)
	}
}

// TestVerifier_Verify_sigv4aKVSClient verifies every request the real
// cloudfrontkeyvaluestore client signs with SigV4A: a path carrying an ARN,
// a query, and a body with If-Match.
func TestVerifier_Verify_sigv4aKVSClient(t *testing.T) {
	srv, outcomes := newKVSServer(t, newKVSVerifier(time.Now))
	client := newKVSClient(srv, testAKID, testSecret)
	ctx := context.Background()

	calls := []struct {
		name string
		call func() error
	}{
		{"DescribeKeyValueStore", func() error {
			_, err := client.DescribeKeyValueStore(ctx, &kvs.DescribeKeyValueStoreInput{KvsARN: aws.String(kvsARN)})
			return err
		}},
		{"ListKeys", func() error {
			_, err := client.ListKeys(ctx, &kvs.ListKeysInput{KvsARN: aws.String(kvsARN), MaxResults: aws.Int32(5), NextToken: aws.String("a b/c+d=é~")})
			return err
		}},
		{"PutKey", func() error {
			_, err := client.PutKey(ctx, &kvs.PutKeyInput{KvsARN: aws.String(kvsARN), Key: aws.String("path/ü key"), Value: aws.String(`{"v":"ü"}`), IfMatch: aws.String("ETVPDKIKX0DER")})
			return err
		}},
		{"DeleteKey", func() error {
			_, err := client.DeleteKey(ctx, &kvs.DeleteKeyInput{KvsARN: aws.String(kvsARN), Key: aws.String("k"), IfMatch: aws.String("ETVPDKIKX0DER")})
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			callErr := c.call()
			got := <-outcomes
			if got.err != nil {
				t.Fatalf("Verify: %v\n%s\nAuthorization: %s", got.err, detail(got.err), got.req.header.Get("Authorization"))
			}
			if callErr != nil {
				t.Fatalf("client: %v", callErr)
			}
			if !strings.HasPrefix(got.req.header.Get("Authorization"), algorithmECDSA+" ") {
				t.Fatalf("client did not sign with SigV4A: %q", got.req.header.Get("Authorization"))
			}
			if got.id.AccessKeyID != testAKID || got.id.Service != kvsService || got.id.Region != DefaultRegion {
				t.Errorf("identity = %+v", got.id)
			}
		})
	}
}

// signedPutKey has the real client sign one PutKey and returns the request
// as the server received it (verified), to tamper with.
func signedPutKey(t testing.TB) (capturedRequest, time.Time) {
	t.Helper()
	srv, outcomes := newKVSServer(t, newKVSVerifier(time.Now))
	_, callErr := newKVSClient(srv, testAKID, testSecret).PutKey(context.Background(), &kvs.PutKeyInput{
		KvsARN: aws.String(kvsARN), Key: aws.String("k"), Value: aws.String("value-1"), IfMatch: aws.String("ETVPDKIKX0DER")})
	got := <-outcomes
	if got.err != nil || callErr != nil {
		t.Fatalf("untampered request: Verify %v, client %v", got.err, callErr)
	}
	date, err := time.Parse(amzDateFormat, got.req.header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatal(err)
	}
	return got.req, date
}

// replay sends a captured request over a raw connection to a server that
// verifies with v, and returns Verify's answer.
func replay(t *testing.T, v *Verifier, c capturedRequest) error {
	t.Helper()
	srv, outcomes := newKVSServer(t, v)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(c.raw()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	resp.Body.Close()
	select {
	case got := <-outcomes:
		return got.err
	default:
		t.Fatalf("the handler never ran (HTTP %d)", resp.StatusCode)
		return nil
	}
}

// editAuth rewrites one Authorization parameter (Credential, SignedHeaders,
// Signature) or, for "algorithm", the scheme.
func editAuth(c capturedRequest, param string, edit func(string) string) {
	auth := c.header.Get("Authorization")
	alg, rest, _ := strings.Cut(auth, " ")
	if param == "algorithm" {
		c.header.Set("Authorization", edit(alg)+" "+rest)
		return
	}
	parts := strings.Split(rest, ", ")
	for i, p := range parts {
		if k, val, _ := strings.Cut(p, "="); k == param {
			parts[i] = k + "=" + edit(val)
		}
	}
	c.header.Set("Authorization", alg+" "+strings.Join(parts, ", "))
}

// TestVerifier_Verify_sigv4aTampered replays a SigV4A request signed by the
// real client with one thing changed; each must fail the way a SigV4
// failure does.
func TestVerifier_Verify_sigv4aTampered(t *testing.T) {
	orig, signedAt := signedPutKey(t)
	at := func(d time.Duration) func() time.Time { return func() time.Time { return signedAt.Add(d) } }
	const mismatch = "The request signature we calculated"

	tests := []struct {
		name       string
		tamper     func(c *capturedRequest)
		verifier   *Verifier // nil: the right secret, clock at signing time
		wantCode   string    // "" means it must verify
		wantStatus int
		wantMsg    string
	}{
		{name: "untouched replay", tamper: func(c *capturedRequest) {}},
		{name: "15 minutes late, at the edge of the skew", tamper: func(c *capturedRequest) {}, verifier: newKVSVerifier(at(15 * time.Minute))},
		{name: "body changed, same length", tamper: func(c *capturedRequest) { c.body = strings.Replace(c.body, "value-1", "value-2", 1) },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: mismatch},
		{name: "signed header changed", tamper: func(c *capturedRequest) { c.header.Set("If-Match", "E2OTHER") },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: mismatch},
		{name: "path changed", tamper: func(c *capturedRequest) { c.target = strings.Replace(c.target, "/keys/k", "/keys/j", 1) },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: mismatch},
		{name: "method changed", tamper: func(c *capturedRequest) { c.method = http.MethodPost },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: mismatch},
		{name: "host changed", tamper: func(c *capturedRequest) { c.host = "210987654321." + c.host[strings.IndexByte(c.host, '.')+1:] },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: mismatch},
		{name: "X-Amz-Date one second later", tamper: func(c *capturedRequest) {
			c.header.Set("X-Amz-Date", signedAt.Add(time.Second).Format(amzDateFormat))
		}, wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: mismatch},
		{name: "region set narrowed, still covering us-east-1", tamper: func(c *capturedRequest) { c.header.Set(hRegionSet, "us-east-1") },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: mismatch},
		{name: "region set repeated", tamper: func(c *capturedRequest) { c.header.Add(hRegionSet, "*") },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: mismatch},
		{name: "region set elsewhere", tamper: func(c *capturedRequest) { c.header.Set(hRegionSet, "eu-west-1,ap-south-1") },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403,
			wantMsg: "The region set 'eu-west-1,ap-south-1' in X-Amz-Region-Set does not include this endpoint's region 'us-east-1'."},
		{name: "region set removed", tamper: func(c *capturedRequest) { c.header.Del(hRegionSet) },
			wantCode: CodeIncompleteSignature, wantStatus: 400, wantMsg: "Authorization header requires existence of a 'X-Amz-Region-Set' header"},
		{name: "region set not signed", tamper: func(c *capturedRequest) {
			editAuth(*c, "SignedHeaders", func(s string) string { return strings.Replace(s, ";x-amz-region-set", "", 1) })
		}, wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: "'X-Amz-Region-Set' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "unknown access key", tamper: func(c *capturedRequest) {
			editAuth(*c, "Credential", func(s string) string { return "AKIDUNKNOWN" + strings.TrimPrefix(s, testAKID) })
		}, wantCode: CodeInvalidClientTokenId, wantStatus: 403, wantMsg: msgInvalidClientID},
		{name: "credential scoped to another service", tamper: func(c *capturedRequest) {
			editAuth(*c, "Credential", func(s string) string { return strings.Replace(s, kvsService, "s3", 1) })
		}, wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: "Credential should be scoped to correct service: 'cloudfront' or 'cloudfront-keyvaluestore'."},
		{name: "credential scoped to a kept service it was not signed for", tamper: func(c *capturedRequest) {
			editAuth(*c, "Credential", func(s string) string { return strings.Replace(s, kvsService, "cloudfront", 1) })
		}, wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: mismatch},
		{name: "credential with a region (SigV4 shape)", tamper: func(c *capturedRequest) {
			editAuth(*c, "Credential", func(s string) string { return strings.Replace(s, "/"+kvsService, "/us-east-1/"+kvsService, 1) })
		}, wantCode: CodeIncompleteSignature, wantStatus: 400, wantMsg: "Credential must have exactly 4 slash-delimited elements, e.g. keyid/date/service/term"},
		{name: "credential date another day", tamper: func(c *capturedRequest) {
			editAuth(*c, "Credential", func(s string) string {
				return strings.Replace(s, signedAt.Format("20060102"), signedAt.AddDate(0, 0, -1).Format("20060102"), 1)
			})
		}, wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: "Date in Credential scope does not match YYYYMMDD"},
		{name: "bad terminator", tamper: func(c *capturedRequest) {
			editAuth(*c, "Credential", func(s string) string { return strings.Replace(s, "aws4_request", "aws4_reques", 1) })
		}, wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: "Credential should be scoped with a valid terminator"},
		{name: "algorithm relabelled SigV4", tamper: func(c *capturedRequest) {
			editAuth(*c, "algorithm", func(string) string { return algorithm })
		}, wantCode: CodeIncompleteSignature, wantStatus: 400, wantMsg: "Credential must have exactly 5 slash-delimited elements"},
		{name: "signature digit flipped", tamper: func(c *capturedRequest) {
			editAuth(*c, "Signature", func(s string) string { return flipLastHexDigit(s) })
		}, wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: mismatch},
		{name: "signature truncated", tamper: func(c *capturedRequest) {
			editAuth(*c, "Signature", func(s string) string { return s[:len(s)-2] })
		}, wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: mismatch},
		{name: "signature not hex", tamper: func(c *capturedRequest) {
			editAuth(*c, "Signature", func(s string) string { return "zz" + s[2:] })
		}, wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: mismatch},
		{name: "signature with trailing DER bytes", tamper: func(c *capturedRequest) {
			editAuth(*c, "Signature", func(s string) string { return s + "00" })
		}, wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: mismatch},
		{name: "signature missing", tamper: func(c *capturedRequest) {
			editAuth(*c, "Signature", func(string) string { return "" })
		}, wantCode: CodeIncompleteSignature, wantStatus: 400, wantMsg: "Authorization header requires 'Signature' parameter."},
		{name: "UNSIGNED-PAYLOAD declared after signing", tamper: func(c *capturedRequest) { c.header.Set(qContentSHA256, unsignedPayload) },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: mismatch},
		{name: "wrong secret", tamper: func(c *capturedRequest) {},
			verifier: func() *Verifier {
				v := newKVSVerifier(at(0))
				v.Credentials = CredentialsFunc(func(string) (string, bool) { return testSecret + "x", true })
				return v
			}(),
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: mismatch},
		{name: "server in another region", tamper: func(c *capturedRequest) { c.header.Set(hRegionSet, "us-east-1") },
			verifier: func() *Verifier { v := newKVSVerifier(at(0)); v.Region = "eu-central-1"; return v }(),
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: "The region set 'us-east-1' in X-Amz-Region-Set does not include this endpoint's region 'eu-central-1'."},
		{name: "clock 15 min 1 s ahead", tamper: func(c *capturedRequest) {}, verifier: newKVSVerifier(at(15*time.Minute + time.Second)),
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: "Signature expired: "},
		{name: "clock 15 min 1 s behind", tamper: func(c *capturedRequest) {}, verifier: newKVSVerifier(at(-15*time.Minute - time.Second)),
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 403, wantMsg: "Signature not yet current: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := orig.clone()
			tc.tamper(&c)
			v := tc.verifier
			if v == nil {
				v = newKVSVerifier(at(0))
			}
			err := replay(t, v, c)
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("Verify: %v\n%s", err, detail(err))
				}
				return
			}
			checkErr(t, err, tc.wantCode, tc.wantStatus, tc.wantMsg)
		})
	}
}

func flipLastHexDigit(s string) string {
	last := s[len(s)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return s[:len(s)-1] + string(repl)
}

// TestVerifier_Verify_sigv4aUnsignedPayload has the real client sign with
// UNSIGNED-PAYLOAD in X-Amz-Content-Sha256: refused as for SigV4 (only
// Amazon S3 takes unsigned payloads). The same client declaring the body's
// real hash passes, so the refusal is about the payload rule alone.
func TestVerifier_Verify_sigv4aUnsignedPayload(t *testing.T) {
	for _, tc := range []struct {
		name       string
		apiOptions []func(*middleware.Stack) error
		wantErr    bool
	}{
		{"UNSIGNED-PAYLOAD", []func(*middleware.Stack) error{v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware, v4.AddContentSHA256HeaderMiddleware}, true},
		{"body hash declared", []func(*middleware.Stack) error{v4.AddContentSHA256HeaderMiddleware}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, outcomes := newKVSServer(t, newKVSVerifier(time.Now))
			client := newKVSClient(srv, testAKID, testSecret, func(o *kvs.Options) { o.APIOptions = append(o.APIOptions, tc.apiOptions...) })
			client.PutKey(context.Background(), &kvs.PutKeyInput{KvsARN: aws.String(kvsARN), Key: aws.String("k"), Value: aws.String("v"), IfMatch: aws.String("E1")})
			got := <-outcomes
			declared := got.req.header.Get(qContentSHA256)
			if tc.wantErr {
				if declared != unsignedPayload {
					t.Fatalf("client sent X-Amz-Content-Sha256 %q", declared)
				}
				checkErr(t, got.err, CodeSignatureDoesNotMatch, 403, "The request signature we calculated")
				if !strings.Contains(detail(got.err), "UNSIGNED-PAYLOAD is accepted by Amazon S3 only") {
					t.Errorf("detail = %q", detail(got.err))
				}
				return
			}
			if declared == "" || declared == unsignedPayload {
				t.Fatalf("client sent X-Amz-Content-Sha256 %q", declared)
			}
			if got.err != nil {
				t.Fatalf("Verify: %v\n%s", got.err, detail(got.err))
			}
		})
	}
}

// presignV4A builds a presigned SigV4A URL for GET /2020-05-31/distribution
// by hand: the canonical request is written out literally here (as AWS's
// signers build it), not by the code under test, and signed with the key
// from deriveECDSAKey (checked against AWS's vector above).
func presignV4A(t testing.TB, base, regionSet string, at time.Time, expires int, payloadHash string) string {
	t.Helper()
	priv, err := deriveECDSAKey(testAKID, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	date := at.Format(amzDateFormat)
	encodedSet := strings.NewReplacer("*", "%2A", ",", "%2C").Replace(regionSet)
	query := "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256" +
		"&X-Amz-Credential=" + testAKID + "%2F" + date[:8] + "%2Fcloudfront%2Faws4_request" +
		"&X-Amz-Date=" + date +
		fmt.Sprintf("&X-Amz-Expires=%d", expires) +
		"&X-Amz-Region-Set=" + encodedSet +
		"&X-Amz-SignedHeaders=host"
	canonical := "GET\n/2020-05-31/distribution\n" + query + "\nhost:" + apiHost + "\n\nhost\n" + payloadHash
	sum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-ECDSA-P256-SHA256\n" + date + "\n" + date[:8] + "/cloudfront/aws4_request\n" + hex.EncodeToString(sum[:])
	digest := sha256.Sum256([]byte(toSign))
	sig, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return base + "/2020-05-31/distribution?" + query + "&X-Amz-Signature=" + hex.EncodeToString(sig)
}

// TestVerifier_Verify_sigv4aPresigned checks presigned SigV4A URLs
// (X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256), accepted as SigV4's are.
func TestVerifier_Verify_sigv4aPresigned(t *testing.T) {
	emptyHash := hashHex(nil)
	base, do := newServer(t, newTestVerifier(signTime.Add(time.Minute)))
	send := func(u string) error {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = apiHost
		return do(req).err
	}
	for _, tc := range []struct {
		name      string
		url       string
		wantCode  string
		wantMsg   string
		wantState int
	}{
		{"region set *", presignV4A(t, base, "*", signTime, 300, emptyHash), "", "", 0},
		{"region set listing us-east-1, UNSIGNED-PAYLOAD", presignV4A(t, base, "eu-west-1,us-east-1", signTime, 300, unsignedPayload), "", "", 0},
		{"expired", presignV4A(t, base, "*", signTime, 30, emptyHash), CodeAccessDenied, msgPresignExpired, 403},
		{"region set elsewhere", presignV4A(t, base, "eu-west-1", signTime, 300, emptyHash), CodeSignatureDoesNotMatch,
			"The region set 'eu-west-1' in X-Amz-Region-Set does not include", 403},
		{"region set swapped in the URL", strings.Replace(presignV4A(t, base, "us-east-1", signTime, 300, emptyHash), "X-Amz-Region-Set=us-east-1", "X-Amz-Region-Set=%2A", 1),
			CodeSignatureDoesNotMatch, "The request signature we calculated", 403},
		{"region set dropped from the URL", strings.Replace(presignV4A(t, base, "*", signTime, 300, emptyHash), "&X-Amz-Region-Set=%2A", "", 1),
			CodeIncompleteSignature, "AWS query-string parameters must include 'X-Amz-Region-Set'. Re-examine the query-string parameters.", 400},
		{"expiry lengthened in the URL", strings.Replace(presignV4A(t, base, "*", signTime, 300, emptyHash), "X-Amz-Expires=300", "X-Amz-Expires=3000", 1),
			CodeSignatureDoesNotMatch, "The request signature we calculated", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := send(tc.url)
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("Verify: %v\n%s", err, detail(err))
				}
				return
			}
			checkErr(t, err, tc.wantCode, tc.wantState, tc.wantMsg)
		})
	}
}

// TestVerifier_Verify_sigv4aPresignedWithBody: a presigned SigV4A request
// with a body may not leave it unsigned, as with SigV4.
func TestVerifier_Verify_sigv4aPresignedWithBody(t *testing.T) {
	base, do := newServer(t, newTestVerifier(signTime.Add(time.Minute)))
	req, err := http.NewRequest(http.MethodGet, presignV4A(t, base, "*", signTime, 300, unsignedPayload), strings.NewReader("smuggled"))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = apiHost
	req.Header.Set(qContentSHA256, unsignedPayload)
	checkErr(t, do(req).err, CodeSignatureDoesNotMatch, 403, "The request signature we calculated")
}

func BenchmarkVerifier_Verify_sigv4a(b *testing.B) {
	v := newTestVerifier(signTime.Add(time.Minute))
	u := presignV4A(b, "http://"+apiHost, "*", signTime, 300, hashHex(nil))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodGet, u, nil)
		if _, err := v.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzVerify_sigv4aAuthorization feeds arbitrary SigV4A Authorization
// headers, dates and region sets through Verify: nothing verifies, and every
// refusal is one of SigV4's codes with its status.
func FuzzVerify_sigv4aAuthorization(f *testing.F) {
	const sig = "3045022100e3b6f1c0d1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c02205a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b"
	for _, seed := range []struct{ auth, date, set string }{
		{algorithmECDSA + " Credential=AKIDEXAMPLE/20240301/cloudfront/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=" + sig, "20240301T120000Z", "*"},
		{algorithmECDSA + " Credential=AKIDEXAMPLE/20240301/cloudfront/aws4_request,SignedHeaders=host;x-amz-date;x-amz-region-set,Signature=" + sig, "20240301T120000Z", "eu-west-1,us-east-1"},
		{algorithmECDSA + " Credential=AKIDEXAMPLE/20240301/us-east-1/cloudfront/aws4_request, SignedHeaders=host, Signature=00", "20240301T120000Z", "us-*"},
		{algorithmECDSA + " Credential=AKIDEXAMPLE/20240301/cloudfront/aws4_request/, SignedHeaders=host;x-amz-date, Signature=", "20240301T120000Z", ""},
		{algorithmECDSA + " Credential=/20240301/cloudfront/aws4_request, SignedHeaders=HOST;X-AMZ-REGION-SET, Signature=30", "20240301T120000Z", " * , "},
		{algorithmECDSA, "", ""},
		{algorithmECDSA + " Credential=a/b/c/d, SignedHeaders=, Signature=zz", "2024", ","},
	} {
		f.Add(seed.auth, seed.date, seed.set)
	}
	v := newTestVerifier(signTime)
	f.Fuzz(func(t *testing.T, auth, amzDate, regionSet string) {
		r := httptest.NewRequest(http.MethodGet, "http://"+apiHost+"/2020-05-31/distribution", nil)
		r.Header["Authorization"] = []string{auth}
		r.Header["X-Amz-Date"] = []string{amzDate}
		r.Header[hRegionSet] = []string{regionSet}
		_, err := v.Verify(r)
		if err == nil {
			t.Fatalf("a fuzzed request verified: %q %q %q", auth, amzDate, regionSet)
		}
		e, ok := err.(*Error)
		if !ok {
			t.Fatalf("error %T %v, want *Error", err, err)
		}
		switch {
		case e.Code == CodeIncompleteSignature && e.Status == http.StatusBadRequest,
			e.Code == CodeSignatureDoesNotMatch && e.Status == http.StatusForbidden,
			e.Code == CodeInvalidClientTokenId && e.Status == http.StatusForbidden,
			e.Code == CodeMissingAuthenticationToken && e.Status == http.StatusForbidden:
		default:
			t.Fatalf("refused with %s %d", e.Code, e.Status)
		}
		// What passes the checks that need no secret is a well-formed SigV4A
		// request whose signed region set covers this endpoint.
		p, pe := parseAuthorization(auth, amzDate)
		if pe != nil || p.algorithm != algorithmECDSA {
			return
		}
		p.regionSet = regionSet
		if sc, _, ce := v.checkParams(p); ce == nil {
			if !sc.regionless || strings.Count(strings.TrimRight(p.credential, "/"), "/") != 3 ||
				!regionSetCovers(regionSet, DefaultRegion) || !signsHeader(p.signedHeaders, hRegionSet) || !signsHost(p.signedHeaders) {
				t.Fatalf("checks passed on %+v", p)
			}
		}
	})
}

// FuzzVerify_sigv4aRegionSet swaps the region set of a request the real
// KVS client signed ("*") for arbitrary values: only ones whose canonical
// form is still "*" may verify.
func FuzzVerify_sigv4aRegionSet(f *testing.F) {
	orig, signedAt := signedPutKey(f)
	for _, seed := range []string{"*", " * ", "us-east-1", "*,us-east-1", "", "\t*", "**", "%2A"} {
		f.Add(seed)
	}
	v := newKVSVerifier(func() time.Time { return signedAt })
	f.Fuzz(func(t *testing.T, regionSet string) {
		r := httptest.NewRequest(orig.method, "http://"+orig.host+orig.target, strings.NewReader(orig.body))
		r.Host = orig.host
		r.RequestURI = orig.target
		for k, vs := range orig.header {
			r.Header[k] = slices.Clone(vs)
		}
		r.Header[hRegionSet] = []string{regionSet}
		_, err := v.Verify(r)
		if want := strings.Trim(regionSet, " \t") == "*"; (err == nil) != want {
			t.Fatalf("region set %q: Verify = %v, want success %v", regionSet, err, want)
		}
	})
}
