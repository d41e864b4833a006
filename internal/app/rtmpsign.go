package app

import (
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"openfront/internal/rtmp"
	"openfront/internal/signedurl"
	"openfront/internal/snapshot"
)

// rtmpVerifier checks signed stream names with the same code as signed
// URLs: the keys of a streaming distribution's trusted signers are the
// stored public keys, read from the live snapshot at each play.
func rtmpVerifier(current func() *snapshot.Snapshot, v *signedurl.Verifier) rtmp.Verifier {
	return func(signers []string) rtmp.VerifyFunc {
		return func(resource string, query url.Values, clientIP net.IP, now time.Time) error {
			snap := current()
			if snap == nil {
				return signedurl.ErrUnknownKey
			}
			name, own, _ := strings.Cut(resource, "?")
			// The viewer's own parameters first, as signed, then the
			// signing parameters the verifier reads.
			raw := own
			for _, p := range []string{"Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm"} {
				for _, val := range query[p] {
					if raw != "" {
						raw += "&"
					}
					raw += p + "=" + url.QueryEscape(val)
				}
			}
			ip, _ := netip.AddrFromSlice(clientIP)
			req := signedurl.Request{Path: name, RawQuery: raw, ClientIP: ip.Unmap()}
			return v.Verify(req, signedurl.KeySet(snap.Keys.Allowed(signers, nil)), now)
		}
	}
}
