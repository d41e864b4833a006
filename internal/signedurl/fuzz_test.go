package signedurl

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(`{"Statement":[{"Resource":"https://h/*","Condition":{"DateLessThan":{"AWS:EpochTime":200},"DateGreaterThan":{"AWS:EpochTime":100},"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"}}}]}`))
	f.Add([]byte(`{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}`))
	f.Add([]byte(`{"Statement":[{"Resource":"https://h/a\\?b=*","Condition":{"DateLessThan":{"AWS:EpochTime":1},"IpAddress":{"AWS:SourceIp":"2001:db8::/32"}}}]}`))
	f.Add(CannedPolicy("https://h/a?b=1", 5))
	f.Add([]byte(`{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":"1"}}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePolicy(b)
		if err != nil {
			return
		}
		if p.DateLessThan.IsZero() {
			t.Fatal("accepted a policy without DateLessThan")
		}
		tg := newTarget(Request{Scheme: "https", Host: "h", Path: "/a/b", RawQuery: "x=1"})
		p.check(&tg, netip.MustParseAddr("192.0.2.1"), time.Unix(150, 0)) // must not panic
	})
}

// FuzzVerifyInputs drives the query and cookie parsers and the whole
// verification with arbitrary request parts: it must never panic, and a
// request without a trusted key must never be accepted.
func FuzzVerifyInputs(f *testing.F) {
	f.Add("/a.jpg", "size=1&Expires=1700003600&Signature=abc~-_&Key-Pair-Id=K1", "")
	f.Add("/a.jpg", "Policy=eyJTdGF0ZW1lbnQiOltdfQ__&Signature=abc&Key-Pair-Id=K1&Hash-Algorithm=SHA256", "")
	f.Add("/", "", "CloudFront-Policy=eyJ9; CloudFront-Signature=x; CloudFront-Key-Pair-Id=K1")
	f.Add("/x", "Expires=%31&Signature=%zz&Key-Pair-Id=", `CloudFront-Expires="1"; CloudFront-Hash-Algorithm=SHA1`)
	f.Add("/x", "a&&=&Expires&Expires", ";;=;CloudFront-Key-Pair-Id")
	v := NewVerifier(64)
	f.Fuzz(func(t *testing.T, path, query, cookie string) {
		req := Request{Scheme: "https", Host: "h", Path: path, RawQuery: query, Cookies: []string{cookie}}
		keys := KeySet{"K1": nil} // K1 is known but has no usable key
		for _, err := range []error{Verify(req, keys, time.Unix(1700000000, 0)), v.Verify(req, keys, time.Unix(1700000000, 0))} {
			if err == nil {
				t.Fatalf("accepted %+v", req)
			}
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not *Error", err)
			}
		}
		if in, found, err := parseQueryInputs(query); err == nil && found {
			if !strings.HasPrefix(query, in.viewerQuery) || hasSigningParam(in.viewerQuery) {
				t.Fatalf("viewer query %q of %q", in.viewerQuery, query)
			}
			if s := stripSigningParams(query); strings.TrimRight(s, "&") != strings.TrimRight(in.viewerQuery, "&") {
				t.Fatalf("viewer query %q, stripped %q", in.viewerQuery, s)
			}
		}
	})
}

func FuzzResourceMatch(f *testing.F) {
	f.Add("https://h/images/*", "/images/a.jpg", "x=1")
	f.Add(`*://*.example.com/a??\?b=*`, "/abc", "b=2")
	f.Add("https://h*", "/", "")
	f.Fuzz(func(t *testing.T, resource, path, query string) {
		p, err := compileResource(resource)
		if err != nil {
			return
		}
		tg := newTarget(Request{Scheme: "https", Host: "www.example.com", Path: path, RawQuery: query})
		p.match(&tg)

		// "Wildcard characters ... anywhere in the string" ("Create a
		// signed URL using a custom policy"): the URL as AWS's signers
		// write it into Resource, and any prefix of it after the host
		// followed by *, match the URL.
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path+query, `\`) {
			return
		}
		url := "https://www.example.com" + path
		if query != "" {
			url += "?" + query
		}
		base := len(url) - len(path) - len(query) - len("?")*min(len(query), 1) // up to the path's /
		for _, r := range []string{url, url + "*", url[:base+1] + "*", url[:base+1+len(path)/2] + "*", url[:len(url)-len(query)/2] + "*"} {
			p, err := compileResource(r)
			if err != nil {
				t.Fatalf("compileResource(%q): %v", r, err)
			}
			if !p.match(&tg) {
				t.Fatalf("Resource %q does not match %q", r, url)
			}
		}
	})
}
