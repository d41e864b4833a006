package model

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"time"
)

// The records below are the signing keys (public keys, key groups) and
// origin access controls. The edge's snapshot reads PublicKeyRecord and
// KeyGroupRecord to verify signed URLs and signed cookies; each is
// JSON-encoded under its key, like the records in records.go.

// PublicKeyRecord is a public key, under pubkey/<id>. EncodedKey is the
// PEM text exactly as the client sent it; parse it with ParsePublicKey.
type PublicKeyRecord struct {
	ID              string
	CreatedTime     time.Time
	CallerReference string
	Name            string
	EncodedKey      string
	Comment         string
}

// KeyGroupRecord is a key group, under keygroup/<id>: the public keys a
// cache behaviour's TrustedKeyGroups trusts through it.
type KeyGroupRecord struct {
	ID           string
	LastModified time.Time
	Name         string
	PublicKeyIDs []string
	Comment      string
}

// OACRecord is an origin access control, under oac/<id>.
type OACRecord struct {
	ID              string
	Name            string
	Description     string
	SigningProtocol string // sigv4
	SigningBehavior string // never, always, no-override
	OriginType      string // s3, mediastore, mediapackagev2, lambda
}

// ParsePublicKey reads a PEM-encoded public key of a kind CloudFront
// accepts for signed URLs and signed cookies: RSA 2048 or ECDSA P-256
// (API reference, PublicKeyConfig). The PEM block is a PKIX "PUBLIC KEY"
// (openssl rsa -pubout) or, for RSA, a PKCS #1 "RSA PUBLIC KEY". The key
// is *rsa.PublicKey or *ecdsa.PublicKey. A key it refuses is an
// InvalidArgument error.
func ParsePublicKey(encoded string) (any, error) {
	block, rest := pem.Decode([]byte(strings.TrimSpace(encoded)))
	if block == nil || len(strings.TrimSpace(string(rest))) != 0 {
		return nil, Errorf("InvalidArgument", "The parameter EncodedKey must be one PEM-encoded public key.")
	}
	var key any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, Errorf("InvalidArgument", "The parameter EncodedKey must be a PEM public key, not %q.", block.Type)
	}
	if err != nil {
		return nil, Errorf("InvalidArgument", "The parameter EncodedKey is not a valid public key.")
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() != 2048 {
			return nil, Errorf("InvalidArgument", "The parameter EncodedKey must be an RSA 2048 or ECDSA 256 public key (this RSA key has %d bits).", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, Errorf("InvalidArgument", "The parameter EncodedKey must be an RSA 2048 or ECDSA 256 public key (this ECDSA key is on %s).", k.Curve.Params().Name)
		}
	default:
		return nil, Errorf("InvalidArgument", "The parameter EncodedKey must be an RSA 2048 or ECDSA 256 public key.")
	}
	return key, nil
}

// SamePublicKey reports whether two EncodedKey values hold the same key,
// whatever their PEM form (line breaks, PKIX or PKCS #1).
func SamePublicKey(a, b string) bool {
	if strings.TrimSpace(a) == strings.TrimSpace(b) {
		return true
	}
	ka, err := ParsePublicKey(a)
	if err != nil {
		return false
	}
	kb, err := ParsePublicKey(b)
	if err != nil {
		return false
	}
	da, err := x509.MarshalPKIXPublicKey(ka)
	if err != nil {
		return false
	}
	db, err := x509.MarshalPKIXPublicKey(kb)
	return err == nil && string(da) == string(db)
}

// OwnSigner reports whether a trusted signer (a behaviour's TrustedSigners
// item) names the account itself, "self" or its id: the account whose
// CloudFront key pairs OpenFront's stored public keys stand for. The edge
// trusts those keys for it and the API lists them as its KeyPairIds;
// another account has no key pair here ("Specify signers that can create
// signed URLs and signed cookies", CloudFront Developer Guide).
func OwnSigner(signer, account string) bool {
	return signer == "self" || (signer == account && account != "")
}
