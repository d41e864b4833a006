package lightsail

import (
	"fmt"
	"strings"
	"testing"
)

// tagsOf returns the tags GetDistributions shows for name, as key=value.
func tagsOf(t *testing.T, f *fixture, name string) string {
	t.Helper()
	code, out := f.call(t, "GetDistributions", fmt.Sprintf(`{"distributionName":%q}`, name))
	if code != 200 {
		t.Fatalf("GetDistributions(%s): %d %v", name, code, out)
	}
	var kv []string
	tags, _ := out["distributions"].([]any)[0].(map[string]any)["tags"].([]any)
	for _, tg := range tags {
		m := tg.(map[string]any)
		kv = append(kv, fmt.Sprintf("%v=%v", m["key"], m["value"]))
	}
	return strings.Join(kv, " ")
}

// TestTagResource_roundTrip: TagResource adds tags and changes the value
// of a key the distribution has; UntagResource removes keys, an absent
// one being no error (Amazon Lightsail API Reference, TagResource and
// UntagResource). Each returns one operation for the distribution.
func TestTagResource_roundTrip(t *testing.T) {
	f := newFixture(t)
	if code, out := f.call(t, "CreateDistribution", `{"distributionName":"site",`+baseCreate+`,"defaultCacheBehavior":{"behavior":"cache"},"tags":[{"key":"team","value":"web"}]}`); code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	_, out := f.call(t, "GetDistributions", `{"distributionName":"site"}`)
	arn := out["distributions"].([]any)[0].(map[string]any)["arn"].(string)
	steps := []struct {
		op, body, want string
	}{
		{"TagResource", `{"resourceName":"site","tags":[{"key":"env","value":"test"},{"key":"empty"}]}`, "team=web env=test empty="},
		{"TagResource", `{"resourceName":"site","resourceArn":"` + arn + `","tags":[{"key":"team","value":"ops"},{"key":"env","value":"a"},{"key":"env","value":"prod"}]}`, "team=ops env=prod empty="},
		{"UntagResource", `{"resourceName":"site","tagKeys":["empty","not-there"]}`, "team=ops env=prod"},
		{"UntagResource", `{"resourceName":"site","resourceArn":"` + arn + `","tagKeys":["team","env"]}`, ""},
		{"TagResource", `{"resourceName":"site","tags":[]}`, ""},
		{"UntagResource", `{"resourceName":"site","tagKeys":[]}`, ""},
	}
	for _, s := range steps {
		code, out := f.call(t, s.op, s.body)
		if code != 200 {
			t.Fatalf("%s %s: %d %v", s.op, s.body, code, out)
		}
		ops, _ := out["operations"].([]any)
		if len(ops) != 1 {
			t.Fatalf("%s: operations %v", s.op, out)
		}
		op := ops[0].(map[string]any)
		if op["operationType"] != s.op || op["resourceName"] != "site" || op["resourceType"] != "Distribution" || op["status"] != "Succeeded" || op["isTerminal"] != true {
			t.Errorf("%s: operation %v", s.op, op)
		}
		if got := tagsOf(t, f, "site"); got != s.want {
			t.Errorf("after %s %s: tags %q, want %q", s.op, s.body, got, s.want)
		}
	}
}

