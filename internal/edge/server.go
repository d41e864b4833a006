package edge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"openfront/internal/accesslog"
	"openfront/internal/cache"
	"openfront/internal/fleet"
	"openfront/internal/geo"
	"openfront/internal/invalidation"
	"openfront/internal/model"
	"openfront/internal/origin"
	"openfront/internal/realtimelog"
	"openfront/internal/signedurl"
	"openfront/internal/snapshot"
)

// Options configure the edge.
type Options struct {
	Cache  *cache.Cache
	Origin *origin.Client
	Log    *slog.Logger
	// Pop is the X-Amz-Cf-Pop value.
	Pop string
	// HTTPSPort is the port of the HTTPS listener, for redirect-to-https
	// (0: no HTTPS listener; 443 is left out of the Location).
	HTTPSPort int
	// Count records n responses with one X-Cache result (metrics).
	Count func(result string, n int)
	// Stats counts each response of a known distribution by result type,
	// each origin fetch by latency or error, and each function run and
	// failure (traffic per distribution, e.g. *stats.Recorder); nil
	// disables it.
	Stats interface {
		Record(distID string, at time.Time, result string, status int, bytesUploaded, bytesDownloaded int64)
		RecordN(distID string, at time.Time, result string, status int, n, bytesUploaded, bytesDownloaded int64)
		RecordOrigin(distID string, latency time.Duration, err error)
		RecordFunctionRun(distID, function string, computeUtilization float64)
		RecordFunctionError(distID, function, resultType string)
	}
	// Signed verifies signed URLs and cookies (with its cache of verified
	// signatures); nil builds one.
	Signed *signedurl.Verifier
	// Geo maps viewer addresses to countries for geo restriction; nil
	// knows no country, and unknown countries are served (fail open).
	Geo *geo.DB
	// AccessLog receives the standard access-log records of distributions
	// with Logging enabled; nil drops them.
	AccessLog *accesslog.Writer
	// RealtimeLog receives the real-time log records of cache behaviours
	// with a real-time log configuration; nil drops them.
	RealtimeLog *realtimelog.Logger
	// FunctionTimeLimit is the CPU time a CloudFront function may use per
	// run before it is interrupted (0: DefaultFunctionTimeLimit).
	FunctionTimeLimit time.Duration
	// AltSvc is the Alt-Svc value advertising the HTTP/3 listener
	// (tlsconfig.AltSvc), for the fast path's HTTPS answers of
	// distributions that serve HTTP/3; "" without an HTTP/3 listener. The
	// other answers get it from the server's handler (app's
	// advertiseHTTP3).
	AltSvc string
	// WebSocketIdleTimeout closes a WebSocket connection whose origin has
	// sent nothing for that long (0: DefaultWebSocketIdleTimeout,
	// CloudFront's quota; websocket.go).
	WebSocketIdleTimeout time.Duration
	// Fence, when not nil, says whether the fleet counts this edge
	// (etcdfleet.Fleet.Fence); while it does not, every viewer request
	// is answered 503 (fenced.go). nil: the edge is always counted (one
	// process, fleet.Local).
	Fence *fleet.Fence
	// Now is the clock (tests).
	Now func() time.Time
}

// Server is the edge's http.Handler.
type Server struct {
	opts  Options
	snap  atomic.Pointer[snapshot.Snapshot]
	via   []string // "1.1 <id>.cloudfront.net (CloudFront)"
	via2  []string // same for HTTP/2 viewers
	pop   []string // X-Amz-Cf-Pop value, shared by every response
	viaID string
	// hitStamp and hitStamp2 are the fixed fields of appendHitStamp
	// (Via for HTTP/1.1 and HTTP/2 viewers, X-Amz-Cf-Pop, X-Cache),
	// joined once.
	hitStamp, hitStamp2 string
	now                 func() time.Time
	// realClock: now is time.Now, so the fast path may take a request's
	// time from the connection loop's read (fastpath.Request.Received).
	realClock bool
	// logEvery: the log is at debug level, so every request is logged
	// in one line; the fast path then leaves all requests to ServeHTTP.
	logEvery bool
}

// New returns an edge server.
func New(opts Options) *Server {
	var id [16]byte
	_, _ = rand.Read(id[:])
	s := &Server{opts: opts, viaID: hex.EncodeToString(id[:]) + ".cloudfront.net (CloudFront)", now: opts.Now}
	s.via = []string{"1.1 " + s.viaID}
	s.via2 = []string{"2.0 " + s.viaID}
	if s.opts.Pop == "" {
		s.opts.Pop = "LOC1-C1"
	}
	s.pop = []string{s.opts.Pop}
	rest := "\r\nX-Amz-Cf-Pop: " + s.pop[0] + "\r\nX-Cache: " + xCacheHit[0] + "\r\n"
	s.hitStamp, s.hitStamp2 = "Via: "+s.via[0]+rest, "Via: "+s.via2[0]+rest
	if s.opts.Log == nil {
		s.opts.Log = slog.Default()
	}
	s.logEvery = s.opts.Log.Enabled(context.Background(), slog.LevelDebug)
	if s.now == nil {
		s.now, s.realClock = time.Now, true
	}
	if s.opts.Signed == nil {
		s.opts.Signed = signedurl.NewVerifier(0)
	}
	return s
}

// Apply swaps in a new snapshot and purges the objects that the
// invalidations created with it match; when it returns, the revision may be
// reported as applied. Deleted distributions lose their cached objects.
func (s *Server) Apply(snap *snapshot.Snapshot, invals []model.InvalidationRecord) {
	old := s.snap.Swap(snap)
	if s.opts.Cache == nil {
		return
	}
	// One pass over the cache per distribution, whatever the number of
	// invalidations (the first snapshot after a start brings them all; the
	// disk tier may hold objects from before them, so they are purged again
	// rather than risk serving an invalidated object).
	paths := map[string][]string{}
	for _, inv := range invals {
		paths[inv.DistributionID] = append(paths[inv.DistributionID], inv.Paths...)
	}
	for distID, ps := range paths {
		m := invalidation.Compile(ps)
		n := s.opts.Cache.Purge(distID, m.Match)
		s.opts.Log.Debug("edge: invalidations purged", "dist_id", distID, "paths", len(ps), "objects", n)
	}
	if old != nil {
		for id := range old.Distributions {
			if _, ok := snap.Distributions[id]; !ok {
				s.opts.Cache.PurgeDistribution(id)
			}
		}
	}
}

// planner is the plan's view of the options.
func (s *Server) planner() planner { return planner{geo: s.opts.Geo, signed: s.opts.Signed} }

// Snapshot returns the live snapshot.
func (s *Server) Snapshot() *snapshot.Snapshot { return s.snap.Load() }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := newExchange(s, w, r)
	defer x.end()
	x.run()
}
