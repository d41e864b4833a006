// Package mototest runs moto's standalone server (python3 -m moto.server)
// for tests that need a real S3 or Kinesis endpoint on loopback: the
// access-log uploader's and the real-time log putter's.
package mototest

import (
	"bufio"
	"io"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// Start runs moto's server on a free loopback port until the test ends and
// returns its URL; it skips the test when moto is not installed.
func Start(t *testing.T) string {
	t.Helper()
	if err := exec.Command("python3", "-c", "import moto.server, flask").Run(); err != nil {
		t.Skip("moto server not available")
	}
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", "0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("start moto: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	urlc := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`Running on (http://127\.0\.0\.1:\d+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
				break
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case u := <-urlc:
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("moto did not start")
	}
	return ""
}
