package snapshot

import (
	"crypto"
	"log/slog"

	"openfront/internal/model"
)

// Keys are the public keys signed URLs and cookies are verified with.
type Keys struct {
	// ByID holds every stored public key by its id (the Key-Pair-Id of a
	// signed URL), parsed.
	ByID map[string]crypto.PublicKey
	// Groups lists the public key ids of each key group.
	Groups map[string][]string
	// Account is the AWS account id OpenFront answers as (serve's
	// --account-id): the account whose CloudFront key pairs the stored
	// public keys stand for.
	Account string
}

// Allowed returns the public keys a behaviour trusts: those of its trusted
// key groups, and every stored key when a trusted signer is "self" or the
// account itself (the account's key pairs are its public keys here). A
// trusted signer naming another account adds nothing: OpenFront holds no
// key pair of another account, and CloudFront trusts only "the active
// CloudFront key pairs" of the accounts listed ("Specify signers that can
// create signed URLs and signed cookies",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-trusted-signers.html).
func (k *Keys) Allowed(trustedSigners, trustedKeyGroups []string) map[string]crypto.PublicKey {
	if k == nil || (len(trustedSigners) == 0 && len(trustedKeyGroups) == 0) {
		return nil
	}
	out := map[string]crypto.PublicKey{}
	if k.TrustsStoredKeys(trustedSigners) {
		for id, pk := range k.ByID {
			out[id] = pk
		}
	}
	for _, g := range trustedKeyGroups {
		for _, id := range k.Groups[g] {
			if pk, ok := k.ByID[id]; ok {
				out[id] = pk
			}
		}
	}
	return out
}

// TrustsStoredKeys reports whether trusted signers include the account
// itself ("self" or its id).
func (k *Keys) TrustsStoredKeys(trustedSigners []string) bool {
	for _, s := range trustedSigners {
		if model.OwnSigner(s, k.Account) {
			return true
		}
	}
	return false
}

func (r *records) compileKeys(log *slog.Logger) *Keys {
	k := &Keys{ByID: map[string]crypto.PublicKey{}, Groups: map[string][]string{}, Account: r.account}
	for _, rec := range r.pubkeys {
		pk, err := model.ParsePublicKey(rec.EncodedKey)
		if err != nil {
			log.Error("snapshot: stored public key does not parse", "key_id", rec.ID, "err", err)
			continue
		}
		k.ByID[rec.ID] = pk
	}
	for _, rec := range r.keygroups {
		k.Groups[rec.ID] = rec.PublicKeyIDs
	}
	return k
}
