package control_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"regexp"
	"slices"
	"strings"
	"testing"

	"openfront/internal/control"
	"openfront/internal/model"
)

// Public key ids are K and 13 upper-case letters and digits (OpenFront's
// choice, shaped like the ids in the Amazon CloudFront API Reference examples).
var publicKeyIDPattern = regexp.MustCompile(`^K[A-Z0-9]{13}$`)

// pemPKIX encodes a public key as openssl rsa -pubout does.
func pemPKIX(t *testing.T, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// ecdsaPEM returns a new PEM public key on the curve (P-256 unless told).
func ecdsaPEM(t *testing.T, curve elliptic.Curve) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pemPKIX(t, &k.PublicKey)
}

func rsaKey(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pubKeyCfg(ref, name, encoded string) model.Tree {
	return model.Tree{"CallerReference": ref, "Name": name, "EncodedKey": encoded, "Comment": "key " + name}
}

// mustPublicKey creates a P-256 public key.
func (e *env) mustPublicKey(name string) *control.PublicKey {
	e.t.Helper()
	pk, created, err := e.c.CreatePublicKey(e.ctx, pubKeyCfg("ref-"+name, name, ecdsaPEM(e.t, elliptic.P256())))
	if err != nil || !created {
		e.t.Fatalf("CreatePublicKey(%s): created=%v err=%v", name, created, err)
	}
	return pk
}

// TestCreatePublicKey_keys: CloudFront accepts RSA 2048 and ECDSA 256 keys
// (API reference, PublicKeyConfig); anything else is InvalidArgument.
func TestCreatePublicKey_keys(t *testing.T) {
	rsa2048 := rsaKey(t, 2048)
	tests := []struct {
		name    string
		cfg     model.Tree
		wantErr string
	}{
		{"RSA 2048 PKIX", pubKeyCfg("r1", "rsa", pemPKIX(t, &rsa2048.PublicKey)), ""},
		{"RSA 2048 PKCS1", pubKeyCfg("r2", "rsa-pkcs1", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsa2048.PublicKey)}))), ""},
		{"ECDSA P-256", pubKeyCfg("r3", "ec", ecdsaPEM(t, elliptic.P256())), ""},
		{"ECDSA P-384", pubKeyCfg("r4", "ec384", ecdsaPEM(t, elliptic.P384())), "InvalidArgument"},
		{"RSA 1024", pubKeyCfg("r5", "rsa1024", pemPKIX(t, &rsaKey(t, 1024).PublicKey)), "InvalidArgument"},
		{"not PEM", pubKeyCfg("r6", "junk", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"), "InvalidArgument"},
		{"private key PEM", pubKeyCfg("r7", "private", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsa2048)}))), "InvalidArgument"},
		{"corrupt DER", pubKeyCfg("r8", "corrupt", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("nope")}))), "InvalidArgument"},
		{"two keys", pubKeyCfg("r9", "two", ecdsaPEM(t, elliptic.P256())+ecdsaPEM(t, elliptic.P256())), "InvalidArgument"},
		{"empty name", pubKeyCfg("r10", "", ecdsaPEM(t, elliptic.P256())), "InvalidArgument"},
		{"comment of 129", func() model.Tree {
			c := pubKeyCfg("r11", "long", ecdsaPEM(t, elliptic.P256()))
			c["Comment"] = strings.Repeat("c", 129)
			return c
		}(), "InvalidArgument"},
	}
	e := newEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rev := e.revision()
			pk, created, err := e.c.CreatePublicKey(e.ctx, tc.cfg)
			if tc.wantErr != "" {
				wantCode(t, err, tc.wantErr)
				if e.revision() != rev {
					t.Error("a refused create wrote to the store")
				}
				return
			}
			if err != nil || !created {
				t.Fatalf("created=%v err=%v", created, err)
			}
			if !publicKeyIDPattern.MatchString(pk.ID) || pk.ETag == "" || pk.CreatedTime.IsZero() {
				t.Errorf("public key = %+v", pk)
			}
			if pk.Config["EncodedKey"] != tc.cfg["EncodedKey"] {
				t.Error("EncodedKey is not echoed as sent")
			}
		})
	}
}

// TestCreatePublicKey_uniqueness: a CallerReference or a Name may name one
// key only (PublicKeyAlreadyExists, "CreatePublicKey" in the Amazon
// CloudFront API Reference); a retry with the identical config returns the
// key (OpenFront's choice); the quota counts keys.
func TestCreatePublicKey_uniqueness(t *testing.T) {
	e := newEnvQuotas(t, control.Quotas{PublicKeys: 2})
	key := ecdsaPEM(t, elliptic.P256())
	first, _, err := e.c.CreatePublicKey(e.ctx, pubKeyCfg("ref-1", "one", key))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     model.Tree
		wantErr string
	}{
		{"retry", pubKeyCfg("ref-1", "one", key), ""},
		{"reference reused", pubKeyCfg("ref-1", "other", key), "PublicKeyAlreadyExists"},
		{"name reused", pubKeyCfg("ref-2", "one", ecdsaPEM(t, elliptic.P256())), "PublicKeyAlreadyExists"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rev := e.revision()
			pk, created, err := e.c.CreatePublicKey(e.ctx, tc.cfg)
			if e.revision() != rev {
				t.Error("wrote to the store")
			}
			if tc.wantErr != "" {
				wantCode(t, err, tc.wantErr)
				return
			}
			if err != nil || created || pk.ID != first.ID || pk.ETag != first.ETag {
				t.Errorf("retry = %+v created=%v err=%v, want the first key", pk, created, err)
			}
		})
	}
	if _, _, err := e.c.CreatePublicKey(e.ctx, pubKeyCfg("ref-2", "two", ecdsaPEM(t, elliptic.P256()))); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.c.CreatePublicKey(e.ctx, pubKeyCfg("ref-3", "three", ecdsaPEM(t, elliptic.P256())))
	wantCode(t, err, "TooManyPublicKeys")
}

