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
