package edge

import (
	"errors"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"openfront/internal/accesslog"
	"openfront/internal/cfheaders"
	"openfront/internal/realtimelog"
)

// logWriter counts what goes to the viewer for the access log. It keeps
// the underlying writer's io.ReaderFrom, so disk hits still use sendfile.
type logWriter struct {
	http.ResponseWriter
	bytes     int64
	failed    bool // a write to the viewer failed (it went away, or stopped reading: --response-send-timeout)
	firstByte time.Time
	// originFirstByte and originLastByte (nanoseconds, 0 unmeasured) are
	// the origin's latencies for the real-time log's origin-fbl and
	// origin-lbl; the fill's goroutine writes them, hence atomics.
	originFirstByte, originLastByte atomic.Int64
}

// Unwrap lets http.ResponseController reach the connection (read
// deadlines of field-level encryption's body, fle.go).
func (l *logWriter) Unwrap() http.ResponseWriter { return l.ResponseWriter }

func (l *logWriter) WriteHeader(code int) {
	if l.firstByte.IsZero() {
		l.firstByte = time.Now()
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *logWriter) Write(p []byte) (int, error) {
	if l.firstByte.IsZero() {
		l.firstByte = time.Now()
	}
	n, err := l.ResponseWriter.Write(p)
	l.bytes += int64(n)
	l.failed = l.failed || err != nil
	return n, err
}

func (l *logWriter) ReadFrom(r io.Reader) (int64, error) {
	if l.firstByte.IsZero() {
		l.firstByte = time.Now()
	}
	n, err := io.Copy(l.ResponseWriter, r)
	l.bytes += n
	l.failed = l.failed || err != nil && !errors.Is(err, io.EOF)
	return n, err
}

func (l *logWriter) Flush() {
	if f, ok := l.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// timeOrigin records the origin's first-byte latency of a response whose
// request was sent at began, and wraps its body to record the last-byte
// latency: when it is read to its end, or to its Content-Length (the
// viewer may have the whole body before the fill reads the end).
func (l *logWriter) timeOrigin(began time.Time, resp *http.Response) {
	l.originFirstByte.Store(int64(max(time.Since(began), 1)))
	l.originLastByte.Store(0)
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return // the body is the switched connection, which must stay an io.ReadWriteCloser
	}
	resp.Body = &timedBody{ReadCloser: resp.Body, l: l, began: began, left: resp.ContentLength}
}

// timedBody is an origin response body that records when its last byte
// was read.
type timedBody struct {
	io.ReadCloser
	l     *logWriter
	began time.Time
	left  int64 // bytes still to come; negative: unknown length
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.left >= 0 {
		b.left -= int64(n)
	}
	if (err == io.EOF || b.left == 0) && b.l.originLastByte.Load() == 0 {
		b.l.originLastByte.Store(int64(max(time.Since(b.began), 1)))
	}
	return n, err
}

// headerBytes estimates the size of a header block on the wire.
func headerBytes(h http.Header) int64 {
	var n int64
	for k, vs := range h {
		for _, v := range vs {
			n += int64(len(k) + len(v) + 4)
		}
	}
	return n + 2
}

// cutShort reports whether the body did not all reach the viewer: a
// write to it failed, or less than the response announced (its
// Content-Length) was written.
func (x *exchange) cutShort() bool {
	if x.status < 200 || x.status == http.StatusNoContent || x.status == http.StatusNotModified {
		return false
	}
	return x.log.failed || x.log.bytes < x.bodyBytes() // 0 for HEAD or no Content-Length
}

// writeAccessLog hands the request's standard access-log record to the
// writer ("Standard logging reference", AWS CloudFront Developer Guide).
// It runs in the logging phase, always last.
func (x *exchange) writeAccessLog() {
	cfg := x.dist.Config.Logging
	end := x.s.now()
	r := x.r
	result := x.resultType()
	if x.fnFailed(result) {
		result = "Error" // the function's failure is the detailed result type (x.detail)
	}
	response := result
	if x.cutShort() {
		// The viewer went away before the whole body: x-edge-result-type
		// Error while x-edge-response-result-type keeps what the edge was
		// sending ("Standard logging reference", x-edge-result-type).
		result = "Error"
		if x.detail == "" {
			x.detail = "ClientCommError"
		}
	}
	rec := accesslog.Record{
		Time:                   end.UTC(),
		EdgeLocation:           strings.SplitN(x.s.opts.Pop, "-", 2)[0],
		BytesSent:              x.log.bytes + headerBytes(x.w.Header()) + 17,
		Method:                 r.Method,
		Host:                   x.dist.DomainName,
		URIStem:                r.URL.EscapedPath(),
		Status:                 x.status,
		Referer:                r.Header.Get("Referer"),
		UserAgent:              r.Header.Get("User-Agent"),
		URIQuery:               r.URL.RawQuery,
		EdgeResultType:         result,
		RequestID:              x.reqID,
		HostHeader:             r.Host,
		Protocol:               "http",
		BytesReceived:          max(r.ContentLength, 0) + x.upgradedIn + headerBytes(r.Header) + int64(len(r.Method)+len(r.RequestURI)+12),
		TimeTaken:              end.Sub(x.start),
		ForwardedFor:           r.Header.Get("X-Forwarded-For"),
		EdgeResponseResultType: response,
		ProtocolVersion:        r.Proto,
		EdgeDetailedResultType: result,
		ContentType:            x.w.Header().Get("Content-Type"),
		ContentLength:          -1,
	}
	if x.detail != "" {
		rec.EdgeDetailedResultType = x.detail
	}
	if cfg.IncludeCookies {
		rec.Cookie = strings.Join(r.Header["Cookie"], "; ")
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		rec.ClientIP, rec.ClientPort = ap.Addr().Unmap(), int(ap.Port())
	}
	if r.TLS != nil {
		rec.Protocol = "https"
		rec.SSLProtocol = cfheaders.TLSVersionName(r.TLS.Version)
		rec.SSLCipher = cfheaders.CipherName(r.TLS.CipherSuite)
	}
	if x.upgraded {
		// A WebSocket connection: one record when it closed, with its
		// bytes both ways (cs-protocol ws or wss: "Standard logging
		// reference").
		rec.Protocol = "ws"
		if r.TLS != nil {
			rec.Protocol = "wss"
		}
	}
	if !x.log.firstByte.IsZero() {
		rec.TimeToFirstByte = x.log.firstByte.Sub(x.start)
	}
	if cl := x.w.Header().Get("Content-Length"); cl != "" {
		rec.ContentLength, _ = strconv.ParseInt(cl, 10, 64)
	}
	if cr := x.w.Header().Get("Content-Range"); strings.HasPrefix(cr, "bytes ") {
		span, _, _ := strings.Cut(strings.TrimPrefix(cr, "bytes "), "/")
		if a, b, ok := strings.Cut(span, "-"); ok {
			start, err1 := strconv.ParseInt(a, 10, 64)
			endb, err2 := strconv.ParseInt(b, 10, 64)
			if err1 == nil && err2 == nil {
				rec.HasRange, rec.RangeStart, rec.RangeEnd = true, start, endb
			}
		}
	}
	x.writeRealtimeLog(&rec)
	if cfg.Enabled && x.s.opts.AccessLog != nil {
		_ = x.s.opts.AccessLog.Log(accesslog.Destination{Bucket: cfg.Bucket, Prefix: cfg.Prefix, DistributionID: x.dist.ID}, rec)
	}
}

// writeRealtimeLog hands the request's record to its cache behaviour's
// real-time log configuration, if any ("Use real-time logs", Amazon
// CloudFront Developer Guide). A request refused before its behaviour was
// matched (geo restriction) is logged under the behaviour its path
// matches.
func (x *exchange) writeRealtimeLog(rec *accesslog.Record) {
	if x.s.opts.RealtimeLog == nil || !x.dist.RealtimeLogs {
		return
	}
	beh := x.beh
	if beh == nil {
		beh = x.dist.Match(x.r.URL.Path)
	}
	if beh.RealtimeLog == nil || !realtimelog.Sampled(beh.RealtimeLog) {
		return
	}
	req := &realtimelog.Request{Record: *rec, Header: x.r.Header, PathPattern: beh.PathPattern,
		DistributionID: x.dist.ID, DistributionDomain: x.dist.DomainName}
	if x.primary != nil {
		// primary-distribution-id: the primary, also when its staging
		// distribution served ("Real-time log configuration fields").
		req.DistributionID, req.DistributionDomain = x.primary.ID, x.primary.DomainName
	}
	if req.PathPattern == "" {
		req.PathPattern = "*" // the default cache behaviour
	}
	// Real-time records name the whole POP (X-Amz-Cf-Pop, e.g. ARN1-C1),
	// standard logs only its part before the hyphen.
	req.EdgeLocation = x.s.opts.Pop
	if x.s.opts.Geo != nil && rec.ClientIP.IsValid() {
		if loc, ok := x.s.opts.Geo.Location(rec.ClientIP); ok {
			req.Country, req.ASN = loc.Country, loc.ASN
		}
	}
	if x.log != nil {
		req.OriginFirstByte = time.Duration(x.log.originFirstByte.Load())
		req.OriginLastByte = time.Duration(x.log.originLastByte.Load())
	}
	x.s.opts.RealtimeLog.Log(beh.RealtimeLog, req)
}
