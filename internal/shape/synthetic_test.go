package shape

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The CloudFront models have no flattened lists, no member whose element
// name differs from its member name in a request body, and no non-ISO
// timestamps; this synthetic model covers those paths of the codec.
const syntheticModel = `{
  "metadata": {"xmlNamespace": "urn:test"},
  "operations": {},
  "shapes": {
    "Root": {"type": "structure", "required": ["Renamed"], "members": {
      "Renamed": {"shape": "Str", "locationName": "OnTheWire"},
      "Flat": {"shape": "FlatList", "locationName": "Entry"},
      "Epoch": {"shape": "Time", "timestampFormat": "unixTimestamp"},
      "Header": {"shape": "Str", "location": "header", "locationName": "X-Header"},
      "Ratio": {"shape": "Dbl"},
      "Data": {"shape": "Blob"}
    }},
    "FlatList": {"type": "list", "flattened": true, "member": {"shape": "Str"}},
    "Str": {"type": "string"},
    "Time": {"type": "timestamp"},
    "Dbl": {"type": "double"},
    "Blob": {"type": "blob"}
  }
}`

func newSynthetic(t *testing.T) *Model {
	t.Helper()
	var raw rawModel
	if err := json.Unmarshal([]byte(syntheticModel), &raw); err != nil {
		t.Fatal(err)
	}
	m, err := resolve("test", &raw)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSynthetic_roundTrip(t *testing.T) {
	m := newSynthetic(t)
	body := `<Root><OnTheWire>x</OnTheWire><Entry>a</Entry><Entry>b</Entry><Epoch>1452803594.5</Epoch>` +
		`<X-Header>not in body</X-Header><Ratio>0.250</Ratio><Data>aGVs
bG8=</Data></Root>`
	tree, err := m.Decode(strings.NewReader(body), "Root", "Root")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"Renamed": "x",
		"Flat":    []any{"a", "b"},
		"Epoch":   "2016-01-14T20:33:14.5Z",
		"Ratio":   "0.25",
		"Data":    "aGVs\nbG8=",
	}
	if diff := cmp.Diff(want, tree); diff != "" {
		t.Errorf("Decode (-want +got):\n%s", diff)
	}
	out, err := m.EncodeToBytes("Root", "Root", tree)
	if err != nil {
		t.Fatal(err)
	}
	wantXML := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Root xmlns="urn:test"><OnTheWire>x</OnTheWire><Entry>a</Entry><Entry>b</Entry>` +
		`<Epoch>1452803594.5</Epoch><Ratio>0.25</Ratio><Data>aGVs` + "\n" + `bG8=</Data></Root>`
	if diff := cmp.Diff(wantXML, string(out)); diff != "" {
		t.Errorf("Encode (-want +got):\n%s", diff)
	}
}

func TestSynthetic_requiredUsesMemberName(t *testing.T) {
	m := newSynthetic(t)
	_, err := m.Decode(strings.NewReader(`<Root><Renamed>x</Renamed></Root>`), "Root", "Root")
	se, ok := err.(*Error)
	if !ok || se.Code != CodeInvalidArgument || se.Field != "Root.Renamed" {
		t.Errorf("Decode error = %#v, want InvalidArgument at Root.Renamed", err)
	}
}

func TestResolve_rejectsUnsupported(t *testing.T) {
	for _, model := range []string{
		`{"shapes": {"M": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "S"}}, "S": {"type": "string"}}}`,
		`{"shapes": {"R": {"type": "structure", "members": {"A": {"shape": "S", "xmlAttribute": true}}}, "S": {"type": "string"}}}`,
		`{"shapes": {"R": {"type": "structure", "members": {"A": {"shape": "Missing"}}}}}`,
		`{"shapes": {"R": {"type": "structure", "required": ["B"], "members": {}}}}`,
	} {
		var raw rawModel
		if err := json.Unmarshal([]byte(model), &raw); err != nil {
			t.Fatal(err)
		}
		if _, err := resolve("test", &raw); err == nil {
			t.Errorf("resolve(%s) succeeded", model)
		}
	}
}
