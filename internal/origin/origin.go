// Package origin fetches objects from a distribution's origins: custom
// origins over HTTP or HTTPS with the origin's ports, protocol policy, TLS
// floor, timeouts and connection attempts, and S3 origins (path-style to a
// configured S3-compatible endpoint, signed with SigV4 when an origin
// access identity or control asks for it). A custom origin's
// OriginSslProtocols is an allow-list: the TLS versions offered run from
// the lowest listed to the highest (TLSv1.2 also allows TLS 1.3).
//
// GET and HEAD requests without a body to custom origins over plain HTTP
// (every cache miss of such an origin) go through a client of this
// package's own (h1.go): one goroutine per request, connections pooled
// per origin address for the origin's keep-alive timeout. Everything
// else goes through net/http: one http.Transport is kept per distinct
// origin setting, so its connections are pooled and reused the same way.
// Errors come back classified: a timeout is 504, any other failure to get
// a response is 502 ("Request and response behavior for custom origins",
// AWS CloudFront Developer Guide).
package origin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"openfront/internal/model"
)

// Error is a failed origin fetch with the status the edge answers.
type Error struct {
	Status int    // 502 or 504
	Detail string // access-log detail: OriginConnectError, OriginReadError, OriginDnsError, ...
	Err    error
	// Attempts is how many times the request was sent before Do gave up
	// (ConnectionAttempts for a GET or HEAD, fewer when the context ended
	// first); 0 where nothing counted them.
	Attempts int
}

func (e *Error) Error() string { return fmt.Sprintf("origin: %s: %v", e.Detail, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// S3 says where S3 origins are really fetched from.
type S3 struct {
	// Endpoint is an S3-compatible endpoint URL (path-style requests); empty
	// means AWS itself (virtual-hosted style to the origin's domain).
	Endpoint string
	Region   string
	// Credentials sign requests of origins with an OAI or OAC; empty
	// AccessKeyID leaves requests unsigned.
	AccessKeyID, SecretAccessKey string
}

// Client fetches from origins.
type Client struct {
	s3     S3
	signer *v4.Signer

	// roots verify origin certificates (nil: the system's; tests set it).
	roots *x509.CertPool

	mu         sync.Mutex
	transports map[transportKey]*http.Transport
	named      int // transports keyed by a ServerName or AllowedCertificateNames
	h1Pools    map[h1Key]*h1Pool
}

// New returns a Client.
func New(s3 S3) *Client {
	if s3.Region == "" {
		s3.Region = "us-east-1"
	}
	return &Client{s3: s3, signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }), transports: map[transportKey]*http.Transport{}, h1Pools: map[h1Key]*h1Pool{}}
}

// Request is one origin request, already filtered by the edge.
type Request struct {
	Origin      *model.Origin
	ViewerHTTPS bool
	Method      string
	// Path is OriginPath + the viewer path, as it goes on the wire
	// (escaped); RawQuery has no "?".
	Path, RawQuery string
	Header         http.Header
	// Host is the Host header for the origin ("" = the origin's domain).
	Host          string
	Body          io.Reader
	ContentLength int64
	// Sign asks for SigV4 signing of an S3 origin request.
	Sign bool
	// Interim, when set, receives each interim (1xx) response the origin
	// sends before its final one (103 Early Hints, 102...), except 100
	// Continue, which answers the edge's own Expect and is not the
	// viewer's. It runs on the transport's goroutine, in order, before Do
	// returns; h is the origin's header as read.
	Interim func(status int, h http.Header)
	// ServerName is the TLS server name (SNI) sent to an HTTPS origin and
	// checked against its certificate ("": the origin's domain name).
	// AllowedCertificateNames, when set, are the names the certificate may
	// be issued for instead (wildcards allowed). A viewer-request
	// function's sni and allowedCertificateNames set them ("Helper methods
	// for origin modification", Developer Guide).
	ServerName              string
	AllowedCertificateNames []string
	// GRPC asks for HTTP/2 over TLS to the origin, as CloudFront proxies
	// gRPC: "CloudFront only supports secure (HTTPS-based) gRPC
	// connections. gRPC only supports end-to-end HTTPS" (Developer Guide,
	// "Using gRPC with CloudFront distributions"). An origin the request
	// would reach over plain HTTP fails with a 502.
	GRPC bool
	// DeadlineOnly says ctx ends only at its deadline (a collapsed fill's
	// context, cache.IsFillContext): the plain-HTTP client then bounds its
	// I/O by that deadline without watching ctx for cancellation.
	DeadlineOnly bool
	// Upgrade marks a WebSocket opening handshake (RFC 6455 section 4.1;
	// the caller sets Upgrade and Connection in Header). It goes through
	// net/http's Transport, HTTP/1.1 over the origin's protocol (ws to
	// an HTTP origin, wss to an HTTPS one: "Use WebSockets with
	// CloudFront distributions", Developer Guide). A 101 Switching
	// Protocols answer comes back with the connection as its Body, an
	// io.ReadWriteCloser: the connection timeout and the response
	// timeout bound the handshake, nothing bounds what follows (the
	// caller does). Without Upgrade, a 101 is an invalid response.
	Upgrade bool
}

