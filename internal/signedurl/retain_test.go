package signedurl

import (
	"crypto"
	"strconv"
	"testing"
	"time"
	"unsafe"
)

// The edge's fast path hands Verify strings that alias a reused read
// buffer; the verifier's cache must keep none of them. Verify canned and
// custom requests from such strings, scribble over the buffer, and verify
// fresh copies: the cached entries must still match.
func TestVerifier_keepsNoRequestStrings(t *testing.T) {
	key, _, _ := testKeys(t)
	keys := KeySet{"K1": key.Public()}
	exp := time.Now().Add(time.Hour).Unix()
	for _, raw := range []string{
		cannedURL(t, key, "K1", "http://d1.example/a.txt", exp),
		customURL(t, key, "K1", crypto.SHA1, "http://d1.example/b.txt",
			`{"Statement":[{"Resource":"http://d1.example/b.txt*","Condition":{"DateLessThan":{"AWS:EpochTime":`+strconv.FormatInt(exp, 10)+`}}}]}`),
	} {
		want := requestFor(t, raw, "192.0.2.1")
		v := NewVerifier(16)
		buf := []byte(want.Scheme + want.Host + want.Path + want.RawQuery)
		view := func(off, n int) string { return unsafe.String(&buf[off], n) }
		aliased := want
		off := 0
		aliased.Scheme, off = view(off, len(want.Scheme)), off+len(want.Scheme)
		aliased.Host, off = view(off, len(want.Host)), off+len(want.Host)
		aliased.Path, off = view(off, len(want.Path)), off+len(want.Path)
		aliased.RawQuery = view(off, len(want.RawQuery))
		if err := v.Verify(aliased, keys, time.Now()); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		for i := range buf {
			buf[i] = 'x'
		}
		if err := v.Verify(want, keys, time.Now()); err != nil {
			t.Errorf("%s: after the buffer was reused, the cached verification fails: %v", raw, err)
		}
	}
}
