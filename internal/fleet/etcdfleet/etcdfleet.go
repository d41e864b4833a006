// Package etcdfleet is the fleet registry of a multi-node cluster: each
// edge process keeps its applied revision in etcd under a lease, and the
// control plane reads the lowest one among the keys still alive. It keeps
// fleet.Local's contract (Report, Leave, AppliedRevision) across processes,
// and it is a package of its own so that fleet and its importers do not
// pull in the etcd client.
//
// # Keys
//
//	<prefix>edges/<node>/<lease>   decimal applied revision, attached to the lease
//	<prefix>edges/<node>           the same, written by versions before the lease suffix
//
// <lease> is the process's lease ID in hex: its incarnation. Two processes
// started with the same node name (a mistake, or an edge restarted after
// SIGKILL while its predecessor's lease still runs) write two keys, so each
// is counted on its own and neither can overwrite or delete the other's
// report; the second logs a warning at its first report. A key is read as
// the new form only when its last segment is the hex of the lease it is
// attached to, so node names may contain slashes and old keys stay
// readable (as reports of the node named by the rest of the key).
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
// few election timeouts) on its first Report and renews it every third of
// its TTL from a goroutine; all nodes it reports for are attached to it.
// When the process dies, the lease expires after the TTL and its keys
// vanish, so a dead edge stops blocking Deployed and Completed. When the
// lease is lost while the process lives (a partition or a pause longer than
// the TTL), the Fleet grants a new one and reports again the last revision
// of each node. Close revokes the lease, so a cleanly stopped edge drops
// out at once.
//
// # Fence
//
// An edge the fleet no longer counts should not serve: Deployed and
// Completed are computed without it. But an edge that merely cannot reach
// etcd cannot tell an etcd outage (the whole fleet is stuck, the API
// answers 503, nothing changes: serving what it has is right) from a
// partition that cut off only itself (the fleet goes on without it once
// its lease expires). The project's promise is that edges keep serving
// through an etcd outage of any length, so the Fleet fences the edge
// (Fence, a fleet.Fence the edge consults before answering a viewer) only
// when it knows it has been away:
//
//   - etcd said the lease is gone (a keep-alive, report or traffic write
//     answered lease-not-found): the fence drops at once, a new lease is
//     granted, and the edge is fenced until it has caught up (below);
//   - the process itself did not run (SIGSTOP, a paused VM): a liveness
//     ticker (every TTL/8) moves the fence's deadline to half a TTL ahead
//     of now. A pause longer than that leaves the deadline behind: the
//     edge's first request after it (stamped with the connection loop's
//     clock, read after the request arrived) is refused, and the ticker,
//     seeing its deadline passed, holds the fence down until a keep-alive
//     sent after the pause is answered (the lease still runs: the fleet
//     counted the edge all along) or etcd says the lease is gone. While
//     etcd is healthy a renewal lands every TTL/3, so more than half a TTL
//     of lease is always left: a pause long enough to lose the lease is
//     always noticed.
//
// A keep-alive that fails for any other reason (etcd down, hung or out of
// reach) changes nothing: the edge keeps serving. The price is the
// partition of one edge: it serves what it has, possibly stale, while the
// fleet no longer counts it, until the partition heals; then etcd says its
// lease is gone and it refuses until it has caught up. The lease TTL
// (--edge-lease-ttl) bounds how long a dead or cut-off edge blocks status.
//
// A lease counts only once a report is attached to it and that report has
// reached the store's revision as it was when the lease's first report was
// written (the store's guard key, <prefix>lock, internal/store/etcdstore).
// An edge that comes back after being out reports its last revision again,
// which keeps Deployed and Completed InProgress until its snapshot watcher
// has caught up; until then it still refuses viewers, so an object
// invalidated while it was out is never served after Completed was seen.
//
// # Caveats
//
//   - Pause detection reads the monotonic clock: a pause it does not count
//     (Linux's CLOCK_MONOTONIC stops during system suspend) is noticed only
//     by the next keep-alive, due within a third of the TTL.
//   - A process starved of CPU for more than three eighths of the TTL
//     looks paused: it refuses viewers until its next keep-alive answers.
//   - Nodes and Traffic name a node's second live incarnation
//     "<node>#<lease>", so both stay visible.
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

	"openfront/internal/fleet"
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
	// Tick is the liveness ticker's source (package doc, "Fence"): it
	// returns a channel that delivers a value every period, and a stop
	// function. nil means time.NewTicker. Tests pass one they can pause,
	// to freeze the ticker alone.
	Tick func(period time.Duration) (ticks <-chan time.Time, stop func())
}

