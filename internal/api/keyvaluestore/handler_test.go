package keyvaluestore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	kvs "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"
	"github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore/types"

	"openfront/internal/apitest"
	"openfront/internal/control"
)

// hostRecorder remembers the Host of every request the client sends.
type hostRecorder struct {
	mu    sync.Mutex
	hosts []string
	next  http.RoundTripper
}

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Host)
	h.mu.Unlock()
	return h.next.RoundTrip(r)
}

// newClient returns aws-sdk-go-v2's cloudfrontkeyvaluestore client pointed
// at the server with BaseEndpoint. The client sends to
// <account-id>.<endpoint host> (the service's endpoint rules), a name that
// does not resolve here: its dialer connects to the server whatever the
// name, so the server sees the prefixed Host as it would behind wildcard
// DNS. The client signs with SigV4 (AuthSchemePreference); SigV4A is the
// verifier's concern, not this API's.
func newClient(t *testing.T, s *apitest.Server) (*kvs.Client, *hostRecorder) {
	t.Helper()
	addr := s.HTTP.Listener.Addr().String()
	var d net.Dialer
	rec := &hostRecorder{next: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}}
	return kvs.New(kvs.Options{
		Region:               apitest.Region,
		BaseEndpoint:         aws.String(s.URL),
		Credentials:          credentials.NewStaticCredentialsProvider(apitest.AccessKeyID, apitest.SecretAccessKey, ""),
		AuthSchemePreference: []string{"sigv4"},
		HTTPClient:           &http.Client{Transport: rec},
		Retryer:              aws.NopRetryer{},
	}), rec
}

