package urlpath

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, canonical, access string
	}{
		{"root", "/", "/", "/"},
		{"plain", "/private/secret.txt", "/private/secret.txt", "/private/secret.txt"},
		{"trailing slash kept", "/a/", "/a/", "/a/"},
		// The spellings of issue #12: all reach /private/secret.txt.
		{"dot-dot", "/public/../private/secret.txt", "/private/secret.txt", "/private/secret.txt"},
		{"encoded dot-dot lower", "/public/%2e%2e/private/secret.txt", "/private/secret.txt", "/private/secret.txt"},
		{"encoded dot-dot mixed", "/public/.%2E/private/secret.txt", "/private/secret.txt", "/private/secret.txt"},
		{"dot", "/./private/secret.txt", "/private/secret.txt", "/private/secret.txt"},
		{"double slash", "//private/secret.txt", "//private/secret.txt", "/private/secret.txt"},
		{"many slashes", "/private///secret.txt", "/private///secret.txt", "/private/secret.txt"},
		{"encoded unreserved", "/%70rivate/secret.txt", "/private/secret.txt", "/private/secret.txt"},
		{"encoded slash", "/private%2Fsecret.txt", "/private%2Fsecret.txt", "/private/secret.txt"},
		{"encoded slash lower", "/private%2fsecret.txt", "/private%2Fsecret.txt", "/private/secret.txt"},
		{"encoded backslash", "/private%5csecret.txt", "/private%5Csecret.txt", "/private/secret.txt"},
		{"raw backslash", `/private\secret.txt`, "/private%5Csecret.txt", "/private/secret.txt"},
		{"encoded slash dot-dot", "/ok/..%2Fsecret.txt", "/ok/..%2Fsecret.txt", "/secret.txt"},
		{"encoded slash and dots", "/ok%2F%2E%2E%2Fsecret.txt", "/ok%2F..%2Fsecret.txt", "/secret.txt"},
		{"custom policy escape", "/ok/../secret.txt", "/secret.txt", "/secret.txt"},
		// remove_dot_segments (RFC 3986 §5.2.4).
		{"dot-dot above root", "/../../a", "/a", "/a"},
		{"dot-dot only", "/..", "/", "/"},
		{"dot only", "/.", "/", "/"},
		{"trailing dot-dot", "/a/b/..", "/a/", "/a/"},
		{"trailing dot", "/a/b/.", "/a/b/", "/a/b/"},
		{"dot-dot after empty segment", "/a//../b", "/a/b", "/a/b"},
		{"empty segment before dot-dot in access", "/a//..%2Fb", "/a//..%2Fb", "/b"},
		// The canonical form goes to the origin: access is decided on it,
		// not on the raw path (raw merged first would say /public/x).
		{"access follows canonical", "/private//../public/x", "/private/public/x", "/private/public/x"},
		{"three dots literal", "/a/.../b", "/a/.../b", "/a/.../b"},
		{"dot prefix literal", "/a/.b/..c", "/a/.b/..c", "/a/.b/..c"},
		{"trailing dots in name", "/secret.txt.", "/secret.txt.", "/secret.txt."},
		// Percent-encoding (RFC 3986 §6.2.2.1, §6.2.2.2).
		{"hex upper-cased", "/a%3bb%e2%82%ac", "/a%3Bb%E2%82%AC", "/a%3Bb%E2%82%AC"},
		{"tilde decoded", "/%7Euser/", "/~user/", "/~user/"},
		{"reserved kept encoded", "/a%3Fb%23c%25d", "/a%3Fb%23c%25d", "/a%3Fb%23c%25d"},
		{"space encoded", "/a b", "/a%20b", "/a%20b"},
		{"non-ASCII encoded", "/caf\xc3\xa9", "/caf%C3%A9", "/caf%C3%A9"},
		{"overlong dot not decoded", "/a/%C0%AE%C0%AE/b", "/a/%C0%AE%C0%AE/b", "/a/%C0%AE%C0%AE/b"},
		{"double encoding not decoded", "/a/%252e%252e/b", "/a/%252e%252e/b", "/a/%252e%252e/b"},
		{"sub-delims raw", "/a;b=c,d!$&'()*+:@[]", "/a;b=c,d!$&'()*+:@[]", "/a;b=c,d!$&'()*+:@[]"},
		{"other printable encoded", "/a\"<>^`{|}", "/a%22%3C%3E%5E%60%7B%7C%7D", "/a%22%3C%3E%5E%60%7B%7C%7D"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Normalize(tc.in)
			if err != nil || c != tc.canonical {
				t.Errorf("Normalize(%q) = %q, %v; want %q", tc.in, c, err, tc.canonical)
			}
			a, err := ForAccess(tc.in)
			if err != nil || a != tc.access {
				t.Errorf("ForAccess(%q) = %q, %v; want %q", tc.in, a, err, tc.access)
			}
			if got, want := IsNormal(tc.in), tc.in == tc.canonical && tc.in == tc.access; got != want {
				t.Errorf("IsNormal(%q) = %v, want %v", tc.in, got, want)
			}
		})
	}
}

