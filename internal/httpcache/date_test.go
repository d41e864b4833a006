package httpcache

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseHTTPDate(t *testing.T) {
	want := time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		want time.Time // zero: invalid
	}{
		// The three forms of RFC 9110 §5.6.7.
		{"IMF-fixdate", "Sun, 06 Nov 1994 08:49:37 GMT", want},
		{"rfc850-date", "Sunday, 06-Nov-94 08:49:37 GMT", want},
		{"asctime-date space day", "Sun Nov  6 08:49:37 1994", want},
		{"asctime-date two-digit day", "Sun Nov 06 08:49:37 1994", want},
		{"rfc850 Wednesday", "Wednesday, 09-Nov-94 08:49:37 GMT", time.Date(1994, 11, 9, 8, 49, 37, 0, time.UTC)},
		{"leap day", "Thu, 29 Feb 2024 00:00:00 GMT", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"leap second", "Sat, 31 Dec 2016 23:59:60 GMT", time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)},
		// The day name is not checked against the date (neither does net/http).
		{"inconsistent day name", "Mon, 06 Nov 1994 08:49:37 GMT", want},
		// What net/http's ParseTime accepts and the grammar does not.
		{"one-digit hour", "Sun, 06 Nov 1994 8:49:37 GMT", time.Time{}},
		{"one-digit hour padded to length", "Sun, 06 Nov 1994  8:49:37 GMT", time.Time{}},
		{"run of spaces", "Sun,  06 Nov 1994 08:49:37 GMT", time.Time{}},
		{"runs of spaces", "Sun, 06  Nov  1994  08:49:37  GMT", time.Time{}},
		{"one-digit day", "Sun, 6 Nov 1994 08:49:37 GMT", time.Time{}},
		{"other zone", "Sun, 06 Nov 1994 08:49:37 UTC", time.Time{}},
		{"numeric zone", "Sun, 06 Nov 1994 08:49:37 +0000", time.Time{}},
		{"lower-case month", "Sun, 06 nov 1994 08:49:37 GMT", time.Time{}},
		{"upper-case day", "SUN, 06 Nov 1994 08:49:37 GMT", time.Time{}},
		{"lower-case GMT", "Sun, 06 Nov 1994 08:49:37 gmt", time.Time{}},
		{"full month name", "Sun, 06 November 1994 08:49:37 GMT", time.Time{}},
		{"two-digit year in IMF", "Sun, 06 Nov 94 08:49:37 GMT", time.Time{}},
		{"rfc850 with short day", "Sun, 06-Nov-94 08:49:37 GMT", time.Time{}},
		{"rfc850 four-digit year", "Sunday, 06-Nov-1994 08:49:37 GMT", time.Time{}},
		{"asctime with zone", "Sun Nov  6 08:49:37 GMT 1994", time.Time{}},
		{"asctime one-digit day without space", "Sun Nov 6 08:49:37 1994", time.Time{}},
		{"hour 24", "Sun, 06 Nov 1994 24:00:00 GMT", time.Time{}},
		{"minute 60", "Sun, 06 Nov 1994 08:60:00 GMT", time.Time{}},
		{"second 61", "Sun, 06 Nov 1994 08:49:61 GMT", time.Time{}},
		{"31 April", "Thu, 31 Apr 2025 00:00:00 GMT", time.Time{}},
		{"29 Feb not leap", "Sun, 29 Feb 2025 00:00:00 GMT", time.Time{}},
		{"day 00", "Sun, 00 Nov 1994 08:49:37 GMT", time.Time{}},
		{"signed digits", "Sun, +6 Nov 1994 08:49:37 GMT", time.Time{}},
		{"trailing space", "Sun, 06 Nov 1994 08:49:37 GMT ", time.Time{}},
		{"leading space", " Sun, 06 Nov 1994 08:49:37 GMT", time.Time{}},
		{"several lines folded", "Sun, 06 Nov 1994 08:49:37 GMT\r\n Sun, 06 Nov 1994 08:49:37 GMT", time.Time{}},
		{"embedded newline", "Sun, 06 Nov 1994\n08:49:37 GMT", time.Time{}},
		{"zero", "0", time.Time{}},
		{"empty", "", time.Time{}},
		{"unix seconds", "784111777", time.Time{}},
		{"ISO 8601", "1994-11-06T08:49:37Z", time.Time{}},
		{"oversize", strings.Repeat("Sunday", 1000), time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseHTTPDate(tc.in, now)
			if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
				t.Errorf("ParseHTTPDate(%q) = %v, %v; want %v", tc.in, got, ok, tc.want)
			}
		})
	}
}

