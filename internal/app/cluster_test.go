package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHealthOnly_fenced: an edge-only node's /healthz answers 503 while
// it starts and while the fleet does not count its edge, so load
// balancers drain it.
func TestHealthOnly_fenced(t *testing.T) {
	tests := []struct {
		name           string
		ready, counted bool
		status         int
		body           string
	}{
		{"starting", false, true, http.StatusServiceUnavailable, "starting"},
		{"fenced", true, false, http.StatusServiceUnavailable, "out of contact with the fleet"},
		{"serving", true, true, http.StatusOK, "ok"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := healthOnly(func() bool { return tc.ready }, func() bool { return tc.counted }, http.NotFoundHandler())
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.body) {
				t.Errorf("/healthz = %d %q, want %d with %q", w.Code, w.Body, tc.status, tc.body)
			}
		})
	}
}
