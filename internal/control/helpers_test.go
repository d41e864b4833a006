package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"openfront/internal/control"
	"openfront/internal/fleet"
	"openfront/internal/model"
	"openfront/internal/store"
	"openfront/internal/store/boltstore"
)

const (
	testAccount = "123456789012"
	edgeName    = "edge-1"
)

// env is a Control over a real bbolt store in t.TempDir() and a
// fleet.Local driven by hand: one edge is registered at revision 0, so
// everything is InProgress until the test calls deploy.
type env struct {
	t     *testing.T
	ctx   context.Context
	c     *control.Control
	store *boltstore.Store
	fleet *fleet.Local
}

// testQuotas are small quotas every test can reach.
var testQuotas = control.Quotas{
	Distributions:          3,
	StreamingDistributions: 2,
	AliasesPerDistribution: 3,
	Origins:                2,
	CacheBehaviors:         2,
	OAIs:                   2,
	InvalidationPaths:      5,
	InvalidationWildcards:  2,
	PathsPerBatch:          6,
	TagsPerResource:        3,
}

func newEnv(t *testing.T) *env { return newEnvQuotas(t, control.DefaultQuotas) }

func newEnvQuotas(t *testing.T, q control.Quotas) *env {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "openfront.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fl := fleet.NewLocal(0)
	e := &env{t: t, ctx: context.Background(), store: st, fleet: fl,
		c: control.New(st, fl, control.Settings{AccountID: testAccount, DomainSuffix: "cloudfront.net", Quotas: q})}
	e.report(0)
	return e
}

// revision is the store's current revision.
func (e *env) revision() int64 {
	e.t.Helper()
	var rev int64
	if err := e.store.View(e.ctx, func(tx store.ReadTxn) error {
		rev = tx.Revision()
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	return rev
}

func (e *env) report(rev int64) {
	e.t.Helper()
	if err := e.fleet.Report(e.ctx, edgeName, rev); err != nil {
		e.t.Fatal(err)
	}
}

// deploy reports the current revision as applied by the edge.
func (e *env) deploy() { e.report(e.revision()) }

// keys returns the stored keys with the prefix.
func (e *env) keys(prefix string) []string {
	e.t.Helper()
	var out []string
	if err := e.store.View(e.ctx, func(tx store.ReadTxn) error {
		kvs, err := tx.List(prefix)
		for _, kv := range kvs {
			out = append(out, kv.Key)
		}
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) create(cfg model.Tree) *control.Distribution {
	e.t.Helper()
	d, created, err := e.c.CreateDistribution(e.ctx, cfg, nil)
	if err != nil {
		e.t.Fatalf("CreateDistribution: %v", err)
	}
	if !created {
		e.t.Fatalf("CreateDistribution: created=false for a new CallerReference")
	}
	return d
}

func (e *env) get(id string) *control.Distribution {
	e.t.Helper()
	d, err := e.c.GetDistribution(e.ctx, id)
	if err != nil {
		e.t.Fatalf("GetDistribution(%s): %v", id, err)
	}
	return d
}

// update replaces the config, the way a front-end would: the new tree
// replaces the stored one.
func (e *env) update(id, ifMatch string, cfg model.Tree) (*control.Distribution, error) {
	return e.c.UpdateDistribution(e.ctx, id, ifMatch, replaceWith(cfg))
}

func (e *env) mustUpdate(id string, change func(model.Tree)) *control.Distribution {
	e.t.Helper()
	cur := e.get(id)
	cfg := model.Clone(cur.Config)
	change(cfg)
	d, err := e.update(id, cur.ETag, cfg)
	if err != nil {
		e.t.Fatalf("UpdateDistribution(%s): %v", id, err)
	}
	return d
}

// disableAndDelete disables the distribution, deploys and deletes it.
func (e *env) disableAndDelete(id string) {
	e.t.Helper()
	d := e.mustUpdate(id, func(c model.Tree) { c["Enabled"] = "false" })
	e.deploy()
	if err := e.c.DeleteDistribution(e.ctx, id, d.ETag); err != nil {
		e.t.Fatalf("DeleteDistribution(%s): %v", id, err)
	}
}

func replaceWith(cfg model.Tree) control.Apply {
	return func(model.Tree) (model.Tree, error) { return model.Clone(cfg), nil }
}

// wantCode fails unless err is a *model.Error with the code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var me *model.Error
	if !errors.As(err, &me) {
		t.Fatalf("got error %v, want code %s", err, code)
	}
	if me.Code != code {
		t.Fatalf("got code %s (%s), want %s", me.Code, me.Message, code)
	}
}

// Config builders, in the canonical 2020-05-31 tree shape.

func wrap(items ...any) model.Tree { return model.Wrapper(items) }

func strs(ss ...string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func origin(id, domain string) model.Tree {
	return model.Tree{
		"Id": id, "DomainName": domain, "OriginPath": "",
		"CustomOriginConfig": model.Tree{"HTTPPort": "80", "HTTPSPort": "443", "OriginProtocolPolicy": "http-only"},
	}
}

func s3Origin(id, oai string) model.Tree {
	return model.Tree{
		"Id": id, "DomainName": "bucket.s3.amazonaws.com", "OriginPath": "",
		"S3OriginConfig": model.Tree{"OriginAccessIdentity": oai},
	}
}

func behavior(target string) model.Tree {
	return model.Tree{
		"TargetOriginId":       target,
		"ViewerProtocolPolicy": "allow-all",
		"TrustedSigners":       model.Tree{"Enabled": "false", "Quantity": "0"},
		"ForwardedValues":      model.Tree{"QueryString": "false", "Cookies": model.Tree{"Forward": "none"}},
		"MinTTL":               "0",
	}
}

// distConfig is a valid, enabled config with one custom origin.
func distConfig(ref string, aliases ...string) model.Tree {
	return model.Tree{
		"CallerReference":      ref,
		"Aliases":              wrap(strs(aliases...)...),
		"DefaultRootObject":    "",
		"Origins":              wrap(origin("web", "example.com")),
		"DefaultCacheBehavior": behavior("web"),
		"CacheBehaviors":       wrap(),
		"Comment":              "test " + ref,
		"PriceClass":           "PriceClass_All",
		"Enabled":              "true",
	}
}

// withOAI is distConfig with an S3 origin using the OAI reference.
func withOAI(ref, oaiRef string) model.Tree {
	c := distConfig(ref)
	c["Origins"] = wrap(origin("web", "example.com"), s3Origin("s3", oaiRef))
	return c
}

func streamingConfig(ref string, aliases ...string) model.Tree {
	return model.Tree{
		"CallerReference": ref,
		"S3Origin":        model.Tree{"DomainName": "media.s3.amazonaws.com", "OriginAccessIdentity": ""},
		"Aliases":         wrap(strs(aliases...)...),
		"Comment":         "rtmp " + ref,
		"TrustedSigners":  model.Tree{"Enabled": "false", "Quantity": "0"},
		"PriceClass":      "PriceClass_All",
		"Enabled":         "true",
	}
}

func oaiConfig(ref, comment string) model.Tree {
	return model.Tree{"CallerReference": ref, "Comment": comment}
}

func oaiRef(id string) string { return "origin-access-identity/cloudfront/" + id }

// canonicalJSON is the stored-config comparison used by the "bad input
// never changes stored data" tests.
func canonicalJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testIfMatch resolves a table case's If-Match: "" means the current ETag,
// "-" means no header, anything else is sent as given.
func testIfMatch(given, current string) string {
	switch given {
	case "":
		return current
	case "-":
		return ""
	}
	return given
}
