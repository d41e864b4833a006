package model

import "time"

// Field-level encryption configurations and profiles ("Use field-level
// encryption to help protect sensitive data", Amazon CloudFront Developer
// Guide), as stored. Config is the FieldLevelEncryptionConfig or
// FieldLevelEncryptionProfileConfig document as the client sent it
// (validated by package control).

// FLERecord is a field-level encryption configuration, under
// fleconfig/<id>, or profile, under fleprofile/<id>.
type FLERecord struct {
	ID           string
	LastModified time.Time
	Config       Tree // FieldLevelEncryptionConfig or FieldLevelEncryptionProfileConfig
}

// FLEEntity is one EncryptionEntity of a profile.
type FLEEntity struct {
	PublicKeyID   string
	ProviderID    string
	FieldPatterns []string
}

// FLEEntities reads a profile's EncryptionEntities.
func FLEEntities(profile Tree) []FLEEntity {
	var out []FLEEntity
	for _, e := range StructItems(profile, "EncryptionEntities") {
		out = append(out, FLEEntity{
			PublicKeyID:   StrOr(e, "", "PublicKeyId"),
			ProviderID:    StrOr(e, "", "ProviderId"),
			FieldPatterns: StringItems(e, "FieldPatterns"),
		})
	}
	return out
}

// FLEContentTypeProfile is one ContentTypeProfile of a configuration.
type FLEContentTypeProfile struct{ ContentType, Format, ProfileID string }

// FLEQueryArgProfile is one QueryArgProfile of a configuration.
type FLEQueryArgProfile struct{ QueryArg, ProfileID string }

// FLEContentTypeProfiles reads a configuration's content-type mappings.
func FLEContentTypeProfiles(cfg Tree) []FLEContentTypeProfile {
	var out []FLEContentTypeProfile
	for _, p := range StructItems(cfg, "ContentTypeProfileConfig", "ContentTypeProfiles") {
		out = append(out, FLEContentTypeProfile{ContentType: StrOr(p, "", "ContentType"), Format: StrOr(p, "", "Format"), ProfileID: StrOr(p, "", "ProfileId")})
	}
	return out
}

// FLEQueryArgProfiles reads a configuration's fle-profile mappings.
func FLEQueryArgProfiles(cfg Tree) []FLEQueryArgProfile {
	var out []FLEQueryArgProfile
	for _, p := range StructItems(cfg, "QueryArgProfileConfig", "QueryArgProfiles") {
		out = append(out, FLEQueryArgProfile{QueryArg: StrOr(p, "", "QueryArg"), ProfileID: StrOr(p, "", "ProfileId")})
	}
	return out
}
