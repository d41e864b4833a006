package control_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"openfront/internal/control"
	"openfront/internal/fleet"
	"openfront/internal/model"
	"openfront/internal/store/boltstore"
	"openfront/internal/tlsconfig"
)

// coveringCertificate is an operator certificate for *.example.com and
// example.com.
type coveringCertificate struct{}

const coveringARN = "arn:aws:acm:us-east-1:123456789012:certificate/covering"

func (coveringCertificate) Check(name string, aliases []string) error {
	for _, a := range aliases {
		if name != coveringARN || !tlsconfig.Covers([]string{"example.com", "*.example.com"}, a) {
			return fmt.Errorf("%q not covered by %q", a, name)
		}
	}
	return nil
}

func newAliasEnv(t *testing.T, q control.Quotas) *env {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "openfront.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fl := fleet.NewLocal(0)
	e := &env{t: t, ctx: t.Context(), store: st, fleet: fl,
		c: control.New(st, fl, control.Settings{AccountID: testAccount, DomainSuffix: "cloudfront.net", Quotas: q, Certificates: coveringCertificate{}})}
	e.report(0)
	return e
}

func withCertificate(cfg model.Tree) model.Tree {
	cfg["ViewerCertificate"] = model.Tree{"ACMCertificateArn": coveringARN, "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"}
	return cfg
}

// TestAssociateAlias: the alias leaves its distribution and joins the
// target in one change (both get a new ETag); the preconditions refuse a
// move and change nothing.
func TestAssociateAlias(t *testing.T) {
	q := control.DefaultQuotas
	q.AliasesPerDistribution = 2
	e := newAliasEnv(t, q)
	src := e.create(withCertificate(distConfig("src", "www.example.com", "img.example.com")))
	target := e.create(withCertificate(distConfig("target", "a.example.com")))
	plain := e.create(distConfig("plain"))
	streaming, _, err := e.c.CreateStreamingDistribution(e.ctx, streamingConfig("rtmp", "rtmp.example.com"), nil)
	if err != nil {
		t.Fatal(err)
	}

	if err := e.c.AssociateAlias(e.ctx, target.ID, "WWW.example.com"); err != nil {
		t.Fatalf("AssociateAlias: %v", err)
	}
	gotSrc, gotTarget := e.get(src.ID), e.get(target.ID)
	if a := model.StringItems(gotSrc.Config, "Aliases"); !slices.Equal(a, []string{"img.example.com"}) {
		t.Errorf("source aliases = %v", a)
	}
	if a := model.StringItems(gotTarget.Config, "Aliases"); !slices.Equal(a, []string{"a.example.com", "www.example.com"}) {
		t.Errorf("target aliases = %v", a)
	}
	if gotSrc.ETag == src.ETag || gotTarget.ETag == target.ETag {
		t.Error("a move leaves an ETag unchanged")
	}
	// The alias index follows: the source can no longer take it back by
	// an update, the target keeps it through one.
	next := model.Clone(gotSrc.Config)
	next["Aliases"] = wrap(strs("img.example.com", "www.example.com")...)
	_, err = e.update(src.ID, gotSrc.ETag, next)
	wantCode(t, err, "CNAMEAlreadyExists")
	// Moving it where it is already changes nothing.
	if err := e.c.AssociateAlias(e.ctx, target.ID, "www.example.com"); err != nil || e.get(target.ID).ETag != gotTarget.ETag {
		t.Errorf("AssociateAlias to its own distribution: %v, ETag changed: %v", err, e.get(target.ID).ETag != gotTarget.ETag)
	}

	for _, tt := range []struct {
		name, target, alias, code string
	}{
		{"unknown target", "EDFDVBD6EXAMPLE", "img.example.com", "NoSuchDistribution"},
		{"default certificate", plain.ID, "img.example.com", "IllegalUpdate"},
		{"not covered", target.ID, "www.example.org", "IllegalUpdate"},
		{"wildcard one level", target.ID, "a.b.example.com", "IllegalUpdate"},
		{"target full", target.ID, "img.example.com", "TooManyDistributionCNAMEs"},
		{"empty", target.ID, "", "InvalidArgument"},
		{"dot segments", target.ID, "..example.com", "InvalidArgument"},
		{"too long", target.ID, string(make([]byte, 254)), "InvalidArgument"},
		{"not a distribution's", src.ID, "rtmp.example.com", "IllegalUpdate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := e.revision()
			wantCode(t, e.c.AssociateAlias(e.ctx, tt.target, tt.alias), tt.code)
			if e.revision() != before {
				t.Error("a refused move wrote to the store")
			}
		})
	}
	if s, err := e.c.GetStreamingDistribution(e.ctx, streaming.ID); err != nil || !slices.Equal(model.StringItems(s.Config, "Aliases"), []string{"rtmp.example.com"}) {
		t.Errorf("streaming distribution after a refused move: %v", err)
	}
}

