package edge

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"openfront/internal/geo"
	"openfront/internal/geo/geotest"
	"openfront/internal/model"
	"openfront/internal/mototest"
	"openfront/internal/realtimelog"
)

// recordingPutter keeps what a real-time log sends.
type recordingPutter struct {
	mu      sync.Mutex
	records []string
}

func (p *recordingPutter) PutRecords(_ context.Context, _ string, entries []realtimelog.Entry) ([]bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range entries {
		p.records = append(p.records, string(e.Data))
	}
	return make([]bool, len(entries)), nil
}

// TestRealtimeLog_everyRequestOnceFastPathDeclines: a behaviour with a
// real-time log configuration gets one record per request, hits
// included: the fast path, which keeps no per-request record, declines
// its distribution; a behaviour without one gets none.
func TestRealtimeLog_everyRequestOnceFastPathDeclines(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	f := newFastFronts(t, distConfig(o, func(cfg model.Tree) {
		other := model.Clone(model.Sub(cfg, "DefaultCacheBehavior"))
		other["PathPattern"] = "/quiet/*"
		cfg["CacheBehaviors"] = model.Wrapper([]model.Tree{other})
	}))
	p := &recordingPutter{}
	logger := realtimelog.New(realtimelog.Options{Putter: p, FlushInterval: time.Hour})
	f.te.opts.RealtimeLog = logger
	snap := f.te.Snapshot()
	d := snap.Lookup(testHost)
	d.RealtimeLogs = true
	d.Match("/s").RealtimeLog = &model.RealtimeLogConfigRecord{Name: "rt", SamplingRate: 100,
		Fields:    []string{"x-edge-result-type", "sc-status", "cs-uri-stem", "cache-behavior-path-pattern"},
		EndPoints: []model.KinesisEndPoint{{StreamType: "Kinesis", StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/s"}}}
	f.te.Apply(snap, nil)

	raw := "GET /s HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n"
	for i := 0; i < 3; i++ {
		roundTrip(t, f.fast, raw)
		f.settle(t)
	}
	roundTrip(t, f.fast, "GET /quiet/a HTTP/1.1\r\nHost: "+testHost+"\r\n\r\n")
	if err := logger.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []string{"Miss\t200\t/s\t*\n", "Hit\t200\t/s\t*\n", "Hit\t200\t/s\t*\n"}
	if len(p.records) != len(want) {
		t.Fatalf("records %q, want %q", p.records, want)
	}
	for i := range want {
		if p.records[i] != want[i] {
			t.Errorf("record %d: %q, want %q", i, p.records[i], want[i])
		}
	}
	if n := f.fs.Stats().Served; n != 0 {
		t.Errorf("the fast path answered %d requests of a distribution with real-time logs", n)
	}
}

// TestRealtimeLog_originLatencyAndASN: origin-fbl and origin-lbl are the
// origin's first- and last-byte latencies of a request that went to the
// origin ("-" for a hit), asn the viewer's autonomous system number from
// the geo database; the records are read back from moto's Kinesis.
func TestRealtimeLog_originLatencyAndASN(t *testing.T) {
	endpoint := mototest.Start(t)
	ctx := t.Context()
	kc := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("rt-origin"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	desc, err := kc.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("rt-origin")})
	if err != nil {
		t.Fatal(err)
	}

	// The origin answers the head at once and the body's end 50 ms later.
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "first half ")
		w.(http.Flusher).Flush()
		time.Sleep(50 * time.Millisecond)
		io.WriteString(w, "second half")
	})
	db := filepath.Join(t.TempDir(), "geo.mmdb")
	if err := geotest.WriteRecords(db, map[string]geotest.Record{"127.0.0.0/8": {Country: "SE", ASN: 64500}}); err != nil {
		t.Fatal(err)
	}
	g, err := geo.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	f := newFastFronts(t, distConfig(o, nil))
	f.te.opts.Geo = g
	logger := realtimelog.New(realtimelog.Options{Putter: realtimelog.NewKinesisPutter(realtimelog.KinesisConfig{
		Endpoint: endpoint, AccessKeyID: "test", SecretAccessKey: "test"}), FlushInterval: time.Hour})
	f.te.opts.RealtimeLog = logger
	snap := f.te.Snapshot()
	d := snap.Lookup(testHost)
	d.RealtimeLogs = true
	d.Match("/s").RealtimeLog = &model.RealtimeLogConfigRecord{Name: "rt", SamplingRate: 100,
		Fields:    []string{"x-edge-result-type", "origin-fbl", "origin-lbl", "asn", "c-country"},
		EndPoints: []model.KinesisEndPoint{{StreamType: "Kinesis", StreamARN: *desc.StreamDescription.StreamARN}}}
	f.te.Apply(snap, nil)

	raw := "GET /s HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n"
	for range 2 {
		roundTrip(t, f.slow, raw)
		f.settle(t)
	}
	if err := logger.Close(ctx); err != nil {
		t.Fatal(err)
	}
	it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("rt-origin"),
		ShardId: desc.StreamDescription.Shards[0].ShardId, ShardIteratorType: kinesistypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	out, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Records) != 2 {
		t.Fatalf("%d records, want 2", len(out.Records))
	}
	miss := strings.Split(strings.TrimSuffix(string(out.Records[0].Data), "\n"), "\t")
	hit := strings.Split(strings.TrimSuffix(string(out.Records[1].Data), "\n"), "\t")
	fbl, err1 := strconv.ParseFloat(miss[1], 64)
	lbl, err2 := strconv.ParseFloat(miss[2], 64)
	if miss[0] != "Miss" || err1 != nil || err2 != nil || fbl > 0.045 || lbl < 0.045 || lbl < fbl || !regexp.MustCompile(`^\d+\.\d{3}$`).MatchString(miss[1]) {
		t.Errorf("miss record %q: want origin-fbl before the 50 ms pause, origin-lbl after it", miss)
	}
	if miss[3] != "64500" || miss[4] != "SE" {
		t.Errorf("miss record %q: want asn 64500, country SE", miss)
	}
	if want := []string{"Hit", "-", "-", "64500", "SE"}; strings.Join(hit, " ") != strings.Join(want, " ") {
		t.Errorf("hit record %q, want %q (no origin contacted)", hit, want)
	}
}

