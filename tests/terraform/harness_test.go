package terraform

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/lightsail"

	"openfront/internal/apitest"
)

const (
	accessKeyID     = "AKIAOPENFRONTTFTEST0"
	secretAccessKey = "terraformSecretKey/OpenFront+0123456789ab"
	region          = "us-east-1"

	// pollEvery and pollFor bound the provider's waits: it polls every
	// 15-30 s for up to 90 minutes against AWS; OpenFront deploys in well
	// under a second.
	pollEvery = 25 * time.Millisecond
	pollFor   = 10 * time.Second
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// buildOpenfront builds ./cmd/openfront once per test binary run.
func buildOpenfront(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := filepath.Abs("../..")
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "openfront-terraform-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "openfront")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/openfront")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/openfront: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// server is one `openfront serve` process on free loopback ports with a
// temporary data dir.
type server struct {
	api  string // host:port of the control-plane API
	edge string // host:port of the edge (plain HTTP)
	cf   *cloudfront.Client
	ls   *lightsail.Client
}

// startServer starts one, with extra flags appended to its command line.
func startServer(t *testing.T, extra ...string) *server {
	t.Helper()
	bin := buildOpenfront(t)
	dir := t.TempDir()
	s := &server{api: freeAddr(t), edge: freeAddr(t)}
	cmd := exec.Command(bin, append([]string{"serve", "--api-addr", s.api, "--edge-addr", s.edge, "--edge-tls-addr", "", "--rtmp-addr", "",
		"--data-dir", filepath.Join(dir, "data"), "--log-level", "warn"}, extra...)...)
	cmd.Env = append(os.Environ(), "OPENFRONT_ACCESS_KEY_ID="+accessKeyID, "OPENFRONT_SECRET_ACCESS_KEY="+secretAccessKey)
	logf, err := os.Create(filepath.Join(dir, "openfront.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logf.Name()); err == nil && len(b) > 0 {
				t.Logf("openfront log:\n%s", b)
			}
		}
	})
	for i := 0; ; i++ { // bounded: 10 s
		resp, err := http.Get("http://" + s.api + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if i == 200 {
			t.Fatalf("openfront not healthy after 10 s: %v", err)
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("openfront exited at start:\n%s", b)
		case <-time.After(50 * time.Millisecond):
		}
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, ""),
		// One attempt (a retry would hide a failed call from the test),
		// but for the client's own closed-connection race (apitest.Retryer).
		Retryer: apitest.Retryer,
	}
	endpoint := "http://" + s.api
	s.cf = cloudfront.NewFromConfig(cfg, func(o *cloudfront.Options) { o.BaseEndpoint = aws.String(endpoint) })
	s.ls = lightsail.NewFromConfig(cfg, func(o *lightsail.Options) { o.BaseEndpoint = aws.String(endpoint) })
	return s
}

// poll calls check every pollEvery until it reports done, for at most
// pollFor; it fails the test when time runs out or check fails.
func poll(t *testing.T, what string, check func() (done bool, state string, err error)) {
	t.Helper()
	deadline := time.Now().Add(pollFor)
	for {
		done, state, err := check()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %q after %v", what, state, pollFor)
		}
		time.Sleep(pollEvery)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// isA reports whether err is (or wraps) an error of type T, the way the
// provider tests errors (errs.IsA).
func isA[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}