// Limits on interim responses: net/http leaves them to whoever asks to see
// them (httptrace.ClientTrace.Got1xxResponse), and an origin must not keep
// the edge reading 1xx heads forever. Their heads together count against
// the same 20,480 bytes as the final head (MaxResponseHeadBytes).
const maxInterimResponses = 16

// errInterimTooLarge fails a fetch whose interim responses exceed the limits.
var errInterimTooLarge = errors.New("origin sent too many or too large 1xx responses")

// errRepeatedContinue fails a fetch whose origin sent 100 Continue twice:
// "Your origin cannot send more than one 100-Continue response to
// CloudFront ... CloudFront will return an error" (AWS "Request and
// response behavior for custom origins", 100-Continue responses).
var errGRPCNeedsHTTPS = errors.New("gRPC is proxied to HTTPS origins only (the origin protocol policy chose HTTP)")

// SetRootCAs sets the certificates origin certificates are verified
// against (nil: the system's). Call it before the first request.
func (c *Client) SetRootCAs(roots *x509.CertPool) { c.roots = roots }

var errRepeatedContinue = errors.New("origin sent more than one 100 Continue")

// errUnaskedSwitch fails a fetch answered with 101 Switching Protocols
// that asked for no upgrade (Request.Upgrade), as the plain-HTTP client
// does (h1.go).
var errUnaskedSwitch = errors.New("origin switched protocols unasked")

// MaxResponseHeadBytes is the longest origin response head accepted.
const MaxResponseHeadBytes = 20480

type transportKey struct {
	http2      bool
	minTLS     uint16
	maxTLS     uint16
	connect    time.Duration
	keepalive  time.Duration
	serverName string
	allowed    string // AllowedCertificateNames, joined with ","
}

func (c *Client) transport(o *model.Origin, r *Request) *http.Transport {
	k := transportKey{http2: r.GRPC, minTLS: tls.VersionTLS12, maxTLS: tls.VersionTLS13, connect: o.ConnectionTimeout, keepalive: 5 * time.Second,
		serverName: r.ServerName, allowed: strings.Join(r.AllowedCertificateNames, ",")}
	if o.Custom != nil {
		k.keepalive = o.Custom.KeepaliveTimeout
		k.minTLS, k.maxTLS = tlsVersions(o.Custom.SSLProtocols)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.transports[k]; ok {
		return t
	}
	d := &net.Dialer{Timeout: k.connect, KeepAlive: 30 * time.Second}
	tlsConfig := &tls.Config{MinVersion: k.minTLS, MaxVersion: k.maxTLS, RootCAs: c.roots, ServerName: k.serverName}
	if k.allowed != "" {
		// The chain is verified here, the name against the allowed list.
		tlsConfig.InsecureSkipVerify = true
		tlsConfig.VerifyConnection = verifyAllowedNames(c.roots, strings.Split(k.allowed, ","))
	}
	t := &http.Transport{
		Proxy:               nil, // an origin is reached directly
		DialContext:         d.DialContext,
		TLSHandshakeTimeout: k.connect,
		TLSClientConfig:     tlsConfig,
		MaxIdleConns:        4096,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     k.keepalive,
		DisableCompression:  true,    // bytes pass through as the origin sent them
		ForceAttemptHTTP2:   k.http2, // gRPC only; HTTP/1.1 otherwise, as CloudFront
		WriteBufferSize:     64 << 10,
		ReadBufferSize:      64 << 10,
		// CloudFront's "Maximum length of a request or an origin response,
		// including headers and query strings, but not including the body
		// content: 20,480 bytes" (Developer Guide, "Quotas"); a longer
		// response head is a 502 (classify).
		MaxResponseHeaderBytes: MaxResponseHeadBytes,
	}
	if k.serverName != "" || k.allowed != "" {
		// Names a function chose are unbounded: past a few hundred
		// settings, a transport is made for the one request and keeps no
		// connection.
		if c.named >= maxNamedTransports {
			t.DisableKeepAlives = true
			return t
		}
		c.named++
	}
	c.transports[k] = t
	return t
}

// maxNamedTransports bounds the pooled transports with a ServerName or
// AllowedCertificateNames of their own.
const maxNamedTransports = 256

// verifyAllowedNames checks an origin's certificate chain against roots
// (nil: the system's) and its names against allowed: one of the
// certificate's DNS names must match one of the allowed names, either of
// which may be a wildcard of one label ("*.example.com").
func verifyAllowedNames(roots *x509.CertPool, allowed []string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("origin sent no certificate")
		}
		leaf := cs.PeerCertificates[0]
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter}); err != nil {
			return err
		}
		for _, want := range allowed {
			for _, name := range leaf.DNSNames {
				if certNameMatches(want, name) {
					return nil
				}
			}
		}
		return fmt.Errorf("origin certificate names %v match none of the allowed certificate names %v", leaf.DNSNames, allowed)
	}
}

