package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults for the zero values of Verifier's fields.
const (
	DefaultMaxSkew      = 15 * time.Minute
	DefaultMaxBodyBytes = 10 << 20
)

// Credentials looks up the secret access key of an access key ID.
type Credentials interface {
	SecretFor(accessKeyID string) (secret string, ok bool)
}

// CredentialsFunc adapts a function to Credentials.
type CredentialsFunc func(accessKeyID string) (secret string, ok bool)

// SecretFor calls f.
func (f CredentialsFunc) SecretFor(accessKeyID string) (string, bool) { return f(accessKeyID) }

// Identity is who signed a verified request, and for which scope.
type Identity struct {
	AccessKeyID string
	// Region is the credential scope's region (SigV4: any region is
	// accepted), or for SigV4A the Verifier's Region, which the region set
	// covers. It decides the ARN partition.
	Region  string
	Service string    // one of Verifier.Services
	Date    time.Time // X-Amz-Date, UTC
}

// Verifier checks AWS Signature Version 4 on inbound requests, in the
// Authorization header or in a presigned query. Set the fields before first
// use and do not change or copy the Verifier afterwards; it is safe for
// concurrent use.
type Verifier struct {
	// Credentials resolves access key IDs. Required.
	Credentials Credentials
	// Services lists the service names accepted in the credential scope, e.g.
	// {"cloudfront", "lightsail"}. With none, every request fails.
	Services []string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxSkew is how far X-Amz-Date may be from Now; 0 means DefaultMaxSkew.
	MaxSkew time.Duration
	// MaxBodyBytes caps the body Verify reads; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Region is this endpoint's region, which a SigV4A signature's region
	// set must name or cover with "*"; "" means DefaultRegion. SigV4
	// signatures are not held to it (see doc.go).
	Region string

	keys      keyCache      // SigV4 signing keys
	ecdsaKeys ecdsaKeyCache // SigV4A public keys
}

// Verify authenticates r and returns who signed it. A failure is an *Error
// carrying the AWS code, message and HTTP status; any other error comes from
// reading the body (the client went away) and has no AWS code.
//
// Verify reads the whole body (up to MaxBodyBytes) to hash it and replaces
// r.Body with an in-memory reader over the same bytes, so the handler can
// still read it.
func (v *Verifier) Verify(r *http.Request) (Identity, error) {
	rawPath, rawQuery := requestTarget(r)
	query := parseQuery(rawQuery)

	p, e := v.findParams(r, query)
	if e != nil {
		return Identity{}, e
	}
	sc, date, e := v.checkParams(p)
	if e != nil {
		return Identity{}, e
	}
	secret, ok := v.Credentials.SecretFor(sc.accessKeyID)
	if !ok {
		return Identity{}, errInvalidClientID()
	}

	body, err := v.readBody(r)
	if err != nil {
		return Identity{}, err
	}
	hashes, e := payloadHashes(r, query, p.presigned, sc.service, body)
	if e != nil {
		return Identity{}, e
	}

	matches := v.signatureCheck(p, sc, secret)
	var canonical, toSign string
	for _, ph := range hashes {
		canonical = canonicalRequest(r, rawPath, query, p, ph)
		toSign = stringToSign(p.algorithm, p.date, sc, canonical)
		if matches(toSign) {
			region := sc.region
			if p.algorithm == algorithmECDSA {
				region = v.region()
			}
			return Identity{AccessKeyID: sc.accessKeyID, Region: region, Service: sc.service, Date: date}, nil
		}
	}
	e = errMismatch(msgSignatureMismatch)
	e.Detail = "canonical request:\n" + canonical + "\nstring to sign:\n" + toSign
	return Identity{}, e
}

