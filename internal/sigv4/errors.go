package sigv4

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Error codes returned in Error.Code. They are the codes of AWS's REST-XML and
// Query services (CloudFront, IAM, STS). JSON services such as Lightsail name
// the same failures MissingAuthenticationTokenException,
// IncompleteSignatureException, UnrecognizedClientException and
// InvalidSignatureException; a JSON front-end maps them when it renders.
const (
	// CodeMissingAuthenticationToken: neither an Authorization header nor
	// presigned query parameters were sent.
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"
	// CodeIncompleteSignature: the Authorization header or presigned query is
	// malformed, uses another algorithm, or lacks a parameter or the date.
	CodeIncompleteSignature = "IncompleteSignature"
	// CodeInvalidClientTokenId: the access key ID is not known.
	CodeInvalidClientTokenId = "InvalidClientTokenId"
	// CodeSignatureDoesNotMatch: the signature is wrong, the credential scope
	// does not fit (service, terminator, date), the date is outside the allowed
	// clock skew, or the body does not match X-Amz-Content-Sha256.
	CodeSignatureDoesNotMatch = "SignatureDoesNotMatch"
	// CodeAccessDenied: a presigned URL is past X-Amz-Date + X-Amz-Expires.
	CodeAccessDenied = "AccessDenied"
	// CodeRequestEntityTooLarge: the body is larger than Verifier.MaxBodyBytes.
	CodeRequestEntityTooLarge = "RequestEntityTooLarge"
)

// Error is a verification failure, carrying the AWS error code, the message
// AWS sends with it and the HTTP status. The API layer renders it in its
// protocol's error envelope.
type Error struct {
	Code    string
	Message string
	Status  int
	// Detail is extra information for server logs, never for the client: for a
	// signature mismatch, the canonical request and string to sign we computed.
	Detail string
}

func (e *Error) Error() string {
	return fmt.Sprintf("sigv4: %s: %s", e.Code, e.Message)
}

// Message texts follow what AWS services return. Sources:
//   - IAM User Guide, "Troubleshoot signed requests for AWS APIs"
//     (docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html):
//     "Missing Authentication Token", "Signature expired: … is now earlier than …",
//     "Signature not yet current: … is still later than …", "Date in Credential
//     scope does not match YYYYMMDD from ISO-8601 version of date from HTTP",
//     "Credential should be scoped to correct service".
//   - Responses recorded from AWS in the comments of the dynalite DynamoDB
//     emulator (mhart/dynalite): exact wording and order of the IncompleteSignature
//     messages, "'Host' must be a 'SignedHeader' in the AWS Authorization.",
//     "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization'
//     as HTTP header.", the "AWS query-string parameters must include …" list.
//   - aws/aws-sdk-ruby#317: CloudFront answers a SigV2 header with
//     IncompleteSignature "Authorization header requires 'Credential'
//     parameter. …"; brendanhay/amazonka#316: the same code is HTTP 400.
//   - Clock skew is SignatureDoesNotMatch (403) on REST-XML/Query services:
//     convox/rack#235, boto/botocore#149, EngineerBetter/control-tower#51
//     ("SignatureDoesNotMatch … Signature expired: 20191029T154623Z is now
//     earlier than 20191029T163344Z (20191029T164844Z - 15 min.)").
//   - Expired presigned URL: S3 answers 403 AccessDenied "Request has expired"
//     (aws/aws-sdk-js#3493, aws/aws-sdk-php#1333); no non-S3 service documents
//     its own answer, so we use S3's.
const (
	msgMissingToken      = "Missing Authentication Token"
	msgInvalidClientID   = "The security token included in the request is invalid."
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgPresignExpired = "Request has expired"
	msgHostNotSigned  = "'Host' must be a 'SignedHeader' in the AWS Authorization."
	msgFoundBoth      = "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
	// The payload check is S3's (XAmzContentSHA256Mismatch, 400) with this
	// message; CloudFront and Lightsail have no such code, and a body that
	// differs from what was signed is a signature failure, so we keep
	// SignatureDoesNotMatch (403) and only borrow S3's wording.
	msgContentSHA256Mismatch = "The provided 'x-amz-content-sha256' header does not match what was computed."
)

func errMissingToken() *Error {
	return &Error{Code: CodeMissingAuthenticationToken, Message: msgMissingToken, Status: http.StatusForbidden}
}

func errIncomplete(msg string) *Error {
	return &Error{Code: CodeIncompleteSignature, Message: msg, Status: http.StatusBadRequest}
}

func errMismatch(msg string) *Error {
	return &Error{Code: CodeSignatureDoesNotMatch, Message: msg, Status: http.StatusForbidden}
}

func errInvalidClientID() *Error {
	return &Error{Code: CodeInvalidClientTokenId, Message: msgInvalidClientID, Status: http.StatusForbidden}
}

func errPresignExpired() *Error {
	return &Error{Code: CodeAccessDenied, Message: msgPresignExpired, Status: http.StatusForbidden}
}

func errTooLarge(limit int64) *Error {
	return &Error{
		Code:    CodeRequestEntityTooLarge,
		Message: fmt.Sprintf("Request body is larger than %d bytes.", limit),
		Status:  http.StatusRequestEntityTooLarge,
	}
}

// errExpired and errNotYetCurrent word a date outside the allowed skew the way
// AWS does, e.g. "Signature expired: 20231231T000000Z is now earlier than
// 20240101T000000Z (20240101T001500Z - 15 min.)".
func errExpired(date, now time.Time, skew time.Duration) *Error {
	return errMismatch(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s)",
		date.Format(amzDateFormat), now.Add(-skew).Format(amzDateFormat), now.Format(amzDateFormat), skewText(skew)))
}

func errNotYetCurrent(date, now time.Time, skew time.Duration) *Error {
	return errMismatch(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s)",
		date.Format(amzDateFormat), now.Add(skew).Format(amzDateFormat), now.Format(amzDateFormat), skewText(skew)))
}

func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min.", d/time.Minute)
	}
	return d.String() + "."
}

// missingHeaderParams words a header that lacks some of Credential,
// SignedHeaders, Signature or a date, as AWS does: one sentence per missing
// part, then the header itself.
func missingHeaderParams(p authParams, header string) *Error {
	var b strings.Builder
	if p.credential == "" {
		b.WriteString("Authorization header requires 'Credential' parameter. ")
	}
	if p.signature == "" {
		b.WriteString("Authorization header requires 'Signature' parameter. ")
	}
	if !p.hasSignedHeaders {
		b.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
	}
	if p.date == "" {
		// AWS also accepts a Date header here; we do not (see doc.go).
		b.WriteString("Authorization header requires existence of a 'X-Amz-Date' header. ")
	}
	if b.Len() == 0 {
		return nil
	}
	b.WriteString("Authorization=")
	b.WriteString(header)
	return errIncomplete(b.String())
}

// missingQueryParams is the presigned-URL twin of missingHeaderParams.
func missingQueryParams(p authParams) *Error {
	var b strings.Builder
	for _, m := range []struct{ name, val string }{
		{"X-Amz-Algorithm", p.algorithm},
		{"X-Amz-Credential", p.credential},
		{"X-Amz-Signature", p.signature},
		{"X-Amz-SignedHeaders", p.signedHeaders},
		{"X-Amz-Date", p.date},
	} {
		if m.val == "" {
			b.WriteString("AWS query-string parameters must include '" + m.name + "'. ")
		}
	}
	if b.Len() == 0 {
		return nil
	}
	b.WriteString("Re-examine the query-string parameters.")
	return errIncomplete(b.String())
}
