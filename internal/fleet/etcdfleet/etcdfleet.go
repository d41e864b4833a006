// Package etcdfleet is the fleet registry of a multi-node cluster: each
// edge node keeps its applied revision in etcd under a lease, and the
// control plane reads the lowest one among the keys still alive. It keeps
// fleet.Local's contract (Report, Leave, AppliedRevision) across processes,
// and it is a package of its own so that fleet and its importers do not
// pull in the etcd client.
//
// # Keys
//
//	<prefix>edges/<node>   decimal applied revision, attached to the node's lease
//
// The prefix is the store's (etcdstore.Options.Prefix, "/openfront/" by
// default) but the keys are outside the store's key space (<prefix>kv/), so
// the store's Watch never delivers them. That matters: a report is an etcd
// write, so it bumps etcd's revision; if the snapshot watcher saw reports as
// changes, every edge would report the revision of every other edge's
// report, for ever. AppliedRevision is still right: an edge reports the
// revision of the last store change it applied (or a later revision it
// loaded at), and control compares the store's ModRevisions against it.
//
// # Liveness
//
// A Fleet grants one lease (Options.TTL, whole seconds, etcd's minimum is a
// few election timeouts) on its first Report and keeps it alive from a
// goroutine; all nodes it reports for are attached to it. When the process
// dies, the lease expires after the TTL and its keys vanish, so a dead edge
// stops blocking Deployed and Completed. When the lease is lost while the
// process lives (a partition longer than the TTL), the Fleet grants a new
// one and reports again the last revision of each node. Close revokes the
// lease, so a cleanly stopped edge drops out at once.
package etcdfleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Defaults for the zero Options.
const (
	DefaultPrefix = "/openfront/"
	DefaultTTL    = 10 * time.Second
)

// readTimeout bounds AppliedRevision's read (a healthy etcd answers in
// milliseconds).
const readTimeout = 2 * time.Second

// Options tune a Fleet. The zero value is ready to use.
type Options struct {
	// Prefix is the key prefix, the same as the store's; "" means
	// DefaultPrefix.
	Prefix string
	// TTL is the lease's time to live: how long a dead edge keeps blocking.
	// It is rounded up to whole seconds; 0 means DefaultTTL.
	TTL time.Duration
	// Log receives lease trouble; nil means slog.Default().
	Log *slog.Logger
}

// Fleet reports this process's edges and reads everyone's. It is safe for
// concurrent use.
type Fleet struct {
	client *clientv3.Client
	prefix string // <Prefix>edges/
	ttl    int64  // seconds
	log    *slog.Logger

	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex // serialises writes; guards the fields below
	lease clientv3.LeaseID
	last  map[string]int64 // node -> last reported revision
}

// New returns a Fleet over an etcd client it does not own (Close leaves it
// open).
func New(c *clientv3.Client, opts Options) *Fleet {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Fleet{
		client: c,
		prefix: opts.Prefix + "edges/",
		ttl:    int64(math.Ceil(opts.TTL.Seconds())),
		log:    opts.Log,
		ctx:    ctx,
		cancel: cancel,
		last:   map[string]int64{},
	}
}

// Key is the etcd key of node's report.
func (f *Fleet) Key(node string) string { return f.prefix + node }

// errClosed is returned by Report after Close.
var errClosed = errors.New("fleet: closed")

// Report records that node has applied the revision. It retries, with
// backoff, until etcd takes the report or ctx ends: an edge that cannot
// report keeps serving, and its older report keeps control waiting, which is
// the safe side; giving up would stop the edge's snapshot watcher.
func (f *Fleet) Report(ctx context.Context, node string, applied int64) error {
	backoff := 100 * time.Millisecond
	for {
		err := f.report(ctx, node, applied)
		if err == nil || errors.Is(err, errClosed) || ctx.Err() != nil {
			return err
		}
		f.log.Warn("fleet: report failed; retrying", "node", node, "revision", applied, "err", err, "retry_in", backoff)
		select {
		case <-time.After(backoff):
			backoff = min(2*backoff, 5*time.Second)
		case <-ctx.Done():
			return fmt.Errorf("%w (after: %w)", ctx.Err(), err)
		case <-f.ctx.Done():
			return errClosed
		}
	}
}

func (f *Fleet) report(ctx context.Context, node string, applied int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctx.Err() != nil {
		return errClosed
	}
	f.last[node] = applied
	return f.putLocked(ctx, node, applied)
}