// signatureCheck returns the test of the client's signature against a
// string to sign: the one place where SigV4 and SigV4A differ after the
// canonical request. checkParams has already refused other algorithms.
func (v *Verifier) signatureCheck(p authParams, sc scope, secret string) func(toSign string) bool {
	switch p.algorithm {
	case algorithmECDSA:
		pub, err := v.ecdsaKeys.get(sc.accessKeyID, secret)
		return func(toSign string) bool { return err == nil && verifyECDSA(pub, toSign, p.signature) }
	default:
		key := v.keys.get(secret, sc)
		return func(toSign string) bool {
			sig := hex.EncodeToString(hmacSHA256(key, toSign))
			return hmac.Equal([]byte(sig), []byte(p.signature))
		}
	}
}

// findParams finds the signing parameters in the header or the query.
func (v *Verifier) findParams(r *http.Request, query []queryPair) (authParams, *Error) {
	header := strings.TrimSpace(r.Header.Get("Authorization"))
	presigned := isPresigned(query)
	switch {
	case header == "" && !presigned:
		return authParams{}, errMissingToken()
	case header != "" && presigned:
		return authParams{}, errMismatch(msgFoundBoth)
	case presigned:
		return parsePresigned(query)
	}
	p, e := parseAuthorization(header, r.Header.Get("X-Amz-Date"))
	// All values, as the canonical headers join them: the region set checked
	// is then exactly the one signed.
	p.regionSet = strings.Join(r.Header.Values(hRegionSet), ",")
	return p, e
}

// checkParams validates everything that needs no secret: the algorithm, the
// credential's shape and scope, the date and its skew, that Host is signed
// and, for SigV4A, the region set. The order follows AWS's (see errors.go).
func (v *Verifier) checkParams(p authParams) (scope, time.Time, *Error) {
	if p.algorithm != algorithm && p.algorithm != algorithmECDSA {
		return scope{}, time.Time{}, errIncomplete("Unsupported AWS 'algorithm': '" + p.algorithm + "' (only " + algorithm + " and " + algorithmECDSA + " for now).")
	}
	sc, e := parseCredential(p.credential, p.algorithm == algorithmECDSA)
	if e != nil {
		return scope{}, time.Time{}, e
	}
	date, e := parseAmzDate(p.date)
	if e != nil {
		return scope{}, time.Time{}, e
	}
	if e := v.checkTime(p, date); e != nil {
		return scope{}, time.Time{}, e
	}
	if !signsHost(p.signedHeaders) {
		return scope{}, time.Time{}, errMismatch(msgHostNotSigned)
	}
	if e := v.checkScope(sc, p.date); e != nil {
		return scope{}, time.Time{}, e
	}
	if p.algorithm == algorithmECDSA {
		if e := v.checkRegionSet(p); e != nil {
			return scope{}, time.Time{}, e
		}
	}
	return sc, date, nil
}

// checkTime enforces the clock skew, and a presigned URL's X-Amz-Expires.
func (v *Verifier) checkTime(p authParams, date time.Time) *Error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	t := now().UTC().Truncate(time.Second)
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	if date.After(t.Add(skew)) {
		return errNotYetCurrent(date, t, skew)
	}
	if p.presigned && p.expires != "" {
		exp, e := parseExpires(p.expires)
		if e != nil {
			return e
		}
		if t.After(date.Add(exp)) {
			return errPresignExpired()
		}
		return nil
	}
	// A header signature, or a presigned URL without X-Amz-Expires (STS-style,
	// valid for the skew window, see aws/aws-sdk-go#2167).
	if date.Before(t.Add(-skew)) {
		return errExpired(date, t, skew)
	}
	return nil
}

// checkScope checks the credential scope's service, terminator and date (any
// region-shaped region is accepted). Like AWS it reports every problem at once.
func (v *Verifier) checkScope(sc scope, amzDate string) *Error {
	var msgs []string
	if !sc.regionless && !validRegion(sc.region) {
		msgs = append(msgs, "Credential should be scoped to a valid region, not '"+sc.region+"'.")
	}
	if !slices.Contains(v.Services, sc.service) {
		msgs = append(msgs, "Credential should be scoped to correct service: '"+strings.Join(v.Services, "' or '")+"'.")
	}
	if sc.terminator != scopeTerminator {
		msgs = append(msgs, "Credential should be scoped with a valid terminator: '"+scopeTerminator+"', not '"+sc.terminator+"'.")
	}
	if sc.date != amzDate[:8] {
		msgs = append(msgs, fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			sc.date, amzDate[:8], amzDate))
	}
	if len(msgs) > 0 {
		return errMismatch(strings.Join(msgs, " "))
	}
	return nil
}

