package httpcache

import (
	"strings"
	"testing"
)

// TestIfRangeMatches encodes RFC 9110 §13.1.5: an entity-tag in If-Range
// matches by strong comparison only (§8.8.3.2), so a weak tag on either
// side never matches; an HTTP-date matches the Last-Modified date exactly.
func TestIfRangeMatches(t *testing.T) {
	const lm = "Wed, 21 Oct 2015 07:28:00 GMT"
	tests := []struct {
		name, ifRange, etag, lastModified string
		want                              bool
	}{
		{"no If-Range", "", `"e1"`, lm, true},
		{"strong tags equal", `"e1"`, `"e1"`, lm, true},
		{"strong tags differ", `"e1"`, `"e2"`, lm, false},
		{"weak If-Range, weak ETag, same opaque tag", `W/"e1"`, `W/"e1"`, lm, false},
		{"weak If-Range, strong ETag", `W/"e1"`, `"e1"`, lm, false},
		{"strong If-Range, weak ETag (a compressed copy)", `"e1"`, `W/"e1"`, lm, false},
		{"no stored ETag", `"e1"`, "", lm, false},
		{"a list is not an entity-tag", `"e1", "e2"`, `"e1"`, lm, false},
		{"unterminated tag", `"e1`, `"e1`, lm, false},
		{"date equal to Last-Modified", lm, `"e1"`, lm, true},
		{"the same instant in the asctime form", "Wed Oct 21 07:28:00 2015", "", lm, true},
		{"date one second later", "Wed, 21 Oct 2015 07:28:01 GMT", `"e1"`, lm, false},
		{"date without a stored Last-Modified", lm, `"e1"`, "", false},
		{"not a date", "yesterday", `"e1"`, lm, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IfRangeMatches(tc.ifRange, tc.etag, tc.lastModified); got != tc.want {
				t.Errorf("IfRangeMatches(%q, %q, %q) = %v, want %v", tc.ifRange, tc.etag, tc.lastModified, got, tc.want)
			}
		})
	}
}

// FuzzIfRangeMatches: never panics; a weak validator on either side never
// matches (RFC 9110 §13.1.5); a strong entity-tag matches itself.
func FuzzIfRangeMatches(f *testing.F) {
	for _, s := range [][2]string{{`"e1"`, `"e1"`}, {`W/"e1"`, `W/"e1"`}, {`"e1`, `"e1"`}, {"Wed, 21 Oct 2015 07:28:00 GMT", `"x"`}, {`W/`, `W/`}} {
		f.Add(s[0], s[1], "Wed, 21 Oct 2015 07:28:00 GMT")
	}
	f.Fuzz(func(t *testing.T, ifRange, etag, lastModified string) {
		got := IfRangeMatches(ifRange, etag, lastModified)
		if got && (strings.HasPrefix(ifRange, "W/") || (strings.HasPrefix(ifRange, `"`) && strings.HasPrefix(etag, "W/"))) {
			t.Fatalf("IfRangeMatches(%q, %q, %q): a weak validator matched", ifRange, etag, lastModified)
		}
		if tag, rest, ok := nextETag(etag); ok && rest == "" && tag == etag && !IfRangeMatches(etag, etag, lastModified) {
			t.Fatalf("strong tag %q does not match itself", etag)
		}
	})
}
