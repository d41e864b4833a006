package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/quic-go/quic-go/http3"
	"golang.org/x/sync/errgroup"

	"openfront/internal/accesslog"
	"openfront/internal/api"
	"openfront/internal/api/cloudfront"
	"openfront/internal/api/keyvaluestore"
	"openfront/internal/api/lightsail"
	"openfront/internal/cache"
	"openfront/internal/cache/disk"
	"openfront/internal/cache/memory"
	"openfront/internal/console"
	"openfront/internal/control"
	"openfront/internal/edge"
	"openfront/internal/fastpath"
	"openfront/internal/fleet"
	"openfront/internal/geo"
	"openfront/internal/httpguard"
	"openfront/internal/metrics"
	"openfront/internal/model"
	"openfront/internal/origin"
	"openfront/internal/realtimelog"
	"openfront/internal/rtmp"
	"openfront/internal/signedurl"
	"openfront/internal/sigv4"
	"openfront/internal/snapshot"
	"openfront/internal/stats"
	"openfront/internal/store"
	"openfront/internal/store/boltstore"
	"openfront/internal/tlsconfig"
)

// idleTimeout closes keep-alive connections left idle this long, so idle
// viewers cannot hold connections forever.
const idleTimeout = 2 * time.Minute

// requestBodyMinRate is the upload rate (bytes per second) that extends
// --request-body-timeout: a client sending at least this fast is never
// cut (Apache mod_reqtimeout's MinRate rule).
const requestBodyMinRate = 500

// nodeName is the in-process edge's name in the fleet.
const nodeName = "local"

func serve(args []string, stdout, stderr io.Writer) error {
	return serveUntil(context.Background(), args, stdout, stderr)
}

