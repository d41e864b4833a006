package control_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"openfront/internal/control"
)

// FuzzParseImportFile: an import file never panics the parser, and what it
// accepts is within the documented limits with no duplicate key.
func FuzzParseImportFile(f *testing.F) {
	for _, seed := range []string{
		`{"data":[{"key":"a","value":"1"}]}`, `{"data":[]}`, `{"data":null}`, `{"data":[null]}`, `{}`, `[]`, ``,
		`{"data":[{"key":"a","value":"1"},{"key":"a","value":"2"}]}`, `{"data":[{"key":1,"value":"1"}]}`,
		`{"data":[{"key":"\ud800","value":"x"}]} {}`, "{\"data\":[{\"key\":\"\xff\",\"value\":\"\"}]}",
		`{"data":[{"key":"` + strings.Repeat("k", 513) + `","value":""}]}`, strings.Repeat(`{"data":[`, 1000),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := control.ParseImportFile(b)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, it := range items {
			if it.Key == "" || len(it.Key) > control.MaxKVSKeyBytes || len(it.Value) > control.MaxKVSValueBytes || seen[it.Key] || !utf8.ValidString(it.Key) {
				t.Fatalf("accepted %q=%q", it.Key, it.Value)
			}
			seen[it.Key] = true
		}
	})
}