// certNameMatches: equal names (case-insensitive), or a one-label wildcard
// on either side.
func certNameMatches(a, b string) bool {
	a, b = strings.ToLower(strings.TrimSuffix(a, ".")), strings.ToLower(strings.TrimSuffix(b, "."))
	if a == b {
		return true
	}
	wild := func(pattern, name string) bool {
		suffix, ok := strings.CutPrefix(pattern, "*")
		if !ok || !strings.HasPrefix(suffix, ".") {
			return false
		}
		label, ok := strings.CutSuffix(name, suffix)
		return ok && label != "" && !strings.Contains(label, ".") && label != "*"
	}
	return wild(a, b) || wild(b, a)
}

// tlsVersions are the TLS versions an origin's OriginSslProtocols allow
// ("the SSL/TLS protocols that CloudFront can use when establishing an
// HTTPS connection with your origin", API Reference, OriginSslProtocols):
// from the lowest listed to the highest, TLSv1.2 including TLS 1.3. Go
// speaks no SSLv3 (it counts as TLS 1.0) and cannot leave out a version
// between two allowed ones (TLSv1 with TLSv1.2 also allows TLS 1.1).
// None listed: TLS 1.2 and 1.3.
func tlsVersions(protocols []string) (lowest, highest uint16) {
	for _, p := range protocols {
		var lo, hi uint16
		switch p {
		case "SSLv3", "TLSv1":
			lo, hi = tls.VersionTLS10, tls.VersionTLS10
		case "TLSv1.1":
			lo, hi = tls.VersionTLS11, tls.VersionTLS11
		case "TLSv1.2":
			lo, hi = tls.VersionTLS12, tls.VersionTLS13
		default:
			continue
		}
		if lowest == 0 || lo < lowest {
			lowest = lo
		}
		highest = max(highest, hi)
	}
	if lowest == 0 {
		return tls.VersionTLS12, tls.VersionTLS13
	}
	return lowest, highest
}

// URL returns the URL a request goes to.
func (c *Client) URL(r *Request) *url.URL {
	u := &url.URL{Path: r.Path, RawPath: r.Path, RawQuery: r.RawQuery}
	if p, err := url.PathUnescape(r.Path); err == nil {
		u.Path = p
	}
	o := r.Origin
	switch {
	case o.S3 != nil && c.s3.Endpoint != "":
		ep, err := url.Parse(c.s3.Endpoint)
		if err == nil {
			bucket := model.S3Bucket(o.DomainName)
			if bucket == "" {
				bucket = o.DomainName
			}
			u.Scheme, u.Host = ep.Scheme, ep.Host
			prefix := strings.TrimRight(ep.Path, "/") + "/" + bucket
			u.Path = prefix + u.Path
			u.RawPath = prefix + r.Path
			return u
		}
	case o.S3 != nil:
		u.Scheme, u.Host = "https", o.DomainName
		return u
	}
	https := false
	port := 80
	if o.Custom != nil {
		switch o.Custom.ProtocolPolicy {
		case "https-only":
			https = true
		case "match-viewer":
			https = r.ViewerHTTPS
		}
		port = o.Custom.HTTPPort
		if https {
			port = o.Custom.HTTPSPort
		}
	}
	u.Scheme = "http"
	if https {
		u.Scheme = "https"
	}
	u.Host = net.JoinHostPort(strings.Trim(o.DomainName, "[]"), strconv.Itoa(port))
	if (https && port == 443) || (!https && port == 80) {
		u.Host = hostOnly(o.DomainName)
	}
	return u
}

