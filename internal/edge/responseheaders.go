package edge

import (
	"math/rand/v2"
	"net/http"

	"openfront/internal/responseheaders"
)

// applyResponseHeadersPolicy applies the behaviour's response headers
// policy to a response's headers (a preflight's CORS answer for a
// preflight), and adds Server-Timing when the policy samples this response
// (after the origin's own Server-Timing, which is kept). storedOnly: h
// has no fields but an object's, named in stored, and the edge's own
// (responseheaders.ApplyStored).
func (x *exchange) applyResponseHeadersPolicy(h http.Header, preflight bool, stored []string, storedOnly bool) {
	p := x.beh.ResponseHeaders
	switch {
	case preflight:
		responseheaders.ApplyPreflight(p, x.r.Header, h)
		return
	case storedOnly:
		responseheaders.ApplyStored(p, x.r.Header, h, stored)
	default:
		responseheaders.Apply(p, x.r.Header, h)
	}
	if p.ServerTiming == nil || !p.ServerTiming.Enabled {
		return // no Server-Timing: no roll of the dice either
	}
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

// preflight reports whether the request is a CORS preflight that the
// behaviour's response headers policy answers at the edge, without
// asking the origin: the plan accepted it, or refused it only for its
// signature (browsers send preflights without credentials).
func (x *exchange) preflight(ref *refusal) bool {
	if x.beh == nil || x.beh.ResponseHeaders == nil || ref != nil && ref.signature == nil {
		return false
	}
	return responseheaders.IsPreflight(x.beh.ResponseHeaders, x.r.Method, x.r.Header)
}

// answerPreflight is the 204 of a preflight, answered from the edge's
// configuration: logged, counted and labelled as a hit.
func (x *exchange) answerPreflight() response {
	resp := generated("Hit", http.StatusNoContent, "", nil)
	resp.preflight, resp.final = true, true
	return resp
}
