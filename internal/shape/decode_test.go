package shape_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"

	"openfront/internal/shape"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// dc wraps members in a DistributionConfig document.
func dc(members string) string {
	return `<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2016-01-13/">` + members + `</DistributionConfig>`
}

// minimal16 is the smallest valid 2016 DistributionConfig body.
const minimal16 = `<CallerReference>r</CallerReference>` +
	`<Origins><Quantity>1</Quantity><Items><Origin><Id>o</Id><DomainName>d</DomainName><S3OriginConfig><OriginAccessIdentity/></S3OriginConfig></Origin></Items></Origins>` +
	`<DefaultCacheBehavior><TargetOriginId>o</TargetOriginId>` +
	`<ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies></ForwardedValues>` +
	`<TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>` +
	`<ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><MinTTL>0</MinTTL></DefaultCacheBehavior>` +
	`<Comment/><Enabled>true</Enabled>`

func TestModel_Decode_tree(t *testing.T) {
	m := mustLoad(t, "2016-01-13")
	body := dc(minimal16 + `<Aliases><Quantity>1</Quantity><Items><CNAME>a.example</CNAME></Items></Aliases>` +
		`<CustomErrorResponses><Quantity>0</Quantity><Items/></CustomErrorResponses>` +
		`<Logging><Enabled> true </Enabled><IncludeCookies>false</IncludeCookies><Bucket> b </Bucket><Prefix/></Logging>` +
		`<Unknown><Deep>ignored</Deep></Unknown>`)
	got, err := m.Decode(strings.NewReader(body), "DistributionConfig", "DistributionConfig")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"CallerReference": "r",
		"Aliases":         map[string]any{"Quantity": "1", "Items": []any{"a.example"}},
		"Origins": map[string]any{"Quantity": "1", "Items": []any{map[string]any{
			"Id": "o", "DomainName": "d", "S3OriginConfig": map[string]any{"OriginAccessIdentity": ""},
		}}},
		"DefaultCacheBehavior": map[string]any{
			"TargetOriginId":       "o",
			"ForwardedValues":      map[string]any{"QueryString": "false", "Cookies": map[string]any{"Forward": "none"}},
			"TrustedSigners":       map[string]any{"Enabled": "false", "Quantity": "0"},
			"ViewerProtocolPolicy": "allow-all",
			"MinTTL":               "0",
		},
		"CustomErrorResponses": map[string]any{"Quantity": "0", "Items": []any{}},
		"Comment":              "",
		"Enabled":              "true",
		"Logging":              map[string]any{"Enabled": "true", "IncludeCookies": "false", "Bucket": " b ", "Prefix": ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestModel_Decode_canonicalScalars(t *testing.T) {
	m := mustLoad(t, "2020-05-31")
	tests := []struct {
		name, member, text, want string
	}{
		{"plus sign", "MinTTL", "+5", "5"},
		{"leading zeros", "MinTTL", "0005", "5"},
		{"negative long", "MinTTL", "-9223372036854775808", "-9223372036854775808"},
		{"spaces around number", "DefaultTTL", "\n 42 \t", "42"},
		{"boolean", "Compress", "true", "true"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := `<CacheBehavior><PathPattern>*</PathPattern><TargetOriginId>o</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>` +
				`<` + tc.member + `>` + tc.text + `</` + tc.member + `></CacheBehavior>`
			got, err := m.Decode(strings.NewReader(body), "CacheBehavior", "CacheBehavior")
			if err != nil {
				t.Fatal(err)
			}
			if got[tc.member] != tc.want {
				t.Errorf("%s = %q, want %q", tc.member, got[tc.member], tc.want)
			}
		})
	}
	// Timestamps: any RFC 3339 form, stored in UTC.
	body := `<Invalidation><Id>I1</Id><Status>Completed</Status><CreateTime>2016-01-14T22:33:14.5240+02:00</CreateTime>` +
		`<InvalidationBatch><Paths><Quantity>0</Quantity></Paths><CallerReference>c</CallerReference></InvalidationBatch></Invalidation>`
	got, err := m.Decode(strings.NewReader(body), "Invalidation", "Invalidation")
	if err != nil {
		t.Fatal(err)
	}
	if got["CreateTime"] != "2016-01-14T20:33:14.524Z" {
		t.Errorf("CreateTime = %q", got["CreateTime"])
	}
}

func TestModel_Decode_errors(t *testing.T) {
	m16 := mustLoad(t, "2016-01-13")
	m20 := mustLoad(t, "2020-05-31")
	deep := strings.Repeat("<X>", 70) + strings.Repeat("</X>", 70)
	tests := []struct {
		name      string
		m         *shape.Model
		body      string
		wantCode  string
		wantField string
		wantMsg   string // substring of Message
	}{
		{"empty body", m16, "", shape.CodeMissingBody, "", ""},
		{"white space body", m16, " \r\n\t ", shape.CodeMissingBody, "", ""},
		{"not xml", m16, "hello", shape.CodeMalformedXML, "", ""},
		{"unclosed", m16, `<DistributionConfig><Comment>x</Comment>`, shape.CodeMalformedXML, "DistributionConfig", ""},
		{"mismatched tags", m16, `<DistributionConfig><Comment>x</Comments></DistributionConfig>`, shape.CodeMalformedXML, "DistributionConfig.Comment", ""},
		{"wrong root", m16, `<StreamingDistributionConfig/>`, shape.CodeMalformedXML, "", "expected <DistributionConfig>"},
		{"trailing element", m16, dc(minimal16) + `<DistributionConfig/>`, shape.CodeMalformedXML, "", "after the root"},
		{"trailing text", m16, dc(minimal16) + `garbage`, shape.CodeMalformedXML, "", "after the root"},
		{"doctype", m16, `<!DOCTYPE x [<!ENTITY a "b">]>` + dc(minimal16), shape.CodeMalformedXML, "", "DTD"},
		{"undefined entity", m16, dc(minimal16 + `<DefaultRootObject>&a;</DefaultRootObject>`), shape.CodeMalformedXML, "DistributionConfig.DefaultRootObject", ""},
		{"non-utf8 charset", m16, `<?xml version="1.0" encoding="ISO-8859-1"?>` + dc(minimal16), shape.CodeMalformedXML, "", ""},
		{"element in scalar", m16, dc(`<Comment><b>x</b></Comment>`), shape.CodeMalformedXML, "DistributionConfig.Comment", ""},
		{"text in structure", m16, dc(`<Aliases>x<Quantity>0</Quantity></Aliases>`), shape.CodeMalformedXML, "DistributionConfig.Aliases", ""},
		{"wrong item name", m16, dc(`<Aliases><Quantity>1</Quantity><Items><Foo>a</Foo></Items></Aliases>`), shape.CodeMalformedXML, "DistributionConfig.Aliases.Items", "expected <CNAME>"},
		{"too deep", m16, dc(`<Unknown>` + deep + `</Unknown>`), shape.CodeMalformedXML, "DistributionConfig", "deeper than 64"},
		{"too many elements", m16, dc(strings.Repeat("<U/>", 100_001)), shape.CodeMalformedXML, "DistributionConfig", "more than 100000"},
		{"bad boolean", m16, dc(`<Enabled>True</Enabled>`), shape.CodeInvalidArgument, "DistributionConfig.Enabled", "'True'"},
		{"bad integer", m16, dc(`<Aliases><Quantity>one</Quantity></Aliases>`), shape.CodeInvalidArgument, "DistributionConfig.Aliases.Quantity", "'one'"},
		{"integer overflow", m16, dc(`<Aliases><Quantity>2147483648</Quantity></Aliases>`), shape.CodeInvalidArgument, "DistributionConfig.Aliases.Quantity", "between -2147483648 and 2147483647"},
		{"long overflow", m16, dc(`<DefaultCacheBehavior><MinTTL>9223372036854775808</MinTTL></DefaultCacheBehavior>`), shape.CodeInvalidArgument, "DistributionConfig.DefaultCacheBehavior.MinTTL", ""},
		{"fractional integer", m16, dc(`<DefaultCacheBehavior><MaxTTL>1.5</MaxTTL></DefaultCacheBehavior>`), shape.CodeInvalidArgument, "DistributionConfig.DefaultCacheBehavior.MaxTTL", ""},
		{"bad enum", m16, dc(`<PriceClass>None</PriceClass>`), shape.CodeInvalidArgument, "DistributionConfig.PriceClass", "[PriceClass_100, PriceClass_200, PriceClass_All]"},
		{"enum is case sensitive", m16, dc(`<DefaultCacheBehavior><AllowedMethods><Quantity>1</Quantity><Items><Method>get</Method></Items></AllowedMethods></DefaultCacheBehavior>`), shape.CodeInvalidArgument, "DistributionConfig.DefaultCacheBehavior.AllowedMethods.Items[0]", "GET, HEAD"},
		{"bad timestamp", m20, `<Invalidation><CreateTime>yesterday</CreateTime></Invalidation>`, shape.CodeInvalidArgument, "Invalidation.CreateTime", "timestamp"},
		{"missing required top level", m16, dc(`<CallerReference>r</CallerReference>`), shape.CodeInvalidArgument, "DistributionConfig.Origins", "Value null at 'DistributionConfig.Origins'"},
		{"missing required nested", m16, dc(`<Origins><Quantity>1</Quantity><Items><Origin><Id>o</Id></Origin></Items></Origins>`), shape.CodeInvalidArgument, "DistributionConfig.Origins.Items[0].DomainName", "must not be null"},
		{"required 2016 only", m16, dc(`<Logging><Enabled>true</Enabled></Logging>`), shape.CodeInvalidArgument, "DistributionConfig.Logging.IncludeCookies", ""},
		{"quantity too big", m16, dc(`<Aliases><Quantity>2</Quantity><Items><CNAME>a</CNAME></Items></Aliases>`), shape.CodeInconsistentQuantities, "DistributionConfig.Aliases", "don't match"},
		{"quantity without items", m16, dc(`<Aliases><Quantity>1</Quantity></Aliases>`), shape.CodeInconsistentQuantities, "DistributionConfig.Aliases", ""},
		{"quantity nested", m16, dc(`<DefaultCacheBehavior><AllowedMethods><Quantity>1</Quantity><Items><Method>GET</Method></Items>` +
			`<CachedMethods><Quantity>2</Quantity><Items><Method>GET</Method></Items></CachedMethods></AllowedMethods></DefaultCacheBehavior>`),
			shape.CodeInconsistentQuantities, "DistributionConfig.DefaultCacheBehavior.AllowedMethods.CachedMethods", ""},
		{"first error in document order", m16, dc(`<Aliases><Quantity>5</Quantity></Aliases><Enabled>maybe</Enabled>`), shape.CodeInconsistentQuantities, "DistributionConfig.Aliases", ""},
		{"value error before required", m16, dc(`<Enabled>maybe</Enabled>`), shape.CodeInvalidArgument, "DistributionConfig.Enabled", ""},
		{"2020 items required", m20, `<DistributionConfig><Origins><Quantity>0</Quantity></Origins></DistributionConfig>`, shape.CodeInvalidArgument, "DistributionConfig.Origins.Items", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.m.Decode(strings.NewReader(tc.body), "DistributionConfig", "DistributionConfig")
			if strings.HasPrefix(tc.body, "<Invalidation>") {
				_, err = tc.m.Decode(strings.NewReader(tc.body), "Invalidation", "Invalidation")
			}
			var se *shape.Error
			if !errors.As(err, &se) {
				t.Fatalf("Decode error = %v, want *shape.Error", err)
			}
			if se.Code != tc.wantCode || se.Field != tc.wantField {
				t.Errorf("got Code %q Field %q, want %q %q (message %q)", se.Code, se.Field, tc.wantCode, tc.wantField, se.Message)
			}
			if !strings.Contains(se.Message, tc.wantMsg) {
				t.Errorf("Message %q lacks %q", se.Message, tc.wantMsg)
			}
		})
	}
}

