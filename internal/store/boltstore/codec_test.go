package boltstore

import (
	"errors"
	"reflect"
	"testing"

	"openfront/internal/store"
)

func TestDecodeChanges_roundTrip(t *testing.T) {
	for _, changes := range [][]store.Change{
		{},
		{{Key: "dist/A", Value: []byte("v")}},
		{{Key: "k", Value: []byte{}}, {Key: "gone", Deleted: true}, {Key: "inval/d/1", Value: make([]byte, 300)}},
	} {
		got, err := decodeChanges(encodeChanges(changes))
		if err != nil {
			t.Fatalf("decode %v: %v", changes, err)
		}
		if !reflect.DeepEqual(got, changes) {
			t.Errorf("round trip = %#v, want %#v", got, changes)
		}
	}
}

func TestDecodeChanges_corrupt(t *testing.T) {
	good := encodeChanges([]store.Change{{Key: "key", Value: []byte("value")}, {Key: "d", Deleted: true}})
	for n := range len(good) {
		if _, err := decodeChanges(good[:n]); !errors.Is(err, errCorrupt) {
			t.Errorf("truncated to %d bytes: err %v, want errCorrupt", n, err)
		}
	}
	if _, err := decodeChanges(append(good, 0)); !errors.Is(err, errCorrupt) {
		t.Errorf("trailing byte: err %v, want errCorrupt", err)
	}
	// Lengths and counts in a longer form than the encoder writes (found by
	// FuzzDecodeChanges: 80 00 decoded as an empty log entry).
	for _, b := range [][]byte{
		{0x80, 0x00},                        // count 0 in two bytes
		{0x01, 0x81, 0x00, 'k', 0x01},       // key length 1 in two bytes
		{0x01, 0x01, 'k', 0x00, 0x80, 0x00}, // value length 0 in two bytes
	} {
		if _, err := decodeChanges(b); !errors.Is(err, errCorrupt) {
			t.Errorf("%x: err %v, want errCorrupt", b, err)
		}
	}
	bad := encodeChanges([]store.Change{{Key: "k", Deleted: true}})
	bad[len(bad)-1] = 7 // unknown flag
	if _, err := decodeChanges(bad); !errors.Is(err, errCorrupt) {
		t.Errorf("unknown flag: err %v, want errCorrupt", err)
	}
}

// FuzzDecodeChanges checks that no input makes the log decoder panic, and
// that what decodes encodes back to the same bytes.
func FuzzDecodeChanges(f *testing.F) {
	f.Add(encodeChanges([]store.Change{{Key: "dist/A", Value: []byte("v")}, {Key: "x", Deleted: true}}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		changes, err := decodeChanges(b)
		if err != nil {
			return
		}
		if again := encodeChanges(changes); string(again) != string(b) {
			t.Errorf("re-encoding %x gives %x", b, again)
		}
	})
}

func TestDecodeRecord_short(t *testing.T) {
	if _, err := decodeRecord("k", make([]byte, recordHeader-1)); !errors.Is(err, errCorrupt) {
		t.Errorf("short record: err %v, want errCorrupt", err)
	}
}
