package app

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

// alertError is how crypto/tls reports an alert the client sent.
type alertError string

func (a alertError) Error() string { return string(a) }

func remoteAlert(msg string) error {
	return &net.OpError{Op: "remote error", Err: alertError("tls: " + msg)}
}

func TestHandshakeLog(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	clock := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	hook := handshakeLog(log, "/data/edge-cert.pem", func() time.Time { return clock })
	remote := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 50000}

	hook(remote, remoteAlert("unknown certificate authority"))
	first := buf.String()
	for _, want := range []string{"level=INFO", "rejected the edge's certificate", "certificate=/data/edge-cert.pem", "remote=192.0.2.7:50000", "rejections_not_logged=0"} {
		if !strings.Contains(first, want) {
			t.Errorf("first rejection: no %q in %q", want, first)
		}
	}
	if strings.Contains(first, "ERROR") || strings.Contains(first, "WARN") {
		t.Errorf("a client's choice logged as a fault: %q", first)
	}
	// Within the interval: counted, not logged; then one line with the count.
	buf.Reset()
	hook(remote, remoteAlert("bad certificate"))
	hook(remote, remoteAlert("certificate unknown"))
	if buf.Len() != 0 {
		t.Errorf("logged within the interval: %q", buf.String())
	}
	clock = clock.Add(rejectedLogInterval)
	hook(remote, remoteAlert("bad certificate"))
	if !strings.Contains(buf.String(), "rejections_not_logged=2") {
		t.Errorf("after the interval: %q", buf.String())
	}
	// Other failures: Debug only (not shown at Info).
	buf.Reset()
	hook(remote, errors.New("tls: client offered only unsupported versions"))
	hook(remote, remoteAlert("protocol version not supported"))
	if buf.Len() != 0 {
		t.Errorf("other handshake failures at Info: %q", buf.String())
	}
}
