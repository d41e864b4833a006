package app

import (
	"log/slog"
	"net"
	"sync"
	"time"

	"openfront/internal/httpguard"
)

// rejectedLogInterval spaces the log lines about clients that refuse the
// edge's certificate: a browser retries, and anyone can send the alert.
const rejectedLogInterval = 10 * time.Second

// handshakeLog returns what the edge tells of a failed TLS handshake
// (httpguard.WatchHandshakes): a client that refused
// the edge's certificate is the client's choice, not a server fault, and
// is logged at Info as such, naming the certificate to give clients (the
// default one is self-signed), at most once per rejectedLogInterval with
// the count of the others; any other failed handshake (scanners, protocol
// mismatches) is logged at Debug.
func handshakeLog(log *slog.Logger, certPath string, now func() time.Time) func(net.Addr, error) {
	var mu sync.Mutex
	var last time.Time
	var unlogged int
	return func(remote net.Addr, err error) {
		if !httpguard.CertificateRejected(err) {
			log.Debug("edge: TLS handshake failed", "remote", remote.String(), "err", err)
			return
		}
		mu.Lock()
		t := now()
		if !last.IsZero() && t.Sub(last) < rejectedLogInterval {
			unlogged++
			mu.Unlock()
			return
		}
		others := unlogged
		last, unlogged = t, 0
		mu.Unlock()
		log.Info("edge: a TLS client rejected the edge's certificate (the default one is self-signed: give clients its file, e.g. curl --cacert)",
			"remote", remote.String(), "alert", err.Error(), "certificate", certPath, "rejections_not_logged", others)
	}
}
