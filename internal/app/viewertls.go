package app

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"

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