// TestParseHTTPDate_rfc850Century checks RFC 9110 §5.6.7: a two-digit year
// more than 50 years in the future is in the previous century.
func TestParseHTTPDate_rfc850Century(t *testing.T) {
	ref := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, year := range map[string]int{
		"Thursday, 01-Jan-70 00:00:00 GMT": 2070,
		"Tuesday, 01-Jan-76 00:00:00 GMT":  2076,
		"Monday, 01-Jan-77 00:00:00 GMT":   1977,
		"Friday, 01-Jan-99 00:00:00 GMT":   1999,
		"Monday, 01-Jan-01 00:00:00 GMT":   2001,
	} {
		got, ok := ParseHTTPDate(in, ref)
		if !ok || got.Year() != year {
			t.Errorf("ParseHTTPDate(%q) = %v, %v; want year %d", in, got, ok, year)
		}
	}
}

// FuzzParseHTTPDate checks that the parser never panics, accepts every
// date net/http formats, and accepts nothing net/http would read
// differently: whatever it accepts (but for the leap second and the
// rfc850 century rule, where it follows RFC 9110 and net/http does not),
// net/http's lenient ParseTime reads as the same instant.
func FuzzParseHTTPDate(f *testing.F) {
	for _, s := range []string{
		"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
		"Sun, 06 Nov 1994 8:49:37 GMT", "Sun,  06 Nov 1994 08:49:37 GMT", "Sat, 31 Dec 2016 23:59:60 GMT",
		"Thu, 31 Apr 2025 00:00:00 GMT", "0", "", "Wednesday, 09-Nov-94 08:49:37 GMT",
	} {
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, s string, unix int64) {
		got, ok := ParseHTTPDate(s, now)
		if !ok {
			if !got.IsZero() {
				t.Fatalf("ParseHTTPDate(%q) rejected but returned %v", s, got)
			}
		} else if !strings.HasSuffix(s, ":60 GMT") && !strings.Contains(s, ":60 ") && !strings.Contains(s, "-") {
			std, err := http.ParseTime(s)
			if err != nil || !std.Equal(got) {
				t.Fatalf("ParseHTTPDate(%q) = %v, net/http reads %v, %v", s, got, std, err)
			}
		}
		// Every IMF-fixdate net/http writes is accepted, as that instant.
		ts := time.Unix(unix%(1<<40), 0).UTC()
		if ts.Year() < 0 || ts.Year() > 9999 {
			return
		}
		text := ts.Format(http.TimeFormat)
		if back, ok := ParseHTTPDate(text, now); !ok || !back.Equal(ts) {
			t.Fatalf("ParseHTTPDate(%q) = %v, %v; want %v", text, back, ok, ts)
		}
	})
}

func TestExpiresStrict(t *testing.T) {
	min0 := TTLConfig{Min: 0, Default: day, Max: year}
	valid := httpDate(now.Add(hour))
	tests := []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"valid Expires", hdr("Date", httpDate(now), "Expires", valid), hour},
		// Go's http.ParseTime accepts all three: RFC 9111 §5.3 says expired.
		{"one-digit hour", hdr("Date", httpDate(now.Add(-10*hour)), "Expires", "Sun, 01 Jun 2025 3:00:00 GMT"), 0},
		{"runs of spaces", hdr("Date", httpDate(now), "Expires", "Sun,  01  Jun  2025  13:00:00  GMT"), 0},
		{"several lines", hdr("Date", httpDate(now), "Expires", valid, "Expires", valid), 0},
		// An invalid Date is ignored: Expires is then measured from now.
		{"invalid Date ignored", hdr("Date", "Sun, 01 Jun 2025 1:00:00 GMT", "Expires", valid), hour},
		{"several Date lines ignored", hdr("Date", httpDate(now.Add(-day)), "Date", httpDate(now.Add(-day)), "Expires", valid), hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := DecideTTL(min0, 200, tc.h, now)
			if !d.Cacheable || d.TTL != tc.want || d.Reason != ReasonExpires {
				t.Errorf("DecideTTL = %+v, want cacheable, TTL %v, reason %s", d, tc.want, ReasonExpires)
			}
		})
	}
}