func newStore(t *testing.T, s *apitest.Server, name string) string {
	t.Helper()
	st, err := s.Control.CreateKeyValueStore(context.Background(), control.KVSInput{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return st.ARN
}

func describe(t *testing.T, c *kvs.Client, arn string) *kvs.DescribeKeyValueStoreOutput {
	t.Helper()
	d, err := c.DescribeKeyValueStore(context.Background(), &kvs.DescribeKeyValueStoreInput{KvsARN: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeKeyValueStore: %v", err)
	}
	return d
}

// wantErr checks that err is the model's exception T.
func wantErr[T error](t *testing.T, what string, err error) {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Errorf("%s: got %v, want %T", what, err, target)
	}
}

func TestDataPlane_everyOperationWithTheGoSDK(t *testing.T) {
	s := apitest.NewServer(t)
	c, hosts := newClient(t, s)
	ctx := context.Background()
	arn := newStore(t, s, "routes")

	d := describe(t, c, arn)
	if *d.KvsARN != arn || *d.ItemCount != 0 || *d.TotalSizeInBytes != 0 || aws.ToString(d.ETag) == "" || aws.ToString(d.Status) != "READY" || d.Created == nil || time.Since(*d.Created) > time.Minute {
		t.Fatalf("describe %+v", d)
	}
	if !strings.HasPrefix(hosts.hosts[0], apitest.AccountID+".") {
		t.Errorf("the SDK sent to %q, not the <account-id>. host it should", hosts.hosts[0])
	}

	cpBefore, err := s.Control.DescribeKeyValueStore(ctx, "routes")
	if err != nil {
		t.Fatal(err)
	}
	put, err := c.PutKey(ctx, &kvs.PutKeyInput{KvsARN: aws.String(arn), Key: aws.String("/old"), Value: aws.String("/new"), IfMatch: d.ETag})
	if err != nil {
		t.Fatal(err)
	}
	if *put.ItemCount != 1 || *put.TotalSizeInBytes != 8 || *put.ETag == *d.ETag {
		t.Fatalf("put %+v", put)
	}
	// The control plane's ETag is its own: neither the one given out here
	// nor changed by the put.
	cp, err := s.Control.DescribeKeyValueStore(ctx, "routes")
	if err != nil || cp.ETag == *put.ETag || cp.ETag == *d.ETag || cp.ETag != cpBefore.ETag {
		t.Fatalf("control-plane ETag %q (before the put %q), data plane %q then %q (%v)", cp.ETag, cpBefore.ETag, *d.ETag, *put.ETag, err)
	}
	_, err = c.PutKey(ctx, &kvs.PutKeyInput{KvsARN: aws.String(arn), Key: aws.String("k"), Value: aws.String("v"), IfMatch: d.ETag})
	wantErr[*types.ConflictException](t, "PutKey with a stale ETag", err)

	got, err := c.GetKey(ctx, &kvs.GetKeyInput{KvsARN: aws.String(arn), Key: aws.String("/old")})
	if err != nil || *got.Value != "/new" || *got.Key != "/old" || *got.ItemCount != 1 || *got.TotalSizeInBytes != 8 {
		t.Fatalf("get %+v %v", got, err)
	}
	_, err = c.GetKey(ctx, &kvs.GetKeyInput{KvsARN: aws.String(arn), Key: aws.String("missing")})
	wantErr[*types.ResourceNotFoundException](t, "GetKey of a missing key", err)

	// UpdateKeys: puts (one replaces) and a delete, in one go.
	up, err := c.UpdateKeys(ctx, &kvs.UpdateKeysInput{KvsARN: aws.String(arn), IfMatch: put.ETag,
		Puts: []types.PutKeyRequestListItem{
			{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("22")},
			{Key: aws.String("c"), Value: aws.String("333")}, {Key: aws.String(".."), Value: aws.String("dots")}, // a dot segment is a key
			{Key: aws.String("sp ace/slash?q#h%"), Value: aws.String("é")},
		},
		Deletes: []types.DeleteKeyRequestListItem{{Key: aws.String("/old")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantSize := int64(len("a1b22c333..dots") + len("sp ace/slash?q#h%") + len("é"))
	if *up.ItemCount != 5 || *up.TotalSizeInBytes != wantSize {
		t.Fatalf("update %+v, want 5 items of %d bytes", up, wantSize)
	}
	for _, k := range []string{"..", "sp ace/slash?q#h%"} {
		if g, err := c.GetKey(ctx, &kvs.GetKeyInput{KvsARN: aws.String(arn), Key: aws.String(k)}); err != nil || *g.Key != k {
			t.Errorf("GetKey(%q): %+v %v", k, g, err)
		}
	}

	// ListKeys pages through everything in key order.
	var keys []string
	p := kvs.NewListKeysPaginator(c, &kvs.ListKeysInput{KvsARN: aws.String(arn), MaxResults: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, it := range page.Items {
			keys = append(keys, *it.Key+"="+*it.Value)
		}
	}
	if want := "..=dots a=1 b=22 c=333 sp ace/slash?q#h%=é"; strings.Join(keys, " ") != want || pages != 3 {
		t.Errorf("ListKeys in %d pages: %q, want %q in 3", pages, strings.Join(keys, " "), want)
	}

	del, err := c.DeleteKey(ctx, &kvs.DeleteKeyInput{KvsARN: aws.String(arn), Key: aws.String("a"), IfMatch: up.ETag})
	if err != nil || *del.ItemCount != 4 || *del.TotalSizeInBytes != wantSize-2 {
		t.Fatalf("delete %+v %v", del, err)
	}
	_, err = c.DeleteKey(ctx, &kvs.DeleteKeyInput{KvsARN: aws.String(arn), Key: aws.String("a"), IfMatch: del.ETag})
	wantErr[*types.ResourceNotFoundException](t, "DeleteKey of a missing key", err)
	_, err = c.DeleteKey(ctx, &kvs.DeleteKeyInput{KvsARN: aws.String(arn), Key: aws.String("b"), IfMatch: up.ETag})
	wantErr[*types.ConflictException](t, "DeleteKey with a stale ETag", err)

	d2 := describe(t, c, arn)
	if *d2.ItemCount != 4 || *d2.ETag != *del.ETag || d2.LastModified == nil {
		t.Errorf("describe after writes %+v", d2)
	}
}

func TestDataPlane_errors(t *testing.T) {
	s := apitest.NewServer(t)
	c, _ := newClient(t, s)
	ctx := context.Background()
	arn := newStore(t, s, "limits")
	etag := describe(t, c, arn).ETag
	unknown := "arn:aws:cloudfront::" + apitest.AccountID + ":key-value-store/00000000-0000-4000-8000-000000000000"
	otherAccount := "arn:aws:cloudfront::999999999999:key-value-store/" + arn[strings.LastIndex(arn, "/")+1:]

	put := func(key, value string) error {
		_, err := c.PutKey(ctx, &kvs.PutKeyInput{KvsARN: aws.String(arn), Key: aws.String(key), Value: aws.String(value), IfMatch: etag})
		return err
	}
	wantErr[*types.ServiceQuotaExceededException](t, "key of 513 bytes", put(strings.Repeat("k", 513), "v"))
	wantErr[*types.ServiceQuotaExceededException](t, "value of 1025 bytes", put("k", strings.Repeat("v", 1025)))
	if err := put(strings.Repeat("k", 512), strings.Repeat("v", 1024)); err != nil {
		t.Errorf("key of 512 and value of 1024 bytes: %v", err)
	}
	etag = describe(t, c, arn).ETag

	var batch []types.PutKeyRequestListItem
	for i := range 51 {
		batch = append(batch, types.PutKeyRequestListItem{Key: aws.String(strings.Repeat("x", i+1)), Value: aws.String("v")})
	}
	_, err := c.UpdateKeys(ctx, &kvs.UpdateKeysInput{KvsARN: aws.String(arn), IfMatch: etag, Puts: batch})
	wantErr[*types.ServiceQuotaExceededException](t, "batch of 51", err)
	// All or nothing: a batch with one bad member writes nothing.
	bad := append(batch[:49:49], types.PutKeyRequestListItem{Key: aws.String("big"), Value: aws.String(strings.Repeat("v", 1025))})
	_, err = c.UpdateKeys(ctx, &kvs.UpdateKeysInput{KvsARN: aws.String(arn), IfMatch: etag, Puts: bad})
	wantErr[*types.ServiceQuotaExceededException](t, "batch with an oversize value", err)
	_, err = c.UpdateKeys(ctx, &kvs.UpdateKeysInput{KvsARN: aws.String(arn), IfMatch: etag,
		Puts: batch[:2], Deletes: []types.DeleteKeyRequestListItem{{Key: batch[0].Key}}})
	wantErr[*types.ValidationException](t, "a key put and deleted in one batch", err)
	if d := describe(t, c, arn); *d.ItemCount != 1 || *d.ETag != *etag {
		t.Errorf("failed batches changed the store: %+v", d)
	}

	_, err = c.DescribeKeyValueStore(ctx, &kvs.DescribeKeyValueStoreInput{KvsARN: aws.String(unknown)})
	wantErr[*types.ResourceNotFoundException](t, "unknown store", err)
	_, err = c.GetKey(ctx, &kvs.GetKeyInput{KvsARN: aws.String(otherAccount), Key: aws.String("k")})
	wantErr[*types.ResourceNotFoundException](t, "another account's store", err)
	_, err = c.PutKey(ctx, &kvs.PutKeyInput{KvsARN: aws.String(unknown), Key: aws.String("k"), Value: aws.String("v"), IfMatch: etag})
	wantErr[*types.ResourceNotFoundException](t, "PutKey to an unknown store", err)
	_, err = c.ListKeys(ctx, &kvs.ListKeysInput{KvsARN: aws.String(arn), NextToken: aws.String("!!not-a-token")})
	wantErr[*types.ValidationException](t, "bad NextToken", err)
}

// signed builds a request to the server signed for service (the data
// plane's is cloudfront-keyvaluestore) with the test credentials.
func signed(t *testing.T, s *apitest.Server, method, rawPath, body, service string, header ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+rawPath, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "123456789012.kvs.example" // any Host is served
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: apitest.AccessKeyID, SecretAccessKey: apitest.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, apitest.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestDataPlane_rawRequests(t *testing.T) {
	s := apitest.NewServer(t)
	arn := newStore(t, s, "raw")
	etag := func() string {
		d, err := s.Control.DescribeKeyValueStoreData(context.Background(), arn)
		if err != nil {
			t.Fatal(err)
		}
		return d.ETag
	}
	base := "/key-value-stores/" + url.PathEscape(arn)
	for _, tc := range []struct {
		name, method, path, body, service string
		header                            []string
		status                            int
		code                              string
	}{
		{"malformed JSON", "PUT", base + "/keys/k", `{"Value": "v"`, "cloudfront-keyvaluestore", []string{"If-Match", etag()}, 400, "ValidationException"},
		{"Value of the wrong type", "PUT", base + "/keys/k", `{"Value": 5}`, "cloudfront-keyvaluestore", []string{"If-Match", etag()}, 400, "ValidationException"},
		{"no Value", "PUT", base + "/keys/k", `{}`, "cloudfront-keyvaluestore", []string{"If-Match", etag()}, 400, "ValidationException"},
		{"two JSON objects", "POST", base + "/keys", `{"Puts":[]} {}`, "cloudfront-keyvaluestore", []string{"If-Match", etag()}, 400, "ValidationException"},
		{"put without a key", "POST", base + "/keys", `{"Puts":[{"Value":"v"}]}`, "cloudfront-keyvaluestore", []string{"If-Match", etag()}, 400, "ValidationException"},
		{"null delete", "POST", base + "/keys", `{"Deletes":[null]}`, "cloudfront-keyvaluestore", []string{"If-Match", etag()}, 400, "ValidationException"},
		{"no If-Match", "PUT", base + "/keys/k", `{"Value":"v"}`, "cloudfront-keyvaluestore", nil, 400, "ValidationException"},
		{"stale If-Match", "PUT", base + "/keys/k", `{"Value":"v"}`, "cloudfront-keyvaluestore", []string{"If-Match", "ESTALE"}, 409, "ConflictException"},
		{"signed for cloudfront", "GET", base, "", "cloudfront", nil, 403, "InvalidSignatureException"},
		{"key not UTF-8", "GET", base + "/keys/%FF", "", "cloudfront-keyvaluestore", nil, 400, "ValidationException"},
		{"not an ARN", "GET", "/key-value-stores/routes", "", "cloudfront-keyvaluestore", nil, 400, "ValidationException"},
		{"too many segments", "GET", base + "/keys/a/b", "", "cloudfront-keyvaluestore", nil, 404, "UnknownOperationException"},
		{"MaxResults 51", "GET", base + "/keys?MaxResults=51", "", "cloudfront-keyvaluestore", nil, 400, "ValidationException"},
		{"MaxResults not a number", "GET", base + "/keys?MaxResults=x", "", "cloudfront-keyvaluestore", nil, 400, "ValidationException"},
		{"dot-dot key is a key, not the store", "GET", base + "/keys/..", "", "cloudfront-keyvaluestore", nil, 404, "ResourceNotFoundException"},
		{"unknown method", "PATCH", base + "/keys/k", "", "cloudfront-keyvaluestore", nil, 404, "UnknownOperationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.Do(t, signed(t, s, tc.method, tc.path, tc.body, tc.service, tc.header...))
			if resp.Status != tc.status || resp.Header.Get("X-Amzn-ErrorType") != tc.code || !strings.Contains(string(resp.Body), `"Message":`) {
				t.Errorf("%d %s %s, want %d %s", resp.Status, resp.Header.Get("X-Amzn-ErrorType"), resp.Body, tc.status, tc.code)
			}
		})
	}

	// Oversize bodies: past the handler's cap the batch is over its quota;
	// past the verifier's the body is not read at all.
	for _, tc := range []struct {
		size   int
		status int
		code   string
	}{{9 << 20, 402, "ServiceQuotaExceededException"}, {11 << 20, 413, "RequestEntityTooLarge"}} {
		body := `{"Puts":[{"Key":"k","Value":"` + strings.Repeat("v", tc.size) + `"}]}`
		resp := s.Do(t, signed(t, s, "POST", base+"/keys", body, "cloudfront-keyvaluestore", "If-Match", etag()))
		if resp.Status != tc.status || resp.Header.Get("X-Amzn-ErrorType") != tc.code {
			t.Errorf("body of %d bytes: %d %s %s", len(body), resp.Status, resp.Header.Get("X-Amzn-ErrorType"), resp.Body)
		}
	}

	// A request signed for the data plane does not reach CloudFront's API.
	resp := s.Do(t, signed(t, s, "GET", "/2020-05-31/key-value-store", "", "cloudfront-keyvaluestore"))
	if resp.Status != 403 || !strings.Contains(string(resp.Body), "SignatureDoesNotMatch") {
		t.Errorf("CloudFront path signed for the data plane: %d %s", resp.Status, resp.Body)
	}
	// An unsigned request is refused in the JSON form.
	req, _ := http.NewRequest("GET", s.URL+base, nil)
	resp = s.Do(t, req)
	if resp.Status != 403 || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned: %d %s %s", resp.Status, resp.Header.Get("X-Amzn-ErrorType"), resp.Body)
	}
}
