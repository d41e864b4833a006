package lightsail

import (
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestEveryModelOperation_servedOrNotImplemented: each Lightsail operation
// either has a handler or answers 501 NotImplemented naming it; a target
// that is no Lightsail operation stays UnknownOperationException.
func TestEveryModelOperation_servedOrNotImplemented(t *testing.T) {
	f := newFixture(t)
	if len(modelOperations) < 100 {
		t.Fatalf("only %d model operations embedded", len(modelOperations))
	}
	unserved := 0
	for name := range modelOperations {
		code, out := f.call(t, name, `{}`)
		if operations[name] != nil {
			if out["__type"] == codeNotImplemented || out["__type"] == "UnknownOperationException" {
				t.Errorf("%s is served but answered %v", name, out)
			}
			continue
		}
		unserved++
		want := name + " is not supported by OpenFront yet."
		if code != http.StatusNotImplemented || out["__type"] != codeNotImplemented || out["message"] != want {
			t.Errorf("%s: %d %v, want 501 NotImplemented %q", name, code, out, want)
		}
	}
	for name := range operations {
		if !modelOperations[name] {
			t.Errorf("handler for %s, which is no operation of the Lightsail model", name)
		}
	}
	if unserved == 0 {
		t.Error("no unserved operation reached")
	}
	for _, target := range []string{"Lightsail_20161128.CreateUnicorns", "Lightsail_20161128.", "Other_20161128.GetInstances", "GetInstances", ""} {
		req := strings.NewReader(`{}`)
		code, out := f.callTarget(t, target, req)
		if code != http.StatusBadRequest || out["__type"] != "UnknownOperationException" {
			t.Errorf("target %q: %d %v, want 400 UnknownOperationException", target, code, out)
		}
	}
}

// TestModelOperations_matchBotocore compares the embedded operation list
// with the installed botocore's Lightsail model (skipped without botocore).
// To regenerate: python3 -c 'import botocore.session as s; print("\n".join(sorted(s.get_session().get_service_model("lightsail").operation_names)))' > internal/api/lightsail/model_operations.txt
func TestModelOperations_matchBotocore(t *testing.T) {
	out, err := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		t.Skip("botocore is not installed")
	}
	fh, err := os.Open(filepath.Join(strings.TrimSpace(string(out)), "data", "lightsail", "2016-11-28", "service-2.json.gz"))
	if err != nil {
		t.Skipf("botocore's Lightsail model: %v", err)
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Operations map[string]json.RawMessage `json:"operations"`
	}
	if err := json.NewDecoder(zr).Decode(&m); err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for name := range m.Operations {
		want = append(want, name)
	}
	for name := range modelOperations {
		got = append(got, name)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("model_operations.txt differs from botocore's model (%d vs %d operations): regenerate it", len(got), len(want))
	}
}

func (f *fixture) callTarget(t *testing.T, target string, body *strings.Reader) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "/", body)
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s: response is not JSON: %q", target, w.Body.String())
	}
	return w.Code, out
}