func TestNormalize_Errors(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"empty", "", ErrNotAbsolute},
		{"relative", "a/b", ErrNotAbsolute},
		{"asterisk", "*", ErrNotAbsolute},
		{"bad hex", "/a%zzb", ErrBadEscape},
		{"truncated escape", "/a%2", ErrBadEscape},
		{"lone percent", "/a%", ErrBadEscape},
		{"NUL", "/private/secret.txt%00.jpg", ErrNUL},
		{"raw NUL", "/a\x00b", ErrControl},
		{"raw CR", "/a\rb", ErrControl},
		{"raw DEL", "/a\x7fb", ErrControl},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := Normalize(tc.in); !errors.Is(err, tc.want) {
				t.Errorf("Normalize(%q) = %q, %v; want %v", tc.in, got, err, tc.want)
			}
			if got, err := ForAccess(tc.in); !errors.Is(err, tc.want) {
				t.Errorf("ForAccess(%q) = %q, %v; want %v", tc.in, got, err, tc.want)
			}
			if IsNormal(tc.in) {
				t.Errorf("IsNormal(%q) = true", tc.in)
			}
		})
	}
}

// TestNormalize_NoAllocation: the fast path calls IsNormal on every request,
// and an already-normal path must cost no allocation anywhere.
func TestNormalize_NoAllocation(t *testing.T) {
	p := "/images/product1/a%20b.jpg"
	n := testing.AllocsPerRun(100, func() {
		if !IsNormal(p) {
			t.Fatal("not normal")
		}
		if c, _ := Normalize(p); c != p {
			t.Fatal("changed")
		}
		if a, _ := ForAccess(p); a != p {
			t.Fatal("changed")
		}
	})
	if n != 0 {
		t.Errorf("%v allocations for a normal path, want 0", n)
	}
}

// oracle computes both forms the slow, obvious way: RFC 3986 §6.2.2
// percent-encoding normalisation over the whole string, then §5.2.4's
// remove_dot_segments written as the RFC states it; the access form
// replaces %2F and %5C with "/", merges runs of "/" with a regexp and
// removes dot segments again.
func oracle(p string) (canonical, access string, err error) {
	if !strings.HasPrefix(p, "/") {
		return "", "", ErrNotAbsolute
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '%' {
			if i+2 >= len(p) {
				return "", "", ErrBadEscape
			}
			v, err := url.PathUnescape(p[i : i+3])
			if err != nil {
				return "", "", ErrBadEscape
			}
			i += 2
			switch d := v[0]; {
			case d == 0:
				return "", "", ErrNUL
			case 'a' <= d && d <= 'z' || 'A' <= d && d <= 'Z' || '0' <= d && d <= '9' || strings.IndexByte("-._~", d) >= 0:
				b.WriteByte(d)
			default:
				b.WriteString(strings.ToUpper(p[i-2 : i+1]))
			}
			continue
		}
		switch {
		case c < 0x20 || c == 0x7f:
			return "", "", ErrControl
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~!$&'()*+,;=:@[]/", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
		}
	}
	canonical = removeDotSegments(b.String())
	a := strings.NewReplacer("%2F", "/", "%5C", "/").Replace(canonical)
	a = regexp.MustCompile(`/+`).ReplaceAllString(a, "/")
	return canonical, removeDotSegments(a), nil
}

// removeDotSegments is RFC 3986 §5.2.4, step by step.
func removeDotSegments(in string) string {
	out := ""
	removeLast := func() {
		if i := strings.LastIndexByte(out, '/'); i >= 0 {
			out = out[:i]
		} else {
			out = ""
		}
	}
	for in != "" {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"):
			in = in[2:]
		case strings.HasPrefix(in, "/./"):
			in = "/" + in[3:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in = "/" + in[4:]
			removeLast()
		case in == "/..":
			in = "/"
			removeLast()
		case in == "." || in == "..":
			in = ""
		default:
			j := strings.IndexByte(in[1:], '/')
			if j < 0 {
				out, in = out+in, ""
			} else {
				out, in = out+in[:j+1], in[j+1:]
			}
		}
	}
	return out
}

