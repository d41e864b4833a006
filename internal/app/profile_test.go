package app

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/pprof/profile"
)

// serve --cpu-profile FILE writes a CPU profile of the run that pprof (and
// so go build -pgo) reads, once serve stops; a FILE that cannot be
// created stops serve before it listens.
func TestServe_cpuProfile(t *testing.T) {
	t.Setenv("OPENFRONT_ACCESS_KEY_ID", "AKIDPROFILETEST")
	t.Setenv("OPENFRONT_SECRET_ACCESS_KEY", "profile-test-secret")
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	api := freeTCPPort(t)
	args := func(profile string) []string {
		return []string{"--data-dir", t.TempDir(), "--api-addr", "127.0.0.1:" + strconv.Itoa(api),
			"--edge-addr", "127.0.0.1:" + strconv.Itoa(freeTCPPort(t)), "--edge-tls-addr", "", "--rtmp-addr", "",
			"--log-level", "warn", "--cpu-profile", profile}
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() { done <- serveUntil(ctx, args(path), io.Discard, &logs) }()
	waitHealthy(t, api, &logs)
	stop()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("the profile does not parse: %v", err)
	}
	if len(p.SampleType) == 0 || p.SampleType[0].Type != "samples" || p.DurationNanos <= 0 {
		t.Errorf("not a CPU profile of the run: sample types %v, duration %d ns", p.SampleType, p.DurationNanos)
	}

	err = serveUntil(context.Background(), args(filepath.Join(t.TempDir(), "no-such-dir", "cpu.pprof")), io.Discard, io.Discard)
	if err == nil {
		t.Fatal("serve ran with a --cpu-profile it could not create")
	}
}
