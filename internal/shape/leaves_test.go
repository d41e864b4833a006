package shape

import (
	"slices"
	"testing"
)

func TestLeafPaths(t *testing.T) {
	m, err := Load("2020-05-31")
	if err != nil {
		t.Fatal(err)
	}
	leaves := m.LeafPaths("DistributionConfig")
	for _, want := range []string{"CallerReference", "Aliases.Quantity", "Aliases.Items[]", "Origins.Items[].CustomOriginConfig.OriginSslProtocols.Items[]",
		"CacheBehaviors.Items[].FunctionAssociations.Items[].FunctionARN", "TenantConfig.ParameterDefinitions[].Definition.StringSchema.Required"} {
		if !slices.Contains(leaves, want) {
			t.Errorf("no leaf %q", want)
		}
	}
	if leaves[0] != "CallerReference" {
		t.Errorf("first leaf %q: not in model order", leaves[0])
	}
	if got := m.LeafPaths("NoSuchShape"); got != nil {
		t.Errorf("unknown shape: %v", got)
	}
	// Header members are not in the document.
	if got := m.LeafPaths("UpdateDistributionRequest"); slices.Contains(got, "IfMatch") || slices.Contains(got, "Id") {
		t.Errorf("UpdateDistributionRequest leaves include a header or URI member: %v", got[:3])
	}
}
