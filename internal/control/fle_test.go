package control_test

import (
	"fmt"
	"strings"
	"testing"

	"openfront/internal/model"
)

func fleProfileCfg(ref, name, keyID string, patterns ...string) model.Tree {
	return model.Tree{"Name": name, "CallerReference": ref, "EncryptionEntities": wrap(
		model.Tree{"PublicKeyId": keyID, "ProviderId": "DEMO", "FieldPatterns": wrap(strs(patterns...)...)})}
}

func fleConfigCfg(ref string, profileIDs ...string) model.Tree {
	var cts, qas []any
	for i, id := range profileIDs {
		if i == 0 {
			cts = append(cts, model.Tree{"Format": "URLEncoded", "ProfileId": id, "ContentType": "application/x-www-form-urlencoded"})
		}
		qas = append(qas, model.Tree{"QueryArg": fmt.Sprintf("q%d", i), "ProfileId": id})
	}
	return model.Tree{"CallerReference": ref,
		"QueryArgProfileConfig":    model.Tree{"ForwardWhenQueryArgProfileIsUnknown": "false", "QueryArgProfiles": wrap(qas...)},
		"ContentTypeProfileConfig": model.Tree{"ForwardWhenContentTypeIsUnknown": "false", "ContentTypeProfiles": wrap(cts...)}}
}

// TestFLEProfile_validation: the guide's rules for profiles ("Step 3:
// Create a profile for field-level encryption") and the model's errors.
func TestFLEProfile_validation(t *testing.T) {
	e := newEnv(t)
	key, _, err := e.c.CreatePublicKey(e.ctx, pubKeyCfg("rsa", "rsa", pemPKIX(t, &rsaKey(t, 2048).PublicKey)))
	if err != nil {
		t.Fatal(err)
	}
	ec := e.mustPublicKey("ec")
	many := make([]string, 11)
	for i := range many {
		many[i] = fmt.Sprintf("f%d", i)
	}
	tests := []struct {
		name   string
		change func(model.Tree)
		code   string
	}{
		{"valid", func(model.Tree) {}, ""},
		{"name with a space", func(c model.Tree) { c["Name"] = "a b" }, "InvalidArgument"},
		{"name too long", func(c model.Tree) { c["Name"] = strings.Repeat("n", 129) }, "InvalidArgument"},
		{"provider with a space", func(c model.Tree) { model.StructItems(c, "EncryptionEntities")[0]["ProviderId"] = "a b" }, "InvalidArgument"},
		{"missing public key", func(c model.Tree) { model.StructItems(c, "EncryptionEntities")[0]["PublicKeyId"] = "K0000000000000" }, "NoSuchPublicKey"},
		{"ECDSA public key", func(c model.Tree) { model.StructItems(c, "EncryptionEntities")[0]["PublicKeyId"] = ec.ID }, "InvalidArgument"},
		{"overlapping wildcards", func(c model.Tree) { setPatterns(c, "ABC*", "AB*") }, "InvalidArgument"},
		{"name inside a wildcard", func(c model.Tree) { setPatterns(c, "card", "ca*") }, "InvalidArgument"},
		{"duplicate pattern", func(c model.Tree) { setPatterns(c, "card", "card") }, "InvalidArgument"},
		{"wildcard alone", func(c model.Tree) { setPatterns(c, "*") }, "InvalidArgument"},
		{"wildcard inside", func(c model.Tree) { setPatterns(c, "a*b") }, "InvalidArgument"},
		{"bad character", func(c model.Tree) { setPatterns(c, "card=1") }, "InvalidArgument"},
		{"brackets and dots", func(c model.Tree) { setPatterns(c, "user[card].num", "user[ssn]*") }, ""},
		{"no pattern", func(c model.Tree) { setPatterns(c) }, "InvalidArgument"},
		{"eleven patterns", func(c model.Tree) { setPatterns(c, many...) }, "TooManyFieldLevelEncryptionFieldPatterns"},
		{"eleven entities", func(c model.Tree) {
			var items []any
			for i := 0; i < 11; i++ {
				items = append(items, model.Tree{"PublicKeyId": fmt.Sprintf("K%013d", i), "ProviderId": "p", "FieldPatterns": wrap("f" + fmt.Sprint(i))})
			}
			c["EncryptionEntities"] = wrap(items...)
		}, "TooManyFieldLevelEncryptionEncryptionEntities"},
		{"too large", func(c model.Tree) { setPatterns(c, strings.Repeat("x", 5000)) }, "FieldLevelEncryptionProfileSizeExceeded"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fleProfileCfg(fmt.Sprintf("ref-%d", i), fmt.Sprintf("p%d", i), key.ID, "card", "ssn*")
			tt.change(cfg)
			before := e.revision()
			_, _, err := e.c.CreateFLEProfile(e.ctx, cfg)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tt.code)
			if e.revision() != before {
				t.Error("a refused create changed the store")
			}
		})
	}
}

