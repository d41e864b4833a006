package edge

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"openfront/internal/model"
)

const allViewerExceptHost = "b689b0a8-53d0-40ab-baf2-68738e2966ac"

// TestServer_originRequestHeaders: what the origin gets, over real HTTP
// on loopback (viewer -> edge -> origin), for the viewer headers whose
// forwarding depends on the behaviour's policies. want maps a header to
// the value the origin must see ("" for absent).
func TestServer_originRequestHeaders(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	viewer := http.Header{
		"Accept-Encoding": {"gzip, deflate, br, zstd"},
		"User-Agent":      {"viewer-agent/1.0"},
		"X-Custom":        {"kept"},
	}
	tests := []struct {
		name string
		edit func(model.Tree)
		want map[string]string
		noUA bool // the viewer sends no User-Agent
	}{
		// "Use managed origin request policies", AllViewerExceptHostHeader;
		// "Request and response behavior for custom origins", Host: not
		// forwarded, it is the origin's domain name.
		{"AllViewerExceptHostHeader sends the origin's domain as Host", policies(cachingOptimized, allViewerExceptHost),
			map[string]string{"Host": "127.0.0.1", "X-Custom": "kept", "User-Agent": "viewer-agent/1.0"}, false},
		{"AllViewer sends the viewer's Host", policies(cachingOptimized, allViewerPolicy),
			map[string]string{"Host": testHost, "X-Custom": "kept", "User-Agent": "viewer-agent/1.0"}, false},
		// ParametersInCacheKeyAndForwardedToOrigin: with
		// EnableAcceptEncodingGzip and EnableAcceptEncodingBrotli both
		// false, Accept-Encoding is like any other viewer header.
		{"CachingDisabled + AllViewer forwards Accept-Encoding as sent", policies(cachingDisabled, allViewerPolicy),
			map[string]string{"Accept-Encoding": "gzip, deflate, br, zstd", "Host": testHost}, false},
		{"CachingDisabled alone does not forward Accept-Encoding", policies(cachingDisabled, ""),
			map[string]string{"Accept-Encoding": ""}, false},
		{"CachingOptimized + AllViewer normalises Accept-Encoding", policies(cachingOptimized, allViewerPolicy),
			map[string]string{"Accept-Encoding": "br,gzip"}, false},
		{"legacy default sends the origin's domain as Host", nil,
			map[string]string{"Host": "127.0.0.1", "X-Custom": "kept", "User-Agent": "Amazon CloudFront"}, false},
		// "Serve compressed files": Brotli doesn't support legacy cache
		// settings; other encodings are removed before the origin.
		{"legacy default asks the origin for gzip alone", nil,
			map[string]string{"Accept-Encoding": "gzip"}, false},
		// A forwarded User-Agent the viewer did not send is not made up:
		// the origin never sees the edge's HTTP client's own name.
		{"AllViewer with no viewer User-Agent sends none", policies(cachingOptimized, allViewerPolicy),
			map[string]string{"User-Agent": ""}, true},
		{"legacy default with no viewer User-Agent sends Amazon CloudFront", nil,
			map[string]string{"User-Agent": "Amazon CloudFront"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			te := newTestEdge(t, distConfig(o, tc.edit))
			front := httptest.NewServer(te.Server)
			t.Cleanup(front.Close)
			req, err := http.NewRequest(http.MethodGet, front.URL+"/h/"+t.Name(), nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = testHost
			req.Header = viewer.Clone()
			if tc.noUA {
				req.Header["User-Agent"] = []string{""} // net/http's client then sends none
			}
			client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			seen := o.lastHeader()
			if tc.noUA && tc.want["User-Agent"] == "" {
				if ua, ok := seen["User-Agent"]; ok {
					t.Errorf("origin got User-Agent %q, want none", ua)
				}
			}
			for name, want := range tc.want {
				if got := seen.Get(name); got != want {
					t.Errorf("origin got %s: %q, want %q", name, got, want)
				}
			}
		})
	}
}
