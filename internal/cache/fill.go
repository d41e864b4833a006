package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Fill tuning.
const (
	// chunkSize is the buffer unit of bodies held in memory while they
	// stream, and the read size from the origin.
	chunkSize = 32 << 10
	// window is how far a fill that is not being stored may run ahead of
	// its slowest reader before it stops reading from the origin.
	window = 1 << 20
)

// ErrClosed is returned by Stream.Read after Close.
var ErrClosed = errors.New("cache: stream closed")

// FetchResult is the origin's answer as the edge wants it stored.
type FetchResult struct {
	Status int
	// Header is the header to store and to send to every reader, already
	// filtered by the edge. It is copied; the edge may reuse it.
	Header http.Header
	// Expires is the end of freshness computed by the edge (TTL rules),
	// counting Age (httpcache.FreshUntil).
	Expires time.Time
	// Age is how old the response already was when it arrived: the Age
	// field the origin sent (RFC 9111 §4.2.3), 0 when it sent none. The
	// object's Meta.StoredAt is moved back by it, so that the Age of later
	// hits, now − StoredAt, goes on from it (RFC 9111 §5.1).
	Age time.Duration
	// Size is the body length from Content-Length, or -1 when unknown. A
	// body that ends short of it is an error and is not stored.
	Size int64
	// Body is read to EOF (or Size) and closed by the cache; nil means empty.
	Body io.ReadCloser
	// Cacheable says the response may be stored and shared with the
	// requests collapsed onto this fill. When false, only the request that
	// started the fill reads this response; each waiter then calls its own
	// Fetch (not collapsed), as CloudFront does for private/no-store
	// responses ("Request and response behavior for custom origins",
	// request collapsing) — a private response is never sent to
	// another viewer.
	Cacheable bool
}

// FillRequest describes one cache miss to fill from the origin.
type FillRequest struct {
	Key    string // cache key; requests with equal keys are collapsed
	DistID string // distribution, for Purge of in-flight fills
	Path   string // object path, for Purge of in-flight fills
	// Timeout bounds the fetch of the fill (headers and whole body); zero
	// means Config.FillTimeout.
	Timeout time.Duration
	// Fetch asks the origin. For a collapsed fill it runs once, on a
	// context detached from the viewer that started it (so the fill
	// survives that viewer) and bounded by Timeout. A Fill calls its
	// request's Fetch at most once (the leader's, or a waiter's own for
	// an uncacheable answer), and reads the result before it returns.
	Fetch func(ctx context.Context) (*FetchResult, error)
	// OnCaller runs the fetch on the goroutine of the Fill that starts it,
	// rather than on a goroutine of its own, and copies a small body
	// (up to inlineBody bytes, of known length) there too: one goroutine
	// start and hand-over less per miss (bench/FILL-RESULTS.md). The fill
	// is still shared and still detached from the caller's context; what
	// changes is that this caller's Fill returns only once the headers
	// are in (with ctx's cause then, if ctx ended meanwhile), not as soon
	// as ctx ends.
	OnCaller bool
}

// inlineBody is the largest body an OnCaller fill copies before its
// Fill returns; a larger one streams from a goroutine of its own. A body
// this small nearly always arrives with the head, and the edge's HTTP/1.1
// writer holds one this small until the end anyway (fastpath's
// bufferBeforeChunking), so the viewer sees no difference.
const inlineBody = 2 << 10

// Stream is one caller's view of a Fill: the response metadata and the
// body as it arrives. A Stream is used by one goroutine; Close it when
// done, whether or not the body was read to the end.
type Stream struct {
	// Meta is the response metadata. Meta.Size is -1 when the origin did
	// not send a length. Do not modify it.
	Meta *Meta
	// Shared is true when this caller did not go to the origin itself: it
	// joined another request's fill or found the object already stored.
	// CloudFront logs such collapsed requests as Hit.
	Shared bool

	// exactly one source is set
	f     *fill // following a fill
	entry Entry // found in storage at Fill time
	body  io.ReadCloser

	pos    int64
	err    error       // why the stream ended early; guarded by f.mu for fill streams
	stop   func() bool // unregisters the viewer-context watch
	cancel context.CancelFunc
}

