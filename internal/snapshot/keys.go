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
}

// Allowed returns the public keys a behaviour trusts: those of its trusted
// key groups, and, with trusted signers enabled ("self" or the account),
// every stored key — the account's key pairs are its public keys here.
func (k *Keys) Allowed(trustedSigners, trustedKeyGroups []string) map[string]crypto.PublicKey {
	if k == nil || (len(trustedSigners) == 0 && len(trustedKeyGroups) == 0) {
		return nil
	}
	out := map[string]crypto.PublicKey{}
	if len(trustedSigners) > 0 {
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

func (r *records) compileKeys(log *slog.Logger) *Keys {
	k := &Keys{ByID: map[string]crypto.PublicKey{}, Groups: map[string][]string{}}
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
