package httpguard

import (
	"net"
	"strings"
	"testing"
)

func TestValidPort(t *testing.T) {
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"", true},
		{"h.example", true},
		{"h.example:443", true},
		{"h.example:", true}, // port = *DIGIT (RFC 3986 section 3.2.3)
		{"[::1]", true},
		{"[::1]:8080", true},
		{"[::1]:", true},
		{"192.0.2.1:80", true},
		{"h:abc", false},
		{"h:80a", false},
		{"h:-1", false},
		{"h:+80", false},
		{"h:80:81", false},
		{"::1", false},
		{"[::1]x", false},
		{"[::1]:x", false},
		{"[::1", false},
	} {
		if got := ValidPort(tc.host); got != tc.want {
			t.Errorf("ValidPort(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
}

// FuzzValidPort compares ValidPort with net.SplitHostPort, which the edge
// uses to take the port off a Host: a host ValidPort takes has a port of
// digits or none, and a host SplitHostPort splits into a host without a
// colon (or a bracketed one) and a port of digits is taken.
func FuzzValidPort(f *testing.F) {
	for _, s := range []string{"h", "h:1", "h:", "h:a", "[::1]:2", "[::1]", "a:b:c", "[a]b:1", "]:1"} {
		f.Add(s)
	}
	digits := func(s string) bool { return strings.Trim(s, "0123456789") == "" }
	f.Fuzz(func(t *testing.T, host string) {
		h, port, err := net.SplitHostPort(host)
		ok := ValidPort(host)
		if ok && err == nil && !digits(port) {
			t.Fatalf("ValidPort(%q) takes it, SplitHostPort sees port %q", host, port)
		}
		bracketed := strings.HasPrefix(host, "[")
		if !ok && err == nil && digits(port) && (!strings.Contains(h, ":") || bracketed) && !strings.ContainsAny(h, "[]") {
			t.Fatalf("ValidPort(%q) refuses it, SplitHostPort sees host %q port %q", host, h, port)
		}
	})
}
