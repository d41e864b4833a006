package httpcache

import (
	"net/http"
	"time"
)

// ParseHTTPDate parses an HTTP-date exactly as RFC 9110 §5.6.7 writes it:
// the preferred IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") or one of
// the two obsolete forms recipients must still accept, rfc850-date
// ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime-date
// ("Sun Nov  6 08:49:37 1994"). Anything else is invalid (false).
//
// It is stricter than net/http's ParseTime, which accepts one-digit hours,
// runs of spaces and any time zone name; a cache must treat such an
// Expires as already expired (RFC 9111 §5.3), not guess what it meant.
// Names are case-sensitive (%s in the grammar), fields have their exact
// widths, the date must exist (no 31 Apr) and the time be in range (second
// 60, a leap second, is accepted and counts as the next second). The day
// name is checked to be a day name, not to match the date: the grammar
// does not ask for it and net/http does not either.
//
// A two-digit rfc850 year that would be more than 50 years after now is
// taken in the previous century (RFC 9110 §5.6.7).
func ParseHTTPDate(s string, now time.Time) (time.Time, bool) {
	switch {
	case len(s) == len("Sun, 06 Nov 1994 08:49:37 GMT") && s[3] == ',':
		return parseIMFFixdate(s)
	case len(s) == len("Sun Nov  6 08:49:37 1994") && s[3] == ' ':
		return parseASCTime(s)
	}
	return parseRFC850(s, now)
}

// parseIMFFixdate parses "Sun, 06 Nov 1994 08:49:37 GMT" (29 bytes).
func parseIMFFixdate(s string) (time.Time, bool) {
	if !isShortDayName(s[0:3]) || s[3:5] != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[25:] != " GMT" {
		return time.Time{}, false
	}
	day, ok1 := digits(s[5:7])
	month, ok2 := monthNumber(s[8:11])
	year, ok3 := digits(s[12:16])
	if !ok1 || !ok2 || !ok3 {
		return time.Time{}, false
	}
	return dateTime(year, month, day, s[17:25])
}

// parseASCTime parses "Sun Nov  6 08:49:37 1994" (24 bytes); the day is
// two digits or a space and one digit.
func parseASCTime(s string) (time.Time, bool) {
	if !isShortDayName(s[0:3]) || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ' {
		return time.Time{}, false
	}
	month, ok1 := monthNumber(s[4:7])
	dd := s[8:10]
	if dd[0] == ' ' {
		dd = dd[1:]
	}
	day, ok2 := digits(dd)
	year, ok3 := digits(s[20:24])
	if !ok1 || !ok2 || !ok3 {
		return time.Time{}, false
	}
	return dateTime(year, month, day, s[11:19])
}

// parseRFC850 parses "Sunday, 06-Nov-94 08:49:37 GMT".
func parseRFC850(s string, now time.Time) (time.Time, bool) {
	const rest = len(", 06-Nov-94 08:49:37 GMT")
	n := len(s) - rest
	if n < len("Monday") || !isLongDayName(s[:n]) {
		return time.Time{}, false
	}
	s = s[n:]
	if s[0:2] != ", " || s[4] != '-' || s[8] != '-' || s[11] != ' ' || s[20:] != " GMT" {
		return time.Time{}, false
	}
	day, ok1 := digits(s[2:4])
	month, ok2 := monthNumber(s[5:8])
	yy, ok3 := digits(s[9:11])
	if !ok1 || !ok2 || !ok3 {
		return time.Time{}, false
	}
	year := now.UTC().Year()/100*100 + yy
	if year > now.UTC().Year()+50 {
		year -= 100
	}
	return dateTime(year, month, day, s[12:20])
}

// dateTime checks the date and "hh:mm:ss" and returns the instant in UTC.
func dateTime(year int, month time.Month, day int, hms string) (time.Time, bool) {
	if hms[2] != ':' || hms[5] != ':' {
		return time.Time{}, false
	}
	hour, ok1 := digits(hms[0:2])
	minute, ok2 := digits(hms[3:5])
	sec, ok3 := digits(hms[6:8])
	if !ok1 || !ok2 || !ok3 || hour > 23 || minute > 59 || sec > 60 || day < 1 {
		return time.Time{}, false
	}
	// time.Date normalises 31 Apr to 1 May: a date that moved did not exist.
	if d := time.Date(year, month, day, 0, 0, 0, 0, time.UTC); d.Day() != day {
		return time.Time{}, false
	}
	return time.Date(year, month, day, hour, minute, sec, 0, time.UTC), true
}

// digits parses a string of ASCII digits only (no sign, no space).
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, s != ""
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func monthNumber(s string) (time.Month, bool) {
	for i, m := range months {
		if s == m {
			return time.Month(i + 1), true
		}
	}
	return 0, false
}

func isShortDayName(s string) bool {
	switch s {
	case "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun":
		return true
	}
	return false
}

func isLongDayName(s string) bool {
	switch s {
	case "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday":
		return true
	}
	return false
}

// singleDate returns the value of a singleton date field of h (Expires,
// Date) parsed with ParseHTTPDate. Several field lines make it invalid:
// RFC 9110 §5.3 forbids sending a singleton field twice, and there is no
// telling which line the sender meant.
func singleDate(h http.Header, name string, now time.Time) (t time.Time, present, ok bool) {
	vs := h.Values(name)
	switch len(vs) {
	case 0:
		return time.Time{}, false, false
	case 1:
		t, ok = ParseHTTPDate(vs[0], now)
		return t, true, ok
	}
	return time.Time{}, true, false
}