// putLocked writes node's report under the lease, granting a new lease when
// there is none or etcd has forgotten it.
func (f *Fleet) putLocked(ctx context.Context, node string, applied int64) error {
	for attempt := 0; ; attempt++ {
		id, err := f.leaseLocked(ctx)
		if err != nil {
			return fmt.Errorf("fleet: report %s: %w", node, err)
		}
		_, err = f.client.Put(ctx, f.Key(node), strconv.FormatInt(applied, 10), clientv3.WithLease(id))
		if errors.Is(err, rpctypes.ErrLeaseNotFound) && attempt == 0 {
			f.lease = 0 // expired under us: take a new one
			continue
		}
		if err != nil {
			return fmt.Errorf("fleet: report %s: %w", node, err)
		}
		return nil
	}
}

// leaseLocked returns the live lease, granting it (and starting its
// keep-alive) when needed.
func (f *Fleet) leaseLocked(ctx context.Context) (clientv3.LeaseID, error) {
	if f.lease != 0 {
		return f.lease, nil
	}
	g, err := f.client.Grant(ctx, f.ttl)
	if err != nil {
		return 0, fmt.Errorf("grant lease: %w", err)
	}
	ch, err := f.client.KeepAlive(f.ctx, g.ID)
	if err != nil {
		return 0, fmt.Errorf("keep lease alive: %w", err)
	}
	f.lease = g.ID
	f.wg.Add(1)
	go f.keepAlive(g.ID, ch)
	return g.ID, nil
}

// keepAlive drains the lease's keep-alive responses. The channel closes when
// the lease is gone (expired, revoked) or the Fleet closes; in the first
// case the last reports are written again under a new lease.
func (f *Fleet) keepAlive(id clientv3.LeaseID, ch <-chan *clientv3.LeaseKeepAliveResponse) {
	defer f.wg.Done()
	for range ch {
	}
	if f.ctx.Err() != nil {
		return
	}
	f.log.Warn("fleet: edge lease lost; reporting again under a new one", "lease", int64(id))
	backoff := 100 * time.Millisecond
	for {
		if f.reportAgain(id) {
			return
		}
		select {
		case <-time.After(backoff):
			backoff = min(2*backoff, 5*time.Second)
		case <-f.ctx.Done():
			return
		}
	}
}

// reportAgain rewrites every node's last report under a new lease; it is
// done when that worked, or when lease lost is no longer the current one.
func (f *Fleet) reportAgain(lost clientv3.LeaseID) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctx.Err() != nil || f.lease != lost && f.lease != 0 {
		return true // closed, or a Report already moved to a new lease
	}
	f.lease = 0
	ctx, cancel := context.WithTimeout(f.ctx, 5*time.Second)
	defer cancel()
	for node, rev := range f.last {
		if err := f.putLocked(ctx, node, rev); err != nil {
			f.log.Warn("fleet: report again", "node", node, "err", err)
			return false
		}
	}
	return true
}

// Leave removes node's report (an edge stopping cleanly).
func (f *Fleet) Leave(ctx context.Context, node string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.last, node)
	if _, err := f.client.Delete(ctx, f.Key(node)); err != nil {
		f.log.Warn("fleet: leave", "node", node, "err", err)
	}
}

// AppliedRevision is the lowest revision reported by every live node; ok
// is false when no node is live. When etcd cannot be read it answers 0 with
// ok true, "nothing is applied yet", which keeps a status InProgress rather
// than claim a deployment nobody confirmed.
func (f *Fleet) AppliedRevision(ctx context.Context) (int64, bool) {
	// Bounded, so an API request does not wait on an unreachable etcd here
	// before its store call answers 503.
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	resp, err := f.client.Get(ctx, f.prefix, clientv3.WithPrefix())
	if err != nil {
		f.log.Warn("fleet: read edge reports", "err", err)
		return 0, true
	}
	min, ok := int64(0), false
	for _, kv := range resp.Kvs {
		rev, err := strconv.ParseInt(string(kv.Value), 10, 64)
		if err != nil {
			f.log.Warn("fleet: bad edge report", "key", string(kv.Key), "value", string(kv.Value))
			rev = 0 // blocks, rather than letting a broken edge pass as done
		}
		if !ok || rev < min {
			min, ok = rev, true
		}
	}
	return min, ok
}

// Nodes returns the live nodes and their applied revisions (diagnostics).
func (f *Fleet) Nodes(ctx context.Context) (map[string]int64, error) {
	resp, err := f.client.Get(ctx, f.prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, kv := range resp.Kvs {
		rev, _ := strconv.ParseInt(string(kv.Value), 10, 64)
		out[strings.TrimPrefix(string(kv.Key), f.prefix)] = rev
	}
	return out, nil
}

// Close stops the keep-alive and revokes the lease, so this process's nodes
// drop out at once. The client stays open.
func (f *Fleet) Close() error {
	f.mu.Lock()
	id := f.lease
	f.lease = 0
	f.cancel()
	f.mu.Unlock()
	f.wg.Wait()
	if id == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := f.client.Revoke(ctx, id); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return fmt.Errorf("fleet: revoke lease: %w", err)
	}
	return nil
}
