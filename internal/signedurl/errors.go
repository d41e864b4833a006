package signedurl

import (
	"encoding/xml"
	"strings"
)

// CloudFront error codes of a refused signed request (as CloudFront returns
// them; AWS does not document them, MalformedPolicy is OpenFront's choice).
const (
	CodeMissingKey      = "MissingKey"
	CodeInvalidKey      = "InvalidKey"
	CodeAccessDenied    = "AccessDenied"
	CodeMalformedPolicy = "MalformedPolicy"
)

// Error is a refused signed request. The edge answers 403 Forbidden with
// the body XML returns; Reason is for logs and tests only and is never
// shown to the viewer.
type Error struct {
	Code    string // CloudFront error code, e.g. AccessDenied
	Message string // CloudFront error message, e.g. "Access denied"
	Reason  string // why the request was refused, for logs
	xml     []byte
}

func newError(code, message, reason string) *Error {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>`)
	xml.EscapeText(&b, []byte(code))
	b.WriteString(`</Code><Message>`)
	xml.EscapeText(&b, []byte(message))
	b.WriteString(`</Message></Error>`)
	return &Error{Code: code, Message: message, Reason: reason, xml: []byte(b.String())}
}

// Error returns the reason, prefixed with the package name.
func (e *Error) Error() string { return "signedurl: " + e.Reason }

// XML returns CloudFront's error document for e:
// <?xml version="1.0" encoding="UTF-8"?><Error><Code>…</Code><Message>…</Message></Error>.
// The caller must not modify the returned slice.
func (e *Error) XML() []byte { return e.xml }

// The errors Verify returns. All are *Error; compare with errors.Is.
var (
	// ErrMissingKey: the request carries no signing parameters or cookies,
	// or no Key-Pair-Id.
	ErrMissingKey = newError(CodeMissingKey, "Missing Key-Pair-Id query parameter or cookie value", "missing key pair id")
	// ErrUnknownKey: Key-Pair-Id names no key the behaviour trusts.
	ErrUnknownKey = newError(CodeInvalidKey, "Unknown Key", "unknown key pair id")
	// ErrMalformedPolicy: the Policy is not URL-safe base64 of a policy
	// ParsePolicy accepts.
	ErrMalformedPolicy = newError(CodeMalformedPolicy, "Malformed Policy", "malformed policy")
	// ErrMalformedRequest: Expires missing or not a number in
	// [0, 2147483647], a signing parameter repeated, Hash-Algorithm other
	// than SHA1 or SHA256, or a viewer query parameter after the signing
	// parameters.
	ErrMalformedRequest = newError(CodeAccessDenied, "Access denied", "malformed signing parameters")
	// ErrBadSignature: Signature is missing, undecodable, or does not
	// verify. A canned policy is rebuilt from the request URL, so a canned
	// URL requested with another scheme, host, path or query fails here.
	ErrBadSignature = newError(CodeAccessDenied, "Access denied", "bad signature")
	// ErrExpired: now is at or after DateLessThan (Expires).
	ErrExpired = newError(CodeAccessDenied, "Access denied", "expired")
	// ErrNotYetValid: now is before DateGreaterThan.
	ErrNotYetValid = newError(CodeAccessDenied, "Access denied", "not yet valid")
	// ErrIPMismatch: the client IP is outside the policy's AWS:SourceIp.
	ErrIPMismatch = newError(CodeAccessDenied, "Access denied", "source ip mismatch")
	// ErrResourceMismatch: the request URL does not match a custom
	// policy's Resource.
	ErrResourceMismatch = newError(CodeAccessDenied, "Access denied", "resource mismatch")
)
