package invalidation

import (
	"errors"
	"strings"
	"testing"

	"openfront/internal/urlpath"
)

func TestValidatePath(t *testing.T) {
	tests := []struct {
		name string
		path string
		err  error
	}{
		// CreateInvalidation rules ("What you need to know when invalidating paths").
		{"file", "/images/image1.jpg", nil},
		{"prefix wildcard", "/images/image*", nil},
		{"directory wildcard", "/images/*", nil},
		{"everything", "/*", nil},
		{"with query", "/images/image.jpg?parameter1=a", nil},
		{"root", "/", nil},
		{"max length", "/" + strings.Repeat("a", MaxPathLength-1), nil},
		{"too long", "/" + strings.Repeat("a", MaxPathLength), ErrInvalidPath},
		{"no leading slash (console form)", "images/a.jpg", ErrInvalidPath},
		{"empty", "", ErrInvalidPath},
		{"star in the middle", "/images/*.jpg", ErrInvalidPath},
		{"two stars", "/images/**", ErrInvalidPath},
		{"bare star", "*", ErrInvalidPath},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidatePath(tc.path)
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("ValidatePath(%q) = %v, want %v", tc.path, err, tc.err)
			}
		})
	}
}

func TestValidateBatch(t *testing.T) {
	many := make([]string, MaxPathsPerBatch+1)
	for i := range many {
		many[i] = "/a"
	}
	tests := []struct {
		name  string
		paths []string
		err   error
	}{
		{"one", []string{"/a"}, nil},
		{"max", many[:MaxPathsPerBatch], nil},
		{"too many", many, ErrBatchTooLarge},
		{"empty", nil, ErrEmptyBatch},
		{"bad path", []string{"/a", "/b*c"}, ErrInvalidPath},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := ValidateBatch(tc.paths); !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("ValidateBatch = %v, want %v", err, tc.err)
			}
		})
	}
}

func TestMatcher_Match(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
		uri   string
		want  bool
	}{
		// "What you need to know when invalidating paths": wildcards.
		{"exact", []string{"/images/a.jpg"}, "/images/a.jpg", true},
		{"exact other file", []string{"/images/a.jpg"}, "/images/b.jpg", false},
		{"directory wildcard", []string{"/images/*"}, "/images/a/b.jpg", true},
		{"directory wildcard excludes sibling", []string{"/images/*"}, "/images2/a.jpg", false},
		{"prefix wildcard includes sibling", []string{"/images*"}, "/images2/a.jpg", true},
		{"prefix wildcard matches itself", []string{"/images*"}, "/images", true},
		{"everything", []string{"/*"}, "/any/thing?x=1", true},
		{"everything root", []string{"/*"}, "/", true},
		{"extension wildcard", []string{"/logo.*"}, "/logo.png", true},
		// "What you need to know when invalidating paths": case sensitivity.
		{"case-sensitive", []string{"/images/image.jpg"}, "/images/Image.jpg", false},
		// "What you need to know when invalidating paths": directories.
		{"trailing slash distinct", []string{"/images"}, "/images/", false},
		{"no trailing slash distinct", []string{"/images/"}, "/images", false},
		// "What you need to know when invalidating paths": query strings.
		{"path without query matches no-query variant", []string{"/a.jpg"}, "/a.jpg", true},
		{"path without query does not match query variant", []string{"/a.jpg"}, "/a.jpg?p=a", false},
		{"path with query matches that variant", []string{"/a.jpg?p=a"}, "/a.jpg?p=a", true},
		{"path with query does not match other variant", []string{"/a.jpg?p=a"}, "/a.jpg?p=b", false},
		{"path with query does not match no-query", []string{"/a.jpg?p=a"}, "/a.jpg", false},
		{"star covers all query variants", []string{"/a.jpg*"}, "/a.jpg?p=b", true},
		{"star inside query", []string{"/a.jpg?p=*"}, "/a.jpg?p=zzz", true},
		{"star inside query other param", []string{"/a.jpg?p=*"}, "/a.jpg?q=1", false},
		{"empty query distinct", []string{"/a?"}, "/a", false},
		// Console form: leading slash optional ("What you need to know when
		// invalidating paths").
		{"console form", []string{"images/a.jpg"}, "/images/a.jpg", true},
		{"console star", []string{"*"}, "/x", true},
		// Encoding: the escaped form, normalised by urlpath.ForAccess like
		// the subject the edge passes (issue #12).
		{"encoded matches encoded", []string{"/caf%C3%A9.jpg"}, "/caf%C3%A9.jpg", true},
		{"encoded vs raw", []string{"/caf%C3%A9.jpg"}, "/café.jpg", false},
		{"encoded unreserved is normalised", []string{"/a%2Ejpg"}, "/a.jpg", true},
		{"hex case is normalised", []string{"/caf%c3%a9.jpg"}, "/caf%C3%A9.jpg", true},
		{"dot segments are removed", []string{"/x/../a/./b"}, "/a/b", true},
		{"encoded slash is a separator", []string{"/a%2Fb"}, "/a/b", true},
		{"runs of slashes are merged", []string{"//a//b"}, "/a/b", true},
		{"malformed escape kept as submitted", []string{"/a%zz"}, "/a%zz", true},
		{"wildcard prefix is normalised", []string{"/x/../a/*"}, "/a/b", true},
		{"wildcard partial dot segment kept", []string{"/a/.*"}, "/a/.htaccess", true},
		{"wildcard partial dot-dot kept", []string{"/a/..*"}, "/b", false},
		{"wildcard query keeps a normalised path", []string{"/%61.jpg?p=*"}, "/a.jpg?p=1", true},
		// Several paths.
		{"second path matches", []string{"/x", "/y/*"}, "/y/z", true},
		{"none match", []string{"/x", "/y/*"}, "/z", false},
		{"empty matcher", nil, "/z", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := Compile(tc.paths)
			if got := m.Match(tc.uri); got != tc.want {
				t.Errorf("Compile(%q).Match(%q) = %v, want %v", tc.paths, tc.uri, got, tc.want)
			}
			path, query, _ := strings.Cut(tc.uri, "?")
			if !strings.HasSuffix(tc.uri, "?") {
				if got := m.MatchParts(path, query); got != tc.want {
					t.Errorf("Compile(%q).MatchParts(%q, %q) = %v, want %v", tc.paths, path, query, got, tc.want)
				}
			}
		})
	}
}

