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
	for _, status := range []int{400, 413, 501, 505} {
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
