package responseheaders

import (
	"net/http"
	"reflect"
	"slices"
	"testing"

	"openfront/internal/model"
)

// TestApplyStored: ApplyStored leaves the headers Apply would on a
// response made of an object's fields and the edge's own, whichever of
// them the policy names: kept or replaced as Override says, added when
// the object has none (or the edge deleted it), removed when present.
func TestApplyStored(t *testing.T) {
	custom := func(name string, override bool) model.CustomHeader {
		return model.CustomHeader{Header: name, Value: "policy", Override: override}
	}
	tests := []struct {
		name   string
		policy model.ResponseHeadersPolicy
		req    http.Header
		stored http.Header // the object's fields
		edge   http.Header // written by the edge after them
		delete []string    // deleted by the edge (a 304's Content-Type)
		want   http.Header
	}{
		{"absent: added", model.ResponseHeadersPolicy{Custom: []model.CustomHeader{custom("X-A", false)}},
			nil, http.Header{"Cache-Control": {"max-age=1"}}, nil, nil,
			http.Header{"Cache-Control": {"max-age=1"}, "X-A": {"policy"}}},
		{"stored: kept", model.ResponseHeadersPolicy{Custom: []model.CustomHeader{custom("Cache-Control", false)}},
			nil, http.Header{"Cache-Control": {"max-age=1"}}, nil, nil,
			http.Header{"Cache-Control": {"max-age=1"}}},
		{"stored: replaced", model.ResponseHeadersPolicy{Custom: []model.CustomHeader{custom("Cache-Control", true)}},
			nil, http.Header{"Cache-Control": {"max-age=1"}}, nil, nil,
			http.Header{"Cache-Control": {"policy"}}},
		{"written by the edge: kept", model.ResponseHeadersPolicy{Custom: []model.CustomHeader{custom("X-Cache", false), custom("Via", false), custom("Age", false)}},
			nil, http.Header{}, http.Header{"X-Cache": {"Hit from cloudfront"}, "Via": {"1.1 x.cloudfront.net (CloudFront)"}, "Age": {"3"}}, nil,
			http.Header{"X-Cache": {"Hit from cloudfront"}, "Via": {"1.1 x.cloudfront.net (CloudFront)"}, "Age": {"3"}}},
		{"range written by the edge: kept", model.ResponseHeadersPolicy{Custom: []model.CustomHeader{custom("Content-Range", false), custom("Content-Length", false)}},
			nil, http.Header{"Content-Length": {"10"}}, http.Header{"Content-Range": {"bytes 0-3/10"}, "Content-Length": {"4"}}, nil,
			http.Header{"Content-Range": {"bytes 0-3/10"}, "Content-Length": {"4"}}},
		{"deleted by the edge: added", model.ResponseHeadersPolicy{Custom: []model.CustomHeader{custom("Content-Type", false)}},
			nil, http.Header{"Content-Type": {"text/html"}}, nil, []string{"Content-Type"},
			http.Header{"Content-Type": {"policy"}}},
		{"removed", model.ResponseHeadersPolicy{Remove: []string{"Server", "X-Powered-By", "Via"}},
			nil, http.Header{"Server": {"nginx"}, "Etag": {`"1"`}}, http.Header{"Via": {"1.1 x"}}, nil,
			http.Header{"Etag": {`"1"`}}},
		{"CORS: the object's Allow-Origin kept", model.ResponseHeadersPolicy{CORS: &model.CORSConfig{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"}, AllowMethods: []string{"GET"}, ExposeHeaders: []string{"X-A"}}},
			http.Header{"Origin": {"https://a.test"}}, http.Header{"Access-Control-Allow-Origin": {"https://stored.test"}}, nil, nil,
			http.Header{"Access-Control-Allow-Origin": {"https://stored.test"}, "Access-Control-Expose-Headers": {"X-A"}}},
		{"managed security headers on a hit", model.ManagedResponseHeadersPolicies["67f7725c-6f97-4210-82d7-5512b31e9d03"],
			nil, http.Header{"X-Frame-Options": {"DENY"}, "X-Content-Type-Options": {"x"}}, http.Header{"X-Cache": {"Hit from cloudfront"}}, nil,
			http.Header{"X-Frame-Options": {"DENY"}, "X-Content-Type-Options": {"nosniff"}, "X-Cache": {"Hit from cloudfront"},
				"Strict-Transport-Security": {"max-age=31536000"}, "X-Xss-Protection": {"1; mode=block"}, "Referrer-Policy": {"strict-origin-when-cross-origin"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := tc.stored.Clone()
			var names []string
			for k, vs := range tc.stored {
				for range vs {
					names = append(names, k)
				}
			}
			slices.Sort(names)
			for k, vs := range tc.edge {
				resp[k] = vs
			}
			for _, k := range tc.delete {
				delete(resp, k)
			}
			ApplyStored(Compile(tc.policy), tc.req, resp, names)
			if !reflect.DeepEqual(resp, tc.want) {
				t.Errorf("got %v\nwant %v", resp, tc.want)
			}
		})
	}
}

// storedFuzzNames are the names of FuzzApplyStoredSameAsApply's policies
// and objects: the edge's own fields and others, CORS ones included.
var storedFuzzNames = append(edgeFields[:len(edgeFields):len(edgeFields)], "X-Frame-Options", "Access-Control-Allow-Origin",
	"Access-Control-Expose-Headers", "Access-Control-Allow-Credentials", "X-A", "Server", "Cache-Control", "Content-Type", "Date")

// FuzzApplyStoredSameAsApply: on a response made of an object's fields,
// then fields the edge writes (edgeFields) and deletes, ApplyStored leaves
// exactly the headers Apply does.
func FuzzApplyStoredSameAsApply(f *testing.F) {
	f.Add([]byte{0x01, 0x11, 0x61, 0x92}, byte(0x1f), []byte{0x00, 0x60, 0x90}, []byte{0x00, 0x10}, byte(0x01), "https://x.a.test")
	f.Add([]byte{0x02, 0x70, 0xa1}, byte(0x03), []byte{0x70, 0x80, 0xa0}, []byte{0x60}, byte(0x02), "https://b.test")
	f.Add([]byte{0x51, 0x41, 0x21}, byte(0x09), []byte{0x20, 0x40}, []byte{0x20, 0x40}, byte(0x03), "")
	f.Fuzz(func(t *testing.T, spec []byte, corsBits byte, stored, written []byte, deleted byte, origin string) {
		c := Compile(fuzzPolicyOf(storedFuzzNames, spec, corsBits))
		resp := http.Header{}
		var names []string
		for i, b := range stored {
			if i >= 16 {
				break
			}
			name := storedFuzzNames[int(b>>4)%len(storedFuzzNames)]
			resp[name] = append(resp[name], "stored-"+string(rune('a'+b%16)))
			names = append(names, name)
		}
		slices.Sort(names)
		for i, b := range written {
			if i >= 8 {
				break
			}
			resp[edgeFields[int(b>>4)%len(edgeFields)]] = []string{"edge"}
		}
		for i, name := range names {
			if deleted&(1<<(i%8)) != 0 {
				delete(resp, name)
			}
		}
		req := http.Header{}
		if origin != "" {
			req["Origin"] = []string{origin}
		}
		want := resp.Clone()
		Apply(c, req, want)
		ApplyStored(c, req, resp, names)
		if !reflect.DeepEqual(resp, want) {
			t.Fatalf("ApplyStored:\n%v\nApply:\n%v", resp, want)
		}
	})
}
