package shape_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"openfront/internal/shape"
)

var update = flag.Bool("update", false, "rewrite the golden output.xml sections in testdata")

func mustLoad(t testing.TB, version string) *shape.Model {
	t.Helper()
	m, err := shape.Load(version)
	if err != nil {
		t.Fatalf("Load(%q): %v", version, err)
	}
	return m
}

// goldenCase is one testdata/roundtrip/*.txtar file. Its comment holds
// "key: value" lines (version, root, shape, and optionally encode, the
// version to encode with); its files are input.xml and the golden output.xml.
type goldenCase struct {
	file          string
	archive       *txtar.Archive
	version       string
	encodeVersion string
	root, shape   string
	input         []byte
	output        []byte
}

func loadGolden(t testing.TB) []goldenCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "roundtrip", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	var cases []goldenCase
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c := goldenCase{file: f, archive: a}
		for _, line := range strings.Split(string(a.Comment), "\n") {
			k, v, ok := strings.Cut(line, ": ")
			switch {
			case !ok:
			case k == "version":
				c.version = v
			case k == "encode":
				c.encodeVersion = v
			case k == "root":
				c.root = v
			case k == "shape":
				c.shape = v
			}
		}
		if c.encodeVersion == "" {
			c.encodeVersion = c.version
		}
		for _, af := range a.Files {
			switch af.Name {
			case "input.xml":
				c.input = af.Data
			case "output.xml":
				c.output = af.Data
			}
		}
		if c.version == "" || c.root == "" || c.shape == "" || c.input == nil {
			t.Fatalf("%s: needs version, root, shape and input.xml", f)
		}
		cases = append(cases, c)
	}
	return cases
}

// TestGolden decodes each input, encodes it again and compares the bytes
// with the golden output; the output must decode to the same tree.
func TestGolden(t *testing.T) {
	for _, c := range loadGolden(t) {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			dm := mustLoad(t, c.version)
			em := mustLoad(t, c.encodeVersion)
			tree, err := dm.Decode(bytes.NewReader(c.input), c.root, c.shape)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			got, err := em.EncodeToBytes(c.root, c.shape, tree)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			got = append(got, '\n') // txtar sections end with a newline
			if *update {
				for i := range c.archive.Files {
					if c.archive.Files[i].Name == "output.xml" {
						c.archive.Files[i].Data = got
					}
				}
				if err := os.WriteFile(c.file, txtar.Format(c.archive), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(string(c.output), string(got)); diff != "" {
				t.Errorf("Encode output differs from golden (-want +got), rerun with -update:\n%s", diff)
			}
			if c.encodeVersion != c.version {
				return
			}
			again, err := dm.Decode(bytes.NewReader(got), c.root, c.shape)
			if err != nil {
				t.Fatalf("Decode(Encode): %v", err)
			}
			if diff := cmp.Diff(stripEmptyItems(tree), stripEmptyItems(again)); diff != "" {
				t.Errorf("Decode(Encode(tree)) != tree (-want +got):\n%s", diff)
			}
		})
	}
}

// stripEmptyItems returns tree without empty "Items" lists in maps that
// also have a "Quantity": Encode omits those (unless required), as
// CloudFront does, so round trips are compared modulo this.
func stripEmptyItems(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if l, ok := e.([]any); ok && k == "Items" && len(l) == 0 {
				if _, q := x["Quantity"]; q {
					continue
				}
			}
			out[k] = stripEmptyItems(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripEmptyItems(e)
		}
		return out
	}
	return v
}

