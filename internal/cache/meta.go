package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"iter"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"
)

// Meta describes one stored object. A *Meta handed out by the cache is
// shared by every reader and must not be modified.
type Meta struct {
	DistID   string  // distribution the object belongs to (for purges)
	Path     string  // request path as received, with query (for purges)
	Status   int     // HTTP status of the stored response
	Header   Header  // stored response header, already filtered by the edge
	StoredAt Instant // when the response arrived, less the Age it came with: now − StoredAt is its Age
	Expires  Instant // end of freshness; the edge decides what stale means
	Size     int64   // body length in bytes; -1 while unknown during a fill
}

// Header is an immutable, compact copy of an http.Header: name/value pairs
// sorted by name, the values of one name in their order. It costs a
// fraction of a map per entry and can still be copied into a response
// header without allocating (see CopyTo).
//
// Most of a header is the same from object to object, so it is shared:
// the list of names is kept once for every header with the same names
// (see internNames), and a value that recurs (Content-Type, Cache-Control,
// a Date within the same second...) is kept once after its second
// occurrence (see shareValue). What a header owns is the array of its
// values and the bytes of values seen for the first time.
type Header struct {
	names *headerNames // nil when the header is empty
	vals  *string      // first of len(names.list) values, in names' order
}

// headerNames is the name of every value of a Header: one name per value,
// sorted, repeated for a name with several values. It is immutable and
// shared by headers.
type headerNames struct {
	list []string // strings share one allocation; repeats share one string
	hash uint64
}

// values returns the value of every pair, in the order of h.names.list.
func (h Header) values() []string {
	if h.names == nil {
		return nil
	}
	return unsafe.Slice(h.vals, len(h.names.list))
}

// newHeader returns the header with the given names and values (equal
// lengths, not empty). It keeps vals; names is copied unless shared.
func newHeader(names, vals []string) Header {
	return Header{names: internNames(names), vals: &vals[0]}
}

// MakeHeader copies h into a Header. Later changes to h do not affect it.
func MakeHeader(h http.Header) Header {
	if len(h) == 0 {
		return Header{}
	}
	var nb [16]string
	names := nb[:0]
	n := 0
	for name, vs := range h {
		if len(vs) == 0 {
			continue
		}
		names = append(names, name)
		n += len(vs)
	}
	if n == 0 {
		return Header{}
	}
	slices.Sort(names)
	var lb [32]string
	list := lb[:0]
	vals := make([]string, 0, n)
	var ob [32]bool
	own := ob[:0] // vals[i] is not shared: copy it below
	size := 0
	for _, name := range names {
		for _, v := range h[name] {
			list = append(list, name)
			s, ok := shareValue(v)
			if !ok {
				s = v
				size += len(v)
			}
			vals = append(vals, s)
			own = append(own, !ok)
		}
	}
	if size > 0 {
		var b strings.Builder
		b.Grow(size)
		for i, v := range vals {
			if own[i] {
				b.WriteString(v)
			}
		}
		all := b.String()
		for i, v := range vals {
			if own[i] {
				vals[i], all = all[:len(v)], all[len(v):]
			}
		}
	}
	return newHeader(list, vals)
}

// Values are shared through a table in which each value has two slots,
// picked by two halves of its hash. A value is looked up in both; the second
// time in a row that it misses a slot it may take that slot, unless the slot
// holds a value that was used since the last such attempt. Unique values (an
// ETag) pass through without taking slots from recurring ones, two recurring
// values that land in the same slot settle in their other ones instead of
// evicting each other on every use (with one slot per value, two of a
// bench origin's five constant values collided about one start in four
// hundred, and every stored object then carried its own copies), and the
// table bounds what it keeps alive to valueSlots short strings.
const (
	valueSlots    = 4096
	maxValueShare = 64 // longer values are never shared
	nameSlots     = 256
)

var (
	internSeed = maphash.MakeSeed()
	valueSeen  [valueSlots]atomic.Uint64          // hash of the last value that missed each slot
	valueTable [valueSlots]atomic.Pointer[string] // the shared value of each slot
	valueUsed  [valueSlots]atomic.Bool            // the slot's value was used since a miss last asked for the slot
	nameTable  [nameSlots]atomic.Pointer[headerNames]
)

// shareValue returns the shared copy of v, if there is or now is one.
func shareValue(v string) (string, bool) {
	if v == "" {
		return "", true
	}
	if len(v) > maxValueShare {
		return "", false
	}
	h := maphash.String(internSeed, v)
	slots := [2]uint64{h % valueSlots, (h >> 32) % valueSlots}
	for _, i := range slots {
		if p := valueTable[i].Load(); p != nil && *p == v {
			if !valueUsed[i].Load() {
				valueUsed[i].Store(true)
			}
			return *p, true
		}
	}
	for _, i := range slots {
		if valueSeen[i].Swap(h) != h {
			continue
		}
		if valueTable[i].Load() != nil && valueUsed[i].Swap(false) {
			continue // its value is in use: try the other slot
		}
		s := strings.Clone(v)
		valueTable[i].Store(&s)
		return s, true
	}
	return "", false
}

