package rtmp

import (
	"errors"
	"net"
	"net/url"
	"time"
)

// VerifyFunc checks the signed-URL parameters of a private stream ("Serve
// private content with signed URLs and signed cookies" as applied to RTMP
// distributions: Resource is the stream name with the viewer's own query,
// not a URL). resource is that name, query the whole query of the
// play path (signing parameters included). It returns nil when the stream
// may be played.
type VerifyFunc func(resource string, query url.Values, clientIP net.IP, now time.Time) error

// Verifier returns the check for a streaming distribution's trusted
// signers (AWS account numbers or "self"). The RTMP edge calls it for
// every play of a distribution whose TrustedSigners are enabled.
type Verifier func(trustedSigners []string) VerifyFunc

// errNoVerifier refuses private streams when no verifier is wired:
// private content fails closed.
var errNoVerifier = errors.New("rtmp: signed streams cannot be verified: no verifier configured")
