package realtimelog

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"openfront/internal/model"
	"openfront/internal/mototest"
)

// fakePutter records batches; fail decides per call which entries fail.
type fakePutter struct {
	mu      sync.Mutex
	batches [][]Entry
	calls   int
	fail    func(call int, n int) ([]bool, error)
	block   chan struct{} // when set, each call waits on it
}

func (p *fakePutter) PutRecords(ctx context.Context, stream string, entries []Entry) ([]bool, error) {
	if p.block != nil {
		select {
		case <-p.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.fail != nil {
		if failed, err := p.fail(p.calls, len(entries)); err != nil || failed != nil {
			if err == nil {
				ok := []Entry{}
				for i, e := range entries {
					if !failed[i] {
						ok = append(ok, e)
					}
				}
				p.batches = append(p.batches, ok)
			}
			return failed, err
		}
	}
	p.batches = append(p.batches, append([]Entry(nil), entries...))
	return make([]bool, len(entries)), nil
}

func (p *fakePutter) total() (records int, batches []int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.batches {
		records += len(b)
		batches = append(batches, len(b))
	}
	return records, batches
}

func testConfig(rate int64) *model.RealtimeLogConfigRecord {
	return &model.RealtimeLogConfigRecord{Name: "rt", SamplingRate: rate, Fields: []string{"x-edge-request-id", "sc-status"},
		EndPoints: []model.KinesisEndPoint{{StreamType: "Kinesis", StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/s"}}}
}

func reqN(i int) *Request {
	r := testRequest()
	r.RequestID = "rid-" + strconv.Itoa(i)
	return r
}

// TestLogger_batches: records go out in PutRecords batches of at most 500,
// all delivered and counted, in order.
func TestLogger_batches(t *testing.T) {
	p := &fakePutter{}
	l := New(Options{Putter: p, FlushInterval: time.Hour})
	for i := 0; i < 1201; i++ {
		l.Log(testConfig(100), reqN(i))
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	n, batches := p.total()
	if n != 1201 {
		t.Fatalf("%d records sent, want 1201", n)
	}
	for _, b := range batches {
		if b > maxBatchRecords {
			t.Errorf("batch of %d records", b)
		}
	}
	if len(batches) < 3 {
		t.Errorf("batches %v: want at least 3 for 1201 records", batches)
	}
	if first := string(p.batches[0][0].Data); first != "rid-0\t200\n" || p.batches[0][0].PartitionKey != "rid-0" {
		t.Errorf("first record %q (key %q)", first, p.batches[0][0].PartitionKey)
	}
	if c := l.Counts(); len(c) != 1 || c[0].Delivered != 1201 || c[0].Dropped != 0 || c[0].Failed != 0 {
		t.Errorf("counts %+v", c)
	}
}

// TestLogger_batchBytes: a batch stays under PutRecords' 5 MiB.
func TestLogger_batchBytes(t *testing.T) {
	p := &fakePutter{}
	l := New(Options{Putter: p, FlushInterval: time.Hour})
	cfg := testConfig(100)
	cfg.Fields = []string{"cs-uri-query"}
	big := strings.Repeat("q", 600<<10)
	for i := 0; i < 20; i++ {
		r := reqN(i)
		r.URIQuery = big
		l.Log(cfg, r)
	}
	l.Close(context.Background())
	for _, b := range p.batches {
		size := 0
		for _, e := range b {
			size += len(e.Data) + len(e.PartitionKey)
		}
		if size > maxBatchBytes {
			t.Errorf("batch of %d bytes", size)
		}
	}
	if n, _ := p.total(); n != 20 {
		t.Errorf("%d records sent, want 20", n)
	}
}

// TestLogger_flushInterval: a lone record is sent within the interval,
// without waiting for a full batch or Close.
func TestLogger_flushInterval(t *testing.T) {
	p := &fakePutter{}
	l := New(Options{Putter: p, FlushInterval: 50 * time.Millisecond})
	defer l.Close(context.Background())
	l.Log(testConfig(100), reqN(1))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if n, _ := p.total(); n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("record not sent within the flush interval")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLogger_overflowNeverBlocks: with the stream stuck, Log returns at
// once and records beyond the queue are dropped and counted.
func TestLogger_overflowNeverBlocks(t *testing.T) {
	p := &fakePutter{block: make(chan struct{})}
	l := New(Options{Putter: p, QueueRecords: 10, FlushInterval: time.Millisecond, CallTimeout: time.Hour})
	start := time.Now()
	for i := 0; i < 5000; i++ {
		l.Log(testConfig(100), reqN(i))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("5000 Log calls took %v with a stuck stream", d)
	}
	c := l.Counts()
	if len(c) != 1 || c[0].Dropped < 5000-10-maxBatchRecords || c[0].Delivered != 0 {
		t.Errorf("counts %+v: want most records dropped", c)
	}
	close(p.block)
	l.Close(context.Background())
}

// TestLogger_failuresRetriedAndCounted: records a call refuses are
// retried; those still failing after Attempts are counted as failed.
func TestLogger_failuresRetriedAndCounted(t *testing.T) {
	t.Run("partial failure then success", func(t *testing.T) {
		p := &fakePutter{fail: func(call, n int) ([]bool, error) {
			if call == 1 {
				failed := make([]bool, n)
				failed[0] = true // ProvisionedThroughputExceeded for one record
				return failed, nil
			}
			return nil, nil
		}}
		l := New(Options{Putter: p, FlushInterval: time.Hour})
		for i := 0; i < 3; i++ {
			l.Log(testConfig(100), reqN(i))
		}
		l.Close(context.Background())
		if n, _ := p.total(); n != 3 {
			t.Errorf("%d records delivered, want 3", n)
		}
		if c := l.Counts(); c[0].Delivered != 3 || c[0].Failed != 0 {
			t.Errorf("counts %+v", c)
		}
	})
	t.Run("endpoint down", func(t *testing.T) {
		p := &fakePutter{fail: func(call, n int) ([]bool, error) { return nil, errors.New("connection refused") }}
		l := New(Options{Putter: p, FlushInterval: time.Hour, Attempts: 3})
		for i := 0; i < 7; i++ {
			l.Log(testConfig(100), reqN(i))
		}
		l.Close(context.Background())
		if c := l.Counts(); c[0].Delivered != 0 || c[0].Failed != 7 {
			t.Errorf("counts %+v: want 7 failed", c)
		}
		if p.calls < 2 {
			t.Errorf("%d calls: the failed batch was not retried", p.calls)
		}
	})
}

// TestLogger_sampling: a sampling rate of 10 logs about a tenth of the
// requests; 100 logs all.
func TestLogger_sampling(t *testing.T) {
	p := &fakePutter{}
	l := New(Options{Putter: p, FlushInterval: time.Hour, QueueRecords: 20000})
	for i := 0; i < 10000; i++ {
		if cfg := testConfig(10); Sampled(cfg) {
			l.Log(cfg, reqN(i))
		}
	}
	l.Close(context.Background())
	if n, _ := p.total(); n < 800 || n > 1200 {
		t.Errorf("%d of 10000 requests logged at a 10%% sampling rate", n)
	}
}

// TestKinesisPutter_moto: records put through the SDK's Kinesis client to
// moto's Kinesis are read back, data and partition keys intact.
func TestKinesisPutter_moto(t *testing.T) {
	endpoint := mototest.Start(t)
	ctx := context.Background()
	kc := KinesisConfig{Endpoint: endpoint, Region: "us-east-1", AccessKeyID: "test", SecretAccessKey: "test"}
	p := NewKinesisPutter(kc)
	if _, err := p.client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("cf-rt"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	desc, err := p.client.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("cf-rt")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(100)
	cfg.EndPoints[0].StreamARN = *desc.StreamDescription.StreamARN
	l := New(Options{Putter: p, FlushInterval: time.Hour})
	for i := 0; i < 3; i++ {
		l.Log(cfg, reqN(i))
	}
	l.Close(ctx)
	it, err := p.client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("cf-rt"),
		ShardId: desc.StreamDescription.Shards[0].ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range out.Records {
		got = append(got, *r.PartitionKey+"="+string(r.Data))
	}
	want := []string{"rid-0=rid-0\t200\n", "rid-1=rid-1\t200\n", "rid-2=rid-2\t200\n"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("records %q, want %q", got, want)
	}
	if c := l.Counts(); c[0].Delivered != 3 {
		t.Errorf("counts %+v", c)
	}
}

// TestKinesisPutter_streamRegion: a stream is reached in the region of its
// ARN, whatever the configured region (moto keeps streams per region).
func TestKinesisPutter_streamRegion(t *testing.T) {
	endpoint := mototest.Start(t)
	ctx := context.Background()
	p := NewKinesisPutter(KinesisConfig{Endpoint: endpoint, Region: "us-east-1", AccessKeyID: "test", SecretAccessKey: "test"})
	eu := func(o *kinesis.Options) { o.Region = "eu-west-1" }
	if _, err := p.client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("eu"), ShardCount: aws.Int32(1)}, eu); err != nil {
		t.Fatal(err)
	}
	desc, err := p.client.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("eu")}, eu)
	if err != nil {
		t.Fatal(err)
	}
	failed, err := p.PutRecords(ctx, *desc.StreamDescription.StreamARN, []Entry{{PartitionKey: "k", Data: []byte("x\n")}})
	if err != nil || len(failed) != 1 || failed[0] {
		t.Fatalf("put to the eu-west-1 stream: %v %v", failed, err)
	}
}

// TestKinesisPutter_deadEndpoint: a Kinesis endpoint that refuses
// connections fails the records (counted) without slowing Log.
func TestKinesisPutter_deadEndpoint(t *testing.T) {
	p := NewKinesisPutter(KinesisConfig{Endpoint: "http://127.0.0.1:1", AccessKeyID: "test", SecretAccessKey: "test"})
	l := New(Options{Putter: p, FlushInterval: 10 * time.Millisecond, Attempts: 2})
	start := time.Now()
	for i := 0; i < 100; i++ {
		l.Log(testConfig(100), reqN(i))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Log took %v with a dead endpoint", d)
	}
	l.Close(context.Background())
	if c := l.Counts(); c[0].Failed != 100 || c[0].Delivered != 0 {
		t.Errorf("counts %+v: want 100 failed", c)
	}
}