// TestUpdatePublicKey: only the comment can change (API reference,
// UpdatePublicKey); checks run existence, If-Match, then the body.
func TestUpdatePublicKey(t *testing.T) {
	e := newEnv(t)
	k := rsaKey(t, 2048)
	key := pemPKIX(t, &k.PublicKey)
	pk, _, err := e.c.CreatePublicKey(e.ctx, pubKeyCfg("ref-1", "one", key))
	if err != nil {
		t.Fatal(err)
	}
	with := func(change func(model.Tree)) model.Tree {
		c := pubKeyCfg("ref-1", "one", key)
		change(c)
		return c
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)}))
	tests := []struct {
		name    string
		id      string
		ifMatch string // "" = the current ETag; "-" = none
		cfg     model.Tree
		wantErr string
	}{
		{"unknown id", "KNOSUCHKEY0000", "", pubKeyCfg("ref-1", "one", key), "NoSuchPublicKey"},
		{"no If-Match", pk.ID, "-", pubKeyCfg("ref-1", "one", key), "InvalidIfMatchVersion"},
		{"stale If-Match", pk.ID, "ESTALE", pubKeyCfg("ref-1", "one", key), "PreconditionFailed"},
		{"new key", pk.ID, "", with(func(c model.Tree) { c["EncodedKey"] = ecdsaPEM(t, elliptic.P256()) }), "CannotChangeImmutablePublicKeyFields"},
		{"new name", pk.ID, "", with(func(c model.Tree) { c["Name"] = "renamed" }), "CannotChangeImmutablePublicKeyFields"},
		{"new caller reference", pk.ID, "", with(func(c model.Tree) { c["CallerReference"] = "ref-9" }), "IllegalUpdate"},
		{"comment too long", pk.ID, "", with(func(c model.Tree) { c["Comment"] = strings.Repeat("c", 129) }), "InvalidArgument"},
		{"new comment", pk.ID, "", with(func(c model.Tree) { c["Comment"] = "rotated soon" }), ""},
		{"same key as PKCS #1", pk.ID, "", with(func(c model.Tree) { c["EncodedKey"] = pkcs1 }), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, err := e.c.GetPublicKey(e.ctx, pk.ID)
			if err != nil {
				t.Fatal(err)
			}
			ifMatch := testIfMatch(tc.ifMatch, before.ETag)
			got, err := e.c.UpdatePublicKey(e.ctx, tc.id, ifMatch, replaceWith(tc.cfg))
			if tc.wantErr != "" {
				wantCode(t, err, tc.wantErr)
				after, _ := e.c.GetPublicKey(e.ctx, pk.ID)
				if after.ETag != before.ETag {
					t.Error("a refused update changed the key")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ETag == before.ETag || got.Config["Comment"] != tc.cfg["Comment"] || got.Config["EncodedKey"] != key || !got.CreatedTime.Equal(pk.CreatedTime) {
				t.Errorf("updated = %+v", got)
			}
		})
	}
}

// TestDeletePublicKey: a key in a key group cannot be deleted
// (PublicKeyInUse, "DeletePublicKey" in the Amazon CloudFront API
// Reference); a deleted key's CallerReference and Name are free again.
func TestDeletePublicKey(t *testing.T) {
	e := newEnv(t)
	pk := e.mustPublicKey("one")
	kg, err := e.c.CreateKeyGroup(e.ctx, keyGroupCfg("group", pk.ID))
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.c.DeletePublicKey(e.ctx, "KNOSUCHKEY0000", pk.ETag), "NoSuchPublicKey")
	wantCode(t, e.c.DeletePublicKey(e.ctx, pk.ID, ""), "InvalidIfMatchVersion")
	wantCode(t, e.c.DeletePublicKey(e.ctx, pk.ID, "ESTALE"), "PreconditionFailed")
	wantCode(t, e.c.DeletePublicKey(e.ctx, pk.ID, pk.ETag), "PublicKeyInUse")

	if err := e.c.DeleteKeyGroup(e.ctx, kg.ID, kg.ETag); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.c.GetPublicKey(e.ctx, pk.ID); got.ETag != pk.ETag {
		t.Error("key group changes changed the public key's ETag")
	}
	if err := e.c.DeletePublicKey(e.ctx, pk.ID, pk.ETag); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.GetPublicKey(e.ctx, pk.ID)
	wantCode(t, err, "NoSuchPublicKey")
	if left := append(e.keys("pubkey"), e.keys("name/pubkey/")...); len(left) != 0 {
		t.Errorf("keys left behind: %v", left)
	}
	again, created, err := e.c.CreatePublicKey(e.ctx, pubKeyCfg("ref-one", "one", ecdsaPEM(t, elliptic.P256())))
	if err != nil || !created || again.ID == pk.ID {
		t.Errorf("re-create after delete: %+v created=%v err=%v", again, created, err)
	}
}

func TestListPublicKeys(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for _, n := range []string{"a", "b", "c"} {
		ids = append(ids, e.mustPublicKey(n).ID)
	}
	var got []string
	opts := control.ListOptions{MaxItems: 2}
	for range 3 {
		list, p, err := e.c.ListPublicKeys(e.ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, pk := range list {
			got = append(got, pk.ID)
		}
		if !p.IsTruncated {
			if p.NextMarker != "" {
				t.Errorf("last page has NextMarker %q", p.NextMarker)
			}
			break
		}
		opts.Marker = p.NextMarker
	}
	if !slices.Equal(got, ids) {
		t.Errorf("listed %v, want %v (creation order)", got, ids)
	}
}