// Fleet reports this process's edges and reads everyone's. It is safe for
// concurrent use.
type Fleet struct {
	client  *clientv3.Client
	prefix  string // <Prefix>edges/
	lockKey string // <Prefix>lock, the store's guard key
	ttl     int64  // seconds
	log     *slog.Logger
	fence   *fleet.Fence
	tick    func(time.Duration) (<-chan time.Time, func())
	// kick asks the keep-alive goroutine to renew now: the liveness
	// ticker saw the process was paused.
	kick     chan struct{}
	liveOnce sync.Once // starts the liveness ticker with the first lease

	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex // serialises writes; guards the fields below
	lease clientv3.LeaseID
	last  map[string]report // node -> its last report
	// catchUp is the store revision the reports under lease must reach
	// before the lease counts (-1: not read yet; package doc, "Fence").
	catchUp int64

	// smu guards st; it is never held across an etcd call, so the
	// keep-alive goroutine records a renewal while a write waits on etcd.
	smu sync.Mutex
	st  standing
}

// report is a node's last report and the lease it was written under.
type report struct {
	applied int64
	lease   clientv3.LeaseID
}

// standing is what the Fleet knows of its lease and of its own liveness,
// for the fence (package doc, "Fence"). The fence is up until alive while
// armed and not suspect.
type standing struct {
	lease clientv3.LeaseID
	armed bool // lease carries every node's report, caught up
	// alive is the liveness deadline: the last tick plus half the TTL
	// (zero before the ticker started).
	alive time.Time
	// suspect, when not zero, is when the ticker saw alive passed: the
	// process did not run for a while, and stays fenced until a
	// keep-alive sent after then is answered or the lease is gone.
	suspect     time.Time
	unreachable bool // renewals fail (etcd out of reach), and that was logged
	counted     bool // the fence was last seen up
	out         bool // the fence went down while counted, and that was logged
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
	if opts.Tick == nil {
		opts.Tick = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Fleet{
		client:  c,
		prefix:  opts.Prefix + "edges/",
		lockKey: opts.Prefix + "lock",
		ttl:     int64(math.Ceil(opts.TTL.Seconds())),
		log:     opts.Log,
		fence:   fleet.NewFence(),
		tick:    opts.Tick,
		kick:    make(chan struct{}, 1),
		ctx:     ctx,
		cancel:  cancel,
		last:    map[string]report{},
		catchUp: -1,
	}
}

// Fence is this process's standing in the fleet: down while it knows it
// has been away (its lease gone, or the process paused) and until it is
// counted again and caught up (package doc, "Fence"). The edge refuses
// viewers while it is down.
func (f *Fleet) Fence() *fleet.Fence { return f.fence }

// Key is the etcd key of this process's report for node ("" when it has
// none).
func (f *Fleet) Key(node string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.last[node]
	if !ok || r.lease == 0 {
		return ""
	}
	return f.key(node, r.lease)
}

func (f *Fleet) key(node string, lease clientv3.LeaseID) string {
	return f.prefix + node + "/" + strconv.FormatInt(int64(lease), 16)
}

// nodeOf is the node of a key under prefix attached to lease: the key
// less its "/<lease in hex>" suffix, or all of it when it has none (the
// old form).
func nodeOf(rest string, lease int64) string {
	if i := strings.LastIndexByte(rest, '/'); i > 0 && lease != 0 {
		if id, err := strconv.ParseInt(rest[i+1:], 16, 64); err == nil && id == lease {
			return rest[:i]
		}
	}
	return rest
}

// errClosed is returned by Report after Close.
var errClosed = errors.New("fleet: closed")

// Report records that node has applied the revision. It retries, with
// backoff, until etcd takes the report or ctx ends: an edge that cannot
// report keeps its older report, which keeps control waiting, the safe
// side; giving up would stop the edge's snapshot watcher.
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
	_, known := f.last[node]
	f.last[node] = report{applied: applied, lease: f.last[node].lease}
	if err := f.putLocked(ctx, node, applied); err != nil {
		return err
	}
	if !known {
		f.warnTwinsLocked(ctx, node)
	}
	return nil
}

