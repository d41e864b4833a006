package sigv4

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// crtSign is like botocoreSign, but with botocore's SigV4A signers
// (CrtSigV4AsymAuth, CrtSigV4AsymQueryAuth), which boto3 uses when awscrt
// is installed; they sign in aws-c-auth, AWS's C implementation. "region"
// is the region set.
var crtSign = signerScript(`import botocore.auth  # before botocore.crt.auth: they import each other
from botocore.crt.auth import CrtSigV4AsymAuth, CrtSigV4AsymQueryAuth`, "CrtSigV4AsymAuth", "CrtSigV4AsymQueryAuth")

// crtPythonEnv returns the environment under which python3 imports botocore
// and awscrt, or skips. Debian's python3-awscrt (scripts/test installs it)
// lives in /usr/lib/python3/dist-packages, which a python3 that is not
// Debian's (pyenv, venv) does not search by itself.
func crtPythonEnv(t *testing.T) []string {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	const probe = "import botocore.auth, botocore.crt.auth, awscrt.auth"
	for _, extra := range []string{"", "/usr/lib/python3/dist-packages"} {
		env := os.Environ()
		if extra != "" {
			path := extra
			if old := os.Getenv("PYTHONPATH"); old != "" {
				path = old + ":" + extra
			}
			env = append(env, "PYTHONPATH="+path)
		}
		cmd := exec.Command("python3", "-c", probe)
		cmd.Env = env
		if cmd.Run() == nil {
			return env
		}
	}
	t.Skip("botocore with awscrt not installed (Debian python3-awscrt)")
	return nil
}

// TestVerifier_Verify_sigv4aBotocoreCRT verifies SigV4A requests signed by
// botocore's CRT signers (aws-c-auth), in the header and presigned forms,
// and refuses one whose region set leaves out the endpoint's region.
func TestVerifier_Verify_sigv4aBotocoreCRT(t *testing.T) {
	env := crtPythonEnv(t)
	v := newTestVerifier(time.Time{})
	v.Now = time.Now // the signer uses the real clock
	base, do := newServer(t, v)

	specs := []botoRequest{
		{Method: "GET", URL: base + "/2020-05-31/distribution?Marker=a%20b&MaxItems=5", Region: "*"},
		{Method: "PUT", URL: base + "/2020-05-31/distribution/EDFDVBD6EXAMPLE/config",
			Headers: map[string]string{"If-Match": "E2QWRUHAPOMQZL", "Content-Type": "application/xml"},
			Body:    `<DistributionConfig><CallerReference>ü</CallerReference></DistributionConfig>`, Region: "us-east-1"},
		{Method: "GET", URL: base + "/2020-05-31/tagging?Resource=arn%3Aaws%3Acloudfront%3A%3A123456789012%3Adistribution%2FEDFDVBD6EXAMPLE", Region: "eu-west-1,us-east-1"},
		{Method: "POST", URL: base + "/", Service: "lightsail", Region: "*",
			Headers: map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Lightsail_20161128.GetDistributions"},
			Body:    `{}`},
		{Method: "GET", URL: base + "/2020-05-31/distribution?MaxItems=5", Presign: true, Region: "us-east-1"},
		{Method: "GET", URL: base + "/2020-05-31/distributionsByWebACLId/arn%3Aaws%3Awafv2%3Aus-east-1%3A123456789012%3Aglobal%2Fwebacl%2Fa", Presign: true, Region: "*"},
		// Refused: the region set does not cover us-east-1.
		{Method: "GET", URL: base + "/2020-05-31/distribution", Region: "eu-west-1"},
		{Method: "GET", URL: base + "/2020-05-31/distribution", Presign: true, Region: "eu-west-1"},
	}
	signed := signWithPython(t, "botocore CRT signer", crtSign, env, specs)

	for i, s := range signed {
		spec := specs[i]
		name := spec.Method + " " + strings.TrimPrefix(spec.URL, base) + " region set " + spec.Region
		if spec.Presign {
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
			if !strings.Contains(req.Header.Get("Authorization")+req.URL.RawQuery, algorithmECDSA) {
				t.Fatalf("not signed with SigV4A: %s %v", s.URL, s.Headers)
			}
			got := do(req)
			if spec.Region == "eu-west-1" {
				checkErr(t, got.err, CodeSignatureDoesNotMatch, http.StatusForbidden, "The region set 'eu-west-1' in X-Amz-Region-Set does not include")
				return
			}
			if got.err != nil {
				t.Fatalf("Verify: %v\n%s", got.err, detail(got.err))
			}
			if got.id.Service != spec.Service || got.id.Region != DefaultRegion || got.id.AccessKeyID != testAKID {
				t.Errorf("identity = %+v", got.id)
			}
			if got.body != s.Body {
				t.Errorf("handler read body %q, want %q", got.body, s.Body)
			}
		})
	}
}
