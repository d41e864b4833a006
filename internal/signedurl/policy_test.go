package signedurl

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"net/netip"
	"testing"
	"time"
)

func pemPublic(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
		check   func(*Policy) bool
	}{
		{"full", `{"Statement":[{"Resource":"https://h/*","Condition":{"DateLessThan":{"AWS:EpochTime":200},"DateGreaterThan":{"AWS:EpochTime":100},"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"}}}]}`, false,
			func(p *Policy) bool {
				return p.Resource == "https://h/*" && p.DateLessThan.Equal(time.Unix(200, 0)) && p.DateGreaterThan.Equal(time.Unix(100, 0)) && p.SourceIP == netip.MustParsePrefix("192.0.2.0/24")
			}},
		{"whitespace and key order", "{ \"Statement\" : [ { \"Condition\" : { \"IpAddress\":{\"AWS:SourceIp\":\"10.1.2.3\"}, \"DateLessThan\" : { \"AWS:EpochTime\" : 5 } } , \"Resource\":\"*\" } ] }\n", false,
			func(p *Policy) bool { return p.SourceIP == netip.MustParsePrefix("10.1.2.3/32") && p.res.any }},
		{"unmasked cidr", `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":5},"IpAddress":{"AWS:SourceIp":"10.1.2.3/8"}}}]}`, false,
			func(p *Policy) bool { return p.SourceIP == netip.MustParsePrefix("10.0.0.0/8") && p.Resource == "" }},
		{"ipv6", `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":5},"IpAddress":{"AWS:SourceIp":"2001:db8::/32"}}}]}`, false, nil},
		{"escaped query separator", `{"Statement":[{"Resource":"https://h/a\\?b=*","Condition":{"DateLessThan":{"AWS:EpochTime":5}}}]}`, false,
			func(p *Policy) bool { return p.res.hasQuery && p.res.path == "/a" && p.res.query == "b=*" }},
		{"not json", `nope`, true, nil},
		{"two statements", `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":5}}},{"Condition":{"DateLessThan":{"AWS:EpochTime":5}}}]}`, true, nil},
		{"no statements", `{"Statement":[]}`, true, nil},
		{"statement not array", `{"Statement":{}}`, true, nil},
		{"no condition", `{"Statement":[{"Resource":"*"}]}`, true, nil},
		{"null condition", `{"Statement":[{"Resource":"*","Condition":null}]}`, true, nil},
		{"no DateLessThan", `{"Statement":[{"Condition":{"DateGreaterThan":{"AWS:EpochTime":5}}}]}`, true, nil},
		{"quoted epoch", `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":"5"}}}]}`, true, nil},
		{"fractional epoch", `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":5.5}}}]}`, true, nil},
		{"negative epoch", `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":-5}}}]}`, true, nil},
		{"unknown condition", `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":5},"NotIpAddress":{"AWS:SourceIp":"1.2.3.4"}}}]}`, true, nil},
		{"unknown top key", `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":5}}}],"Version":"1"}`, true, nil},
		{"lower-case key", `{"statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":5}}}]}`, true, nil},
		{"bad ip", `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":5},"IpAddress":{"AWS:SourceIp":"1.2.3"}}}]}`, true, nil},
		{"stream-name resource (RTMP)", `{"Statement":[{"Resource":"h/a","Condition":{"DateLessThan":{"AWS:EpochTime":5}}}]}`, false, nil},
		{"resource not string", `{"Statement":[{"Resource":5,"Condition":{"DateLessThan":{"AWS:EpochTime":5}}}]}`, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePolicy([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParsePolicy err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && tt.check != nil && !tt.check(p) {
				t.Errorf("ParsePolicy = %+v", p)
			}
		})
	}
}

