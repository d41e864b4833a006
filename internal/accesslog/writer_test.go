package accesslog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"openfront/internal/mototest"
)

var nameRE = regexp.MustCompile(`^(.*/)?(E[A-Z0-9]+)\.(\d{4}-\d{2}-\d{2}-\d{2})\.([A-Z2-7]{16})\.gz$`)

func testRecord(i int, t time.Time) Record {
	return Record{
		Time: t, EdgeLocation: "TST1", BytesSent: int64(100 + i), ClientIP: netip.MustParseAddr("192.0.2.1"),
		Method: "GET", Host: "d1.cloudfront.net", URIStem: fmt.Sprintf("/obj/%d", i), Status: 200,
		EdgeResultType: "Hit", RequestID: fmt.Sprintf("req-%d", i), Protocol: "http", ContentLength: 10,
	}
}

// readLog gunzips a log file and returns its record lines after checking
// the two header lines.
func readLog(t *testing.T, gz []byte) []string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(body), Header) {
		t.Fatalf("file does not start with the header: %q", body)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(strings.TrimPrefix(string(body), Header)))
	for sc.Scan() {
		lines = append(lines, sc.Text())
		checkLine(t, sc.Bytes())
	}
	return lines
}

func TestWriter_dir(t *testing.T) {
	root := t.TempDir()
	w := NewWriter(Options{Uploader: DirUploader{Root: root}, FlushInterval: time.Hour, MaxRecords: 3})
	h1 := time.Date(2026, 11, 27, 20, 59, 59, 0, time.UTC)
	h2 := h1.Add(2 * time.Second) // the next hour
	destA := Destination{Bucket: "logs.s3.amazonaws.com", Prefix: "cdn", DistributionID: "EAAAAAAAAAAAA"}
	destB := Destination{Bucket: "logs.s3.amazonaws.com", DistributionID: "EBBBBBBBBBBBB"}
	for i := 0; i < 7; i++ { // 3 + 3 delivered by MaxRecords, 1 by Close
		if err := w.Log(destA, testRecord(i, h1)); err != nil {
			t.Fatal(err)
		}
	}
	w.Log(destA, testRecord(100, h2))
	w.Log(destB, testRecord(200, h1))
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.Log(destA, testRecord(1, h1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Log after Close = %v, want ErrClosed", err)
	}

	files := map[string][]string{} // name without unique id -> lines
	count := 0
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join(root, "logs"), p)
		m := nameRE.FindStringSubmatch(filepath.ToSlash(rel))
		if m == nil {
			t.Errorf("bad file name %q", rel)
			return nil
		}
		b, _ := os.ReadFile(p)
		k := m[1] + m[2] + "." + m[3]
		files[k] = append(files[k], readLog(t, b)...)
		count++
		return nil
	})
	if count != 5 {
		t.Errorf("%d files, want 5 (3+3+1 for A 20h, 1 for A 21h, 1 for B)", count)
	}
	if n := len(files["cdn/EAAAAAAAAAAAA.2026-11-27-20"]); n != 7 {
		t.Errorf("A hour 20: %d records, want 7", n)
	}
	if n := len(files["cdn/EAAAAAAAAAAAA.2026-11-27-21"]); n != 1 {
		t.Errorf("A hour 21: %d records, want 1", n)
	}
	if n := len(files["EBBBBBBBBBBBB.2026-11-27-20"]); n != 1 {
		t.Errorf("B: %d records, want 1 (files: %v)", n, files)
	}
}

// memUploader records uploads; it fails the first failN calls.
type memUploader struct {
	mu    sync.Mutex
	files map[string][]byte
	calls int
	failN int
}

func (m *memUploader) Upload(ctx context.Context, bucket, key string, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.calls <= m.failN {
		return errors.New("injected failure")
	}
	if m.files == nil {
		m.files = map[string][]byte{}
	}
	m.files[bucket+"/"+key] = append([]byte(nil), body...)
	return nil
}

func (m *memUploader) snapshot() map[string][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]byte{}
	for k, v := range m.files {
		out[k] = v
	}
	return out
}

