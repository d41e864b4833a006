package keyvaluestore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"golang.org/x/tools/txtar"

	"openfront/internal/apitest"
	"openfront/internal/control"
	"openfront/internal/store/storetest"
)

// The CloudFront golden files (internal/api/cloudfront/testdata) speak
// REST-XML and check shapes against the embedded CloudFront models; this
// is the same check for the cloudfront-keyvaluestore REST-JSON API, with
// the service's model in testdata/service-2.json (botocore's
// cloudfront-keyvaluestore 2022-07-26, documentation stripped).
//
// testdata/<Operation>/<case>.txtar: each "<step>.request" is a request
// line ("METHOD /path?query"), header lines, a blank line and a body,
// signed for cloudfront-keyvaluestore and sent, in order, to a fresh
// server holding one empty store named "golden", with a fixed clock. In a
// request {{KvsARN}} is the store's ARN, path-escaped, {{KvsARNRaw}} the
// ARN as it is, and {{ETag<n>}} the n-th ETag seen in a response. A step
// whose name starts with "setup" must answer 2xx and is not compared; the
// others are compared with "<step>.response": status line, Content-Type,
// ETag and X-Amzn-ErrorType, blank line, body. Run with -update to
// rewrite the responses, then read the diff.

var update = flag.Bool("update", false, "rewrite the .response sections of testdata/*/*.txtar")

var goldenClock = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

type goldenModel struct {
	Operations map[string]struct {
		HTTP struct {
			Method     string `json:"method"`
			RequestURI string `json:"requestUri"`
		} `json:"http"`
		Output struct{ Shape string }   `json:"output"`
		Errors []struct{ Shape string } `json:"errors"`
	} `json:"operations"`
	Shapes map[string]struct {
		Required []string `json:"required"`
		Members  map[string]struct {
			Location     string `json:"location"`
			LocationName string `json:"locationName"`
		} `json:"members"`
	} `json:"shapes"`
}

func loadModel(t *testing.T) *goldenModel {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "service-2.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m goldenModel
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

// operationOf returns the operation whose method and URI template match.
func (m *goldenModel) operationOf(method, path string) string {
	ps := strings.Split(path, "/")
	for name, op := range m.Operations {
		ts := strings.Split(op.HTTP.RequestURI, "/")
		if op.HTTP.Method != method || len(ts) != len(ps) {
			continue
		}
		ok := true
		for i := range ts {
			if ts[i] != ps[i] && !(strings.HasPrefix(ts[i], "{") && ps[i] != "") {
				ok = false
			}
		}
		if ok {
			return name
		}
	}
	return ""
}

// signingErrors are the codes a request can meet before any operation.
var signingErrors = []string{"UnknownOperationException", "MissingAuthenticationTokenException", "IncompleteSignatureException",
	"UnrecognizedClientException", "InvalidSignatureException"}

// checkShape checks a response against the operation's output shape or
// error list.
func (m *goldenModel) checkShape(t *testing.T, step, opName string, status int, header http.Header, body []byte) {
	t.Helper()
	op := m.Operations[opName]
	if status/100 != 2 {
		code := header.Get("X-Amzn-ErrorType")
		known := slices.Contains(signingErrors, code)
		for _, e := range op.Errors {
			known = known || e.Shape == code
		}
		if !known {
			t.Errorf("step %s: error %q is not one %s declares", step, code, opName)
		}
		return
	}
	out := m.Shapes[op.Output.Shape]
	var got map[string]json.RawMessage
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("step %s: body is not a JSON object: %v", step, err)
	}
	for k := range got {
		mem, ok := out.Members[k]
		if !ok || mem.Location != "" {
			t.Errorf("step %s: %s has no body member %q", step, op.Output.Shape, k)
		}
	}
	for _, k := range out.Required {
		mem := out.Members[k]
		switch mem.Location {
		case "header":
			if header.Get(mem.LocationName) == "" {
				t.Errorf("step %s: required header %s missing", step, mem.LocationName)
			}
		case "":
			if _, ok := got[k]; !ok {
				t.Errorf("step %s: required member %s missing", step, k)
			}
		}
	}
}

func TestGolden(t *testing.T) {
	m := loadModel(t)
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	covered := map[string]bool{}
	for _, f := range files {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(f, "testdata/"), ".txtar"), func(t *testing.T) {
			runGolden(t, m, f, covered)
		})
	}
	for name := range m.Operations {
		if !covered[name] {
			t.Errorf("%s has no successful golden step", name)
		}
	}
}

