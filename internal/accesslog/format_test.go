package accesslog

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// goldenRecords are rendered into testdata/<name>.txt.
var goldenRecords = map[string]Record{
	"hit": {
		Time: time.Date(2019, 12, 4, 21, 2, 31, 0, time.UTC), EdgeLocation: "LAX1", BytesSent: 392,
		ClientIP: netip.MustParseAddr("192.0.2.100"), Method: "GET", Host: "d111111abcdef8.cloudfront.net",
		URIStem: "/index.html", Status: 200, UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.108 Safari/537.36",
		EdgeResultType: "Hit", RequestID: "bfDOZ6n7T-ZQDGU7yf0lsH0t4fhgV01GqJn7QZ91FNe0vQCXJYkf2Q==",
		HostHeader: "d111111abcdef8.cloudfront.net", Protocol: "https", BytesReceived: 23, TimeTaken: 1 * time.Millisecond,
		SSLProtocol: "TLSv1.2", SSLCipher: "ECDHE-RSA-AES128-GCM-SHA256", EdgeResponseResultType: "Hit",
		ProtocolVersion: "HTTP/2.0", ClientPort: 11040, TimeToFirstByte: 1 * time.Millisecond,
		EdgeDetailedResultType: "Hit", ContentType: "text/html", ContentLength: 78,
	},
	"miss_query_cookie": {
		Time: time.Date(2026, 11, 27, 23, 59, 59, 999_000_000, time.FixedZone("CET", 3600)), EdgeLocation: "FRA56-P1", BytesSent: 10240,
		ClientIP: netip.MustParseAddr("2001:db8::17"), Method: "GET", Host: "d111111abcdef8.cloudfront.net",
		URIStem: "/images/a%20b.jpg", Status: 200, Referer: "https://www.example.com/page?x=1#frag",
		UserAgent: "curl/8.5.0", URIQuery: "size=large&Expires=1700003600&Signature=nitf~yYD-A_&Key-Pair-Id=K2JCJMDEHXQW5F",
		Cookie: "session=abc; theme=\"dark\"", EdgeResultType: "Miss", RequestID: "req-2", HostHeader: "www.example.com:8443",
		Protocol: "https", BytesReceived: 512, TimeTaken: 1234567 * time.Microsecond, ForwardedFor: "203.0.113.9",
		SSLProtocol: "TLSv1.3", SSLCipher: "TLS_AES_128_GCM_SHA256", EdgeResponseResultType: "Miss", ProtocolVersion: "HTTP/1.1",
		ClientPort: 52000, TimeToFirstByte: 1200 * time.Millisecond, EdgeDetailedResultType: "Miss",
		ContentType: "image/jpeg", ContentLength: -1,
	},
	"error_aborted": {
		Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), EdgeLocation: "DFW3", Method: "GET", Host: "d2.cloudfront.net",
		URIStem: "/", Status: 0, EdgeResultType: "Error", RequestID: "req-3", HostHeader: "d2.cloudfront.net",
		Protocol: "http", ProtocolVersion: "HTTP/1.0", EdgeResponseResultType: "Error",
		EdgeDetailedResultType: "ClientHungUpRequest",
	},
	"range_special_chars": {
		Time: time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC), EdgeLocation: "NRT20", BytesSent: 1100,
		ClientIP: netip.MustParseAddr("198.51.100.4"), Method: "GET", Host: "d3.cloudfront.net",
		URIStem: "/v/\u00e9t\u00e9.mp4", Status: 206, UserAgent: "a\tb\nc\rd <>\"#%{}|\\^~[]`' \x7f\x00 e",
		URIQuery: "q=1&r=%7E", EdgeResultType: "Hit", RequestID: "req-4", HostHeader: "d3.cloudfront.net",
		Protocol: "https", BytesReceived: 300, TimeTaken: 25 * time.Millisecond, SSLProtocol: "TLSv1.3",
		SSLCipher: "TLS_AES_256_GCM_SHA384", EdgeResponseResultType: "Hit", ProtocolVersion: "HTTP/3.0",
		FLEStatus: "-", FLEEncryptedFields: "", ClientPort: 443, TimeToFirstByte: 20 * time.Millisecond,
		EdgeDetailedResultType: "Hit", ContentType: "video/mp4", ContentLength: 1000, HasRange: true, RangeStart: 0, RangeEnd: 999,
	},
}

func TestFormat_golden(t *testing.T) {
	for name, rec := range goldenRecords {
		t.Run(name, func(t *testing.T) {
			got := append(Format(rec), '\n')
			path := filepath.Join("testdata", name+".txt")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Format mismatch\ngot:  %q\nwant: %q", got, want)
			}
			checkLine(t, got[:len(got)-1])
		})
	}
}

// checkLine asserts the invariants of a log line.
func checkLine(t *testing.T, line []byte) {
	t.Helper()
	fields := strings.Split(string(line), "\t")
	if len(fields) != 33 {
		t.Fatalf("%d fields, want 33: %q", len(fields), line)
	}
	for i, f := range fields {
		if f == "" {
			t.Errorf("field %d empty", i+1)
		}
		for j := 0; j < len(f); j++ {
			if c := f[j]; c <= 32 || c >= 127 {
				t.Errorf("field %d has raw byte %#x: %q", i+1, c, f)
			}
		}
	}
}

func TestFormat_fields(t *testing.T) {
	line := string(Format(goldenRecords["miss_query_cookie"]))
	f := strings.Split(line, "\t")
	want := map[int]string{
		1: "2026-11-27", 2: "22:59:59", 5: "2001:db8::17", 8: "/images/a%2520b.jpg", 10: "https://www.example.com/page?x=1%23frag",
		12: "size=large&Expires=1700003600&Signature=nitf%7EyYD-A_&Key-Pair-Id=K2JCJMDEHXQW5F",
		13: "session=abc;%20theme=%22dark%22", 19: "1.234", 28: "1.200", 31: "-", 32: "-", 33: "-",
	}
	for i, w := range want {
		if f[i-1] != w {
			t.Errorf("field %d = %q, want %q", i, f[i-1], w)
		}
	}
	if h := strings.Split(strings.TrimPrefix(strings.Split(Header, "\n")[1], "#Fields: "), " "); len(h) != 33 {
		t.Errorf("header names %d fields", len(h))
	}
}

func FuzzFormat(f *testing.F) {
	f.Add("/a b", "x=1&y=%20", "Mozilla/5.0 (X11)", "a=b; c=d", "text/html", int64(100), 200, true)
	f.Add("", "", "", "", "", int64(-1), 0, false)
	f.Add("\t\n\r", "\x00\xff", "é", "\"'`", "~", int64(0), 999, true)
	f.Fuzz(func(t *testing.T, stem, query, ua, cookie, ctype string, n int64, status int, rng bool) {
		rec := Record{
			Time: time.Unix(n%(1<<40), 0), URIStem: stem, URIQuery: query, UserAgent: ua, Cookie: cookie,
			Referer: stem + query, ContentType: ctype, ContentLength: n, Status: status, HasRange: rng,
			RangeStart: n, RangeEnd: -n, BytesSent: n, ClientPort: status, TimeTaken: time.Duration(n),
			TimeToFirstByte: time.Duration(-n), Method: ua, EdgeLocation: cookie, FLEStatus: query,
		}
		line := Format(rec)
		if c := bytes.Count(line, []byte{'\t'}); c != 32 {
			t.Fatalf("%d tabs in %q", c, line)
		}
		checkLine(t, line)
	})
}

func BenchmarkFormat(b *testing.B) {
	rec := goldenRecords["hit"]
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFormat(buf[:0], rec)
	}
}