func TestOracle(t *testing.T) {
	for _, p := range seeds {
		checkAgainstOracle(t, p)
	}
}

var seeds = []string{
	"/", "/a/b", "//private/secret.txt", "/public/../private/secret.txt",
	"/public/%2e%2e/private/x", "/./private/x", "/%70rivate/x", "/private%2Fsecret.txt",
	"/ok/../secret.txt", "/a//../b", "/a/b/..", "/..", "/.", "/a%2", "/%00", "/a\\b",
	"/caf\xc3\xa9", "/a/%2E/b", "/a/.%2e", "/%2F%2F..%2Fb", "/a/./../.././b/", "a",
	"/a%5C..%5Cb", "/a%3b%3B", "/~%7e%7E/", "/a?b#c",
}

func checkAgainstOracle(t *testing.T, p string) {
	t.Helper()
	wc, wa, werr := oracle(p)
	c, err := Normalize(p)
	if !errors.Is(err, werr) || c != wc {
		t.Fatalf("Normalize(%q) = %q, %v; oracle %q, %v", p, c, err, wc, werr)
	}
	a, err := ForAccess(p)
	if !errors.Is(err, werr) || a != wa {
		t.Fatalf("ForAccess(%q) = %q, %v; oracle %q, %v", p, a, err, wa, werr)
	}
	if werr != nil {
		if IsNormal(p) {
			t.Fatalf("IsNormal(%q) = true for an invalid path", p)
		}
		return
	}
	if got, want := IsNormal(p), p == c && p == a; got != want {
		t.Fatalf("IsNormal(%q) = %v, want %v", p, got, want)
	}
	// Idempotent, and the access form is the access form of the canonical.
	if c2, _ := Normalize(c); c2 != c {
		t.Fatalf("Normalize not idempotent: %q → %q → %q", p, c, c2)
	}
	if a2, _ := ForAccess(a); a2 != a {
		t.Fatalf("ForAccess not idempotent: %q → %q → %q", p, a, a2)
	}
	if a2, _ := ForAccess(c); a2 != a {
		t.Fatalf("ForAccess(Normalize(%q)) = %q, ForAccess = %q", p, a2, a)
	}
	if !IsNormal(a) {
		t.Fatalf("IsNormal(ForAccess(%q) = %q) = false", p, a)
	}
	for _, out := range []string{c, a} {
		// Starts at the root, no dot segment, only upper-case escapes of
		// characters that are not unreserved.
		if out == "" || out[0] != '/' {
			t.Fatalf("%q → %q does not start with /", p, out)
		}
		for _, s := range strings.Split(out, "/") {
			if s == "." || s == ".." {
				t.Fatalf("%q → %q has a dot segment", p, out)
			}
		}
		for i := 0; i < len(out); i++ {
			if out[i] == '%' {
				v, err := url.PathUnescape(out[i : i+3])
				if err != nil || out[i:i+3] != strings.ToUpper(out[i:i+3]) || unreserved[v[0]] {
					t.Fatalf("%q → %q has escape %q", p, out, out[i:i+3])
				}
			}
		}
	}
	if strings.Contains(a, "//") || strings.Contains(a, "%2F") || strings.Contains(a, "%5C") {
		t.Fatalf("ForAccess(%q) = %q keeps a separator", p, a)
	}
	// Without dot segments, normalising changes only the spelling: the
	// decoded bytes are the same.
	if !strings.Contains(p, ".") && !strings.Contains(strings.ToUpper(p), "%2E") {
		dp, _ := url.PathUnescape(p)
		dc, _ := url.PathUnescape(c)
		if dp != dc {
			t.Fatalf("Normalize(%q) = %q decodes to %q, want %q", p, c, dc, dp)
		}
	}
}

// FuzzNormalize checks Normalize, ForAccess and IsNormal against the
// oracle and the properties the edge relies on: idempotent, no dot
// segments, never above the root, only unreserved characters decoded, no
// empty segment or encoded separator in the access form.
func FuzzNormalize(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		checkAgainstOracle(t, p)
	})
}

// BenchmarkIsNormal is the fast path's added cost per request.
func BenchmarkIsNormal(b *testing.B) {
	p := "/images/product1/photo-1024.jpg"
	b.ReportAllocs()
	for b.Loop() {
		if !IsNormal(p) {
			b.Fatal("not normal")
		}
	}
}
