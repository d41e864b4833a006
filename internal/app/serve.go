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
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/quic-go/quic-go/http3"

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
// parent is done.
func serveUntil(parent context.Context, args []string, stdout, stderr io.Writer) error {
	s, err := parseServeFlags(args, stdout, stderr)
	if err != nil {
		return err
	}
	log, err := s.logger(stderr)
	if err != nil {
		return err
	}
	// Keep RSS near what is cached (see tuneGC); GOGC set in the
	// environment still wins.
	if os.Getenv("GOGC") == "" {
		gcCtx, stopGC := context.WithCancel(context.Background())
		defer stopGC()
		go tuneGC(gcCtx, 16<<20)
	}
	// Bind every listener before serving anything, so a taken port fails
	// the start with a clear message instead of a half-running process,
	// and before the data dir is touched, so that such a start leaves
	// nothing behind (no data dir, no credentials).
	lns := &listeners{}
	defer lns.closeAll()
	apiLn, err := lns.listen("--api-addr", s.APIAddr)
	if err != nil {
		return err
	}
	// --role api binds no edge listener.
	var edgeLn net.Listener
	if s.roleRuns("edge") {
		if edgeLn, err = lns.listen("--edge-addr", s.EdgeAddr); err != nil {
			return err
		}
	}
	var edgeTLSLn, rtmpLn net.Listener
	if s.EdgeTLSAddr != "" && s.roleRuns("edge") {
		if edgeTLSLn, err = lns.listen("--edge-tls-addr", s.EdgeTLSAddr); err != nil {
			return err
		}
	}
	if s.RTMPAddr != "" && s.roleRuns("edge") {
		if rtmpLn, err = lns.listen("--rtmp-addr", s.RTMPAddr); err != nil {
			return err
		}
	}
	// HTTP/3 needs the TLS edge (its Alt-Svc header advertises it).
	var edgeQUICConn net.PacketConn
	if s.EdgeQUICAddr != "" && edgeTLSLn != nil {
		if edgeQUICConn, err = lns.listenUDP("--edge-quic-addr", s.EdgeQUICAddr); err != nil {
			return err
		}
	}
	certs, err := openCertificates(s)
	if err != nil {
		return err
	}

	if err := ensureDataDir(s.DataDir); err != nil {
		return err
	}
	// An edge-only node serves no API, so it has no credentials to make.
	var keyID, secret string
	var generated bool
	if s.roleRuns("api") {
		if keyID, secret, generated, err = rootCredentials(s.DataDir); err != nil {
			return err
		}
	}
	// The store and the fleet registry: embedded (bbolt, the in-process
	// edge only) or, with --etcd-endpoints, the cluster's.
	var st store.Store
	var reports edgeFleet
	// fleetTraffic is the etcd fleet's counters exchange (nil: one process).
	var fleetTraffic interface {
		PublishTraffic(ctx context.Context, node string, value []byte) error
		Traffic(ctx context.Context) (map[string][]byte, error)
	}
	node := nodeName
	if len(s.EtcdEndpoints) > 0 {
		est, efl, err := openCluster(context.Background(), s)
		if err != nil {
			return err
		}
		defer est.Close()
		defer efl.Close() // runs first: revokes this node's edge lease
		st, reports, node = est, efl, clusterNodeName(s)
		fleetTraffic = efl
	} else {
		bst, err := boltstore.Open(filepath.Join(s.DataDir, "openfront.db"), boltstore.Options{})
		if err != nil {
			return err
		}
		defer bst.Close()
		st, reports = bst, fleet.NewLocal(0)
	}

	m := metrics.New()
	ctlSettings := control.Settings{AccountID: s.AccountID, DomainSuffix: s.DomainSuffix, LightsailOrigins: s.LightsailOrigins,
		ReadImportSource: importSourceReader(s)}
	if certs != nil {
		ctlSettings.Certificates = certs
	}
	ctl := control.New(st, reports, ctlSettings)
	// traffic counts the in-process edge's responses per distribution, for
	// Lightsail's GetDistributionMetricData (per node: see internal/stats).
	traffic := stats.New(stats.Retention)
	cf, err := cloudfront.New(ctl, log)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(parent, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	objects, err := newCache(s)
	if err != nil {
		return err
	}
	httpsPort := 0
	if edgeTLSLn != nil {
		httpsPort = edgeTLSLn.Addr().(*net.TCPAddr).Port
	}
	// One origin client (one connection pool) for the HTTP and RTMP edges.
	originClient := origin.New(origin.S3{
		Endpoint: s.S3Endpoint, Region: s.S3Region,
		AccessKeyID: os.Getenv("OPENFRONT_S3_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("OPENFRONT_S3_SECRET_ACCESS_KEY"),
	})
	var geoDB *geo.DB
	if s.GeoIPDB != "" {
		if geoDB, err = geo.Open(s.GeoIPDB); err != nil {
			return fmt.Errorf("--geoip-db: %w", err)
		}
		defer geoDB.Close()
	}
	accessLogs := newAccessLogWriter(s, log)
	realtimeLogs := newRealtimeLogger(s, log)
	m.RegisterRealtimeLogs(realtimeLogs.Counts)
	var altSvc string // for the fast path's HTTPS hits; advertiseHTTP3 stamps the others
	if edgeQUICConn != nil {
		altSvc = tlsconfig.AltSvc(edgeQUICConn.LocalAddr().(*net.UDPAddr).Port)
	}
	edgeServer := edge.New(edge.Options{
		AltSvc:    altSvc,
		Cache:     objects,
		Origin:    originClient,
		Log:       log,
		HTTPSPort: httpsPort,
		Count:     m.CountEdgeRequest,
		Stats:     traffic,
		Geo:       geoDB,
		AccessLog: accessLogs,

		RealtimeLog:       realtimeLogs,
		FunctionTimeLimit: s.FunctionTimeLimit,
	})
	registerDistributionMetrics(m, cmp.Or(s.NodeName, node), edgeServer.Snapshot, traffic)
	watcher := snapshot.NewWatcher(st, func(ctx context.Context, snap *snapshot.Snapshot, invals []model.InvalidationRecord) error {
		edgeServer.Apply(snap, invals) // purges before the revision is reported
		forgetDeletedDistributions(traffic, snap)
		m.SnapshotRevision.Set(float64(snap.Revision))
		return reports.Report(ctx, node, snap.Revision)
	}, log)
	watcher.CountIgnoredFields(func(field string) { m.IgnoredFields.WithLabelValues(field).Inc() })

	// Every HTTP/1.x listener is guarded: request framing, CloudFront's
	// request size limits, head and body deadlines (internal/httpguard).
	// The edge answers a refused request with CloudFront's error page,
	// the API with an ErrorResponse.
	guard := func(reject func(int) []byte) *httpguard.Config {
		return &httpguard.Config{HeadTimeout: s.RequestHeadTimeout, BodyTimeout: s.RequestBodyTimeout,
			BodyMinRate: requestBodyMinRate, Reject: reject}
	}
	edgeGuard, apiGuard := guard(edgeServer.RefusedRequest), guard(api.RefusedRequest)

	var ready atomic.Bool
	credentials := func(id string) (string, bool) { return secret, id == keyID }
	consoleOpts := console.Options{Control: ctl, Traffic: traffic, Credentials: credentials, Node: cmp.Or(s.NodeName, node), Log: log}
	if fleetTraffic != nil {
		consoleOpts.Fleet = fleetTraffic
	}
	if s.roleRuns("edge") { // an API-only node's cache stays empty
		consoleOpts.Cache = objects
	}
	apiServer := &http.Server{
		Handler: &api.Server{
			Verifier:      &sigv4.Verifier{Credentials: sigv4.CredentialsFunc(credentials), Services: []string{"cloudfront", "lightsail", keyvaluestore.SigningName}},
			CloudFront:    cf,
			Lightsail:     lightsail.New(ctl, traffic, log),
			KeyValueStore: keyvaluestore.New(ctl, log),
			Metrics:       m.Handler(),
			Console:       console.New(consoleOpts),
			Ready:         ready.Load,
			Count:         func(api, code string) { m.APIRequests.WithLabelValues(api, code).Inc() },
			Log:           log,
		},
		ReadHeaderTimeout: s.RequestHeadTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if !s.roleRuns("api") {
		apiServer.Handler = healthOnly(ready.Load, m.Handler())
	}
	edgeHTTP := &http.Server{Handler: edgeServer, ReadHeaderTimeout: s.RequestHeadTimeout, IdleTimeout: idleTimeout, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	// Plain HTTP/1.1 connections are served by the fast path while their
	// requests are fresh memory hits, by edgeHTTP from the first one that
	// is not (package fastpath).
	edgeFast := &fastpath.Server{Handler: edgeServer, Fallback: edgeHTTP, ReadHeaderTimeout: s.RequestHeadTimeout, IdleTimeout: idleTimeout, Log: log,
		FallbackListener: func(ln net.Listener) net.Listener { return httpguard.Listener(ln, edgeGuard) }}
	var edgeHTTPS *http.Server
	var edgeFastTLS *fastpath.Server
	var edgeHTTP3 *http3.Server
	if edgeTLSLn != nil {
		cert, err := defaultCertificate(s.DataDir, s.DomainSuffix, time.Now())
		if err != nil {
			return err
		}
		// Each connection's certificate, security policy and ALPN come
		// from the distribution its SNI names (package tlsconfig).
		sel := viewerTLS(watcher.Current, &cert, certs, log)
		// HTTP/2 and HTTP/3 heads do not pass the guarded listener:
		// CloudFront's size limits are applied to them here, with the same
		// 413 page, and their servers accept header lists up to
		// httpguard.MaxHeaderListBytes so that such requests get here.
		var tlsHandler http.Handler = httpguard.LimitHead(edgeServer, edgeGuard)
		if edgeQUICConn != nil {
			tlsHandler = advertiseHTTP3(tlsHandler, watcher.Current, edgeQUICConn.LocalAddr().(*net.UDPAddr).Port)
			// The same handler serves HTTP/3: one pipeline, three
			// transports.
			edgeHTTP3 = &http3.Server{Handler: tlsHandler, TLSConfig: http3.ConfigureTLSConfig(sel.QUIC()),
				IdleTimeout: idleTimeout, MaxHeaderBytes: httpguard.MaxHeaderListBytes, Logger: log}
		}
		// The TLS listener completes handshakes and guards HTTP/1.1;
		// NextProtos (h2 in sel.TCP) lets Serve set HTTP/2 up as ServeTLS
		// would. HTTP/1.1 heads are checked by the guard first, HTTP/2 ones
		// by LimitHead.
		edgeHTTPS = &http.Server{Handler: httpguard.KeepTLS(tlsHandler), ConnContext: httpguard.ConnContext,
			ReadHeaderTimeout: s.RequestHeadTimeout, IdleTimeout: idleTimeout, ErrorLog: edgeHTTP.ErrorLog,
			MaxHeaderBytes: httpguard.MaxHeaderListBytes, TLSConfig: sel.TCP()}
		// HTTPS connections on HTTP/1.1 get the plain ones' fast path:
		// it completes the handshake, serves hits on the *tls.Conn and
		// hands HTTP/1.1 connections from the first request it cannot
		// parse to edgeHTTPS (package fastpath).
		// HTTP/2 connections (ALPN h2, offered only to distributions
		// whose HttpVersion allows it) are served by the fast path's own
		// HTTP/2 server: hits on the connection's goroutine, the rest by
		// edgeHTTPS's handler, stream by stream.
		edgeFastTLS = &fastpath.Server{Handler: edgeServer, Fallback: edgeHTTPS, TLSConfig: edgeHTTPS.TLSConfig,
			HTTP2: true, MaxHeaderListBytes: httpguard.MaxHeaderListBytes,
			ReadHeaderTimeout: s.RequestHeadTimeout, IdleTimeout: idleTimeout, Log: log,
			FallbackListener: func(ln net.Listener) net.Listener {
				return httpguard.TLSHandoffListener(ln, edgeGuard, fastpath.TLSState)
			}}
		// A client that refuses the edge's certificate is logged as such.
		edgeFastTLS.WatchHandshake = httpguard.WatchHandshakes(handshakeLog(log, filepath.Join(absolute(s.DataDir), "edge-cert.pem"), time.Now))
	}

	errs := make(chan error, 8)
	var wg sync.WaitGroup
	run := func(name string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
				errs <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	if s.roleRuns("edge") && fleetTraffic != nil {
		summarize := func() map[string]*stats.CacheSummary {
			return stats.SummarizeCache(objects.All(), stats.TopObjects, nil)
		}
		go publishTraffic(watchCtx, node, traffic, summarize, fleetTraffic.PublishTraffic, log)
	}
	if s.roleRuns("edge") { // an API-only node compiles no snapshot
		run("snapshot watcher", func() error { return watcher.Run(watchCtx) })
		select {
		case <-watcher.Ready():
		case err := <-errs:
			return err
		case <-ctx.Done():
			return nil
		}
	}

	run("api", func() error { return apiServer.Serve(httpguard.Listener(apiLn, apiGuard)) })
	log.Info("listening", "listener", "api", "addr", apiLn.Addr().String())
	if edgeLn != nil {
		run("edge http", func() error { return edgeFast.Serve(edgeLn) })
		log.Info("listening", "listener", "edge-http", "addr", edgeLn.Addr().String())
	}
	if edgeHTTPS != nil {
		run("edge https", func() error {
			return edgeFastTLS.Serve(edgeTLSLn)
		})
		log.Info("listening", "listener", "edge-https", "addr", edgeTLSLn.Addr().String())
		log.Info("edge: aliases of distributions with the default certificate are served with the *." + s.DomainSuffix + " certificate (CloudFront would refuse such aliases)")
	}
	if edgeHTTP3 != nil {
		run("edge http3", func() error { return edgeHTTP3.Serve(edgeQUICConn) })
		log.Info("listening", "listener", "edge-http3", "addr", edgeQUICConn.LocalAddr().String())
	}
	var rtmpServer *rtmp.Server
	if rtmpLn != nil {
		// The RTMP edge reads the same snapshot as the HTTP edge, so the
		// revision the watcher reports as applied is live on both.
		rtmpServer = rtmp.New(rtmp.Options{Snapshot: watcher.Current, Origin: originClient, Cache: objects, Log: log,
			Verifier: rtmpVerifier(watcher.Current, signedurl.NewVerifier(0))})
		run("edge rtmp", func() error {
			if err := rtmpServer.Serve(rtmpLn); !errors.Is(err, rtmp.ErrServerClosed) {
				return err
			}
			return nil
		})
		log.Info("listening", "listener", "edge-rtmp", "addr", rtmpLn.Addr().String())
	}
	lns.handedOver()
	ready.Store(true)
	if generated {
		firstStart(stdout, s, firstStartInfo{api: apiLn, edge: edgeLn, edgeTLS: edgeTLSLn, keyID: keyID, secret: secret})
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("stopping: signal received")
	case runErr = <-errs:
		log.Error("stopping", "err", runErr)
	}
	ready.Store(false)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := edgeFast.Shutdown(shutdownCtx); err != nil { // and edgeHTTP
		log.Warn("shutdown", "listener", "edge-http", "err", err)
	}
	if edgeHTTP3 != nil {
		if err := edgeHTTP3.Shutdown(shutdownCtx); err != nil {
			log.Warn("shutdown", "listener", "edge-http3", "err", err)
		}
	}
	if edgeFastTLS != nil {
		if err := edgeFastTLS.Shutdown(shutdownCtx); err != nil { // and edgeHTTPS
			log.Warn("shutdown", "listener", "edge-https", "err", err)
		}
	}
	for _, srv := range []*http.Server{apiServer} {
		if srv != nil {
			if err := srv.Shutdown(shutdownCtx); err != nil {
				log.Warn("shutdown", "err", err)
			}
		}
	}
	if rtmpServer != nil {
		// Ends RTMP sessions and delivers their buffered access logs.
		if err := rtmpServer.Shutdown(shutdownCtx); err != nil {
			log.Warn("shutdown", "listener", "edge-rtmp", "err", err)
		}
	}
	// Every request has finished: deliver the access logs still batched.
	if err := accessLogs.Close(shutdownCtx); err != nil {
		log.Warn("shutdown: access logs", "err", err)
	}
	if err := realtimeLogs.Close(shutdownCtx); err != nil {
		log.Warn("shutdown: real-time logs", "err", err)
	}
	stopWatch()
	wg.Wait()
	return runErr
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
