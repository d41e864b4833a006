// Package memory checks that large objects stream through the real
// openfront binary without being held in memory: a 10 GiB object
// (generated on the fly by an in-test origin, never on disk) is downloaded
// through the edge while the openfront process's VmRSS is sampled every
// 200 ms; its growth over the baseline must stay under 32 MiB.
//
// The tests are slow (tens of GiB over loopback) and skipped with -short.
// OPENFRONT_MEMTEST_BYTES overrides the object size.
package memory

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	accessKeyID     = "AKIAOPENFRONTMEMTEST"
	secretAccessKey = "memtestSecretKey/OpenFront+0123456789abcd"

	cachingDisabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"

	// maxGrowth is the bound on VmRSS growth while the object streams.
	maxGrowth = 32 << 20
	// sampleEvery is the VmRSS sampling period.
	sampleEvery = 200 * time.Millisecond
)

func objectSize(t *testing.T) int64 {
	if v := os.Getenv("OPENFRONT_MEMTEST_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			t.Fatalf("OPENFRONT_MEMTEST_BYTES=%q: want a positive byte count", v)
		}
		return n
	}
	return 10 << 30
}

// TestStreamCachingDisabled: CachingDisabled policy, the body passes
// straight through.
func TestStreamCachingDisabled(t *testing.T) {
	runStream(t, "caching-disabled", streamCase{cachePolicy: cachingDisabled})
}

// TestStreamCacheableMemoryOnly: a cacheable response larger than the
// memory tier's object limit, no disk tier (the default serve config): the
// fill runs in window mode and is not stored.
func TestStreamCacheableMemoryOnly(t *testing.T) {
	runStream(t, "cacheable-memory-only", streamCase{})
}

// TestStreamCacheableDiskTier: a cacheable response with the disk tier on:
// the body is spooled to disk while it streams, then served again from
// disk (a hit). Needs 25 GiB free for the 10 GiB object.
func TestStreamCacheableDiskTier(t *testing.T) {
	size := objectSize(t)
	var st syscall.Statfs_t
	if err := syscall.Statfs(os.TempDir(), &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	if need := size*2 + 5<<30; free < need {
		t.Skipf("%d GiB free in %s, need %d GiB", free>>30, os.TempDir(), need>>30)
	}
	runStream(t, "cacheable-disk-tier", streamCase{diskBytes: size + 1<<30, again: true})
}

type streamCase struct {
	cachePolicy string // "" = legacy ForwardedValues, TTL from the origin
	diskBytes   int64  // --cache-disk-bytes; 0 = no disk tier
	again       bool   // download a second time (a hit) and check again
}

func runStream(t *testing.T, name string, sc streamCase) {
	if testing.Short() {
		t.Skip("streams tens of GiB; skipped with -short")
	}
	size := objectSize(t)
	bin := buildOpenfront(t)
	org := startOrigin(t, size)
	of := startOpenfront(t, bin, sc.diskBytes)
	domain := of.createDistribution(t, org.port, sc.cachePolicy)

	// Warm the HTTP machinery with a small object first, then take the
	// baseline.
	if n, err := download(context.Background(), of.edge, domain, "/small"); err != nil || n != smallSize {
		t.Fatalf("warm-up: %d bytes, %v", n, err)
	}
	time.Sleep(500 * time.Millisecond)
	passes := []string{"first"}
	if sc.again {
		passes = append(passes, "again")
	}
	for _, pass := range passes {
		base := of.rss(t)
		var mu sync.Mutex
		peak := base
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			tick := time.NewTicker(sampleEvery)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if v, err := readRSS(of.cmd.Process.Pid); err == nil {
						mu.Lock()
						peak = max(peak, v)
						mu.Unlock()
					}
				}
			}
		}()
		before := org.requests()
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		n, err := download(ctx, of.edge, domain, "/big")
		cancel()
		elapsed := time.Since(start)
		close(stop)
		<-sampled
		if err != nil {
			t.Fatalf("%s download: %v after %d bytes", pass, err, n)
		}
		if n != size {
			t.Fatalf("%s download: %d bytes, want %d", pass, n, size)
		}
		fetched := org.requests() - before
		growth := peak - base
		t.Logf("RESULT %s/%s: %.1f GiB in %.1f s (%.0f MB/s), VmRSS baseline %.1f MiB, peak %.1f MiB, growth %.1f MiB (limit %d MiB), origin fetches %d",
			name, pass, float64(size)/(1<<30), elapsed.Seconds(), float64(size)/elapsed.Seconds()/1e6,
			float64(base)/(1<<20), float64(peak)/(1<<20), float64(growth)/(1<<20), maxGrowth>>20, fetched)
		if growth >= maxGrowth {
			t.Errorf("%s: VmRSS grew by %.1f MiB while streaming %d bytes (limit %d MiB)", pass, float64(growth)/(1<<20), size, maxGrowth>>20)
		}
		if pass == "again" && fetched != 0 {
			t.Errorf("second download went to the origin %d times; want a hit from the disk tier", fetched)
		}
	}
}