func TestWriter_flushInterval(t *testing.T) {
	up := &memUploader{}
	w := NewWriter(Options{Uploader: up, FlushInterval: 20 * time.Millisecond})
	defer w.Close(context.Background())
	w.Log(Destination{DistributionID: "E1"}, testRecord(1, time.Time{}))
	deadline := time.Now().Add(5 * time.Second)
	for len(up.snapshot()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no delivery after the flush interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWriter_retryKeepsName(t *testing.T) {
	up := &memUploader{failN: 1}
	w := NewWriter(Options{Uploader: up, FlushInterval: time.Hour})
	w.Log(Destination{DistributionID: "E1"}, testRecord(1, time.Now()))
	w.Flush() // first attempt fails; the batch stays pending
	time.Sleep(50 * time.Millisecond)
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := up.snapshot(); len(got) != 1 {
		t.Fatalf("files = %d, want 1", len(got))
	}
}

func TestWriter_closeReportsLoss(t *testing.T) {
	up := &memUploader{failN: 1 << 30}
	w := NewWriter(Options{Uploader: up, FlushInterval: time.Hour})
	w.Log(Destination{DistributionID: "E1"}, testRecord(1, time.Now()))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := w.Close(ctx); err == nil {
		t.Fatal("Close = nil with a failing uploader")
	}
}

func TestWriter_concurrent(t *testing.T) {
	up := &memUploader{}
	w := NewWriter(Options{Uploader: up, FlushInterval: 5 * time.Millisecond, MaxRecords: 50})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				w.Log(Destination{DistributionID: fmt.Sprintf("E%d", g%3)}, testRecord(g*1000+i, time.Now()))
			}
		}()
	}
	wg.Wait()
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, b := range up.snapshot() {
		total += len(readLog(t, b))
	}
	if total != 4000 {
		t.Errorf("%d records delivered, want 4000", total)
	}
}

func TestObjectName(t *testing.T) {
	at := time.Date(2019, 11, 14, 21, 30, 0, 0, time.FixedZone("X", 3600)) // 20:30 UTC
	for prefix, want := range map[string]string{"": "", "example-prefix": "example-prefix/", "p/": "p/"} {
		n := objectName(Destination{Prefix: prefix, DistributionID: "EMLARXS9EXAMPLE"}, at)
		if !strings.HasPrefix(n, want+"EMLARXS9EXAMPLE.2019-11-14-20.") || !nameRE.MatchString(n) {
			t.Errorf("objectName(prefix %q) = %q", prefix, n)
		}
	}
}

func TestBucketName(t *testing.T) {
	for in, want := range map[string]string{
		"mylogs.s3.amazonaws.com":            "mylogs",
		"my.logs.s3.us-west-2.amazonaws.com": "my.logs",
		"old.s3-eu-west-1.amazonaws.com":     "old",
		"plain":                              "plain",
	} {
		if got := BucketName(in); got != want {
			t.Errorf("BucketName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriter_s3Moto(t *testing.T) {
	endpoint := mototest.Start(t)
	cfg := S3Config{Endpoint: endpoint, Region: "us-east-1", AccessKeyID: "test", SecretAccessKey: "test"}
	up := NewS3Uploader(cfg)
	ctx := context.Background()
	if _, err := up.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("cf-logs")}); err != nil {
		t.Fatal(err)
	}
	w := NewWriter(Options{Uploader: up, FlushInterval: time.Hour, MaxRecords: 2})
	dest := Destination{Bucket: "cf-logs.s3.amazonaws.com", Prefix: "edge", DistributionID: "EMLARXS9EXAMPLE"}
	at := time.Date(2026, 11, 27, 8, 15, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		w.Log(dest, testRecord(i, at))
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := up.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("cf-logs"), Prefix: aws.String("edge/")})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, o := range list.Contents {
		if !nameRE.MatchString(*o.Key) || !strings.HasPrefix(*o.Key, "edge/EMLARXS9EXAMPLE.2026-11-27-08.") {
			t.Errorf("bad key %q", *o.Key)
		}
		out, err := up.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("cf-logs"), Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		lines = append(lines, readLog(t, b)...)
	}
	if len(list.Contents) != 2 || len(lines) != 3 {
		t.Fatalf("%d objects, %d lines; want 2, 3", len(list.Contents), len(lines))
	}
	sort.Strings(lines)
	if !strings.Contains(lines[0], "\t/obj/0\t") {
		t.Errorf("line = %q", lines[0])
	}
}
