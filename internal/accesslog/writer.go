package accesslog

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Uploader stores one finished log file. bucket is the distribution's
// Logging.Bucket as configured (e.g. "logs.s3.amazonaws.com"); key is the
// object name. Upload may be called again with the same key after a
// failure and must then overwrite. It must be safe for use by one
// goroutine at a time (the Writer never calls it concurrently).
type Uploader interface {
	Upload(ctx context.Context, bucket, key string, body []byte) error
}

// Destination is where a distribution's logs go (its Logging config).
type Destination struct {
	Bucket         string // Logging.Bucket
	Prefix         string // Logging.Prefix; "/" is appended when missing
	DistributionID string
}

// Defaults of Options.
const (
	DefaultFlushInterval = time.Minute
	DefaultMaxRecords    = 10000
)

// Options configure a Writer.
type Options struct {
	Uploader      Uploader
	FlushInterval time.Duration    // deliver batches at least this often; DefaultFlushInterval when 0
	MaxRecords    int              // deliver a batch when it holds this many records; DefaultMaxRecords when 0
	Logger        *slog.Logger     // delivery failures; slog.Default() when nil
	Now           func() time.Time // for tests; time.Now when nil
}

// ErrClosed is returned by Log after Close.
var ErrClosed = errors.New("access log writer closed")

// Writer batches log lines per destination and UTC hour and delivers them
// as gzip files in the background. It is safe for concurrent use.
type Writer struct {
	opts Options

	mu      sync.Mutex
	batches map[batchKey]*batch
	pending []*batch // full or due, waiting for the uploader goroutine
	closed  bool

	wake chan struct{} // pending has work
	stop chan struct{} // Close was called
	done chan struct{} // the uploader goroutine has exited
	ctx  context.Context
	// cancel aborts an upload in progress when Close's context ends.
	cancel context.CancelFunc
}

type batchKey struct {
	dest Destination
	hour int64 // Unix hour of the records
}

type batch struct {
	key     batchKey
	name    string // object key, fixed at creation so retries overwrite
	lines   bytes.Buffer
	records int
}

// NewWriter starts a Writer; call Close to deliver what it holds.
func NewWriter(opts Options) *Writer {
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.MaxRecords <= 0 {
		opts.MaxRecords = DefaultMaxRecords
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Writer{
		opts:    opts,
		batches: make(map[batchKey]*batch),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		ctx:     ctx,
		cancel:  cancel,
	}
	go w.run()
	return w
}

// Log formats rec and adds it to the batch of dest for the hour of
// rec.Time (or of now when rec.Time is zero). It never blocks on delivery.
func (w *Writer) Log(dest Destination, rec Record) error {
	if rec.Time.IsZero() {
		rec.Time = w.opts.Now()
	}
	line := AppendFormat(make([]byte, 0, 512), rec)
	line = append(line, '\n')
	k := batchKey{dest: dest, hour: rec.Time.Unix() / 3600}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	b := w.batches[k]
	if b == nil {
		b = &batch{key: k, name: objectName(dest, rec.Time)}
		w.batches[k] = b
	}
	b.lines.Write(line)
	b.records++
	if b.records >= w.opts.MaxRecords {
		delete(w.batches, k)
		w.pending = append(w.pending, b)
		w.signal()
	}
	return nil
}

// Flush hands every open batch to the uploader goroutine without waiting
// for delivery.
func (w *Writer) Flush() {
	w.mu.Lock()
	w.moveAllLocked()
	w.mu.Unlock()
	w.signal()
}

// Close stops accepting records, delivers every batch and waits until done
// or until ctx ends. It returns the delivery failures, or ctx's error with
// the number of files left undelivered.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.closed = true
	w.moveAllLocked()
	w.mu.Unlock()
	close(w.stop)
	select {
	case <-w.done:
	case <-ctx.Done():
		w.cancel()
		<-w.done
	}
	w.cancel()
	w.mu.Lock()
	left := len(w.pending)
	w.mu.Unlock()
	if left > 0 {
		err := ctx.Err()
		if err == nil {
			err = errors.New("upload failed")
		}
		return fmt.Errorf("close access log writer: %d log files not delivered: %w", left, err)
	}
	return nil
}

func (w *Writer) moveAllLocked() {
	for k, b := range w.batches {
		w.pending = append(w.pending, b)
		delete(w.batches, k)
	}
}

func (w *Writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run delivers pending batches when woken, moves all open batches to
// pending every FlushInterval, and drains everything once stopped.
func (w *Writer) run() {
	defer close(w.done)
	tick := time.NewTicker(w.opts.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-w.wake:
			w.deliver(false)
		case <-tick.C:
			w.Flush()
			w.deliver(false)
		case <-w.stop:
			w.deliver(true)
			return
		}
	}
}

// deliver uploads the pending batches in order. A failed batch stays
// pending for the next round; final is the last round (Close), which
// retries each failure a few times before giving up.
func (w *Writer) deliver(final bool) {
	w.mu.Lock()
	work := w.pending
	w.pending = nil
	w.mu.Unlock()
	var failed []*batch
	for _, b := range work {
		if w.ctx.Err() != nil {
			failed = append(failed, b)
			continue
		}
		err := w.upload(b)
		for try := 1; err != nil && final && try < 3 && w.ctx.Err() == nil; try++ {
			time.Sleep(time.Duration(try) * 200 * time.Millisecond)
			err = w.upload(b)
		}
		if err != nil {
			w.opts.Logger.Error("access log delivery failed", "bucket", b.key.dest.Bucket, "key", b.name, "records", b.records, "err", err)
			failed = append(failed, b)
		}
	}
	if len(failed) > 0 {
		w.mu.Lock()
		w.pending = append(failed, w.pending...)
		w.mu.Unlock()
	}
}

func (w *Writer) upload(b *batch) error {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(Header))
	zw.Write(b.lines.Bytes())
	if err := zw.Close(); err != nil {
		return err
	}
	return w.opts.Uploader.Upload(w.ctx, b.key.dest.Bucket, b.name, gz.Bytes())
}

// objectName returns <prefix><distribution-id>.YYYY-MM-DD-HH.<unique-id>.gz
// with the hour of t in UTC and "/" appended to a non-empty prefix that
// lacks it.
func objectName(d Destination, t time.Time) string {
	prefix := d.Prefix
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return prefix + d.DistributionID + "." + t.UTC().Format("2006-01-02-15") + "." + uniqueID() + ".gz"
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// uniqueID returns 16 random upper-case base32 characters.
func uniqueID() string {
	var b [10]byte
	rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}
