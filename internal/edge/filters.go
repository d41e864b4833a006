package edge

import (
	"net/http"
	"strconv"

	"openfront/internal/signedurl"
)

// signatureError answers a request whose signed URL or signed cookies do
// not verify: 403 with CloudFront's XML error body (spec edge.md §8).
func (x *exchange) signatureError(se *signedurl.Error) {
	body := se.XML()
	x.result = "Error"
	x.status = http.StatusForbidden
	h := x.w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Server", "CloudFront")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	x.stampHeaders(false, 0)
	x.w.WriteHeader(http.StatusForbidden)
	if x.r.Method != http.MethodHead {
		x.w.Write(body)
	}
}