// Read reads the next body bytes, waiting for the origin when the reader
// has caught up with the fill. It returns io.EOF at the end of the body, the
// fill's error if the origin body failed, and the viewer context's cause
// once that context ends while the body is still arriving.
func (s *Stream) Read(p []byte) (int, error) {
	switch {
	case s.f != nil:
		return s.f.read(s, p)
	case s.body != nil:
		return s.body.Read(p)
	case s.entry.Meta != nil:
		n, err := s.entry.ReadAt(p, s.pos)
		s.pos += int64(n)
		return n, err
	}
	return 0, io.EOF
}

// Close releases the stream. It never stops a collapsed fill.
func (s *Stream) Close() error {
	if s.stop != nil {
		s.stop()
	}
	switch {
	case s.f != nil:
		s.f.detach(s, ErrClosed)
	case s.body != nil:
		err := s.body.Close()
		s.cancel()
		return err
	case s.entry.Meta != nil:
		return s.entry.Close()
	}
	return nil
}

// Fill answers a cache miss for r.Key. Concurrent Fills of one key make
// one origin fetch (the first caller's r.Fetch); every caller, the first
// included, gets a Stream that reads the body while it arrives. Each caller
// may leave (ctx ends, or Close) without affecting the others or the fill,
// which completes and is stored unless it is uncacheable, fails, is too
// large for the tiers or is purged. Fill returns when the origin's headers
// are in, with the fetch error if the fetch failed (shared by all waiters),
// or with ctx's cause if ctx ends first.
func (c *Cache) Fill(ctx context.Context, r *FillRequest) (*Stream, error) {
	var f *fill
	for try := 0; ; try++ {
		// A fill may have completed between the caller's Lookup and now:
		// fills store before they leave inflight, and every departure bumps
		// c.finished, so a miss here followed by an unchanged counter under
		// c.mu means nothing was stored meanwhile. (Bounded retries: a
		// busy cache only risks a duplicate fetch, never a wrong answer.)
		seen := c.finished.Load()
		if e, ok := c.lookup(r.Key); ok {
			return &Stream{Meta: e.Meta, Shared: true, entry: e}, nil
		}
		c.mu.Lock()
		f = c.inflight[r.Key]
		if f != nil || c.finished.Load() == seen || try == 2 {
			break
		}
		c.mu.Unlock()
	}
	leader := f == nil
	if leader {
		f = &fill{c: c, key: r.Key, distID: r.DistID, path: r.Path}
		f.readers, f.chunks = f.firstReader[:0], f.firstChunk[:0]
		c.inflight[r.Key] = f
	}
	var s *Stream
	if leader {
		s = &f.leader
		s.f = f
	} else {
		s = &Stream{f: f, Shared: true}
	}
	f.mu.Lock()
	f.readers = append(f.readers, s)
	f.mu.Unlock()
	c.mu.Unlock()

	if leader {
		c.fills.Add(1)
		timeout := r.Timeout
		if timeout <= 0 {
			timeout = c.timeout
		}
		f.ctx = fillContext{values: ctx, deadline: time.Now().Add(timeout)}
		if !r.OnCaller {
			go c.run(f, r.Fetch)
		} else if c.runHead(f, r.Fetch) {
			if f.meta.Size >= 0 && f.meta.Size <= inlineBody {
				c.runBody(f)
			} else {
				go c.runBody(f)
			}
		}
	} else {
		c.joins.Add(1)
	}
	if leader && r.OnCaller {
		// The headers are in (published): no wait, whose ctx.Done
		// would allocate the viewer context's channel.
		if ctx.Err() != nil {
			s.Close()
			return nil, context.Cause(ctx)
		}
	} else {
		if err := f.waitPublished(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if f.err != nil {
		s.Close()
		return nil, f.err
	}
	if !f.cacheable && !leader {
		s.Close()
		c.alone.Add(1)
		return c.fetchAlone(ctx, r)
	}
	s.Meta = &f.meta
	// Reads of a body that is all in never wait, so they need no watch
	// on ctx: a small body usually is by now, and the watch (a child
	// registered on the viewer's context) is most of a miss's context
	// garbage.
	f.mu.Lock()
	done := f.done
	f.mu.Unlock()
	if !done {
		s.stop = context.AfterFunc(ctx, func() { f.detach(s, context.Cause(ctx)) })
	}
	return s, nil
}

type fillContextKey struct{}

// fillContext is the context a collapsed fill's Fetch runs on: the
// viewer's values without its cancellation (as context.WithoutCancel,
// without allocating one), marked as a fill's (IsFillContext), ending at its deadline or when the
// fill is over. It is context.WithTimeout without the timer until
// something asks for Done: the plain-HTTP origin client bounds its I/O
// by the deadline and never does, and the timer and the three contexts
// WithTimeout(WithValue(WithoutCancel(ctx))) cost were a twelfth of a
// miss's allocations.
type fillContext struct {
	values   context.Context // the viewer's context, for its values only
	deadline time.Time

	mu    sync.Mutex
	done  chan struct{} // made by the first Done
	timer *time.Timer   // closes done at the deadline
	err   error
}

func (c *fillContext) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *fillContext) Value(key any) any {
	if key == (fillContextKey{}) {
		return true
	}
	return c.values.Value(key)
}

func (c *fillContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		switch {
		case c.err != nil:
			close(c.done)
		case c.expiredLocked(): // closed it
		default:
			c.timer = time.AfterFunc(time.Until(c.deadline), c.expire)
		}
	}
	return c.done
}

