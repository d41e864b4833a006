package snapshot

import (
	"log/slog"
	"net/textproto"
	"time"

	"openfront/internal/model"
)

// StagingRoute is a primary's enabled continuous deployment policy,
// compiled: which of the primary's viewer requests its staging
// distribution serves ("Learn how continuous deployment works", Amazon
// CloudFront Developer Guide). The edge decides per request
// (internal/edge, routeStaging); the staging distribution keeps its own
// cache keys, since they start with its id.
type StagingRoute struct {
	PolicyID string
	Staging  *Distribution
	// Header mode: requests carrying Header (canonical) with exactly
	// Value go to staging.
	Header, Value string
	// Weight mode: that share of requests (of sessions, when Sticky) go
	// to staging; a session ends IdleTTL after its last request or
	// MaxTTL after its first.
	Weight          float64
	Sticky          bool
	IdleTTL, MaxTTL time.Duration
	// SessionEpoch: session cookies of another epoch start a new session
	// (model.ContinuousDeploymentPolicyRecord.SessionEpoch).
	SessionEpoch int64
}

// StickinessCookie is the weight mode's session cookie (OpenFront's name:
// AWS does not publish CloudFront's; docs/continuous-deployment.md). Like
// signed cookies it is for the edge: it is neither keyed nor forwarded.
const StickinessCookie = "aws-cf-cd-stickiness"

// HeaderMode reports a header-based policy.
func (r *StagingRoute) HeaderMode() bool { return r.Header != "" }

// compileStaging gives each primary whose policy is enabled and names a
// staging distribution of the snapshot its StagingRoute. stagings are the
// staging distributions by lower-case domain name; they are not in byHost:
// "Viewers cannot send requests directly to a staging distribution using
// a DNS name, IP address, or CNAME".
func (r *records) compileStaging(s *Snapshot, stagings map[string]*Distribution) {
	for _, d := range s.Distributions {
		id := d.Config.ContinuousDeploymentPolicyID
		if id == "" || d.Config.Staging {
			continue
		}
		rec := r.cdPolicies[model.ContinuousDeploymentPolicyKey(id)]
		if rec == nil || !rec.Policy.Enabled || rec.Policy.Type == "" || len(rec.Policy.StagingDNSNames) == 0 {
			continue
		}
		staging := stagings[rec.Policy.StagingDomain()]
		if staging == nil {
			continue
		}
		p := rec.Policy
		route := &StagingRoute{PolicyID: id, Staging: staging}
		switch p.Type {
		case model.TrafficSingleHeader:
			route.Header, route.Value = textproto.CanonicalMIMEHeaderKey(p.Header), p.HeaderVal
		case model.TrafficSingleWeight:
			if p.Weight <= 0 {
				continue // nothing would ever go to staging
			}
			route.Weight, route.Sticky = p.Weight, p.Sticky
			route.IdleTTL, route.MaxTTL = time.Duration(p.IdleTTL)*time.Second, time.Duration(p.MaxTTL)*time.Second
			route.SessionEpoch = rec.SessionEpoch
		default:
			continue
		}
		d.Staging = route
		if route.Sticky {
			skipStickinessCookie(d)
			skipStickinessCookie(staging)
		}
	}
}

// skipStickinessCookie keeps the session cookie out of the cache keys and
// origin requests of every behaviour of d.
func skipStickinessCookie(d *Distribution) {
	for _, b := range d.Behaviors {
		prev := b.Policy.SkipCookie
		b.Policy.SkipCookie = func(name string) bool {
			return name == StickinessCookie || prev != nil && prev(name)
		}
	}
}

// CompileWithPolicies is Compile with the continuous deployment policies
// the distributions name (tests and benchmarks).
func CompileWithPolicies(rev int64, dists []*model.DistributionRecord, policies []*model.ContinuousDeploymentPolicyRecord) *Snapshot {
	r := newRecords()
	for _, d := range dists {
		r.dists[model.DistributionKey(d.ID)] = d
	}
	for _, p := range policies {
		r.cdPolicies[model.ContinuousDeploymentPolicyKey(p.ID)] = p
	}
	return r.compile(rev, slog.Default())
}
