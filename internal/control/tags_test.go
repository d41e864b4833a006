package control

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidTag(t *testing.T) {
	tests := []struct {
		s        string
		min, max int
		want     bool
	}{
		{"env", 1, 128, true},
		{"", 1, 128, false},
		{"", 0, 256, true},
		{strings.Repeat("é", 128), 1, 128, true}, // characters, not bytes
		{strings.Repeat("é", 129), 1, 128, false},
		{strings.Repeat("v", 256), 0, 256, true},
		{strings.Repeat("v", 257), 0, 256, false},
		{"a b_c.d:e/f=g+h-i@j 7", 1, 128, true},
		{"日本語 ٣", 1, 128, true},
		{"bad#", 1, 128, false},
		{"bad*", 1, 128, false},
		{"tab\tx", 1, 128, false},
	}
	for _, tc := range tests {
		if got := validTag(tc.s, tc.min, tc.max); got != tc.want {
			t.Errorf("validTag(%q, %d, %d) = %v, want %v", tc.s, tc.min, tc.max, got, tc.want)
		}
	}
}

// tagPattern is the API Reference's pattern for tag keys and values, the
// oracle of validTag's rune-by-rune check.
var tagPattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// FuzzValidTag: validTag accepts exactly what the documented pattern
// accepts, within the lengths.
func FuzzValidTag(f *testing.F) {
	for _, s := range []string{"env", "", "a b", "k=v:/x@y+z-_.", "ключ", "名前", "x\u00a0y", "x\ty", "x\x00", "a|b", "\xff", "٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := utf8.RuneCountInString(s)
		want := n >= 1 && n <= 128 && utf8.ValidString(s) && tagPattern.MatchString(s)
		if got := validTag(s, 1, 128); got != want {
			t.Errorf("validTag(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}
