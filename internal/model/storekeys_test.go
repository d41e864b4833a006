package model

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// storeKeyFamilies pins every key family's bytes: they are the storage
// format of existing data directories, so a change here is a migration,
// not a refactor.
var storeKeyFamilies = []struct {
	name, got, want string
}{
	// Records.
	{"DistributionPrefix", DistributionPrefix, "dist/"},
	{"StreamingDistributionPrefix", StreamingDistributionPrefix, "sdist/"},
	{"OAIPrefix", OAIPrefix, "oai/"},
	{"InvalidationPrefix", InvalidationPrefix, "inval/"},
	{"PublicKeyPrefix", PublicKeyPrefix, "pubkey/"},
	{"KeyGroupPrefix", KeyGroupPrefix, "keygroup/"},
	{"OACPrefix", OACPrefix, "oac/"},
	{"CachePolicyPrefix", CachePolicyPrefix, "cachepolicy/"},
	{"OriginRequestPolicyPrefix", OriginRequestPolicyPrefix, "originrequestpolicy/"},
	{"ResponseHeadersPolicyPrefix", ResponseHeadersPolicyPrefix, "responseheaderspolicy/"},
	{"RealtimeLogConfigPrefix", RealtimeLogConfigPrefix, "rtlogconfig/"},
	{"FunctionPrefix", FunctionPrefix, "function/"},
	{"KeyValueStorePrefix", KeyValueStorePrefix, "kvs/"},
	{"KeyValueStoreItemPrefix", KeyValueStoreItemPrefix, "kvsitem/"},
	{"FLEConfigPrefix", FLEConfigPrefix, "fleconfig/"},
	{"FLEProfilePrefix", FLEProfilePrefix, "fleprofile/"},
	{"ContinuousDeploymentPolicyPrefix", ContinuousDeploymentPolicyPrefix, "cdpolicy/"},
	{"MonitoringSubscriptionPrefix", MonitoringSubscriptionPrefix, "monsub/"},
	{"LightsailDistributionPrefix", LightsailDistributionPrefix, "lsdist/"},
	{"LightsailOperationPrefix", LightsailOperationPrefix, "lsop/"},
	// Attached data.
	{"TagsPrefix", TagsPrefix, "tags/"},
	// Uniqueness indexes.
	{"AliasPrefix", AliasPrefix, "alias/"},
	{"CDStagingPrefix", CDStagingPrefix, "cdstaging/"},
	{"CallerRefDistributionPrefix", CallerRefDistributionPrefix, "callerref/dist/"},
	{"CallerRefStreamingDistributionPrefix", CallerRefStreamingDistributionPrefix, "callerref/sdist/"},
	{"CallerRefOAIPrefix", CallerRefOAIPrefix, "callerref/oai/"},
	{"CallerRefPublicKeyPrefix", CallerRefPublicKeyPrefix, "callerref/pubkey/"},
	{"CallerRefInvalidationPrefix", CallerRefInvalidationPrefix, "callerref/inval/"},
	{"CallerRefFLEConfigPrefix", CallerRefFLEConfigPrefix, "callerref/fleconfig/"},
	{"CallerRefFLEProfilePrefix", CallerRefFLEProfilePrefix, "callerref/fleprofile/"},
	{"NamePublicKeyPrefix", NamePublicKeyPrefix, "name/pubkey/"},
	{"NameKeyGroupPrefix", NameKeyGroupPrefix, "name/keygroup/"},
	{"NameOACPrefix", NameOACPrefix, "name/oac/"},
	{"NameFLEProfilePrefix", NameFLEProfilePrefix, "name/fleprofile/"},
	{"NameCachePolicyPrefix", NameCachePolicyPrefix, "name/cachepolicy/"},
	{"NameOriginRequestPolicyPrefix", NameOriginRequestPolicyPrefix, "name/originrequestpolicy/"},
	{"NameResponseHeadersPolicyPrefix", NameResponseHeadersPolicyPrefix, "name/responseheaderspolicy/"},
	// Reference indexes.
	{"OAIRefPrefix", OAIRefPrefix, "oairef/"},
	{"OACRefPrefix", OACRefPrefix, "oacref/"},
	{"KeyGroupRefPrefix", KeyGroupRefPrefix, "keygroupref/"},
	{"PublicKeyRefPrefix", PublicKeyRefPrefix, "pubkeyref/"},
	{"CachePolicyRefPrefix", CachePolicyRefPrefix, "cpref/"},
	{"OriginRequestPolicyRefPrefix", OriginRequestPolicyRefPrefix, "orpref/"},
	{"ResponseHeadersPolicyRefPrefix", ResponseHeadersPolicyRefPrefix, "rhpref/"},
	{"RealtimeLogConfigRefPrefix", RealtimeLogConfigRefPrefix, "rtlogref/"},
	{"FunctionRefPrefix", FunctionRefPrefix, "functionref/"},
	{"KeyValueStoreRefPrefix", KeyValueStoreRefPrefix, "kvsref/"},
	{"FLEConfigRefPrefix", FLEConfigRefPrefix, "fleconfigref/"},
	{"FLEProfileRefPrefix", FLEProfileRefPrefix, "fleprofileref/"},
	{"ContinuousDeploymentPolicyRefPrefix", ContinuousDeploymentPolicyRefPrefix, "cdref/"},
}

