package keyvaluestore

import (
	"strings"
	"testing"
	"unicode/utf8"

	"openfront/internal/control"
	"openfront/internal/model"
)

// FuzzParseRequests feeds arbitrary bodies and paths to the request
// parsers: they must never panic, must answer a ValidationException (the
// model's code) when they refuse, and what they accept must pass through
// control's batch check without a panic either.
func FuzzParseRequests(f *testing.F) {
	for _, seed := range []string{
		`{"Value":"v"}`, `{"Value":null}`, `{"Value":5}`, `{}`, ``, `[]`, `null`, `{"Value":"v"} x`,
		`{"Puts":[{"Key":"a","Value":"1"}],"Deletes":[{"Key":"b"}]}`, `{"Puts":[null]}`, `{"Deletes":[{}]}`,
		`{"Puts":{"Key":"a"}}`, `{"Puts":[{"Key":"\ud800","Value":"\u0000"}]}`, `{"puts":[{"key":"a","value":"b"}]}`,
		"{\"Value\":\"\xff\"}", strings.Repeat("[", 10000),
	} {
		f.Add([]byte(seed), "/key-value-stores/arn%3Aaws%3Acloudfront%3A%3A1%3Akey-value-store%2Fid/keys/k")
	}
	f.Add([]byte(`{}`), "/key-value-stores//keys/..")
	f.Add([]byte(`{}`), "/key-value-stores/a/keys/%2e%2e/x")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		check := func(err error) {
			if err == nil {
				return
			}
			me, ok := err.(*model.Error)
			if !ok || me.Code != control.CodeKVSValidation {
				t.Fatalf("refused with %v, want a ValidationException", err)
			}
		}
		if v, err := ParsePutKey(body); err == nil {
			if !utf8.ValidString(v) {
				t.Fatalf("accepted a value that is not UTF-8: %q", v)
			}
		} else {
			check(err)
		}
		puts, deletes, err := ParseUpdateKeys(body)
		check(err)
		if err == nil {
			_ = control.CheckKVSBatch(puts, deletes)
		}
		if rt, err := parsePath(path); err == nil && rt.arn == "" {
			t.Fatalf("accepted %q with an empty ARN", path)
		}
	})
}