func (c *fillContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.expiredLocked()
	}
	return c.err
}

// expiredLocked ends c if its deadline has passed, and reports whether
// it has.
func (c *fillContext) expiredLocked() bool {
	if time.Now().Before(c.deadline) {
		return false
	}
	c.endLocked(context.DeadlineExceeded)
	return true
}

func (c *fillContext) expire() {
	c.mu.Lock()
	c.endLocked(context.DeadlineExceeded)
	c.mu.Unlock()
}

// cancel ends c once the fill is over.
func (c *fillContext) cancel() {
	c.mu.Lock()
	c.endLocked(context.Canceled)
	c.mu.Unlock()
}

func (c *fillContext) endLocked(err error) {
	if c.err != nil {
		return
	}
	c.err = err
	if c.done != nil {
		close(c.done)
	}
	if c.timer != nil {
		c.timer.Stop()
	}
}

func (c *fillContext) String() string { return "cache.fillContext" }

// IsFillContext reports whether ctx is the context a collapsed fill's
// Fetch runs on (or one derived from it): detached from every viewer, it
// ends only at its deadline (FillRequest.Timeout) or once the fill is
// over, so a fetch may bound its I/O by that deadline instead of
// watching ctx for cancellation.
func IsFillContext(ctx context.Context) bool { return ctx.Value(fillContextKey{}) != nil }

// fetchAlone runs r.Fetch for this caller only, on its own context.
func (c *Cache) fetchAlone(ctx context.Context, r *FillRequest) (*Stream, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = c.timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	res, err := r.Fetch(ctx)
	if err == nil && res == nil {
		err = errors.New("cache: fetch returned no result")
	}
	if err != nil {
		cancel()
		return nil, err
	}
	body := res.Body
	if body == nil {
		body = http.NoBody
	}
	m := new(Meta)
	c.setMeta(m, r.DistID, r.Path, res)
	return &Stream{Meta: m, body: body, cancel: cancel}, nil
}