// TestUpdateDomainAssociation: If-Match is the target's ETag, checked
// before the move; the source must be disabled.
func TestUpdateDomainAssociation(t *testing.T) {
	e := newAliasEnv(t, control.DefaultQuotas)
	disabled := withCertificate(distConfig("off", "off.example.com"))
	disabled["Enabled"] = false
	src := e.create(disabled)
	busy := e.create(withCertificate(distConfig("busy", "busy.example.com")))
	target := e.create(withCertificate(distConfig("target")))

	_, err := e.c.UpdateDomainAssociation(e.ctx, "off.example.com", target.ID, "", "")
	wantCode(t, err, "InvalidIfMatchVersion")
	_, err = e.c.UpdateDomainAssociation(e.ctx, "off.example.com", target.ID, "", src.ETag)
	wantCode(t, err, "PreconditionFailed")
	_, err = e.c.UpdateDomainAssociation(e.ctx, "busy.example.com", target.ID, "", target.ETag)
	wantCode(t, err, "IllegalUpdate")
	_, err = e.c.UpdateDomainAssociation(e.ctx, "off.example.com", "", "dt_1", target.ETag)
	wantCode(t, err, "EntityNotFound")
	_, err = e.c.UpdateDomainAssociation(e.ctx, "off.example.com", "EDFDVBD6EXAMPLE", "", target.ETag)
	wantCode(t, err, "EntityNotFound")

	etag, err := e.c.UpdateDomainAssociation(e.ctx, "off.example.com", target.ID, "", target.ETag)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.get(target.ID); etag != got.ETag || !slices.Equal(model.StringItems(got.Config, "Aliases"), []string{"off.example.com"}) {
		t.Errorf("target after the move: ETag %s (answered %s), aliases %v", got.ETag, etag, model.StringItems(got.Config, "Aliases"))
	}
	if a := model.StringItems(e.get(src.ID).Config, "Aliases"); len(a) != 0 {
		t.Errorf("source keeps %v", a)
	}
	if a := model.StringItems(e.get(busy.ID).Config, "Aliases"); !slices.Equal(a, []string{"busy.example.com"}) {
		t.Errorf("the refused move took %v", a)
	}
}

// TestConflictingAliases: the alias itself, the wildcards that cover it
// (at any depth, as the edge routes), and for a wildcard the names below
// it; not names beside it.
func TestConflictingAliases(t *testing.T) {
	e := newAliasEnv(t, control.DefaultQuotas)
	anchor := e.create(withCertificate(distConfig("anchor", "*.example.com")))
	e.create(distConfig("www", "www.example.com", "a.b.example.com"))
	e.create(distConfig("other", "example.com", "www.example.org", "*.b.example.com"))
	for _, tt := range []struct {
		alias string
		want  []string
	}{
		{"www.example.com", []string{"*.example.com", "www.example.com"}},
		{"WWW.EXAMPLE.COM", []string{"*.example.com", "www.example.com"}},
		{"*.example.com", []string{"*.b.example.com", "*.example.com", "a.b.example.com", "www.example.com"}},
		{"example.com", []string{"example.com"}},
		{"c.example.com", []string{"*.example.com"}},
	} {
		got, page, err := e.c.ConflictingAliases(e.ctx, anchor.ID, tt.alias, nil, control.ListOptions{MaxItems: 100})
		if err != nil {
			t.Fatalf("%s: %v", tt.alias, err)
		}
		var aliases []string
		for _, g := range got {
			aliases = append(aliases, g.Alias)
			if g.AccountID != "123******012" || len(g.DistributionID) != 14 || g.DistributionID[3:11] != "********" {
				t.Errorf("%s: ids not partly hidden: %+v", tt.alias, g)
			}
		}
		if !slices.Equal(aliases, tt.want) || page.IsTruncated {
			t.Errorf("%s: %v (truncated %v), want %v", tt.alias, aliases, page.IsTruncated, tt.want)
		}
	}
	got, page, err := e.c.ConflictingAliases(e.ctx, anchor.ID, "*.example.com", nil, control.ListOptions{MaxItems: 2, Marker: "*.b.example.com"})
	if err != nil || len(got) != 2 || got[0].Alias != "*.example.com" || !page.IsTruncated || page.NextMarker != "a.b.example.com" {
		t.Errorf("second page: %+v %+v %v", got, page, err)
	}
	_, _, err = e.c.ConflictingAliases(e.ctx, anchor.ID, "www.example.org", nil, control.ListOptions{MaxItems: 100})
	wantCode(t, err, "InvalidArgument")
}
