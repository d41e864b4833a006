package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"openfront/internal/edge"
)

// Settings are the process settings of `openfront serve` (README.md,
// "Command line").
type Settings struct {
	APIAddr      string
	EdgeAddr     string
	EdgeTLSAddr  string
	EdgeQUICAddr string // UDP, HTTP/3 (default: EdgeTLSAddr; empty disables)
	RTMPAddr     string
	DataDir      string
	DomainSuffix string
	AccountID    string

	S3Endpoint string
	S3Region   string
	// KinesisEndpoint is where real-time log records are put
	// (internal/realtimelog); each in its stream ARN's region, or in
	// KinesisRegion for an ARN that names none.
	KinesisEndpoint  string
	KinesisRegion    string
	LightsailOrigins map[string]string
	GeoIPDB          string
	AccessLogDir     string

	CacheDir         string
	CacheMemoryBytes int64
	CacheDiskBytes   int64

	EtcdEndpoints []string
	Role          string
	NodeName      string        // the edge's name in the fleet (etcd)
	EdgeLeaseTTL  time.Duration // how long a dead edge keeps blocking (etcd)

	// CertificateDir holds the operator's viewer certificates for
	// ACMCertificateArn / IAMCertificateId (package tlsconfig).
	CertificateDir string

	LogLevel  string
	LogFormat string
	// CPUProfile is where a Go CPU profile of the run is written (empty:
	// none).
	CPUProfile string

	// RequestHeadTimeout and RequestBodyTimeout bound slow viewers and API
	// clients (internal/httpguard).
	RequestHeadTimeout time.Duration
	RequestBodyTimeout time.Duration
	// ResponseSendTimeout closes an edge connection (HTTP/1.1; on HTTP/2
	// and HTTP/3 the stream) whose viewer takes none of the response for
	// this long (package fastpath, sendtimeout.go).
	ResponseSendTimeout time.Duration

	// FunctionTimeLimit is the CPU time a CloudFront function may use per
	// run at the edge before it is stopped (FunctionThrottledError).
	FunctionTimeLimit time.Duration
}

// errBadFlag is a command line the flag package refused (it printed why).
var errBadFlag = errors.New("bad flag")

