package origin

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// rawOrigin answers every request on its connections with the bytes of
// reply, whatever the request (read up to its blank line).
func rawOrigin(t *testing.T, reply string) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if line == "\r\n" {
						break
					}
				}
				io.WriteString(c, reply)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

type interim struct {
	status int
	header http.Header
}

func TestDo_interimResponses(t *testing.T) {
	final := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	hint := "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"
	tests := []struct {
		name    string
		reply   string
		want    []interim
		errWant string // access-log detail of the expected failure
	}{
		{"none", final, nil, ""},
		{"one 103", hint + final, []interim{{103, http.Header{"Link": {"</style.css>; rel=preload; as=style"}}}}, ""},
		{"two 103 and a 102, in order", hint + "HTTP/1.1 102 Processing\r\n\r\n" + hint + final,
			[]interim{{103, http.Header{"Link": {"</style.css>; rel=preload; as=style"}}}, {102, http.Header{}}, {103, http.Header{"Link": {"</style.css>; rel=preload; as=style"}}}}, ""},
		{"100 Continue is not the viewer's", "HTTP/1.1 100 Continue\r\n\r\n" + hint + final,
			[]interim{{103, http.Header{"Link": {"</style.css>; rel=preload; as=style"}}}}, ""},
		{"unknown 1xx", "HTTP/1.1 199 Whatever\r\nX-A: b\r\n\r\n" + final, []interim{{199, http.Header{"X-A": {"b"}}}}, ""},
		{"as many 1xx as allowed", strings.Repeat("HTTP/1.1 102 Processing\r\n\r\n", maxInterimResponses) + final, nil, ""},
		{"one 1xx too many", strings.Repeat("HTTP/1.1 102 Processing\r\n\r\n", maxInterimResponses+1) + final, nil, "OriginHeaderTooBigError"},
		{"a second 100 Continue (AWS)", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n" + final, nil, "OriginInvalidResponseError"},
		{"1xx heads over 20,480 bytes together", strings.Repeat("HTTP/1.1 103 Early Hints\r\nLink: <"+strings.Repeat("a", 5000)+">\r\n\r\n", 5) + final, nil, "OriginHeaderTooBigError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			port := rawOrigin(t, tc.reply)
			var got []interim
			c := New(S3{})
			resp, err := c.Do(context.Background(), &Request{Origin: customOrigin("127.0.0.1", port, 443, "http-only"), Method: "GET", Path: "/x",
				Header: http.Header{}, Interim: func(status int, h http.Header) { got = append(got, interim{status, h.Clone()}) }})
			if tc.errWant != "" {
				var oe *Error
				if !errors.As(err, &oe) || oe.Detail != tc.errWant || oe.Status != http.StatusBadGateway {
					t.Fatalf("Do: %v, want a 502 %s", err, tc.errWant)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != "ok" {
				t.Errorf("final response %d %q", resp.StatusCode, body)
			}
			if strings.HasPrefix(tc.name, "as many") {
				if len(got) != maxInterimResponses {
					t.Errorf("relayed %d interim responses, want %d", len(got), maxInterimResponses)
				}
				return
			}
			if len(got) != len(tc.want) {
				t.Fatalf("relayed %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i].status != tc.want[i].status || !equalHeader(got[i].header, tc.want[i].header) {
					t.Errorf("interim %d: %d %v, want %d %v", i, got[i].status, got[i].header, tc.want[i].status, tc.want[i].header)
				}
			}
		})
	}
}

func equalHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, vs := range a {
		if !slices.Equal(vs, b[k]) {
			return false
		}
	}
	return true
}

// TestDo_interimIgnoredWithoutRelay: without Interim, net/http swallows
// 1xx responses as before.
func TestDo_interimIgnoredWithoutRelay(t *testing.T) {
	port := rawOrigin(t, "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	resp, err := New(S3{}).Do(context.Background(), &Request{Origin: customOrigin("127.0.0.1", port, 443, "http-only"), Method: "GET", Path: "/x", Header: http.Header{}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Link") != "" {
		t.Errorf("%d %v", resp.StatusCode, resp.Header)
	}
}
