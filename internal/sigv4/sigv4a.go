package sigv4

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"sync"
)

// This file holds what Signature Version 4A (SigV4A, algorithm
// AWS4-ECDSA-P256-SHA256) adds to SigV4. The canonical request is SigV4's;
// the differences are (IAM User Guide, "AWS Signature Version 4 for API
// requests", SigV4a; the reference signer is aws-sdk-go-v2's internal/v4a,
// https://github.com/aws/aws-sdk-go-v2/tree/main/internal/v4a, and
// aws-c-auth's, https://github.com/awslabs/aws-c-auth):
//
//   - the credential has no region: AKID/YYYYMMDD/service/aws4_request;
//   - the regions the signature is valid in are the comma-separated
//     X-Amz-Region-Set header (a signed header) or query parameter, "*"
//     meaning every region;
//   - the signature is the hex of an ASN.1 DER ECDSA P-256 signature over
//     SHA-256(string to sign), made with a private key derived from the access
//     key ID and secret (deriveECDSAKey), so the server checks it with the
//     public half.

const (
	algorithmECDSA = "AWS4-ECDSA-P256-SHA256"
	hRegionSet     = "X-Amz-Region-Set" // header and presigned query parameter

	// DefaultRegion is the region a SigV4A region set must name (or cover
	// with "*") when Verifier.Region is empty: CloudFront's signing region.
	DefaultRegion = "us-east-1"
)

// nMinus2 is the order of P-256 minus two, as 32 big-endian bytes: derived
// key candidates must be below it (then d = candidate + 1 is in [1, n-1]).
var nMinus2 = func() []byte {
	n := new(big.Int).Sub(elliptic.P256().Params().N, big.NewInt(2))
	return n.FillBytes(make([]byte, 32))
}()

// deriveECDSAKey derives the P-256 key pair of an access key as AWS's SigV4A
// signers do (FIPS 186-4 Appendix B.4.2, "testing candidates"): for counter
// = 1, 2, … compute the NIST SP 800-108 counter-mode KDF with HMAC-SHA256,
// key "AWS4A"+secret, label "AWS4-ECDSA-P256-SHA256" and context
// accessKeyID||counter, for 256 bits; the first candidate c below n-2 gives
// the private key d = c + 1.
// The verifier keeps only the public half; the tests sign with the private.
func deriveECDSAKey(accessKeyID, secret string) (*ecdsa.PrivateKey, error) {
	mac := hmac.New(sha256.New, []byte("AWS4A"+secret))
	for counter := 1; counter <= 0xff; counter++ {
		mac.Reset()
		// SP 800-108 counter mode: [i]_32 || Label || 0x00 || Context || [L]_32,
		// with i = 1 (256 bits need one SHA-256 block) and L = 256.
		binary.Write(mac, binary.BigEndian, uint32(1))
		mac.Write([]byte(algorithmECDSA))
		mac.Write([]byte{0})
		mac.Write([]byte(accessKeyID))
		mac.Write([]byte{byte(counter)})
		binary.Write(mac, binary.BigEndian, uint32(256))
		candidate := mac.Sum(nil)
		if constantTimeLess(candidate, nMinus2) {
			d := new(big.Int).SetBytes(candidate)
			d.Add(d, big.NewInt(1))
			return ecdsa.ParseRawPrivateKey(elliptic.P256(), d.FillBytes(make([]byte, 32)))
		}
	}
	return nil, errors.New("sigv4: SigV4A key derivation exhausted its counter")
}

// constantTimeLess reports whether the big-endian x < y (same length)
// without branching on their bytes: the candidate is secret material.
func constantTimeLess(x, y []byte) bool {
	xLarger, yLarger := 0, 0
	for i := range x {
		a, b := int(x[i]), int(y[i])
		gt := ((b - a) >> 8) & 1 // a > b
		lt := ((a - b) >> 8) & 1 // a < b
		xLarger |= gt &^ yLarger
		yLarger |= lt &^ xLarger
	}
	return yLarger == 1
}

// verifyECDSA checks a hex DER signature over SHA-256(toSign).
func verifyECDSA(pub *ecdsa.PublicKey, toSign, signature string) bool {
	sig, err := hex.DecodeString(signature)
	if err != nil || len(sig) == 0 {
		return false
	}
	digest := sha256.Sum256([]byte(toSign))
	return ecdsa.VerifyASN1(pub, digest[:], sig)
}

// ecdsaKeyCache keeps derived SigV4A public keys per access key ID and
// secret: a derivation costs a scalar multiplication, a lookup nothing. When
// full, an arbitrary entry is dropped.
type ecdsaKeyCache struct {
	mu   sync.Mutex
	keys map[ecdsaCacheKey]*ecdsa.PublicKey
}

type ecdsaCacheKey struct{ accessKeyID, secret string }

func (c *ecdsaKeyCache) get(accessKeyID, secret string) (*ecdsa.PublicKey, error) {
	k := ecdsaCacheKey{accessKeyID, secret}
	c.mu.Lock()
	pub, ok := c.keys[k]
	c.mu.Unlock()
	if ok {
		return pub, nil
	}
	priv, err := deriveECDSAKey(accessKeyID, secret)
	if err != nil {
		return nil, err
	}
	pub = &priv.PublicKey
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = make(map[ecdsaCacheKey]*ecdsa.PublicKey)
	}
	if len(c.keys) >= maxCachedKeys {
		for old := range c.keys {
			delete(c.keys, old)
			break
		}
	}
	c.keys[k] = pub
	return pub, nil
}

// regionSetCovers reports whether a comma-separated region set names region
// or is "*". Entries are trimmed; empty ones are skipped. Partial wildcards
// ("us-*") are not honoured: a set must name this endpoint's region.
func regionSetCovers(set, region string) bool {
	for entry := range strings.SplitSeq(set, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "*" || entry == region {
			return true
		}
	}
	return false
}

// checkRegionSet checks a SigV4A request's region set: present, signed (in
// the header form; a presigned query signs it as part of the canonical
// query), and covering the endpoint's region.
func (v *Verifier) checkRegionSet(p authParams) *Error {
	if p.regionSet == "" {
		if p.presigned {
			return errIncomplete("AWS query-string parameters must include '" + hRegionSet + "'. Re-examine the query-string parameters.")
		}
		return errIncomplete("Authorization header requires existence of a '" + hRegionSet + "' header for " + algorithmECDSA + ".")
	}
	if !p.presigned && !signsHeader(p.signedHeaders, hRegionSet) {
		return errMismatch("'" + hRegionSet + "' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if !regionSetCovers(p.regionSet, v.region()) {
		return errMismatch("The region set '" + p.regionSet + "' in " + hRegionSet + " does not include this endpoint's region '" + v.region() + "'.")
	}
	return nil
}

func (v *Verifier) region() string {
	if v.Region != "" {
		return v.Region
	}
	return DefaultRegion
}
