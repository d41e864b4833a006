package snapshot

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"openfront/internal/model"
)

// TestWatcher_fieldLevelEncryption: a behaviour naming a stored
// configuration gets it compiled (content type and fle-profile mappings,
// the profile's RSA key, key name and provider), and a change of the
// configuration reaches the behaviour.
func TestWatcher_fieldLevelEncryption(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st := openStore(t)
	put := func(key string, v any) int64 { t.Helper(); return putJSON(ctx, t, st, key, v) }
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	put(model.PublicKeyKey("K1"), model.PublicKeyRecord{ID: "K1", Name: "DEMOKEY", EncodedKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))})
	put(model.FLEProfileKey("P1"), model.FLERecord{ID: "P1", Config: model.Tree{"Name": "p", "CallerReference": "p",
		"EncryptionEntities": model.Wrapper([]any{model.Tree{"PublicKeyId": "K1", "ProviderId": "DEMO", "FieldPatterns": model.Wrapper([]any{"card", "ssn*"})}})}})
	config := func(forward string) model.FLERecord {
		return model.FLERecord{ID: "C1", Config: model.Tree{"CallerReference": "c",
			"QueryArgProfileConfig": model.Tree{"ForwardWhenQueryArgProfileIsUnknown": "false",
				"QueryArgProfiles": model.Wrapper([]any{model.Tree{"QueryArg": "cards", "ProfileId": "P1"}})},
			"ContentTypeProfileConfig": model.Tree{"ForwardWhenContentTypeIsUnknown": forward,
				"ContentTypeProfiles": model.Wrapper([]any{model.Tree{"Format": "URLEncoded", "ProfileId": "P1", "ContentType": "application/x-www-form-urlencoded"}})}}}
	}
	put(model.FLEConfigKey("C1"), config("false"))
	d := distRecord("E1", "d1.example")
	model.Sub(d.Config, "DefaultCacheBehavior")["FieldLevelEncryptionId"] = "C1"
	put(model.DistributionKey("E1"), d)

	next := watchSnapshots(ctx, t, st)
	s := next()
	c := s.Distributions["E1"].Match("/x").FLE
	if c == nil {
		t.Fatal("the behaviour has no field-level encryption configuration")
	}
	p := c.ContentTypes["application/x-www-form-urlencoded"]
	if p == nil || c.QueryArgs["cards"] != p || c.ForwardUnknownContentType || c.ForwardUnknownQueryArg {
		t.Fatalf("compiled config %+v", c)
	}
	if len(p.Entities) != 1 || p.Entities[0].KeyName != "DEMOKEY" || p.Entities[0].ProviderID != "DEMO" ||
		p.Entities[0].Key.N.Cmp(k.N) != 0 || len(p.Entities[0].Patterns) != 2 {
		t.Fatalf("compiled profile %+v", p.Entities)
	}
	put(model.FLEConfigKey("C1"), config("true"))
	for s = next(); !s.Distributions["E1"].Match("/x").FLE.ForwardUnknownContentType; s = next() {
	}
}
