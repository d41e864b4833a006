// Package sigv4 verifies AWS Signature Version 4 (AWS4-HMAC-SHA256) and its
// asymmetric extension SigV4A (AWS4-ECDSA-P256-SHA256) on inbound API
// requests: the CloudFront REST-XML API, the Lightsail JSON 1.1 API and
// anything else behind the API's one call to Verify. It parses and checks; it never signs (outbound signing, e.g. to S3
// origins, uses aws-sdk-go-v2's signer in internal/origin).
//
// There are only a few types. A Verifier holds the credential lookup
// (Credentials, or a CredentialsFunc), the accepted service names, an
// injected clock and the allowed clock skew. Verifier.Verify takes an
// *http.Request and returns the Identity that signed it (access key ID,
// region, service, signing time) or an *Error carrying the AWS error code,
// message and HTTP status for the API layer to render.
//
// Both forms of SigV4 are accepted:
//
//   - the Authorization header ("AWS4-HMAC-SHA256 Credential=…,
//     SignedHeaders=…, Signature=…") with X-Amz-Date;
//   - a presigned query (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
//     X-Amz-SignedHeaders, X-Amz-Signature and optionally X-Amz-Expires).
//
// The canonical request is rebuilt from what the client sent: the raw request
// target (r.RequestURI, not the decoded r.URL.Path), the path encoded a second
// time as every service but S3 requires, the query decoded and re-encoded per
// RFC 3986 and sorted, exactly the headers the client listed in SignedHeaders
// (in its order, values trimmed and space runs collapsed, repeats joined with
// ","), Host from r.Host, and the body's SHA-256 or X-Amz-Content-Sha256.
// Derived signing keys are cached per secret, day, region and service, and
// signatures are compared in constant time.
//
// # SigV4A
//
// SigV4A requests (aws-sdk-go-v2's cloudfrontkeyvaluestore client always
// sends them; boto3 does with awscrt and signature_version "v4a") share
// the canonical request, payload, clock, presign and error rules above.
// Verify dispatches on the algorithm once: checkParams parses the
// credential with or without a region and, for SigV4A, checks
// X-Amz-Region-Set; signatureCheck compares an HMAC or verifies an ECDSA
// P-256 signature. sigv4a.go describes the differences and the key
// derivation. The region set must name Verifier.Region (default
// us-east-1) or be "*"; partial wildcards ("us-*") are refused.
//
// # Why hand-written
//
// A verifier must rebuild the canonical request from exactly the client's
// SignedHeaders. aws-sdk-go-v2's signer always decides the header set itself
// (host, content-length when positive, and every header present that is not
// on its ignore list), so re-signing a copy of the request cannot reproduce an
// arbitrary SignedHeaders list without faking headers and ContentLength.
// The signer is still this package's test oracle, beside botocore (project
// dependency notes, "SigV4 details").
//
// # Documents followed
//
//   - IAM User Guide: "AWS Signature Version 4 for API requests",
//     "Create a signed AWS API request", "Troubleshoot signed requests for
//     AWS APIs" (error messages for scope and clock problems).
//   - Amazon S3 API Reference: "Authenticating Requests: Using Query
//     Parameters" (presigned URLs, X-Amz-Expires limits, expired URL answer).
//   - errors.go lists where each error code and message comes from.
//
// # Caveats
//
//   - Any region in a SigV4 credential scope is accepted (SDKs with a custom
//     endpoint sign with their configured region); only its shape is checked.
//     A SigV4A region set, which the client states explicitly, must cover
//     Verifier.Region.
//   - Only X-Amz-Date is read; AWS also accepts a Date header, which no SDK
//     sends.
//   - X-Amz-Security-Token is not checked (OpenFront issues no session
//     tokens); when signed it is still covered by the signature.
//   - X-Amz-Content-Sha256: UNSIGNED-PAYLOAD is Amazon S3's alone (other
//     services sign the body's hash), so for CloudFront and Lightsail it is
//     SignatureDoesNotMatch on a header signature, and on a presigned URL
//     whose request has a body: it would leave the body unauthenticated. Any
//     other value must equal the body's hash, else SignatureDoesNotMatch (S3
//     would say XAmzContentSHA256Mismatch). Streaming (aws-chunked) payloads
//     are not supported.
//   - A presigned URL for a request without a body is tried with the empty
//     body's hash and then with UNSIGNED-PAYLOAD, since botocore and
//     aws-sdk-go-v2 (PresignHTTP as commonly called) differ there; with no
//     body both authenticate the same request. X-Amz-Expires is optional
//     (without it the URL is valid within MaxSkew, like STS).
//   - Dot segments ("/a/../b") are not removed from the path before
//     encoding, as aws-sdk-go-v2 does not; botocore does, so such a path
//     signed by botocore fails. Header values keep inner tabs (botocore folds
//     them to spaces).
//   - Verify buffers the whole body, up to MaxBodyBytes (10 MiB by default).
package sigv4