func TestStoreKeyFamiliesPinned(t *testing.T) {
	for _, f := range storeKeyFamilies {
		if f.got != f.want {
			t.Errorf("%s = %q, want %q: stored keys must not change", f.name, f.got, f.want)
		}
	}
}

// TestStoreKeyFamiliesAllListed: every constant of storekeys.go is in the
// table above (so it is pinned and checked for overlaps), and the table
// names nothing else.
func TestStoreKeyFamiliesAllListed(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "storekeys.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Errorf("%s: a key family is a plain string literal", n.Name)
					continue
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				declared[n.Name] = v
			}
		}
	}
	listed := map[string]bool{}
	for _, fam := range storeKeyFamilies {
		listed[fam.name] = true
		if v, ok := declared[fam.name]; !ok {
			t.Errorf("%s is listed but not declared in storekeys.go", fam.name)
		} else if v != fam.want {
			t.Errorf("storekeys.go declares %s = %q, the table pins %q", fam.name, v, fam.want)
		}
	}
	for name := range declared {
		if !listed[name] {
			t.Errorf("%s is declared in storekeys.go but not pinned in storeKeyFamilies", name)
		}
	}
}

func TestStoreKeyFamiliesDisjoint(t *testing.T) {
	seen := map[string]string{}
	for _, f := range storeKeyFamilies {
		if f.want == "" || !strings.HasSuffix(f.want, "/") {
			t.Errorf("%s = %q: a family ends in /", f.name, f.want)
		}
		if other, ok := seen[f.want]; ok {
			t.Errorf("%s and %s are both %q", f.name, other, f.want)
		}
		seen[f.want] = f.name
	}
	for _, a := range storeKeyFamilies {
		for _, b := range storeKeyFamilies {
			if a.name != b.name && strings.HasPrefix(b.want, a.want) {
				t.Errorf("%s (%q) is a prefix of %s (%q): List(%q) would return %s keys", a.name, a.want, b.name, b.want, a.want, b.name)
			}
		}
	}
}

func TestStoreKeyBuilders(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{DistributionKey("E1"), "dist/E1"},
		{StreamingDistributionKey("S1"), "sdist/S1"},
		{OAIKey("O1"), "oai/O1"},
		{InvalidationsPrefix("E1"), "inval/E1/"},
		{InvalidationKey("E1", "I1"), "inval/E1/I1"},
		{PublicKeyKey("K1"), "pubkey/K1"},
		{KeyGroupKey("G1"), "keygroup/G1"},
		{OACKey("A1"), "oac/A1"},
		{CachePolicyKey("c"), "cachepolicy/c"},
		{OriginRequestPolicyKey("o"), "originrequestpolicy/o"},
		{RealtimeLogConfigKey("l"), "rtlogconfig/l"},
		{FunctionKey("f"), "function/f"},
		{KeyValueStoreKey("s"), "kvs/s"},
		{KeyValueStoreItemsPrefix("id"), "kvsitem/id/"},
		{KeyValueStoreItemKey("id", "a/b"), "kvsitem/id/a/b"},
		{FLEConfigKey("C1"), "fleconfig/C1"},
		{FLEProfileKey("P1"), "fleprofile/P1"},
		{ContinuousDeploymentPolicyKey("p"), "cdpolicy/p"},
		{MonitoringSubscriptionKey("E1"), "monsub/E1"},
		{LightsailDistributionKey("n"), "lsdist/n"},
		{LightsailOperationKey("op"), "lsop/op"},
		{TagsKey("distribution/E1"), "tags/distribution/E1"},
		{RefsPrefix(ContinuousDeploymentPolicyRefPrefix, "p"), "cdref/p/"},
		{RefKey(ContinuousDeploymentPolicyRefPrefix, "p", "dist/E1"), "cdref/p/dist/E1"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if id, key, ok := SplitKeyValueStoreItemKey("kvsitem/id/a/b"); !ok || id != "id" || key != "a/b" {
		t.Errorf("SplitKeyValueStoreItemKey = %q, %q, %v", id, key, ok)
	}
	if _, _, ok := SplitKeyValueStoreItemKey("kvs/id/a"); ok {
		t.Error("SplitKeyValueStoreItemKey accepted a key outside kvsitem/")
	}
}
