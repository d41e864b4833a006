package control

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"openfront/internal/model"
	"openfront/internal/snapshot"
)

// FuzzAliasesOverlap: two valid aliases overlap exactly when some host
// name would be routed by the edge to either of them if each were alone
// on a distribution; here checked with the edge's own lookup on the
// aliases themselves and on a name below them. Overlap is symmetric, and
// partlyHidden never shows more than six characters.
func FuzzAliasesOverlap(f *testing.F) {
	for _, s := range [][2]string{
		{"www.example.com", "*.example.com"}, {"*.example.com", "a.b.example.com"}, {"example.com", "*.example.com"},
		{"*.b.example.com", "*.example.com"}, {"www.example.org", "*.example.com"}, {"WWW.example.com", "www.example.com"},
		{"*.com", "x.example.com"}, {"a..b.com", "*.b.com"}, {"*.*.example.com", "a.example.com"},
	} {
		f.Add(s[0], s[1])
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, a, b string) {
		if h := partlyHidden(a); len(h) != len(a) || strings.Count(h, "*") < len(a)-6 {
			t.Fatalf("partlyHidden(%q) = %q", a, h)
		}
		if !model.ValidAlias(a) || !model.ValidAlias(b) {
			return
		}
		a, b = strings.ToLower(a), strings.ToLower(b)
		if aliasesOverlap(a, b) != aliasesOverlap(b, a) {
			t.Fatalf("overlap(%q, %q) is not symmetric", a, b)
		}
		if !aliasesOverlap(a, a) {
			t.Fatalf("%q does not overlap itself", a)
		}
		// A wildcard covers what the edge routes to it.
		if w, n := a, b; strings.HasPrefix(w, "*.") && !strings.HasPrefix(n, "*") {
			snap := snapshot.Compile(1, []*model.DistributionRecord{{ID: "EWILDCARD", DomainName: "d1.cloudfront.net", Config: aliasConfig(w)}}, nil, log)
			routed := snap.Lookup(n) != nil
			if routed != wildcardCovers(w, n) {
				t.Fatalf("edge routes %q to %q: %v; wildcardCovers says %v", n, w, routed, wildcardCovers(w, n))
			}
		}
	})
}

func aliasConfig(alias string) model.Tree {
	return model.Tree{
		"CallerReference": "fuzz", "Comment": "", "Enabled": true,
		"Aliases": model.Wrapper([]string{alias}),
		"Origins": model.Wrapper([]any{model.Tree{"Id": "o", "DomainName": "origin.example.com",
			"CustomOriginConfig": model.Tree{"HTTPPort": "80", "HTTPSPort": "443", "OriginProtocolPolicy": "http-only"}}}),
		"DefaultCacheBehavior": model.Tree{"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
			"CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
	}
}