// putLocked writes node's report under the lease, granting a new lease when
// there is none or etcd has forgotten it, then arms the fence if the
// lease's reports have caught up.
func (f *Fleet) putLocked(ctx context.Context, node string, applied int64) error {
	for attempt := 0; ; attempt++ {
		id, err := f.leaseLocked(ctx)
		if err != nil {
			return fmt.Errorf("fleet: report %s: %w", node, err)
		}
		put := clientv3.OpPut(f.key(node, id), strconv.FormatInt(applied, 10), clientv3.WithLease(id))
		if f.catchUp < 0 {
			// The lease's first report: read the store's revision in
			// the same transaction (package doc, "Fence").
			var resp *clientv3.TxnResponse
			resp, err = f.client.Txn(ctx).Then(put, clientv3.OpGet(f.lockKey, clientv3.WithKeysOnly())).Commit()
			if err == nil {
				f.catchUp = 0
				if got := resp.Responses[1].GetResponseRange(); got != nil && len(got.Kvs) == 1 {
					f.catchUp = got.Kvs[0].ModRevision
				}
			}
		} else {
			_, err = f.client.Do(ctx, put)
		}
		if errors.Is(err, rpctypes.ErrLeaseNotFound) && attempt == 0 {
			f.dropLease(id, "the lease expired in etcd")
			f.lease = 0 // expired under us: take a new one
			continue
		}
		if err != nil {
			return fmt.Errorf("fleet: report %s: %w", node, err)
		}
		f.last[node] = report{applied: applied, lease: id}
		f.armLocked()
		return nil
	}
}

// armLocked arms the fence when every node's report is under the lease
// and has reached the catch-up revision.
func (f *Fleet) armLocked() {
	for _, r := range f.last {
		if r.lease != f.lease || r.applied < f.catchUp || f.catchUp < 0 {
			return
		}
	}
	f.smu.Lock()
	defer f.smu.Unlock()
	if f.st.lease != f.lease || f.st.armed || len(f.last) == 0 {
		return
	}
	f.st.armed = true
	f.raiseLocked(time.Now())
	f.settle(time.Now(), "")
}

// raiseLocked puts the fence up until the liveness deadline when the lease
// is armed and the process is not suspect; a deadline already passed is
// the ticker's to judge. Call with smu.
func (f *Fleet) raiseLocked(now time.Time) {
	if f.st.armed && f.st.suspect.IsZero() && now.Before(f.st.alive) {
		f.fence.CountUntil(f.st.alive)
	}
}

// warnTwinsLocked logs when another live incarnation reports under node's
// name: two processes started with the same --node-name, or this one
// restarted while its predecessor's lease runs out.
func (f *Fleet) warnTwinsLocked(ctx context.Context, node string) {
	resp, err := f.client.Get(ctx, f.prefix+node, clientv3.WithPrefix())
	if err != nil {
		return // a diagnostic: the report itself went through
	}
	for _, kv := range resp.Kvs {
		if nodeOf(strings.TrimPrefix(string(kv.Key), f.prefix), kv.Lease) == node && clientv3.LeaseID(kv.Lease) != f.lease {
			f.log.Warn("fleet: another live edge process reports under the same node name (two edges given one --node-name, or this edge's previous run whose lease has not expired yet); each is counted on its own lease",
				"node", node, "key", string(kv.Key), "lease", fmt.Sprintf("%x", f.lease))
			return
		}
	}
}

// leaseLocked returns the live lease, granting it (and starting its
// keep-alive) when needed.
func (f *Fleet) leaseLocked(ctx context.Context) (clientv3.LeaseID, error) {
	if f.lease != 0 {
		return f.lease, nil
	}
	f.liveOnce.Do(f.startLiveness)
	g, err := f.client.Grant(ctx, f.ttl)
	if err != nil {
		return 0, fmt.Errorf("grant lease: %w", err)
	}
	ttl := time.Duration(g.TTL) * time.Second
	f.lease, f.catchUp = g.ID, -1
	f.smu.Lock()
	f.st.lease, f.st.armed, f.st.suspect = g.ID, false, time.Time{}
	f.smu.Unlock()
	f.wg.Add(1)
	go f.keepAlive(g.ID, ttl)
	return g.ID, nil
}

