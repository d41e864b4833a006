package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

// Meta describes one stored object. A *Meta handed out by the cache is
// shared by every reader and must not be modified.
type Meta struct {
	DistID   string    // distribution the object belongs to (for purges)
	Path     string    // request path as received, with query (for purges)
	Status   int       // HTTP status of the stored response
	Header   Header    // stored response header, already filtered by the edge
	StoredAt time.Time // when the response arrived from the origin
	Expires  time.Time // end of freshness; the edge decides what stale means
	Size     int64     // body length in bytes; -1 while unknown during a fill
}

// Header is an immutable, compact copy of an http.Header: name/value pairs
// sorted by name in one []string whose strings share one allocation. It
// costs a fraction of a map per entry and can still be copied into a
// response header without allocating (see CopyTo).
type Header struct {
	kv []string // name0, value0, name1, value1, ... sorted by name (stable)
}

// MakeHeader copies h into a Header. Later changes to h do not affect it.
func MakeHeader(h http.Header) Header {
	if len(h) == 0 {
		return Header{}
	}
	names := make([]string, 0, len(h))
	n, size := 0, 0
	for name, vs := range h {
		if len(vs) == 0 {
			continue
		}
		names = append(names, name)
		n += len(vs)
		size += len(name)
		for _, v := range vs {
			size += len(v)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	b.Grow(size)
	for _, name := range names {
		b.WriteString(name)
		for _, v := range h[name] {
			b.WriteString(v)
		}
	}
	all := b.String()
	kv := make([]string, 0, 2*n)
	off := 0
	take := func(l int) string { s := all[off : off+l]; off += l; return s }
	for _, name := range names {
		k := take(len(name))
		for _, v := range h[name] {
			kv = append(kv, k, take(len(v)))
		}
	}
	return Header{kv: kv}
}

// Len returns the number of name/value pairs.
func (h Header) Len() int { return len(h.kv) / 2 }

// Get returns the first value stored for the canonical name, or "".
func (h Header) Get(name string) string {
	for i := 0; i < len(h.kv); i += 2 {
		if h.kv[i] == name {
			return h.kv[i+1]
		}
	}
	return ""
}

// All yields every name/value pair, names in sorted order.
func (h Header) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for i := 0; i < len(h.kv); i += 2 {
			if !yield(h.kv[i], h.kv[i+1]) {
				return
			}
		}
	}
}

// CopyTo sets every stored header in dst, replacing values dst already has
// for those names. Single-valued headers (nearly all of them) are set to a
// sub-slice of the stored header, so this does not allocate beyond dst's
// own map growth; the slices have no spare capacity, so dst.Add copies
// rather than overwrites. Callers must not assign into dst[name][i].
func (h Header) CopyTo(dst http.Header) {
	kv := h.kv
	for i := 0; i < len(kv); {
		j := i + 2
		for j < len(kv) && kv[j] == kv[i] {
			j += 2
		}
		if j == i+2 {
			dst[kv[i]] = kv[i+1 : i+2 : i+2]
		} else {
			vs := make([]string, 0, (j-i)/2)
			for k := i; k < j; k += 2 {
				vs = append(vs, kv[k+1])
			}
			dst[kv[i]] = vs
		}
		i = j
	}
}

// Clone returns the header as a new http.Header.
func (h Header) Clone() http.Header {
	dst := make(http.Header, h.Len())
	h.CopyTo(dst)
	for k, vs := range dst {
		dst[k] = slices.Clone(vs)
	}
	return dst
}

// bytes is the memory the header's strings and slice occupy, for weighing.
func (h Header) bytes() int {
	n := 16 * len(h.kv)
	for i, s := range h.kv {
		if i%2 == 0 && i > 0 && s == h.kv[i-2] {
			continue
		}
		n += len(s)
	}
	return n
}

// Weight estimates the heap bytes m takes beyond its Meta struct, for tiers
// that bound themselves by bytes.
func (m *Meta) Weight() int { return m.Header.bytes() }

// metaVersion is the first byte of Meta's binary form.
const metaVersion = 1

// errBadMeta is returned by UnmarshalBinary for any malformed input.
var errBadMeta = errors.New("cache: malformed object metadata")

