package control_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"openfront/internal/control"
	"openfront/internal/model"
)

// OAC ids are E and 13 upper-case letters and digits (OpenFront's choice,
// shaped like the ids in the Amazon CloudFront API Reference examples).
var oacIDPattern = regexp.MustCompile(`^E[A-Z0-9]{13}$`)

func oacCfg(name string) model.Tree {
	return model.Tree{
		"Name":                          name,
		"Description":                   "oac " + name,
		"SigningProtocol":               "sigv4",
		"SigningBehavior":               "always",
		"OriginAccessControlOriginType": "s3",
	}
}

// withOAC is distConfig with an S3 origin signed through the OAC.
func withOAC(ref, oacID string) model.Tree {
	c := distConfig(ref)
	s3 := s3Origin("s3", "")
	s3["OriginAccessControlId"] = oacID
	c["Origins"] = wrap(origin("web", "example.com"), s3)
	return c
}

func TestCreateOriginAccessControl(t *testing.T) {
	e := newEnvQuotas(t, control.Quotas{OACs: 2})
	first, err := e.c.CreateOriginAccessControl(e.ctx, oacCfg("first"))
	if err != nil {
		t.Fatal(err)
	}
	if !oacIDPattern.MatchString(first.ID) || first.ETag == "" || first.Config["SigningBehavior"] != "always" || first.Config["Description"] != "oac first" {
		t.Errorf("oac = %+v", first)
	}
	tests := []struct {
		name    string
		cfg     model.Tree
		wantErr string
	}{
		{"name taken", oacCfg("first"), "OriginAccessControlAlreadyExists"},
		{"empty name", oacCfg(""), "InvalidArgument"},
		// API reference, OriginAccessControlConfig: up to 64 characters.
		{"name of 65", oacCfg(strings.Repeat("n", 65)), "InvalidArgument"},
		{"name of 64", oacCfg(strings.Repeat("n", 64)), ""},
		{"over the quota", oacCfg("third"), "TooManyOriginAccessControls"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rev := e.revision()
			_, err := e.c.CreateOriginAccessControl(e.ctx, tc.cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tc.wantErr)
			if e.revision() != rev {
				t.Error("a refused create wrote to the store")
			}
		})
	}
}

func TestUpdateOriginAccessControl(t *testing.T) {
	e := newEnv(t)
	o, err := e.c.CreateOriginAccessControl(e.ctx, oacCfg("one"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.CreateOriginAccessControl(e.ctx, oacCfg("taken")); err != nil {
		t.Fatal(err)
	}
	renamed := oacCfg("renamed")
	renamed["SigningBehavior"] = "no-override"
	described := model.Clone(renamed)
	described["Description"] = "same name, new description"
	tests := []struct {
		name    string
		id      string
		ifMatch string // "" = current ETag, "-" = none
		cfg     model.Tree
		wantErr string
	}{
		{"unknown id", "ENOSUCHOAC0000", "", oacCfg("one"), "NoSuchOriginAccessControl"},
		{"no If-Match", o.ID, "-", oacCfg("one"), "InvalidIfMatchVersion"},
		{"stale If-Match", o.ID, "ESTALE", oacCfg("one"), "PreconditionFailed"},
		{"name of another OAC", o.ID, "", oacCfg("taken"), "OriginAccessControlAlreadyExists"},
		{"rename", o.ID, "", renamed, ""},
		{"keep the name", o.ID, "", described, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, err := e.c.GetOriginAccessControl(e.ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			ifMatch := testIfMatch(tc.ifMatch, before.ETag)
			got, err := e.c.UpdateOriginAccessControl(e.ctx, tc.id, ifMatch, replaceWith(tc.cfg))
			if tc.wantErr != "" {
				wantCode(t, err, tc.wantErr)
				if after, _ := e.c.GetOriginAccessControl(e.ctx, o.ID); after.ETag != before.ETag {
					t.Error("a refused update changed the OAC")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ETag == before.ETag || got.Config["Name"] != "renamed" || got.Config["SigningBehavior"] != "no-override" {
				t.Errorf("updated = %+v", got)
			}
		})
	}
	if _, err := e.c.CreateOriginAccessControl(e.ctx, oacCfg("one")); err != nil {
		t.Errorf("old name not released: %v", err)
	}
}

// TestOAC_references: origins may name existing OACs only
// (NoSuchOriginAccessControl), and an OAC in use cannot be deleted
// (OriginAccessControlInUse, "DeleteOriginAccessControl" in the Amazon
// CloudFront API Reference).
func TestOAC_references(t *testing.T) {
	e := newEnv(t)
	o, err := e.c.CreateOriginAccessControl(e.ctx, oacCfg("one"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.c.CreateDistribution(e.ctx, withOAC("bad-1", "ENOSUCHOAC0000"), nil)
	wantCode(t, err, "NoSuchOriginAccessControl")

	d := e.create(withOAC("dist-1", o.ID))
	wantCode(t, e.c.DeleteOriginAccessControl(e.ctx, o.ID, o.ETag), "OriginAccessControlInUse")
	wantCode(t, e.c.DeleteOriginAccessControl(e.ctx, "ENOSUCHOAC0000", o.ETag), "NoSuchOriginAccessControl")
	wantCode(t, e.c.DeleteOriginAccessControl(e.ctx, o.ID, ""), "InvalidIfMatchVersion")
	wantCode(t, e.c.DeleteOriginAccessControl(e.ctx, o.ID, "ESTALE"), "PreconditionFailed")
	_, err = e.update(d.ID, d.ETag, withOAC("dist-1", "ENOSUCHOAC0000"))
	wantCode(t, err, "NoSuchOriginAccessControl")

	e.disableAndDelete(d.ID)
	if err := e.c.DeleteOriginAccessControl(e.ctx, o.ID, o.ETag); err != nil {
		t.Fatalf("delete after the distribution went: %v", err)
	}
	_, err = e.c.GetOriginAccessControl(e.ctx, o.ID)
	wantCode(t, err, "NoSuchOriginAccessControl")
	if left := append(e.keys("oac"), e.keys("name/oac/")...); len(left) != 0 {
		t.Errorf("keys left behind: %v", left)
	}
}

func TestListOriginAccessControls(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := range 3 {
		o, err := e.c.CreateOriginAccessControl(e.ctx, oacCfg(fmt.Sprint("o", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	list, p, err := e.c.ListOriginAccessControls(e.ctx, control.ListOptions{MaxItems: 2})
	if err != nil || len(list) != 2 || !p.IsTruncated || p.NextMarker != ids[1] {
		t.Fatalf("first page: %v %+v %v", list, p, err)
	}
	list, p, _ = e.c.ListOriginAccessControls(e.ctx, control.ListOptions{Marker: p.NextMarker, MaxItems: 2})
	if len(list) != 1 || list[0].ID != ids[2] || p.IsTruncated {
		t.Fatalf("second page: %v %+v", list, p)
	}
}