func (c *Cache) setMeta(m *Meta, distID, path string, res *FetchResult) {
	size := res.Size
	if size < 0 {
		size = -1
	}
	*m = Meta{
		DistID:   distID,
		Path:     path,
		Status:   res.Status,
		Header:   MakeHeader(res.Header),
		StoredAt: InstantOf(c.now().Add(-max(res.Age, 0))),
		Expires:  InstantOf(res.Expires),
		Size:     size,
	}
}

// fillMode says where a fill keeps the body while it streams.
type fillMode int

const (
	// modeMemory: in chunks, stored in the memory tier at the end.
	modeMemory fillMode = iota
	// modeSpool: in a disk-tier spool, committed at the end.
	modeSpool
	// modeWindow: in chunks that are dropped once every reader has read
	// them; not stored (uncacheable, or too large without a disk tier).
	modeWindow
)

// fill is one origin fetch and the fan-out of its body to its readers.
//
// The writer (run) appends body bytes and publishes the new length n under
// mu; readers copy bytes below n and wait on wake for more. Bytes below n
// are never modified, so a reader's copy cannot race with the writer.
type fill struct {
	c                 *Cache
	key, distID, path string
	purged            atomic.Bool

	// published is set (under mu, with a broadcast) once meta,
	// cacheable and err are; they are read only after that
	// (waitPublished). meta is allocated with the fill (576 bytes in one
	// object rather than 512 and 80 in two): the streams that are handed
	// &meta hold the fill anyway, and a fill is never reused.
	meta      Meta
	cacheable bool
	published bool
	err       error

	mu      sync.Mutex
	wake    chan struct{} // closed and cleared on every change; nil when nobody waits
	readers []*Stream
	mode    fillMode
	chunk   int64    // capacity of every chunk but the last (memory, window)
	chunks  [][]byte // body bytes [base, n), each chunk full except the last
	base    int64
	spool   Spool // modeSpool, or window mode after a failed spool write
	// spoolEnd is set when a spool write fails (disk full, I/O error): the
	// bytes below it are read from the spool, the rest from chunks.
	spoolEnd int64
	n        int64 // body bytes written so far
	done     bool  // body complete or failed (bodyErr)
	bodyErr  error
	over     bool // no longer joinable and stored, if it will be; spool closes with the last reader

	// Allocated with the fill: the leader's stream and context, the first
	// reader and chunk (a small miss has one of each).
	leader      Stream
	ctx         fillContext
	firstReader [1]*Stream
	firstChunk  [1][]byte
	body        io.ReadCloser // the origin's, between runHead and runBody
}

