package app

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"openfront/internal/snapshot"
	"openfront/internal/tlsconfig"
)

// openCertificates opens --certificate-dir (nil when unset). API nodes
// check ACMCertificateArn / IAMCertificateId against it, edges serve from
// it: in a cluster every node needs the same directory.
func openCertificates(s *Settings) (*tlsconfig.Store, error) {
	if s.CertificateDir == "" {
		return nil, nil
	}
	st, err := tlsconfig.OpenStore(s.CertificateDir)
	if err != nil {
		return nil, fmt.Errorf("--certificate-dir: %w", err)
	}
	return st, nil
}

// viewerTLS is the selector of every viewer TLS connection (TCP and
// QUIC): the distribution serving the SNI name decides the certificate,
// the security policy and the HTTP versions (package tlsconfig).
func viewerTLS(current func() *snapshot.Snapshot, def *tls.Certificate, certs *tlsconfig.Store, log *slog.Logger) *tlsconfig.Selector {
	return &tlsconfig.Selector{
		Lookup:  func(name string) *tlsconfig.Viewer { return current().ViewerTLS(name) },
		Default: def,
		Store:   certs,
		// Names no distribution serves get h2 like CloudFront's default
		// HttpVersion; clients without SNI never do (the Selector's rule).
		Fallback: tlsconfig.NewViewer("", "", "http2"),
		OnError: func(name string, err error) {
			log.Debug("edge: TLS handshake refused", "sni", name, "err", err)
		},
		// Once per change of the certificate files, not per handshake.
		OnCertificate: func(dist, cert string, err error) {
			if err != nil {
				log.Error("edge: a distribution's certificate cannot be served", "dist_id", dist, "certificate", cert, "err", err)
			} else {
				log.Info("edge: a distribution's certificate is served again", "dist_id", dist, "certificate", cert)
			}
		},
	}
}

// advertiseHTTP3 stamps Alt-Svc on the responses of distributions that
// serve HTTP/3 (HttpVersion http3 or http2and3), before the edge handles
// the request, so every response of theirs carries it, errors included.
func advertiseHTTP3(h http.Handler, current func() *snapshot.Snapshot, quicPort int) http.Handler {
	value := []string{tlsconfig.AltSvc(quicPort)}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if v := current().ViewerTLS(host); v != nil && v.HTTP3 {
			w.Header()["Alt-Svc"] = value
		}
		h.ServeHTTP(w, r)
	})
}

// sendTimeout gives each write of an HTTP/3 response a deadline of d
// (--response-send-timeout): a viewer that grants the stream no flow
// control credit for that long fails the write, and the edge then resets
// the stream. quic-go's streams have write deadlines but nothing sets
// them, and the QUIC connection stays alive for as long as the viewer
// acknowledges packets. HTTP/1.1 and HTTP/2 get the same timeout from
// package fastpath.
func sendTimeout(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if dw, ok := w.(writeDeadliner); ok {
			w = &deadlineWriter{ResponseWriter: w, dw: dw, d: d}
		}
		h.ServeHTTP(w, r)
	})
}

type writeDeadliner interface{ SetWriteDeadline(time.Time) error }

// deadlineWriter moves the write deadline before each write, so that it
// bounds a write's wait for the viewer, not the whole response.
type deadlineWriter struct {
	http.ResponseWriter
	dw writeDeadliner
	d  time.Duration
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.dw.SetWriteDeadline(time.Now().Add(w.d))
	return w.ResponseWriter.Write(p)
}

func (w *deadlineWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		w.dw.SetWriteDeadline(time.Now().Add(w.d))
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach quic-go's writer (the edge's
// read deadlines, HTTPStream).
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