func hostOnly(h string) string {
	if ip := net.ParseIP(strings.Trim(h, "[]")); ip != nil && ip.To4() == nil {
		return "[" + ip.String() + "]"
	}
	return h
}

// ReleaseHeader gives back the header map of a response Do returned, or
// of a request Do kept no reference to (KeepsNoHeader), once the caller is
// done with the map: nothing may read or write h after this (the strings
// and []string values taken from it may be kept: they are not reused).
// The plain-HTTP client makes its next responses' headers of such maps,
// and NewHeader the next requests', rather than new ones (about 390
// bytes of garbage each: one map's group of slots); a map of more than
// pooledHeaderFields fields is left to the garbage collector.
func ReleaseHeader(h http.Header) {
	if h == nil || len(h) > pooledHeaderFields {
		return
	}
	clear(h)
	headerPool.Put(h)
}

// NewHeader returns an empty header map for about n fields (an origin
// request's, or the plain-HTTP client's for a response): one
// ReleaseHeader gave back if there is one (it grows as any map would),
// else a new one.
func NewHeader(n int) http.Header {
	if h, _ := headerPool.Get().(http.Header); h != nil {
		return h
	}
	return make(http.Header, n)
}

// KeepsNoHeader reports whether Do keeps no reference to r.Header once it
// has returned: the plain-HTTP client writes the request's head before it
// reads the response, and keeps only the response. (net/http's Transport
// may still be writing a request when RoundTrip returns: its header is
// the Transport's until the response body is closed.) The caller may
// then give the map back (ReleaseHeader).
func (c *Client) KeepsNoHeader(r *Request) bool {
	_, _, ok := plainHTTP(r)
	return ok
}

// pooledHeaderFields is the most fields of a header map ReleaseHeader
// keeps: one group of a map's slots.
const pooledHeaderFields = 8

// headerPool holds the maps ReleaseHeader gave back, empty.
var headerPool sync.Pool

// Do sends the request and returns the origin's response headers; the
// caller reads and closes the body. GET and HEAD are retried on connection
// failures and timeouts up to the origin's ConnectionAttempts; other
// methods are tried once ("Request and response behavior for custom
// origins", AWS CloudFront Developer Guide).
func (c *Client) Do(ctx context.Context, r *Request) (*http.Response, error) {
	o := r.Origin
	attempts := o.ConnectionAttempts
	if attempts < 1 || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		attempts = 1
	}
	readTimeout := 30 * time.Second
	if o.Custom != nil {
		readTimeout = o.Custom.ReadTimeout
	} else if o.S3 != nil && o.S3.ReadTimeout > 0 {
		readTimeout = o.S3.ReadTimeout
	}
	if k, host, ok := plainHTTP(r); ok {
		return c.doPlain(ctx, c.poolFor(k), host, r, attempts, readTimeout)
	}
	return c.viaTransport(ctx, r, attempts, readTimeout)
}

// doTransport is Do through net/http's Transport whatever the request
// (benchmarks compare the two clients).
func (c *Client) doTransport(ctx context.Context, r *Request) (*http.Response, error) {
	attempts, readTimeout := 1, r.Origin.Custom.ReadTimeout
	return c.viaTransport(ctx, r, attempts, readTimeout)
}

// viaTransport is Do through net/http's Transport.
func (c *Client) viaTransport(ctx context.Context, r *Request, attempts int, readTimeout time.Duration) (*http.Response, error) {
	o := r.Origin
	t := c.transport(o, r)
	u := c.URL(r)
	if r.GRPC && u.Scheme != "https" {
		return nil, &Error{Status: http.StatusBadGateway, Detail: "OriginConnectError", Err: errGRPCNeedsHTTPS}
	}
	var lastErr error
	tried := 0
	for i := 0; i < attempts; i++ {
		if ctx.Err() != nil {
			break
		}
		tried++
		// The request's context is the one roundTrip's timeouts cancel,
		// made here so that the request is not copied to carry it.
		rctx, cancel := context.WithCancelCause(withInterim(ctx, r.Interim))
		// u is set below: only the method and body are taken from here
		// (parsing u.String() again would cost every fetch a URL).
		req, err := http.NewRequestWithContext(rctx, r.Method, "http:", r.Body)
		if err != nil {
			cancel(nil)
			return nil, &Error{Status: http.StatusBadGateway, Detail: "OriginError", Err: err}
		}
		req.URL, req.Host = u, u.Host
		req.Header = r.Header
		req.ContentLength = r.ContentLength
		if r.Host != "" {
			req.Host = r.Host
		}
		if r.Sign && o.S3 != nil && c.s3.AccessKeyID != "" {
			req.Header = req.Header.Clone()
			req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			req.Header.Del("Authorization")
			creds := aws.Credentials{AccessKeyID: c.s3.AccessKeyID, SecretAccessKey: c.s3.SecretAccessKey}
			if err := c.signer.SignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", c.s3.Region, time.Now()); err != nil {
				cancel(nil)
				return nil, &Error{Status: http.StatusBadGateway, Detail: "OriginError", Err: err}
			}
		}
		resp, err := c.roundTrip(t, req, cancel, readTimeout, o.ResponseCompletionTimeout)
		if err == nil && resp.StatusCode == http.StatusSwitchingProtocols && !r.Upgrade {
			resp.Body.Close() // (closes the connection: a switched one is never reused)
			err = errUnaskedSwitch
		}
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if r.Body != nil {
			break // a consumed body cannot be sent again
		}
	}
	return nil, gaveUp(ctx, lastErr, tried)
}

