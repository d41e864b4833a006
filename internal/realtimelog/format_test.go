package realtimelog

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"openfront/internal/accesslog"
	"openfront/internal/model"
)

func testRequest() *Request {
	return &Request{
		Record: accesslog.Record{
			Time:                   time.Date(2026, 12, 6, 10, 0, 1, 164_000_000, time.UTC),
			EdgeLocation:           "LHR50",
			BytesSent:              1234,
			ClientIP:               netip.MustParseAddr("192.0.2.10"),
			ClientPort:             50312,
			Method:                 "GET",
			Host:                   "d111111abcdef8.cloudfront.net",
			URIStem:                "/img/a b.png",
			Status:                 200,
			UserAgent:              "curl/8.5 (x86_64)",
			URIQuery:               "v=1",
			EdgeResultType:         "Hit",
			EdgeResponseResultType: "Hit",
			EdgeDetailedResultType: "Hit",
			RequestID:              "rid-1",
			HostHeader:             "www.example.com",
			Protocol:               "https",
			BytesReceived:          321,
			TimeTaken:              2 * time.Millisecond,
			TimeToFirstByte:        1500 * time.Microsecond,
			ProtocolVersion:        "HTTP/2.0",
			ContentType:            "image/png",
			ContentLength:          1000,
			SSLProtocol:            "TLSv1.3",
			SSLCipher:              "TLS_AES_128_GCM_SHA256",
		},
		Header: http.Header{
			"Accept":          {"image/*"},
			"Accept-Encoding": {"gzip, br"},
			"Cookie":          {"a=1", "b=2"},
			"User-Agent":      {"curl/8.5 (x86_64)"},
		},
		PathPattern:        "/img/*",
		Country:            "GB",
		DistributionID:     "EDFDVBD6EXAMPLE",
		DistributionDomain: "d111111abcdef8.cloudfront.net",
	}
}

