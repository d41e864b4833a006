package signedurl

import (
	"crypto"
	"errors"
	"fmt"
	"testing"
	"time"
)

// The edge passes the access form of the path as Path and the path as
// received as Received (issue #12). Custom policies are matched on Path
// only; a canned policy, which signs one exact URL, verifies for either.
func TestVerify_receivedPath(t *testing.T) {
	k, _, _ := testKeys(t)
	keys := KeySet{"K1": &k.PublicKey}
	now := time.Unix(1_700_000_000, 0)
	exp := now.Add(time.Hour).Unix()
	okPolicy := fmt.Sprintf(`{"Statement":[{"Resource":"https://d.example/ok/*","Condition":{"DateLessThan":{"AWS:EpochTime":%d}}}]}`, exp)
	tests := []struct {
		name           string
		signed         string // URL signed (with its query)
		path, received string // Path and Received of the request
		want           error
	}{
		{"custom, normal path", customURL(t, k, "K1", crypto.SHA1, "https://d.example/ok/a", okPolicy), "/ok/a", "", nil},
		{"custom, dot-dot out of the resource", customURL(t, k, "K1", crypto.SHA1, "https://d.example/ok/../secret", okPolicy), "/secret", "/ok/../secret", ErrResourceMismatch},
		{"custom, encoded slash out of the resource", customURL(t, k, "K1", crypto.SHA1, "https://d.example/ok/..%2Fsecret", okPolicy), "/secret", "/ok/..%2Fsecret", ErrResourceMismatch},
		{"custom, spelling inside the resource", customURL(t, k, "K1", crypto.SHA1, "https://d.example/ok/x/../a", okPolicy), "/ok/a", "/ok/x/../a", nil},
		{"canned for the normal form", cannedURL(t, k, "K1", "https://d.example/a/b", exp), "/a/b", "/a/./b", nil},
		{"canned for the URL as received", cannedURL(t, k, "K1", "https://d.example/a//b", exp), "/a/b", "/a//b", nil},
		{"canned for another URL", cannedURL(t, k, "K1", "https://d.example/a/c", exp), "/a/b", "/a//b", ErrBadSignature},
		{"canned as received but without Received", cannedURL(t, k, "K1", "https://d.example/a//b", exp), "/a/b", "", ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := requestFor(t, tc.signed, "")
			req.Path, req.Received = tc.path, tc.received
			for _, v := range []func(Request, Keys, time.Time) error{Verify, NewVerifier(16).Verify} {
				if err := v(req, keys, now); !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
					t.Errorf("Verify = %v, want %v", err, tc.want)
				}
			}
		})
	}
}
