package signedurl

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const (
	testHost = "d111111abcdef8.cloudfront.net"
	keyID    = "K2JCJMDEHXQW5F"
	keyID2   = "APKAOTHERKEY"
	ecKeyID  = "KECDSAP256"
)

var (
	testNow = time.Unix(1700000000, 0)
	expires = testNow.Add(time.Hour).Unix()
)

func testKeySet(t testing.TB) KeySet {
	k1, k2, ek := testKeys(t)
	return KeySet{keyID: &k1.PublicKey, keyID2: &k2.PublicKey, ecKeyID: &ek.PublicKey}
}

func TestVerify_table(t *testing.T) {
	k1, k2, ek := testKeys(t)
	keys := testKeySet(t)
	base := "https://" + testHost + "/images/image.jpg"
	custom := func(resource string, extra string) string {
		r := ""
		if resource != "-" {
			r = `"Resource":"` + resource + `",`
		}
		return `{"Statement":[{` + r + `"Condition":{"DateLessThan":{"AWS:EpochTime":` + fmt.Sprint(expires) + `}` + extra + `}}]}`
	}
	canned := cannedURL(t, k1, keyID, base, expires)
	tests := []struct {
		name string
		url  string
		ip   string
		now  time.Time
		want error
	}{
		{"canned ok", canned, "192.0.2.1", testNow, nil},
		{"canned with own query ok", cannedURL(t, k1, keyID, base+"?size=large&color=red", expires), "", testNow, nil},
		{"canned expired at DateLessThan", canned, "", time.Unix(expires, 0), ErrExpired},
		{"canned one second before expiry", canned, "", time.Unix(expires-1, 0), nil},
		{"canned other path", strings.Replace(canned, "image.jpg", "image2.jpg", 1), "", testNow, ErrBadSignature},
		{"canned other host", strings.Replace(canned, testHost, "www.example.com", 1), "", testNow, ErrBadSignature},
		{"canned other scheme", strings.Replace(canned, "https://", "http://", 1), "", testNow, ErrBadSignature},
		{"canned tampered expires", strings.Replace(canned, fmt.Sprint(expires), fmt.Sprint(expires+10), 1), "", testNow, ErrBadSignature},
		{"canned query added before", strings.Replace(canned, "?", "?a=1&", 1), "", testNow, ErrBadSignature},
		{"canned query added after", canned + "&a=1", "", testNow, ErrMalformedRequest},
		{"canned trailing ampersand", canned + "&", "", testNow, nil},
		{"canned wrong key id", strings.Replace(canned, keyID, keyID2, 1), "", testNow, ErrBadSignature},
		{"canned unknown key", strings.Replace(canned, keyID, "APKAUNKNOWN", 1), "", testNow, ErrUnknownKey},
		{"canned other key signs", cannedURL(t, k2, keyID2, base, expires), "", testNow, nil},
		{"canned ecdsa", cannedURL(t, ek, ecKeyID, base, expires), "", testNow, nil},
		{"canned expires too big", cannedURL(t, k1, keyID, base, MaxExpires+1), "", testNow, ErrMalformedRequest},
		{"canned expires not numeric", strings.Replace(canned, fmt.Sprint(expires), "soon", 1), "", testNow, ErrMalformedRequest},
		{"canned expires missing", strings.Replace(canned, "Expires="+fmt.Sprint(expires)+"&", "", 1), "", testNow, ErrMalformedRequest},
		{"no signing params", base, "", testNow, ErrMissingKey},
		{"key pair id missing", strings.Replace(canned, "&Key-Pair-Id="+keyID, "", 1), "", testNow, ErrMissingKey},
		{"key pair id empty", strings.Replace(canned, "&Key-Pair-Id="+keyID, "&Key-Pair-Id=", 1), "", testNow, ErrMissingKey},
		{"signature missing", cutParam(canned, "Signature"), "", testNow, ErrBadSignature},
		{"signature garbage", replaceParam(canned, "Signature", "!!!"), "", testNow, ErrBadSignature},
		{"signature repeated", canned + "&Signature=abc", "", testNow, ErrMalformedRequest},
		{"custom ok", customURL(t, k1, keyID, crypto.SHA1, base, custom(base, "")), "", testNow, nil},
		{"custom sha256", customURL(t, k1, keyID, crypto.SHA256, base, custom(base, "")), "", testNow, nil},
		{"custom sha256 ecdsa", customURL(t, ek, ecKeyID, crypto.SHA256, base, custom(base, "")), "", testNow, nil},
		{"custom signed sha1 claimed sha256", customURL(t, k1, keyID, crypto.SHA1, base, custom(base, "")) + "&Hash-Algorithm=SHA256", "", testNow, ErrBadSignature},
		{"custom bad hash algorithm", customURL(t, k1, keyID, crypto.SHA1, base, custom(base, "")) + "&Hash-Algorithm=MD5", "", testNow, ErrMalformedRequest},
		{"custom wildcard path", customURL(t, k1, keyID, crypto.SHA1, base, custom("https://"+testHost+"/images/*", "")), "", testNow, nil},
		{"custom wildcard other dir", customURL(t, k1, keyID, crypto.SHA1, base, custom("https://"+testHost+"/videos/*", "")), "", testNow, ErrResourceMismatch},
		{"custom star resource", customURL(t, k1, keyID, crypto.SHA1, base, custom("*", "")), "", testNow, nil},
		{"custom no resource", customURL(t, k1, keyID, crypto.SHA1, base, custom("-", "")), "", testNow, nil},
		{"custom ip ok", customURL(t, k1, keyID, crypto.SHA1, base, custom(base, `,"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"}`)), "192.0.2.77", testNow, nil},
		{"custom ip outside", customURL(t, k1, keyID, crypto.SHA1, base, custom(base, `,"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"}`)), "198.51.100.1", testNow, ErrIPMismatch},
		{"custom ip v6 viewer vs v4 cidr", customURL(t, k1, keyID, crypto.SHA1, base, custom(base, `,"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"}`)), "2001:db8::1", testNow, ErrIPMismatch},
		{"custom ip v4-mapped viewer", customURL(t, k1, keyID, crypto.SHA1, base, custom(base, `,"IpAddress":{"AWS:SourceIp":"192.0.2.7"}`)), "::ffff:192.0.2.7", testNow, nil},
		{"custom ip v6 cidr", customURL(t, k1, keyID, crypto.SHA1, base, custom(base, `,"IpAddress":{"AWS:SourceIp":"2001:db8::/32"}`)), "2001:db8::1", testNow, nil},
		{"custom ip no client ip", customURL(t, k1, keyID, crypto.SHA1, base, custom(base, `,"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"}`)), "", testNow, ErrIPMismatch},
		{"custom not yet valid", customURL(t, k1, keyID, crypto.SHA1, base, custom(base, `,"DateGreaterThan":{"AWS:EpochTime":`+fmt.Sprint(testNow.Unix()+1)+`}`)), "", testNow, ErrNotYetValid},
		{"custom valid from now", customURL(t, k1, keyID, crypto.SHA1, base, custom(base, `,"DateGreaterThan":{"AWS:EpochTime":`+fmt.Sprint(testNow.Unix())+`}`)), "", testNow, nil},
		{"custom expired", customURL(t, k1, keyID, crypto.SHA1, base, custom(base, "")), "", time.Unix(expires+1, 0), ErrExpired},
		{"custom malformed json", customURL(t, k1, keyID, crypto.SHA1, base, `{"Statement":`), "", testNow, ErrMalformedPolicy},
		{"custom missing DateLessThan", customURL(t, k1, keyID, crypto.SHA1, base, `{"Statement":[{"Resource":"*","Condition":{}}]}`), "", testNow, ErrMalformedPolicy},
		{"custom policy not base64", replaceParam(customURL(t, k1, keyID, crypto.SHA1, base, custom(base, "")), "Policy", "%%%"), "", testNow, ErrMalformedPolicy},
		{"custom tampered policy", replaceParam(customURL(t, k1, keyID, crypto.SHA1, base, custom(base, "")), "Policy", cfBase64([]byte(custom("*", "")))), "", testNow, ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := requestFor(t, tt.url, tt.ip)
			if err := Verify(req, keys, tt.now); err != tt.want {
				t.Errorf("Verify(%s) = %v, want %v", tt.url, err, tt.want)
			}
			v := NewVerifier(16)
			for i := 0; i < 2; i++ { // second round: from the cache when verified
				if err := v.Verify(req, keys, tt.now); err != tt.want {
					t.Errorf("Verifier.Verify round %d = %v, want %v", i, err, tt.want)
				}
			}
		})
	}
}

