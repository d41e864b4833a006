package cloudfront

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"

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
