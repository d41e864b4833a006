package signedurl

import (
	"crypto"
	"errors"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// TestVerify_rtmpStream checks the RTMP form (Developer Guide, "Working with
// RTMP Distributions", archived in awsdocs/amazon-cloudfront-developer-guide):
// the signed
// resource is the bare stream name with the viewer's own query, and a
// stream-name resource never matches a web URL.
func TestVerify_rtmpStream(t *testing.T) {
	key, _, _ := testKeys(t)
	keys := KeySet{"K1": key.Public()}
	now := time.Unix(1_700_000_000, 0)
	exp := now.Add(time.Hour).Unix()
	canned := func(resource string) string {
		return "Expires=" + strconv.FormatInt(exp, 10) + "&Signature=" + signPolicy(t, key, crypto.SHA1, CannedPolicy(resource, exp)) + "&Key-Pair-Id=K1"
	}
	custom := func(resource string) string {
		p := `{"Statement":[{"Resource":"` + resource + `","Condition":{"DateLessThan":{"AWS:EpochTime":` + strconv.FormatInt(exp, 10) + `}}}]}`
		return "Policy=" + cfBase64([]byte(p)) + "&Signature=" + signPolicy(t, key, crypto.SHA1, []byte(p)) + "&Key-Pair-Id=K1"
	}
	ip := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		name, stream, query string
		want                error
	}{
		{"canned", "videos/clip.mp4", canned("videos/clip.mp4"), nil},
		{"canned for another stream", "videos/other.mp4", canned("videos/clip.mp4"), ErrBadSignature},
		{"custom wildcard", "videos/a/b.flv", custom("videos/*"), nil},
		{"custom wildcard misses", "audio/a.mp3", custom("videos/*"), ErrResourceMismatch},
		{"unsigned", "videos/clip.mp4", "", ErrMissingKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(Request{Path: tc.stream, RawQuery: tc.query, ClientIP: ip}, keys, now)
			if !errors.Is(err, tc.want) && err != tc.want {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
	// A stream-name policy does not open web URLs.
	web := Request{Scheme: "http", Host: "d1.example", Path: "/videos/x", RawQuery: custom("videos/*"), ClientIP: ip}
	if err := Verify(web, keys, now); err == nil {
		t.Fatal("a bare stream-name resource matched a web URL")
	}
}
