package signedurl

// Interoperability tests: URLs and cookies signed by other implementations
// must verify. Oracles: aws-sdk-go-v2/feature/cloudfront/sign (always),
// botocore's CloudFrontSigner with the cryptography module, the AWS CLI's
// `aws cloudfront sign` and `openssl dgst -sign` (skipped when missing).

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
)

func TestOracle_awsSDKGo(t *testing.T) {
	k1, _, ek := testKeys(t)
	keys := testKeySet(t)
	exp := testNow.Add(time.Hour)
	base := "https://" + testHost + "/videos/clip.mp4?quality=hd"

	canned, err := sign.NewURLSigner(keyID, k1).Sign(base, exp)
	if err != nil {
		t.Fatal(err)
	}
	ecCanned, err := sign.NewURLSigner(ecKeyID, ek).Sign(base, exp)
	if err != nil {
		t.Fatal(err)
	}
	pol := &sign.Policy{Statements: []sign.Statement{{
		Resource: "https://" + testHost + "/videos/*",
		Condition: sign.Condition{
			IPAddress:       &sign.IPAddress{SourceIP: "192.0.2.0/24"},
			DateGreaterThan: sign.NewAWSEpochTime(testNow.Add(-time.Minute)),
			DateLessThan:    sign.NewAWSEpochTime(exp),
		},
	}}}
	custom, err := sign.NewURLSigner(keyID, k1).SignWithPolicy(base, pol)
	if err != nil {
		t.Fatal(err)
	}
	ecCustom, err := sign.NewURLSigner(ecKeyID, ek).SignWithPolicy(base, pol)
	if err != nil {
		t.Fatal(err)
	}
	for name, u := range map[string]string{"canned": canned, "ecdsa canned": ecCanned, "custom": custom, "ecdsa custom": ecCustom} {
		req := requestFor(t, u, "192.0.2.10")
		if err := Verify(req, keys, testNow); err != nil {
			t.Errorf("%s: Verify(%s) = %v", name, u, err)
		}
		if err := Verify(req, keys, exp); err != ErrExpired {
			t.Errorf("%s: at expiry = %v, want ErrExpired", name, err)
		}
	}
	if err := Verify(requestFor(t, custom, "198.51.100.1"), keys, testNow); err != ErrIPMismatch {
		t.Errorf("custom from other IP = %v, want ErrIPMismatch", err)
	}

	// Signed cookies (the SDK always sends the policy, canned or not).
	cookies, err := sign.NewCookieSigner(keyID, k1).Sign("https://"+testHost+"/videos/clip.mp4", exp)
	if err != nil {
		t.Fatal(err)
	}
	cpol := *pol
	cpol.Statements = []sign.Statement{pol.Statements[0]}
	cpol.Statements[0].Condition.IPAddress = nil
	wild, err := sign.NewCookieSigner(keyID, k1).SignWithPolicy(&cpol)
	if err != nil {
		t.Fatal(err)
	}
	for name, cs := range map[string][]*http.Cookie{"cookie": cookies, "cookie policy": wild} {
		var parts []string
		for _, c := range cs {
			parts = append(parts, c.Name+"="+c.Value)
		}
		req := requestFor(t, "https://"+testHost+"/videos/clip.mp4", "")
		req.Cookies = []string{strings.Join(parts, "; ")}
		if err := Verify(req, keys, testNow); err != nil {
			t.Errorf("%s: Verify = %v (cookies %v)", name, err, req.Cookies)
		}
	}
}

// oracleKeys writes an RSA (PKCS #1) and an ECDSA P-256 key with openssl.
func oracleKeys(t *testing.T) (dir string, keys KeySet) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	dir = t.TempDir()
	run(t, "openssl", "genrsa", "-traditional", "-out", filepath.Join(dir, "rsa.pem"), "2048")
	run(t, "openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", filepath.Join(dir, "ec.pem"))
	keys = KeySet{}
	b, _ := pem.Decode(readFile(t, filepath.Join(dir, "rsa.pem")))
	rk, err := x509.ParsePKCS1PrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	keys["KRSAOPENSSL"] = &rk.PublicKey
	b, _ = pem.Decode(readFile(t, filepath.Join(dir, "ec.pem")))
	ek, err := x509.ParseECPrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	keys["KECOPENSSL"] = &ek.PublicKey
	return dir, keys
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1", "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr)
	}
	return string(out)
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// botocoreScript prints a JSON list of [name, url, clientIP, wantOK]
// signed by botocore's CloudFrontSigner with a cryptography signer.
const botocoreScript = `
import json, sys, datetime
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, ec

d = sys.argv[1]
host = sys.argv[2]
exp = datetime.datetime.fromtimestamp(int(sys.argv[3]), datetime.timezone.utc)
start = datetime.datetime.fromtimestamp(int(sys.argv[4]), datetime.timezone.utc)

def load(name):
    with open(d + "/" + name, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)

rsa_key, ec_key = load("rsa.pem"), load("ec.pem")

def signer(key, h):
    def f(msg):
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(msg, ec.ECDSA(h))
        return key.sign(msg, padding.PKCS1v15(), h)
    return f

out = []
url = "https://" + host + "/images/image.jpg?size=large&color=red"
for kid, key in (("KRSAOPENSSL", rsa_key), ("KECOPENSSL", ec_key)):
    for hname, h in (("SHA1", hashes.SHA1()), ("SHA256", hashes.SHA256())):
        s = CloudFrontSigner(kid, signer(key, h))
        suffix = "" if hname == "SHA1" else "&Hash-Algorithm=SHA256"
        out.append(["canned %s %s" % (kid, hname), s.generate_presigned_url(url, date_less_than=exp) + suffix, "", True])
        pol = s.build_policy("https://" + host + "/images/*", exp, date_greater_than=start, ip_address="192.0.2.0/24")
        out.append(["custom %s %s" % (kid, hname), s.generate_presigned_url(url, policy=pol) + suffix, "192.0.2.9", True])
        out.append(["custom wrong ip %s %s" % (kid, hname), s.generate_presigned_url(url, policy=pol) + suffix, "203.0.113.9", False])
        pol = s.build_policy(url, exp)
        out.append(["custom exact %s %s" % (kid, hname), s.generate_presigned_url(url, policy=pol) + suffix, "", True])
print(json.dumps(out))
`

