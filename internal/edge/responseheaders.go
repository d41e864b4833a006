package edge

import (
	"math/rand/v2"
	"net/http"

	"openfront/internal/responseheaders"
)

// applyResponseHeadersPolicy applies the behaviour's response headers
// policy to a response's headers, and adds Server-Timing when the policy
// samples this response (after the origin's own Server-Timing, which is
// kept).
func (x *exchange) applyResponseHeadersPolicy(h http.Header) {
	p := x.beh.ResponseHeaders
	responseheaders.Apply(p, x.r.Header, h)
	if !responseheaders.ServerTimingSampled(p, x.r.Header, rand.Float64()*100) {
		return
	}
	elapsed := x.s.now().Sub(x.start)
	t := responseheaders.Timing{Result: x.result, Pop: x.s.pop[0], RequestID: x.reqID, DownstreamFirstByte: elapsed}
	asked := x.result == "Miss" || x.result == "RefreshHit"
	if asked {
		t.Upstream, t.UpstreamFirstByte = true, elapsed // the origin's response headers have just arrived
	}
	v := string(responseheaders.AppendServerTiming(make([]byte, 0, 160), t))
	old := h["Server-Timing"]
	h["Server-Timing"] = append(old[:len(old):len(old)], v) // never into a cached entry's array
}

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
	// Answered from the edge's configuration, without the origin: logged,
	// counted and labelled as a hit.
	x.result = "Hit"
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
