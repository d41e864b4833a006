package model

import (
	"strings"
	"testing"
)

// FuzzParseResponseHeadersPolicyConfig: whatever names and values a
// config carries, an accepted policy only adds valid header fields (a
// token name CloudFront lets policies set, a value without CR, LF or NUL)
// and only allows origins that are "*" or scheme://host with at most a
// leading "*." label.
func FuzzParseResponseHeadersPolicyConfig(f *testing.F) {
	f.Add("X-Site", "v", "Server", "https://*.example.com", "default-src 'self'")
	f.Add("Content-Length", "1", "Via", "*", "")
	f.Add("X-A", "a\r\nSet-Cookie: x", "x-amz-cf-pop", "https://a.*.b", "a\nb")
	f.Fuzz(func(t *testing.T, addName, addValue, removeName, origin, csp string) {
		cfg := Tree{
			"Name":                "p",
			"CustomHeadersConfig": Wrapper([]Tree{{"Header": addName, "Value": addValue, "Override": "true"}}),
			"RemoveHeadersConfig": Wrapper([]Tree{{"Header": removeName}}),
			"CorsConfig": Tree{"AccessControlAllowOrigins": Wrapper([]string{origin}), "AccessControlAllowHeaders": Wrapper([]string{"*"}),
				"AccessControlAllowMethods": Wrapper([]string{"GET"}), "AccessControlAllowCredentials": "false", "OriginOverride": "true"},
			"SecurityHeadersConfig": Tree{"ContentSecurityPolicy": Tree{"Override": "true", "ContentSecurityPolicy": csp}},
		}
		p, err := ParseResponseHeadersPolicyConfig(cfg)
		if err != nil {
			return
		}
		for _, name := range []string{addName, removeName} {
			if !validHeaderName(name) || UnmodifiableResponseHeader(name) {
				t.Fatalf("accepted header name %q", name)
			}
		}
		for _, v := range []string{addValue, csp} {
			if strings.ContainsAny(v, "\r\n\x00") {
				t.Fatalf("accepted header value %q", v)
			}
		}
		if len(p.Security.ContentSecurityPolicy.Value) > maxCSPLength {
			t.Fatalf("accepted a CSP of %d characters", len(csp))
		}
		if origin != "*" {
			_, host, ok := strings.Cut(origin, "://")
			if !ok || strings.ContainsAny(host, "/ \r\n") || strings.Contains(strings.TrimPrefix(host, "*."), "*") {
				t.Fatalf("accepted origin %q", origin)
			}
		}
		// The config it answers with parses back to the same policy.
		again, err := ParseResponseHeadersPolicyConfig(p.Config())
		if err != nil || again.Name != p.Name || len(again.Custom) != 1 || again.Custom[0] != p.Custom[0] || again.Remove[0] != p.Remove[0] {
			t.Fatalf("round trip: %+v, %v", again, err)
		}
	})
}
