package signedurl

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Keys resolves a Key-Pair-Id to a public key the cache behaviour trusts.
// The caller flattens trusted key groups or trusted signers into this set;
// a key outside it is ErrUnknownKey. Implementations must be safe for
// concurrent use and fast (it is called on every signed request, cached
// or not): a map lookup.
type Keys interface {
	PublicKey(keyPairID string) (crypto.PublicKey, bool)
}

// KeySet is a Keys backed by a map from Key-Pair-Id to *rsa.PublicKey or
// *ecdsa.PublicKey. It must not be modified while in use.
type KeySet map[string]crypto.PublicKey

// PublicKey returns the key named id.
func (s KeySet) PublicKey(id string) (crypto.PublicKey, bool) {
	k, ok := s[id]
	return k, ok
}

// ParsePublicKeyPEM parses a PEM public key as CloudFront's PublicKey
// EncodedKey holds it: "PUBLIC KEY" (PKIX) or "RSA PUBLIC KEY" (PKCS #1),
// RSA or ECDSA.
func ParsePublicKeyPEM(b []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("parse public key: no PEM block")
	}
	switch block.Type {
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
		return k, nil
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
		switch k.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
			return k, nil
		}
		return nil, fmt.Errorf("parse public key: unsupported key type %T", k)
	}
	return nil, fmt.Errorf("parse public key: unexpected PEM block %q", block.Type)
}

// Verify checks the signed URL or signed cookies of req against the keys
// at time now, without caching. It returns nil when the request may be
// served, else one of the *Error values of this package.
func Verify(req Request, keys Keys, now time.Time) error {
	return verify(req, keys, now, nil)
}

// DefaultCacheSize is the number of verified policies a Verifier made
// with size 0 remembers.
const DefaultCacheSize = 64 << 10

// Verifier verifies requests like Verify and remembers verified policies
// in a bounded LRU, so a repeated signed URL or cookie skips the
// signature check. Only successful verifications are remembered, keyed by
// (hash algorithm, key id, signature, Policy or Expires and URL) with the
// public key that verified them; a hit still runs the time, IP and
// resource checks and requires Keys to return an equal key, so removing a
// key from a key group takes effect at once. A Verifier is safe for
// concurrent use.
type Verifier struct {
	cache *lru
}

// NewVerifier returns a Verifier remembering up to size policies
// (DefaultCacheSize when size <= 0).
func NewVerifier(size int) *Verifier {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &Verifier{cache: newLRU(size)}
}

// Verify is the cached form of the package-level Verify. It keeps none of
// req's strings, so they may be views of a buffer the caller reuses.
func (v *Verifier) Verify(req Request, keys Keys, now time.Time) error {
	return verify(req, keys, now, v.cache)
}

func verify(req Request, keys Keys, now time.Time, c *lru) error {
	err := verifyPath(req, keys, now, c)
	if err == ErrBadSignature && req.Received != "" && req.Received != req.Path {
		// Perhaps a canned policy signed for the URL as received.
		req.Path, req.Received = req.Received, ""
		if in, _, _ := parseInputs(req); !in.custom && verifyPath(req, keys, now, c) == nil {
			return nil
		}
	}
	return err
}

func verifyPath(req Request, keys Keys, now time.Time, c *lru) error {
	in, found, err := parseInputs(req)
	if err != nil {
		return err
	}
	if !found || in.keyID == "" || in.keyID == "\x00" {
		return ErrMissingKey
	}
	pub, ok := keys.PublicKey(in.keyID)
	if !ok || pub == nil {
		return ErrUnknownKey
	}
	var hash crypto.Hash
	switch in.hashAlg {
	case "", "SHA1":
		hash = crypto.SHA1
	case "SHA256":
		hash = crypto.SHA256
	default:
		return ErrMalformedRequest
	}
	if in.signature == "" {
		return ErrBadSignature
	}
	t := targetWithQuery(req, in.viewerQuery)

	var keyBuf [1024]byte
	var key []byte
	if c != nil {
		key = appendCacheKey(keyBuf[:0], hash, &in, &t)
		if p := c.get(key, pub); p != nil {
			return p.check(&t, req.ClientIP, now)
		}
	}

	var p *Policy
	var policy []byte
	if in.custom {
		if policy, err = decodeBase64(in.policy); err != nil {
			return ErrMalformedPolicy
		}
		if p, err = ParsePolicy(policy); err != nil {
			return ErrMalformedPolicy
		}
	} else {
		exp, err := strconv.ParseInt(in.expires, 10, 64)
		if err != nil || exp < 0 || exp > MaxExpires {
			return ErrMalformedRequest
		}
		policy = CannedPolicy(t.url, exp)
		p = &Policy{Resource: t.url, DateLessThan: time.Unix(exp, 0).UTC(), canned: true}
	}
	// The cheap checks first: an expired or misdirected URL costs no
	// public-key operation.
	if err := p.check(&t, req.ClientIP, now); err != nil {
		return err
	}
	sig, err := decodeBase64(in.signature)
	if err != nil || !verifySignature(pub, hash, policy, sig) {
		return ErrBadSignature
	}
	if c != nil {
		c.put(key, pub, p)
	}
	return nil
}

// verifySignature checks sig over msg: RSA PKCS #1 v1.5 or ECDSA ASN.1.
func verifySignature(pub crypto.PublicKey, hash crypto.Hash, msg, sig []byte) bool {
	var digest []byte
	switch hash {
	case crypto.SHA256:
		d := sha256.Sum256(msg)
		digest = d[:]
	default:
		d := sha1.Sum(msg)
		digest = d[:]
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, hash, digest, sig) == nil
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, digest, sig)
	}
	return false
}