// TestTagResource_errors: the input is checked before the distribution is
// looked up; a name that is no distribution is Lightsail's
// NotFoundException (certificates are the operator's files, not Lightsail
// resources here); a rejected call changes nothing.
func TestTagResource_errors(t *testing.T) {
	f := newFixture(t)
	if code, out := f.call(t, "CreateDistribution", `{"distributionName":"site",`+baseCreate+`,"defaultCacheBehavior":{"behavior":"cache"},"tags":[{"key":"keep","value":"1"}]}`); code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	var fifty []string
	for i := range 49 {
		fifty = append(fifty, fmt.Sprintf(`{"key":"k%d"}`, i))
	}
	fiftyOne := `[` + strings.Join(append(fifty, `{"key":"one-more"}`, `{"key":"two-more"}`), ",") + `]`
	otherARN := "arn:aws:lightsail:us-east-1:123456789012:Distribution/00000000-0000-4000-8000-000000000000"
	tests := []struct {
		name, op, body, code string
	}{
		{"no resourceName", "TagResource", `{"tags":[{"key":"a"}]}`, codeInvalidInput},
		{"bad resourceName", "TagResource", `{"resourceName":"-x-","tags":[{"key":"a"}]}`, codeInvalidInput},
		{"no tags", "TagResource", `{"resourceName":"site"}`, codeInvalidInput},
		{"tag without key", "TagResource", `{"resourceName":"site","tags":[{"value":"v"}]}`, codeInvalidInput},
		{"empty key", "TagResource", `{"resourceName":"site","tags":[{"key":""}]}`, codeInvalidInput},
		{"key over 128", "TagResource", `{"resourceName":"site","tags":[{"key":"` + strings.Repeat("k", 129) + `"}]}`, codeInvalidInput},
		{"value over 256", "TagResource", `{"resourceName":"site","tags":[{"key":"a","value":"` + strings.Repeat("v", 257) + `"}]}`, codeInvalidInput},
		{"character not allowed", "TagResource", `{"resourceName":"site","tags":[{"key":"a","value":"x*y"}]}`, codeInvalidInput},
		{"more than 50 with the existing ones", "TagResource", `{"resourceName":"site","tags":` + fiftyOne + `}`, codeInvalidInput},
		{"malformed resourceArn", "TagResource", `{"resourceName":"site","resourceArn":"site","tags":[{"key":"a"}]}`, codeInvalidInput},
		{"another resource's ARN", "TagResource", `{"resourceName":"site","resourceArn":"` + otherARN + `","tags":[{"key":"a"}]}`, codeInvalidInput},
		{"unknown name", "TagResource", `{"resourceName":"nothing","tags":[{"key":"a"}]}`, codeNotFound},
		{"a certificate name", "TagResource", `{"resourceName":"my-cert","tags":[{"key":"a"}]}`, codeNotFound},
		{"invalid input before not found", "TagResource", `{"resourceName":"nothing","tags":[{"key":"a*"}]}`, codeInvalidInput},
		{"untag: no tagKeys", "UntagResource", `{"resourceName":"site"}`, codeInvalidInput},
		{"untag: no resourceName", "UntagResource", `{"tagKeys":["keep"]}`, codeInvalidInput},
		{"untag: another resource's ARN", "UntagResource", `{"resourceName":"site","resourceArn":"` + otherARN + `","tagKeys":["keep"]}`, codeInvalidInput},
		{"untag: unknown name", "UntagResource", `{"resourceName":"nothing","tagKeys":["keep"]}`, codeNotFound},
		{"untag: tagKeys not a list", "UntagResource", `{"resourceName":"site","tagKeys":"keep"}`, codeInvalidInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rev := f.revision(t)
			code, out := f.call(t, tc.op, tc.body)
			if code != 400 || out["__type"] != tc.code {
				t.Errorf("%d %v, want 400 %s", code, out, tc.code)
			}
			if tc.code == codeNotFound && (out["code"] != "NotFound" || out["docs"] == nil) {
				t.Errorf("not Lightsail's JSON error form: %v", out)
			}
			if f.revision(t) != rev {
				t.Error("a rejected call changed the store")
			}
		})
	}
	if got := tagsOf(t, f, "site"); got != "keep=1" {
		t.Errorf("tags after the rejected calls: %q", got)
	}
	// Exactly 50 is allowed.
	if code, out := f.call(t, "TagResource", `{"resourceName":"site","tags":[`+strings.Join(fifty, ",")+`]}`); code != 200 {
		t.Errorf("50 tags: %d %v", code, out)
	}
}
