package model_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"openfront/internal/model"
)

func pemBlock(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// TestParsePublicKey: CloudFront takes RSA 2048 and ECDSA 256 keys for
// signed URLs and signed cookies (API reference, PublicKeyConfig).
func TestParsePublicKey(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ek384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	pkix := func(pub any) string {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return pemBlock("PUBLIC KEY", der)
	}
	rsaPKIX := pkix(&rk.PublicKey)
	tests := []struct {
		name    string
		encoded string
		ok      bool
	}{
		{"RSA 2048 PKIX", rsaPKIX, true},
		{"RSA 2048 PKCS #1", pemBlock("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rk.PublicKey)), true},
		{"surrounding white space", "\n  " + rsaPKIX + "\n\n", true},
		{"ECDSA P-256", pkix(&ek.PublicKey), true},
		{"ECDSA P-384", pkix(&ek384.PublicKey), false},
		{"certificate block", pemBlock("CERTIFICATE", []byte{1, 2, 3}), false},
		{"truncated", rsaPKIX[:len(rsaPKIX)/2], false},
		{"trailing text", rsaPKIX + "junk", false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := model.ParsePublicKey(tc.encoded)
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				if me, isModel := err.(*model.Error); !isModel || me.Code != "InvalidArgument" {
					t.Errorf("err = %#v, want InvalidArgument", err)
				}
			}
		})
	}
	if !model.SamePublicKey(rsaPKIX, pemBlock("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rk.PublicKey))) {
		t.Error("PKIX and PKCS #1 forms of one key differ")
	}
	if !model.SamePublicKey(rsaPKIX, strings.ReplaceAll(rsaPKIX, "\n", "\r\n")) {
		t.Error("line endings made keys differ")
	}
	if model.SamePublicKey(rsaPKIX, pkix(&ek.PublicKey)) {
		t.Error("two different keys are the same")
	}
}

func TestOwnSigner(t *testing.T) {
	tests := []struct {
		signer, account string
		want            bool
	}{
		{"self", "123456789012", true},
		{"self", "", true},
		{"123456789012", "123456789012", true},
		{"111122223333", "123456789012", false},
		{"111122223333", "", false},
	}
	for _, tt := range tests {
		if got := model.OwnSigner(tt.signer, tt.account); got != tt.want {
			t.Errorf("OwnSigner(%q, %q) = %v, want %v", tt.signer, tt.account, got, tt.want)
		}
	}
}
