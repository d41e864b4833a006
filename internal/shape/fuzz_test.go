package shape_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"openfront/internal/shape"
)

// fuzzRoots are the request body roots; each is also its shape's name.
var fuzzRoots = []string{
	"DistributionConfig", "DistributionConfigWithTags", "StreamingDistributionConfig",
	"CloudFrontOriginAccessIdentityConfig", "InvalidationBatch", "Tags", "TagKeys",
}

// FuzzDecode checks that Decode never panics or returns a non-*Error for a
// body, and that a decoded tree survives Encode and Decode unchanged.
func FuzzDecode(f *testing.F) {
	for _, c := range loadGolden(f) {
		f.Add(c.input)
		f.Add(c.output)
	}
	f.Add([]byte(`<TagKeys><Items><Key>a</Key></Items></TagKeys>`))
	// Ambiguous bodies: repeated members, foreign and mixed namespaces.
	f.Add([]byte(`<CloudFrontOriginAccessIdentityConfig><CallerReference>a</CallerReference><Comment>1</Comment><Comment>2</Comment></CloudFrontOriginAccessIdentityConfig>`))
	f.Add([]byte(`<TagKeys xmlns="http://cloudfront.amazonaws.com/doc/2099-01-01/"><Items><Key>a</Key></Items></TagKeys>`))
	f.Add([]byte(`<TagKeys xmlns="http://cloudfront.amazonaws.com/doc/2016-01-13/"><Items><Key>a</Key></Items></TagKeys>`))
	f.Add([]byte(`<p:TagKeys xmlns:p="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Items xmlns="urn:x"><p:Key>a</p:Key></Items></p:TagKeys>`))
	f.Add([]byte(`<Tags><Items><Tag><Key>k</Key><Key>k2</Key></Tag></Items></Tags>`))
	f.Add([]byte(`<InvalidationBatch><Paths><Quantity>0</Quantity><Items/></Paths><CallerReference>&#xD;</CallerReference></InvalidationBatch>`))
	// 2020 Origins has a required Items, which Encode keeps even when empty.
	f.Add([]byte(`<DistributionConfig><CallerReference>r</CallerReference><Origins><Quantity>0</Quantity><Items/></Origins>` +
		`<DefaultCacheBehavior><TargetOriginId>o</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy></DefaultCacheBehavior>` +
		`<Comment/><Enabled>true</Enabled></DistributionConfig>`))
	models := []*shape.Model{mustLoad(f, "2016-01-13"), mustLoad(f, "2020-05-31")}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, m := range models {
			for _, root := range fuzzRoots {
				if !m.HasShape(root) {
					continue
				}
				tree, err := m.Decode(bytes.NewReader(body), root, root)
				if err != nil {
					var se *shape.Error
					if !errors.As(err, &se) {
						t.Fatalf("%s %s: Decode error %v is not *shape.Error", m.Version(), root, err)
					}
					continue
				}
				out, err := m.EncodeToBytes(root, root, tree)
				if err != nil {
					t.Fatalf("%s %s: Encode of a decoded tree: %v", m.Version(), root, err)
				}
				again, err := m.Decode(bytes.NewReader(out), root, root)
				if err != nil {
					t.Fatalf("%s %s: Decode(Encode(tree)): %v\n%s", m.Version(), root, err, out)
				}
				if diff := cmp.Diff(stripEmptyItems(tree), stripEmptyItems(again)); diff != "" {
					t.Fatalf("%s %s: Decode(Encode(tree)) != tree (-want +got):\n%s", m.Version(), root, diff)
				}
			}
		}
	})
}

func BenchmarkDecodeEncode_DistributionConfig(b *testing.B) {
	var body []byte
	for _, c := range loadGolden(b) {
		if c.version == "2020-05-31" && c.encodeVersion == c.version && c.root == "DistributionConfig" {
			body = c.input
		}
	}
	m := mustLoad(b, "2020-05-31")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		tree, err := m.Decode(bytes.NewReader(body), "DistributionConfig", "DistributionConfig")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.EncodeToBytes("DistributionConfig", "DistributionConfig", tree); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzCrossVersionRoundTrip checks the property the API's read-back-and-
// write-back relies on: a 2020-05-31 document shown to a 2016-01-13 client
// (Encode) and sent back unchanged (Decode, Merge into the stored document)
// is the stored document again, whatever 2020-only members or enum values
// it has. Documents whose 2016 view 2016 cannot decode are skipped (a
// behaviour with only a CachePolicyId: the API shows 2016 legacy settings
// for it), and so are documents whose lists repeat an identity (the
// service rejects duplicate origin ids and path patterns).
func FuzzCrossVersionRoundTrip(f *testing.F) {
	for _, c := range loadGolden(f) {
		if c.root == "DistributionConfig" {
			f.Add(c.input)
		}
	}
	m16, m20 := mustLoad(f, "2016-01-13"), mustLoad(f, "2020-05-31")
	f.Fuzz(func(t *testing.T, body []byte) {
		stored, err := m20.Decode(bytes.NewReader(body), "DistributionConfig", "DistributionConfig")
		if err != nil || repeatsIdentity(stored) {
			return
		}
		shown, err := m16.EncodeToBytes("DistributionConfig", "DistributionConfig", stored)
		if err != nil {
			t.Fatalf("Encode for 2016: %v", err)
		}
		sent, err := m16.Decode(bytes.NewReader(shown), "DistributionConfig", "DistributionConfig")
		if err != nil {
			return
		}
		merged := m16.Merge(stored, sent, "DistributionConfig")
		if diff := cmp.Diff(stripEmptyItems(stored), stripEmptyItems(merged)); diff != "" {
			t.Fatalf("2016 write-back of the 2016 view changed the document (-stored +merged):\n%s\nshown: %s", diff, shown)
		}
	})
}

// repeatsIdentity reports whether a list of structures in the tree has two
// items with the same Id, PathPattern, ErrorCode, HeaderName or DomainName.
func repeatsIdentity(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if repeatsIdentity(e) {
				return true
			}
		}
	case []any:
		seen := map[string]bool{}
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				for _, k := range []string{"Id", "PathPattern", "ErrorCode", "HeaderName", "DomainName"} {
					if s, ok := m[k].(string); ok {
						if seen[k+"="+s] {
							return true
						}
						seen[k+"="+s] = true
						break
					}
				}
			}
			if repeatsIdentity(e) {
				return true
			}
		}
	}
	return false
}
