package lightsail

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"

	"openfront/internal/store"
)

// TestWriteError_storeErrors: Lightsail's JSON form of the store's errors
// that are not our faults.
func TestWriteError_storeErrors(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		typ    string
	}{
		{fmt.Errorf("create: %w", store.ErrTooLarge), 400, "InvalidInputException"},
		{fmt.Errorf("get: %w", store.ErrUnavailable), 503, "ServiceUnavailable"},
		{fmt.Errorf("boom"), 500, "ServiceException"},
	} {
		rec := httptest.NewRecorder()
		WriteError(rec, httptest.NewRequest("POST", "/", nil), tc.err, nil)
		var body struct {
			Type string `json:"__type"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != tc.status || body.Type != tc.typ || rec.Header().Get("X-Amzn-ErrorType") != tc.typ {
			t.Errorf("%v: %d %s; want %d %s", tc.err, rec.Code, rec.Body, tc.status, tc.typ)
		}
	}
}
