package edge

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"

	"openfront/internal/cache"
	"openfront/internal/httpcache"
	"openfront/internal/origin"
)

// failedFetchResult is what a fill stores when the origin could not be
// asked at all (refused, unreachable, timed out: origin.Error): the edge's
// own 502 or 504 page, cached like an origin's 502 or 504 for the status's
// ErrorCachingMinTTL (10 s by default), so that while an origin is down
// each request does not try it ConnectionAttempts times again. AWS "How
// CloudFront processes HTTP 4xx and 5xx status codes from your origin": "If
// the origin doesn't respond, the CloudFront request to the origin times
// out which is considered an HTTP 5xx error from the origin", and such
// errors are cached for the error caching minimum TTL. It returns nil when
// the error is not an origin failure or that TTL is 0 (not cached).
func (x *exchange) failedFetchResult(err error) *cache.FetchResult {
	var oe *origin.Error
	if !errors.As(err, &oe) {
		return nil
	}
	status, reason := x.originFailure(err)
	now := x.s.now()
	minTTL := x.errorCachingMinTTL(status)
	d := httpcache.DecideErrorTTL(&minTTL, x.beh.Policy.MaxTTL, status, http.Header{}, now)
	if !d.Cacheable {
		return nil
	}
	body := errorPage(status, reason, x.reqID)
	h := http.Header{
		"Content-Type":   {"text/html"},
		"Server":         {"CloudFront"},
		"Content-Length": {strconv.Itoa(len(body))},
	}
	return &cache.FetchResult{Status: status, Header: h, Expires: now.Add(d.TTL), Size: int64(len(body)),
		Body: io.NopCloser(bytes.NewReader(body)), Cacheable: x.key != ""}
}