func TestOracle_botocore(t *testing.T) {
	if err := exec.Command("python3", "-c", "import botocore.signers, cryptography").Run(); err != nil {
		t.Skip("python3 with botocore and cryptography not available")
	}
	dir, keys := oracleKeys(t)
	out := run(t, "python3", "-c", botocoreScript, dir, testHost, fmt.Sprint(expires), fmt.Sprint(testNow.Unix()-60))
	var vectors [][]any
	if err := json.Unmarshal([]byte(out), &vectors); err != nil {
		t.Fatalf("bad script output %q: %v", out, err)
	}
	if len(vectors) != 16 {
		t.Fatalf("got %d vectors", len(vectors))
	}
	for _, v := range vectors {
		name, u, ip, ok := v[0].(string), v[1].(string), v[2].(string), v[3].(bool)
		err := Verify(requestFor(t, u, ip), keys, testNow)
		if (err == nil) != ok {
			t.Errorf("%s: Verify(%s) = %v, want ok=%v", name, u, err, ok)
		}
	}
}

func TestOracle_awsCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed")
	}
	dir, keys := oracleKeys(t)
	key := "file://" + filepath.Join(dir, "rsa.pem")
	url := "https://" + testHost + "/docs/report.pdf?version=3"
	canned := run(t, "aws", "cloudfront", "sign", "--url", url, "--key-pair-id", "KRSAOPENSSL", "--private-key", key, "--date-less-than", fmt.Sprint(expires))
	custom := run(t, "aws", "cloudfront", "sign", "--url", url, "--key-pair-id", "KRSAOPENSSL", "--private-key", key,
		"--date-less-than", fmt.Sprint(expires), "--date-greater-than", fmt.Sprint(testNow.Unix()), "--ip-address", "192.0.2.5")
	if !strings.Contains(canned, "Expires=") || !strings.Contains(custom, "Policy=") {
		t.Fatalf("unexpected CLI output:\n%s\n%s", canned, custom)
	}
	for _, tc := range []struct {
		name, url, ip string
		now           time.Time
		want          error
	}{
		{"canned", canned, "", testNow, nil},
		{"canned expired", canned, "", time.Unix(expires, 0), ErrExpired},
		{"custom", custom, "192.0.2.5", testNow, nil},
		{"custom other ip", custom, "192.0.2.6", testNow, ErrIPMismatch},
		{"custom early", custom, "192.0.2.5", testNow.Add(-time.Second), ErrNotYetValid},
	} {
		if err := Verify(requestFor(t, strings.TrimSpace(tc.url), tc.ip), keys, tc.now); err != tc.want {
			t.Errorf("%s: Verify(%s) = %v, want %v", tc.name, tc.url, err, tc.want)
		}
	}
}

// TestOracle_openssl follows the Developer Guide's Linux recipe:
// openssl sha1 -sign key | openssl base64 -A | tr '+=/' '-_~'.
func TestOracle_openssl(t *testing.T) {
	dir, keys := oracleKeys(t)
	url := "http://" + testHost + ":8080/a/b%20c.txt"
	policyFile := filepath.Join(dir, "policy")
	if err := os.WriteFile(policyFile, CannedPolicy(url, expires), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{"sha1", "sha256"} {
		sigFile := filepath.Join(dir, "sig")
		run(t, "openssl", "dgst", "-"+alg, "-sign", filepath.Join(dir, "rsa.pem"), "-out", sigFile, policyFile)
		sig := cfBase64(readFile(t, sigFile))
		u := fmt.Sprintf("%s?Expires=%d&Signature=%s&Key-Pair-Id=KRSAOPENSSL", url, expires, sig)
		if alg == "sha256" {
			u += "&Hash-Algorithm=SHA256"
		}
		if err := Verify(requestFor(t, u, ""), keys, testNow); err != nil {
			t.Errorf("%s: Verify(%s) = %v", alg, u, err)
		}
	}
}
