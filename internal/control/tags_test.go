package control

import (
	"strings"
	"testing"
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
