package cache

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// FuzzMetaUnmarshalBinary feeds arbitrary bytes to the decoder of the disk
// tier's object metadata: it must not panic, and what it accepts must
// encode back to a form that decodes to the same object.
func FuzzMetaUnmarshalBinary(f *testing.F) {
	m := &Meta{DistID: "E1", Path: "/a?b", Status: 206, StoredAt: InstantOf(time.Unix(100, 5)), Expires: InstantOf(time.Unix(200, 0)), Size: 42,
		Header: MakeHeader(http.Header{"Set-Cookie": {"a=1", "b=2"}, "X-One": {"1"}, "X-Empty": {""}})}
	b, _ := m.AppendBinary(nil)
	f.Add(b)
	b, _ = (&Meta{Size: -1}).AppendBinary(nil)
	f.Add(b)
	f.Add([]byte{metaVersion, 0x80, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		var got Meta
		if got.UnmarshalBinary(data) != nil {
			return
		}
		again, err := got.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		var back Meta
		if err := back.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", again, err)
		}
		if back.DistID != got.DistID || back.Path != got.Path || back.Status != got.Status || back.StoredAt != got.StoredAt ||
			back.Expires != got.Expires || back.Size != got.Size || !slices.Equal(pairs(back.Header), pairs(got.Header)) {
			t.Fatalf("round trip of %x: got %+v, want %+v", data, back, got)
		}
	})
}