// A repeated non-list member is ambiguous, so it is refused: before, the
// last one won and a body with two <Comment>s created a distribution.
// Repeated list items and unknown elements are not duplicates.
func TestModel_Decode_duplicateMembers(t *testing.T) {
	m := mustLoad(t, "2016-01-13")
	for _, tc := range []struct {
		name, body, field, msg string
	}{
		{"scalar", dc(minimal16 + `<Comment>second</Comment>`), "DistributionConfig.Comment", "<Comment> appears more than once in <DistributionConfig>"},
		{"scalar, same value", dc(minimal16 + `<Enabled>true</Enabled>`), "DistributionConfig.Enabled", "<Enabled> appears more than once"},
		{"empty and not", dc(`<Comment></Comment>` + minimal16), "DistributionConfig.Comment", "<Comment> appears more than once"},
		{"structure", dc(minimal16 + `<Origins><Quantity>0</Quantity></Origins>`), "DistributionConfig.Origins", "<Origins> appears more than once"},
		{"list wrapper", dc(`<Aliases><Quantity>0</Quantity><Items/><Items/></Aliases>` + minimal16), "DistributionConfig.Aliases.Items", "<Items> appears more than once in <Aliases>"},
		{"nested", dc(`<Logging><Enabled>true</Enabled><Enabled>false</Enabled></Logging>`), "DistributionConfig.Logging.Enabled", "<Enabled> appears more than once in <Logging>"},
		{"in a list item", dc(`<Origins><Quantity>1</Quantity><Items><Origin><Id>a</Id><Id>b</Id></Origin></Items></Origins>`), "DistributionConfig.Origins.Items[0].Id", "<Id> appears more than once in <Origin>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Decode(strings.NewReader(tc.body), "DistributionConfig", "DistributionConfig")
			var se *shape.Error
			if !errors.As(err, &se) || se.Code != shape.CodeMalformedXML || se.Field != tc.field || !strings.Contains(se.Message, tc.msg) {
				t.Fatalf("Decode = %v (field %q), want MalformedXML at %q saying %q", err, fieldOf(err), tc.field, tc.msg)
			}
		})
	}
	got, err := m.Decode(strings.NewReader(dc(minimal16+`<Aliases><Quantity>2</Quantity><Items><CNAME>a</CNAME><CNAME>a</CNAME></Items></Aliases>`+
		`<Unknown>1</Unknown><Unknown>2</Unknown>`)), "DistributionConfig", "DistributionConfig")
	if err != nil {
		t.Fatalf("repeated list items and unknown elements: %v", err)
	}
	if items := got["Aliases"].(map[string]any)["Items"]; len(items.([]any)) != 2 {
		t.Errorf("Aliases.Items = %v", items)
	}
}

