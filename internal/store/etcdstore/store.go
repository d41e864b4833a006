package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"openfront/internal/store"
)

// Defaults for the zero Options.
const (
	DefaultPrefix      = "/openfront/"
	DefaultDialTimeout = 5 * time.Second
	// DefaultMaxAttempts bounds how often Update runs fn when its commit
	// keeps losing to other writers.
	DefaultMaxAttempts = 20
	// DefaultRequestTimeout bounds one etcd round trip: a healthy etcd
	// answers in milliseconds, so waiting longer only delays the 503 an
	// API client gets while etcd is unreachable.
	DefaultRequestTimeout = 3 * time.Second
)

// ErrContention is returned by Update when its commit lost to other writers
// Options.MaxAttempts times in a row.
var ErrContention = errors.New("etcdstore: update kept conflicting with other writers")

// Options tune a Store. The zero value is ready to use.
type Options struct {
	// Prefix is put before every etcd key of the store (see the package
	// documentation for the layout). "" means DefaultPrefix. It should end
	// with "/".
	Prefix string
	// DialTimeout bounds Open's first connection. 0 means
	// DefaultDialTimeout.
	DialTimeout time.Duration
	// MaxAttempts bounds the runs of an Update's fn. 0 means
	// DefaultMaxAttempts.
	MaxAttempts int
	// CompactRetain, when positive, makes the store compact etcd after its
	// Updates so that only about the latest CompactRetain to
	// 2*CompactRetain revisions stay watchable. Compaction is cluster-wide:
	// for tests or a cluster this store has alone; production leaves it 0
	// and configures etcd's auto-compaction.
	CompactRetain int64
	// RequestTimeout bounds each etcd round trip of View and Update, so
	// that they fail with store.ErrUnavailable when etcd is down or
	// unreachable instead of waiting for the caller's context. 0 means
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Logger is the etcd client's logger; nil discards its logs.
	Logger *zap.Logger
}

// Store is a store.Store kept in etcd. It is safe for concurrent use.
type Store struct {
	client   *clientv3.Client
	kvPrefix string // <prefix>kv/
	lockKey  string // <prefix>lock
	attempts int
	retain   int64
	timeout  time.Duration // Options.RequestTimeout

	wmu       sync.Mutex // serialises this process's Updates
	compacted int64      // last revision this store compacted to; guarded by wmu

	mu   sync.Mutex
	done chan struct{} // closed by Close
}

// Open connects to the etcd cluster at endpoints and returns the store kept
// under opts.Prefix. It fails when no endpoint answers within
// opts.DialTimeout.
func Open(ctx context.Context, endpoints []string, opts Options) (*Store, error) {
	if len(endpoints) == 0 {
		return nil, errors.New("open etcd store: no endpoints")
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: opts.DialTimeout,
		Logger:      opts.Logger,
		Context:     context.WithoutCancel(ctx),
	})
	if err != nil {
		return nil, fmt.Errorf("open etcd store %s: %w", strings.Join(endpoints, ","), err)
	}
	s := &Store{
		client:   c,
		kvPrefix: opts.Prefix + "kv/",
		lockKey:  opts.Prefix + "lock",
		attempts: opts.MaxAttempts,
		retain:   opts.CompactRetain,
		timeout:  opts.RequestTimeout,
		done:     make(chan struct{}),
	}
	// clientv3.New does not wait for a connection: make sure the cluster
	// answers before saying the store is open.
	pctx, cancel := context.WithTimeout(ctx, opts.DialTimeout)
	defer cancel()
	if _, err := c.Get(pctx, s.lockKey, clientv3.WithKeysOnly()); err != nil {
		c.Close()
		return nil, fmt.Errorf("open etcd store %s: %w", strings.Join(endpoints, ","), err)
	}
	return s, nil
}

// Client is the store's etcd client, for other users of the same cluster
// (the fleet's edge reports). It is closed by Close.
func (s *Store) Client() *clientv3.Client { return s.client }

// View implements store.Store: fn reads the store at one revision.
func (s *Store) View(ctx context.Context, fn func(store.ReadTxn) error) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	r, _, err := s.begin(ctx)
	if err != nil {
		return s.mapErr(ctx, err)
	}
	defer r.end()
	return fn(r)
}

// begin reads the guard key, which fixes the read revision of a
// transaction, and returns the guard's ModRevision.
func (s *Store) begin(ctx context.Context) (*readTxn, int64, error) {
	cctx, cancel := s.callContext(ctx)
	defer cancel()
	resp, err := s.client.Get(cctx, s.lockKey, clientv3.WithKeysOnly())
	if err != nil {
		return nil, 0, err
	}
	var lockRev int64
	if len(resp.Kvs) > 0 {
		lockRev = resp.Kvs[0].ModRevision
	}
	return &readTxn{s: s, ctx: ctx, rev: resp.Header.Revision}, lockRev, nil
}

// errRetry marks a failure that a fresh run of Update's fn may not meet
// (the read revision was compacted under it).
var errRetry = errors.New("etcdstore: read revision compacted during the transaction")

