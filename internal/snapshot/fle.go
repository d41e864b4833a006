package snapshot

import (
	"crypto/rsa"
	"log/slog"
	"strings"

	"openfront/internal/fle"
	"openfront/internal/model"
)

// compileFLE gives each behaviour naming a field-level encryption
// configuration its compiled form (package fle): profiles with their RSA
// public keys, by content type and by fle-profile value. A configuration
// whose profile or key has gone is compiled without that mapping (the API
// refuses deleting either while in use, so this is a store edited by
// hand).
func (r *records) compileFLE(s *Snapshot, log *slog.Logger) {
	compiled := map[string]*fle.Config{}
	profiles := map[string]*fle.Profile{}
	profile := func(id string) *fle.Profile {
		if p, ok := profiles[id]; ok {
			return p
		}
		rec := r.fleProfiles[model.FLEProfileKey(id)]
		if rec == nil {
			log.Error("snapshot: field-level encryption profile missing", "profile_id", id)
			profiles[id] = nil
			return nil
		}
		p := &fle.Profile{ID: id}
		for _, e := range model.FLEEntities(rec.Config) {
			pk := r.pubkeys[model.PublicKeyKey(e.PublicKeyID)]
			if pk == nil {
				log.Error("snapshot: public key of field-level encryption profile missing", "profile_id", id, "key_id", e.PublicKeyID)
				continue
			}
			key, err := model.ParsePublicKey(pk.EncodedKey)
			rsaKey, ok := key.(*rsa.PublicKey)
			if err != nil || !ok {
				log.Error("snapshot: public key of field-level encryption profile is not RSA", "profile_id", id, "key_id", e.PublicKeyID)
				continue
			}
			p.Entities = append(p.Entities, fle.Entity{Key: rsaKey, KeyName: pk.Name, ProviderID: e.ProviderID, Patterns: e.FieldPatterns})
		}
		profiles[id] = p
		return p
	}
	config := func(id string) *fle.Config {
		if c, ok := compiled[id]; ok {
			return c
		}
		rec := r.fleConfigs[model.FLEConfigKey(id)]
		if rec == nil {
			log.Error("snapshot: field-level encryption configuration missing", "config_id", id)
			compiled[id] = nil
			return nil
		}
		c := &fle.Config{ID: id, ContentTypes: map[string]*fle.Profile{},
			ForwardUnknownContentType: model.Bool(rec.Config, "ContentTypeProfileConfig", "ForwardWhenContentTypeIsUnknown")}
		for _, ct := range model.FLEContentTypeProfiles(rec.Config) {
			var p *fle.Profile
			if ct.ProfileID != "" {
				p = profile(ct.ProfileID)
			}
			c.ContentTypes[strings.ToLower(ct.ContentType)] = p
		}
		if model.Sub(rec.Config, "QueryArgProfileConfig") != nil {
			c.QueryArgs = map[string]*fle.Profile{}
			c.ForwardUnknownQueryArg = model.Bool(rec.Config, "QueryArgProfileConfig", "ForwardWhenQueryArgProfileIsUnknown")
			for _, qa := range model.FLEQueryArgProfiles(rec.Config) {
				c.QueryArgs[qa.QueryArg] = profile(qa.ProfileID)
			}
		}
		compiled[id] = c
		return c
	}
	for _, d := range s.Distributions {
		for _, b := range d.Behaviors {
			if b.FieldLevelEncryption != "" {
				b.FLE = config(b.FieldLevelEncryption)
			}
		}
	}
}