// parseServeFlags reads serve's flags. -h prints the usage to stdout and
// returns flag.ErrHelp.
func parseServeFlags(args []string, stdout, stderr io.Writer) (*Settings, error) {
	s := &Settings{LightsailOrigins: map[string]string{}}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // the parse error alone; the whole usage on -h only
	fs.StringVar(&s.APIAddr, "api-addr", "127.0.0.1:4580", "control-plane API listen address (CloudFront REST-XML, Lightsail JSON, /healthz, /metrics, /console)")
	fs.StringVar(&s.EdgeAddr, "edge-addr", "127.0.0.1:8080", "edge HTTP listen address")
	fs.StringVar(&s.EdgeTLSAddr, "edge-tls-addr", "127.0.0.1:8443", "edge HTTPS listen address (empty disables)")
	fs.StringVar(&s.EdgeQUICAddr, "edge-quic-addr", "", "edge HTTP/3 (QUIC, UDP) listen address for distributions whose HttpVersion is http3 or http2and3 (default: the --edge-tls-addr address; empty disables)")
	fs.StringVar(&s.CertificateDir, "certificate-dir", "", "directory of the operator's viewer certificates: <name>.crt and <name>.key (PEM) per ACMCertificateArn or IAMCertificateId, ':' written '_' and '/' written '+'; re-read without a restart (API and edge nodes)")
	fs.StringVar(&s.RTMPAddr, "rtmp-addr", "127.0.0.1:1935", "edge RTMP listen address for streaming distributions (empty disables)")
	fs.StringVar(&s.DataDir, "data-dir", "./openfront-data", "directory of the embedded store, credentials and certificates")
	fs.StringVar(&s.DomainSuffix, "domain-suffix", "cloudfront.localhost", "distribution domain names are d<13 chars>.<suffix>")
	fs.StringVar(&s.AccountID, "account-id", "123456789012", "account id used in ARNs")
	fs.StringVar(&s.S3Endpoint, "s3-endpoint", "", "S3-compatible endpoint URL that S3 origins are fetched from (default: AWS)")
	fs.StringVar(&s.S3Region, "s3-region", "us-east-1", "region used to sign S3 origin requests")
	fs.StringVar(&s.KinesisEndpoint, "kinesis-endpoint", "", "Kinesis-compatible endpoint URL that real-time log records are put to with PutRecords (default: AWS Kinesis; each stream in its ARN's region)")
	fs.StringVar(&s.KinesisRegion, "kinesis-region", "us-east-1", "region of the Kinesis endpoint, for stream ARNs that name no region")
	fs.Func("lightsail-origin", "NAME=HOST[:PORT]: where a Lightsail origin resource name is really served (repeatable)", func(v string) error {
		name, host, ok := strings.Cut(v, "=")
		if !ok || name == "" || host == "" {
			return fmt.Errorf("want NAME=HOST[:PORT], got %q", v)
		}
		s.LightsailOrigins[name] = host
		return nil
	})
	fs.StringVar(&s.GeoIPDB, "geoip-db", "", "MaxMind/DB-IP country .mmdb file for geo restriction")
	fs.StringVar(&s.AccessLogDir, "access-log-dir", "", "write standard access logs under DIR/<bucket>/<prefix>... instead of to the logging bucket on the S3 endpoint")
	fs.StringVar(&s.CacheDir, "cache-dir", "", "disk cache tier directory (default: <data-dir>/cache)")
	fs.Int64Var(&s.CacheMemoryBytes, "cache-memory-bytes", 256<<20, "memory cache tier size in bytes")
	fs.Int64Var(&s.CacheDiskBytes, "cache-disk-bytes", 0, "disk cache tier size in bytes (0 disables the disk tier)")
	etcd := fs.String("etcd-endpoints", "", "comma-separated etcd client URLs: use an etcd cluster instead of the embedded store")
	fs.StringVar(&s.Role, "role", "all", "all|api|edge: with etcd, run API-only or edge-only nodes")
	fs.StringVar(&s.NodeName, "node-name", "", "this edge's name: its metrics' node label, and with etcd its name in the fleet (default: local; with etcd host name/--edge-addr)")
	fs.DurationVar(&s.EdgeLeaseTTL, "edge-lease-ttl", 10*time.Second, "with etcd: lease of this edge's reports; a dead edge stops blocking Deployed/Completed after it (whole seconds)")
	fs.StringVar(&s.LogLevel, "log-level", "info", "debug|info|warn|error")
	fs.StringVar(&s.LogFormat, "log-format", "text", "text|json")
	fs.StringVar(&s.CPUProfile, "cpu-profile", "", "write a CPU profile of this run (Go pprof format) to FILE, complete when serve stops")
	fs.DurationVar(&s.RequestHeadTimeout, "request-head-timeout", 10*time.Second, "edge and API: a request line and headers must arrive within this long of their first byte (a new connection's: of the connect)")
	fs.DurationVar(&s.RequestBodyTimeout, "request-body-timeout", 30*time.Second, "edge and API: a request body must arrive within this long of its first byte, plus one second per 500 bytes received")
	fs.DurationVar(&s.ResponseSendTimeout, "response-send-timeout", 30*time.Second, "edge: a viewer that takes none of a response for this long is disconnected (a slow one that keeps reading never is)")
	fs.DurationVar(&s.FunctionTimeLimit, "function-time-limit", edge.DefaultFunctionTimeLimit, "edge: CPU time a CloudFront function may use per run before it is stopped as FunctionThrottledError (1ms is 100% compute utilization)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, "Usage: openfront serve [flags]\n\nFlags:\n")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			fmt.Fprint(stdout, "\nEnvironment:\n"+environmentHelp)
			return nil, err
		}
		fmt.Fprintln(stderr, "Run 'openfront serve -h' for the flags.")
		return nil, errBadFlag
	}
	quicSet := false
	fs.Visit(func(f *flag.Flag) { quicSet = quicSet || f.Name == "edge-quic-addr" })
	if !quicSet {
		s.EdgeQUICAddr = s.EdgeTLSAddr
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("serve: unexpected arguments %q", fs.Args())
	}
	if quicSet && s.EdgeQUICAddr != "" && s.EdgeTLSAddr == "" {
		// HTTP/3 serves the HTTPS distributions with the TLS listener's
		// certificates; without it the UDP port would quietly serve nothing.
		return nil, fmt.Errorf("serve: --edge-quic-addr %s needs --edge-tls-addr (HTTP/3 is the HTTPS edge over UDP)", s.EdgeQUICAddr)
	}
	for _, e := range []struct{ flag, url string }{{"--s3-endpoint", s.S3Endpoint}, {"--kinesis-endpoint", s.KinesisEndpoint}} {
		if err := checkEndpointURL(e.url); err != nil {
			return nil, fmt.Errorf("serve: %s: %w", e.flag, err)
		}
	}
	if *etcd != "" {
		s.EtcdEndpoints = strings.Split(*etcd, ",")
	}
	switch s.Role {
	case "all", "api", "edge":
	default:
		return nil, fmt.Errorf("serve: --role must be all, api or edge, not %q", s.Role)
	}
	if s.EdgeLeaseTTL < time.Second {
		return nil, fmt.Errorf("serve: --edge-lease-ttl must be at least 1s, not %s", s.EdgeLeaseTTL)
	}
	if s.RequestHeadTimeout <= 0 || s.RequestBodyTimeout <= 0 || s.ResponseSendTimeout <= 0 {
		return nil, fmt.Errorf("serve: --request-head-timeout, --request-body-timeout and --response-send-timeout must be positive")
	}
	if s.Role != "all" && len(s.EtcdEndpoints) == 0 {
		return nil, fmt.Errorf("serve: --role %s needs --etcd-endpoints (a single node with the embedded store runs every role)", s.Role)
	}
	return s, nil
}

// checkEndpointURL refuses at start an endpoint URL the SDK would only
// refuse at first use (the first log file or S3 origin fetch, maybe hours
// later): it must be an absolute http or https URL with a host. Empty
// means AWS itself.
func checkEndpointURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%q is not an http:// or https:// URL with a host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q: an endpoint URL has no query, fragment or user information", raw)
	}
	return nil
}

func (s *Settings) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s.LogLevel)); err != nil {
		return nil, fmt.Errorf("serve: --log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch s.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("serve: --log-format must be text or json, not %q", s.LogFormat)
}

// ensureDataDir creates the data dir and checks it is a writable directory.
func ensureDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data dir %s is unusable: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("data dir %s is unusable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