// ---------------------------------------------------------------- origin

type origin struct {
	port  int
	mu    sync.Mutex
	count int
}

func (o *origin) requests() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.count
}

// smallSize is the body length of every path but /big.
const smallSize = 4096

// startOrigin serves /big (size bytes, generated) and any other path with
// smallSize bytes, cacheable for an hour.
func startOrigin(t *testing.T, size int64) *origin {
	block := make([]byte, 1<<20)
	for i := range block {
		block[i] = byte('a' + i%26)
	}
	o := &origin{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.port = ln.Addr().(*net.TCPAddr).Port
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.count++
		o.mu.Unlock()
		n := size
		if r.URL.Path != "/big" {
			n = smallSize
		}
		h := w.Header()
		h.Set("Cache-Control", "max-age=3600")
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Length", strconv.FormatInt(n, 10))
		for left := n; left > 0; {
			k := min(left, int64(len(block)))
			if _, err := w.Write(block[:k]); err != nil {
				return
			}
			left -= k
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return o
}

// download GETs path through the edge and counts the body bytes.
func download(ctx context.Context, edge, host, path string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+edge+path, nil)
	if err != nil {
		return 0, err
	}
	req.Host = host
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.CopyBuffer(io.Discard, resp.Body, make([]byte, 1<<20))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	return n, err
}

// ---------------------------------------------------------------- openfront

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// buildOpenfront builds ./cmd/openfront once per test binary run.
func buildOpenfront(t *testing.T) string {
	buildOnce.Do(func() {
		root, err := filepath.Abs("../..")
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "openfront-memtest-")
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

type openfront struct {
	cmd  *exec.Cmd
	api  string // host:port
	edge string // host:port
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startOpenfront starts openfront on free ports and waits until it is
// healthy. freePort's ports are not reserved: another process may take
// one between the pick and openfront's listen, so a start that fails with
// "address already in use" is made again on new ports (twice at most).
func startOpenfront(t *testing.T, bin string, diskBytes int64) *openfront {
	for attempt := 1; ; attempt++ {
		of, log, ok := launchOpenfront(t, bin, diskBytes)
		if ok {
			return of
		}
		if attempt == 3 || !strings.Contains(log, "address already in use") {
			t.Fatalf("openfront exited at start:\n%s", log)
		}
		t.Logf("openfront start %d: a port was taken meanwhile; again on new ports", attempt)
	}
}

// launchOpenfront is one start of startOpenfront: ok is false, with the
// log, when openfront exited before it was healthy.
func launchOpenfront(t *testing.T, bin string, diskBytes int64) (_ *openfront, log string, ok bool) {
	dir := t.TempDir()
	of := &openfront{api: freePort(t), edge: freePort(t)}
	args := []string{"serve", "--api-addr", of.api, "--edge-addr", of.edge, "--edge-tls-addr", "", "--rtmp-addr", "",
		"--data-dir", filepath.Join(dir, "data"), "--log-level", "warn"}
	if diskBytes > 0 {
		args = append(args, "--cache-disk-bytes", strconv.FormatInt(diskBytes, 10), "--cache-dir", filepath.Join(dir, "cache"))
	}
	of.cmd = exec.Command(bin, args...)
	of.cmd.Env = append(os.Environ(), "OPENFRONT_ACCESS_KEY_ID="+accessKeyID, "OPENFRONT_SECRET_ACCESS_KEY="+secretAccessKey)
	logf, err := os.Create(filepath.Join(dir, "openfront.log"))
	if err != nil {
		t.Fatal(err)
	}
	of.cmd.Stdout, of.cmd.Stderr = logf, logf
	if err := of.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { of.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		of.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			of.cmd.Process.Kill()
			<-exited
		}
		logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logf.Name()); err == nil {
				t.Logf("openfront log:\n%s", b)
			}
		}
	})
	for i := 0; ; i++ { // bounded: 10 s
		resp, err := http.Get("http://" + of.api + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if i == 100 {
			t.Fatalf("openfront not healthy after 10 s: %v", err)
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(logf.Name())
			return nil, string(b), false
		case <-time.After(100 * time.Millisecond):
		}
	}
	return of, "", true
}

// rss returns the process's VmRSS in bytes.
func (of *openfront) rss(t *testing.T) int64 {
	v, err := readRSS(of.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func readRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// call sends a SigV4-signed CloudFront API request.
func (of *openfront) call(t *testing.T, method, path, body string) (int, string) {
	req, err := http.NewRequest(method, "http://"+of.api+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "text/xml")
	}
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "cloudfront", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var (
	reID     = regexp.MustCompile(`<Id>(E[A-Z0-9]+)</Id>`)
	reDomain = regexp.MustCompile(`<DomainName>(d[a-z0-9]+\.[^<]+)</DomainName>`)
	reStatus = regexp.MustCompile(`<Status>([A-Za-z]+)</Status>`)
)

// createDistribution creates a distribution for the origin on port and
// waits until it is Deployed; it returns its domain name.
func (of *openfront) createDistribution(t *testing.T, port int, cachePolicy string) string {
	behavior := `<ForwardedValues><QueryString>true</QueryString><Cookies><Forward>none</Forward></Cookies></ForwardedValues>` +
		`<MinTTL>0</MinTTL><DefaultTTL>86400</DefaultTTL><MaxTTL>31536000</MaxTTL>`
	if cachePolicy != "" {
		behavior = "<CachePolicyId>" + cachePolicy + "</CachePolicyId>"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
<CallerReference>memtest-%d</CallerReference>
<Origins><Quantity>1</Quantity><Items><Origin><Id>origin</Id><DomainName>127.0.0.1</DomainName>
<CustomOriginConfig><HTTPPort>%d</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy><OriginReadTimeout>60</OriginReadTimeout></CustomOriginConfig>
</Origin></Items></Origins>
<DefaultCacheBehavior><TargetOriginId>origin</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>%s</DefaultCacheBehavior>
<Comment>memtest</Comment><Enabled>true</Enabled>
</DistributionConfig>`, time.Now().UnixNano(), port, behavior)
	status, body := of.call(t, http.MethodPost, "/2020-05-31/distribution", b.String())
	if status != http.StatusCreated {
		t.Fatalf("CreateDistribution: %d\n%s", status, body)
	}
	id, domain := reID.FindStringSubmatch(body), reDomain.FindStringSubmatch(body)
	if id == nil || domain == nil {
		t.Fatalf("CreateDistribution: no Id/DomainName in\n%s", body)
	}
	for i := 0; ; i++ { // bounded: 10 s
		status, body := of.call(t, http.MethodGet, "/2020-05-31/distribution/"+id[1], "")
		if m := reStatus.FindStringSubmatch(body); status == http.StatusOK && m != nil && m[1] == "Deployed" {
			break
		}
		if i == 100 {
			t.Fatalf("distribution %s not Deployed after 10 s", id[1])
		}
		time.Sleep(100 * time.Millisecond)
	}
	return domain[1]
}
