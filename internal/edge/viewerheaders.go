package edge

import "net/http"

// generatedHeaders returns the edge's values of the named CloudFront
// request headers (package cfheaders) for this viewer (see
// planner.generated).
func (x *exchange) generatedHeaders(names []string) http.Header {
	h := headOf(x.r)
	return x.s.planner().generated(&h, names)
}
