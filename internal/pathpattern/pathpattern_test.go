package pathpattern

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestPattern_Match(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		path    string
		want    bool
	}{
		// "Cache behavior settings", "Path pattern": the default behaviour `*` catches everything.
		{"default matches root", "*", "/", true},
		{"default matches deep path", "*", "/a/b/c.jpg", true},
		{"slash-star same as star", "/*", "/a/b", true},
		// "Path pattern": leading `/` on the pattern is optional.
		{"leading slash optional: without", "images/*.jpg", "/images/a.jpg", true},
		{"leading slash optional: with", "/images/*.jpg", "/images/a.jpg", true},
		// "Path pattern": `*` crosses `/`.
		{"star crosses slash", "images/*.jpg", "/images/product1/a.jpg", true},
		{"star matches empty", "images/*.jpg", "/images/.jpg", true},
		{"prefix must match", "images/*.jpg", "/img/a.jpg", false},
		{"suffix must match", "images/*.jpg", "/images/a.png", false},
		// "Path pattern": `?` is exactly one character.
		{"a??.jpg matches ant.jpg", "a??.jpg", "/ant.jpg", true},
		{"a??.jpg matches abe.jpg", "a??.jpg", "/abe.jpg", true},
		{"a??.jpg rejects an.jpg", "a??.jpg", "/an.jpg", false},
		{"a??.jpg rejects antt.jpg", "a??.jpg", "/antt.jpg", false},
		{"question matches slash", "a?b", "/a/b", true},
		// "Path pattern" examples.
		{"*.doc* matches .doc", "*.doc*", "/.doc", true},
		{"*.doc* matches .docx", "*.doc*", "/x.docx", true},
		{"*.doc* matches .docm", "*.doc*", "/dir/y.docm", true},
		{"*.doc? rejects .doc", "*.doc?", "/.doc", false},
		{"*.doc? matches .docx", "*.doc?", "/.docx", true},
		// "Path pattern": case-sensitive.
		{"case-sensitive", "*.jpg", "/LOGO.JPG", false},
		// Whole-path match.
		{"literal exact", "/index.html", "/index.html", true},
		{"literal is not prefix", "/index.html", "/index.html.bak", false},
		{"literal is not suffix", "index.html", "/x/index.html", false},
		{"trailing slash distinct", "/images", "/images/", false},
		// Middle segments are placed leftmost-first.
		{"middle segments", "a*b*c", "/aXbYbZc", true},
		{"middle segment missing", "a*b*c", "/aXYc", false},
		{"overlap of first and last rejected", "ab*ba", "/aba", false},
		{"overlap exact fit", "ab*ba", "/abba", true},
		{"middle with question", "*a?c*", "/xxabcxx", true},
		{"middle with question miss", "*a?c*", "/xxabxx", false},
		{"many stars", "***", "/", true},
		{"star question star needs one char", "*?*", "/", false},
		{"star question star", "*?*", "/x", true},
		// OpenFront's choice (AWS does not say): the raw (still percent-encoded) path.
		{"percent-encoded path is literal", "/a+b", "/a%2Bb", false},
		{"percent-encoded path matches wildcard", "/a*b", "/a%20b", true},
		// Path without leading slash (e.g. OPTIONS *) is normalised too.
		{"path without slash", "a*", "abc", true},
		{"empty path with star", "*", "", true},
		{"empty path with literal", "a", "", false},
		// Double slash: only one leading slash is dropped on each side.
		{"double slash pattern vs single path", "//a", "/a", false},
		{"double slash both", "//a", "//a", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile(tc.pattern)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.pattern, err)
			}
			if got := p.Match(tc.path); got != tc.want {
				t.Errorf("Compile(%q).Match(%q) = %v, want %v", tc.pattern, tc.path, got, tc.want)
			}
		})
	}
}

func TestValidatePattern(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		ok      bool
	}{
		// "Path pattern" character list and length.
		{"default", "*", true},
		{"all allowed chars", `/AZaz09_-.*$/~"'@:+&`, true},
		{"max length", strings.Repeat("a", MaxPatternLength), true},
		{"too long", strings.Repeat("a", MaxPatternLength+1), false},
		{"empty", "", false},
		{"question mark wildcard", "a??.jpg", true},
		{"space", "a b", false},
		{"percent", "a%20b", false},
		{"equals sign", "a=1", false},
		{"hash", "a#b", false},
		{"non-ascii", "é", false},
		{"backslash", `a\b`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidatePattern(tc.pattern)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidatePattern(%q) = %v, want ok=%v", tc.pattern, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidPattern) {
				t.Errorf("error %v does not wrap ErrInvalidPattern", err)
			}
		})
	}
}

func TestMatch_noAllocs(t *testing.T) {
	p := MustCompile("/images/*/thumb-??.*")
	allocs := testing.AllocsPerRun(100, func() {
		p.Match("/images/2024/summer/thumb-01.jpg")
	})
	if allocs != 0 {
		t.Fatalf("Match allocates %v times per call, want 0", allocs)
	}
}

// reference builds a regexp equivalent of the pattern over a Latin-1 view of
// the bytes, so `.` matches exactly one byte as `?` does.
func reference(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, c := range []byte(strings.TrimPrefix(pattern, "/")) {
		switch c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(rune(c))))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

func latin1(s string) string {
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

// FuzzMatch checks Match against a regexp reference: equal results for every
// valid pattern and any path.
func FuzzMatch(f *testing.F) {
	seeds := [][2]string{
		{"*", "/"}, {"images/*.jpg", "/images/a/b.jpg"}, {"a??.jpg", "/ant.jpg"},
		{"*.doc*", "/.docx"}, {"ab*ba", "/aba"}, {"a*b*c", "/aXbYbZc"},
		{"/a*a*a*a*a*b", "/" + strings.Repeat("a", 64)}, {"//a", "/a"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		p, err := Compile(pattern)
		if err != nil {
			return
		}
		got := p.Match(path)
		want := reference(pattern).MatchString(latin1(strings.TrimPrefix(path, "/")))
		if got != want {
			t.Fatalf("pattern %q path %q: Match = %v, reference = %v", pattern, path, got, want)
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	cases := []struct{ name, pattern, path string }{
		{"default", "*", "/images/2024/summer/thumb-01.jpg"},
		{"literal", "/index.html", "/index.html"},
		{"suffix", "*.jpg", "/images/2024/summer/thumb-01.jpg"},
		{"prefix-suffix", "/images/*.jpg", "/images/2024/summer/thumb-01.jpg"},
		{"question", "/images/*/thumb-??.*", "/images/2024/summer/thumb-01.jpg"},
		{"miss", "/api/*", "/images/2024/summer/thumb-01.jpg"},
		{"adversarial", "*a*a*a*a*b", "/" + strings.Repeat("a", 200)},
	}
	for _, c := range cases {
		p := MustCompile(c.pattern)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Match(c.path)
			}
		})
	}
}
