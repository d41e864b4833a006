package model_test

import (
	"testing"

	"openfront/internal/model"
)

func customHeaders(names ...string) func(model.Tree) {
	return func(c model.Tree) {
		var hs []any
		for _, n := range names {
			hs = append(hs, model.Tree{"HeaderName": n, "HeaderValue": "v"})
		}
		webOrigin(c)["CustomHeaders"] = wrap(hs...)
	}
}

func originShield(enabled, region string) func(model.Tree) {
	return func(c model.Tree) {
		os := model.Tree{"Enabled": enabled}
		if region != "" {
			os["OriginShieldRegion"] = region
		}
		webOrigin(c)["OriginShield"] = os
	}
}

// TestCheckIncomingDistributionConfig runs one named case per rule of
// model/incoming.go; want is the CloudFront error code, "" for accepted.
// Every refused config still parses (ParseDistributionConfig), so a
// config stored before the rule keeps being served.
func TestCheckIncomingDistributionConfig(t *testing.T) {
	tests := []struct {
		name string
		edit func(model.Tree)
		want string
	}{
		{"base config", func(model.Tree) {}, ""},
		// Developer Guide, "Add custom headers to origin requests":
		// "Custom headers that CloudFront can't add to origin requests".
		{"custom header X-Secret", customHeaders("X-Secret", "Origin", "Authorization"), ""},
		{"custom header Host", customHeaders("Host"), "InvalidArgument"},
		{"custom header host in lower case", customHeaders("host"), "InvalidArgument"},
		{"custom header Cache-Control", customHeaders("Cache-Control"), "InvalidArgument"},
		{"custom header Cookie", customHeaders("X-A", "Cookie"), "InvalidArgument"},
		{"custom header If-None-Match", customHeaders("If-None-Match"), "InvalidArgument"},
		{"custom header TE", customHeaders("TE"), "InvalidArgument"},
		{"custom header Transfer-Encoding", customHeaders("Transfer-Encoding"), "InvalidArgument"},
		{"custom header Via", customHeaders("Via"), "InvalidArgument"},
		{"custom header X-Real-Ip", customHeaders("X-Real-IP"), "InvalidArgument"},
		{"custom header X-Amz-Foo", customHeaders("X-Amz-Foo"), "InvalidArgument"},
		{"custom header x-amz-date", customHeaders("x-amz-date"), "InvalidArgument"},
		{"custom header X-Edge-Location", customHeaders("X-Edge-Location"), "InvalidArgument"},
		{"custom header X-Amzn-Trace-Id (not X-Amz-)", customHeaders("X-Amzn-Trace-Id"), ""},
		{"custom header X-Hostname (not Host)", customHeaders("X-Hostname"), ""},
		{"custom header twice", customHeaders("X-Secret", "X-Secret"), "InvalidArgument"},
		{"custom header twice in different case", customHeaders("X-Secret", "x-secret"), "InvalidArgument"},
		// API reference, OriginGroup: a primary and a secondary origin.
		{"origin group of two origins", func(c model.Tree) {
			c["OriginGroups"] = wrap(originGroup("g", []string{"500", "503"}, "web", "s3"))
		}, ""},
		{"origin group with one origin twice", func(c model.Tree) {
			c["OriginGroups"] = wrap(originGroup("g", []string{"500"}, "web", "web"))
		}, "InvalidArgument"},
		// API reference, OriginShield; Developer Guide, "Choose the AWS
		// Region for Origin Shield".
		{"Origin Shield in us-east-2", originShield("true", "us-east-2"), ""},
		{"Origin Shield in sa-east-1", originShield("true", "sa-east-1"), ""},
		{"Origin Shield disabled, no region", originShield("false", ""), ""},
		{"Origin Shield enabled, no region", originShield("true", ""), "InvalidArgument"},
		{"Origin Shield in mars-1", originShield("true", "mars-1"), "InvalidArgument"},
		{"Origin Shield in a Region name", originShield("true", "US East (Ohio)"), "InvalidArgument"},
		{"Origin Shield in a Region without it", originShield("true", "us-west-1"), "InvalidArgument"},
		{"Origin Shield disabled in mars-1", originShield("false", "mars-1"), "InvalidArgument"},
		// The docs do not refuse a status code listed twice.
		{"origin group with a status code twice", func(c model.Tree) {
			c["OriginGroups"] = wrap(originGroup("g", []string{"500", "500"}, "web", "s3"))
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := baseConfig()
			tc.edit(c)
			if _, err := model.ParseDistributionConfig(c); err != nil {
				t.Fatalf("ParseDistributionConfig: %v", err)
			}
			err := model.CheckIncomingDistributionConfig(c)
			if got := codeOf(err); got != tc.want {
				t.Errorf("error %v, want code %q", err, tc.want)
			}
		})
	}
}
