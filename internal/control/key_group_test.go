package control_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"openfront/internal/control"
	"openfront/internal/model"
)

// Key group ids are lower-case UUIDs (OpenFront's choice).
var keyGroupIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func keyGroupCfg(name string, keyIDs ...string) model.Tree {
	return model.Tree{"Name": name, "Items": strs(keyIDs...), "Comment": "group " + name}
}

// itemStrings is the Items list of a KeyGroupConfig (a bare list, no
// Quantity).
func itemStrings(cfg model.Tree) []string {
	var out []string
	items, _ := cfg["Items"].([]any)
	for _, it := range items {
		out = append(out, it.(string))
	}
	return out
}

// withKeyGroups is distConfig whose default behaviour trusts the groups.
func withKeyGroups(ref string, groups ...string) model.Tree {
	c := distConfig(ref)
	c["DefaultCacheBehavior"].(model.Tree)["TrustedKeyGroups"] = model.Tree{"Enabled": "true", "Quantity": fmt.Sprint(len(groups)), "Items": strs(groups...)}
	return c
}

func TestCreateKeyGroup(t *testing.T) {
	e := newEnvQuotas(t, control.Quotas{KeyGroups: 2, PublicKeysPerKeyGroup: 2})
	a, b := e.mustPublicKey("a"), e.mustPublicKey("b")
	first, err := e.c.CreateKeyGroup(e.ctx, keyGroupCfg("first", a.ID))
	if err != nil {
		t.Fatal(err)
	}
	if !keyGroupIDPattern.MatchString(first.ID) || first.ETag == "" || first.LastModified.IsZero() {
		t.Errorf("key group = %+v", first)
	}
	tests := []struct {
		name    string
		cfg     model.Tree
		wantErr string
	}{
		{"unknown public key", keyGroupCfg("g1", a.ID, "KNOSUCHKEY0000"), "NoSuchPublicKey"},
		{"more keys than the quota", keyGroupCfg("g2", a.ID, b.ID, "K3"), "TooManyPublicKeysInKeyGroup"},
		{"name taken", keyGroupCfg("first", b.ID), "KeyGroupAlreadyExists"},
		{"empty name", keyGroupCfg("", b.ID), "InvalidArgument"},
		{"comment of 129", model.Tree{"Name": "g3", "Items": strs(b.ID), "Comment": strings.Repeat("c", 129)}, "InvalidArgument"},
		{"two keys", keyGroupCfg("second", a.ID, b.ID), ""},
		{"over the account quota", keyGroupCfg("third", b.ID), "TooManyKeyGroups"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rev := e.revision()
			kg, err := e.c.CreateKeyGroup(e.ctx, tc.cfg)
			if tc.wantErr != "" {
				wantCode(t, err, tc.wantErr)
				if e.revision() != rev {
					t.Error("a refused create wrote to the store")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := itemStrings(kg.Config), itemStrings(tc.cfg); !slices.Equal(got, want) {
				t.Errorf("keys = %v, want %v", got, want)
			}
		})
	}
}

func TestUpdateKeyGroup(t *testing.T) {
	e := newEnv(t)
	a, b := e.mustPublicKey("a"), e.mustPublicKey("b")
	kg, err := e.c.CreateKeyGroup(e.ctx, keyGroupCfg("one", a.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.CreateKeyGroup(e.ctx, keyGroupCfg("taken", a.ID)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		id      string
		ifMatch string // "" = current ETag, "-" = none
		cfg     model.Tree
		wantErr string
	}{
		{"unknown id", "00000000-0000-4000-8000-000000000000", "", keyGroupCfg("one", a.ID), "NoSuchResource"},
		{"no If-Match", kg.ID, "-", keyGroupCfg("one", a.ID), "InvalidIfMatchVersion"},
		{"stale If-Match", kg.ID, "ESTALE", keyGroupCfg("one", a.ID), "PreconditionFailed"},
		{"name of another group", kg.ID, "", keyGroupCfg("taken", a.ID), "KeyGroupAlreadyExists"},
		{"unknown key", kg.ID, "", keyGroupCfg("one", "KNOSUCHKEY0000"), "NoSuchPublicKey"},
		{"six keys", kg.ID, "", keyGroupCfg("one", "K1", "K2", "K3", "K4", "K5", "K6"), "TooManyPublicKeysInKeyGroup"},
		{"swap key and rename", kg.ID, "", keyGroupCfg("renamed", b.ID), ""},
		{"keep the name", kg.ID, "", keyGroupCfg("renamed", b.ID), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, err := e.c.GetKeyGroup(e.ctx, kg.ID)
			if err != nil {
				t.Fatal(err)
			}
			ifMatch := testIfMatch(tc.ifMatch, before.ETag)
			got, err := e.c.UpdateKeyGroup(e.ctx, tc.id, ifMatch, replaceWith(tc.cfg))
			if tc.wantErr != "" {
				wantCode(t, err, tc.wantErr)
				if after, _ := e.c.GetKeyGroup(e.ctx, kg.ID); after.ETag != before.ETag {
					t.Error("a refused update changed the group")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ETag == before.ETag || got.Config["Name"] != "renamed" || !slices.Equal(itemStrings(got.Config), []string{b.ID}) {
				t.Errorf("updated = %+v", got)
			}
		})
	}
	// The group now holds key b, and its old name is free again.
	wantCode(t, e.c.DeletePublicKey(e.ctx, b.ID, b.ETag), "PublicKeyInUse")
	if _, err := e.c.CreateKeyGroup(e.ctx, keyGroupCfg("one", b.ID)); err != nil {
		t.Errorf("old name not released: %v", err)
	}
}

// TestKeyGroup_trustedByDistribution: cache behaviours may trust existing
// key groups only (TrustedKeyGroupDoesNotExist), at most 4 each
// (TooManyKeyGroupsAssociatedToDistribution, "Quotas" in the Amazon
// CloudFront Developer Guide), and a trusted group cannot be deleted
// (ResourceInUse, "DeleteKeyGroup" in the Amazon CloudFront API Reference).
func TestKeyGroup_trustedByDistribution(t *testing.T) {
	e := newEnv(t)
	pk := e.mustPublicKey("a")
	var groups []string
	for i := range 5 {
		kg, err := e.c.CreateKeyGroup(e.ctx, keyGroupCfg(fmt.Sprint("g", i), pk.ID))
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, kg.ID)
	}

	tests := []struct {
		name    string
		cfg     model.Tree
		wantErr string
	}{
		{"unknown group", withKeyGroups("bad-1", groups[0], "00000000-0000-4000-8000-000000000000"), "TrustedKeyGroupDoesNotExist"},
		{"five groups", withKeyGroups("bad-2", groups...), "TooManyKeyGroupsAssociatedToDistribution"},
		{"disabled list is not checked", func() model.Tree {
			c := withKeyGroups("ok-disabled", "00000000-0000-4000-8000-000000000000")
			c["DefaultCacheBehavior"].(model.Tree)["TrustedKeyGroups"].(model.Tree)["Enabled"] = "false"
			return c
		}(), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.c.CreateDistribution(e.ctx, tc.cfg, nil)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tc.wantErr)
		})
	}

	d := e.create(withKeyGroups("dist-1", groups[0], groups[1]))
	if !slices.Equal(d.TrustedKeyGroups, groups[:2]) {
		t.Errorf("TrustedKeyGroups = %v", d.TrustedKeyGroups)
	}
	kg0, _ := e.c.GetKeyGroup(e.ctx, groups[0])
	wantCode(t, e.c.DeleteKeyGroup(e.ctx, groups[0], kg0.ETag), "ResourceInUse")
	wantCode(t, e.c.DeleteKeyGroup(e.ctx, "00000000-0000-4000-8000-000000000000", kg0.ETag), "NoSuchResource")
	_, err := e.update(d.ID, d.ETag, withKeyGroups("dist-1", groups[4], "00000000-0000-4000-8000-000000000000"))
	wantCode(t, err, "TrustedKeyGroupDoesNotExist")

	// Moving the behaviour to another group frees the first one.
	d = e.mustUpdate(d.ID, func(c model.Tree) {
		c["DefaultCacheBehavior"] = withKeyGroups("dist-1", groups[1])["DefaultCacheBehavior"]
	})
	if err := e.c.DeleteKeyGroup(e.ctx, groups[0], kg0.ETag); err != nil {
		t.Fatalf("delete of a group no longer trusted: %v", err)
	}
	_, err = e.c.GetKeyGroup(e.ctx, groups[0])
	wantCode(t, err, "NoSuchResource")

	// Deleting the distribution frees the rest.
	e.disableAndDelete(d.ID)
	kg1, _ := e.c.GetKeyGroup(e.ctx, groups[1])
	if err := e.c.DeleteKeyGroup(e.ctx, groups[1], kg1.ETag); err != nil {
		t.Fatalf("delete after the distribution went: %v", err)
	}
	if refs := e.keys("keygroupref/"); len(refs) != 0 {
		t.Errorf("references left behind: %v", refs)
	}
}

func TestListKeyGroups(t *testing.T) {
	e := newEnv(t)
	pk := e.mustPublicKey("a")
	var ids []string
	for i := range 3 {
		kg, err := e.c.CreateKeyGroup(e.ctx, keyGroupCfg(fmt.Sprint("g", i), pk.ID))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, kg.ID)
	}
	list, p, err := e.c.ListKeyGroups(e.ctx, control.ListOptions{MaxItems: 2})
	if err != nil || len(list) != 2 || !p.IsTruncated || p.NextMarker != ids[1] {
		t.Fatalf("first page: %v %+v %v", list, p, err)
	}
	list, p, _ = e.c.ListKeyGroups(e.ctx, control.ListOptions{Marker: p.NextMarker, MaxItems: 2})
	if len(list) != 1 || list[0].ID != ids[2] || p.IsTruncated {
		t.Fatalf("second page: %v %+v", list, p)
	}
}
