package control

import (
	"strings"
	"testing"
)

// FuzzValidWebACLID: only WAF web ACL ARNs (global scope) and WAF Classic
// ids pass, whatever the input.
func FuzzValidWebACLID(f *testing.F) {
	for _, seed := range []string{
		"473e64fd-f30b-4765-81a0-62ad96dd167a",
		"arn:aws:wafv2:us-east-1:123456789012:global/webacl/ExampleWebACL/473e64fd-f30b-4765-81a0-62ad96dd167a",
		"arn:aws:wafv2:us-east-1:123456789012:regional/webacl/a/b",
		"arn:aws:wafv2:us-east-1:123456789012:global/webacl/a/b/../c",
		"acl-1", "", "null", "arn:aws:wafv2:us-east-1:123456789012:global/webacl/a\n/b",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if !validWebACLID(id) {
			return
		}
		if len(id) > 2048 || strings.ContainsAny(id, " \t\r\n%?#\\") || strings.Contains(id, "..") {
			t.Fatalf("accepted %q", id)
		}
		if strings.HasPrefix(id, "arn:") && !strings.Contains(id, ":global/webacl/") {
			t.Fatalf("accepted a non-global ARN %q", id)
		}
	})
}