// Update implements store.Store; see the package documentation. fn may run
// more than once.
func (s *Store) Update(ctx context.Context, fn func(store.Txn) error) (int64, error) {
	if err := s.usable(ctx); err != nil {
		return 0, err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	backoff := 5 * time.Millisecond
	for attempt := 1; ; attempt++ {
		if err := s.usable(ctx); err != nil {
			return 0, err
		}
		rev, done, err := s.try(ctx, fn)
		if done {
			if err == nil && rev > 0 {
				s.maybeCompact(ctx, rev)
			}
			return rev, err
		}
		if attempt >= s.attempts {
			return 0, ErrContention
		}
		// Jitter, so that writers on different nodes that keep colliding
		// spread out.
		d := backoff/2 + rand.N(backoff)
		backoff = min(2*backoff, 500*time.Millisecond)
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-s.done:
			return 0, store.ErrClosed
		}
	}
}

// try runs fn once and commits it. done is false when the commit lost to
// another writer and fn should run again.
func (s *Store) try(ctx context.Context, fn func(store.Txn) error) (rev int64, done bool, err error) {
	r, lockRev, err := s.begin(ctx)
	if err != nil {
		return 0, true, s.mapErr(ctx, err)
	}
	w := &writeTxn{readTxn: *r, index: map[string]int{}}
	fnErr := fn(w)
	w.end()
	if fnErr != nil {
		if errors.Is(fnErr, errRetry) {
			return 0, false, nil
		}
		return 0, true, fnErr
	}
	if err := ctx.Err(); err != nil {
		return 0, true, err
	}
	ops := w.ops()
	if len(ops) == 0 {
		return 0, true, nil
	}
	ops = append(ops, clientv3.OpPut(s.lockKey, ""))
	// A commit that times out may still have been applied: the caller
	// sees ErrUnavailable and retries, which CallerReference makes safe.
	cctx, cancel := s.callContext(ctx)
	defer cancel()
	resp, err := s.client.Txn(cctx).
		If(clientv3.Compare(clientv3.ModRevision(s.lockKey), "=", lockRev)).
		Then(ops...).
		Commit()
	if err != nil {
		return 0, true, fmt.Errorf("update: %w", s.mapErr(ctx, err))
	}
	if !resp.Succeeded {
		return 0, false, nil
	}
	return resp.Header.Revision, true, nil
}

// maybeCompact compacts etcd when Options.CompactRetain asks for it: after
// it, the oldest watchable revision is above rev-2*retain and at most
// rev-retain.
func (s *Store) maybeCompact(ctx context.Context, rev int64) {
	if s.retain <= 0 {
		return
	}
	target := rev - s.retain
	if target-s.compacted < s.retain {
		return
	}
	cctx, cancel := s.callContext(ctx)
	defer cancel()
	if _, err := s.client.Compact(cctx, target); err != nil && !errors.Is(err, rpctypes.ErrCompacted) {
		return // the next Update tries again
	}
	s.compacted = target
}

// Close implements store.Store: it ends every watch and closes the client.
func (s *Store) Close() error {
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		return store.ErrClosed
	default:
	}
	close(s.done)
	s.mu.Unlock()
	// Watches see done (or their etcd channel close) and end by themselves;
	// one whose consumer does not read must not hold up Close.
	if err := s.client.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("close etcd store: %w", err)
	}
	return nil
}

// usable returns ErrClosed after Close, else ctx's error.
func (s *Store) usable(ctx context.Context) error {
	if s.closed() {
		return store.ErrClosed
	}
	return ctx.Err()
}

func (s *Store) closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// callContext bounds one etcd round trip by Options.RequestTimeout.
func (s *Store) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// mapErr turns the client's errors into the store's: ErrClosed after
// Close, the context's own error, ErrCompacted, and ErrUnavailable when
// etcd did not answer within RequestTimeout (down, hung, partitioned away),
// said it cannot serve (no leader, its own timeout) or the connection
// failed under the call (connectionLost). ctx is the caller's context, not
// the round trip's.
func (s *Store) mapErr(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case s.closed():
		return store.ErrClosed
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, rpctypes.ErrCompacted):
		return fmt.Errorf("%w: %v", store.ErrCompacted, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, rpctypes.ErrNoLeader), errors.Is(err, rpctypes.ErrTimeout),
		errors.Is(err, rpctypes.ErrTimeoutDueToLeaderFail), errors.Is(err, rpctypes.ErrTimeoutDueToConnectionLost),
		errors.Is(err, rpctypes.ErrLeaderChanged):
		return fmt.Errorf("%w: etcd did not answer within %v: %v", store.ErrUnavailable, s.timeout, err)
	case connectionLost(err):
		return fmt.Errorf("%w: etcd connection failed: %v", store.ErrUnavailable, err)
	}
	return err
}

// connectionLost reports whether err is how the client says that the
// connection to etcd failed under a call, once mapErr has ruled out the
// caller's context: a gRPC status Unavailable (refused, reset by peer, or
// closed by the server: "error reading from server: EOF"; a write in
// flight when etcd is killed gets one), DeadlineExceeded or Canceled (the
// client turns these into the round trip's context error when that
// context ended, so here they are the transport's), or an io.EOF from a
// closed connection. A commit that failed so may still have been applied,
// as after a timeout (see try).
func connectionLost(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

var _ store.Store = (*Store)(nil)