func TestModel_Encode_dropsMembersOfOtherVersion(t *testing.T) {
	m16 := mustLoad(t, "2016-01-13")
	tree := map[string]any{
		"CallerReference": "r",
		"Comment":         "",
		"Enabled":         true,
		"HttpVersion":     "http2",
		"IsIPV6Enabled":   "true",
		"Origins": map[string]any{
			"Quantity": 1,
			"Items": []map[string]any{{
				"Id":                 "o1",
				"DomainName":         "example.com",
				"ConnectionAttempts": "3",
			}},
		},
	}
	got, err := m16.EncodeToBytes("DistributionConfig", "DistributionConfig", tree)
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2016-01-13/">` +
		`<CallerReference>r</CallerReference>` +
		`<Origins><Quantity>1</Quantity><Items><Origin><Id>o1</Id><DomainName>example.com</DomainName></Origin></Items></Origins>` +
		`<Comment></Comment><Enabled>true</Enabled></DistributionConfig>`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestModel_Encode_itemNames checks that list item element names come from
// the model's member locationName.
func TestModel_Encode_itemNames(t *testing.T) {
	for _, version := range []string{"2016-01-13", "2020-05-31"} {
		t.Run(version, func(t *testing.T) {
			m := mustLoad(t, version)
			tree := map[string]any{
				"Aliases": map[string]any{"Quantity": "1", "Items": []string{"a.example"}},
				"Origins": map[string]any{"Quantity": "1", "Items": []any{map[string]any{"Id": "o", "DomainName": "d"}}},
				"DefaultCacheBehavior": map[string]any{
					"AllowedMethods": map[string]any{
						"Quantity":      "2",
						"Items":         []any{"GET", "HEAD"},
						"CachedMethods": map[string]any{"Quantity": "1", "Items": []any{"GET"}},
					},
				},
			}
			b, err := m.EncodeToBytes("DistributionConfig", "DistributionConfig", tree)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{
				`<Aliases><Quantity>1</Quantity><Items><CNAME>a.example</CNAME></Items></Aliases>`,
				`<Origins><Quantity>1</Quantity><Items><Origin><Id>o</Id><DomainName>d</DomainName></Origin></Items></Origins>`,
				`<AllowedMethods><Quantity>2</Quantity><Items><Method>GET</Method><Method>HEAD</Method></Items>` +
					`<CachedMethods><Quantity>1</Quantity><Items><Method>GET</Method></Items></CachedMethods></AllowedMethods>`,
			} {
				if !bytes.Contains(b, []byte(want)) {
					t.Errorf("output lacks %s\ngot: %s", want, b)
				}
			}
		})
	}
}

func TestModel_Encode_quantityZeroOmitsItems(t *testing.T) {
	m := mustLoad(t, "2020-05-31")
	tests := []struct {
		name string
		tree map[string]any
		want string
	}{
		{"nil items", map[string]any{"Quantity": "0"}, `<Aliases><Quantity>0</Quantity></Aliases>`},
		{"empty items", map[string]any{"Quantity": "0", "Items": []any{}}, `<Aliases><Quantity>0</Quantity></Aliases>`},
		{"typed empty items", map[string]any{"Quantity": 0, "Items": []string(nil)}, `<Aliases><Quantity>0</Quantity></Aliases>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := m.EncodeToBytes("DistributionConfig", "DistributionConfig", map[string]any{"Aliases": tc.tree})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(b, []byte(tc.want)) {
				t.Errorf("got %s, want it to contain %s", b, tc.want)
			}
		})
	}
	// A list that is not a Quantity wrapper's Items is written even when empty.
	b, err := m.EncodeToBytes("Tags", "Tags", map[string]any{"Items": []any{}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`<Tags xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Items></Items></Tags>`)) {
		t.Errorf("got %s", b)
	}
}

func TestModel_Encode_scalars(t *testing.T) {
	m := mustLoad(t, "2020-05-31")
	tree := map[string]any{
		"Id":                            "E1",
		"ARN":                           "arn:aws:cloudfront::1:distribution/E1",
		"Status":                        "Deployed",
		"LastModifiedTime":              mustTime(t, "2016-01-14T20:33:14.524987Z"),
		"InProgressInvalidationBatches": int64(0),
		"DomainName":                    "d1.cloudfront.net",
		"DistributionConfig": map[string]any{
			"Comment":     "a < b & \"c\"\r\n",
			"Enabled":     false,
			"HttpVersion": "http2",
		},
	}
	b, err := m.EncodeToBytes("Distribution", "Distribution", tree)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<LastModifiedTime>2016-01-14T20:33:14.524Z</LastModifiedTime>`,
		`<InProgressInvalidationBatches>0</InProgressInvalidationBatches>`,
		`<Comment>a &lt; b &amp; "c"&#xD;` + "\n</Comment>",
		`<Enabled>false</Enabled>`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("output lacks %s\ngot: %s", want, b)
		}
	}
}

func TestModel_Encode_badTree(t *testing.T) {
	m := mustLoad(t, "2020-05-31")
	tests := []struct {
		name string
		tree map[string]any
		want string
	}{
		{"scalar for structure", map[string]any{"Origins": "x"}, "DistributionConfig.Origins"},
		{"map for scalar", map[string]any{"Comment": map[string]any{}}, "DistributionConfig.Comment"},
		{"bad boolean text", map[string]any{"Enabled": "yes"}, "DistributionConfig.Enabled"},
		{"integer out of range", map[string]any{"Aliases": map[string]any{"Quantity": int64(1) << 40}}, "DistributionConfig.Aliases.Quantity"},
		{"scalar for list", map[string]any{"Aliases": map[string]any{"Quantity": 1, "Items": "a"}}, "DistributionConfig.Aliases.Items"},
		{"bad item", map[string]any{"Aliases": map[string]any{"Quantity": 1, "Items": []any{1}}}, "DistributionConfig.Aliases.Items[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := m.Encode(&buf, "DistributionConfig", "DistributionConfig", tc.tree)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Encode error = %v, want one naming %s", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("Encode wrote %d bytes on error", buf.Len())
			}
		})
	}
}
