package rtmp

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"openfront/internal/model"
	"openfront/internal/origin"
	"openfront/internal/snapshot"
)

// Streaming access logs (CloudFront's format for RTMP distributions):
// W3C extended, tab-separated, one line per event of a connection or
// stream. Files are gzip, named like web distribution logs,
// <prefix><distribution-id>.YYYY-MM-DD-HH.<unique-id>.gz, and PUT to the
// Logging bucket through the S3 endpoint.
const streamingLogHeader = "#Version: 1.0\n" +
	"#Fields: date time x-edge-location c-ip x-event sc-bytes x-cf-status x-cf-client-id cs-uri-stem cs-uri-query c-referrer x-page-url c-user-agent x-sname x-sname-query x-file-ext x-sid\n"

// logEvent is one line of a streaming access log.
type logEvent struct {
	time      time.Time
	clientIP  string
	event     string // connect, play, seek, pause, unpause, stop, disconnect
	bytes     int64  // bytes sent to the viewer on this connection so far
	status    string // OK or the error code
	clientID  string
	uriStem   string // rtmp://host/cfx/st
	uriQuery  string // connect query
	referrer  string // swfUrl
	pageURL   string
	userAgent string // flashVer
	sname     string
	squery    string
	ext       string
	sid       string
}

func (e *logEvent) appendTo(b []byte, edge string) []byte {
	t := e.time.UTC()
	fields := [...]string{
		t.Format("2006-01-02"), t.Format("15:04:05"), edge, e.clientIP, e.event,
		fmt.Sprint(e.bytes), e.status, e.clientID, e.uriStem, e.uriQuery, e.referrer,
		e.pageURL, e.userAgent, e.sname, e.squery, e.ext, e.sid,
	}
	for i, f := range fields {
		if i > 0 {
			b = append(b, '\t')
		}
		b = appendLogField(b, f)
	}
	return append(b, '\n')
}

// appendLogField writes a value the way CloudFront logs do: "-" when
// empty; control bytes, bytes >= 127, space and the characters below
// percent-encoded (Developer Guide, "Standard logging reference", "Log
// file fields").
func appendLogField(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 32 || c >= 127 || strings.IndexByte("<>\"#%{}|\\^~[]`'", c) >= 0 {
			b = append(b, '%', hex[c>>4], hex[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}

// accessLog buffers events per distribution and delivers them every
// interval and at shutdown.
type accessLog struct {
	origin   Origin
	edge     string
	interval time.Duration
	log      *slog.Logger
	now      func() time.Time

	mu   sync.Mutex
	bufs map[string]*logBuffer // by distribution id
}

type logBuffer struct {
	logging model.Logging
	lines   []byte
}

// maxLogBuffer forces a delivery when one distribution's buffer grows
// past it.
const maxLogBuffer = 4 << 20

func (l *accessLog) add(d *snapshot.StreamingDistribution, e *logEvent) {
	if d == nil || !d.Config.Logging.Enabled || d.Config.Logging.Bucket == "" {
		return
	}
	l.mu.Lock()
	b := l.bufs[d.ID]
	if b == nil {
		b = &logBuffer{}
		l.bufs[d.ID] = b
	}
	b.logging = d.Config.Logging
	b.lines = e.appendTo(b.lines, l.edge)
	full := len(b.lines) > maxLogBuffer
	l.mu.Unlock()
	if full {
		go l.flush(context.Background())
	}
}

// run delivers buffered logs every interval until ctx ends, then once
// more.
func (l *accessLog) run(ctx context.Context) {
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			l.flush(ctx)
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			l.flush(fctx)
			cancel()
			return
		}
	}
}

// flush delivers every non-empty buffer as one file.
func (l *accessLog) flush(ctx context.Context) {
	l.mu.Lock()
	bufs := l.bufs
	l.bufs = map[string]*logBuffer{}
	l.mu.Unlock()
	for id, b := range bufs {
		if len(b.lines) == 0 {
			continue
		}
		if err := l.deliver(ctx, id, b); err != nil {
			l.log.Warn("rtmp: access log delivery failed", "dist_id", id, "bucket", b.logging.Bucket, "err", err)
		}
	}
}

func (l *accessLog) deliver(ctx context.Context, distID string, b *logBuffer) error {
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	io.WriteString(zw, streamingLogHeader)
	zw.Write(b.lines)
	if err := zw.Close(); err != nil {
		return err
	}
	var unique [5]byte
	rand.Read(unique[:])
	prefix := b.logging.Prefix
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/" // as CloudFront names log files ("Standard logging reference")
	}
	name := fmt.Sprintf("%s%s.%s.%X.gz", prefix, distID, l.now().UTC().Format("2006-01-02-15"), unique)
	resp, err := l.origin.Do(ctx, &origin.Request{
		Origin: &model.Origin{
			ID: "logs", DomainName: b.logging.Bucket,
			S3:                 &model.S3Origin{ReadTimeout: 30 * time.Second},
			ConnectionAttempts: 1, ConnectionTimeout: 10 * time.Second,
		},
		Method:        http.MethodPut,
		Path:          escapeKey(name),
		Header:        http.Header{"Content-Type": {"application/x-gzip"}},
		Body:          bytes.NewReader(body.Bytes()),
		ContentLength: int64(body.Len()),
		Sign:          true,
	})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("put %s: status %d", name, resp.StatusCode)
	}
	return nil
}