func cutParam(u, name string) string {
	base, q, _ := strings.Cut(u, "?")
	var out []string
	for _, kv := range strings.Split(q, "&") {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return base + "?" + strings.Join(out, "&")
}

func replaceParam(u, name, value string) string {
	base, q, _ := strings.Cut(u, "?")
	parts := strings.Split(q, "&")
	for i, kv := range parts {
		if strings.HasPrefix(kv, name+"=") {
			parts[i] = name + "=" + value
		}
	}
	return base + "?" + strings.Join(parts, "&")
}

func TestVerify_cookies(t *testing.T) {
	k1, _, _ := testKeys(t)
	keys := testKeySet(t)
	base := "https://" + testHost + "/private/movie.mp4"
	cannedSig := signPolicy(t, k1, crypto.SHA1, CannedPolicy(base, expires))
	policy := `{"Statement":[{"Resource":"https://` + testHost + `/private/*","Condition":{"DateLessThan":{"AWS:EpochTime":` + fmt.Sprint(expires) + `}}}]}`
	customSig := signPolicy(t, k1, crypto.SHA1, []byte(policy))
	tests := []struct {
		name    string
		url     string
		cookies []string
		want    error
	}{
		{"canned", base, []string{"CloudFront-Expires=" + fmt.Sprint(expires) + "; CloudFront-Signature=" + cannedSig + "; CloudFront-Key-Pair-Id=" + keyID}, nil},
		{"canned split headers", base, []string{"a=b; CloudFront-Expires=" + fmt.Sprint(expires), "CloudFront-Signature=" + cannedSig, "CloudFront-Key-Pair-Id=" + keyID + "; z=1"}, nil},
		{"canned quoted values", base, []string{`CloudFront-Expires="` + fmt.Sprint(expires) + `"; CloudFront-Signature="` + cannedSig + `"; CloudFront-Key-Pair-Id=` + keyID}, nil},
		{"canned other url", base + "?x=1", []string{"CloudFront-Expires=" + fmt.Sprint(expires) + "; CloudFront-Signature=" + cannedSig + "; CloudFront-Key-Pair-Id=" + keyID}, ErrBadSignature},
		{"custom wildcard", base + "?x=1", []string{"CloudFront-Policy=" + cfBase64([]byte(policy)) + "; CloudFront-Signature=" + customSig + "; CloudFront-Key-Pair-Id=" + keyID}, nil},
		{"custom outside", "https://" + testHost + "/public/a", []string{"CloudFront-Policy=" + cfBase64([]byte(policy)) + "; CloudFront-Signature=" + customSig + "; CloudFront-Key-Pair-Id=" + keyID}, ErrResourceMismatch},
		{"no key pair id cookie", base, []string{"CloudFront-Expires=" + fmt.Sprint(expires) + "; CloudFront-Signature=" + cannedSig}, ErrMissingKey},
		{"unrelated cookies only", base, []string{"session=abc; theme=dark"}, ErrMissingKey},
		{"duplicate cookie", base, []string{"CloudFront-Expires=1; CloudFront-Expires=2; CloudFront-Signature=" + cannedSig + "; CloudFront-Key-Pair-Id=" + keyID}, ErrMalformedRequest},
		// A signed URL takes precedence: its bad signature is not rescued
		// by valid cookies.
		{"url wins over cookies", base + "?Expires=1&Signature=AAAA&Key-Pair-Id=" + keyID, []string{"CloudFront-Expires=" + fmt.Sprint(expires) + "; CloudFront-Signature=" + cannedSig + "; CloudFront-Key-Pair-Id=" + keyID}, ErrExpired},
		// Hash-Algorithm alone in the query does not select URL mode.
		{"cookie sha256", base, []string{"CloudFront-Expires=" + fmt.Sprint(expires) + "; CloudFront-Signature=" + signPolicy(t, k1, crypto.SHA256, CannedPolicy(base, expires)) + "; CloudFront-Key-Pair-Id=" + keyID + "; CloudFront-Hash-Algorithm=SHA256"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := requestFor(t, tt.url, "")
			req.Cookies = tt.cookies
			if err := Verify(req, keys, testNow); err != tt.want {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerify_hostWithPort(t *testing.T) {
	k1, _, _ := testKeys(t)
	u := cannedURL(t, k1, keyID, "http://localhost:8080/a/b.txt?v=2", expires)
	if err := Verify(requestFor(t, u, ""), testKeySet(t), testNow); err != nil {
		t.Fatalf("Verify = %v", err)
	}
	req := requestFor(t, u, "")
	req.Host = "localhost"
	if err := Verify(req, testKeySet(t), testNow); err != ErrBadSignature {
		t.Fatalf("Verify without port = %v, want ErrBadSignature", err)
	}
}

func TestVerifier_keyRemoved(t *testing.T) {
	k1, _, _ := testKeys(t)
	u := cannedURL(t, k1, keyID, "https://"+testHost+"/a", expires)
	req := requestFor(t, u, "")
	v := NewVerifier(0)
	if err := v.Verify(req, testKeySet(t), testNow); err != nil {
		t.Fatal(err)
	}
	if v.cache.len() != 1 {
		t.Fatalf("cache len = %d, want 1", v.cache.len())
	}
	// The key id now names another key: the cached result must not apply.
	_, k2, _ := testKeys(t)
	if err := v.Verify(req, KeySet{keyID: &k2.PublicKey}, testNow); err != ErrBadSignature {
		t.Fatalf("after key change = %v, want ErrBadSignature", err)
	}
	if err := v.Verify(req, KeySet{}, testNow); err != ErrUnknownKey {
		t.Fatalf("after key removal = %v, want ErrUnknownKey", err)
	}
	// An equal key in a new value (a new snapshot) still hits.
	pub := k1.PublicKey
	if err := v.Verify(req, KeySet{keyID: &pub}, testNow); err != nil {
		t.Fatalf("equal key copy = %v", err)
	}
	// Cached, yet expiry is still checked.
	if err := v.Verify(req, testKeySet(t), time.Unix(expires, 0)); err != ErrExpired {
		t.Fatalf("cached after expiry = %v, want ErrExpired", err)
	}
}

func TestLRU_eviction(t *testing.T) {
	c := newLRU(lruShards) // one entry per shard
	p1, p2 := &Policy{}, &Policy{}
	// Two keys whose shard bytes (16..24) agree land in one shard.
	k1 := make([]byte, 32)
	k2 := make([]byte, 32)
	k2[1] = 1
	c.put(k1, nil, p1)
	c.put(k2, nil, p2)
	if got := c.get(k1, nil); got != nil {
		t.Errorf("evicted entry still present")
	}
	if c.len() != 1 {
		t.Errorf("len = %d, want 1", c.len())
	}
}

func TestError_XML(t *testing.T) {
	want := `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>`
	if got := string(ErrExpired.XML()); got != want {
		t.Errorf("XML = %s", got)
	}
	want = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>MissingKey</Code><Message>Missing Key-Pair-Id query parameter or cookie value</Message></Error>`
	if got := string(ErrMissingKey.XML()); got != want {
		t.Errorf("XML = %s", got)
	}
	var e *Error
	if !errors.As(fmt.Errorf("wrap: %w", ErrUnknownKey), &e) || e.Code != "InvalidKey" || e.Message != "Unknown Key" {
		t.Errorf("errors.As = %+v", e)
	}
}

func TestCannedPolicy_bytes(t *testing.T) {
	got := CannedPolicy("https://d111111abcdef8.cloudfront.net/image.jpg?size=large&a=<b>", 1357034400)
	want := `{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/image.jpg?size=large&a=<b>","Condition":{"DateLessThan":{"AWS:EpochTime":1357034400}}}]}`
	if string(got) != want {
		t.Errorf("CannedPolicy =\n%s\nwant\n%s", got, want)
	}
	got = CannedPolicy("https://h/\"q\"\\", 1)
	if !bytes.Contains(got, []byte(`"https://h/\"q\"\\"`)) {
		t.Errorf("escaping: %s", got)
	}
}

func TestIsSigningParam(t *testing.T) {
	for _, n := range []string{"Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm"} {
		if !IsSigningParam(n) {
			t.Errorf("IsSigningParam(%q) = false", n)
		}
	}
	for _, n := range []string{"expires", "Key-Pair-ID", "size", ""} {
		if IsSigningParam(n) {
			t.Errorf("IsSigningParam(%q) = true", n)
		}
	}
	if !IsSigningCookie("CloudFront-Policy") || IsSigningCookie("CloudFront-Viewer") {
		t.Error("IsSigningCookie")
	}
}

func TestStripSigningParams(t *testing.T) {
	tests := map[string]string{
		"":    "",
		"a=1": "a=1",
		"a=1&Expires=2&Signature=x&Key-Pair-Id=K":                  "a=1",
		"Policy=p&Signature=s&Key-Pair-Id=K&Hash-Algorithm=SHA256": "",
		"a=1&b=2&Expires=3": "a=1&b=2",
		"a&b=&Expires":      "a&b=",
	}
	for in, want := range tests {
		if got := stripSigningParams(in); got != want {
			t.Errorf("stripSigningParams(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFromHTTP(t *testing.T) {
	r := httptest.NewRequest("GET", "http://Example.com:8080/a%20b/c?x=1&Expires=2", nil)
	r.RemoteAddr = "[2001:db8::5]:5555"
	r.Header.Add("Cookie", "a=b")
	req := FromHTTP(r, true)
	if req.Scheme != "https" || req.Host != "Example.com:8080" || req.Path != "/a%20b/c" || req.RawQuery != "x=1&Expires=2" ||
		req.ClientIP.String() != "2001:db8::5" || len(req.Cookies) != 1 {
		t.Errorf("FromHTTP = %+v", req)
	}
	tg := newTarget(req)
	if tg.url != "https://Example.com:8080/a%20b/c?x=1" || tg.scheme != "https" || tg.host != "Example.com:8080" || tg.path != "/a%20b/c" || tg.query != "x=1" {
		t.Errorf("target = %+v", tg)
	}
}

func TestParsePublicKeyPEM(t *testing.T) {
	k1, _, ek := testKeys(t)
	for _, pub := range []crypto.PublicKey{&k1.PublicKey, &ek.PublicKey} {
		b := pemPublic(t, pub)
		got, err := ParsePublicKeyPEM(b)
		if err != nil {
			t.Fatal(err)
		}
		if !sameKey(got, pub) {
			t.Errorf("ParsePublicKeyPEM: key differs")
		}
	}
	if _, err := ParsePublicKeyPEM([]byte("nope")); err == nil {
		t.Error("no error for garbage")
	}
}
