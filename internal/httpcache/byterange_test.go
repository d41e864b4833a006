package httpcache

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseRange(t *testing.T) {
	type br = ByteRange
	tests := []struct {
		name   string
		header string
		size   int64
		want   []ByteRange
		err    error
	}{
		{"no header", "", 100, nil, nil},
		// RFC 9110 §14.1.1 forms.
		{"closed", "bytes=0-9", 100, []br{{0, 10}}, nil},
		{"open-ended", "bytes=90-", 100, []br{{90, 10}}, nil},
		{"suffix", "bytes=-10", 100, []br{{90, 10}}, nil},
		{"suffix longer than size", "bytes=-500", 100, []br{{0, 100}}, nil},
		{"last-pos clamped", "bytes=50-500", 100, []br{{50, 50}}, nil},
		{"whole", "bytes=0-", 100, []br{{0, 100}}, nil},
		{"single byte", "bytes=99-99", 100, []br{{99, 1}}, nil},
		{"unit case-insensitive", "Bytes=0-0", 100, []br{{0, 1}}, nil},
		{"ows around elements", "bytes= 0-0 , 5-5", 100, []br{{0, 1}, {5, 1}}, nil},
		{"empty list elements", "bytes=0-0,,5-5,", 100, []br{{0, 1}, {5, 1}}, nil},
		{"huge last-pos", "bytes=0-99999999999999999999999", 100, []br{{0, 100}}, nil},
		// Multiple ranges (multipart/byteranges), RFC 9110 §14.6.
		{"multiple ascending", "bytes=0-9,20-29,-10", 100, []br{{0, 10}, {20, 10}, {90, 10}}, nil},
		{"adjacent allowed", "bytes=0-9,10-19", 100, []br{{0, 10}, {10, 10}}, nil},
		{"unsatisfiable member dropped", "bytes=0-9,200-300", 100, []br{{0, 10}}, nil},
		// "How CloudFront processes partial requests for an object (range
		// GETs)": invalid → ignore header, serve 200.
		{"not ascending", "bytes=20-29,0-9", 100, nil, ErrInvalidRange},
		{"overlapping", "bytes=0-20,10-30", 100, nil, ErrInvalidRange},
		{"overlapping beyond size as written", "bytes=0-100,60-70", 50, nil, ErrInvalidRange},
		{"open-ended then more", "bytes=10-,50-60", 100, nil, ErrInvalidRange},
		{"suffix then earlier", "bytes=-10,0-5", 100, nil, ErrInvalidRange},
		{"negative first", "bytes=-5-10", 100, nil, ErrInvalidRange},
		{"first greater than last", "bytes=10-5", 100, nil, ErrInvalidRange},
		{"plus sign", "bytes=+1-5", 100, nil, ErrInvalidRange},
		{"space inside spec", "bytes=1 - 5", 100, nil, ErrInvalidRange},
		{"no dash", "bytes=5", 100, nil, ErrInvalidRange},
		{"only dash", "bytes=-", 100, nil, ErrInvalidRange},
		{"other unit", "items=0-5", 100, nil, ErrInvalidRange},
		{"no equals", "bytes", 100, nil, ErrInvalidRange},
		{"empty set", "bytes=", 100, nil, ErrInvalidRange},
		{"only commas", "bytes=,,", 100, nil, ErrInvalidRange},
		{"too many ranges", "bytes=" + manyRanges(MaxRanges+1), 10000, nil, ErrInvalidRange},
		{"far too many ranges", "bytes=" + manyRanges(100000), 1 << 20, nil, ErrInvalidRange},
		{"an unsatisfiable spec counts toward the limit", "bytes=" + manyRanges(MaxRanges) + ",99999-99999", 10000, nil, ErrInvalidRange},
		{"many commas do not count", "bytes=0-0" + strings.Repeat(",", 10000) + ",5-5", 100, []br{{0, 1}, {5, 1}}, nil},
		// Unsatisfiable → 416.
		{"first-pos at size", "bytes=100-", 100, nil, ErrUnsatisfiable},
		{"first-pos beyond size", "bytes=200-300", 100, nil, ErrUnsatisfiable},
		{"suffix zero", "bytes=-0", 100, nil, ErrUnsatisfiable},
		{"empty representation", "bytes=0-", 0, nil, ErrUnsatisfiable},
		{"empty representation suffix", "bytes=-5", 0, nil, ErrUnsatisfiable},
	}
	if got, err := ParseRange("bytes="+manyRanges(MaxRanges), 10000); err != nil || len(got) != MaxRanges {
		t.Errorf("MaxRanges ranges: %d ranges, error %v; want all %d", len(got), err, MaxRanges)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRange(tc.header, tc.size)
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("ParseRange(%q, %d) error = %v, want %v", tc.header, tc.size, err, tc.err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseRange(%q, %d) = %v, want %v", tc.header, tc.size, got, tc.want)
			}
		})
	}
}

