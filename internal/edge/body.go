package edge

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"openfront/internal/httpguard"
)

// The viewer's request body on its way to the origin. When the origin
// request fails because the viewer's body did (too slow, malformed, or
// the viewer left), the failure is the viewer's: no origin failure is
// logged or counted, and the viewer gets CloudFront's 408 or 400 page
// (or nothing, when it left), never the 502 of an origin failure, nor
// net/http's empty 200 for a handler that wrote nothing.

// errViewerBody marks an error reading the viewer's request body, as the
// origin client returns it.
var errViewerBody = errors.New("viewer request body")

// viewerBody is the viewer's request body as the origin client reads it
// (passThrough). It keeps its first read error, as the origin client may
// return another one for the same failure: net/http cancels the request's
// context when a read from the connection fails, and the transport then
// reports the cancellation rather than the body's error.
type viewerBody struct {
	r   io.ReadCloser
	err atomic.Pointer[error]
}

// Close closes the viewer's body, as the origin client closes a request
// body it is done with (over HTTP/3 that tells the viewer to stop
// sending).
func (b *viewerBody) Close() error { return b.r.Close() }

func (b *viewerBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %w", errViewerBody, err)
		b.err.CompareAndSwap(nil, &err)
	}
	return n, err
}

// bodyFailure is the viewer's body error behind a failed origin fetch of
// a request with that body (nil: the viewer's body did not fail).
func bodyFailure(body io.Reader, err error) error {
	if errors.Is(err, errViewerBody) {
		return err
	}
	if vb, ok := body.(*viewerBody); ok {
		if e := vb.err.Load(); e != nil {
			return *e
		}
	}
	return nil
}

// viewerBodyFailed is the answer when reading the viewer's request body
// failed (err): 408 when it did not arrive in time (the guard's body
// deadline, internal/httpguard; RFC 9110 §15.5.9), 400 when it is
// malformed (broken chunked framing, RFC 9112 §7.1; over HTTP/3, a body
// shorter than its Content-Length, RFC 9114 §4.1.2), nothing when the
// viewer left.
func (x *exchange) viewerBodyFailed(err error) response {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		x.detail = "ClientCommError"
		return x.refuseBody(http.StatusRequestTimeout, reasonBodyTimeout)
	case errors.Is(err, httpguard.ErrMalformedBody):
		x.detail = "InvalidRequest"
		return x.refuseBody(http.StatusBadRequest, reasonBodyMalformed)
	case x.r.Context().Err() != nil:
		// The connection failed (net/http cancels the request then):
		// the viewer closed or reset it.
		return response{viewerGone: true}
	}
	// The connection is fine but the body is not: HTTP/3's stream ended
	// before the body's Content-Length, or a body net/http refused.
	x.detail = "InvalidRequest"
	return x.refuseBody(http.StatusBadRequest, reasonBodyMalformed)
}

const (
	reasonBodyTimeout   = "Request Timeout. The request body did not arrive in time."
	reasonBodyMalformed = "Bad request. The request body is malformed."
)

// refuseBody is CloudFront's error page for a request whose body is
// refused, with the connection closed after it. What is left of the body
// is not drained (net/http would wait for it before answering): reads
// fail from now on, and the connection closes after the answer. No
// custom error page replaces it.
func (x *exchange) refuseBody(status int, reason string) response {
	// A socket deadline, on the wall clock; not every transport has one.
	_ = http.NewResponseController(x.w).SetReadDeadline(time.Now())
	resp := x.edgePage(status, reason)
	resp.final = true
	return resp
}
