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
	"syscall"
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
	return StartServer(t).Endpoints
}

// Server is a running etcd server that a test may pause, kill and restart
// (to check what its clients do while it is unreachable).
type Server struct {
	Endpoints []string

	bin, dataDir, clientURL, peerURL string
	logs                             syncBuffer
	cmd                              *exec.Cmd
	exited                           chan struct{} // closed when cmd has exited
}

// StartServer is Start with control over the server. It skips t when no
// etcd binary is installed; the server is killed when t ends.
func StartServer(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Skipf("etcd tests skipped: no etcd binary in PATH (Debian: apt-get install etcd-server): %v", err)
	}
	dir := t.TempDir()
	var lastErr error
	for range 3 { // a free port can be taken between probe and bind
		s := &Server{
			bin:       bin,
			dataDir:   filepath.Join(dir, fmt.Sprintf("data-%d", time.Now().UnixNano())),
			clientURL: "http://" + freeAddr(t),
			peerURL:   "http://" + freeAddr(t),
		}
		if lastErr = s.start(); lastErr != nil {
			continue
		}
		s.Endpoints = []string{s.clientURL}
		t.Cleanup(s.stop)
		return s
	}
	t.Fatalf("etcd did not start: %v", lastErr)
	return nil
}

// start runs the server on s's ports and data dir and waits until it
// answers.
func (s *Server) start() error {
	state := "new"
	if _, err := os.Stat(s.dataDir); err == nil {
		state = "existing"
	}
	cmd := exec.Command(s.bin,
		"--name", "test",
		"--data-dir", s.dataDir,
		"--listen-client-urls", s.clientURL,
		"--advertise-client-urls", s.clientURL,
		"--listen-peer-urls", s.peerURL,
		"--initial-advertise-peer-urls", s.peerURL,
		"--initial-cluster", "test="+s.peerURL,
		"--initial-cluster-state", state,
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
	cmd.Stdout, cmd.Stderr = &s.logs, &s.logs
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start etcd: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.cmd, s.exited = cmd, exited
	if err := waitReady(s.clientURL, exited); err != nil {
		s.stop()
		return fmt.Errorf("%w\n--- etcd output ---\n%s", err, s.logs.String())
	}
	return nil
}

func (s *Server) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a paused process dies only once it runs
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Pause stops the server process (SIGSTOP): its port still accepts
// connections but nothing answers, as with a partitioned or hung server.
func (s *Server) Pause(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("pause etcd: %v", err)
	}
	// The signal is delivered asynchronously: wait until every thread has
	// stopped, or a request sent right after Pause may still be answered.
	deadline := time.Now().Add(5 * time.Second)
	for !stopped(s.cmd.Process.Pid) {
		if time.Now().After(deadline) {
			t.Fatalf("pause etcd: still running 5 s after SIGSTOP")
		}
		time.Sleep(time.Millisecond)
	}
}

// stopped reports whether every thread of a process is stopped (state T
// in /proc/<pid>/task/<tid>/stat); false where /proc cannot tell.
func stopped(pid int) bool {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
		if err != nil {
			return false
		}
		// pid (comm) state ...: the state follows the last ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) || (b[i+2] != 'T' && b[i+2] != 't') {
			return false
		}
	}
	return true
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("resume etcd: %v", err)
	}
}

// Kill kills the server (SIGKILL): its port refuses connections.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	s.stop()
}

// Restart starts a killed server again on the same ports and data.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatalf("restart etcd: %v", err)
	}
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
