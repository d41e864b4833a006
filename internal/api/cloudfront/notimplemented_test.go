package cloudfront_test

import (
	"encoding/xml"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"openfront/internal/api/cloudfront"
	"openfront/internal/apitest"
	"openfront/internal/shape"
)

// errorCode reads an ErrorResponse's code and message.
func errorCode(t *testing.T, body []byte) (code, message string) {
	t.Helper()
	var e struct {
		Code    string `xml:"Error>Code"`
		Message string `xml:"Error>Message"`
	}
	if err := xml.Unmarshal(body, &e); err != nil {
		return "", ""
	}
	return e.Code, e.Message
}

var uriLabel = regexp.MustCompile(`\{[^}]+\}`)

// TestEveryModelOperation_servedOrNotImplemented calls every operation of
// both models on its own method and path: an operation a route serves
// answers anything but NotImplemented/InvalidURI; every other one answers
// 501 NotImplemented naming itself.
func TestEveryModelOperation_servedOrNotImplemented(t *testing.T) {
	s := apitest.NewServer(t)
	served := cloudfront.ServedOperations()
	for _, version := range []string{"2016-01-13", "2020-05-31"} {
		m, err := shape.Load(version)
		if err != nil {
			t.Fatal(err)
		}
		unserved := 0
		for _, op := range m.Operations() {
			path := uriLabel.ReplaceAllString(op.RequestURI, "EXAMPLE123")
			resp := s.Call(t, op.Method, path, "")
			code, msg := errorCode(t, resp.Body)
			if code == "InvalidURI" {
				t.Errorf("%s %s (%s): InvalidURI: %s", version, op.Name, path, msg)
				continue
			}
			if served[op.Name] {
				if code == "NotImplemented" {
					t.Errorf("%s %s is served but answered NotImplemented", version, op.Name)
				}
				continue
			}
			unserved++
			want := op.Name + " is not supported by OpenFront yet."
			if resp.Status != http.StatusNotImplemented || code != "NotImplemented" || msg != want {
				t.Errorf("%s %s %s: %d %s %q, want 501 NotImplemented %q", version, op.Method, path, resp.Status, code, msg, want)
			}
			if ns := "http://cloudfront.amazonaws.com/doc/" + version + "/"; !strings.Contains(string(resp.Body), `xmlns="`+ns+`"`) {
				t.Errorf("%s %s: error not in the version's namespace: %s", version, op.Name, resp.Body)
			}
		}
		t.Logf("%s: %d operations, %d not implemented", version, len(m.Operations()), unserved)
		if version == "2020-05-31" && unserved == 0 {
			t.Error("2020-05-31: every operation served? the test reached no unserved one")
		}
	}
}

// TestNotImplemented_onlyOnTheModelsPaths: a 2020-05-31 operation under
// the 2016-01-13 prefix, an unknown path and a wrong method are still
// InvalidURI: NotImplemented is only for operations the version has.
func TestNotImplemented_onlyOnTheModelsPaths(t *testing.T) {
	s := apitest.NewServer(t)
	for _, c := range []struct{ method, path string }{
		{"GET", "/2016-01-13/function"},
		{"POST", "/2016-01-13/vpc-origin"},
		{"GET", "/2020-05-31/no-such-resource"},
		{"PATCH", "/2020-05-31/vpc-origin"},
		{"GET", "/2020-05-31/function/a/b/c"},
	} {
		resp := s.Call(t, c.method, c.path, "")
		if code, _ := errorCode(t, resp.Body); code != "InvalidURI" || resp.Status != http.StatusBadRequest {
			t.Errorf("%s %s: %d %s, want 400 InvalidURI", c.method, c.path, resp.Status, code)
		}
	}
	// Path labels match any single segment, encoded characters included.
	resp := s.Call(t, "GET", "/2020-05-31/vpc-origin/my%2Forigin%20id", "")
	if code, msg := errorCode(t, resp.Body); code != "NotImplemented" || !strings.HasPrefix(msg, "GetVpcOrigin ") {
		t.Errorf("GetVpcOrigin with an encoded id: %d %s %q", resp.Status, code, msg)
	}
}