// AppendBinary appends the binary form of m to b (encoding.BinaryAppender).
// The format is: version byte, then uvarint-length-prefixed strings and
// varint integers (times as Unix nanoseconds).
func (m *Meta) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, metaVersion)
	b = appendString(b, m.DistID)
	b = appendString(b, m.Path)
	b = binary.AppendVarint(b, int64(m.Status))
	b = binary.AppendVarint(b, unixNano(m.StoredAt))
	b = binary.AppendVarint(b, unixNano(m.Expires))
	b = binary.AppendVarint(b, m.Size)
	b = binary.AppendUvarint(b, uint64(len(m.Header.kv)))
	for _, s := range m.Header.kv {
		b = appendString(b, s)
	}
	return b, nil
}

// UnmarshalBinary decodes the form written by AppendBinary. Strings of the
// result share one copy of data, so data may be reused afterwards.
func (m *Meta) UnmarshalBinary(data []byte) error {
	if len(data) == 0 || data[0] != metaVersion {
		return errBadMeta
	}
	all := string(data) // one copy; every string below is a slice of it
	d := decoder{s: all, off: 1}
	m.DistID = d.string()
	m.Path = d.string()
	m.Status = int(d.varint())
	m.StoredAt = fromUnixNano(d.varint())
	m.Expires = fromUnixNano(d.varint())
	m.Size = d.varint()
	n := d.uvarint()
	if d.err != nil || n%2 != 0 || n > uint64(len(all)) {
		return errBadMeta
	}
	var kv []string
	if n > 0 {
		kv = make([]string, n)
		for i := range kv {
			kv[i] = d.string()
		}
	}
	m.Header = Header{kv: kv}
	if d.err != nil || d.off != len(all) {
		return errBadMeta
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

type decoder struct {
	s   string
	off int
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint([]byte(d.s[d.off:min(len(d.s), d.off+binary.MaxVarintLen64)]))
	if n <= 0 {
		d.err = errBadMeta
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	u := d.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (d *decoder) string() string {
	l := d.uvarint()
	if d.err != nil {
		return ""
	}
	if l > uint64(len(d.s)-d.off) {
		d.err = errBadMeta
		return ""
	}
	s := d.s[d.off : d.off+int(l)]
	d.off += int(l)
	return s
}

// Entry is an object found by Lookup. Exactly one of Body and File is set.
// An Entry must be closed (Close) when the response is written; the memory
// tier's Close is a no-op.
type Entry struct {
	Meta *Meta
	// Body is the whole body of an object from the memory tier. It is
	// shared by all readers and must not be modified; write it with w.Write.
	Body []byte
	// File is the object's file in the disk tier, opened for this lookup
	// only. The body is bytes [0, Meta.Size) of the file; metadata follows
	// it, so never use the file's own size. Seek it and io.CopyN to the
	// connection to get sendfile(2).
	File *os.File
}

// ReadAt reads body bytes at off (io.ReaderAt over [0, Meta.Size)).
func (e Entry) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("cache: negative offset %d", off)
	}
	if off >= e.Meta.Size {
		return 0, io.EOF
	}
	short := false
	if rem := e.Meta.Size - off; int64(len(p)) > rem {
		p, short = p[:rem], true
	}
	var n int
	var err error
	if e.File != nil {
		n, err = e.File.ReadAt(p, off)
	} else {
		n = copy(p, e.Body[off:])
	}
	if err == nil && short {
		err = io.EOF
	}
	return n, err
}

// WriteRange writes body bytes [off, off+n) to w: one w.Write of a shared
// slice for the memory tier, a seek and io.CopyN (sendfile when w ends at
// a plain TCP connection) for the disk tier.
func (e Entry) WriteRange(w io.Writer, off, n int64) (int64, error) {
	if off < 0 || n < 0 || off+n > e.Meta.Size {
		return 0, fmt.Errorf("cache: range %d+%d outside body of %d bytes", off, n, e.Meta.Size)
	}
	if e.File == nil {
		k, err := w.Write(e.Body[off : off+n])
		return int64(k), err
	}
	if _, err := e.File.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.CopyN(w, e.File, n)
}

// Close releases the entry's file, if any.
func (e Entry) Close() error {
	if e.File != nil {
		return e.File.Close()
	}
	return nil
}