func fieldOf(err error) string {
	var se *shape.Error
	if errors.As(err, &se) {
		return se.Field
	}
	return ""
}

// Elements are read in the version's own namespace or in none; any other
// namespace (a future version's, another version's, a stranger's) is
// refused rather than read as if it were this version's.
func TestModel_Decode_namespaces(t *testing.T) {
	m := mustLoad(t, "2020-05-31")
	const own = `xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"`
	for _, body := range []string{
		`<TagKeys><Items><Key>k</Key></Items></TagKeys>`,
		`<TagKeys ` + own + `><Items><Key>k</Key></Items></TagKeys>`,
		`<p:TagKeys xmlns:p="http://cloudfront.amazonaws.com/doc/2020-05-31/"><p:Items><p:Key>k</p:Key></p:Items></p:TagKeys>`,
		`<TagKeys><Items ` + own + `><Key>k</Key></Items></TagKeys>`,
		`<TagKeys ` + own + ` xmlns:x="urn:x"><Items x:a="1"><Key>k</Key></Items></TagKeys>`, // attributes are ignored
	} {
		got, err := m.Decode(strings.NewReader(body), "TagKeys", "TagKeys")
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if diff := cmp.Diff(map[string]any{"Items": []any{"k"}}, got); diff != "" {
			t.Errorf("%s: %s", body, diff)
		}
	}
	for _, tc := range []struct{ body, field string }{
		{`<TagKeys xmlns="http://cloudfront.amazonaws.com/doc/2099-01-01/"><Items><Key>k</Key></Items></TagKeys>`, ""},
		{`<TagKeys xmlns="http://cloudfront.amazonaws.com/doc/2016-01-13/"><Items><Key>k</Key></Items></TagKeys>`, ""},
		{`<TagKeys xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31"><Items><Key>k</Key></Items></TagKeys>`, ""}, // no final slash
		{`<p:TagKeys xmlns:p="urn:x"><p:Items><p:Key>k</p:Key></p:Items></p:TagKeys>`, ""},
		{`<p:TagKeys><p:Items><p:Key>k</p:Key></p:Items></p:TagKeys>`, ""}, // undeclared prefix
		{`<TagKeys ` + own + `><Items xmlns="urn:x"><Key>k</Key></Items></TagKeys>`, "TagKeys"},
		{`<TagKeys ` + own + ` xmlns:x="urn:x"><Items><x:Key>k</x:Key></Items></TagKeys>`, "TagKeys.Items"},
		{`<TagKeys ` + own + ` xmlns:x="urn:x"><x:Unknown/><Items><Key>k</Key></Items></TagKeys>`, "TagKeys"},
	} {
		_, err := m.Decode(strings.NewReader(tc.body), "TagKeys", "TagKeys")
		var se *shape.Error
		if !errors.As(err, &se) || se.Code != shape.CodeMalformedXML || se.Field != tc.field || !strings.Contains(se.Message, "namespace") {
			t.Errorf("%s: Decode = %v (field %q), want MalformedXML about the namespace at %q", tc.body, err, fieldOf(err), tc.field)
		}
	}
}

