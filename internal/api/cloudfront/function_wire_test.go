package cloudfront_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"openfront/internal/apitest"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

const fnCode = `function handler(event) { return event.request; }`

func createFunctionBody(name, runtime, code string) string {
	return `<CreateFunctionRequest ` + ns2020 + `><Name>` + name + `</Name><FunctionConfig><Comment>c</Comment><Runtime>` + runtime +
		`</Runtime></FunctionConfig><FunctionCode>` + code + `</FunctionCode></CreateFunctionRequest>`
}

// TestFunctions_wire checks the wire details SDKs depend on (GetFunction's
// raw body, UpdateFunction's ETtag header, FunctionList's shape) and the
// hostile or malformed requests the function operations must refuse.
func TestFunctions_wire(t *testing.T) {
	s := apitest.NewServer(t)
	r := s.Call(t, "POST", "/2020-05-31/function", createFunctionBody("wire", "cloudfront-js-1.0", b64(fnCode)))
	if r.Status != http.StatusCreated || !strings.Contains(string(r.Body), `<FunctionSummary `+ns2020+`><Name>wire</Name><Status>UNPUBLISHED</Status><FunctionConfig><Comment>c</Comment><Runtime>cloudfront-js-1.0</Runtime></FunctionConfig><FunctionMetadata><FunctionARN>arn:aws:cloudfront::123456789012:function/wire</FunctionARN><Stage>DEVELOPMENT</Stage><CreatedTime>`) {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	etag := r.Header.Get("ETag")
	if etag == "" || !strings.HasSuffix(r.Header.Get("Location"), "/2020-05-31/function/wire") {
		t.Fatalf("create headers %v", r.Header)
	}

	r = s.Call(t, "GET", "/2020-05-31/function/wire?Stage=DEVELOPMENT", "")
	if r.Status != 200 || string(r.Body) != fnCode || r.Header.Get("Content-Type") != "application/octet-stream" || r.Header.Get("ETag") != etag {
		t.Fatalf("get: %d %v %q", r.Status, r.Header, r.Body)
	}

	update := `<UpdateFunctionRequest ` + ns2020 + `><FunctionConfig><Comment>v2</Comment><Runtime>cloudfront-js-2.0</Runtime></FunctionConfig><FunctionCode>` + b64(fnCode+"\n") + `</FunctionCode></UpdateFunctionRequest>`
	r = s.Call(t, "PUT", "/2020-05-31/function/wire", update, "If-Match", etag)
	if r.Status != 200 || r.Header.Get("ETag") == "" || r.Header.Get("ETag") == etag || r.Header.Values("ETtag")[0] != r.Header.Get("ETag") {
		t.Fatalf("update: %d %v %s", r.Status, r.Header, r.Body)
	}
	etag = r.Header.Get("ETag")

	r = s.Call(t, "GET", "/2020-05-31/function?MaxItems=1", "")
	if r.Status != 200 || !strings.Contains(string(r.Body), `<FunctionList `+ns2020+`><MaxItems>1</MaxItems><Quantity>1</Quantity><Items><FunctionSummary><Name>wire</Name>`) {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}

	event := `{"context":{"eventType":"viewer-request"},"request":{"uri":"/"}}`
	r = s.Call(t, "POST", "/2020-05-31/function/wire/test", `<TestFunctionRequest `+ns2020+`><Stage>DEVELOPMENT</Stage><EventObject>`+b64(event)+`</EventObject></TestFunctionRequest>`, "If-Match", etag)
	if r.Status != 200 || !strings.Contains(string(r.Body), `<TestResult `+ns2020+`><FunctionSummary>`) || !strings.Contains(string(r.Body), `<FunctionOutput>{"request":{"method":"GET","uri":"/","querystring":{},"headers":{},"cookies":{}}}</FunctionOutput>`) {
		t.Fatalf("test: %d %s", r.Status, r.Body)
	}

	for _, tc := range []struct {
		name, method, path, body, ifMatch string
		status                            int
		code                              string
	}{
		{"code not base64", "POST", "/2020-05-31/function", createFunctionBody("x", "cloudfront-js-1.0", "!!not base64!!"), "", 400, "InvalidArgument"},
		{"unknown runtime", "POST", "/2020-05-31/function", createFunctionBody("x", "cloudfront-js-9.9", b64(fnCode)), "", 400, "InvalidArgument"},
		{"no FunctionConfig", "POST", "/2020-05-31/function", `<CreateFunctionRequest ` + ns2020 + `><Name>x</Name><FunctionCode>` + b64(fnCode) + `</FunctionCode></CreateFunctionRequest>`, "", 400, "InvalidArgument"},
		{"no body", "POST", "/2020-05-31/function", "", "", 400, "MissingBody"},
		{"malformed XML", "POST", "/2020-05-31/function", `<CreateFunctionRequest><Name>x</Name>`, "", 400, "MalformedXML"},
		{"code over the model's 40960 bytes", "POST", "/2020-05-31/function", createFunctionBody("huge", "cloudfront-js-1.0", b64(strings.Repeat("/", 50000))), "", 413, "FunctionSizeLimitExceeded"},
		{"name with an encoded slash", "GET", "/2020-05-31/function/a%2Fb/describe", "", "", 404, "NoSuchFunctionExists"},
		{"dot segments", "GET", "/2020-05-31/function/..%2Fwire", "", "", 404, "NoSuchFunctionExists"},
		{"stage not in the enum", "GET", "/2020-05-31/function/wire/describe?Stage=PROD", "", "", 400, "InvalidArgument"},
		{"event object over 40960 bytes", "POST", "/2020-05-31/function/wire/test", `<TestFunctionRequest ` + ns2020 + `><EventObject>` + b64(strings.Repeat(" ", 40961)) + `</EventObject></TestFunctionRequest>`, etag, 400, "InvalidArgument"},
		{"event object not base64", "POST", "/2020-05-31/function/wire/test", `<TestFunctionRequest ` + ns2020 + `><EventObject>%%%</EventObject></TestFunctionRequest>`, etag, 400, "InvalidArgument"},
		{"event object not JSON", "POST", "/2020-05-31/function/wire/test", `<TestFunctionRequest ` + ns2020 + `><EventObject>` + b64("{") + `</EventObject></TestFunctionRequest>`, etag, 400, "InvalidArgument"},
		{"publish without If-Match", "POST", "/2020-05-31/function/wire/publish", "", "", 400, "InvalidIfMatchVersion"},
		{"delete with a stale ETag", "DELETE", "/2020-05-31/function/wire", "", "ESTALE", 412, "PreconditionFailed"},
		{"2016-01-13 has no functions", "GET", "/2016-01-13/function", "", "", 400, "InvalidURI"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.ifMatch != "" {
				hdr = []string{"If-Match", tc.ifMatch}
			}
			r := s.Call(t, tc.method, tc.path, tc.body, hdr...)
			if code, _ := errorCode(t, r.Body); r.Status != tc.status || code != tc.code {
				t.Errorf("%d %s, want %d %s: %s", r.Status, code, tc.status, tc.code, r.Body)
			}
		})
	}
}