// liveWindow is how far ahead of each tick the liveness deadline lies:
// half the TTL, less than the lease left after any renewal (package doc,
// "Fence").
func (f *Fleet) liveWindow() time.Duration { return time.Duration(f.ttl) * time.Second / 2 }

// startLiveness starts the liveness ticker, with the first lease: a Fleet
// that only reads (an API node) has none.
func (f *Fleet) startLiveness() {
	f.smu.Lock()
	f.st.alive = time.Now().Add(f.liveWindow())
	f.smu.Unlock()
	ticks, stop := f.tick(max(time.Duration(f.ttl)*time.Second/8, 10*time.Millisecond))
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer stop()
		for {
			select {
			case <-ticks:
				f.beat()
			case <-f.ctx.Done():
				return
			}
		}
	}()
}

// beat is a liveness tick: it moves the deadline half a TTL ahead, after
// checking that the last one has not passed. If it has, the process did
// not run for longer than the window (or the ticker was held), so the
// lease may have run out unseen: the edge is suspect, fenced until the
// keep-alive, asked to renew now, hears from etcd.
func (f *Fleet) beat() {
	f.smu.Lock()
	defer f.smu.Unlock()
	now := time.Now() // under smu: a pause before it only makes the check stricter
	if !now.Before(f.st.alive) && f.st.suspect.IsZero() && f.st.armed {
		f.st.suspect = now
		f.fence.Drop()
		f.settle(now, fmt.Sprintf("this process did not run for %v (paused or frozen): its lease may have expired unseen",
			now.Sub(f.st.alive.Add(-f.liveWindow())).Round(time.Millisecond)))
		select {
		case f.kick <- struct{}{}:
		default:
		}
	}
	f.st.alive = now.Add(f.liveWindow())
	f.raiseLocked(now)
}

// keepAlive renews the lease every third of its TTL (at once when the
// liveness ticker asks), until etcd says the lease is gone (expired,
// revoked) or the Fleet closes; in the first case the fence drops and the
// last reports are written again under a new lease. A renewal etcd does
// not answer is tried again shortly, and the edge keeps serving meanwhile
// (package doc, "Fence").
func (f *Fleet) keepAlive(id clientv3.LeaseID, ttl time.Duration) {
	defer f.wg.Done()
	every := max(ttl/3, 100*time.Millisecond)
	wait := every
	for {
		select {
		case <-time.After(wait):
		case <-f.kick:
		case <-f.ctx.Done():
			return
		}
		sent := time.Now()
		ctx, cancel := context.WithTimeout(f.ctx, every)
		_, err := f.client.KeepAliveOnce(ctx, id)
		cancel()
		switch {
		case err == nil:
			f.renewed(id, sent)
			wait = every
			continue
		case f.ctx.Err() != nil:
			return
		case !errors.Is(err, rpctypes.ErrLeaseNotFound):
			f.unreachable(id, err)
			wait = min(every, 250*time.Millisecond)
			continue
		}
		f.dropLease(id, "the lease expired in etcd")
		break
	}
	f.log.Info("fleet: edge lease lost; reporting again under a new one", "lease", fmt.Sprintf("%x", id))
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

// renewed records that etcd renewed lease id on a keep-alive sent at
// sent: a suspect edge whose renewal was sent after the pause was seen
// knows its lease ran all along, so the fleet counted it throughout.
func (f *Fleet) renewed(id clientv3.LeaseID, sent time.Time) {
	f.smu.Lock()
	defer f.smu.Unlock()
	if f.st.lease != id {
		return
	}
	if f.st.unreachable {
		f.st.unreachable = false
		f.log.Info("fleet: etcd renews this edge's lease again", "lease", fmt.Sprintf("%x", id))
	}
	if !f.st.suspect.IsZero() && !sent.Before(f.st.suspect) {
		f.st.suspect = time.Time{}
		now := time.Now()
		f.raiseLocked(now)
		f.settle(now, "")
	}
}

// unreachable logs, once, that a renewal of lease id failed without etcd
// saying the lease is gone (etcd down, hung or out of reach): the edge
// keeps serving what it has (package doc, "Fence").
func (f *Fleet) unreachable(id clientv3.LeaseID, err error) {
	f.smu.Lock()
	defer f.smu.Unlock()
	if f.st.lease == id && !f.st.unreachable {
		f.st.unreachable = true
		f.log.Warn("fleet: etcd does not renew this edge's lease; serving what it has until etcd answers (an etcd outage and a partition of this edge alone look the same from here)",
			"lease", fmt.Sprintf("%x", id), "err", err)
	}
}

// dropLease drops the fence at once: lease id is gone in etcd.
func (f *Fleet) dropLease(id clientv3.LeaseID, why string) {
	f.smu.Lock()
	defer f.smu.Unlock()
	if f.st.lease != id {
		return
	}
	f.st.armed, f.st.suspect, f.st.unreachable = false, time.Time{}, false
	f.fence.Drop()
	f.settle(time.Now(), why)
}

// settle logs the fence's changes: one warning when it goes down while
// the edge was counted, one line when it is counted again. Call with smu.
func (f *Fleet) settle(now time.Time, why string) {
	up := f.fence.Counted(now)
	switch {
	case up && !f.st.counted:
		f.st.counted = true
		if f.st.out {
			f.st.out = false
			f.log.Info("fleet: this edge is counted by the fleet again; serving viewers", "lease", fmt.Sprintf("%x", f.st.lease))
		}
	case !up && f.st.counted:
		if why == "" {
			why = "this process did not run for a while"
		}
		f.st.counted, f.st.out = false, true
		f.log.Warn("fleet: this edge is out of contact with the fleet; answering viewers 503 until it is counted again",
			"lease", fmt.Sprintf("%x", f.st.lease), "reason", why)
	}
}

// reportAgain rewrites under the current lease (a new one, if lost is
// still current) every node's last report that is not under it; it is
// done when that worked or the Fleet closed. Another write (PublishTraffic,
// Report) may have found the lease gone first and taken a new one: the
// reports written under lost must still be moved to it.
func (f *Fleet) reportAgain(lost clientv3.LeaseID) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctx.Err() != nil {
		return true
	}
	if f.lease == lost {
		f.lease = 0
	}
	ctx, cancel := context.WithTimeout(f.ctx, 5*time.Second)
	defer cancel()
	for node, r := range f.last {
		if r.lease == f.lease && f.lease != 0 {
			continue
		}
		if err := f.putLocked(ctx, node, r.applied); err != nil {
			f.log.Warn("fleet: report again", "node", node, "err", err)
			return false
		}
	}
	return true
}