// waitPublished waits until the fill's result is published, or returns
// ctx's cause if ctx ends first.
func (f *fill) waitPublished(ctx context.Context) error {
	for {
		f.mu.Lock()
		if f.published {
			f.mu.Unlock()
			return nil
		}
		ch := f.waitLocked()
		f.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// publish makes meta, cacheable and err visible to the waiters.
func (f *fill) publish() {
	f.mu.Lock()
	f.published = true
	f.broadcastLocked()
	f.mu.Unlock()
}

// waitLocked returns a channel that is closed on the next change.
func (f *fill) waitLocked() <-chan struct{} {
	if f.wake == nil {
		f.wake = make(chan struct{})
	}
	return f.wake
}

func (f *fill) broadcastLocked() {
	if f.wake != nil {
		close(f.wake)
		f.wake = nil
	}
}

// read serves Stream.Read for a stream following f.
func (f *fill) read(s *Stream, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	f.mu.Lock()
	for {
		if s.err != nil {
			f.mu.Unlock()
			return 0, s.err
		}
		if s.pos < f.n {
			break
		}
		if f.done {
			err := f.bodyErr
			if err == nil {
				err = io.EOF
			}
			f.mu.Unlock()
			return 0, err
		}
		ch := f.waitLocked()
		f.mu.Unlock()
		<-ch
		f.mu.Lock()
	}
	avail := f.n - s.pos
	if int64(len(p)) > avail {
		p = p[:avail]
	}
	if f.mode == modeSpool || s.pos < f.spoolEnd {
		if s.pos < f.spoolEnd && int64(len(p)) > f.spoolEnd-s.pos {
			p = p[:f.spoolEnd-s.pos]
		}
		sp := f.spool // stays open while s is a reader
		f.mu.Unlock()
		n, err := sp.ReadAt(p, s.pos)
		if n < len(p) && err == nil {
			err = io.ErrUnexpectedEOF
		}
		f.mu.Lock()
		s.pos += int64(n)
		if f.mode == modeWindow {
			f.broadcastLocked() // the writer may wait for readers to move on
		}
		f.mu.Unlock()
		if err != nil && !errors.Is(err, io.EOF) {
			return n, fmt.Errorf("cache: read spool: %w", err)
		}
		return n, nil
	}
	rel := s.pos - f.base
	c := f.chunks[rel/f.chunk]
	n := copy(p, c[rel%f.chunk:])
	s.pos += int64(n)
	if f.mode == modeWindow {
		f.broadcastLocked() // the writer may wait for readers to move on
	}
	f.mu.Unlock()
	return n, nil
}

// detach removes s from f's readers; cause becomes s's error.
func (f *fill) detach(s *Stream, cause error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s.err != nil {
		return
	}
	s.err = cause
	for i, r := range f.readers {
		if r == s {
			last := len(f.readers) - 1
			f.readers[i] = f.readers[last]
			f.readers[last] = nil
			f.readers = f.readers[:last]
			break
		}
	}
	f.broadcastLocked()
	f.releaseLocked()
}

// releaseLocked closes the spool once the fill is over and unread.
func (f *fill) releaseLocked() {
	if f.over && len(f.readers) == 0 && f.spool != nil {
		_ = f.spool.Close()
		f.spool = nil
	}
}

// forget makes f unjoinable: new requests for its key start a new fill.
func (c *Cache) forget(f *fill) {
	c.mu.Lock()
	if c.inflight[f.key] == f {
		delete(c.inflight, f.key)
		c.finished.Add(1)
	}
	c.mu.Unlock()
}

// run performs the fetch of fill f and copies its body.
func (c *Cache) run(f *fill, fetch func(context.Context) (*FetchResult, error)) {
	if c.runHead(f, fetch) {
		c.runBody(f)
	}
}

// runHead performs the fetch of fill f and publishes its result;
// it reports whether there is a body to copy (runBody). A fetch that
// panics fails the fill first, so that its waiters do not wait forever.
func (c *Cache) runHead(f *fill, fetch func(context.Context) (*FetchResult, error)) bool {
	ctx := &f.ctx
	defer func() {
		f.mu.Lock()
		published := f.published
		f.mu.Unlock()
		if !published {
			if f.body != nil {
				f.body.Close()
			}
			c.fail(f, errFetchPanicked)
		}
	}()
	res, err := fetch(ctx)
	if err == nil && res == nil {
		err = errors.New("cache: fetch returned no result")
	}
	if err != nil {
		c.fail(f, err)
		return false
	}
	f.body = res.Body
	if f.body == nil {
		f.body = http.NoBody
	}

	c.setMeta(&f.meta, f.distID, f.path, res)
	f.cacheable = res.Cacheable
	size := f.meta.Size
	// The spool is made before f.mu is taken: nothing that may panic runs
	// under it (the deferred publish takes it).
	var spool Spool
	var spoolErr error
	if res.Cacheable && size > c.maxMem && c.disk != nil {
		spool, spoolErr = c.disk.Create(f.key)
	}
	f.mu.Lock()
	f.chunk = chunkSize
	switch {
	case !res.Cacheable:
		f.mode = modeWindow
	case size >= 0 && size <= c.maxMem:
		f.mode = modeMemory
		f.chunk = max(size, 1) // one chunk holds the whole body
	case size > c.maxMem && c.disk != nil:
		if spoolErr == nil {
			f.mode, f.spool = modeSpool, spool
		} else {
			f.mode = modeWindow
		}
	case size < 0:
		f.mode = modeMemory // until it grows past maxMem
	default:
		f.mode = modeWindow // too large for memory, no disk tier
	}
	window := f.mode == modeWindow
	f.mu.Unlock()
	if window {
		c.forget(f) // its early bytes will be dropped: nobody else may join
	}
	f.publish()
	return true
}

// fail ends fill f with err before it has a body: nobody joins it any
// more, its waiters get err, its fetch context ends.
func (c *Cache) fail(f *fill, err error) {
	c.forget(f)
	f.err = err
	f.publish()
	f.ctx.cancel()
}

// errFetchPanicked is the error of a fill whose fetch panicked.
var errFetchPanicked = errors.New("cache: fetch panicked")

// runBody copies the body of fill f and stores it.
func (c *Cache) runBody(f *fill) {
	defer f.ctx.cancel()
	defer f.body.Close()
	err := f.copyBody(&f.ctx, f.body, f.meta.Size)

	f.mu.Lock()
	f.done = true
	f.bodyErr = err
	f.broadcastLocked()
	f.mu.Unlock()

	if err == nil {
		c.store(f)
	}
	c.forget(f)
	f.mu.Lock()
	f.over = true
	f.releaseLocked()
	f.mu.Unlock()
}

// store saves a complete body in its tier, unless a purge matched it.
func (c *Cache) store(f *fill) {
	// The tiers copy m (Storage.Put, Spool.Commit) and only read it, so
	// the published meta, which readers share, is passed as it is when its
	// size is the body's: a body of known length (copyBody checks it).
	m := &f.meta
	if m.Size != f.n {
		sized := *m // unknown length: the copy that says it
		sized.Size = f.n
		m = &sized
	}
	c.commitMu.RLock()
	defer c.commitMu.RUnlock()
	if f.purged.Load() || f.mode == modeWindow {
		c.dropped.Add(1)
		return
	}
	var err error
	switch f.mode {
	case modeMemory:
		// A body of known length arrived in one exact chunk; keep it. One
		// of unknown length is in read chunks with spare capacity (a whole
		// chunk for a small body): keep an exact copy instead, the memory
		// tier holds it for as long as the object is cached.
		var body []byte
		if len(f.chunks) == 1 && len(f.chunks[0]) == cap(f.chunks[0]) {
			body = f.chunks[0]
		} else {
			body = make([]byte, 0, f.n)
			for _, ch := range f.chunks {
				body = append(body, ch...)
			}
		}
		err = c.mem.Put(f.key, m, body)
		if c.disk != nil {
			// Write through, so small objects survive memory eviction and
			// restarts; a disk hit promotes them back.
			err = errors.Join(err, c.disk.Put(f.key, m, body))
		}
	case modeSpool:
		err = f.spool.Commit(m)
	}
	if err != nil {
		c.dropped.Add(1)
	}
}

// copyBody reads the origin body into f until EOF, or until size bytes
// when size is known.
func (f *fill) copyBody(ctx context.Context, body io.Reader, size int64) error {
	var scratch []byte // modeSpool read buffer
	for {
		if size >= 0 && f.n >= size { // only this goroutine writes f.n
			return nil
		}
		if f.mode == modeMemory && size < 0 && f.n+f.chunk > f.c.maxMem {
			f.outgrow()
		}
		buf, err := f.next(ctx, size, &scratch)
		if err != nil {
			return err
		}
		k, rerr := body.Read(buf)
		if k > 0 {
			f.append(buf[:k], size)
		}
		if errors.Is(rerr, io.EOF) {
			if size >= 0 && f.n != size {
				return io.ErrUnexpectedEOF
			}
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("cache: read origin body: %w", rerr)
		}
	}
}

// errNoReaders ends a fill that is not stored once nobody reads it.
var errNoReaders = errors.New("cache: fill abandoned by all readers")

// next returns the buffer the next origin read goes into: free space in
// the last chunk, or the spool scratch buffer. In window mode it drops
// chunks every reader has passed and waits while the slowest reader is a
// window behind.
func (f *fill) next(ctx context.Context, size int64, scratch *[]byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.mode == modeSpool {
		if *scratch == nil {
			*scratch = make([]byte, chunkSize)
		}
		return *scratch, nil
	}
	for f.mode == modeWindow {
		if len(f.readers) == 0 {
			return nil, errNoReaders
		}
		slowest := f.readers[0].pos
		for _, r := range f.readers[1:] {
			slowest = min(slowest, r.pos)
		}
		for len(f.chunks) > 1 && f.base+f.chunk <= slowest {
			f.chunks[0] = nil
			f.chunks = f.chunks[1:]
			f.base += f.chunk
		}
		if f.n-slowest < window {
			break
		}
		ch := f.waitLocked()
		f.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			f.mu.Lock()
			return nil, context.Cause(ctx)
		}
		f.mu.Lock()
	}
	if len(f.chunks) > 0 {
		last := f.chunks[len(f.chunks)-1]
		if len(last) < cap(last) {
			return last[len(last):cap(last)], nil
		}
	}
	want := f.chunk
	if size >= 0 {
		want = min(want, size-f.n)
	}
	f.chunks = append(f.chunks, make([]byte, 0, want))
	return f.chunks[len(f.chunks)-1][:want], nil
}

// outgrow moves a memory fill of unknown length that reached maxMem to a
// disk spool, or, without one, to window mode (not stored). Only the
// writer calls it; the chunks it copies are complete and never change.
func (f *fill) outgrow() {
	if d := f.c.disk; d != nil {
		if sp, err := d.Create(f.key); err == nil {
			var werr error
			for _, ch := range f.chunks {
				if _, werr = sp.Write(ch); werr != nil {
					break
				}
			}
			if werr == nil {
				f.mu.Lock()
				f.mode, f.spool, f.chunks = modeSpool, sp, nil
				f.mu.Unlock()
				return
			}
			_ = sp.Close()
		}
	}
	// Unjoinable first: once in window mode, early chunks may be dropped.
	f.c.forget(f)
	f.mu.Lock()
	f.mode = modeWindow
	f.mu.Unlock()
}

// append publishes bytes just read into the buffer next returned. A
// failed spool write does not end the fill: see spoolFailed.
func (f *fill) append(p []byte, size int64) {
	if f.mode == modeSpool { // only this goroutine changes mode
		if _, err := f.spool.Write(p); err != nil {
			f.spoolFailed(p, size)
			return
		}
		f.mu.Lock()
	} else {
		f.mu.Lock()
		i := len(f.chunks) - 1
		f.chunks[i] = f.chunks[i][:len(f.chunks[i])+len(p)]
	}
	f.n += int64(len(p))
	f.broadcastLocked()
	f.mu.Unlock()
}

// spoolFailed handles a disk-tier write error (disk full, I/O error) in
// the middle of a body: the object will not be stored, but its readers
// still get the whole body from the origin. The fill goes to window mode:
// the bytes already in the spool stay readable there (below spoolEnd), p
// and the rest of the body stream through chunks, and nobody new may join
// (they would need bytes the window drops). p is the scratch buffer, no
// larger than a chunk.
func (f *fill) spoolFailed(p []byte, size int64) {
	f.c.forget(f)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode = modeWindow
	f.spoolEnd, f.base = f.n, f.n
	want := f.chunk
	if size >= 0 {
		want = min(want, size-f.n)
	}
	f.chunks = [][]byte{append(make([]byte, 0, max(want, int64(len(p)))), p...)}
	f.n += int64(len(p))
	f.broadcastLocked()
}
