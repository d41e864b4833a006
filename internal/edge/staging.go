package edge

import (
	"strconv"
	"strings"
	"time"

	"openfront/internal/snapshot"
)

// Continuous deployment at the edge ("Learn how continuous deployment
// works", Amazon CloudFront Developer Guide): viewers only ever name the
// primary; its policy sends a request to the staging distribution
//   - header mode: when the request carries the policy's header with
//     exactly its value (sent once; a repeated header does not match);
//   - weight mode: with the policy's probability, per request, or per
//     session when session stickiness is on: "CloudFront sets a cookie so
//     that all requests from the same viewer in a single session are
//     served by one distribution, either the primary or staging".
// AWS does not publish the cookie's name or form: OpenFront's is
// stickinessCookie (neither keyed nor forwarded to the origin), valued "s"
// (staging) or "p" (primary), the session's start in Unix seconds, "."
// and the policy's session epoch (a new epoch resets every session); every
// response of a session renews it for IdleTTL, never past MaxTTL from the
// start (docs/continuous-deployment.md). A disabled staging distribution serves nothing: its
// share goes to the primary.

// stickinessCookie is the weight mode's session cookie.
const stickinessCookie = snapshot.StickinessCookie

// stagingSession is the session cookie a response sends (set false:
// none).
type stagingSession struct {
	set     bool
	staging bool
	start   int64 // Unix seconds
	epoch   int64
	maxAge  int64 // seconds
}

// routeStaging decides whether the staging distribution serves the
// request and, when it does, makes it the plan's distribution.
func (pl planner) routeStaging(p *plan, h *requestHead, now time.Time) {
	r := p.dist.Staging
	p.primary = p.dist
	if !r.Staging.Config.Enabled {
		return
	}
	toStaging := false
	switch {
	case r.HeaderMode():
		v, ok := h.header.Only(r.Header)
		toStaging = ok && v == r.Value
	case r.Sticky:
		p.session = pl.stickySession(r, h, now)
		toStaging = p.session.staging
	default:
		toStaging = pl.drawn() < r.Weight
	}
	if toStaging {
		p.dist = r.Staging
	}
}

// stickySession continues the viewer's session when its cookie names one
// that has not reached MaxTTL (IdleTTL is the cookie's own lifetime), and
// starts a new one, drawn with the policy's weight, otherwise.
func (pl planner) stickySession(r *snapshot.StagingRoute, h *requestHead, now time.Time) stagingSession {
	nowUnix := now.Unix()
	maxTTL, idle := int64(r.MaxTTL/time.Second), int64(r.IdleTTL/time.Second)
	s := stagingSession{set: true, epoch: r.SessionEpoch}
	if staging, start, epoch, ok := sessionCookie(h); ok && epoch == r.SessionEpoch && start <= nowUnix && nowUnix < start+maxTTL {
		s.staging, s.start = staging, start
	} else {
		s.staging, s.start = pl.drawn() < r.Weight, nowUnix
	}
	s.maxAge = min(idle, s.start+maxTTL-nowUnix)
	return s
}

// sessionCookie reads the viewer's stickiness cookie; ok is false when
// there is none or it is malformed.
func sessionCookie(h *requestHead) (staging bool, start, epoch int64, ok bool) {
	for _, line := range h.header.HeaderOf(cookieHeader)["Cookie"] {
		for part := range strings.SplitSeq(line, ";") {
			name, value, found := strings.Cut(strings.TrimSpace(part), "=")
			if !found || name != stickinessCookie || len(value) < 2 {
				continue
			}
			startText, epochText, _ := strings.Cut(value[1:], ".")
			start, err1 := strconv.ParseInt(startText, 10, 64)
			epoch, err2 := strconv.ParseInt(epochText, 10, 64)
			if err1 != nil || err2 != nil || start < 0 || value[0] != 's' && value[0] != 'p' {
				return false, 0, 0, false
			}
			return value[0] == 's', start, epoch, true
		}
	}
	return false, 0, 0, false
}

// cookie is the Set-Cookie value that continues the session.
func (s stagingSession) cookie() string {
	kind := "p"
	if s.staging {
		kind = "s"
	}
	return stickinessCookie + "=" + kind + strconv.FormatInt(s.start, 10) + "." + strconv.FormatInt(s.epoch, 10) +
		"; Path=/; Max-Age=" + strconv.FormatInt(s.maxAge, 10) + "; HttpOnly"
}
