package edge

import (
	"errors"
	"net/http"
	"net/netip"
	"strconv"

	"openfront/internal/geo"
	"openfront/internal/signedurl"
)

// geoFilter applies the distribution's geo restriction to the viewer's
// address (the TCP peer, not X-Forwarded-For; spec edge.md §9). A viewer
// whose country is unknown is served.
func (x *exchange) geoFilter() bool {
	g := x.dist.Config.GeoRestriction
	if g.Type == "" || g.Type == geo.RestrictionNone {
		return true
	}
	country, known := "", false
	if x.s.opts.Geo != nil {
		if ap, err := netip.ParseAddrPort(x.r.RemoteAddr); err == nil {
			country, known = x.s.opts.Geo.Country(ap.Addr().Unmap())
		}
	}
	if geo.Allowed(g.Type, g.Locations, country, known) {
		return true
	}
	x.detail = "ClientGeoBlocked"
	x.edgeError(http.StatusForbidden, "The Amazon CloudFront distribution is configured to block access from your country.")
	return false
}

// checkSignature requires a valid signed URL or signed cookies made with
// one of the behaviour's trusted keys (spec edge.md §8); a failure is a 403
// with CloudFront's XML error body.
func (x *exchange) checkSignature() bool {
	req := signedurl.FromHTTP(x.r, x.https)
	req.Path, req.Received = x.accessPath, req.Path // resources are matched on the access form
	err := x.s.opts.Signed.Verify(req, signedurl.KeySet(x.beh.TrustedKeys), x.now)
	if err == nil {
		return true
	}
	var se *signedurl.Error
	if !errors.As(err, &se) {
		se = signedurl.ErrMalformedRequest
	}
	body := se.XML()
	x.result = "Error"
	x.status = http.StatusForbidden
	x.detail = "InvalidRequest"
	h := x.w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Server", "CloudFront")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	x.stampHeaders(false, 0)
	x.w.WriteHeader(http.StatusForbidden)
	if x.r.Method != http.MethodHead {
		x.w.Write(body)
	}
	return false
}