func TestResourceMatch(t *testing.T) {
	tests := []struct {
		resource string
		url      string
		want     bool
	}{
		{"https://h/a.jpg", "https://h/a.jpg", true},
		{"https://h/a.jpg", "http://h/a.jpg", false},
		{"https://h/a.jpg", "https://h/a.jpg?x=1", false},
		{"https://h/a.jpg?x=1", "https://h/a.jpg?x=1", true}, // AWS signers' form: ? matches the separator
		{"https://h/a.jpg?x=1", "https://h/a.jpg?x=2", false},
		{"https://H/A.jpg", "https://h/A.jpg", true}, // host case-insensitive
		{"https://h/A.jpg", "https://h/a.jpg", false},
		{"https://h/images/*", "https://h/images/a/b.jpg", true},
		{"https://h/images/*", "https://h/images/a.jpg?size=large", true}, // trailing * implies \?*
		{"https://h/images/*", "https://h/video/a.jpg", false},
		{"https://h/images/*.jpg", "https://h/images/x/y.jpg", true},
		{"https://h/images/*.jpg", "https://h/images/x.png", false},
		{"https://h/a??.jpg", "https://h/abc.jpg", true},
		{"https://h/a??.jpg", "https://h/ab.jpg", false},
		{"http*://h/a", "https://h/a", true},
		{"http*://h/a", "http://h/a", true},
		{"*://h/a", "http://h/a", true},
		{"https://*.example.com/a", "https://www.example.com/a", true},
		{"https://*.example.com/a", "https://example.com/a", false},
		{"https://*/a", "https://any.host/a", true},
		{"https://h*", "https://h/any/path?q=1", true}, // trailing * in domain implies /*\?*
		{"https://h*", "https://hx.org/p", true},
		{"*.example.com/*", "http://cdn.example.com/x", true}, // leading * in domain implies protocol *
		{"*", "https://anything/at/all?x", true},
		{`https://h/a\?b=*`, "https://h/a?b=1&c=2", true},
		{`https://h/a\?b=*`, "https://h/a?c=1", false},
		{`https://h/a\?b=*`, "https://h/a", false},
		{`https://h/a\?*`, "https://h/a", true},
		{`https://h/*\?b=1`, "https://h/x/y?b=1", true},
		{`https://h/*\?b=1`, "https://h/x?y?b=1", false}, // * in path does not reach into the query
		{"https://h", "https://h/", true},
		{"https://h", "https://h/a", false},
		{"https://h/a*", "https://h/a?q", true},
		// A * at the end of the AWS signers' form (the URL with its query)
		// covers the rest of the query.
		{"https://h/a.txt?size=*", "https://h/a.txt?size=large", true},
		{"https://h/a.txt?size=*", "https://h/a.txt?colour=red", false},
		{"https://h/a.txt?size=large*", "https://h/a.txt?size=large&x=1", true},
		{"https://h/a.txt?*", "https://h/a.txt?x=1", true},
		{"https://h/a.txt?*", "https://h/a.txt", false}, // ? is exactly one byte
		{"https://h/a.txt?*", "https://h/b.txt?x=1", false},
		{"https://h/*.txt?*", "https://h/d/a.txt?x=1", true},
		{"https://h/*?size=*", "https://h/a.txt?size=1", true},
		{"https://h/*?size=*", "https://h/a.txt?colour=1", false},
		{"https://h:8443/a", "https://h:8443/a", true},
		{"https://h/a", "https://h:8443/a", false},
	}
	for _, tt := range tests {
		p, err := compileResource(tt.resource)
		if err != nil {
			t.Errorf("compileResource(%q): %v", tt.resource, err)
			continue
		}
		tg := newTarget(requestFor(t, tt.url, ""))
		if got := p.match(&tg); got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.resource, tt.url, got, tt.want)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"", "", true}, {"*", "", true}, {"", "a", false}, {"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false}, {"?", "", false}, {"*?", "a", true}, {"**a", "a", true},
		{"a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"/*", "/*0", true}, {"/*0", "/*0", true}, {"/*", "/*", true}, // a * in the URL is just a byte
	}
	for _, tt := range tests {
		if got := glob(tt.p, tt.s); got != tt.want {
			t.Errorf("glob(%q, %q) = %v", tt.p, tt.s, got)
		}
	}
}

func TestDecodeBase64(t *testing.T) {
	want := []byte{0xfb, 0xff, 0xfe, 0x01}
	for _, s := range []string{"-~~-AQ__", "+//+AQ==", "-~~-AQ", "-~~-\nAQ__"} {
		got, err := decodeBase64(s)
		if err != nil || string(got) != string(want) {
			t.Errorf("decodeBase64(%q) = %x, %v", s, got, err)
		}
	}
}
