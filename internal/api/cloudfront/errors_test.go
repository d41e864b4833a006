package cloudfront

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
