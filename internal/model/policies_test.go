package model_test

import (
	"testing"

	"openfront/internal/model"
)

func orpConfig(behavior string, headers ...string) model.Tree {
	hc := model.Tree{"HeaderBehavior": behavior}
	if len(headers) > 0 {
		hc["Headers"] = wrap(strs(headers...)...)
	}
	return model.Tree{
		"Name":               "p",
		"HeadersConfig":      hc,
		"CookiesConfig":      model.Tree{"CookieBehavior": "none"},
		"QueryStringsConfig": model.Tree{"QueryStringBehavior": "none"},
	}
}

// TestCheckIncomingOriginRequestPolicy: the headers an origin request
// policy may not forward (AWS Knowledge Center, "How do I configure
// CloudFront to forward the Authorization header to the origin?"; API
// reference, ParametersInCacheKeyAndForwardedToOrigin for Accept-Encoding).
func TestCheckIncomingOriginRequestPolicy(t *testing.T) {
	tests := []struct {
		name    string
		cfg     model.Tree
		wantErr string
	}{
		{"whitelist Authorization", orpConfig("whitelist", "X-Trace", "Authorization"), "InvalidArgument"},
		{"whitelist authorization in lower case", orpConfig("whitelist", "authorization"), "InvalidArgument"},
		{"whitelist Accept-Encoding", orpConfig("whitelist", "Accept-Encoding"), "InvalidArgument"},
		{"whitelist ACCEPT-ENCODING", orpConfig("whitelist", "ACCEPT-ENCODING"), "InvalidArgument"},
		{"CloudFront headers with Authorization", orpConfig("allViewerAndWhitelistCloudFront", "Authorization"), "InvalidArgument"},
		// The managed HostHeaderOnly policy is a whitelist of Host.
		{"whitelist Host", orpConfig("whitelist", "Host"), ""},
		{"a name that holds authorization", orpConfig("whitelist", "X-Custom-Authorization"), ""},
		// Leaving Authorization out of all viewer headers is what
		// AllViewerExceptHostHeader-like policies do: allowed.
		{"allExcept Authorization", orpConfig("allExcept", "Authorization", "Accept-Encoding"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := model.ParseOriginRequestPolicyConfig(tc.cfg)
			if err != nil {
				t.Fatalf("a policy that breaks only a newer rule must still read: %v", err)
			}
			err = model.CheckIncomingOriginRequestPolicy(p)
			if got := codeOf(err); got != tc.wantErr {
				t.Errorf("error %v, want code %q", err, tc.wantErr)
			}
		})
	}
}

// TestCheckIncomingCachePolicy: Accept-Encoding may be listed
// in a cache policy's headers only while both EnableAcceptEncoding flags
// are false (API reference, ParametersInCacheKeyAndForwardedToOrigin).
func TestCheckIncomingCachePolicy(t *testing.T) {
	cfg := func(gzip, brotli string, headers ...string) model.Tree {
		return model.Tree{
			"Name": "p", "MinTTL": "0",
			"ParametersInCacheKeyAndForwardedToOrigin": model.Tree{
				"EnableAcceptEncodingGzip":   gzip,
				"EnableAcceptEncodingBrotli": brotli,
				"HeadersConfig":              model.Tree{"HeaderBehavior": "whitelist", "Headers": wrap(strs(headers...)...)},
				"CookiesConfig":              model.Tree{"CookieBehavior": "none"},
				"QueryStringsConfig":         model.Tree{"QueryStringBehavior": "none"},
			},
		}
	}
	tests := []struct {
		name    string
		cfg     model.Tree
		wantErr string
	}{
		{"gzip on", cfg("true", "false", "Accept-Encoding"), "InvalidArgument"},
		{"brotli on", cfg("false", "true", "accept-encoding"), "InvalidArgument"},
		{"both off", cfg("false", "false", "Accept-Encoding"), ""},
		{"Authorization in the key", cfg("true", "true", "Authorization", "Host"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cp, err := model.ParseCachePolicyConfig(tc.cfg)
			if err != nil {
				t.Fatalf("a policy that breaks only a newer rule must still read: %v", err)
			}
			err = model.CheckIncomingCachePolicy(cp)
			if got := codeOf(err); got != tc.wantErr {
				t.Errorf("error %v, want code %q", err, tc.wantErr)
			}
		})
	}
}