// TestAppendRecord: the configured fields in the configured order,
// tab-separated, "-" for none, URL-encoded values, one line.
func TestAppendRecord(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		req    func(*Request)
		want   string
	}{
		{"basic", []string{"timestamp", "c-ip", "sc-status", "cs-uri-stem"}, nil, "1796551201.164\t192.0.2.10\t200\t/img/a%20b.png\n"},
		{"order kept", []string{"sc-status", "timestamp"}, nil, "200\t1796551201.164\n"},
		{"timings", []string{"time-to-first-byte", "time-taken"}, nil, "0.001\t0.002\n"},
		{"empty values", []string{"cs-referer", "x-forwarded-for", "sc-range-start", "sc-range-end", "fle-status", "origin-fbl", "origin-lbl", "asn"}, nil, "-\t-\t-\t-\t-\t-\t-\t-\n"},
		{"origin latencies and asn", []string{"origin-fbl", "origin-lbl", "asn"}, func(r *Request) {
			r.OriginFirstByte, r.OriginLastByte, r.ASN = 12*time.Millisecond, 1500*time.Millisecond, 16509
		}, "0.012\t1.500\t16509\n"},
		{"range", []string{"sc-range-start", "sc-range-end"}, func(r *Request) { r.HasRange, r.RangeStart, r.RangeEnd = true, 0, 99 }, "0\t99\n"},
		{"ip versions", []string{"c-ip-version", "c-port"}, nil, "IPv4\t50312\n"},
		{"ipv6", []string{"c-ip", "c-ip-version"}, func(r *Request) { r.ClientIP = netip.MustParseAddr("2001:db8::1") }, "2001:db8::1\tIPv6\n"},
		{"no peer", []string{"c-ip", "c-ip-version", "c-port"}, func(r *Request) { r.ClientIP, r.ClientPort = netip.Addr{}, 0 }, "-\t-\t-\n"},
		{"no response", []string{"sc-status"}, func(r *Request) { r.Status = 0 }, "000\n"},
		{"request headers", []string{"cs-user-agent", "cs-cookie", "cs-accept", "cs-accept-encoding", "cs-headers-count"}, nil,
			"curl/8.5%20(x86_64)\ta=1;%20b=2\timage/*\tgzip,%20br\t6\n"}, // Host counted (x-host-header)
		{"header names", []string{"cs-header-names"}, nil, "accept%0Aaccept-encoding%0Acookie%0Ahost%0Auser-agent\n"},
		{"headers", []string{"cs-headers"}, func(r *Request) { r.Header = http.Header{"Host": {"a.example"}, "X-A": {"1", "2"}} }, "host:a.example%0Ax-a:1%0Ax-a:2\n"},
		// net/http keeps Host out of the header map: the record's
		// x-host-header stands for it.
		{"headers with Host outside the map", []string{"cs-headers", "cs-header-names", "cs-headers-count"}, func(r *Request) {
			r.Header, r.HostHeader = http.Header{"X-A": {"1"}}, "b.example:8080"
		}, "host:b.example:8080%0Ax-a:1\thost%0Ax-a\t2\n"},
		{"edge", []string{"x-edge-location", "x-edge-request-id", "x-host-header", "cs-host", "cs-protocol", "cs-protocol-version", "cs-method"}, nil,
			"LHR50\trid-1\twww.example.com\td111111abcdef8.cloudfront.net\thttps\tHTTP/2.0\tGET\n"},
		{"results", []string{"x-edge-result-type", "x-edge-response-result-type", "x-edge-detailed-result-type"}, nil, "Hit\tHit\tHit\n"},
		{"tls", []string{"ssl-protocol", "ssl-cipher"}, nil, "TLSv1.3\tTLS_AES_128_GCM_SHA256\n"},
		{"response", []string{"sc-bytes", "cs-bytes", "sc-content-type", "sc-content-len"}, nil, "1234\t321\timage/png\t1000\n"},
		{"unknown length", []string{"sc-content-len"}, func(r *Request) { r.ContentLength = -1 }, "-\n"},
		{"distribution", []string{"primary-distribution-id", "primary-distribution-dns-name", "cache-behavior-path-pattern", "c-country"}, nil,
			"EDFDVBD6EXAMPLE\td111111abcdef8.cloudfront.net\t/img/*\tGB\n"},
		{"tab and newline in a value", []string{"cs-uri-query"}, func(r *Request) { r.URIQuery = "a=\t\n" }, "a=%09%0A\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := testRequest()
			if tt.req != nil {
				tt.req(req)
			}
			if got := string(AppendRecord(nil, tt.fields, req)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestAppendRecord_everyFieldOneColumn: every documented field gives one
// non-empty column without tabs or newlines of its own, even from
// hostile values.
func TestAppendRecord_everyFieldOneColumn(t *testing.T) {
	req := testRequest()
	req.UserAgent = "x\ty\nz"
	req.Header["X-Evil"] = []string{strings.Repeat("\t\n", 1000)}
	line := string(AppendRecord(nil, model.RealtimeLogFields, req))
	if !strings.HasSuffix(line, "\n") || strings.Count(line, "\n") != 1 {
		t.Fatalf("not one line: %q", line)
	}
	cols := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
	if len(cols) != len(model.RealtimeLogFields) {
		t.Fatalf("%d columns for %d fields", len(cols), len(model.RealtimeLogFields))
	}
	for i, c := range cols {
		if c == "" {
			t.Errorf("field %s is empty, want a value or -", model.RealtimeLogFields[i])
		}
	}
	headers := cols[37] // cs-headers
	if len(headers) > 3*maxHeaderFieldBytes {
		t.Errorf("cs-headers is %d bytes, not cut at %d bytes before encoding", len(headers), maxHeaderFieldBytes)
	}
}

func FuzzAppendRecord(f *testing.F) {
	f.Add("GET", "/a b", "q=1", "ua", "Cookie", "c=1")
	f.Add("\x00", "\t", "\n", "%", "X", "\xff")
	f.Fuzz(func(t *testing.T, method, path, query, ua, hname, hval string) {
		req := testRequest()
		req.Method, req.URIStem, req.URIQuery, req.UserAgent = method, path, query, ua
		req.Header = http.Header{hname: {hval}}
		line := string(AppendRecord(nil, model.RealtimeLogFields, req))
		if strings.Count(line, "\n") != 1 || strings.Count(line, "\t") != len(model.RealtimeLogFields)-1 {
			t.Fatalf("record is not one line of %d fields: %q", len(model.RealtimeLogFields), line)
		}
	})
}
