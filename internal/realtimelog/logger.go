package realtimelog

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"openfront/internal/model"
)

// Kinesis PutRecords limits (Amazon Kinesis Data Streams API Reference,
// PutRecords): 500 records and 5 MiB per call, partition keys included;
// 1 MiB per record.
const (
	maxBatchRecords = 500
	maxBatchBytes   = 5 << 20
	maxRecordBytes  = 1 << 20
)

// Entry is one record for a stream.
type Entry struct {
	PartitionKey string
	Data         []byte
}

// Putter sends a batch to a stream with PutRecords. It returns, for a call
// that was answered, which entries failed (FailedRecordCount > 0); err is
// set when the call itself failed (every entry is then retried).
type Putter interface {
	PutRecords(ctx context.Context, streamARN string, entries []Entry) (failed []bool, err error)
}

// Options configure a Logger.
type Options struct {
	Putter Putter
	// QueueRecords bounds each configuration's queue (default 10000):
	// beyond it records are dropped, never waited for.
	QueueRecords int
	// FlushInterval is the longest a record waits for its batch to fill
	// (default 1 s): CloudFront delivers "within seconds".
	FlushInterval time.Duration
	// Attempts is how many times a batch's failed records are sent
	// (default 3); CallTimeout bounds each PutRecords (default 10 s).
	Attempts    int
	CallTimeout time.Duration
	Log         *slog.Logger
}

// Counts are one configuration's record counters.
type Counts struct {
	Config    string
	Delivered uint64 // accepted by the stream
	Dropped   uint64 // not queued: queue full, record too large, or closing
	Failed    uint64 // given up after Attempts
}

// Logger queues and sends the records of every configuration.
type Logger struct {
	opts Options

	mu     sync.Mutex
	queues map[string]*queue // by configuration name and stream ARN
	closed bool
	wg     sync.WaitGroup
	stop   chan struct{}
}

type queue struct {
	config, stream           string
	ch                       chan Entry
	delivered, dropped, fail atomic.Uint64
}

// New returns a Logger; Close flushes it.
func New(opts Options) *Logger {
	if opts.QueueRecords <= 0 {
		opts.QueueRecords = 10000
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = time.Second
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 10 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Logger{opts: opts, queues: map[string]*queue{}, stop: make(chan struct{})}
}

// Sampled tells whether a request is logged under the configuration's
// sampling rate (the percentage of requests represented).
func Sampled(cfg *model.RealtimeLogConfigRecord) bool {
	return cfg.SamplingRate >= 100 || rand.Int64N(100) < cfg.SamplingRate
}

// Log formats the request's record and queues it for each of the
// configuration's streams; the caller has sampled the request (Sampled).
// It never blocks: a full queue drops the record (counted).
func (l *Logger) Log(cfg *model.RealtimeLogConfigRecord, req *Request) {
	if l == nil || cfg == nil {
		return
	}
	data := AppendRecord(make([]byte, 0, 256), cfg.Fields, req)
	for _, ep := range cfg.EndPoints {
		q := l.queue(cfg.Name, ep.StreamARN)
		if q == nil {
			return
		}
		// The request id spreads records over the stream's shards.
		e := Entry{PartitionKey: req.RequestID, Data: data}
		if e.PartitionKey == "" {
			e.PartitionKey = "-"
		}
		if len(e.Data)+len(e.PartitionKey) > maxRecordBytes {
			q.dropped.Add(1)
			continue
		}
		select {
		case q.ch <- e:
		default:
			if n := q.dropped.Add(1); n&(n-1) == 0 { // logged at powers of two
				l.opts.Log.Warn("real-time log queue full: records dropped", "config", cfg.Name, "stream", ep.StreamARN, "dropped", n)
			}
		}
	}
}

// queue returns the queue of a configuration and stream, starting its
// sender on first use; nil once closed.
func (l *Logger) queue(config, stream string) *queue {
	key := config + "\x00" + stream
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	q := l.queues[key]
	if q == nil {
		q = &queue{config: config, stream: stream, ch: make(chan Entry, l.opts.QueueRecords)}
		l.queues[key] = q
		l.wg.Add(1)
		go l.send(q)
	}
	return q
}

// send batches a queue's records and puts them until Close.
func (l *Logger) send(q *queue) {
	defer l.wg.Done()
	tick := time.NewTicker(l.opts.FlushInterval)
	defer tick.Stop()
	var batch []Entry
	size := 0
	flush := func() {
		if len(batch) > 0 {
			l.put(q, batch)
			batch, size = nil, 0
		}
	}
	add := func(e Entry) {
		n := len(e.Data) + len(e.PartitionKey)
		if len(batch) == maxBatchRecords || size+n > maxBatchBytes {
			flush()
		}
		batch = append(batch, e)
		size += n
	}
	for {
		select {
		case e := <-q.ch:
			add(e)
			if len(batch) == maxBatchRecords {
				flush()
			}
		case <-tick.C:
			flush()
		case <-l.stop:
			for {
				select {
				case e := <-q.ch:
					add(e)
				default:
					flush()
					return
				}
			}
		}
	}
}

// put sends a batch, retrying the records that failed with a growing
// pause, and counts the outcome.
func (l *Logger) put(q *queue, batch []Entry) {
	pause := 100 * time.Millisecond
	var lastErr error
	for attempt := 1; len(batch) > 0; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), l.opts.CallTimeout)
		failed, err := l.opts.Putter.PutRecords(ctx, q.stream, batch)
		cancel()
		var retry []Entry
		if err != nil {
			retry, lastErr = batch, err
		} else {
			for i, e := range batch {
				if i < len(failed) && failed[i] {
					retry = append(retry, e)
				}
			}
			lastErr = errors.New("records throttled or refused by the stream")
		}
		q.delivered.Add(uint64(len(batch) - len(retry)))
		batch = retry
		if len(batch) == 0 {
			return
		}
		if attempt >= l.opts.Attempts {
			break
		}
		select {
		case <-time.After(pause):
			pause *= 2
		case <-l.stop:
			// Closing: one last attempt, no more waiting.
			if attempt+1 < l.opts.Attempts {
				attempt = l.opts.Attempts - 1
			}
		}
	}
	q.fail.Add(uint64(len(batch)))
	l.opts.Log.Error("real-time log delivery failed: records lost (check --kinesis-endpoint, the stream and OPENFRONT_KINESIS_ACCESS_KEY_ID)",
		"config", q.config, "stream", q.stream, "records", len(batch), "err", lastErr)
}

// Counts returns the counters of every configuration (summed over its
// streams), sorted by configuration name.
func (l *Logger) Counts() []Counts {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	by := map[string]*Counts{}
	for _, q := range l.queues {
		c := by[q.config]
		if c == nil {
			c = &Counts{Config: q.config}
			by[q.config] = c
		}
		c.Delivered += q.delivered.Load()
		c.Dropped += q.dropped.Load()
		c.Failed += q.fail.Load()
	}
	out := make([]Counts, 0, len(by))
	for _, c := range by {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Config < out[j].Config })
	return out
}

// Close stops accepting records, sends what is queued (one attempt for
// what fails), and waits for the senders or ctx.
func (l *Logger) Close(ctx context.Context) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.stop)
	}
	l.mu.Unlock()
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