func TestMatch_noAllocs(t *testing.T) {
	m := Compile([]string{"/a.jpg", "/b.jpg?x=1", "/images/*", "/c.jpg?v=*"})
	allocs := testing.AllocsPerRun(100, func() {
		m.Match("/c.jpg?v=2")
		m.MatchParts("/b.jpg", "x=1")
		m.Match("/zzz/none")
	})
	if allocs != 0 {
		t.Fatalf("Match allocates %v times per call, want 0", allocs)
	}
}

// referenceMatch is the definition in one line per rule: exact equality,
// or prefix for a trailing star, on the joined URI.
func referenceMatch(paths []string, uri string) bool {
	for _, p := range paths {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(uri, prefix) {
				return true
			}
		} else if p == uri {
			return true
		}
	}
	return false
}

// FuzzMatch checks every path ValidatePath accepts against the matcher's
// contract. The subject is always an access form (the edge passes the
// escaped path as urlpath.ForAccess gives it), so:
//   - for a path already in its access form, Match and MatchParts agree
//     with the reference definition (byte for byte, AWS's rules) on every
//     subject in access form;
//   - an exact path matches its own access form: the object a viewer
//     cached under that spelling is purged (`/ ` purges `/%20`,
//     `/x/../a.jpg` purges `/a.jpg`).
func FuzzMatch(f *testing.F) {
	f.Add("/images/*", "/images/a.jpg")
	f.Add("/a.jpg*", "/a.jpg?x=1")
	f.Add("/a.jpg?x=*", "/a.jpg?x=1")
	f.Add("/a.jpg?", "/a.jpg")
	f.Add("/*", "/")
	f.Add("/a?b*", "/a?bc?d")
	f.Add("/ ", "/%20")            // found by the fuzzer: a space is escaped
	f.Add("/x/../a.jpg", "/a.jpg") // dot segments
	f.Add("/a%zz", "/a%zz")        // a malformed escape is compared as submitted
	f.Fuzz(func(t *testing.T, p, uri string) {
		if ValidatePath(p) != nil {
			return
		}
		m := Compile([]string{p})
		if !IsWildcard(p) {
			path, query, has := strings.Cut(p, "?")
			subject := accessForm(path)
			if has {
				subject += "?" + query
			}
			if !m.Match(subject) {
				t.Fatalf("exact path %q does not match its access form %q", p, subject)
			}
		}
		if !inAccessForm(p) || !inAccessForm(uri) {
			return
		}
		want := referenceMatch([]string{p}, uri)
		if got := m.Match(uri); got != want {
			t.Fatalf("path %q uri %q: Match = %v, reference = %v", p, uri, got, want)
		}
		if path, query, has := strings.Cut(uri, "?"); !has || query != "" {
			if got := m.MatchParts(path, query); got != want {
				t.Fatalf("path %q uri %q: MatchParts = %v, reference = %v", p, uri, got, want)
			}
		}
	})
}

// inAccessForm reports whether the path part of s (before any '?', and
// before a trailing '*') is its own access form, so that normalisation
// leaves s as it is.
func inAccessForm(s string) bool {
	path, _, _ := strings.Cut(strings.TrimSuffix(s, "*"), "?")
	a, err := urlpath.ForAccess(path)
	return err == nil && a == path
}

func BenchmarkMatch(b *testing.B) {
	paths := make([]string, 0, 3000)
	for i := range 2985 {
		paths = append(paths, "/static/v1/file-"+strings.Repeat("x", i%17)+".js")
	}
	for i := range 15 {
		paths = append(paths, "/images/"+strings.Repeat("d", i)+"/*")
	}
	m := Compile(paths)
	cases := []struct{ name, path, query string }{
		{"exact-hit", "/static/v1/file-xxx.js", ""},
		{"wildcard-hit", "/images/ddd/a.jpg", ""},
		{"miss", "/css/site.css", "v=3"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.MatchParts(c.path, c.query)
			}
		})
	}
}
