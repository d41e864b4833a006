package app

import (
	"context"
	"crypto/tls"
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

	"openfront/internal/api"
	"openfront/internal/api/cloudfront"
	"openfront/internal/cache"
	"openfront/internal/cache/disk"
	"openfront/internal/cache/memory"
	"openfront/internal/control"
	"openfront/internal/edge"
	"openfront/internal/fleet"
	"openfront/internal/metrics"
	"openfront/internal/model"
	"openfront/internal/origin"
	"openfront/internal/sigv4"
	"openfront/internal/snapshot"
	"openfront/internal/store/boltstore"
)

// nodeName is the in-process edge's name in the fleet.
const nodeName = "local"

func serve(args []string, stdout, stderr io.Writer) error {
	s, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	log, err := s.logger(stderr)
	if err != nil {
		return err
	}
	if len(s.EtcdEndpoints) > 0 {
		return errors.New("serve: --etcd-endpoints is not supported yet: this build runs the embedded store only")
	}
	if err := ensureDataDir(s.DataDir); err != nil {
		return err
	}
	keyID, secret, err := rootCredentials(s.DataDir, stdout)
	if err != nil {
		return err
	}
	st, err := boltstore.Open(filepath.Join(s.DataDir, "openfront.db"), boltstore.Options{})
	if err != nil {
		return err
	}
	defer st.Close()

	// Bind every listener before serving anything, so a taken port fails
	// the start with a clear message instead of a half-running process.
	lns := &listeners{}
	defer lns.closeAll()
	apiLn, err := lns.listen("--api-addr", s.APIAddr)
	if err != nil {
		return err
	}
	edgeLn, err := lns.listen("--edge-addr", s.EdgeAddr)
	if err != nil {
		return err
	}
	var edgeTLSLn, rtmpLn net.Listener
	if s.EdgeTLSAddr != "" {
		if edgeTLSLn, err = lns.listen("--edge-tls-addr", s.EdgeTLSAddr); err != nil {
			return err
		}
	}
	if s.RTMPAddr != "" {
		if rtmpLn, err = lns.listen("--rtmp-addr", s.RTMPAddr); err != nil {
			return err
		}
	}

	m := metrics.New()
	reports := fleet.NewLocal(0)
	ctl := control.New(st, reports, control.Settings{AccountID: s.AccountID, DomainSuffix: s.DomainSuffix})
	cf, err := cloudfront.New(ctl, log)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	objects, err := newCache(s)
	if err != nil {
		return err
	}
	httpsPort := 0
	if edgeTLSLn != nil {
		httpsPort = edgeTLSLn.Addr().(*net.TCPAddr).Port
	}
	edgeServer := edge.New(edge.Options{
		Cache: objects,
		Origin: origin.New(origin.S3{
			Endpoint: s.S3Endpoint, Region: s.S3Region,
			AccessKeyID: os.Getenv("OPENFRONT_S3_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("OPENFRONT_S3_SECRET_ACCESS_KEY"),
		}),
		Log:       log,
		HTTPSPort: httpsPort,
		Count:     func(result string) { m.EdgeRequests.WithLabelValues(result).Inc() },
	})
	watcher := snapshot.NewWatcher(st, func(ctx context.Context, snap *snapshot.Snapshot, invals []model.InvalidationRecord) error {
		edgeServer.Apply(snap, invals) // purges before the revision is reported
		m.SnapshotRevision.Set(float64(snap.Revision))
		return reports.Report(ctx, nodeName, snap.Revision)
	}, log)

	var ready atomic.Bool
	apiServer := &http.Server{
		Handler: &api.Server{
			Verifier:   &sigv4.Verifier{Credentials: sigv4.CredentialsFunc(func(id string) (string, bool) { return secret, id == keyID }), Services: []string{"cloudfront", "lightsail"}},
			CloudFront: cf,
			Metrics:    m.Handler(),
			Ready:      ready.Load,
			Count:      func(api, code string) { m.APIRequests.WithLabelValues(api, code).Inc() },
			Log:        log,
		},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	edgeHTTP := &http.Server{Handler: edgeServer, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	var edgeHTTPS *http.Server
	if edgeTLSLn != nil {
		cert, err := defaultCertificate(s.DataDir, s.DomainSuffix, time.Now())
		if err != nil {
			return err
		}
		edgeHTTPS = &http.Server{Handler: edgeServer, ReadHeaderTimeout: 10 * time.Second, ErrorLog: edgeHTTP.ErrorLog,
			TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
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
	run("snapshot watcher", func() error { return watcher.Run(watchCtx) })
	select {
	case <-watcher.Ready():
	case err := <-errs:
		return err
	case <-ctx.Done():
		return nil
	}

	run("api", func() error { return apiServer.Serve(apiLn) })
	log.Info("listening", "listener", "api", "addr", apiLn.Addr().String())
	run("edge http", func() error { return edgeHTTP.Serve(edgeLn) })
	log.Info("listening", "listener", "edge-http", "addr", edgeLn.Addr().String())
	if edgeHTTPS != nil {
		run("edge https", func() error { return edgeHTTPS.ServeTLS(edgeTLSLn, "", "") })
		log.Info("listening", "listener", "edge-https", "addr", edgeTLSLn.Addr().String())
	}
	if rtmpLn != nil {
		run("edge rtmp", func() error { return serveRTMP(rtmpLn, log) })
		log.Info("listening", "listener", "edge-rtmp", "addr", rtmpLn.Addr().String())
	}
	lns.handedOver()
	ready.Store(true)

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
	for _, srv := range []*http.Server{apiServer, edgeHTTP, edgeHTTPS} {
		if srv != nil {
			if err := srv.Shutdown(shutdownCtx); err != nil {
				log.Warn("shutdown", "err", err)
			}
		}
	}
	if rtmpLn != nil {
		rtmpLn.Close()
	}
	stopWatch()
	wg.Wait()
	return runErr
}

// listeners closes what it bound if the start fails before serving.
type listeners struct {
	lns    []net.Listener
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

func (l *listeners) handedOver() { l.served = true }

func (l *listeners) closeAll() {
	if l.served {
		return
	}
	for _, ln := range l.lns {
		ln.Close()
	}
}

// serveRTMP accepts RTMP connections; streaming playback comes with the
// RTMP edge. Until then each connection is closed at once.
func serveRTMP(ln net.Listener, log *slog.Logger) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		log.Debug("rtmp: connection refused: RTMP playback is not implemented yet", "remote", c.RemoteAddr().String())
		c.Close()
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
