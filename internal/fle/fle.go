// Package fle is CloudFront field-level encryption at the edge ("Use
// field-level encryption to help protect sensitive data", Amazon
// CloudFront Developer Guide): which profile a request's body is encrypted
// with (the configuration's content-type and fle-profile query-argument
// mappings), and the body rewrite itself, which replaces each form field
// whose name matches one of the profile's field patterns with its AWS
// Encryption SDK message (message.go), base64-encoded.
package fle

import (
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net/url"
	"strings"
)

// The quotas on field-level encryption ("Quotas on field-level
// encryption", Amazon CloudFront Developer Guide).
const (
	// MaxBody is the longest request body CloudFront encrypts fields of.
	MaxBody = 1 << 20
	// MaxFieldValue is the longest field value it encrypts.
	MaxFieldValue = 16 << 10
	// MaxEncryptedFields is how many fields one request may have
	// encrypted ("You can encrypt up to 10 data fields in a request").
	MaxEncryptedFields = 10
)

// FormContentType is the one content type a configuration maps, with the
// format URLEncoded.
const FormContentType = "application/x-www-form-urlencoded"

// QueryArg is the query argument that names a profile mapping.
const QueryArg = "fle-profile"

// Entity is one EncryptionEntity of a profile: fields matching Patterns
// are encrypted under Key, for the master key (ProviderID, KeyName).
type Entity struct {
	Key        *rsa.PublicKey
	KeyName    string // the public key's Name
	ProviderID string
	Patterns   []string
}

// Profile is a compiled field-level encryption profile.
type Profile struct {
	ID       string
	Entities []Entity
}

// entityFor returns the entity whose pattern matches the field name, or
// nil. A pattern is a whole name or a prefix ending in "*"; names are
// case-sensitive.
func (p *Profile) entityFor(name string) *Entity {
	for i := range p.Entities {
		for _, pat := range p.Entities[i].Patterns {
			if MatchPattern(pat, name) {
				return &p.Entities[i]
			}
		}
	}
	return nil
}

// MatchPattern reports whether a field pattern matches a field name.
func MatchPattern(pattern, name string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(name, prefix)
	}
	return pattern == name
}

// Config is a compiled field-level encryption configuration.
type Config struct {
	ID string
	// ContentTypes maps a lower-case media type to its profile; a nil
	// profile means "forward without encrypting".
	ContentTypes              map[string]*Profile
	ForwardUnknownContentType bool
	// QueryArgs maps an fle-profile value to its profile; nil when the
	// configuration has no QueryArgProfileConfig.
	QueryArgs              map[string]*Profile
	ForwardUnknownQueryArg bool
}

// Select decides a request with a body: the profile to encrypt it with
// (nil: forward it as it is), or refuse (the configuration blocks its
// content type or its unknown fle-profile). A profile named by the
// fle-profile query argument overrides the content type's.
func (c *Config) Select(contentType, rawQuery string) (p *Profile, refuse bool) {
	if c.QueryArgs != nil {
		if v, ok := queryValue(rawQuery, QueryArg); ok {
			if p, ok := c.QueryArgs[v]; ok && p != nil {
				return p, false
			}
			if !c.ForwardUnknownQueryArg {
				return nil, true
			}
			return nil, false
		}
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = ""
	}
	p, ok := c.ContentTypes[strings.ToLower(mt)]
	if !ok {
		return nil, !c.ForwardUnknownContentType
	}
	return p, false
}

// queryValue is the first value of a query argument (percent-decoded).
func queryValue(rawQuery, name string) (string, bool) {
	for rawQuery != "" {
		var kv string
		kv, rawQuery, _ = strings.Cut(rawQuery, "&")
		k, v, _ := strings.Cut(kv, "=")
		if dk, err := url.QueryUnescape(k); err != nil || dk != name {
			continue
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			return "", true // present but unreadable: an unknown profile
		}
		return dv, true
	}
	return "", false
}

// The reasons a body cannot be encrypted.
var (
	ErrBodyTooLarge  = errors.New("fle: request body longer than 1 MB")
	ErrMalformed     = errors.New("fle: request body is not a valid URL-encoded form")
	ErrFieldTooLong  = errors.New("fle: field to encrypt longer than 16 KB")
	ErrTooManyFields = errors.New("fle: more than 10 fields to encrypt")
)

// ReadBody reads a request body of at most MaxBody bytes: a longer one is
// ErrBodyTooLarge after reading MaxBody+1 bytes, never more.
func ReadBody(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxBody {
		return nil, ErrBodyTooLarge
	}
	return b, nil
}

// EncryptForm rewrites an application/x-www-form-urlencoded body: each
// field whose (decoded) name matches the profile has its value replaced by
// the base64 AWS Encryption SDK message of its decoded value, URL-encoded;
// every other byte is kept. Every occurrence of a repeated field is
// encrypted. Because the origin's form parser decides what the fields are,
// the body must parse one way only: a name or value with an invalid
// percent escape, or a ";" (which some parsers take for a separator), is
// ErrMalformed rather than a field that might reach the origin in clear.
func EncryptForm(body []byte, p *Profile, random io.Reader) ([]byte, error) {
	if len(body) > MaxBody {
		return nil, ErrBodyTooLarge
	}
	s := string(body)
	if strings.IndexByte(s, ';') >= 0 {
		return nil, ErrMalformed
	}
	out := make([]byte, 0, len(body)+512)
	encrypted := 0
	for i, pair := range strings.Split(s, "&") {
		if i > 0 {
			out = append(out, '&')
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return nil, ErrMalformed
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, ErrMalformed
		}
		e := p.entityFor(name)
		if e == nil || pair == "" {
			out = append(out, pair...)
			continue
		}
		if encrypted++; encrypted > MaxEncryptedFields {
			return nil, ErrTooManyFields
		}
		if len(value) > MaxFieldValue {
			return nil, ErrFieldTooLong
		}
		msg, err := seal([]byte(value), e.Key, e.ProviderID, e.KeyName, random)
		if err != nil {
			return nil, err
		}
		out = append(out, rawName...)
		out = append(out, '=')
		out = append(out, url.QueryEscape(base64.StdEncoding.EncodeToString(msg))...)
	}
	return out, nil
}