// TestGolden_updateRunsTwice runs every golden case again on a store whose
// Update runs its function twice, the first run rolled back
// (storetest.Rerun), as etcdstore does whenever its commit loses to
// another node's write: the responses must not change.
func TestGolden_updateRunsTwice(t *testing.T) {
	if *update {
		t.Skip("-update rewrites golden files from TestGolden only")
	}
	m := loadModel(t)
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(f, "testdata/"), ".txtar"), func(t *testing.T) {
			runGolden(t, m, f, map[string]bool{}, apitest.WithStore(storetest.Rerun))
		})
	}
}

var etagHeader = regexp.MustCompile(`(?m)^ETag: (\S+)$`)

func runGolden(t *testing.T, m *goldenModel, file string, covered map[string]bool, opts ...apitest.Option) {
	a, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := apitest.NewServer(t, opts...)
	s.Control.SetClock(func() time.Time { return goldenClock })
	st, err := s.Control.CreateKeyValueStore(context.Background(), control.KVSInput{Name: "golden"})
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"KvsARN": url.PathEscape(st.ARN), "KvsARNRaw": st.ARN}
	etags := map[string]string{} // value -> placeholder
	changed := false
	for i := 0; i < len(a.Files); i++ {
		f := a.Files[i]
		step, ok := strings.CutSuffix(f.Name, ".request")
		if !ok {
			t.Fatalf("%s: %s is not a .request", file, f.Name)
		}
		text := regexp.MustCompile(`\{\{(\w+)\}\}`).ReplaceAllStringFunc(string(f.Data), func(p string) string {
			v, ok := vars[p[2:len(p)-2]]
			if !ok {
				t.Fatalf("step %s: unknown placeholder %s", step, p)
			}
			return v
		})
		head, body, _ := strings.Cut(text, "\n\n")
		lines := strings.Split(head, "\n")
		method, target, _ := strings.Cut(lines[0], " ")
		req, err := http.NewRequest(method, s.URL+target, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines[1:] {
			if strings.TrimSpace(l) == "" {
				continue
			}
			k, v, _ := strings.Cut(l, ":")
			req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: apitest.AccessKeyID, SecretAccessKey: apitest.SecretAccessKey}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "cloudfront-keyvaluestore", apitest.Region, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp := s.Do(t, req)
		op := m.operationOf(method, req.URL.EscapedPath())
		if op != "" {
			m.checkShape(t, step, op, resp.Status, resp.Header, resp.Body)
			if resp.Status/100 == 2 {
				covered[op] = true
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "HTTP %d\n", resp.Status)
		for _, h := range []string{"Content-Type", "ETag", "X-Amzn-ErrorType"} {
			for _, v := range resp.Header.Values(h) {
				fmt.Fprintf(&b, "%s: %s\n", h, v)
			}
		}
		b.WriteString("\n")
		b.Write(resp.Body)
		b.WriteString("\n")
		got := b.String()
		for _, mt := range etagHeader.FindAllStringSubmatch(got, -1) {
			if _, ok := etags[mt[1]]; !ok {
				n := fmt.Sprintf("ETag%d", len(etags)+1)
				etags[mt[1]], vars[n] = n, mt[1]
			}
		}
		for v, n := range etags {
			got = strings.ReplaceAll(got, v, "{{"+n+"}}")
		}
		got = strings.ReplaceAll(got, st.ARN, "{{KvsARNRaw}}")
		if strings.HasPrefix(step, "setup") {
			if resp.Status/100 != 2 {
				t.Fatalf("setup step %s: %s", step, got)
			}
			continue
		}
		if i+1 >= len(a.Files) || a.Files[i+1].Name != step+".response" {
			if !*update {
				t.Fatalf("%s: no %s.response", file, step)
			}
			a.Files = slices.Insert(a.Files, i+1, txtar.File{Name: step + ".response"})
		}
		i++
		if string(a.Files[i].Data) == got {
			continue
		}
		if *update {
			a.Files[i].Data, changed = []byte(got), true
			continue
		}
		t.Errorf("step %s: response differs (run with -update to accept)\n--- got\n%s--- want\n%s", step, got, a.Files[i].Data)
	}
	if changed {
		if err := os.WriteFile(file, txtar.Format(a), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
