package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"openfront/internal/api"
	"openfront/internal/apitest"
	"openfront/internal/sigv4"
)

// stubServer is an api.Server whose CloudFront front-end only records that
// it was reached.
type stubServer struct {
	*api.Server
	mu      sync.Mutex
	reached int
	counts  []string
}

func newStubServer(ready bool) *stubServer {
	s := &stubServer{}
	s.Server = &api.Server{
		Verifier: &sigv4.Verifier{
			Credentials: sigv4.CredentialsFunc(func(id string) (string, bool) {
				return apitest.SecretAccessKey, id == apitest.AccessKeyID
			}),
			Services: []string{"cloudfront", "lightsail"},
		},
		CloudFront: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			s.reached++
			s.mu.Unlock()
			w.WriteHeader(http.StatusTeapot)
		}),
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "metrics\n") }),
		Ready:   func() bool { return ready },
		Count: func(api, code string) {
			s.mu.Lock()
			s.counts = append(s.counts, api+" "+code)
			s.mu.Unlock()
		},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return s
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func signed(t *testing.T, method, target, body, region string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: apitest.AccessKeyID, SecretAccessKey: apitest.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "cloudfront", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestServer_healthzNeedsNoAuth(t *testing.T) {
	w := serve(newStubServer(true), httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != http.StatusOK || w.Body.String() != "ok\n" {
		t.Errorf("ready: %d %q", w.Code, w.Body)
	}
	w = serve(newStubServer(false), httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("not ready: %d %q", w.Code, w.Body)
	}
}

func TestServer_metricsNeedNoAuth(t *testing.T) {
	w := serve(newStubServer(true), httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != http.StatusOK || w.Body.String() != "metrics\n" {
		t.Errorf("metrics: %d %q", w.Code, w.Body)
	}
}

func TestServer_unsignedCloudFront(t *testing.T) {
	s := newStubServer(true)
	w := serve(s, httptest.NewRequest("GET", "/2020-05-31/distribution", nil))
	body := w.Body.String()
	if w.Code != http.StatusForbidden || !strings.Contains(body, "<Code>MissingAuthenticationToken</Code>") ||
		!strings.Contains(body, `xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"`) {
		t.Errorf("unsigned: %d %s", w.Code, body)
	}
	id := w.Header().Get("X-Amz-Request-Id")
	if id == "" || w.Header().Get("X-Amzn-Requestid") != id || !strings.Contains(body, "<RequestId>"+id+"</RequestId>") {
		t.Errorf("request ids: %q %q in %s", id, w.Header().Get("X-Amzn-Requestid"), body)
	}
	if s.reached != 0 {
		t.Error("an unsigned request reached the front-end")
	}
	if strings.Join(s.counts, ",") != "cloudfront 403" {
		t.Errorf("counted %v", s.counts)
	}
}

func TestServer_signedReachesCloudFront(t *testing.T) {
	s := newStubServer(true)
	w := serve(s, signed(t, "GET", "/2020-05-31/distribution", "", "us-east-1"))
	if w.Code != http.StatusTeapot || s.reached != 1 {
		t.Errorf("signed: %d, reached %d: %s", w.Code, s.reached, w.Body)
	}
	if w.Header().Get("X-Amz-Request-Id") == "" {
		t.Error("no request id on a front-end response")
	}
	if strings.Join(s.counts, ",") != "cloudfront 418" {
		t.Errorf("counted %v", s.counts)
	}
}

func TestServer_lightsailErrorsAreJSON(t *testing.T) {
	s := newStubServer(true)
	r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
	r.Header.Set("X-Amz-Target", "Lightsail_20161128.GetDistributions")
	w := serve(s, r)
	if w.Code != http.StatusForbidden || w.Header().Get("X-Amzn-ErrorType") != "MissingAuthenticationToken" ||
		!strings.HasPrefix(w.Body.String(), `{"__type":"MissingAuthenticationToken"`) {
		t.Errorf("unsigned Lightsail: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if s.reached != 0 {
		t.Error("a Lightsail request reached the CloudFront front-end")
	}
}

// TestServer_partitionFromSigningRegion: ARNs follow the partition of the
// region a client signed with.
func TestServer_partitionFromSigningRegion(t *testing.T) {
	s := apitest.NewServer(t)
	body := `<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><CallerReference>cn</CallerReference>` +
		`<Origins><Quantity>1</Quantity><Items><Origin><Id>o</Id><DomainName>example.com</DomainName>` +
		`<CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOriginConfig></Origin></Items></Origins>` +
		`<DefaultCacheBehavior><TargetOriginId>o</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>` +
		`<ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies></ForwardedValues><MinTTL>0</MinTTL></DefaultCacheBehavior>` +
		`<Comment></Comment><Enabled>true</Enabled></DistributionConfig>`
	call := func(method, region, body string) *apitest.Response {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, s.URL+"/2020-05-31/distribution", rd)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: apitest.AccessKeyID, SecretAccessKey: apitest.SecretAccessKey}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "cloudfront", region, time.Now()); err != nil {
			t.Fatal(err)
		}
		return s.Do(t, req)
	}
	if r := call("POST", "cn-north-1", body); r.Status != http.StatusCreated || !strings.Contains(string(r.Body), "<ARN>arn:aws-cn:cloudfront::") {
		t.Errorf("create signed in cn-north-1: %s", r)
	}
	if r := call("GET", "us-gov-west-1", ""); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "<ARN>arn:aws-us-gov:cloudfront::") {
		t.Errorf("list signed in us-gov-west-1: %s", r)
	}
	if r := call("GET", "eu-west-1", ""); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "<ARN>arn:aws:cloudfront::") {
		t.Errorf("list signed in eu-west-1: %s", r)
	}
}

// The console gets /console and the paths under it, without SigV4; the
// AWS APIs' requests never reach it.
func TestServer_consoleRouting(t *testing.T) {
	s := newStubServer(true)
	var consoleHits []string
	s.Console = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		consoleHits = append(consoleHits, r.URL.Path)
		w.WriteHeader(http.StatusNoContent)
	})
	for _, path := range []string{"/console", "/console/", "/console/login", "/console/distributions/E1"} {
		if w := serve(s, httptest.NewRequest("GET", path, nil)); w.Code != http.StatusNoContent {
			t.Errorf("%s: %d, want the console's 204", path, w.Code)
		}
	}
	// Not the console: a longer first segment, the CloudFront API (signed
	// and unsigned) and Lightsail's X-Amz-Target requests.
	if w := serve(s, httptest.NewRequest("GET", "/consoles", nil)); w.Code != http.StatusForbidden {
		t.Errorf("/consoles: %d, want SigV4's 403", w.Code)
	}
	if w := serve(s, signed(t, "GET", "/2020-05-31/distribution", "", "us-east-1")); w.Code != http.StatusTeapot {
		t.Errorf("signed CloudFront request: %d", w.Code)
	}
	r := httptest.NewRequest("POST", "/console/", strings.NewReader("{}"))
	r.Header.Set("X-Amz-Target", "Lightsail_20161128.GetDistributions")
	if w := serve(s, r); w.Code == http.StatusNoContent {
		t.Errorf("a Lightsail request reached the console")
	}
	if len(consoleHits) != 4 || s.reached != 1 {
		t.Errorf("console reached for %v, CloudFront %d times", consoleHits, s.reached)
	}
}
