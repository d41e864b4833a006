package urlpath

import "testing"

func TestEscapeBytes(t *testing.T) {
	nonASCII := func(c byte) bool { return c >= 0x80 || c < 0x20 || c == 0x7f }
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain/ascii?x=1", "plain/ascii?x=1"},
		{"é", "%C3%A9"},
		{"a\r\nb", "a%0D%0Ab"},
		{"\x00\x7f\xff", "%00%7F%FF"},
		{"100%", "100%"}, // '%' only when the caller's set says so
	}
	for _, tt := range tests {
		if got := EscapeBytes(tt.in, nonASCII); got != tt.want {
			t.Errorf("EscapeBytes(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := EscapeBytes("50%", func(c byte) bool { return c == '%' }); got != "50%25" {
		t.Errorf("EscapeBytes with %%: %q", got)
	}
}

// EscapedLen counts what clean escapes: every byte outside keepRaw but '%'.
func TestEscapedLen(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"/a/b", 4},
		{"/é", 7},            // two bytes, each %XX
		{"/a%20b", 6},        // an escape counts as written
		{"/\"<>\\^`{|}", 28}, // what Go's URL parser escapes in a path
		{"/-._~!$&'()*+,;=:@[]", 20},
	}
	for _, tt := range tests {
		if got := EscapedLen(tt.in); got != tt.want {
			t.Errorf("EscapedLen(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
