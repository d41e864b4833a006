package model

import (
	"strings"
	"testing"
)

// FuzzParseContinuousDeploymentPolicyConfig: whatever the members hold,
// the parser does not panic, and a config it accepts keeps the documented
// limits and reads back (Config) to a config that parses the same.
func FuzzParseContinuousDeploymentPolicyConfig(f *testing.F) {
	f.Add("d111111abcdef8.cloudfront.net", "SingleWeight", "0.15", "300", "3600", "", "")
	f.Add("d111111abcdef8.cloudfront.net", "SingleHeader", "", "", "", "aws-cf-cd-x", "1")
	f.Add("", "SingleWeight", "NaN", "-1", "1e9", "", "")
	f.Add("D.example.", "SingleHeader", "", "", "", "AWS-CF-CD-", "\r\n")
	f.Add("x", "Other", "0x1p-3", "300", "300", "aws-cf-cd-a b", " v ")
	f.Fuzz(func(t *testing.T, dns, typ, weight, idle, maxTTL, header, value string) {
		tc := Tree{"Type": typ}
		if weight != "" || idle != "" {
			w := Tree{"Weight": weight}
			if idle != "" {
				w["SessionStickinessConfig"] = Tree{"IdleTTL": idle, "MaximumTTL": maxTTL}
			}
			tc["SingleWeightConfig"] = w
		}
		if header != "" || value != "" {
			tc["SingleHeaderConfig"] = Tree{"Header": header, "Value": value}
		}
		cfg := Tree{"StagingDistributionDnsNames": Wrapper([]string{dns}), "Enabled": "true", "TrafficConfig": tc}
		p, err := ParseContinuousDeploymentPolicyConfig(cfg)
		if err != nil {
			return
		}
		switch p.Type {
		case TrafficSingleWeight:
			if !(p.Weight >= 0 && p.Weight <= MaxStagingWeight) {
				t.Fatalf("accepted weight %v", p.Weight)
			}
			if p.Sticky && (p.IdleTTL < MinStickinessTTL || p.MaxTTL > MaxStickinessTTL || p.IdleTTL > p.MaxTTL) {
				t.Fatalf("accepted TTLs %d %d", p.IdleTTL, p.MaxTTL)
			}
		case TrafficSingleHeader:
			if !strings.HasPrefix(strings.ToLower(p.Header), StagingHeaderPrefix) || strings.ContainsAny(p.Header+p.HeaderVal, "\r\n\x00") {
				t.Fatalf("accepted header %q: %q", p.Header, p.HeaderVal)
			}
		}
		again, err := ParseContinuousDeploymentPolicyConfig(p.Config())
		if err != nil || again.Type != p.Type || again.Weight != p.Weight || again.Header != p.Header || again.HeaderVal != p.HeaderVal {
			t.Fatalf("read back %+v (%v), want %+v", again, err, p)
		}
	})
}
