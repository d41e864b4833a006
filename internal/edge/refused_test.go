package edge

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// A refused request's answer is a well-formed CloudFront error response
// that closes the connection.
func TestRefusedRequest(t *testing.T) {
	s := New(Options{})
	for _, status := range []int{400, 413, 417, 501, 505} {
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(s.RefusedRequest(status))), nil)
		if err != nil {
			t.Fatalf("%d: %v", status, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != status || !resp.Close || resp.Header.Get("Server") != "CloudFront" ||
			resp.Header.Get("X-Cache") != "Error from cloudfront" || len(resp.Header.Get("X-Amz-Cf-Id")) != 56 ||
			!strings.Contains(string(body), "<H1>"+resp.Status[:3]+" ERROR</H1>") {
			t.Errorf("%d: %v %v %q", status, resp.Status, resp.Header, body)
		}
	}
}

// The requests net/http used to answer itself on the plain HTTP/1.1
// listener, in plain text without CloudFront's headers (or, for
// OPTIONS *, with its own empty 200 for any Host), get CloudFront's
// error page: the guard refuses the malformed ones (Reject), and
// OPTIONS * reaches the edge, which answers it as it does over HTTP/2
// (400 for a distribution's Host, 403 for an unknown one).
func TestServer_netHTTPAnswersAreCloudFronts(t *testing.T) {
	g := newGuardedEdge(t)
	host := "Host: " + testHost + "\r\n"
	for _, tc := range []struct {
		name, req string
		status    int
	}{
		{"HTAB in the target", "GET /a\tb HTTP/1.1\r\n" + host + "\r\n", 400},
		{"NUL in the target", "GET /hi\x00t HTTP/1.1\r\n" + host + "\r\n", 400},
		{"control character in the target", "GET /c\x01t HTTP/1.1\r\n" + host + "\r\n", 400},
		{"target without a leading slash", "GET hit HTTP/1.1\r\n" + host + "\r\n", 400},
		{"unknown Expect", "POST /exp HTTP/1.1\r\n" + host + "Expect: bogus\r\nContent-Length: 3\r\n\r\nabc", 417},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n", 400},
		{"OPTIONS * of an unknown host", "OPTIONS * HTTP/1.1\r\nHost: unknown.example\r\nConnection: close\r\n\r\n", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resps := g.exchange(t, tc.req, "")
			if len(resps) != 1 {
				t.Fatalf("%d responses, want one, then the end of the connection", len(resps))
			}
			resp := resps[0]
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || resp.Header.Get("X-Cache") != "Error from cloudfront" ||
				resp.Header.Get("Server") != "CloudFront" || resp.Header.Get("X-Amz-Cf-Id") == "" || resp.Header.Get("Via") == "" ||
				!strings.Contains(string(body), "<H1>"+itoa(tc.status)+" ERROR</H1>") {
				t.Fatalf("got %d %v %q; want CloudFront's %d page", resp.StatusCode, resp.Header, body, tc.status)
			}
		})
	}
}