func signsHost(signedHeaders string) bool { return signsHeader(signedHeaders, "host") }

// signsHeader reports whether SignedHeaders lists name (any case).
func signsHeader(signedHeaders, name string) bool {
	for h := range strings.SplitSeq(signedHeaders, ";") {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// readBody reads the whole body, up to the cap, and puts an in-memory copy
// back on the request.
func (v *Verifier) readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	limit := v.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("sigv4: read request body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, errTooLarge(limit)
	}
	return body, nil
}

// payloadHashes returns the payload hashes to try, in order. The
// X-Amz-Content-Sha256 header (or, presigned, query parameter) is used when
// present; it must then match the body unless it is UNSIGNED-PAYLOAD. Without
// it a header signature covers the body's SHA-256, and a presigned URL is
// tried with the body's hash (botocore, for non-S3 services) and then with
// UNSIGNED-PAYLOAD (aws-sdk-go-v2 PresignHTTP as commonly called).
//
// UNSIGNED-PAYLOAD is Amazon S3's alone ("Signature Calculations for the
// Authorization Header" in the S3 API Reference); other services sign the
// body's hash, so for them it is refused where it would leave a body
// unauthenticated: always on a header signature, and on a presigned URL
// whose request has a body.
func payloadHashes(r *http.Request, query []queryPair, presigned bool, service string, body []byte) ([]string, *Error) {
	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])
	declared := r.Header.Get(qContentSHA256)
	if declared == "" && presigned {
		for _, p := range query {
			if p.key == qContentSHA256 {
				declared = p.value
				break
			}
		}
	}
	unsignedOK := service == "s3" || presigned && len(body) == 0
	switch {
	case declared == unsignedPayload && !unsignedOK:
		e := errMismatch(msgSignatureMismatch)
		e.Detail = "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD is accepted by Amazon S3 only; " + service + " signs the body's SHA-256"
		return nil, e
	case declared == unsignedPayload:
		return []string{unsignedPayload}, nil
	case declared != "" && !strings.EqualFold(declared, bodyHash):
		return nil, errMismatch(msgContentSHA256Mismatch)
	case declared != "":
		return []string{declared}, nil
	case presigned && unsignedOK:
		return []string{bodyHash, unsignedPayload}, nil
	}
	return []string{bodyHash}, nil
}

func canonicalRequest(r *http.Request, rawPath string, query []queryPair, p authParams, payloadHash string) string {
	var b strings.Builder
	b.Grow(512)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	canonicalURI(&b, rawPath)
	b.WriteByte('\n')
	canonicalQuery(&b, query, p.presigned)
	b.WriteByte('\n')
	canonicalHeaders(&b, r, p.signedHeaders)
	b.WriteByte('\n')
	b.WriteString(p.signedHeaders)
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// keyCache keeps derived signing keys. A key depends on the secret, the day,
// the region and the service, so a handful of entries serve all traffic;
// when full, an arbitrary entry is dropped.
type keyCache struct {
	mu   sync.Mutex
	keys map[keyCacheKey][]byte
}

type keyCacheKey struct {
	secret string
	scope  scope // accessKeyID left empty: the key does not depend on it
}

const maxCachedKeys = 64

func (c *keyCache) get(secret string, sc scope) []byte {
	sc.accessKeyID = ""
	k := keyCacheKey{secret: secret, scope: sc}
	c.mu.Lock()
	defer c.mu.Unlock()
	if key, ok := c.keys[k]; ok {
		return key
	}
	if c.keys == nil {
		c.keys = make(map[keyCacheKey][]byte)
	}
	if len(c.keys) >= maxCachedKeys {
		for old := range c.keys {
			delete(c.keys, old)
			break
		}
	}
	key := deriveKey(secret, sc)
	c.keys[k] = key
	return key
}
