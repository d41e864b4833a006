package edge

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"time"

	"openfront/internal/fle"
)

// Field-level encryption ("Use field-level encryption to help protect
// sensitive data", Amazon CloudFront Developer Guide). The plan picks the
// profile from the request head (planner.plan: content type, fle-profile
// query argument; a request the configuration blocks is refused there);
// encryptBody rewrites the body while the origin request is built
// (passThrough): buffered up to the 1 MB quota, each matching form field
// replaced by its encrypted value. What the guide leaves open (the status
// of a blocked or oversize request) is OpenFront's choice: 400, or 413
// for a body over 1 MB, with CloudFront's error page.

// fleBodyTimeout bounds the time a viewer may take to send a body the edge
// must buffer to encrypt (a slow client holds no buffer longer); 408 after.
var fleBodyTimeout = 30 * time.Second

var (
	refuseFLE = refusal{status: http.StatusBadRequest, viewerFault: true,
		reason: "Bad request. The request cannot be forwarded: its content type or field-level encryption profile is not allowed."}
	contentTypeField = []string{"Content-Type"}
)

// encryptBody reads the viewer's body and returns it with the profile's
// fields encrypted, or the response that ends the request.
func (x *exchange) encryptBody(body io.Reader) ([]byte, *response) {
	rc := http.NewResponseController(x.w)
	fail := func(status int, reason string) ([]byte, *response) {
		resp := x.refuseBody(status, reason) // body.go
		return nil, &resp
	}
	if enc := x.r.Header.Get("Content-Encoding"); enc != "" && enc != "identity" {
		// An encoded body cannot be read for fields: refused rather than
		// forwarded with the fields in clear.
		return fail(http.StatusBadRequest, "Bad request. A request body with field-level encryption cannot have a Content-Encoding.")
	}
	if x.r.ContentLength > fle.MaxBody {
		return fail(http.StatusRequestEntityTooLarge, "Request Entity Too Large. The request body is longer than field-level encryption allows (1 MB).")
	}
	// A socket deadline, on the wall clock; not every transport has one.
	_ = rc.SetReadDeadline(time.Now().Add(fleBodyTimeout))
	var b []byte
	var err error
	if body != nil {
		b, err = fle.ReadBody(body)
	}
	switch {
	case errors.Is(err, fle.ErrBodyTooLarge):
		return fail(http.StatusRequestEntityTooLarge, "Request Entity Too Large. The request body is longer than field-level encryption allows (1 MB).")
	case err != nil:
		resp := x.viewerBodyFailed(err) // body.go: 408, 400, or the viewer left
		return nil, &resp
	}
	_ = rc.SetReadDeadline(time.Time{})
	out, err := fle.EncryptForm(b, x.plan.fle, rand.Reader)
	switch {
	case errors.Is(err, fle.ErrMalformed):
		return fail(http.StatusBadRequest, "Bad request. The request body is not a valid form for field-level encryption.")
	case errors.Is(err, fle.ErrTooManyFields):
		return fail(http.StatusBadRequest, "Bad request. Field-level encryption encrypts at most 10 fields of a request.")
	case errors.Is(err, fle.ErrFieldTooLong):
		return fail(http.StatusBadRequest, "Bad request. A field to encrypt is longer than field-level encryption allows (16 KB).")
	case err != nil:
		x.s.opts.Log.Error("edge: field-level encryption failed", "dist_id", x.dist.ID, "err", err, "request_id", x.reqID)
		return fail(http.StatusInternalServerError, "Internal error.")
	}
	return out, nil
}

// fleBody is passThrough's body and length after field-level encryption
// (unchanged when the plan chose no profile).
func (x *exchange) fleBody(body io.Reader, length int64) (io.Reader, int64, *response) {
	if x.plan.fle == nil {
		return body, length, nil
	}
	b, resp := x.encryptBody(body)
	if resp != nil {
		return nil, 0, resp
	}
	return bytes.NewReader(b), int64(len(b)), nil
}
