package sigv4

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// signerScript is a program run by python3: it reads a list of requests
// as JSON on stdin, signs each with botocore's headerAuth signer (in the
// Authorization header) or, for a presigned URL, its queryAuth signer, and
// prints them, signed, as JSON. imports bring the two classes into scope.
func signerScript(imports, headerAuth, queryAuth string) string {
	return `
import json, sys
` + imports + `
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

creds = Credentials(sys.argv[1], sys.argv[2])
out = []
for spec in json.load(sys.stdin):
    req = AWSRequest(method=spec["method"], url=spec["url"], data=spec["body"].encode(), headers=spec["headers"])
    if spec["presign"]:
        ` + queryAuth + `(creds, spec["service"], spec["region"], expires=300).add_auth(req)
    else:
        ` + headerAuth + `(creds, spec["service"], spec["region"]).add_auth(req)
    p = req.prepare()
    out.append({"method": p.method, "url": p.url, "headers": dict(p.headers), "body": spec["body"]})
json.dump(out, sys.stdout)
`
}

// botocoreSign signs with botocore's SigV4 signers (SigV4Auth, SigV4QueryAuth).
var botocoreSign = signerScript("from botocore.auth import SigV4Auth, SigV4QueryAuth", "SigV4Auth", "SigV4QueryAuth")

type botoRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Presign bool              `json:"presign"`
	Service string            `json:"service"`
	Region  string            `json:"region"`
}

// signWithPython fills in the specs' defaults (service cloudfront, region
// us-east-1, no headers), has python3 run script (botocoreSign, crtSign)
// on them with the test credentials, in env (nil: this process's), and
// returns the requests as signed, one per spec.
func signWithPython(t *testing.T, signer, script string, env []string, specs []botoRequest) []botoRequest {
	t.Helper()
	for i := range specs {
		if specs[i].Service == "" {
			specs[i].Service = "cloudfront"
		}
		if specs[i].Region == "" {
			specs[i].Region = "us-east-1"
		}
		if specs[i].Headers == nil {
			specs[i].Headers = map[string]string{}
		}
	}
	in, err := json.Marshal(specs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", "-c", script, testAKID, testSecret)
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outJSON, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", signer, err, stderr.String())
	}
	var signed []botoRequest
	if err := json.Unmarshal(outJSON, &signed); err != nil {
		t.Fatal(err)
	}
	if len(signed) != len(specs) {
		t.Fatalf("%s signed %d requests, want %d", signer, len(signed), len(specs))
	}
	return signed
}

// TestVerifier_Verify_botocore verifies requests signed by the real botocore,
// the signer behind the AWS CLI and boto3. It skips when python3 or botocore
// is not installed.
func TestVerifier_Verify_botocore(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	if err := exec.Command("python3", "-c", "import botocore.auth").Run(); err != nil {
		t.Skip("botocore not installed")
	}

	v := newTestVerifier(time.Time{})
	v.Now = time.Now // botocore signs with the real clock
	base, do := newServer(t, v)

	specs := []botoRequest{
		{Method: "GET", URL: base + "/2020-05-31/distribution?Marker=a%20b&MaxItems=5"},
		{Method: "POST", URL: base + "/2020-05-31/distribution",
			Headers: map[string]string{"Content-Type": "application/xml"},
			Body:    `<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><CallerReference>ü</CallerReference></DistributionConfig>`},
		{Method: "PUT", URL: base + "/2020-05-31/distribution/EDFDVBD6EXAMPLE/config",
			Headers: map[string]string{"If-Match": "E2QWRUHAPOMQZL", "Content-Type": "application/xml"},
			Body:    "<DistributionConfig/>", Region: "cn-north-1"},
		{Method: "GET", URL: base + "/2020-05-31/distributionsByWebACLId/arn%3Aaws%3Awafv2%3Aus-east-1%3A123456789012%3Aglobal%2Fwebacl%2Fmy-acl%2F473e64fd"},
		{Method: "GET", URL: base + "/2020-05-31/tagging?Resource=arn%3Aaws%3Acloudfront%3A%3A123456789012%3Adistribution%2FEDFDVBD6EXAMPLE"},
		{Method: "POST", URL: base + "/", Service: "lightsail", Region: "eu-west-3",
			Headers: map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Lightsail_20161128.GetDistributions"},
			Body:    `{}`},
		{Method: "GET", URL: base + "/2020-05-31/distribution?MaxItems=5", Presign: true},
		{Method: "GET", URL: base + "/2020-05-31/tagging?Resource=arn%3Aaws%3Acloudfront%3A%3A123456789012%3Adistribution%2FE1", Presign: true, Region: "eu-west-3"},
	}
	signed := signWithPython(t, "botocore", botocoreSign, nil, specs)

	for i, s := range signed {
		name := specs[i].Method + " " + strings.TrimPrefix(specs[i].URL, base)
		if specs[i].Presign {
			name += " presigned"
		}
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequest(s.Method, s.URL, strings.NewReader(s.Body))
			if err != nil {
				t.Fatal(err)
			}
			for k, val := range s.Headers {
				req.Header.Set(k, val)
			}
			got := do(req)
			if got.err != nil {
				t.Fatalf("Verify: %v\n%s", got.err, detail(got.err))
			}
			if got.id.Service != specs[i].Service || got.id.Region != specs[i].Region || got.id.AccessKeyID != testAKID {
				t.Errorf("identity = %+v", got.id)
			}
			if got.body != s.Body {
				t.Errorf("handler read body %q, want %q", got.body, s.Body)
			}
		})
	}
}
