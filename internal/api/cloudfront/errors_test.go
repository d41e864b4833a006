package cloudfront

import (
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"openfront/internal/shape"
	"openfront/internal/store"
)

// TestWriteError_storeErrors: the store's errors that are not our faults
// reach the client in CloudFront's form: a write too large for the store
// is the request's 400, an unreachable store a 503 the SDKs retry; any
// other error stays a 500 InternalError.
func TestWriteError_storeErrors(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
		typ    string
	}{
		{fmt.Errorf("create: %w", fmt.Errorf("%w: key of 40000 bytes", store.ErrTooLarge)), 400, "InvalidArgument", "Sender"},
		{fmt.Errorf("view: %w", store.ErrUnavailable), 503, "ServiceUnavailable", "Receiver"},
		{fmt.Errorf("decode: boom"), 500, "InternalError", "Receiver"},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/2016-01-13/distribution", nil)
		WriteError(rec, req, tc.err, slog.New(slog.NewTextHandler(io.Discard, nil)))
		body := rec.Body.String()
		if rec.Code != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") || !strings.Contains(body, "<Type>"+tc.typ+"</Type>") ||
			!strings.Contains(body, `xmlns="http://cloudfront.amazonaws.com/doc/2016-01-13/"`) || rec.Header().Get("Content-Type") != "text/xml" {
			t.Errorf("%v: %d %s; want %d %s (%s)", tc.err, rec.Code, body, tc.status, tc.code, http.StatusText(tc.status))
		}
	}
}

// TestStatusOf_matchesBotocore: every error code of botocore's cloudfront
// model (the installed botocore, read by python3) gets the model's
// error.httpStatusCode, and the codes outside the model theirs. The
// status used to be guessed from the code's spelling, which gave
// RealtimeLogConfigInUse 409 (the model: 400), EntitySizeLimitExceeded 400
// (413) and InvalidAssociation 400 (409).
func TestStatusOf_matchesBotocore(t *testing.T) {
	out, err := exec.Command("python3", "-c", `
import botocore.session
m = botocore.session.get_session().get_service_model("cloudfront")
for s in m.error_shapes:
    e = s.metadata.get("error", {})
    print(e.get("code", s.name), e.get("httpStatusCode", 400))
`).Output()
	if err != nil {
		t.Fatalf("python3 with botocore: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 100 {
		t.Fatalf("botocore listed %d error codes", len(lines))
	}
	for _, line := range lines {
		code, status, _ := strings.Cut(line, " ")
		if got := strconv.Itoa(statusOf(code)); got != status {
			t.Errorf("statusOf(%q) = %s, botocore's model says %s", code, got, status)
		}
	}
	for code, want := range map[string]int{
		"RealtimeLogConfigInUse":         400,
		"EntitySizeLimitExceeded":        413,
		"InvalidAssociation":             409,
		"InvalidationBatchAlreadyExists": 409,
		"SomethingNobodyRaises":          400,
	} {
		if got := statusOf(code); got != want {
			t.Errorf("statusOf(%q) = %d, want %d", code, got, want)
		}
	}
}

// TestStatusOf_everyRaisedCodeIsCatalogued: every error code the control
// plane raises for the CloudFront API (model.Errorf("Code", ...) in the
// source) is in the catalogue, so none falls through to statusOf's 400 by
// a misspelling. Lightsail's exceptions (files named lightsail*) have a
// protocol and catalogue of their own.
func TestStatusOf_everyRaisedCodeIsCatalogued(t *testing.T) {
	m, err := shape.Load(versions[len(versions)-1])
	if err != nil {
		t.Fatal(err)
	}
	raised := regexp.MustCompile(`\bErrorf\("([A-Za-z]+)"`)
	seen := 0
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			strings.HasPrefix(d.Name(), "lightsail") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, match := range raised.FindAllSubmatch(src, -1) {
			code := string(match[1])
			seen++
			_, inModel := m.ErrorStatus(code)
			_, outside := codesOutsideModel[code]
			if !inModel && !outside {
				t.Errorf("%s raises %q, which neither botocore's model nor codesOutsideModel knows (it would be a 400)", path, code)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 100 {
		t.Fatalf("found %d raised codes: the scan is not reading the source", seen)
	}
}