func setPatterns(c model.Tree, p ...string) {
	model.StructItems(c, "EncryptionEntities")[0]["FieldPatterns"] = wrap(strs(p...)...)
}

// TestFLE_referencesAndInUse: a profile needs its key, a configuration its
// profiles, a behaviour its configuration; none can go while named.
func TestFLE_referencesAndInUse(t *testing.T) {
	e := newEnv(t)
	key, _, err := e.c.CreatePublicKey(e.ctx, pubKeyCfg("rsa", "rsa", pemPKIX(t, &rsaKey(t, 2048).PublicKey)))
	if err != nil {
		t.Fatal(err)
	}
	prof, _, err := e.c.CreateFLEProfile(e.ctx, fleProfileCfg("p", "p", key.ID, "card"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.c.CreateFLEConfig(e.ctx, fleConfigCfg("missing", "P0000000000000"))
	wantCode(t, err, "NoSuchFieldLevelEncryptionProfile")
	bad := fleConfigCfg("empty", prof.ID)
	model.StructItems(bad, "QueryArgProfileConfig", "QueryArgProfiles")[0]["ProfileId"] = ""
	_, _, err = e.c.CreateFLEConfig(e.ctx, bad)
	wantCode(t, err, "QueryArgProfileEmpty")
	six := fleConfigCfg("six", prof.ID, prof.ID, prof.ID, prof.ID, prof.ID, prof.ID)
	_, _, err = e.c.CreateFLEConfig(e.ctx, six)
	wantCode(t, err, "TooManyFieldLevelEncryptionQueryArgProfiles")
	json := fleConfigCfg("json", prof.ID)
	model.StructItems(json, "ContentTypeProfileConfig", "ContentTypeProfiles")[0]["ContentType"] = "application/json"
	_, _, err = e.c.CreateFLEConfig(e.ctx, json)
	wantCode(t, err, "InvalidArgument")
	cfg, _, err := e.c.CreateFLEConfig(e.ctx, fleConfigCfg("c", prof.ID))
	if err != nil {
		t.Fatal(err)
	}
	again, created, err := e.c.CreateFLEConfig(e.ctx, fleConfigCfg("c", prof.ID))
	if err != nil || created || again.ID != cfg.ID {
		t.Fatalf("same CallerReference and config: created=%v err=%v", created, err)
	}
	other := fleConfigCfg("c", prof.ID)
	other["Comment"] = "different"
	_, _, err = e.c.CreateFLEConfig(e.ctx, other)
	wantCode(t, err, "FieldLevelEncryptionConfigAlreadyExists")

	err = e.c.DeletePublicKey(e.ctx, key.ID, key.ETag)
	wantCode(t, err, "PublicKeyInUse")
	err = e.c.DeleteFLEProfile(e.ctx, prof.ID, prof.ETag)
	wantCode(t, err, "FieldLevelEncryptionProfileInUse")

	dist := func(ref string, change func(b model.Tree)) model.Tree {
		d := distConfig(ref)
		b := model.Sub(d, "DefaultCacheBehavior")
		b["FieldLevelEncryptionId"] = cfg.ID
		b["ViewerProtocolPolicy"] = "https-only"
		b["AllowedMethods"] = model.Tree{"Quantity": "7", "Items": strs("GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"),
			"CachedMethods": wrap(strs("GET", "HEAD")...)}
		model.StructItems(d, "Origins")[0]["CustomOriginConfig"].(map[string]any)["OriginProtocolPolicy"] = "https-only"
		change(b)
		return d
	}
	illegal := []struct {
		name   string
		change func(b model.Tree)
	}{
		{"allow-all viewers", func(b model.Tree) { b["ViewerProtocolPolicy"] = "allow-all" }},
		{"no POST", func(b model.Tree) {
			b["AllowedMethods"] = model.Tree{"Quantity": "3", "Items": strs("GET", "HEAD", "OPTIONS"), "CachedMethods": wrap(strs("GET", "HEAD")...)}
		}},
	}
	for _, tt := range illegal {
		_, _, err := e.c.CreateDistribution(e.ctx, dist("bad-"+tt.name, tt.change), nil)
		wantCode(t, err, "IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior")
	}
	httpOrigin := dist("http-origin", func(model.Tree) {})
	model.StructItems(httpOrigin, "Origins")[0]["CustomOriginConfig"].(map[string]any)["OriginProtocolPolicy"] = "http-only"
	_, _, err = e.c.CreateDistribution(e.ctx, httpOrigin, nil)
	wantCode(t, err, "IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior")
	_, _, err = e.c.CreateDistribution(e.ctx, dist("nosuch", func(b model.Tree) { b["FieldLevelEncryptionId"] = "C0000000000000" }), nil)
	wantCode(t, err, "NoSuchFieldLevelEncryptionConfig")

	d, _, err := e.c.CreateDistribution(e.ctx, dist("ok", func(model.Tree) {}), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ = e.c.GetFLEConfig(e.ctx, cfg.ID)
	err = e.c.DeleteFLEConfig(e.ctx, cfg.ID, cfg.ETag)
	wantCode(t, err, "FieldLevelEncryptionConfigInUse")
	if d.ID == "" {
		t.Fatal("no distribution id")
	}
}

// TestFLEProfile_update: If-Match, IllegalUpdate, a Name another profile
// has, and the key index following the profile's keys.
func TestFLEProfile_update(t *testing.T) {
	e := newEnv(t)
	k1, _, err := e.c.CreatePublicKey(e.ctx, pubKeyCfg("k1", "k1", pemPKIX(t, &rsaKey(t, 2048).PublicKey)))
	if err != nil {
		t.Fatal(err)
	}
	k2, _, err := e.c.CreatePublicKey(e.ctx, pubKeyCfg("k2", "k2", pemPKIX(t, &rsaKey(t, 2048).PublicKey)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.c.CreateFLEProfile(e.ctx, fleProfileCfg("a", "a", k1.ID, "card")); err != nil {
		t.Fatal(err)
	}
	b, _, err := e.c.CreateFLEProfile(e.ctx, fleProfileCfg("b", "b", k1.ID, "card"))
	if err != nil {
		t.Fatal(err)
	}
	to := func(cfg model.Tree) func(model.Tree) (model.Tree, error) {
		return func(model.Tree) (model.Tree, error) { return cfg, nil }
	}
	_, err = e.c.UpdateFLEProfile(e.ctx, b.ID, "", to(fleProfileCfg("b", "b", k2.ID, "card")))
	wantCode(t, err, "InvalidIfMatchVersion")
	_, err = e.c.UpdateFLEProfile(e.ctx, b.ID, "stale", to(fleProfileCfg("b", "b", k2.ID, "card")))
	wantCode(t, err, "PreconditionFailed")
	_, err = e.c.UpdateFLEProfile(e.ctx, b.ID, b.ETag, to(fleProfileCfg("other", "b", k2.ID, "card")))
	wantCode(t, err, "IllegalUpdate")
	_, err = e.c.UpdateFLEProfile(e.ctx, b.ID, b.ETag, to(fleProfileCfg("b", "a", k2.ID, "card")))
	wantCode(t, err, "FieldLevelEncryptionProfileAlreadyExists")
	_, err = e.c.UpdateFLEProfile(e.ctx, b.ID, b.ETag, to(fleProfileCfg("b", "b", "K0000000000000", "card")))
	wantCode(t, err, "NoSuchPublicKey")
	b2, err := e.c.UpdateFLEProfile(e.ctx, b.ID, b.ETag, to(fleProfileCfg("b", "renamed", k2.ID, "card")))
	if err != nil {
		t.Fatal(err)
	}
	if b2.ETag == b.ETag || model.StrOr(b2.Record.Config, "", "Name") != "renamed" {
		t.Fatalf("update not applied: %+v", b2.Record.Config)
	}
	// k1 is still named by profile a; k2 by b.
	wantCode(t, e.c.DeletePublicKey(e.ctx, k1.ID, k1.ETag), "PublicKeyInUse")
	wantCode(t, e.c.DeletePublicKey(e.ctx, k2.ID, k2.ETag), "PublicKeyInUse")
	// The old name is free again, the new one taken.
	if _, _, err := e.c.CreateFLEProfile(e.ctx, fleProfileCfg("c", "b", k1.ID, "card")); err != nil {
		t.Fatalf("the old name is still taken: %v", err)
	}
	_, _, err = e.c.CreateFLEProfile(e.ctx, fleProfileCfg("d", "renamed", k1.ID, "card"))
	wantCode(t, err, "FieldLevelEncryptionProfileAlreadyExists")
	if err := e.c.DeleteFLEProfile(e.ctx, b.ID, b2.ETag); err != nil {
		t.Fatal(err)
	}
	k2, _ = e.c.GetPublicKey(e.ctx, k2.ID)
	if err := e.c.DeletePublicKey(e.ctx, k2.ID, k2.ETag); err != nil {
		t.Fatalf("a key no profile names any more: %v", err)
	}
}
