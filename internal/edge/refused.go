package edge

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
)

// RefusedRequest is the whole response sent before closing a viewer
// connection whose request head was refused before reaching the edge's
// handler (internal/httpguard: framing conflicts, CloudFront's request
// size limits, a malformed request target, an unknown Expect, and what
// else net/http would answer itself in plain text): CloudFront's error
// page and headers, with Connection:
// close. CloudFront answers an oversized request with 413 and then
// terminates the TCP connection ("Request and response behavior for
// custom origins", Maximum length of a request and maximum length of a
// URL).
func (s *Server) RefusedRequest(status int) []byte {
	reason := "Bad request."
	switch status {
	case http.StatusRequestEntityTooLarge:
		reason = "Bad request. The request line and headers are longer than CloudFront accepts."
	case http.StatusExpectationFailed:
		reason = "Expectation Failed. CloudFront meets no expectation but 100-continue."
	case http.StatusNotImplemented:
		reason = "Bad request. The request uses a transfer coding that CloudFront does not support."
	case http.StatusHTTPVersionNotSupported:
		reason = "Bad request. The request uses an HTTP version that CloudFront does not support."
	}
	id := newRequestID()
	body := errorPage(status, reason, id)
	b := make([]byte, 0, 512+len(body))
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\nContent-Type: text/html\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\nConnection: close\r\nServer: CloudFront\r\nDate: "...)
	b = s.now().UTC().AppendFormat(b, http.TimeFormat)
	b = append(b, "\r\nVia: "+s.via[0]+"\r\nX-Amz-Cf-Pop: "+s.pop[0]+"\r\nX-Amz-Cf-Id: "+id+"\r\nX-Cache: Error from cloudfront\r\n\r\n"...)
	return append(b, body...)
}

// LogRefused is told of each request head refused before the handler
// (httpguard.Config.Refused). At debug level it logs the one structured
// line every edge request gets (finish has the same fields for the
// requests that reach the handler), so a viewer's refused request is not
// missing from the request log.
func (s *Server) LogRefused(status int, viewer string) {
	ctx := context.Background()
	if log := s.opts.Log; log.Enabled(ctx, slog.LevelDebug) {
		log.LogAttrs(ctx, slog.LevelDebug, "edge: request", slog.String("viewer", viewer),
			slog.Int("status", status), slog.String("result", "Error"),
			slog.String("detail", "head refused before the handler: "+http.StatusText(status)))
	}
}