// gaveUp is Do's error after tried attempts, the last failing with
// lastErr (nil: the context ended before any).
func gaveUp(ctx context.Context, lastErr error, tried int) *Error {
	if lastErr == nil {
		lastErr = ctx.Err()
	}
	e := classify(lastErr)
	e.Attempts = tried
	return e
}

// plainHTTP says whether r goes through the plain-HTTP client (h1.go): a
// GET or HEAD without a body to a custom origin over HTTP, with a path
// that goes on the request line as it is. It returns the pool's key and
// the Host header.
func plainHTTP(r *Request) (k h1Key, host string, ok bool) {
	o := r.Origin
	if o.Custom == nil || r.GRPC || r.Upgrade || r.Body != nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return k, "", false
	}
	switch o.Custom.ProtocolPolicy {
	case "https-only":
		return k, "", false
	case "match-viewer":
		if r.ViewerHTTPS {
			return k, "", false
		}
	}
	if !plainPath(r.Path) || !plainQuery(r.RawQuery) {
		return k, "", false
	}
	k = h1Key{host: strings.Trim(o.DomainName, "[]"), port: o.Custom.HTTPPort, connect: o.ConnectionTimeout, keepalive: o.Custom.KeepaliveTimeout}
	host = r.Host
	if host == "" {
		host = hostOnly(o.DomainName)
		if k.port != 80 {
			host = net.JoinHostPort(k.host, strconv.Itoa(k.port))
		}
	}
	return k, host, true
}

// doPlain is Do on the plain-HTTP client.
func (c *Client) doPlain(ctx context.Context, p *h1Pool, host string, r *Request, attempts int, readTimeout time.Duration) (*http.Response, error) {
	var lastErr error
	tried := 0
	for i := 0; i < attempts; i++ {
		if ctx.Err() != nil {
			break
		}
		tried++
		e := h1Exchange{ctx: ctx, pool: p, readTimeout: readTimeout, deadlineOnly: r.DeadlineOnly}
		if d := r.Origin.ResponseCompletionTimeout; d > 0 {
			e.whole = time.Now().Add(d)
		}
		resp, err := e.roundTrip(r, host)
		if err == nil {
			return resp, nil
		}
		lastErr = err
	}
	return nil, gaveUp(ctx, lastErr, tried)
}

// withInterim returns ctx with a client trace that hands the origin's
// interim responses to relay, within maxInterimResponses and
// MaxResponseHeadBytes; ctx itself when relay is nil.
func withInterim(ctx context.Context, relay func(int, http.Header)) context.Context {
	if relay == nil {
		return ctx
	}
	count, size, continues := 0, 0, 0
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			if code == http.StatusContinue {
				if continues++; continues > 1 {
					return errRepeatedContinue
				}
			}
			count++
			size += len("HTTP/1.1 100 \r\n\r\n")
			for name, vs := range h {
				for _, v := range vs {
					size += len(name) + len(v) + len(": \r\n")
				}
			}
			if count > maxInterimResponses || size > MaxResponseHeadBytes {
				return errInterimTooLarge
			}
			if code != http.StatusContinue {
				relay(code, http.Header(h))
			}
			return nil
		},
	})
}

