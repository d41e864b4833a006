package responseheaders

import (
	"net/http"
	"net/textproto"
	"reflect"
	"slices"
	"strings"
	"testing"

	"openfront/internal/model"
)

// fuzzNames are the header names policies and stored responses are made
// of in FuzzFastSameAsApply: ones the policy sets, CORS ones, others.
var fuzzNames = []string{"X-Frame-Options", "Referrer-Policy", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers",
	"Access-Control-Allow-Credentials", "X-A", "Server", "Cache-Control", "Content-Type", "X-Powered-By"}

// fuzzPolicy builds a policy from the fuzzer's bytes: each byte picks a
// name and whether it is added (with Override) or removed, plus CORS.
func fuzzPolicy(spec []byte, corsBits byte) model.ResponseHeadersPolicy {
	return fuzzPolicyOf(fuzzNames, spec, corsBits)
}

// fuzzPolicyOf is fuzzPolicy with the header names taken from names.
func fuzzPolicyOf(names []string, spec []byte, corsBits byte) model.ResponseHeadersPolicy {
	var p model.ResponseHeadersPolicy
	for i, b := range spec {
		if i >= 12 {
			break
		}
		name := names[int(b>>4)%len(names)]
		switch b & 3 {
		case 0:
			p.Remove = append(p.Remove, name)
		case 1, 2:
			p.Custom = append(p.Custom, model.CustomHeader{Header: name, Value: "policy-" + name, Override: b&3 == 2})
		case 3:
			if p.Security.FrameOptions == nil {
				p.Security.FrameOptions = &model.OverridableValue{Override: b&4 != 0, Value: "DENY"}
			}
		}
	}
	if corsBits&1 != 0 {
		origins := []string{"https://*.a.test"}
		if corsBits&2 != 0 {
			origins = []string{"*"}
		}
		p.CORS = &model.CORSConfig{AllowOrigins: origins, AllowHeaders: []string{"*"}, AllowMethods: []string{"GET"},
			AllowCredentials: corsBits&4 != 0, OriginOverride: corsBits&8 != 0}
		if corsBits&16 != 0 {
			p.CORS.ExposeHeaders = []string{"X-A"}
		}
	}
	return p
}

// FuzzFastSameAsApply: for every policy the fast path takes (Fast), the
// fields it keeps and adds are those Apply leaves in an http.Header.
func FuzzFastSameAsApply(f *testing.F) {
	f.Add([]byte{0x02, 0x13, 0x21}, byte(0x1f), []byte{0x00, 0x20, 0x50}, "https://x.a.test")
	f.Add([]byte{0x60, 0x71}, byte(0x03), []byte{0x60, 0x70, 0x20}, "https://b.test")
	f.Add([]byte{0x23, 0x27}, byte(0x09), []byte{0x00, 0x00}, "")
	f.Fuzz(func(t *testing.T, spec []byte, corsBits byte, stored []byte, origin string) {
		c := Compile(fuzzPolicy(spec, corsBits))
		if !c.Fast() {
			return
		}
		resp := http.Header{}
		var names []string
		for i, b := range stored {
			if i >= 16 {
				break
			}
			name := fuzzNames[int(b>>4)%len(fuzzNames)]
			resp[name] = append(resp[name], "stored-"+string(rune('a'+b%16)))
			names = append(names, name)
		}
		slices.Sort(names) // a stored header's order
		req := http.Header{}
		if origin != "" {
			req["Origin"] = []string{origin}
		}
		cors := origin != "" && c.OriginAllowed(origin)
		var present uint64
		var dst []byte
		storedCopy := resp.Clone()
		seen := map[string]int{}
		for _, name := range names {
			v := storedCopy[name][seen[name]]
			seen[name]++
			if !c.StoredField(name, cors, &present) {
				dst = appendField(dst, name, v)
			}
		}
		dst = c.AppendFields(dst, present, cors, origin)
		fast := http.Header{}
		for _, line := range strings.Split(strings.TrimSuffix(string(dst), "\r\n"), "\r\n") {
			if line == "" {
				continue
			}
			name, value, _ := strings.Cut(line, ": ")
			name = textproto.CanonicalMIMEHeaderKey(name)
			fast[name] = append(fast[name], value)
		}
		Apply(c, req, resp)
		for k, v := range resp {
			if len(v) == 0 {
				delete(resp, k)
			}
		}
		if !reflect.DeepEqual(fast, resp) {
			t.Fatalf("fast path:\n%v\nApply:\n%v", fast, resp)
		}
	})
}
