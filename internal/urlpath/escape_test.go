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
