package cloudfront_test

import (
	"bytes"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"openfront/internal/api/cloudfront"
	"openfront/internal/shape"
)

// goldenModels are the botocore models by version.
func goldenModels(t testing.TB) map[string]*shape.Model {
	t.Helper()
	ms := map[string]*shape.Model{}
	for _, v := range cloudfront.Versions {
		m, err := shape.Load(v)
		if err != nil {
			t.Fatal(err)
		}
		ms[v] = m
	}
	return ms
}

// pathMatches reports whether path fits a request URI template's path,
// whose "{Name}" segments match any one segment.
func pathMatches(template, path string) bool {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if ts[i] != ps[i] && !(strings.HasPrefix(ts[i], "{") && ps[i] != "") {
			return false
		}
	}
	return true
}

// operationOf returns the model operation a request line ("METHOD
// /version/path?query") calls: the one whose method and request URI match,
// preferring one whose URI fixes a query parameter the request has
// (CreateDistributionWithTags over CreateDistribution).
func operationOf(ms map[string]*shape.Model, requestLine string) (shape.Operation, *shape.Model, bool) {
	method, target, _ := strings.Cut(requestLine, " ")
	u, err := url.Parse(target)
	if err != nil {
		return shape.Operation{}, nil, false
	}
	version, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	m := ms[version]
	if m == nil {
		return shape.Operation{}, nil, false
	}
	var best shape.Operation
	found := false
	for _, op := range m.Operations() {
		path, query, hasQuery := strings.Cut(op.RequestURI, "?")
		if op.Method != method || !pathMatches(path, u.Path) {
			continue
		}
		if hasQuery {
			k, v, _ := strings.Cut(query, "=")
			if vs, ok := u.Query()[k]; !ok || v != "" && (len(vs) == 0 || vs[0] != v) {
				continue
			}
			return op, m, true
		}
		best, found = op, true
	}
	return best, m, found
}

// goldenSteps yields every compared step of every golden case: its
// request line and its expected response.
func goldenSteps(t *testing.T, visit func(file, requestLine string, response []byte)) {
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		_, steps := loadGolden(t, file)
		for _, st := range steps {
			if st.response == nil {
				continue
			}
			line, _, _ := strings.Cut(string(st.request), "\n")
			visit(file, line, st.response.Data)
		}
	}
}

// leftOut are the members botocore's model requires in responses that
// CloudFront leaves out, as OpenFront does after it. Each names an XML
// element without nested elements of its own name, the member, and why.
var leftOut = []struct{ element, member, why string }{
	{"KeyValueStore", "Comment", "a store without a comment has no Comment element in CloudFront's " +
		"answers; clients read an empty one as a comment \"\" (see kvsTree)"},
}

// withLeftOut returns body with an empty element added for each leftOut
// member missing from an element that should have it, and the indexes of
// the leftOut entries it used.
func withLeftOut(body []byte) ([]byte, []int) {
	var used []int
	for i, lo := range leftOut {
		re := regexp.MustCompile(`(?s)(<` + lo.element + `(?:\s[^>]*)?>)(.*?</` + lo.element + `>)`)
		body = re.ReplaceAllFunc(body, func(m []byte) []byte {
			if bytes.Contains(m, []byte("<"+lo.member+">")) {
				return m
			}
			used = append(used, i)
			return re.ReplaceAll(m, []byte("${1}<"+lo.member+"></"+lo.member+">${2}"))
		})
	}
	return body, used
}

// TestGolden_responsesFitTheModel: every successful golden response body
// decodes as its operation's output shape in the botocore model of its
// version: each member the model requires is present (but for those in
// leftOut, each of which some golden response must leave out), quantities
// agree with their items and enum values are the version's own.
func TestGolden_responsesFitTheModel(t *testing.T) {
	ms := goldenModels(t)
	usedLeftOut := map[int]bool{}
	goldenSteps(t, func(file, line string, response []byte) {
		if !bytes.HasPrefix(response, []byte("HTTP 2")) {
			return
		}
		response, used := withLeftOut(response)
		for _, i := range used {
			usedLeftOut[i] = true
		}
		op, m, ok := operationOf(ms, line)
		if !ok {
			t.Errorf("%s: %q is no operation of the model", file, line)
			return
		}
		_, body, _ := bytes.Cut(response, []byte("\n\n"))
		if op.OutputPayloadShape == "" && op.OutputShape != "" && len(bytes.TrimSpace(body)) != 0 {
			// An output without a payload member whose members are in the
			// body (CreateRealtimeLogConfigResult...): the document's root
			// is the output shape.
			doc, err := m.Decode(bytes.NewReader(body), op.OutputShape, op.OutputShape)
			if err != nil || len(doc) == 0 {
				t.Errorf("%s: %s response is not a valid %s: %v", file, op.Name, op.OutputShape, err)
			}
			return
		}
		if op.OutputPayloadShape == "" {
			if len(bytes.TrimSpace(body)) != 0 {
				t.Errorf("%s: %s has no output payload, the response has a body", file, op.Name)
			}
			return
		}
		if op.OutputPayloadShape == "FunctionBlob" {
			return // GetFunction answers with the code itself, not XML
		}
		// Placeholders stand for ids, ETags and UUIDs: any text fits their
		// (string) members.
		if _, err := m.Decode(bytes.NewReader(body), op.OutputPayloadElement, op.OutputPayloadShape); err != nil {
			t.Errorf("%s: %s response is not a valid %s: %v", file, op.Name, op.OutputPayloadShape, err)
		}
	})
	for i, lo := range leftOut {
		if !usedLeftOut[i] {
			t.Errorf("no golden response leaves out %s.%s: drop it from leftOut", lo.element, lo.member)
		}
	}
}

// neverSucceeds are operations that can only fail here: they name a kind
// of resource OpenFront does not have (VPC origins, Anycast IP lists,
// trust stores, connection functions, shared resources), so CloudFront's
// answer for one that does not exist is the only answer. Their golden
// cases cover the errors instead.
var neverSucceeds = map[string]bool{
	"ListDistributionsByVpcOriginId": true, "ListDistributionsByAnycastIpListId": true,
	"ListDistributionsByTrustStore": true, "ListDistributionsByConnectionFunction": true,
	"ListDistributionsByOwnedResource": true,
	"GetResourcePolicy":                true, "PutResourcePolicy": true, "DeleteResourcePolicy": true,
}

// TestGolden_coversEveryOperation: every operation served, in every version
// that serves it, has a golden case with a successful step (with any step
// for those in neverSucceeds).
func TestGolden_coversEveryOperation(t *testing.T) {
	ms := goldenModels(t)
	served := map[string]bool{} // "version Operation"
	for _, rt := range cloudfront.RouteTable() {
		for _, v := range cloudfront.Versions {
			if v < rt[2] {
				continue
			}
			for _, op := range ms[v].Operations() {
				path, _, _ := strings.Cut(op.RequestURI, "?")
				if op.Method == rt[0] && path == "/"+v+rt[1] {
					served[v+" "+op.Name] = true
				}
			}
		}
	}
	covered := map[string]bool{}
	goldenSteps(t, func(file, line string, response []byte) {
		if op, m, ok := operationOf(ms, line); ok && (bytes.HasPrefix(response, []byte("HTTP 2")) || neverSucceeds[op.Name]) {
			covered[m.Version()+" "+op.Name] = true
		}
	})
	var missing []string
	for k := range served {
		if !covered[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d of %d served operations have no successful golden step:\n%s", len(missing), len(served), strings.Join(missing, "\n"))
	}
}
