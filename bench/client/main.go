// Command client is the benchmark's helper HTTP client (loopback only):
//
//	client warm     -addr A -host H -path '/obj/mix%d?size=10240' -n 1000 -c 16
//	client collapse -addr A -host H -path '/obj/cold?size=10240&delay=300ms' -n 200
//
// warm GETs n paths (the %d in -path takes 0..n-1) with c workers and
// fails unless every answer is a 200 with the whole body. collapse sends n
// GETs of one path at once, each on its own connection, released together
// by a barrier, and fails unless every answer is a 200 with the whole body;
// the origin's /count tells how many of them reached it.
//
//	client handshake -addr A -host H -path '/obj/hit1k?size=1024' -n 5000 -c 8 [-resume]
//
// handshake opens n TLS 1.3 connections (c at a time; SNI H, ALPN
// http/1.1, ECDHE on P-256), sends one GET with Connection: close on each
// and reads the answer to its end (which also brings the session ticket).
// With -resume, connections resume the sessions of earlier ones (a shared
// client session cache). It prints "HANDSHAKE n=.. resumed=.. seconds=..".
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: client warm|collapse [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "server address (loopback)")
	host := fs.String("host", "", "Host header")
	path := fs.String("path", "/obj/0?size=1024", "request path (warm: with %d)")
	n := fs.Int("n", 1, "requests")
	c := fs.Int("c", 16, "concurrent workers (warm)")
	timeout := fs.Duration("timeout", 2*time.Minute, "bound on the whole run")
	resume := fs.Bool("resume", false, "handshake: resume TLS sessions")
	fs.Parse(os.Args[2:])
	if !strings.HasPrefix(*addr, "127.") {
		fail("refusing non-loopback address %s", *addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var err error
	start := time.Now()
	switch os.Args[1] {
	case "warm":
		err = warm(ctx, *addr, *host, *path, *n, *c)
	case "collapse":
		err = collapse(ctx, *addr, *host, *path, *n)
	case "handshake":
		err = handshakes(ctx, *addr, *host, *path, *n, *c, *resume)
	default:
		fail("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail("%s: %v", os.Args[1], err)
	}
	fmt.Fprintf(os.Stderr, "%s: %d requests in %v\n", os.Args[1], *n, time.Since(start).Round(time.Millisecond))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "client: "+format+"\n", args...)
	os.Exit(1)
}

// get sends one GET and checks for a 200 whose body matches the size asked
// for in the path (?size=), or any body when the path has none.
func get(ctx context.Context, hc *http.Client, addr, host, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return err
	}
	req.Host = host
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return fmt.Errorf("%s: body: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d", path, resp.StatusCode)
	}
	if i := strings.Index(path, "size="); i >= 0 {
		s := path[i+5:]
		if j := strings.IndexByte(s, '&'); j >= 0 {
			s = s[:j]
		}
		if want, err := strconv.ParseInt(s, 10, 64); err == nil && want != got {
			return fmt.Errorf("%s: got %d body bytes, want %d", path, got, want)
		}
	}
	return nil
}

func warm(ctx context.Context, addr, host, pathFmt string, n, c int) error {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c, DisableCompression: true}}
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range max(c, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || ctx.Err() != nil {
					return
				}
				p := pathFmt
				if strings.Contains(p, "%d") {
					p = fmt.Sprintf(pathFmt, i)
				}
				if err := get(ctx, hc, addr, host, p); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return firstErr
}

func collapse(ctx context.Context, addr, host, path string, n int) error {
	// One connection per request: dial them all first, then release the
	// requests together.
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n, DisableCompression: true,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	hc := &http.Client{Transport: tr}
	gate := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			errs <- get(ctx, hc, addr, host, path)
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(gate)
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		if err != nil {
			all = append(all, err)
		}
	}
	if len(all) > 0 {
		return fmt.Errorf("%d of %d failed, first: %w", len(all), n, errors.Join(all[0]))
	}
	return nil
}

func handshakes(ctx context.Context, addr, host, path string, n, c int, resume bool) error {
	cfg := &tls.Config{ServerName: host, InsecureSkipVerify: true, NextProtos: []string{"http/1.1"},
		MinVersion: tls.VersionTLS13, CurvePreferences: []tls.CurveID{tls.CurveP256}}
	if resume {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1024)
	}
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
	var next, resumed atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	one := func() error {
		d := &net.Dialer{Timeout: 5 * time.Second}
		tc, err := tls.DialWithDialer(d, "tcp", addr, cfg)
		if err != nil {
			return err
		}
		defer tc.Close()
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		if tc.ConnectionState().DidResume {
			resumed.Add(1)
		}
		if _, err := tc.Write(req); err != nil {
			return err
		}
		resp, err := http.ReadResponse(bufio.NewReader(tc), nil)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	for range max(c, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				if err := one(); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return firstErr
	}
	fmt.Printf("HANDSHAKE n=%d resumed=%d seconds=%.3f\n", n, resumed.Load(), time.Since(start).Seconds())
	return nil
}
