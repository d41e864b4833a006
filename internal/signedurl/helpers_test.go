package signedurl

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	rsaKey2  *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
)

// testKeys returns two RSA-2048 keys and one ECDSA P-256 key, generated
// once per test binary.
func testKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey, *ecdsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if rsaKey2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
	return rsaKey, rsaKey2, ecKey
}

// cfBase64 is CloudFront's URL-safe base64.
func cfBase64(b []byte) string {
	return strings.NewReplacer("+", "-", "=", "_", "/", "~").Replace(base64.StdEncoding.EncodeToString(b))
}

// signPolicy signs policy with key (RSA or ECDSA) and hash.
func signPolicy(t testing.TB, key crypto.Signer, hash crypto.Hash, policy []byte) string {
	t.Helper()
	var digest []byte
	if hash == crypto.SHA256 {
		d := sha256.Sum256(policy)
		digest = d[:]
	} else {
		d := sha1.Sum(policy)
		digest = d[:]
	}
	sig, err := key.Sign(rand.Reader, digest, hash)
	if err != nil {
		t.Fatal(err)
	}
	return cfBase64(sig)
}

// cannedURL returns rawURL signed with a canned policy.
func cannedURL(t testing.TB, key crypto.Signer, keyID, rawURL string, expires int64) string {
	t.Helper()
	sig := signPolicy(t, key, crypto.SHA1, CannedPolicy(rawURL, expires))
	return rawURL + sep(rawURL) + "Expires=" + strconv.FormatInt(expires, 10) + "&Signature=" + sig + "&Key-Pair-Id=" + keyID
}

// customURL returns rawURL signed with the given policy JSON.
func customURL(t testing.TB, key crypto.Signer, keyID string, hash crypto.Hash, rawURL, policy string) string {
	t.Helper()
	sig := signPolicy(t, key, hash, []byte(policy))
	u := rawURL + sep(rawURL) + "Policy=" + cfBase64([]byte(policy)) + "&Signature=" + sig + "&Key-Pair-Id=" + keyID
	if hash == crypto.SHA256 {
		u += "&Hash-Algorithm=SHA256"
	}
	return u
}

func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

// requestFor parses a signed URL into a Request from client ip.
func requestFor(t testing.TB, rawURL, ip string) Request {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Scheme: u.Scheme, Host: u.Host, Path: u.EscapedPath(), RawQuery: u.RawQuery}
	if ip != "" {
		req.ClientIP = netip.MustParseAddr(ip)
	}
	return req
}
