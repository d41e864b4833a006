package httpcache

import (
	"net/http"
	"reflect"
	"testing"
	"time"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func httpDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

const (
	sec  = time.Second
	hour = time.Hour
	day  = 24 * time.Hour
	year = 365 * day
)

// TestDecideTTL has one case per row and column of the TTL table of "Manage
// how long content stays in the cache (expiration)" (AWS)
// (named "<row> / MinTTL=0|>0"), then the additional rules.
func TestDecideTTL(t *testing.T) {
	min0 := TTLConfig{Min: 0, Default: day, Max: year}
	min60 := TTLConfig{Min: 60 * sec, Default: day, Max: year}
	tight := TTLConfig{Min: 60 * sec, Default: hour, Max: 2 * hour}
	tests := []struct {
		name   string
		cfg    TTLConfig
		status int
		h      http.Header
		want   Decision
	}{
		// Row: max-age=N (no s-maxage).
		{"max-age / MinTTL=0 / N<Max", min0, 200, hdr("Cache-Control", "max-age=30"), Decision{true, 30 * sec, ReasonMaxAge, nil}},
		{"max-age / MinTTL=0 / N>Max", TTLConfig{0, hour, 2 * hour}, 200, hdr("Cache-Control", "max-age=86400"), Decision{true, 2 * hour, ReasonMaxTTLCap, nil}},
		{"max-age / MinTTL>0 / Min<=N<=Max", tight, 200, hdr("Cache-Control", "max-age=3600"), Decision{true, hour, ReasonMaxAge, nil}},
		{"max-age / MinTTL>0 / N<Min", tight, 200, hdr("Cache-Control", "max-age=30"), Decision{true, 60 * sec, ReasonMinTTLFloor, nil}},
		{"max-age / MinTTL>0 / N>Max", tight, 200, hdr("Cache-Control", "max-age=86400"), Decision{true, 2 * hour, ReasonMaxTTLCap, nil}},
		// Row: s-maxage=S (with or without max-age).
		{"s-maxage / MinTTL=0", min0, 200, hdr("Cache-Control", "s-maxage=120"), Decision{true, 120 * sec, ReasonSMaxAge, nil}},
		{"s-maxage / MinTTL=0 / wins over max-age", min0, 200, hdr("Cache-Control", "max-age=10, s-maxage=120"), Decision{true, 120 * sec, ReasonSMaxAge, nil}},
		{"s-maxage / MinTTL=0 / capped", TTLConfig{0, hour, 2 * hour}, 200, hdr("Cache-Control", "s-maxage=99999"), Decision{true, 2 * hour, ReasonMaxTTLCap, nil}},
		{"s-maxage / MinTTL>0 / floor", tight, 200, hdr("Cache-Control", "s-maxage=1, max-age=3600"), Decision{true, 60 * sec, ReasonMinTTLFloor, nil}},
		{"s-maxage / MinTTL>0 / in range", tight, 200, hdr("Cache-Control", "s-maxage=600"), Decision{true, 600 * sec, ReasonSMaxAge, nil}},
		// Row: Expires only.
		{"Expires only / MinTTL=0", min0, 200, hdr("Date", httpDate(now), "Expires", httpDate(now.Add(hour))), Decision{true, hour, ReasonExpires, nil}},
		{"Expires only / MinTTL=0 / capped", TTLConfig{0, hour, 2 * hour}, 200, hdr("Expires", httpDate(now.Add(day))), Decision{true, 2 * hour, ReasonMaxTTLCap, nil}},
		{"Expires only / MinTTL>0 / floor", tight, 200, hdr("Date", httpDate(now), "Expires", httpDate(now.Add(10*sec))), Decision{true, 60 * sec, ReasonMinTTLFloor, nil}},
		{"Expires only / MinTTL>0 / in range", tight, 200, hdr("Expires", httpDate(now.Add(hour))), Decision{true, hour, ReasonExpires, nil}},
		{"Expires only / relative to origin Date (clock skew)", min0, 200, hdr("Date", httpDate(now.Add(-day)), "Expires", httpDate(now.Add(-day+hour))), Decision{true, hour, ReasonExpires, nil}},
		{"Expires only / in the past", min0, 200, hdr("Expires", httpDate(now.Add(-hour))), Decision{true, 0, ReasonExpires, nil}},
		{"Expires only / invalid means expired", min0, 200, hdr("Expires", "0"), Decision{true, 0, ReasonExpires, nil}},
		{"Expires only / invalid with MinTTL>0", min60, 200, hdr("Expires", "0"), Decision{true, 60 * sec, ReasonMinTTLFloor, nil}},
		{"max-age wins over Expires", min0, 200, hdr("Cache-Control", "max-age=30", "Expires", httpDate(now.Add(hour))), Decision{true, 30 * sec, ReasonMaxAge, nil}},
		// Row: no max-age / s-maxage / Expires.
		{"no headers / MinTTL=0", min0, 200, hdr(), Decision{true, day, ReasonDefaultTTL, nil}},
		{"no headers / MinTTL>0", min60, 200, hdr(), Decision{true, day, ReasonDefaultTTL, nil}},
		{"no headers / MinTTL>0 / Min>Default", TTLConfig{2 * day, day, year}, 200, hdr(), Decision{true, 2 * day, ReasonMinTTLFloor, nil}},
		{"public only / MinTTL=0", min0, 200, hdr("Cache-Control", "public"), Decision{true, day, ReasonDefaultTTL, nil}},
		// Row: no-cache, no-store and/or private.
		{"no-cache / MinTTL=0", min0, 200, hdr("Cache-Control", "no-cache"), Decision{false, 0, ReasonNoCache, nil}},
		{"no-store / MinTTL=0", min0, 200, hdr("Cache-Control", "no-store, max-age=60"), Decision{false, 0, ReasonNoStore, nil}},
		{"private / MinTTL=0", min0, 200, hdr("Cache-Control", "private, max-age=60"), Decision{false, 0, ReasonPrivate, nil}},
		{"no-cache / MinTTL>0", min60, 200, hdr("Cache-Control", "no-cache"), Decision{true, 60 * sec, ReasonMinTTLOverride, nil}},
		{"no-store / MinTTL>0", min60, 200, hdr("Cache-Control", "no-store"), Decision{true, 60 * sec, ReasonMinTTLOverride, nil}},
		{"private / MinTTL>0", min60, 200, hdr("Cache-Control", "private, max-age=9999"), Decision{true, 60 * sec, ReasonMinTTLOverride, nil}},
		// Additional rules.
		{"max-age=0 / MinTTL=0 stored but stale", min0, 200, hdr("Cache-Control", "max-age=0"), Decision{true, 0, ReasonMaxAge, nil}},
		{"s-maxage=0 / MinTTL=0 stored but stale", min0, 200, hdr("Cache-Control", "s-maxage=0, max-age=60"), Decision{true, 0, ReasonSMaxAge, nil}},
		{"invalid max-age is stale", min0, 200, hdr("Cache-Control", "max-age=soon"), Decision{true, 0, ReasonMaxAge, nil}},
		{"CachingDisabled", TTLConfig{}, 200, hdr("Cache-Control", "max-age=60"), Decision{false, 0, ReasonCachingDisabled, nil}},
		// Set-Cookie ("Cache content based on cookies", AWS).
		{"Set-Cookie does not prevent caching", min0, 200, hdr("Set-Cookie", "a=b", "Cache-Control", "max-age=60"), Decision{true, 60 * sec, ReasonMaxAge, nil}},
		{"no-cache=Set-Cookie caches without Set-Cookie", min0, 200, hdr("Set-Cookie", "a=b", "Cache-Control", `no-cache="Set-Cookie", max-age=60`), Decision{true, 60 * sec, ReasonMaxAge, []string{"Set-Cookie"}}},
		{"private=field strips it", min0, 200, hdr("Cache-Control", `private="X-User", no-cache="Set-Cookie"`), Decision{true, day, ReasonDefaultTTL, []string{"Set-Cookie", "X-User"}}},
		// Status codes (AWS "How CloudFront processes HTTP 3xx status codes
		// from your origin").
		{"206 cacheable", min0, 206, hdr(), Decision{true, day, ReasonDefaultTTL, nil}},
		{"301 cacheable", min0, 301, hdr(), Decision{true, day, ReasonDefaultTTL, nil}},
		{"302 cacheable like 301 (AWS)", min0, 302, hdr(), Decision{true, day, ReasonDefaultTTL, nil}},
		{"307 without Cache-Control", min0, 307, hdr("Expires", httpDate(now.Add(hour))), Decision{false, 0, ReasonNoCacheControl, nil}},
		{"307 with Cache-Control", min0, 307, hdr("Cache-Control", "max-age=60"), Decision{true, 60 * sec, ReasonMaxAge, nil}},
		{"308 without Cache-Control (AWS)", min0, 308, hdr(), Decision{false, 0, ReasonNoCacheControl, nil}},
		{"308 with Cache-Control public", min0, 308, hdr("Cache-Control", "public"), Decision{true, day, ReasonDefaultTTL, nil}},
		// Any other final status with explicit freshness (RFC 9111 §3), and only then.
		{"299 with max-age", min0, 299, hdr("Cache-Control", "max-age=60"), Decision{true, 60 * sec, ReasonMaxAge, nil}},
		{"299 with s-maxage", min60, 299, hdr("Cache-Control", "s-maxage=600"), Decision{true, 600 * sec, ReasonSMaxAge, nil}},
		{"299 with Expires", min0, 299, hdr("Date", httpDate(now), "Expires", httpDate(now.Add(hour))), Decision{true, hour, ReasonExpires, nil}},
		{"299 with invalid Expires is stored stale", min0, 299, hdr("Expires", "0"), Decision{true, 0, ReasonExpires, nil}},
		{"201 with max-age", min0, 201, hdr("Cache-Control", "max-age=60"), Decision{true, 60 * sec, ReasonMaxAge, nil}},
		{"202 with max-age capped", TTLConfig{0, hour, 2 * hour}, 202, hdr("Cache-Control", "max-age=86400"), Decision{true, 2 * hour, ReasonMaxTTLCap, nil}},
		{"305 with max-age", min0, 305, hdr("Cache-Control", "max-age=60"), Decision{true, 60 * sec, ReasonMaxAge, nil}},
		{"399 with max-age", min0, 399, hdr("Cache-Control", "max-age=60"), Decision{true, 60 * sec, ReasonMaxAge, nil}},
		{"299 without freshness", min0, 299, hdr(), Decision{false, 0, ReasonNoExplicitFreshness, nil}},
		{"299 public only", min60, 299, hdr("Cache-Control", "public"), Decision{false, 0, ReasonNoExplicitFreshness, nil}},
		{"201 without freshness", min0, 201, hdr("Content-Type", "text/plain"), Decision{false, 0, ReasonNoExplicitFreshness, nil}},
		{"299 no-store with max-age / MinTTL=0", min0, 299, hdr("Cache-Control", "no-store, max-age=60"), Decision{false, 0, ReasonNoStore, nil}},
		{"299 no-store with max-age / MinTTL>0", min60, 299, hdr("Cache-Control", "no-store, max-age=60"), Decision{true, 60 * sec, ReasonMinTTLOverride, nil}},
		{"1xx never", min0, 103, hdr("Cache-Control", "max-age=60"), Decision{false, 0, ReasonUncacheableStatus, nil}},
		{"101 never", min0, 101, hdr("Cache-Control", "max-age=60"), Decision{false, 0, ReasonUncacheableStatus, nil}},
		{"600 never", min0, 600, hdr("Cache-Control", "max-age=60"), Decision{false, 0, ReasonUncacheableStatus, nil}},
		{"307 with Expires only (AWS)", min0, 307, hdr("Expires", httpDate(now.Add(hour))), Decision{false, 0, ReasonNoCacheControl, nil}},
		// Vary: * (AWS custom origins, Content negotiation).
		{"Vary * / MinTTL=0", min0, 200, hdr("Vary", "*", "Cache-Control", "max-age=60"), Decision{false, 0, ReasonVaryStar, nil}},
		{"Vary * in a list", min0, 200, hdr("Vary", "Accept-Encoding, *"), Decision{false, 0, ReasonVaryStar, nil}},
		{"Vary * with spaces", min0, 200, hdr("Vary", "  *  "), Decision{false, 0, ReasonVaryStar, nil}},
		{"Vary * on a second line", min0, 200, hdr("Vary", "Accept-Encoding", "Vary", "Origin,*"), Decision{false, 0, ReasonVaryStar, nil}},
		{"Vary member containing *", min0, 200, hdr("Vary", "X-*"), Decision{false, 0, ReasonVaryStar, nil}},
		{"Vary * on 299 with max-age", min0, 299, hdr("Vary", "*", "Cache-Control", "max-age=60"), Decision{false, 0, ReasonVaryStar, nil}},
		{"Vary * / MinTTL>0 cached (caller drops the *)", min60, 200, hdr("Vary", "*", "Cache-Control", "max-age=600"), Decision{true, 600 * sec, ReasonMaxAge, nil}},
		{"Vary without * cached", min0, 200, hdr("Vary", "Accept-Encoding", "Cache-Control", "max-age=60"), Decision{true, 60 * sec, ReasonMaxAge, nil}},
		{"404 goes to DecideErrorTTL", min0, 404, hdr(), Decision{false, 0, ReasonUncacheableStatus, nil}},
		{"304 refreshes TTL", min0, 304, hdr("Cache-Control", "max-age=60"), Decision{true, 60 * sec, ReasonMaxAge, nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := DecideTTL(tc.cfg, tc.status, tc.h, now)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("DecideTTL = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestDecideErrorTTL has one case per rule of AWS "How CloudFront processes
// HTTP 4xx and 5xx status codes from your origin" and "Control how long
// CloudFront caches errors".
func TestDecideErrorTTL(t *testing.T) {
	d := func(x time.Duration) *time.Duration { return &x }
	tests := []struct {
		name   string
		minTTL *time.Duration
		maxTTL time.Duration
		status int
		h      http.Header
		want   Decision
	}{
		// Always cached.
		{"always cached 404 default 10s", nil, year, 404, hdr(), Decision{true, 10 * sec, ReasonErrorCachingMinTTL, nil}},
		{"always cached 414", nil, year, 414, hdr(), Decision{true, 10 * sec, ReasonErrorCachingMinTTL, nil}},
		{"always cached 500", nil, year, 500, hdr(), Decision{true, 10 * sec, ReasonErrorCachingMinTTL, nil}},
		{"always cached 501", nil, year, 501, hdr(), Decision{true, 10 * sec, ReasonErrorCachingMinTTL, nil}},
		{"always cached 502", nil, year, 502, hdr(), Decision{true, 10 * sec, ReasonErrorCachingMinTTL, nil}},
		{"always cached 503", nil, year, 503, hdr(), Decision{true, 10 * sec, ReasonErrorCachingMinTTL, nil}},
		{"always cached 504", nil, year, 504, hdr(), Decision{true, 10 * sec, ReasonErrorCachingMinTTL, nil}},
		{"always cached 410 (AWS)", nil, year, 410, hdr(), Decision{true, 10 * sec, ReasonErrorCachingMinTTL, nil}},
		{"configured ErrorCachingMinTTL", d(300 * sec), year, 404, hdr(), Decision{true, 300 * sec, ReasonErrorCachingMinTTL, nil}},
		{"ErrorCachingMinTTL 0 not cached", d(0), year, 503, hdr(), Decision{false, 0, ReasonErrorCachingMinTTL, nil}},
		// Error TTL = max(ErrorCachingMinTTL, origin max-age/s-maxage/Expires).
		{"max-age above min wins", nil, year, 404, hdr("Cache-Control", "max-age=600"), Decision{true, 600 * sec, ReasonMaxAge, nil}},
		{"max-age below min loses", d(60 * sec), year, 404, hdr("Cache-Control", "max-age=5"), Decision{true, 60 * sec, ReasonErrorCachingMinTTL, nil}},
		{"s-maxage wins over max-age", nil, year, 500, hdr("Cache-Control", "max-age=600, s-maxage=900"), Decision{true, 900 * sec, ReasonSMaxAge, nil}},
		{"Expires counts (AWS)", nil, year, 503, hdr("Date", httpDate(now), "Expires", httpDate(now.Add(hour))), Decision{true, hour, ReasonExpires, nil}},
		{"max-age capped at MaxTTL (AWS)", nil, hour, 404, hdr("Cache-Control", "max-age=86400"), Decision{true, hour, ReasonMaxAge, nil}},
		// Cached only with max-age / s-maxage.
		{"conditional 400 without max-age", nil, year, 400, hdr(), Decision{false, 0, ReasonNoMaxAge, nil}},
		{"conditional 403 without max-age", nil, year, 403, hdr("Expires", httpDate(now.Add(hour))), Decision{false, 0, ReasonNoMaxAge, nil}},
		{"conditional 403 with max-age", nil, year, 403, hdr("Cache-Control", "max-age=60"), Decision{true, 60 * sec, ReasonMaxAge, nil}},
		{"conditional 405 with s-maxage", nil, year, 405, hdr("Cache-Control", "s-maxage=60"), Decision{true, 60 * sec, ReasonSMaxAge, nil}},
		{"conditional 412 with small max-age", nil, year, 412, hdr("Cache-Control", "max-age=1"), Decision{true, 10 * sec, ReasonErrorCachingMinTTL, nil}},
		{"conditional 415 with max-age", nil, year, 415, hdr("Cache-Control", "max-age=60"), Decision{true, 60 * sec, ReasonMaxAge, nil}},
		// Never cached.
		{"never cached 416", d(300 * sec), year, 416, hdr("Cache-Control", "max-age=60"), Decision{false, 0, ReasonUncacheableStatus, nil}},
		{"other 4xx not cached 429", nil, year, 429, hdr("Cache-Control", "max-age=60"), Decision{false, 0, ReasonUncacheableStatus, nil}},
		{"other 5xx not cached 505", nil, year, 505, hdr(), Decision{false, 0, ReasonUncacheableStatus, nil}},
		// no-store / no-cache / private (AWS custom-error-pages-expiration).
		{"no-store honoured on 404", nil, year, 404, hdr("Cache-Control", "no-store"), Decision{false, 0, ReasonNoStore, nil}},
		{"private honoured on 410", nil, year, 410, hdr("Cache-Control", "private"), Decision{false, 0, ReasonPrivate, nil}},
		{"no-cache honoured on 501", nil, year, 501, hdr("Cache-Control", "no-cache"), Decision{false, 0, ReasonNoCache, nil}},
		{"no-store ignored on 503", nil, year, 503, hdr("Cache-Control", "no-store"), Decision{true, 10 * sec, ReasonErrorCachingMinTTL, nil}},
		{"no-cache ignored on 403 with max-age", nil, year, 403, hdr("Cache-Control", "no-cache, max-age=60"), Decision{true, 60 * sec, ReasonMaxAge, nil}},
		// Vary: * (AWS custom origins, Content negotiation; the caller has
		// already dropped it when MinTTL > 0).
		{"Vary * on 404", nil, year, 404, hdr("Vary", "*"), Decision{false, 0, ReasonVaryStar, nil}},
		{"Vary * on 503", d(300 * sec), year, 503, hdr("Vary", "Accept-Encoding,*"), Decision{false, 0, ReasonVaryStar, nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := DecideErrorTTL(tc.minTTL, tc.maxTTL, tc.status, tc.h, now)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("DecideErrorTTL = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func BenchmarkDecideTTL(b *testing.B) {
	cfg := TTLConfig{Min: 0, Default: day, Max: year}
	cases := []struct {
		name string
		h    http.Header
	}{
		{"max-age", hdr("Cache-Control", "public, max-age=3600")},
		{"expires", hdr("Date", httpDate(now), "Expires", httpDate(now.Add(hour)))},
		{"none", hdr("Content-Type", "text/html")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				DecideTTL(cfg, 200, c.h, now)
			}
		})
	}
}

// FuzzDecideTTL drives the TTL decisions with arbitrary field values and
// statuses and checks what must hold whatever the origin sends.
func FuzzDecideTTL(f *testing.F) {
	f.Add(200, "max-age=60", "", "", "", "", int64(0))
	f.Add(299, "s-maxage=10, max-age=5", "Sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT", "*", "7200", int64(60))
	f.Add(404, "no-store", "0", "", "Accept-Encoding, *", "-1", int64(0))
	f.Add(307, "", "Sun, 06 Nov 1994 8:49:37 GMT", "", "X-*", "99999999999999999999", int64(1))
	f.Fuzz(func(t *testing.T, status int, cc, expires, date, vary, age string, minSec int64) {
		h := http.Header{}
		for name, v := range map[string]string{"Cache-Control": cc, "Expires": expires, "Date": date, "Vary": vary, "Age": age} {
			if v != "" {
				h.Set(name, v)
			}
		}
		cfg := TTLConfig{Min: time.Duration(minSec%100000) * sec, Default: day, Max: year}
		if cfg.Min < 0 {
			cfg.Min = -cfg.Min
		}
		var d Decision
		if status >= 400 {
			d = DecideErrorTTL(nil, cfg.Max, status, h, now)
		} else {
			d = DecideTTL(cfg, status, h, now)
		}
		if d.TTL < 0 || (!d.Cacheable && d.TTL != 0) || d.Reason == "" {
			t.Fatalf("status %d %v: %+v", status, h, d)
		}
		if d.Cacheable && (status < 200 || status > 599) {
			t.Fatalf("status %d cached: %+v", status, d)
		}
		if d.Cacheable && VariesOnEverything(h) && (cfg.Min == 0 || status >= 400) {
			t.Fatalf("Vary %q cached with MinTTL 0: %+v", vary, d)
		}
		if d.Cacheable && d.TTL > max(cfg.Max, cfg.Min) && status < 400 {
			t.Fatalf("TTL %v above MaxTTL: %+v", d.TTL, d)
		}
		a, _ := ParseAge(h)
		if a < 0 || a > MaxDeltaSeconds*sec {
			t.Fatalf("ParseAge(%q) = %v", age, a)
		}
		_ = FreshUntil(now, d.TTL, a)
	})
}
