package cache_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"openfront/internal/cache"
	"openfront/internal/cache/cachetest"
	"openfront/internal/cache/disk"
	"openfront/internal/cache/memory"
)

// failingDisk is a disk tier whose spools fail every write once the spool
// holds failAfter bytes, as a full file system or a failing drive does.
type failingDisk struct {
	cache.Spooler
	failAfter int64
}

var errDiskFull = fmt.Errorf("write spool: %w", syscall.ENOSPC)

func (d *failingDisk) Create(key string) (cache.Spool, error) {
	sp, err := d.Spooler.Create(key)
	if err != nil {
		return nil, err
	}
	return &failingSpool{Spool: sp, left: d.failAfter}, nil
}

type failingSpool struct {
	cache.Spool
	left int64
}

// Write writes what still fits, then fails, like write(2) on a full disk.
func (s *failingSpool) Write(p []byte) (int, error) {
	if int64(len(p)) <= s.left {
		n, err := s.Spool.Write(p)
		s.left -= int64(n)
		return n, err
	}
	n, _ := s.Spool.Write(p[:s.left])
	s.left = 0
	return n, errDiskFull
}

// A disk write that fails mid-body stops caching the object, and every
// viewer (the one that started the fill and those collapsed onto it, fast
// or slow) still gets the whole body from the origin.
func TestCache_Fill_diskWriteFailureStillServesWholeBody(t *testing.T) {
	const size = 8 << 20
	want := cachetest.Body("diskfail", size)
	for _, tc := range []struct {
		name      string
		failAfter int64
		length    int64 // Content-Length, or -1
	}{
		{"first write fails", 0, size},
		{"fails at 4 MiB", 4 << 20, size},
		{"fails mid read", 4<<20 + 12345, size},
		{"fails one byte short", size - 1, size},
		{"unknown length fails when outgrowing memory", 100 << 10, -1},
		{"unknown length fails at 4 MiB", 4 << 20, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem, err := memory.New(64 << 20)
			if err != nil {
				t.Fatal(err)
			}
			d, err := disk.Open(disk.Config{Dir: t.TempDir(), MaxBytes: 1 << 30})
			if err != nil {
				t.Fatal(err)
			}
			c, err := cache.New(cache.Config{Memory: mem, Disk: &failingDisk{Spooler: d, failAfter: tc.failAfter}, MaxMemoryObject: 100 << 10})
			if err != nil {
				t.Fatal(err)
			}
			o := &origin{body: bytesBody(want), size: tc.length, cacheable: true, hold: make(chan struct{})}
			key := cachetest.Key("E1", "/big.bin")

			var wg sync.WaitGroup
			bodies := make([][]byte, 3)
			for i := range bodies {
				wg.Go(func() {
					s, err := c.Fill(t.Context(), request(key, o))
					if err != nil {
						t.Error(err)
						return
					}
					defer s.Close()
					if i == 2 { // a slow reader, far behind the fill
						time.Sleep(50 * time.Millisecond)
					}
					b, err := io.ReadAll(s)
					if err != nil {
						t.Errorf("viewer %d: read after %d bytes: %v", i, len(b), err)
					}
					bodies[i] = b
				})
			}
			waitJoins(t, c, 2)
			close(o.hold)
			wg.Wait()
			for i, b := range bodies {
				if !bytes.Equal(b, want) {
					t.Errorf("viewer %d got %d bytes, want the %d-byte body intact", i, len(b), size)
				}
			}
			waitIdle(t, c)
			if e, ok := c.Lookup(key); ok {
				e.Close()
				t.Errorf("object cached (size %d) after a failed disk write", e.Meta.Size)
			}
			if n := o.calls.Load(); n != 1 {
				t.Errorf("origin fetched %d times, want 1", n)
			}
			if st := c.Stats(); st.Dropped != 1 {
				t.Errorf("Dropped = %d, want 1", st.Dropped)
			}
		})
	}
}

// The same on a real full file system: a 4 MiB tmpfs holds the disk tier
// and an 8 MiB object does not fit. Needs root to mount; skipped otherwise.
func TestCache_Fill_fullFileSystemStillServesWholeBody(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	mem, _ := memory.New(64 << 20)
	d, err := disk.Open(disk.Config{Dir: dir, MaxBytes: 1 << 30}) // the bound is not what stops it
	if err != nil {
		t.Fatal(err)
	}
	c, _ := cache.New(cache.Config{Memory: mem, Disk: d})
	const size = 8 << 20
	want := cachetest.Body("tmpfs", size)
	key := cachetest.Key("E1", "/full.bin")
	for try := range 2 { // every retry is whole too
		o := &origin{body: bytesBody(want), size: size, cacheable: true}
		s, err := c.Fill(t.Context(), request(key, o))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(s)
		s.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("try %d: got %d bytes (%v), want %d intact", try, len(got), err, size)
		}
		waitIdle(t, c)
		if _, ok := c.Lookup(key); ok {
			t.Fatalf("try %d: truncated object cached", try)
		}
	}
	// The failed spools were removed: the file system has room again.
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if free := int64(st.Bavail) * st.Bsize; free < 3<<20 {
		t.Errorf("only %d bytes free after the fills: spool files left behind", free)
	}
}
