package model

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Continuous deployment policies ("Use CloudFront continuous deployment to
// safely test CDN configuration changes", Amazon CloudFront Developer
// Guide): a primary distribution names one in its
// ContinuousDeploymentPolicyId, and the policy says which share of the
// primary's viewer requests its staging distribution serves. Stored under
// cdpolicy/<id>.

// The traffic configuration types (ContinuousDeploymentPolicyType).
const (
	TrafficSingleWeight = "SingleWeight"
	TrafficSingleHeader = "SingleHeader"
)

// Limits of a policy ("Quotas and other considerations for continuous
// deployment", Amazon CloudFront Developer Guide; API Reference,
// ContinuousDeploymentSingleWeightConfig, SessionStickinessConfig and
// ContinuousDeploymentSingleHeaderConfig).
const (
	// MaxStagingWeight is the largest share of requests a weight-based
	// configuration may send to the staging distribution (15%).
	MaxStagingWeight = 0.15
	// MinStickinessTTL and MaxStickinessTTL bound IdleTTL and MaximumTTL,
	// in seconds.
	MinStickinessTTL = 300
	MaxStickinessTTL = 3600
	// StagingHeaderPrefix starts every header a header-based
	// configuration routes on ("Headers routed to your staging
	// distribution must contain the prefix aws-cf-cd-").
	StagingHeaderPrefix = "aws-cf-cd-"
)

// ContinuousDeploymentPolicy is a parsed ContinuousDeploymentPolicyConfig.
type ContinuousDeploymentPolicy struct {
	// StagingDNSNames are the staging distributions' domain names (the
	// API names them by DNS name, d111111abcdef8.cloudfront.net).
	StagingDNSNames []string
	Enabled         bool
	// Type is TrafficSingleWeight, TrafficSingleHeader or "" (no
	// TrafficConfig: nothing is routed to staging).
	Type string
	// Weight is the share (0..0.15) of requests sent to staging; its
	// text is kept as sent so that a read gives back the same digits.
	Weight     float64
	WeightText string
	// Sticky: SessionStickinessConfig was given (IdleTTL, MaximumTTL in
	// seconds).
	Sticky            bool
	IdleTTL, MaxTTL   int64
	Header, HeaderVal string
}

// ContinuousDeploymentPolicyRecord is a stored policy.
type ContinuousDeploymentPolicyRecord struct {
	ID           string
	LastModified time.Time
	Policy       ContinuousDeploymentPolicy
	// SessionEpoch numbers the policy's generation of sticky sessions:
	// "CloudFront resets all sessions (even active ones)" when the policy
	// or its session stickiness is disabled or enabled ("Learn how
	// continuous deployment works"), so those changes start a new epoch
	// and the edge ignores session cookies of an older one.
	SessionEpoch int64
}

// NextSessionEpoch is the epoch of a policy changed from old to next.
func NextSessionEpoch(epoch int64, old, next ContinuousDeploymentPolicy) int64 {
	if old.Enabled != next.Enabled || old.Sticky != next.Sticky {
		return epoch + 1
	}
	return epoch
}

// ParseContinuousDeploymentPolicyConfig reads and checks a
// ContinuousDeploymentPolicyConfig (the decoder checked the types, the
// required members and the quantities). Every problem is InvalidArgument,
// the error botocore's model lists for Create and Update.
func ParseContinuousDeploymentPolicyConfig(t Tree) (ContinuousDeploymentPolicy, error) {
	p := ContinuousDeploymentPolicy{
		StagingDNSNames: StringItems(t, "StagingDistributionDnsNames"),
		Enabled:         Bool(t, "Enabled"),
	}
	if len(p.StagingDNSNames) == 0 {
		return p, Errorf("InvalidArgument", "StagingDistributionDnsNames must name the staging distribution.")
	}
	if len(p.StagingDNSNames) > 1 {
		return p, Errorf("InvalidArgument", "StagingDistributionDnsNames can name only one staging distribution.")
	}
	// Kept as sent (a read gives them back unchanged); compared without
	// case or a final dot (StagingDomain).
	tc := Sub(t, "TrafficConfig")
	if tc == nil {
		return p, nil
	}
	p.Type = StrOr(tc, "", "Type")
	weight, header := Sub(tc, "SingleWeightConfig"), Sub(tc, "SingleHeaderConfig")
	switch p.Type {
	case TrafficSingleWeight:
		if weight == nil || header != nil {
			return p, Errorf("InvalidArgument", "A TrafficConfig of Type SingleWeight needs SingleWeightConfig and no SingleHeaderConfig.")
		}
		p.WeightText = StrOr(weight, "", "Weight")
		w, err := strconv.ParseFloat(p.WeightText, 64)
		if err != nil || math.IsNaN(w) || w < 0 || w > MaxStagingWeight {
			return p, Errorf("InvalidArgument", "Weight must be a number from 0 to %.2f (the share of requests sent to the staging distribution), not %q.", MaxStagingWeight, p.WeightText)
		}
		p.Weight = w
		if s := Sub(weight, "SessionStickinessConfig"); s != nil {
			p.Sticky = true
			idle, okIdle := Int(s, "IdleTTL")
			maxTTL, okMax := Int(s, "MaximumTTL")
			switch {
			case !okIdle || idle < MinStickinessTTL || idle > MaxStickinessTTL:
				return p, Errorf("InvalidArgument", "IdleTTL must be from %d to %d seconds.", MinStickinessTTL, MaxStickinessTTL)
			case !okMax || maxTTL < MinStickinessTTL || maxTTL > MaxStickinessTTL:
				return p, Errorf("InvalidArgument", "MaximumTTL must be from %d to %d seconds.", MinStickinessTTL, MaxStickinessTTL)
			case idle > maxTTL:
				return p, Errorf("InvalidArgument", "IdleTTL (%d) must be less than or equal to MaximumTTL (%d).", idle, maxTTL)
			}
			p.IdleTTL, p.MaxTTL = idle, maxTTL
		}
	case TrafficSingleHeader:
		if header == nil || weight != nil {
			return p, Errorf("InvalidArgument", "A TrafficConfig of Type SingleHeader needs SingleHeaderConfig and no SingleWeightConfig.")
		}
		p.Header, p.HeaderVal = StrOr(header, "", "Header"), StrOr(header, "", "Value")
		if len(p.Header) <= len(StagingHeaderPrefix) || !strings.EqualFold(p.Header[:len(StagingHeaderPrefix)], StagingHeaderPrefix) || !validHeaderName(p.Header) {
			return p, Errorf("InvalidArgument", "The header %q is not valid: the header of a SingleHeaderConfig must start with %q.", p.Header, StagingHeaderPrefix)
		}
		if p.HeaderVal == "" || p.HeaderVal != strings.TrimSpace(p.HeaderVal) || !validHeaderValue(p.HeaderVal) {
			return p, Errorf("InvalidArgument", "The header value %q is not valid: give a non-empty value of visible characters.", p.HeaderVal)
		}
	default:
		return p, Errorf("InvalidArgument", "TrafficConfig Type must be SingleWeight or SingleHeader.")
	}
	return p, nil
}

// StagingDomain is the staging distribution's domain name, lower-case,
// without a final dot.
func (p ContinuousDeploymentPolicy) StagingDomain() string {
	if len(p.StagingDNSNames) == 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(p.StagingDNSNames[0], "."))
}

// Config is the policy as a ContinuousDeploymentPolicyConfig document.
func (p ContinuousDeploymentPolicy) Config() Tree {
	t := Tree{
		"StagingDistributionDnsNames": Wrapper(p.StagingDNSNames),
		"Enabled":                     strconv.FormatBool(p.Enabled),
	}
	switch p.Type {
	case TrafficSingleWeight:
		w := Tree{"Weight": p.WeightText}
		if p.Sticky {
			w["SessionStickinessConfig"] = Tree{"IdleTTL": strconv.FormatInt(p.IdleTTL, 10), "MaximumTTL": strconv.FormatInt(p.MaxTTL, 10)}
		}
		t["TrafficConfig"] = Tree{"Type": p.Type, "SingleWeightConfig": w}
	case TrafficSingleHeader:
		t["TrafficConfig"] = Tree{"Type": p.Type, "SingleHeaderConfig": Tree{"Header": p.Header, "Value": p.HeaderVal}}
	}
	return t
}
