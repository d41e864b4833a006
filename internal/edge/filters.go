package edge

import (
	"net/http"

	"openfront/internal/signedurl"
)

// signatureError answers a request whose signed URL or signed cookies do
// not verify: 403 with CloudFront's XML error body (spec edge.md §8).
func (x *exchange) signatureError(se *signedurl.Error) {
	resp := generated("Error", http.StatusForbidden, "text/xml", se.XML())
	resp.final = true
	x.write(resp)
}