// TestRealtimeLog_bytesAndFirstByte: sc-bytes counts what went to the
// viewer (the head's estimate and the body) and time-to-first-byte is
// measured, on a miss and on a hit: both come from the writer the
// exchange wraps for logging, which must count every write.
func TestRealtimeLog_bytesAndFirstByte(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	f := newFastFronts(t, distConfig(o, nil))
	p := &recordingPutter{}
	logger := realtimelog.New(realtimelog.Options{Putter: p, FlushInterval: time.Hour})
	f.te.opts.RealtimeLog = logger
	snap := f.te.Snapshot()
	d := snap.Lookup(testHost)
	d.RealtimeLogs = true
	path := "/counted-bytes/" + strings.Repeat("x", 4000) // a body far larger than any head
	d.Match(path).RealtimeLog = &model.RealtimeLogConfigRecord{Name: "rt", SamplingRate: 100,
		Fields:    []string{"x-edge-result-type", "sc-bytes", "time-to-first-byte"},
		EndPoints: []model.KinesisEndPoint{{StreamType: "Kinesis", StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/s"}}}
	f.te.Apply(snap, nil)

	raw := "GET " + path + " HTTP/1.1\r\nHost: " + testHost + "\r\n\r\n"
	body := len("body of " + path)
	for range 2 {
		roundTrip(t, f.slow, raw)
		f.settle(t)
	}
	if err := logger.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(p.records) != 2 {
		t.Fatalf("records %q, want a miss and a hit", p.records)
	}
	for i, want := range []string{"Miss", "Hit"} {
		f := strings.Split(strings.TrimSuffix(p.records[i], "\n"), "\t")
		if len(f) != 3 || f[0] != want {
			t.Fatalf("record %d: %q", i, p.records[i])
		}
		if n, err := strconv.Atoi(f[1]); err != nil || n <= body {
			t.Errorf("%s: sc-bytes %q, want the body's %d bytes and the head's", want, f[1], body)
		}
		if ttfb, err := strconv.ParseFloat(f[2], 64); err != nil || ttfb <= 0 {
			t.Errorf("%s: time-to-first-byte %q, want a measured time", want, f[2])
		}
	}
}

// TestRealtimeLog_tlsFieldsAsCloudFrontWritesThem: ssl-protocol and
// ssl-cipher carry CloudFront's spellings ("Standard logging reference",
// "Real-time log configuration fields": TLSv1.2, OpenSSL cipher names
// below TLS 1.3), not Go's ("TLS 1.2", TLS_ECDHE_..._WITH_...).
func TestRealtimeLog_tlsFieldsAsCloudFrontWritesThem(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	te := newTestEdge(t, distConfig(o, nil))
	p := &recordingPutter{}
	logger := realtimelog.New(realtimelog.Options{Putter: p, FlushInterval: time.Hour})
	te.opts.RealtimeLog = logger
	snap := te.Snapshot()
	d := snap.Lookup(testHost)
	d.RealtimeLogs = true
	d.Match("/t").RealtimeLog = &model.RealtimeLogConfigRecord{Name: "rt", SamplingRate: 100,
		Fields:    []string{"cs-protocol", "ssl-protocol", "ssl-cipher"},
		EndPoints: []model.KinesisEndPoint{{StreamType: "Kinesis", StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/s"}}}
	te.Apply(snap, nil)
	front := httptest.NewTLSServer(te.Server)
	t.Cleanup(front.Close)
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		tr := front.Client().Transport.(*http.Transport).Clone()
		tr.TLSClientConfig.MinVersion, tr.TLSClientConfig.MaxVersion = version, version
		tr.TLSClientConfig.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
		req, err := http.NewRequest(http.MethodGet, front.URL+"/t", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = testHost
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if err := logger.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`^https\tTLSv1\.2\tECDHE-(RSA|ECDSA)-AES128-GCM-SHA256\n$`),
		regexp.MustCompile(`^https\tTLSv1\.3\tTLS_AES_(128_GCM_SHA256|256_GCM_SHA384|CHACHA20_POLY1305_SHA256)\n$`),
	}
	if len(p.records) != len(want) {
		t.Fatalf("records %q, want %d", p.records, len(want))
	}
	for i, re := range want {
		if !re.MatchString(p.records[i]) {
			t.Errorf("record %d: %q, want %s", i, p.records[i], re)
		}
	}
}

// TestRealtimeLog_viewerGoneMidBody: a viewer that closes its connection
// before the whole body is logged with x-edge-result-type Error while
// x-edge-response-result-type keeps Miss, and ClientCommError as the
// detailed type ("Standard logging reference": Error with a response
// result type that is not Error means the client disconnected before
// finishing the download); a whole body, compressed or not, stays Miss.
func TestRealtimeLog_viewerGoneMidBody(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Cache-Control", "max-age=60")
		// Far more than the sockets between edge and viewer hold, so
		// the edge's writes fail once the viewer is gone.
		chunk := strings.Repeat("x", 64<<10)
		w.Header().Set("Content-Length", strconv.Itoa(128*len(chunk)))
		w.WriteHeader(http.StatusOK)
		for i := 0; i < 128; i++ {
			io.WriteString(w, chunk)
		}
	})
	te := newTestEdge(t, distConfig(o, func(cfg model.Tree) {
		model.Sub(cfg, "DefaultCacheBehavior")["Compress"] = "true"
	}))
	p := &recordingPutter{}
	logger := realtimelog.New(realtimelog.Options{Putter: p, FlushInterval: 10 * time.Millisecond})
	te.opts.RealtimeLog = logger
	snap := te.Snapshot()
	d := snap.Lookup(testHost)
	d.RealtimeLogs = true
	d.Match("/").RealtimeLog = &model.RealtimeLogConfigRecord{Name: "rt", SamplingRate: 100,
		Fields:    []string{"cs-uri-stem", "x-edge-result-type", "x-edge-response-result-type", "x-edge-detailed-result-type"},
		EndPoints: []model.KinesisEndPoint{{StreamType: "Kinesis", StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/s"}}}
	te.Apply(snap, nil)
	front := httptest.NewServer(te.Server)
	t.Cleanup(front.Close)

	// The viewer reads the head, then closes with the body unread.
	c, err := net.Dial("tcp", strings.TrimPrefix(front.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: "+testHost+"\r\n\r\n")
	if _, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil {
		t.Fatal(err)
	}
	c.Close() // the body unread: the viewer's kernel resets the connection
	for _, ae := range []string{"", "gzip"} {
		req, _ := http.NewRequest(http.MethodGet, front.URL+"/whole", nil)
		req.Host = testHost
		if ae != "" {
			req.Header.Set("Accept-Encoding", ae)
		}
		resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		p.mu.Lock()
		n := len(p.records)
		p.mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := logger.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range p.records {
		got[r]++
	}
	want := map[string]int{
		"/slow\tError\tMiss\tClientCommError\n": 1,
		"/whole\tMiss\tMiss\tMiss\n":            2, // identity, then gzip: two cache keys
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("records %q, want %v", p.records, want)
	}
}
