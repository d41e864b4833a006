package httpcache

import (
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestAge(t *testing.T) {
	tests := []struct {
		name      string
		storedAt  time.Time
		originAge time.Duration
		want      time.Duration
	}{
		// RFC 9111 §4.2.3 simplified: resident time + Age from origin.
		{"fresh from origin", now, 0, 0},
		{"resident 30s", now.Add(-30 * sec), 0, 30 * sec},
		{"resident plus origin Age", now.Add(-30 * sec), 100 * sec, 130 * sec},
		{"clock went back", now.Add(time.Minute), 5 * sec, 5 * sec},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Age(tc.storedAt, tc.originAge, now); got != tc.want {
				t.Errorf("Age = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseAge(t *testing.T) {
	tests := []struct {
		name  string
		h     http.Header
		want  time.Duration
		valid bool
	}{
		{"absent", hdr(), 0, false},
		{"valid", hdr("Age", "42"), 42 * sec, true},
		// RFC 9111 §5.1: first member of a list; invalid ignored.
		{"list uses first", hdr("Age", "42, 7"), 42 * sec, true},
		{"negative ignored", hdr("Age", "-1"), 0, false},
		{"garbage ignored", hdr("Age", "old"), 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseAge(tc.h)
			if got != tc.want || ok != tc.valid {
				t.Errorf("ParseAge = %v, %v; want %v, %v", got, ok, tc.want, tc.valid)
			}
		})
	}
	if got := FormatAge(1500 * time.Millisecond); got != "1" {
		t.Errorf("FormatAge(1.5s) = %q, want 1", got)
	}
}

func TestIsFresh(t *testing.T) {
	tests := []struct {
		name     string
		age, ttl time.Duration
		want     bool
	}{
		{"within ttl", 10 * sec, 60 * sec, true},
		{"at expiry", 60 * sec, 60 * sec, false},
		{"after expiry", 61 * sec, 60 * sec, false},
		// max-age=0 stored but immediately stale.
		{"ttl zero never fresh", 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsFresh(tc.age, tc.ttl); got != tc.want {
				t.Errorf("IsFresh = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestFreshUntil: an Age the response arrived with counts toward its age
// (RFC 9111 §4.2.3), whatever gave the freshness lifetime.
func TestFreshUntil(t *testing.T) {
	min0 := TTLConfig{Min: 0, Default: day, Max: year}
	tests := []struct {
		name string
		cfg  TTLConfig
		h    http.Header
		want time.Time
	}{
		{"no Age", min0, hdr("Cache-Control", "max-age=3600"), now.Add(hour)},
		{"Age below max-age", min0, hdr("Cache-Control", "max-age=3600", "Age", "600"), now.Add(3000 * sec)},
		{"Age above max-age: stale on arrival", min0, hdr("Cache-Control", "max-age=3600", "Age", "7200"), now.Add(-hour)},
		{"Age equal to max-age", min0, hdr("Cache-Control", "max-age=3600", "Age", "3600"), now},
		{"s-maxage", min0, hdr("Cache-Control", "s-maxage=100", "Age", "40"), now.Add(60 * sec)},
		{"Expires minus Date", min0, hdr("Date", httpDate(now), "Expires", httpDate(now.Add(hour)), "Age", "60"), now.Add(hour - time.Minute)},
		{"DefaultTTL", min0, hdr("Age", "3600"), now.Add(day - hour)},
		{"MinTTL floor is a lifetime too", TTLConfig{Min: hour, Default: day, Max: year}, hdr("Cache-Control", "max-age=60", "Age", "1800"), now.Add(30 * time.Minute)},
		{"invalid Age ignored", min0, hdr("Cache-Control", "max-age=3600", "Age", "-5"), now.Add(hour)},
		{"Age list: first member", min0, hdr("Cache-Control", "max-age=3600", "Age", "600, 9999"), now.Add(3000 * sec)},
		{"huge Age saturates", min0, hdr("Cache-Control", "max-age=3600", "Age", "99999999999999999999"), now.Add(hour - MaxDeltaSeconds*sec)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := DecideTTL(tc.cfg, 200, tc.h, now)
			age, _ := ParseAge(tc.h)
			if got := FreshUntil(now, d.TTL, age); !got.Equal(tc.want) {
				t.Errorf("FreshUntil = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEvalConditional(t *testing.T) {
	lm := now.Add(-day)
	tests := []struct {
		name   string
		method string
		h      http.Header
		etag   string
		lm     time.Time
		want   bool
	}{
		// RFC 9110 §13.1.2 If-None-Match (weak comparison).
		{"inm strong match", "GET", hdr("If-None-Match", `"v1"`), `"v1"`, lm, true},
		{"inm mismatch", "GET", hdr("If-None-Match", `"v2"`), `"v1"`, lm, false},
		{"inm weak request vs strong stored", "GET", hdr("If-None-Match", `W/"v1"`), `"v1"`, lm, true},
		{"inm strong request vs weak stored", "GET", hdr("If-None-Match", `"v1"`), `W/"v1"`, lm, true},
		{"inm list", "GET", hdr("If-None-Match", `"a", W/"b", "v1"`), `"v1"`, lm, true},
		{"inm list over lines", "GET", hdr("If-None-Match", `"a"`, "If-None-Match", `"v1"`), `"v1"`, lm, true},
		{"inm comma inside tag", "GET", hdr("If-None-Match", `"a,b"`), `"a,b"`, lm, true},
		{"inm comma inside tag no partial", "GET", hdr("If-None-Match", `"a,b"`), `"a"`, lm, false},
		{"inm star", "GET", hdr("If-None-Match", "*"), `"v1"`, lm, true},
		{"inm star without etag", "GET", hdr("If-None-Match", "*"), "", lm, true},
		{"inm no stored etag", "GET", hdr("If-None-Match", `"v1"`), "", lm, false},
		{"inm malformed element skipped", "GET", hdr("If-None-Match", `v1, "v1"`), `"v1"`, lm, true},
		// RFC 9110 §13.1.3: If-Modified-Since ignored when If-None-Match present.
		{"inm present ims ignored", "GET", hdr("If-None-Match", `"x"`, "If-Modified-Since", httpDate(now)), `"v1"`, lm, false},
		{"ims not modified", "GET", hdr("If-Modified-Since", httpDate(lm)), `"v1"`, lm, true},
		{"ims later date", "GET", hdr("If-Modified-Since", httpDate(now)), `"v1"`, lm, true},
		{"ims modified since", "GET", hdr("If-Modified-Since", httpDate(lm.Add(-sec))), `"v1"`, lm, false},
		{"ims sub-second last-modified", "GET", hdr("If-Modified-Since", httpDate(lm)), `"v1"`, lm.Add(500 * time.Millisecond), true},
		{"ims invalid date ignored", "GET", hdr("If-Modified-Since", "yesterday"), `"v1"`, lm, false},
		{"ims two lines ignored", "GET", hdr("If-Modified-Since", httpDate(now), "If-Modified-Since", httpDate(now)), `"v1"`, lm, false},
		{"ims unknown last-modified", "GET", hdr("If-Modified-Since", httpDate(now)), `"v1"`, time.Time{}, false},
		// Only GET and HEAD.
		{"head", "HEAD", hdr("If-None-Match", `"v1"`), `"v1"`, lm, true},
		{"post never 304", "POST", hdr("If-None-Match", `"v1"`), `"v1"`, lm, false},
		{"options never 304", "OPTIONS", hdr("If-Modified-Since", httpDate(now)), `"v1"`, lm, false},
		{"no conditionals", "GET", hdr(), `"v1"`, lm, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := EvalConditional(tc.method, tc.h, tc.etag, tc.lm); got != tc.want {
				t.Errorf("EvalConditional = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRevalidationHeaders(t *testing.T) {
	lm := httpDate(now.Add(-day))
	tests := []struct {
		name   string
		stored http.Header
		want   http.Header
	}{
		// "Manage how long content stays in the cache (expiration)", AWS.
		{"both", hdr("ETag", `"v1"`, "Last-Modified", lm), hdr("If-None-Match", `"v1"`, "If-Modified-Since", lm)},
		{"etag only", hdr("ETag", `W/"v1"`), hdr("If-None-Match", `W/"v1"`)},
		{"last-modified only", hdr("Last-Modified", lm), hdr("If-Modified-Since", lm)},
		{"none", hdr("Content-Type", "text/plain"), http.Header{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RevalidationHeaders(tc.stored); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("RevalidationHeaders = %v, want %v", got, tc.want)
			}
		})
	}
}