// internNames returns the shared headerNames holding list, making it (with
// its own copy of the strings) if its slot holds another list.
func internNames(list []string) *headerNames {
	h := uint64(len(list))
	for _, name := range list {
		h = h*0x9E3779B97F4A7C15 ^ maphash.String(internSeed, name)
	}
	slot := &nameTable[h%nameSlots]
	if p := slot.Load(); p != nil && p.hash == h && slices.Equal(p.list, list) {
		return p
	}
	size := 0
	for i, name := range list {
		if i == 0 || name != list[i-1] {
			size += len(name)
		}
	}
	var b strings.Builder
	b.Grow(size)
	for i, name := range list {
		if i == 0 || name != list[i-1] {
			b.WriteString(name)
		}
	}
	all := b.String()
	p := &headerNames{list: make([]string, len(list)), hash: h}
	for i, name := range list {
		if i > 0 && name == list[i-1] {
			p.list[i] = p.list[i-1]
		} else {
			p.list[i], all = all[:len(name)], all[len(name):]
		}
	}
	slot.Store(p)
	return p
}

// Len returns the number of name/value pairs.
func (h Header) Len() int {
	if h.names == nil {
		return 0
	}
	return len(h.names.list)
}

// CopiedInto returns h with its values in dst (len(dst) == h.Len()), which
// the result then owns: a tier that keeps a header with other data of its
// object can hold the values in the same allocation (cache/memory does:
// one object fewer per entry for the garbage collector to mark).
func (h Header) CopiedInto(dst []string) Header {
	if h.names == nil || len(dst) != len(h.names.list) {
		return h
	}
	copy(dst, h.values())
	return Header{names: h.names, vals: &dst[0]}
}

// Names returns the stored names in sorted order, a name once per value
// (the keys CopyTo sets). Callers must not modify it.
func (h Header) Names() []string {
	if h.names == nil {
		return nil
	}
	return h.names.list
}

// Get returns the first value stored for the canonical name, or "".
func (h Header) Get(name string) string {
	if h.names == nil {
		return ""
	}
	for i, n := range h.names.list {
		if n == name {
			return h.values()[i]
		}
	}
	return ""
}

// All yields every name/value pair, names in sorted order.
func (h Header) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		if h.names == nil {
			return
		}
		vals := h.values()
		for i, name := range h.names.list {
			if !yield(name, vals[i]) {
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
	if h.names == nil {
		return
	}
	names, vals := h.names.list, h.values()
	for i := 0; i < len(names); {
		j := i + 1
		for j < len(names) && names[j] == names[i] {
			j++
		}
		if j == i+1 {
			dst[names[i]] = vals[i:j:j]
		} else {
			dst[names[i]] = slices.Clone(vals[i:j])
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

// bytes is the memory the header's values take, for weighing: its array
// and the bytes of every value, shared or not. Names are shared and not
// counted.
func (h Header) bytes() int {
	vals := h.values()
	n := 16 * len(vals)
	for _, v := range vals {
		n += len(v)
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
	b = binary.AppendVarint(b, int64(m.StoredAt))
	b = binary.AppendVarint(b, int64(m.Expires))
	b = binary.AppendVarint(b, m.Size)
	b = binary.AppendUvarint(b, 2*uint64(m.Header.Len()))
	for name, v := range m.Header.All() {
		b = appendString(b, name)
		b = appendString(b, v)
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
	m.StoredAt = Instant(d.varint())
	m.Expires = Instant(d.varint())
	m.Size = d.varint()
	n := d.uvarint()
	if d.err != nil || n%2 != 0 || n > uint64(len(all)) {
		return errBadMeta
	}
	m.Header = Header{}
	if n > 0 {
		var nb [32]string
		names := nb[:0]
		vals := make([]string, n/2)
		for i := range vals {
			names = append(names, d.string())
			vals[i] = d.string()
		}
		if d.err != nil {
			return errBadMeta
		}
		m.Header = newHeader(names, vals)
	}
	if d.err != nil || d.off != len(all) {
		return errBadMeta
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Instant is a point in time in Unix nanoseconds, 0 for none: 8 bytes
// where a time.Time takes 24, which counts in every cached object's
// metadata.
type Instant int64

// InstantOf returns t as an Instant (the zero time as 0).
func InstantOf(t time.Time) Instant {
	if t.IsZero() {
		return 0
	}
	return Instant(t.UnixNano())
}

// Time returns the instant as a time.Time (0 as the zero time).
func (i Instant) Time() time.Time {
	if i == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(i))
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
	// Hits is the stored object's hit counter (nil for an object that is
	// not in a tier, e.g. a promoted copy): see CountHit.
	Hits *atomic.Uint64
	// Rendering is the stored object's Rendering slot (nil when the tier
	// keeps none: the disk tier, an object not in a tier). Read it with
	// Load; fill it with Cache.KeepRendering, which also weighs it.
	Rendering *atomic.Pointer[Rendering]
}

// Rendering is what a reader made of an object's Meta once, kept with the
// stored object for its later reads: the edge's fast path keeps the HTTP/1.1
// status line and stored header fields there, so that a hit copies one
// slice instead of formatting every field. Meta does not change while the
// object is stored, so neither does its rendering; two readers that race
// to make it make the same one. The memory tier counts its bytes toward
// the tier's bound.
type Rendering struct {
	Head  []byte // nil: the reader found it cannot use one
	Dated bool   // Head has a Date field
}

// CountHit counts one response served from the entry, for the console's
// "top objects by hits". It is one atomic add, no allocation: the edge's
// fast path calls it on every hit.
func (e Entry) CountHit() {
	if e.Hits != nil {
		e.Hits.Add(1)
	}
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
