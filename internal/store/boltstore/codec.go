package boltstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"openfront/internal/store"
)

// errCorrupt reports bytes in the data file that do not decode. It means the
// file was damaged or written by something else; it is never expected.
var errCorrupt = errors.New("boltstore: corrupt data")

// A record in bucket "kv" is the key's CreateRevision and ModRevision, each 8
// bytes big-endian, followed by the value.
const recordHeader = 16

func encodeRecord(create, mod int64, value []byte) []byte {
	b := make([]byte, recordHeader+len(value))
	binary.BigEndian.PutUint64(b[0:8], uint64(create))
	binary.BigEndian.PutUint64(b[8:16], uint64(mod))
	copy(b[recordHeader:], value)
	return b
}

// decodeRecord returns the key's KV with a copy of the value, so the result
// outlives the bbolt transaction b belongs to.
func decodeRecord(key string, b []byte) (store.KV, error) {
	if len(b) < recordHeader {
		return store.KV{}, fmt.Errorf("record %q: %w", key, errCorrupt)
	}
	return store.KV{
		Key:            key,
		Value:          bytes.Clone(b[recordHeader:]),
		CreateRevision: int64(binary.BigEndian.Uint64(b[0:8])),
		ModRevision:    int64(binary.BigEndian.Uint64(b[8:16])),
	}, nil
}

// revKey is a revision as a key of bucket "log" (and the value of the
// current revision in bucket "meta"): 8 bytes big-endian, so byte order is
// revision order.
func revKey(rev int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(rev))
}

func decodeRev(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("revision %x: %w", b, errCorrupt)
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// encodeChanges encodes one commit's changes for bucket "log": the number of
// changes as a uvarint, then for each the key length (uvarint) and key, one
// flag byte (1 = deleted) and, for a put, the value length (uvarint) and value.
func encodeChanges(changes []store.Change) []byte {
	b := binary.AppendUvarint(nil, uint64(len(changes)))
	for _, c := range changes {
		b = binary.AppendUvarint(b, uint64(len(c.Key)))
		b = append(b, c.Key...)
		if c.Deleted {
			b = append(b, 1)
			continue
		}
		b = append(b, 0)
		b = binary.AppendUvarint(b, uint64(len(c.Value)))
		b = append(b, c.Value...)
	}
	return b
}

// decodeChanges decodes what encodeChanges wrote. Keys and values are copied
// out of b.
func decodeChanges(b []byte) ([]store.Change, error) {
	d := decoder{b: b}
	n := d.uvarint()
	if n > uint64(len(b)) { // every change takes at least two bytes
		return nil, fmt.Errorf("change count %d: %w", n, errCorrupt)
	}
	changes := make([]store.Change, 0, n)
	for range n {
		c := store.Change{Key: string(d.bytes(d.uvarint()))}
		switch d.byte() {
		case 0:
			c.Value = d.bytes(d.uvarint())
		case 1:
			c.Deleted = true
		default:
			d.fail()
		}
		if d.err != nil {
			return nil, d.err
		}
		changes = append(changes, c)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	return changes, d.err
}

// decoder reads from b; after the first failure every read returns zero
// values and err stays set.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = fmt.Errorf("change log entry: %w", errCorrupt)
	}
	d.b = nil
}

// uvarint reads a uvarint in its shortest form, the only one
// binary.AppendUvarint writes: a longer one (a last byte of 0, as in 80 00
// for 0) decodes to a valid number but can only come from damage, so it
// fails like any other.
func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || (n > 1 && d.b[n-1] == 0) {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// bytes returns a copy of the next n bytes (non-nil, even when n is 0).
func (d *decoder) bytes(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	v := append([]byte{}, d.b[:n]...)
	d.b = d.b[n:]
	return v
}
