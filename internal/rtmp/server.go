package rtmp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"openfront/internal/snapshot"
)

// Defaults for Options fields left zero.
const (
	DefaultBlockSize   = 256 << 10
	DefaultTTL         = 24 * time.Hour
	DefaultLogInterval = time.Minute
	// DefaultEdgeLocation is the x-edge-location of access log lines.
	DefaultEdgeLocation = "OPF1"
)

// Options configures a Server.
type Options struct {
	// Snapshot returns the live configuration (snapshot.Watcher.Current);
	// it is read at every connect.
	Snapshot func() *snapshot.Snapshot
	// Origin fetches object ranges from S3 origins (origin.Client).
	Origin Origin
	// Cache is the edge's object cache; media objects are cached in
	// blocks of BlockSize bytes.
	Cache ObjectCache
	// Verifier checks signed stream names of distributions with trusted
	// signers. Nil refuses every private stream.
	Verifier Verifier
	// Log receives operational logs (default slog.Default()).
	Log *slog.Logger
	// BlockSize is the range size read from the origin and cached
	// (default 256 KiB).
	BlockSize int64
	// TTL is how long a cached object stays fresh before its first block
	// is fetched again, which also revalidates its version (default 24 h,
	// CloudFront's default TTL).
	TTL time.Duration
	// LogInterval is how often access logs are delivered (default 1 min);
	// they are also delivered at Shutdown.
	LogInterval time.Duration
	// EdgeLocation names this edge in access logs (default "OPF1").
	EdgeLocation string
	// Counted, when not nil, says whether the fleet counts this edge
	// (edge.Server.Counted); while it does not, new connections are
	// closed as soon as they are accepted: the edge may be serving a
	// configuration the fleet has moved past.
	Counted func() bool
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server is the RTMP edge. It serves video on demand for every enabled
// streaming distribution of the current snapshot.
type Server struct {
	opts Options
	log  *slog.Logger
	// lookup finds the streaming distribution of a host in the current
	// snapshot (a seam for tests).
	lookup func(host string) *snapshot.StreamingDistribution
	blocks *blocks
	logs   *accessLog

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	logWG  sync.WaitGroup

	mu    sync.Mutex
	lns   map[net.Listener]struct{}
	conns map[*conn]struct{}
}

// New returns a Server; Serve runs it.
func New(o Options) *Server {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.BlockSize <= 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.LogInterval <= 0 {
		o.LogInterval = DefaultLogInterval
	}
	if o.EdgeLocation == "" {
		o.EdgeLocation = DefaultEdgeLocation
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:   o,
		log:    o.Log,
		blocks: &blocks{origin: o.Origin, cache: o.Cache, blockSize: o.BlockSize, ttl: o.TTL, now: o.Now},
		logs:   &accessLog{origin: o.Origin, edge: o.EdgeLocation, interval: o.LogInterval, log: o.Log, now: o.Now, bufs: map[string]*logBuffer{}},
		ctx:    ctx,
		cancel: cancel,
		lns:    map[net.Listener]struct{}{},
		conns:  map[*conn]struct{}{},
	}
	s.lookup = func(host string) *snapshot.StreamingDistribution {
		if o.Snapshot == nil {
			return nil
		}
		return o.Snapshot().LookupStreaming(host)
	}
	s.logWG.Add(1)
	go func() {
		defer s.logWG.Done()
		s.logs.run(ctx)
	}()
	return s
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("rtmp: server closed")

// Serve accepts connections on ln until ln is closed or Shutdown is
// called, and returns the accept error (ErrServerClosed after Shutdown).
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.lns[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.lns, ln)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		if s.opts.Counted != nil && !s.opts.Counted() {
			nc.Close()
			continue
		}
		c := newConn(s, nc)
		s.mu.Lock()
		if s.ctx.Err() != nil {
			s.mu.Unlock()
			nc.Close()
			return ErrServerClosed
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// Shutdown stops accepting, ends every connection (players see the
// connection close), delivers the buffered access logs and waits for all
// of it, or until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.cancel()
	for ln := range s.lns {
		ln.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		s.logWG.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
