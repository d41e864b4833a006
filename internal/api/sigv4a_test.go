package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	kvs "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"
	kvstypes "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore/types"

	"openfront/internal/apitest"
)

// recordingTransport keeps the last response's status and body.
type recordingTransport struct {
	base   http.RoundTripper
	status int
	body   string
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := rt.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	rt.status, rt.body = resp.StatusCode, string(b)
	return resp, nil
}

// TestServer_sigv4aFromKVSClient: the API's one call to Verifier.Verify
// takes SigV4A too, so requests of the real cloudfrontkeyvaluestore client
// (which always signs with SigV4A) reach the KeyValueStore data plane, and
// a failure is rendered in that service's JSON error form.
func TestServer_sigv4aFromKVSClient(t *testing.T) {
	srv := apitest.NewServer(t)
	const arn = "arn:aws:cloudfront::123456789012:key-value-store/9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"

	describe := func(secret string) (*recordingTransport, error) {
		addr := srv.HTTP.Listener.Addr().String()
		rt := &recordingTransport{base: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer // the client puts the ARN's account ID before the endpoint's host
			return d.DialContext(ctx, network, addr)
		}}}
		client := kvs.New(kvs.Options{
			Region:           "us-east-1",
			BaseEndpoint:     aws.String(srv.URL),
			Credentials:      credentials.NewStaticCredentialsProvider(apitest.AccessKeyID, secret, ""),
			HTTPClient:       &http.Client{Transport: rt},
			RetryMaxAttempts: 1,
		})
		_, err := client.DescribeKeyValueStore(context.Background(), &kvs.DescribeKeyValueStoreInput{KvsARN: aws.String(arn)})
		return rt, err
	}

	// The right secret gets past authentication to the data plane, which
	// knows no such store.
	rt, err := describe(apitest.SecretAccessKey)
	var notFound *kvstypes.ResourceNotFoundException
	if rt.status != http.StatusNotFound || !errors.As(err, &notFound) {
		t.Fatalf("SigV4A with the right secret: HTTP %d, %v: %s", rt.status, err, rt.body)
	}
	rt, err = describe(apitest.SecretAccessKey + "x")
	if rt.status != http.StatusForbidden || err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") ||
		!strings.HasPrefix(strings.TrimSpace(rt.body), "{") {
		t.Errorf("SigV4A with a wrong secret: HTTP %d, %v: %s", rt.status, err, rt.body)
	}
}

// boto3SigV4A runs the CloudFront API through boto3 forced to SigV4A
// (signature_version "v4a", signed by awscrt) and prints what happened.
const boto3SigV4A = `
import json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

url, akid, secret = sys.argv[1:4]

def client(secret=secret, region_set=None):
    cfg = Config(signature_version="v4a", retries={"max_attempts": 1}, sigv4a_signing_region_set=region_set)
    return boto3.client("cloudfront", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=akid, aws_secret_access_key=secret, config=cfg)

def outcome(fn):
    auth = []
    try:
        r = fn(auth)
        return {"ok": r, "auth": auth[-1] if auth else ""}
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                "auth": auth[-1] if auth else ""}

def call(c, op, auth, **kw):
    c.meta.events.register("before-send", lambda request, **_: auth.append(request.headers.get("Authorization", b"").decode()))
    return getattr(c, op)(**kw)

config = {
    "CallerReference": "sigv4a", "Comment": "", "Enabled": True,
    "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "example.com",
        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
    "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
        "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}, "MinTTL": 0},
}
print(json.dumps({
    "create": outcome(lambda a: call(client(), "create_distribution", a, DistributionConfig=config)["Distribution"]["Id"]),
    "list": outcome(lambda a: call(client(region_set="*"), "list_distributions", a)["DistributionList"]["Quantity"]),
    "wrong_secret": outcome(lambda a: call(client(secret=secret + "x"), "list_distributions", a)),
    "other_region": outcome(lambda a: call(client(region_set="eu-west-1"), "list_distributions", a)),
}))
`

// TestServer_sigv4aBoto3 drives the real API server with boto3 signing
// SigV4A (botocore's CRT signer). It skips when awscrt is not installed
// (Debian python3-awscrt; scripts/test installs it).
func TestServer_sigv4aBoto3(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	var env []string
	for _, extra := range []string{"", "/usr/lib/python3/dist-packages"} {
		e := os.Environ()
		if extra != "" {
			e = append(e, "PYTHONPATH="+strings.Trim(os.Getenv("PYTHONPATH")+":"+extra, ":"))
		}
		probe := exec.Command("python3", "-c", "import boto3, botocore.auth, awscrt.auth")
		probe.Env = e
		if probe.Run() == nil {
			env = e
			break
		}
	}
	if env == nil {
		t.Skip("boto3 with awscrt not installed (Debian python3-awscrt)")
	}

	s := apitest.NewServer(t)
	cmd := exec.Command("python3", "-c", boto3SigV4A, s.URL, apitest.AccessKeyID, apitest.SecretAccessKey)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, stderr.String())
	}
	type result struct {
		OK     any    `json:"ok"`
		Code   string `json:"code"`
		Status int    `json:"status"`
		Auth   string `json:"auth"`
	}
	var got map[string]result
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for name, r := range got {
		if !strings.HasPrefix(r.Auth, "AWS4-ECDSA-P256-SHA256 ") {
			t.Errorf("%s: boto3 did not sign with SigV4A: %q", name, r.Auth)
		}
	}
	if id, _ := got["create"].OK.(string); id == "" {
		t.Errorf("CreateDistribution: %+v", got["create"])
	}
	if n, _ := got["list"].OK.(float64); n != 1 {
		t.Errorf("ListDistributions: %+v", got["list"])
	}
	for _, name := range []string{"wrong_secret", "other_region"} {
		if r := got[name]; r.Code != "SignatureDoesNotMatch" || r.Status != http.StatusForbidden {
			t.Errorf("%s: %+v, want SignatureDoesNotMatch 403", name, r)
		}
	}
}
