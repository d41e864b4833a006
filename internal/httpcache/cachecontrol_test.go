package httpcache

import (
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestParseCacheControl(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   CacheControl
	}{
		{"empty", "", CacheControl{}},
		{"max-age", "max-age=60", CacheControl{MaxAge: time.Minute, HasMaxAge: true}},
		{"s-maxage and max-age", "max-age=60, s-maxage=120", CacheControl{MaxAge: time.Minute, HasMaxAge: true, SMaxAge: 2 * time.Minute, HasSMaxAge: true}},
		// RFC 9111 §5.2: names are case-insensitive; quoted arguments accepted.
		{"case-insensitive name", "Max-Age=5", CacheControl{MaxAge: 5 * time.Second, HasMaxAge: true}},
		{"quoted value", `max-age="60"`, CacheControl{MaxAge: time.Minute, HasMaxAge: true}},
		{"spaces", "  public ,\tmax-age=1  ", CacheControl{Public: true, MaxAge: time.Second, HasMaxAge: true}},
		// RFC 9111 §4.2.1: invalid freshness information → stale.
		{"invalid max-age is stale", "max-age=abc", CacheControl{HasMaxAge: true}},
		{"negative max-age is stale", "max-age=-1", CacheControl{HasMaxAge: true}},
		{"fractional max-age is stale", "max-age=1.5", CacheControl{HasMaxAge: true}},
		{"max-age without value is stale", "max-age", CacheControl{HasMaxAge: true}},
		{"empty s-maxage is stale", "s-maxage=", CacheControl{HasSMaxAge: true}},
		// RFC 9111 §4.2.1: first occurrence wins.
		{"duplicate max-age first wins", "max-age=10, max-age=20", CacheControl{MaxAge: 10 * time.Second, HasMaxAge: true}},
		{"duplicate across lines", "max-age=10,max-age=0", CacheControl{MaxAge: 10 * time.Second, HasMaxAge: true}},
		{"invalid first wins", "max-age=x, max-age=20", CacheControl{HasMaxAge: true}},
		// RFC 9111 §1.2.2: overflow → 2^31.
		{"overflow", "max-age=99999999999999999999999", CacheControl{MaxAge: MaxDeltaSeconds * time.Second, HasMaxAge: true}},
		// RFC 9111 §5.2.2.4 / §5.2.2.7: qualified forms.
		{"no-cache", "no-cache", CacheControl{NoCache: true}},
		{"no-cache field list", `no-cache="set-cookie, X-Foo"`, CacheControl{NoCacheFields: []string{"Set-Cookie", "X-Foo"}}},
		{"no-cache token arg", `no-cache=Set-Cookie`, CacheControl{NoCacheFields: []string{"Set-Cookie"}}},
		{"no-cache empty list is unqualified", `no-cache=""`, CacheControl{NoCache: true}},
		{"private field list", `private="Authorization"`, CacheControl{PrivateFields: []string{"Authorization"}}},
		{"private and qualified merge", `private, private="a", private="b, a"`, CacheControl{Private: true, PrivateFields: []string{"A", "B"}}},
		{"comma inside quotes", `no-cache="a, b", max-age=3`, CacheControl{NoCacheFields: []string{"A", "B"}, MaxAge: 3 * time.Second, HasMaxAge: true}},
		{"escaped quote", `no-cache="a\"b", no-store`, CacheControl{NoCache: true, NoStore: true}},
		{"booleans", "no-store, private, public, must-revalidate, proxy-revalidate, immutable, no-transform",
			CacheControl{NoStore: true, Private: true, Public: true, MustRevalidate: true, ProxyRevalidate: true, Immutable: true, NoTransform: true}},
		// RFC 5861; invalid values ignored.
		{"stale directives", "stale-while-revalidate=30, stale-if-error=0",
			CacheControl{StaleWhileRevalidate: 30 * time.Second, HasStaleWhileRevalidate: true, HasStaleIfError: true}},
		{"invalid stale directive ignored", "stale-if-error=soon, stale-if-error=5", CacheControl{StaleIfError: 5 * time.Second, HasStaleIfError: true}},
		{"unknown directive ignored", "foo=bar, max-age=1", CacheControl{MaxAge: time.Second, HasMaxAge: true}},
		{"empty elements", ",,max-age=1,,", CacheControl{MaxAge: time.Second, HasMaxAge: true}},
		{"unterminated quote", `max-age="60`, CacheControl{MaxAge: time.Minute, HasMaxAge: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseCacheControl(tc.header)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseCacheControl(%q) =\n%+v, want\n%+v", tc.header, got, tc.want)
			}
		})
	}
}

func TestCacheControlFromHeader_multipleLines(t *testing.T) {
	h := http.Header{}
	h.Add("Cache-Control", "max-age=10")
	h.Add("Cache-Control", "max-age=20, no-store")
	got := CacheControlFromHeader(h)
	want := CacheControl{MaxAge: 10 * time.Second, HasMaxAge: true, NoStore: true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestCacheControl_String(t *testing.T) {
	cc := ParseCacheControl(`public, max-age=60, no-cache="Set-Cookie", stale-if-error=5`)
	want := `public, no-cache="Set-Cookie", max-age=60, stale-if-error=5`
	if got := cc.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// FuzzParseCacheControl: never panics, and formatting then parsing again
// gives the same value.
func FuzzParseCacheControl(f *testing.F) {
	for _, s := range []string{
		"max-age=60", `no-cache="set-cookie", private`, "s-maxage=0, max-age=abc",
		`no-cache="a\"b`, "stale-while-revalidate=30, immutable", ",,=,=\"", "max-age=99999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cc := ParseCacheControl(s)
		again := ParseCacheControl(cc.String())
		if !reflect.DeepEqual(cc, again) {
			t.Fatalf("round trip of %q via %q:\n%+v\n%+v", s, cc.String(), cc, again)
		}
	})
}

func BenchmarkParseCacheControl(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ParseCacheControl("public, max-age=3600, s-maxage=86400, stale-while-revalidate=60")
	}
}