// Leave removes this process's report for node (an edge stopping
// cleanly): another process's report under the same name stays.
func (f *Fleet) Leave(ctx context.Context, node string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.last[node]
	if !ok {
		return
	}
	delete(f.last, node)
	if len(f.last) == 0 {
		f.smu.Lock()
		f.st.armed, f.st.counted = false, false // it left on purpose: nothing to warn about
		f.fence.Drop()
		f.smu.Unlock()
	}
	if r.lease == 0 {
		return
	}
	if _, err := f.client.Delete(ctx, f.key(node, r.lease)); err != nil {
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
	for _, kv := range resp.Kvs { // every incarnation of every node, in both key forms
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
// A second live incarnation of a node is named "<node>#<lease in hex>".
func (f *Fleet) Nodes(ctx context.Context) (map[string]int64, error) {
	resp, err := f.client.Get(ctx, f.prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, kv := range resp.Kvs {
		rev, _ := strconv.ParseInt(string(kv.Value), 10, 64)
		out[incarnation(out, strings.TrimPrefix(string(kv.Key), f.prefix), kv.Lease)] = rev
	}
	return out, nil
}

// incarnation is the name under which a key (its part after the prefix,
// attached to lease) is listed in out: its node, or "<node>#<lease>" when
// out already has that node.
func incarnation[V any](out map[string]V, rest string, lease int64) string {
	node := nodeOf(rest, lease)
	if _, taken := out[node]; taken {
		return node + "#" + strconv.FormatInt(lease, 16)
	}
	return node
}

// Close stops the keep-alive, drops the fence and revokes the lease, so
// this process's nodes drop out at once. The client stays open.
func (f *Fleet) Close() error {
	f.mu.Lock()
	id := f.lease
	f.lease = 0
	f.cancel()
	f.mu.Unlock()
	f.smu.Lock()
	f.st.armed, f.st.counted = false, false
	f.fence.Drop()
	f.smu.Unlock()
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