// roundTrip sends req; the origin must start answering within readTimeout
// and never pause longer than that between reads of the body. A non-zero
// completion bounds the whole response, headers to last byte: "If the
// complete response isn't received from the origin by this time,
// CloudFront ends the connection" (API Reference, Origin,
// ResponseCompletionTimeout).
// cancel cancels req's context.
func (c *Client) roundTrip(t *http.Transport, req *http.Request, cancel context.CancelCauseFunc, readTimeout, completion time.Duration) (*http.Response, error) {
	ctx := req.Context()
	timer := time.AfterFunc(readTimeout, func() { cancel(errReadTimeout) })
	var whole *time.Timer
	if completion > 0 {
		whole = time.AfterFunc(completion, func() { cancel(errCompletionTimeout) })
	}
	resp, err := t.RoundTrip(req)
	if err != nil {
		timer.Stop()
		if whole != nil {
			whole.Stop()
		}
		if cause := context.Cause(ctx); cause == errReadTimeout || cause == errCompletionTimeout {
			err = cause
		}
		cancel(nil)
		return nil, err
	}
	if rwc, ok := resp.Body.(io.ReadWriteCloser); ok && resp.StatusCode == http.StatusSwitchingProtocols {
		// The connection switched protocols (net/http gives it as the
		// body): the read and completion timeouts were the handshake's.
		timer.Stop()
		if whole != nil {
			whole.Stop()
		}
		resp.Body = &switchedBody{ReadWriteCloser: rwc, cancel: cancel}
		return resp, nil
	}
	resp.Body = &idleBody{rc: resp.Body, timer: timer, whole: whole, timeout: readTimeout, cancel: cancel, ctx: ctx}
	timer.Reset(readTimeout)
	return resp, nil
}

// switchedBody is the body of a 101 Switching Protocols answer: the
// origin connection itself, read and written by the caller until it
// closes it.
type switchedBody struct {
	io.ReadWriteCloser
	cancel context.CancelCauseFunc
}

func (b *switchedBody) Close() error {
	err := b.ReadWriteCloser.Close()
	b.cancel(nil)
	return err
}

// CloseWrite half-closes the connection (TCP FIN, or TLS close_notify),
// as *net.TCPConn does.
func (b *switchedBody) CloseWrite() error {
	if cw, ok := b.ReadWriteCloser.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("origin connection cannot half-close")
}

var (
	errReadTimeout       = errors.New("origin read timeout")
	errCompletionTimeout = errors.New("origin response completion timeout")
)

// idleBody re-arms the read timeout after every read.
type idleBody struct {
	rc      io.ReadCloser
	timer   *time.Timer
	whole   *time.Timer // ResponseCompletionTimeout; nil when unbounded
	timeout time.Duration
	cancel  context.CancelCauseFunc
	ctx     context.Context
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.timer.Reset(b.timeout)
	}
	if err != nil && err != io.EOF {
		if cause := context.Cause(b.ctx); cause == errReadTimeout || cause == errCompletionTimeout {
			err = &Error{Status: http.StatusGatewayTimeout, Detail: "OriginReadError", Err: cause}
		}
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	if b.whole != nil {
		b.whole.Stop()
	}
	err := b.rc.Close()
	b.cancel(nil)
	return err
}

func classify(err error) *Error {
	var oe *Error
	if errors.As(err, &oe) {
		return oe
	}
	var ne net.Error
	var dnsErr *net.DNSError
	switch {
	case strings.Contains(err.Error(), "server response headers exceeded"), errors.Is(err, errInterimTooLarge), errors.Is(err, errHeadTooLarge):
		// net/http's error for MaxResponseHeaderBytes (not exported).
		return &Error{Status: http.StatusBadGateway, Detail: "OriginHeaderTooBigError", Err: err}
	case errors.Is(err, errRepeatedContinue), errors.Is(err, errInvalidResponse), errors.Is(err, errUnaskedSwitch):
		return &Error{Status: http.StatusBadGateway, Detail: "OriginInvalidResponseError", Err: err}
	case errors.Is(err, errReadTimeout), errors.Is(err, errCompletionTimeout):
		return &Error{Status: http.StatusGatewayTimeout, Detail: "OriginReadError", Err: err}
	case errors.As(err, &dnsErr):
		return &Error{Status: http.StatusBadGateway, Detail: "OriginDnsError", Err: err}
	case errors.As(err, &ne) && ne.Timeout():
		return &Error{Status: http.StatusGatewayTimeout, Detail: "OriginConnectError", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusGatewayTimeout, Detail: "OriginReadError", Err: err}
	}
	return &Error{Status: http.StatusBadGateway, Detail: "OriginConnectError", Err: err}
}