// serveUntil runs `openfront serve` until a signal or, for tests, until
// parent is done. Its steps, in start-up order, are node's methods below.
func serveUntil(parent context.Context, args []string, stdout, stderr io.Writer) error {
	s, err := parseServeFlags(args, stdout, stderr)
	if err != nil {
		return err
	}
	log, err := s.logger(stderr)
	if err != nil {
		return err
	}
	if s.CPUProfile != "" {
		stop, err := profileCPU(s.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	// Keep RSS near what is cached (see tuneGC); GOGC set in the
	// environment still wins.
	if os.Getenv("GOGC") == "" {
		gcCtx, stopGC := context.WithCancel(context.Background())
		defer stopGC()
		go tuneGC(gcCtx, 16<<20)
	}
	n := &node{s: s, log: log, stdout: stdout}
	defer n.cleanup()
	if err := n.listen(); err != nil {
		return err
	}
	if err := n.credentials(); err != nil {
		return err
	}
	if err := n.openStore(); err != nil {
		return err
	}
	if err := n.control(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(parent, syscall.SIGINT, syscall.SIGTERM)
	n.atCleanup(stop)
	if err := n.originAndCache(); err != nil {
		return err
	}
	n.edgeHandler()
	n.apiServer()
	if err := n.edgeServers(); err != nil {
		return err
	}
	return n.runUntilDone(ctx)
}

// node holds what serveUntil's steps build, in the order they build it.
type node struct {
	s      *Settings
	log    *slog.Logger
	stdout io.Writer
	// closers run at cleanup, last registered first (as defers would).
	closers []func()

	// listen
	lns          *listeners
	apiLn        net.Listener
	edgeLn       net.Listener // nil with --role api
	edgeTLSLn    net.Listener
	rtmpLn       net.Listener
	edgeQUICConn net.PacketConn

	// credentials
	certs     *tlsconfig.Store
	keyID     string
	secret    string
	generated bool

	// openStore
	st      store.Store
	reports edgeFleet
	// fleetTraffic is the etcd fleet's counters exchange (nil: one process).
	fleetTraffic interface {
		PublishTraffic(ctx context.Context, node string, value []byte) error
		Traffic(ctx context.Context) (map[string][]byte, error)
	}
	name string // this node's name in the fleet
	// fence says whether the fleet counts this node's edge (nil: one
	// process, or no edge).
	fence *fleet.Fence

	// control
	m       *metrics.Metrics
	ctl     *control.Control
	traffic *stats.Recorder
	cf      *cloudfront.Handler

	// originAndCache
	objects      *cache.Cache
	httpsPort    int
	originClient *origin.Client
	geoDB        *geo.DB
	accessLogs   *accesslog.Writer
	realtimeLogs *realtimelog.Logger

	// edgeHandler
	edge      *edge.Server
	watcher   *snapshot.Watcher
	edgeGuard *httpguard.Config
	apiGuard  *httpguard.Config

	// apiServer
	ready atomic.Bool
	api   *http.Server

	// edgeServers
	edgeHTTP    *http.Server
	edgeFast    *fastpath.Server
	edgeHTTPS   *http.Server
	edgeFastTLS *fastpath.Server
	edgeHTTP3   *http3.Server

	// runUntilDone
	rtmpServer *rtmp.Server
}

// serving is /healthz's answer: every listener accepts and, on a node
// with an edge, the fleet counts it (a fenced edge answers viewers 503:
// load balancers should drain it).
func (n *node) serving() bool {
	return n.ready.Load() && (n.edge == nil || n.edge.Counted())
}

func (n *node) atCleanup(f func()) { n.closers = append(n.closers, f) }

func (n *node) cleanup() {
	for i := len(n.closers) - 1; i >= 0; i-- {
		n.closers[i]()
	}
}

// listen binds every listener before serving anything, so a taken port
// fails the start with a clear message instead of a half-running process,
// and before the data dir is touched, so that such a start leaves nothing
// behind (no data dir, no credentials).
func (n *node) listen() error {
	s := n.s
	n.lns = &listeners{}
	n.atCleanup(n.lns.closeAll)
	var err error
	if n.apiLn, err = n.lns.listen("--api-addr", s.APIAddr); err != nil {
		return err
	}
	// --role api binds no edge listener.
	if s.roleRuns("edge") {
		if n.edgeLn, err = n.lns.listen("--edge-addr", s.EdgeAddr); err != nil {
			return err
		}
	}
	if s.EdgeTLSAddr != "" && s.roleRuns("edge") {
		if n.edgeTLSLn, err = n.lns.listen("--edge-tls-addr", s.EdgeTLSAddr); err != nil {
			return err
		}
	}
	if s.RTMPAddr != "" && s.roleRuns("edge") {
		if n.rtmpLn, err = n.lns.listen("--rtmp-addr", s.RTMPAddr); err != nil {
			return err
		}
	}
	// HTTP/3 needs the TLS edge (its Alt-Svc header advertises it).
	if s.EdgeQUICAddr != "" && n.edgeTLSLn != nil {
		if n.edgeQUICConn, err = n.lns.listenUDP("--edge-quic-addr", s.EdgeQUICAddr); err != nil {
			return err
		}
	}
	return nil
}

// credentials opens the viewer certificates, makes the data dir and, on a
// node that serves the API, reads or generates the root credentials.
func (n *node) credentials() error {
	var err error
	if n.certs, err = openCertificates(n.s); err != nil {
		return err
	}
	if err := ensureDataDir(n.s.DataDir); err != nil {
		return err
	}
	// An edge-only node serves no API, so it has no credentials to make.
	if n.s.roleRuns("api") {
		if n.keyID, n.secret, n.generated, err = rootCredentials(n.s.DataDir); err != nil {
			return err
		}
	}
	return nil
}

// openStore opens the store and the fleet registry: embedded (bbolt, the
// in-process edge only) or, with --etcd-endpoints, the cluster's.
func (n *node) openStore() error {
	s := n.s
	n.name = nodeName
	if len(s.EtcdEndpoints) > 0 {
		est, efl, err := openCluster(context.Background(), s)
		if err != nil {
			return err
		}
		n.atCleanup(func() { est.Close() })
		n.atCleanup(func() { efl.Close() }) // runs first: revokes this node's edge lease
		n.st, n.reports, n.name = est, efl, clusterNodeName(s)
		n.fleetTraffic = efl
		if s.roleRuns("edge") {
			n.fence = efl.Fence() // an edge the fleet does not count refuses viewers
		}
	} else {
		bst, err := boltstore.Open(filepath.Join(s.DataDir, "openfront.db"), boltstore.Options{})
		if err != nil {
			return err
		}
		n.atCleanup(func() { bst.Close() })
		n.st, n.reports = bst, fleet.NewLocal(0)
	}
	return nil
}

// control makes the metrics, the control plane, the traffic counters and
// the CloudFront API handler.
func (n *node) control() error {
	s := n.s
	n.m = metrics.New()
	ctlSettings := control.Settings{AccountID: s.AccountID, DomainSuffix: s.DomainSuffix, LightsailOrigins: s.LightsailOrigins,
		ReadImportSource: importSourceReader(s)}
	if n.certs != nil {
		ctlSettings.Certificates = n.certs
	}
	n.ctl = control.New(n.st, n.reports, ctlSettings)
	// traffic counts the in-process edge's responses per distribution, for
	// Lightsail's GetDistributionMetricData (per node: see internal/stats).
	n.traffic = stats.New(stats.Retention)
	var err error
	n.cf, err = cloudfront.New(n.ctl, n.log)
	return err
}

// originAndCache makes the object cache, the origin client, the GeoIP
// database and the access log writers.
func (n *node) originAndCache() error {
	s := n.s
	var err error
	if n.objects, err = newCache(s); err != nil {
		return err
	}
	if n.edgeTLSLn != nil {
		n.httpsPort = n.edgeTLSLn.Addr().(*net.TCPAddr).Port
	}
	// One origin client (one connection pool) for the HTTP and RTMP edges.
	n.originClient = origin.New(origin.S3{
		Endpoint: s.S3Endpoint, Region: s.S3Region,
		AccessKeyID: os.Getenv("OPENFRONT_S3_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("OPENFRONT_S3_SECRET_ACCESS_KEY"),
	})
	if s.GeoIPDB != "" {
		if n.geoDB, err = geo.Open(s.GeoIPDB); err != nil {
			return fmt.Errorf("--geoip-db: %w", err)
		}
		geoDB := n.geoDB
		n.atCleanup(func() { geoDB.Close() })
	}
	n.accessLogs = newAccessLogWriter(s, n.log)
	n.realtimeLogs = newRealtimeLogger(s, n.log)
	n.m.RegisterRealtimeLogs(n.realtimeLogs.Counts)
	return nil
}

// edgeHandler makes the edge's request handler, the snapshot watcher that
// feeds it and the HTTP/1.x guards.
func (n *node) edgeHandler() {
	s, m, traffic := n.s, n.m, n.traffic
	var altSvc string // for the fast path's HTTPS hits; advertiseHTTP3 stamps the others
	if n.edgeQUICConn != nil {
		altSvc = tlsconfig.AltSvc(n.edgeQUICConn.LocalAddr().(*net.UDPAddr).Port)
	}
	edgeServer := edge.New(edge.Options{
		AltSvc:    altSvc,
		Cache:     n.objects,
		Origin:    n.originClient,
		Log:       n.log,
		HTTPSPort: n.httpsPort,
		Count:     m.CountEdgeRequests,
		Stats:     traffic,
		Geo:       n.geoDB,
		AccessLog: n.accessLogs,

		RealtimeLog:       n.realtimeLogs,
		FunctionTimeLimit: s.FunctionTimeLimit,
		Fence:             n.fence,
	})
	n.edge = edgeServer
	registerDistributionMetrics(m, cmp.Or(s.NodeName, n.name), edgeServer.Snapshot, traffic)
	reports, name := n.reports, n.name
	n.watcher = snapshot.NewWatcher(n.st, func(ctx context.Context, snap *snapshot.Snapshot, invals []model.InvalidationRecord) error {
		edgeServer.Apply(snap, invals) // purges before the revision is reported
		forgetDeletedDistributions(traffic, snap)
		m.SnapshotRevision.Set(float64(snap.Revision))
		return reports.Report(ctx, name, snap.Revision)
	}, n.log)
	n.watcher.CountIgnoredFields(func(field string) { m.IgnoredFields.WithLabelValues(field).Inc() })
	n.watcher.SetAccount(s.AccountID)
	n.watcher.SetLightsailOrigins(s.LightsailOrigins)

	// Every HTTP/1.x listener is guarded: request framing, CloudFront's
	// request size limits, head and body deadlines (internal/httpguard).
	// The edge answers a refused request with CloudFront's error page,
	// the API with an ErrorResponse.
	guard := func(reject func(int) []byte) *httpguard.Config {
		return &httpguard.Config{HeadTimeout: s.RequestHeadTimeout, BodyTimeout: s.RequestBodyTimeout,
			BodyMinRate: requestBodyMinRate, Reject: reject}
	}
	n.edgeGuard, n.apiGuard = guard(edgeServer.RefusedRequest), guard(api.RefusedRequest)
	n.edgeGuard.Refused = edgeServer.LogRefused // --log-level debug: a line for every edge request
}

// apiServer makes the API server (only health and metrics on an edge-only
// node).
func (n *node) apiServer() {
	s, m, log := n.s, n.m, n.log
	keyID, secret := n.keyID, n.secret
	credentials := func(id string) (string, bool) { return secret, id == keyID }
	consoleOpts := console.Options{Control: n.ctl, Traffic: n.traffic, Credentials: credentials, Node: cmp.Or(s.NodeName, n.name), Log: log}
	if n.fleetTraffic != nil {
		consoleOpts.Fleet = n.fleetTraffic
	}
	if s.roleRuns("edge") { // an API-only node's cache stays empty
		consoleOpts.Cache = n.objects
	}
	n.api = &http.Server{
		Handler: &api.Server{
			Verifier:      &sigv4.Verifier{Credentials: sigv4.CredentialsFunc(credentials), Services: []string{"cloudfront", "lightsail", keyvaluestore.SigningName}},
			CloudFront:    n.cf,
			Lightsail:     lightsail.New(n.ctl, n.traffic, log),
			KeyValueStore: keyvaluestore.New(n.ctl, log),
			Metrics:       m.Handler(),
			Console:       console.New(consoleOpts),
			Ready:         n.serving,
			Count:         func(api, code string) { m.APIRequests.WithLabelValues(api, code).Inc() },
			Log:           log,
		},
		ReadHeaderTimeout: s.RequestHeadTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// OPTIONS * is the handler's to answer (an ErrorResponse), not
		// net/http's empty 200.
		DisableGeneralOptionsHandler: true,
	}
	if !s.roleRuns("api") {
		n.api.Handler = healthOnly(n.ready.Load, n.edge.Counted, m.Handler())
	}
}

// edgeServers makes the edge's HTTP server and, with --edge-tls-addr, its
// HTTPS (HTTP/1.1 and HTTP/2) and HTTP/3 servers.
func (n *node) edgeServers() error {
	s, log, edgeServer, edgeGuard := n.s, n.log, n.edge, n.edgeGuard
	// OPTIONS * goes to the edge, which answers it as it does over
	// HTTP/2 and HTTP/3 (CloudFront's 400, or 403 for an unknown Host),
	// where net/http would answer any Host with an empty 200.
	n.edgeHTTP = &http.Server{Handler: edgeServer, ReadHeaderTimeout: s.RequestHeadTimeout, IdleTimeout: idleTimeout, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		DisableGeneralOptionsHandler: true}
	// Plain HTTP/1.1 connections are served by the fast path while their
	// requests are fresh memory hits, by edgeHTTP from the first one that
	// is not (package fastpath).
	n.edgeFast = &fastpath.Server{Handler: edgeServer, Fallback: n.edgeHTTP, ReadHeaderTimeout: s.RequestHeadTimeout, IdleTimeout: idleTimeout,
		SendTimeout: s.ResponseSendTimeout, Log: log,
		FallbackListener: func(ln net.Listener) net.Listener { return httpguard.Listener(ln, edgeGuard) }}
	if n.edgeTLSLn == nil {
		return nil
	}
	cert, err := defaultCertificate(s.DataDir, s.DomainSuffix, time.Now())
	if err != nil {
		return err
	}
	// Each connection's certificate, security policy and ALPN come
	// from the distribution its SNI names (package tlsconfig).
	sel := viewerTLS(n.watcher.Current, &cert, n.certs, log)
	// HTTP/2 and HTTP/3 heads do not pass the guarded listener:
	// CloudFront's size limits are applied to them here, with the same
	// 413 page, and their servers accept header lists up to
	// httpguard.MaxHeaderListBytes so that such requests get here.
	var tlsHandler http.Handler = httpguard.LimitHead(edgeServer, edgeGuard)
	if n.edgeQUICConn != nil {
		tlsHandler = advertiseHTTP3(tlsHandler, n.watcher.Current, n.edgeQUICConn.LocalAddr().(*net.UDPAddr).Port)
		// The same handler serves HTTP/3: one pipeline, three
		// transports.
		n.edgeHTTP3 = &http3.Server{Handler: sendTimeout(tlsHandler, s.ResponseSendTimeout), TLSConfig: http3.ConfigureTLSConfig(sel.QUIC()),
			IdleTimeout: idleTimeout, MaxHeaderBytes: httpguard.MaxHeaderListBytes, Logger: log}
	}
	// The TLS listener completes handshakes and guards HTTP/1.1;
	// NextProtos (h2 in sel.TCP) lets Serve set HTTP/2 up as ServeTLS
	// would. HTTP/1.1 heads are checked by the guard first, HTTP/2 ones
	// by LimitHead.
	n.edgeHTTPS = &http.Server{Handler: httpguard.KeepTLS(tlsHandler), ConnContext: httpguard.ConnContext,
		ReadHeaderTimeout: s.RequestHeadTimeout, IdleTimeout: idleTimeout, ErrorLog: n.edgeHTTP.ErrorLog,
		MaxHeaderBytes: httpguard.MaxHeaderListBytes, TLSConfig: sel.TCP(), DisableGeneralOptionsHandler: true}
	// HTTPS connections on HTTP/1.1 get the plain ones' fast path:
	// it completes the handshake, serves hits on the *tls.Conn and
	// hands HTTP/1.1 connections from the first request it cannot
	// parse to edgeHTTPS (package fastpath).
	// HTTP/2 connections (ALPN h2, offered only to distributions
	// whose HttpVersion allows it) are served by the fast path's own
	// HTTP/2 server: hits on the connection's goroutine, the rest by
	// edgeHTTPS's handler, stream by stream.
	n.edgeFastTLS = &fastpath.Server{Handler: edgeServer, Fallback: n.edgeHTTPS, TLSConfig: n.edgeHTTPS.TLSConfig,
		HTTP2: true, MaxHeaderListBytes: httpguard.MaxHeaderListBytes,
		ReadHeaderTimeout: s.RequestHeadTimeout, IdleTimeout: idleTimeout, SendTimeout: s.ResponseSendTimeout, Log: log,
		FallbackListener: func(ln net.Listener) net.Listener {
			return httpguard.TLSHandoffListener(ln, edgeGuard, fastpath.TLSState)
		}}
	// A client that refuses the edge's certificate is logged as such.
	n.edgeFastTLS.WatchHandshake = httpguard.WatchHandshakes(handshakeLog(log, filepath.Join(absolute(s.DataDir), "edge-cert.pem"), time.Now))
	return nil
}

// runUntilDone starts the snapshot watcher (and waits for its first
// snapshot), serves every listener, then, on a signal or the first error
// of any of them, shuts down: drains the servers, then delivers the
// batched access logs. The group's first error ends the process, as any
// listener's error does.
func (n *node) runUntilDone(ctx context.Context) error {
	s, log := n.s, n.log
	g, failed := errgroup.WithContext(context.Background())
	run := func(name string, fn func() error) {
		g.Go(func() error {
			if err := fn(); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		})
	}
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	if s.roleRuns("edge") && n.fleetTraffic != nil {
		objects := n.objects
		summarize := func() map[string]*stats.CacheSummary {
			return stats.SummarizeCache(objects.All(), stats.TopObjects, nil)
		}
		go publishTraffic(watchCtx, n.name, n.traffic, summarize, n.fleetTraffic.PublishTraffic, log)
	}
	if s.roleRuns("edge") { // an API-only node compiles no snapshot
		run("snapshot watcher", func() error { return n.watcher.Run(watchCtx) })
		select {
		case <-n.watcher.Ready():
		case <-failed.Done():
			return context.Cause(failed)
		case <-ctx.Done():
			return nil
		}
	}

	n.serve(run)
	n.lns.handedOver()
	n.ready.Store(true)
	if n.generated {
		firstStart(n.stdout, s, firstStartInfo{api: n.apiLn, edge: n.edgeLn, edgeTLS: n.edgeTLSLn, keyID: n.keyID, secret: n.secret})
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("stopping: signal received")
	case <-failed.Done():
		runErr = context.Cause(failed)
		log.Error("stopping", "err", runErr)
	}
	n.ready.Store(false)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n.shutdown(shutdownCtx)
	stopWatch()
	// The watcher's own end (its context canceled) is not the process's
	// error: runErr was settled above.
	_ = g.Wait()
	return runErr
}

// serve starts serving every listener bound by listen.
func (n *node) serve(run func(name string, fn func() error)) {
	s, log := n.s, n.log
	run("api", func() error { return n.api.Serve(httpguard.Listener(n.apiLn, n.apiGuard)) })
	log.Info("listening", "listener", "api", "addr", n.apiLn.Addr().String())
	if n.edgeLn != nil {
		run("edge http", func() error { return n.edgeFast.Serve(n.edgeLn) })
		log.Info("listening", "listener", "edge-http", "addr", n.edgeLn.Addr().String())
	}
	if n.edgeHTTPS != nil {
		run("edge https", func() error {
			return n.edgeFastTLS.Serve(n.edgeTLSLn)
		})
		log.Info("listening", "listener", "edge-https", "addr", n.edgeTLSLn.Addr().String())
		log.Info("edge: aliases of distributions with the default certificate are served with the *." + s.DomainSuffix + " certificate (CloudFront would refuse such aliases)")
	}
	if n.edgeHTTP3 != nil {
		run("edge http3", func() error { return n.edgeHTTP3.Serve(n.edgeQUICConn) })
		log.Info("listening", "listener", "edge-http3", "addr", n.edgeQUICConn.LocalAddr().String())
	}
	if n.rtmpLn != nil {
		// The RTMP edge reads the same snapshot as the HTTP edge, so the
		// revision the watcher reports as applied is live on both.
		n.rtmpServer = rtmp.New(rtmp.Options{Snapshot: n.watcher.Current, Origin: n.originClient, Cache: n.objects, Log: log,
			Verifier: rtmpVerifier(n.watcher.Current, signedurl.NewVerifier(0)), Counted: n.edge.Counted})
		rtmpServer := n.rtmpServer
		run("edge rtmp", func() error {
			if err := rtmpServer.Serve(n.rtmpLn); !errors.Is(err, rtmp.ErrServerClosed) {
				return err
			}
			return nil
		})
		log.Info("listening", "listener", "edge-rtmp", "addr", n.rtmpLn.Addr().String())
	}
}

// shutdown drains the servers, edge first, then delivers the access logs
// still batched.
func (n *node) shutdown(shutdownCtx context.Context) {
	log := n.log
	if err := n.edgeFast.Shutdown(shutdownCtx); err != nil { // and edgeHTTP
		log.Warn("shutdown", "listener", "edge-http", "err", err)
	}
	if n.edgeHTTP3 != nil {
		if err := n.edgeHTTP3.Shutdown(shutdownCtx); err != nil {
			log.Warn("shutdown", "listener", "edge-http3", "err", err)
		}
	}
	if n.edgeFastTLS != nil {
		if err := n.edgeFastTLS.Shutdown(shutdownCtx); err != nil { // and edgeHTTPS
			log.Warn("shutdown", "listener", "edge-https", "err", err)
		}
	}
	for _, srv := range []*http.Server{n.api} {
		if srv != nil {
			if err := srv.Shutdown(shutdownCtx); err != nil {
				log.Warn("shutdown", "err", err)
			}
		}
	}
	if n.rtmpServer != nil {
		// Ends RTMP sessions and delivers their buffered access logs.
		if err := n.rtmpServer.Shutdown(shutdownCtx); err != nil {
			log.Warn("shutdown", "listener", "edge-rtmp", "err", err)
		}
	}
	// Every request has finished: deliver the access logs still batched.
	if err := n.accessLogs.Close(shutdownCtx); err != nil {
		log.Warn("shutdown: access logs", "err", err)
	}
	if err := n.realtimeLogs.Close(shutdownCtx); err != nil {
		log.Warn("shutdown: real-time logs", "err", err)
	}
}

// listeners closes what it bound if the start fails before serving.
type listeners struct {
	lns    []io.Closer
	served bool
}

func (l *listeners) listen(flagName, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s (%s): %w", addr, flagName, err)
	}
	l.lns = append(l.lns, ln)
	return ln, nil
}

func (l *listeners) listenUDP(flagName, addr string) (net.PacketConn, error) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s/udp (%s): %w", addr, flagName, err)
	}
	l.lns = append(l.lns, pc)
	return pc, nil
}

func (l *listeners) handedOver() { l.served = true }

func (l *listeners) closeAll() {
	if l.served {
		return
	}
	for _, ln := range l.lns {
		ln.Close()
	}
}

// newCache builds the edge's object cache: the memory tier, and the disk
// tier when --cache-disk-bytes is set.
func newCache(s *Settings) (*cache.Cache, error) {
	mem, err := memory.New(s.CacheMemoryBytes)
	if err != nil {
		return nil, fmt.Errorf("memory cache: %w", err)
	}
	cfg := cache.Config{Memory: mem}
	if s.CacheDiskBytes > 0 {
		dir := s.CacheDir
		if dir == "" {
			dir = filepath.Join(s.DataDir, "cache")
		}
		d, err := disk.Open(disk.Config{Dir: dir, MaxBytes: s.CacheDiskBytes})
		if err != nil {
			return nil, fmt.Errorf("disk cache: %w", err)
		}
		cfg.Disk = d
	}
	return cache.New(cfg)
}

// newAccessLogWriter delivers standard access logs to --access-log-dir, or
// to the logging bucket on the S3 endpoint.
func newAccessLogWriter(s *Settings, log *slog.Logger) *accesslog.Writer {
	var up accesslog.Uploader
	if s.AccessLogDir != "" {
		up = accesslog.DirUploader{Root: s.AccessLogDir}
	} else {
		up = accesslog.NewS3Uploader(accesslog.S3Config{
			Endpoint: s.S3Endpoint, Region: s.S3Region,
			AccessKeyID: os.Getenv("OPENFRONT_S3_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("OPENFRONT_S3_SECRET_ACCESS_KEY"),
		})
	}
	return accesslog.NewWriter(accesslog.Options{Uploader: hintedUploader{up, accessLogHint(s)}, Logger: log})
}
