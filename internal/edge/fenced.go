package edge

import (
	"net/http"
	"time"
)

// An edge that has been away from the fleet (Options.Fence down: its
// lease expired, or the process was paused long enough that it may have,
// so Deployed and Completed may be computed without it) answers
// every viewer request with CloudFront's 503 error page, whatever the
// transport: ServeFast declines while fenced and ServeHTTP, which every
// front falls back to, refuses here. Nothing is looked up, fetched or run.
// The access log records the request as an Error.

// outOfFleetReason is the text of the fenced edge's 503 page.
const outOfFleetReason = "This CloudFront edge is out of contact with the rest of the fleet, so it cannot tell whether its configuration and cache are current. We can't connect to the server for this app or website at this time. Try again later."

// counted reports whether the fleet counts the edge at now, a request's
// time from the connection loop (the zero time: not read, take the
// clock). Call it only with a Fence.
func (s *Server) counted(now time.Time) bool {
	if now.IsZero() {
		now = time.Now()
	}
	return s.opts.Fence.Counted(now)
}

// Counted reports whether the fleet counts the edge now: always without a
// Fence. /healthz and the RTMP edge ask it.
func (s *Server) Counted() bool { return s.opts.Fence == nil || s.opts.Fence.Counted(time.Now()) }

// fenced reports whether this request must be refused because the fleet
// does not count the edge. The exchange's time is the real clock's unless
// a test set Options.Now; the fence is asked with the real one.
func (x *exchange) fenced() bool {
	if x.s.opts.Fence == nil {
		return false
	}
	now := x.now
	if !x.s.realClock {
		now = time.Now()
	}
	return !x.s.opts.Fence.Counted(now)
}

// outOfFleet is the fenced edge's answer: CloudFront's own 503 page, never
// the distribution's custom error page (fetching it could serve what the
// fence protects).
func (x *exchange) outOfFleet() response {
	resp := x.edgePage(http.StatusServiceUnavailable, outOfFleetReason)
	resp.final = true
	return resp
}