func TestModel_Decode_byteOrderMark(t *testing.T) {
	m := mustLoad(t, "2020-05-31")
	for _, body := range []string{
		"\uFEFF<TagKeys><Items><Key>k</Key></Items></TagKeys>",
		"\uFEFF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<TagKeys><Items><Key>k</Key></Items></TagKeys>",
	} {
		if _, err := m.Decode(strings.NewReader(body), "TagKeys", "TagKeys"); err != nil {
			t.Errorf("Decode(%q): %v", body, err)
		}
	}
}

func TestModel_Decode_readError(t *testing.T) {
	m := mustLoad(t, "2016-01-13")
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader(`<DistributionConfig><Comment>`), iotest.ErrReader(boom))
	_, err := m.Decode(r, "DistributionConfig", "DistributionConfig")
	var se *shape.Error
	if !errors.Is(err, boom) || errors.As(err, &se) {
		t.Errorf("Decode error = %v, want the reader's error, not *shape.Error", err)
	}
}

func TestModel_Decode_unknownShape(t *testing.T) {
	m := mustLoad(t, "2016-01-13")
	_, err := m.Decode(strings.NewReader(`<Tags/>`), "Tags", "Tags") // 2020 only
	var se *shape.Error
	if err == nil || errors.As(err, &se) {
		t.Errorf("Decode error = %v, want a plain error", err)
	}
}
