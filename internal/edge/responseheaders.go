package edge

import (
	"net/http"

	"openfront/internal/responseheaders"
)

// answerPreflight answers a CORS preflight request at the edge, without
// asking the origin, when the behaviour's response headers policy has a
// CORS configuration allowing the request's Origin (the behaviour allows
// OPTIONS: requestFilter has checked the method). It answers before the
// signature check: browsers send preflights without credentials.
func (x *exchange) answerPreflight() bool {
	p := x.beh.ResponseHeaders
	if !responseheaders.IsPreflight(p, x.r.Method, x.r.Header) {
		return false
	}
	h := x.w.Header()
	h["Server"] = serverCloudFront
	h["Content-Length"] = zeroLength
	x.status = http.StatusNoContent
	x.stampHeaders(false, 0)
	responseheaders.ApplyPreflight(p, x.r.Header, h)
	x.w.WriteHeader(http.StatusNoContent)
	return true
}

var (
	serverCloudFront = []string{"CloudFront"}
	zeroLength       = []string{"0"}
)
