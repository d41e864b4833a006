// Package etcdtest starts a throwaway single-member etcd server for tests:
// Debian's etcd binary (package etcd-server) on free loopback ports, with its
// data in t.TempDir(). Tests that need it are skipped, with a message saying
// so, when the binary is not installed.
//
// The server runs with a 10 ms heartbeat and a 100 ms election timeout, so
// it elects itself quickly and its minimum lease TTL is 1 s (etcd raises any
// shorter TTL to 3 election timeouts' worth of heartbeats).
package etcdtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Binary is the etcd executable looked up in PATH (or $OPENFRONT_ETCD).
func Binary() (string, error) {
	if p := os.Getenv("OPENFRONT_ETCD"); p != "" {
		return p, nil
	}
	return exec.LookPath("etcd")
}

// Start starts an etcd server that is stopped when t ends, and returns its
// client URL. It skips t when no etcd binary is installed.
func Start(t testing.TB) []string {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Skipf("etcd tests skipped: no etcd binary in PATH (Debian: apt-get install etcd-server): %v", err)
	}
	dir := t.TempDir()
	var lastErr error
	for range 3 { // a free port can be taken between probe and bind
		client, peer := freeAddr(t), freeAddr(t)
		clientURL, peerURL := "http://"+client, "http://"+peer
		cmd := exec.Command(bin,
			"--name", "test",
			"--data-dir", filepath.Join(dir, fmt.Sprintf("data-%d", time.Now().UnixNano())),
			"--listen-client-urls", clientURL,
			"--advertise-client-urls", clientURL,
			"--listen-peer-urls", peerURL,
			"--initial-advertise-peer-urls", peerURL,
			"--initial-cluster", "test="+peerURL,
			"--initial-cluster-state", "new",
			"--heartbeat-interval", "10",
			"--election-timeout", "100",
			"--logger", "zap",
			"--log-level", "error",
		)
		cmd.Env = os.Environ()
		if runtime.GOARCH != "amd64" {
			// etcd 3.4 refuses other architectures unless told they are fine.
			cmd.Env = append(cmd.Env, "ETCD_UNSUPPORTED_ARCH="+runtime.GOARCH)
		}
		var logs syncBuffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatalf("start etcd: %v", err)
		}
		exited := make(chan struct{}) // closed when the process has exited
		go func() { _ = cmd.Wait(); close(exited) }()
		stop := func() {
			_ = cmd.Process.Kill()
			<-exited
		}
		if err := waitReady(clientURL, exited); err != nil {
			stop()
			lastErr = fmt.Errorf("%w\n--- etcd output ---\n%s", err, logs.String())
			continue
		}
		t.Cleanup(stop)
		return []string{clientURL}
	}
	t.Fatalf("etcd did not start: %v", lastErr)
	return nil
}

// waitReady polls the server until a read succeeds.
func waitReady(url string, exited <-chan struct{}) error {
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{url}, DialTimeout: time.Second, Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		_, err := c.Get(ctx, "ready")
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("etcd exited")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("etcd at %s not ready after 20s: %w", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer collects the server's output for failure messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
