package snapshot

import (
	"encoding/json"
	"slices"
	"testing"
)

// FuzzIgnoredFields: any stored document, however malformed, is walked
// without panicking, and only classified members come back, in order.
func FuzzIgnoredFields(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"IsIPV6Enabled":"false","PriceClass":"PriceClass_100"}`,
		`{"CacheBehaviors":{"Quantity":"1","Items":[{"SmoothStreaming":"true","FunctionAssociations":{"Items":[{"FunctionARN":"x"}]}}]}}`,
		`{"Origins":{"Items":["not a structure",{"OriginShield":{"Enabled":"true"}}]}}`,
		`{"TenantConfig":{"ParameterDefinitions":[{"Name":"p"},"x",null]}}`,
		`{"DefaultCacheBehavior":[],"Origins":{"Items":{"a":1}},"ViewerCertificate":"x"}`,
	} {
		f.Add([]byte(seed))
	}
	var order []string
	for _, r := range reported {
		order = append(order, r.Path)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var cfg map[string]any
		if json.Unmarshal(data, &cfg) != nil {
			return
		}
		last := -1
		for _, p := range IgnoredFields(cfg) {
			i := slices.Index(order, p)
			if i <= last {
				t.Fatalf("%q: unknown or out of order in %v", p, IgnoredFields(cfg))
			}
			last = i
		}
	})
}