func manyRanges(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = strconv.Itoa(i*2) + "-" + strconv.Itoa(i*2)
	}
	return strings.Join(parts, ",")
}

// TestCoalesce: ranges closer than the gap (the overhead of another part,
// RFC 9110 §14.2) merge; adjacent ones always do; the rest stay parts.
func TestCoalesce(t *testing.T) {
	type br = ByteRange
	tests := []struct {
		name   string
		ranges []ByteRange
		gap    int64
		want   []ByteRange
	}{
		{"none", nil, 80, nil},
		{"one", []br{{5, 10}}, 80, []br{{5, 10}}},
		{"adjacent merge even with gap 0", []br{{0, 10}, {10, 10}}, 0, []br{{0, 20}}},
		{"small gap merges", []br{{0, 2}, {50, 2}}, 80, []br{{0, 52}}},
		{"gap equal to the overhead stays apart", []br{{0, 2}, {82, 2}}, 80, []br{{0, 2}, {82, 2}}},
		{"far apart stay apart", []br{{0, 2}, {1000, 2}}, 80, []br{{0, 2}, {1000, 2}}},
		{"a chain merges into one", []br{{0, 1}, {10, 1}, {20, 1}, {30, 1}}, 80, []br{{0, 31}}},
		{"mixed", []br{{0, 1}, {10, 1}, {500, 1}, {501, 9}, {2000, 5}}, 80, []br{{0, 11}, {500, 10}, {2000, 5}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]ByteRange(nil), tc.ranges...)
			if got := Coalesce(in, tc.gap); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Coalesce(%v, %d) = %v, want %v", tc.ranges, tc.gap, got, tc.want)
			}
		})
	}
}

func TestByteRange_ContentRange(t *testing.T) {
	if got := (ByteRange{Start: 90, Length: 10}).ContentRange(100); got != "bytes 90-99/100" {
		t.Errorf("ContentRange = %q", got)
	}
}

// FuzzParseRange: never panics; results are non-empty, inside the
// representation, ascending and non-overlapping; errors are the sentinels.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-9", "bytes=-5", "bytes=5-", "bytes=0-1,3-4", "bytes=9-1", "bytes=,", "bYtEs = 1-2"} {
		f.Add(s, int64(100))
	}
	f.Fuzz(func(t *testing.T, header string, size int64) {
		if size < 0 {
			size = -(size + 1)
		}
		got, err := ParseRange(header, size)
		switch {
		case err != nil:
			if !errors.Is(err, ErrInvalidRange) && !errors.Is(err, ErrUnsatisfiable) {
				t.Fatalf("unexpected error %v", err)
			}
			if got != nil {
				t.Fatalf("ranges %v with error %v", got, err)
			}
			return
		case header == "":
			if got != nil {
				t.Fatalf("ranges for empty header")
			}
			return
		case len(got) == 0:
			t.Fatalf("no ranges and no error for %q", header)
		}
		end := int64(0)
		var total int64
		for _, r := range got {
			if r.Length <= 0 || r.Start < end || r.Start+r.Length > size {
				t.Fatalf("ParseRange(%q, %d) = %v: bad range %v", header, size, got, r)
			}
			end = r.Start + r.Length
			total += r.Length
		}
		if len(got) > MaxRanges {
			t.Fatalf("%d ranges, more than MaxRanges", len(got))
		}
		// Coalescing keeps every requested byte, stays ascending with
		// parts at least gap apart, and never reaches past the last range.
		const gap = 80
		first, last := got[0].Start, got[len(got)-1].Start+got[len(got)-1].Length
		merged := Coalesce(got, gap)
		end, covered := int64(-gap), int64(0)
		for _, r := range merged {
			if r.Length <= 0 || r.Start-end < gap && end >= 0 || r.Start+r.Length > size {
				t.Fatalf("Coalesce of %q: bad part %v in %v", header, r, merged)
			}
			end = r.Start + r.Length
			covered += r.Length
		}
		if merged[0].Start != first || end != last || covered < total {
			t.Fatalf("Coalesce of %q = %v: does not cover [%d, %d) (%d bytes)", header, merged, first, last, total)
		}
	})
}
