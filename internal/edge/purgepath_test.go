package edge

import (
	"strings"
	"testing"
	"unsafe"
)

// pathQueryIn finds the purge path inside the cache key where the key
// holds it, so that a fill's path costs no string of its own; anywhere
// else it reports false and purgePath builds the string as before.
func TestPathQueryIn(t *testing.T) {
	for _, tc := range []struct {
		name, key, p, q string
		ok              bool
	}{
		{"query keyed whole", "E1\x00Default (*)\x00/obj/a?size=1024", "/obj/a", "size=1024", true},
		{"header after the query", "E1\x00Default (*)\x00/obj/a?x=1\x00Host:h", "/obj/a", "x=1", true},
		{"path first seen in the pattern", "E1\x00/obj/a*\x00/obj/a?x=1", "/obj/a", "x=1", true},
		{"path seen twice, query after the second", "E1\x00/p\x00/p/p?x", "/p", "x", true},
		{"query filtered out of the key", "E1\x00Default (*)\x00/obj/a?x=1", "/obj/a", "x=1&Signature=s", false},
		{"query shorter in the key", "E1\x00Default (*)\x00/obj/a?x", "/obj/a", "x=1", false},
		{"access path not in the key", "E1\x00Default (*)\x00/obj/%41?x=1", "/obj/A", "x=1", false},
		{"no query in the key", "E1\x00Default (*)\x00/obj/a", "/obj/a", "x=1", false},
		{"empty path", "E1\x00\x00?x", "", "x", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := pathQueryIn(tc.key, tc.p, tc.q)
			if ok != tc.ok {
				t.Fatalf("pathQueryIn(%q, %q, %q) ok = %v, want %v", tc.key, tc.p, tc.q, ok, tc.ok)
			}
			if ok {
				checkPathQueryIn(t, tc.key, tc.p, tc.q, got)
			}
		})
	}
}

func checkPathQueryIn(t *testing.T, key, p, q, got string) {
	t.Helper()
	if got != p+"?"+q {
		t.Fatalf("pathQueryIn(%q, %q, %q) = %q, want %q", key, p, q, got, p+"?"+q)
	}
	start := uintptr(unsafe.Pointer(unsafe.StringData(key)))
	at := uintptr(unsafe.Pointer(unsafe.StringData(got)))
	if at < start || at+uintptr(len(got)) > start+uintptr(len(key)) {
		t.Fatalf("pathQueryIn(%q, %q, %q) = %q is not part of the key", key, p, q, got)
	}
}

func FuzzPathQueryIn(f *testing.F) {
	f.Add("E1\x00Default (*)\x00/obj/a?size=1024", "/obj/a", "size=1024")
	f.Add("E1\x00/p\x00/p/p?x", "/p", "x")
	f.Add("??", "?", "")
	f.Fuzz(func(t *testing.T, key, p, q string) {
		got, ok := pathQueryIn(key, p, q)
		if ok {
			checkPathQueryIn(t, key, p, q, got)
		} else if p != "" && strings.Contains(key, p+"?"+q) {
			t.Fatalf("pathQueryIn(%q, %q, %q) missed it", key, p, q)
		}
	})
}
