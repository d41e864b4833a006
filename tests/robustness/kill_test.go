package robustness

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"openfront/internal/store"
	"openfront/internal/store/boltstore"
)

// The writer is this test binary run again with these variables set.
const (
	envWriterPath  = "OPENFRONT_ROBUSTNESS_WRITER_PATH"
	envWriterRound = "OPENFRONT_ROBUSTNESS_WRITER_ROUND"
)

// logRetain is small so that the writer also trims the change log as it is
// killed.
const logRetain = 100

func TestMain(m *testing.M) {
	if path := os.Getenv(envWriterPath); path != "" {
		if err := runWriter(path, os.Getenv(envWriterRound)); err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runWriter commits Updates until it is killed, printing "ack <rev> <key>"
// after each Update returns, that is once the commit is durable.
func runWriter(path, round string) error {
	s, err := boltstore.Open(path, boltstore.Options{LogRetain: logRetain})
	if err != nil {
		return err
	}
	ctx := context.Background()
	for i := 0; ; i++ {
		key := fmt.Sprintf("r%s/%06d", round, i)
		rev, err := s.Update(ctx, func(tx store.Txn) error {
			// Overwrite a shared key too, so commits also rewrite old pages.
			if err := tx.Put("last", []byte(key)); err != nil {
				return err
			}
			return tx.Put(key, valueFor(key))
		})
		if err != nil {
			return err
		}
		// One write per line: an ack is either whole on the pipe or absent.
		if _, err := fmt.Fprintf(os.Stdout, "ack %d %s\n", rev, key); err != nil {
			return err
		}
	}
}

// valueFor is the value the writer stores under key: 0 to 4 KiB, so that
// commits span from one page to several.
func valueFor(key string) []byte {
	h := fnv.New32a()
	h.Write([]byte(key))
	n := int(h.Sum32() % 4096)
	return []byte(key + strings.Repeat("x", n))
}

// TestKill9_acknowledgedCommitsSurvive kills a writer process with SIGKILL
// in the middle of its commits, several times over the same file, and
// checks that every acknowledged commit is there afterwards and the file is
// consistent. SIGKILL loses what the process had not handed to the kernel;
// it does not lose the page cache, so this tests commit atomicity, not
// fsync against power loss.
func TestKill9_acknowledgedCommitsSurvive(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 robustness test skipped in -short mode")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "store.db")
	acked := make(map[string]int64) // key -> revision of its ack
	var lastRev int64
	for round := range 5 {
		acks := runAndKill(t, self, path, round, 300*time.Millisecond)
		if len(acks) == 0 {
			t.Fatalf("round %d: the writer acknowledged nothing", round)
		}
		for _, a := range acks {
			if a.rev <= lastRev {
				t.Fatalf("round %d: ack of %s at revision %d, not after %d", round, a.key, a.rev, lastRev)
			}
			acked[a.key] = a.rev
			lastRev = a.rev
		}
		verify(t, path, acked, lastRev)
		t.Logf("round %d: %d acks, last revision %d", round, len(acks), lastRev)
	}
}

type ack struct {
	rev int64
	key string
}

// runAndKill starts the writer on path, reads its acks for d, kills it with
// SIGKILL and returns every complete ack it printed.
func runAndKill(t *testing.T, self, path string, round int, d time.Duration) []ack {
	t.Helper()
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), envWriterPath+"="+path, envWriterRound+"="+strconv.Itoa(round))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan []ack, 1)
	go func() { lines <- readAcks(t, stdout) }()
	time.Sleep(d)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("round %d: kill: %v", round, err)
	}
	acks := <-lines // the pipe keeps what was written before the kill
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("round %d: writer ended with %v, not by SIGKILL; stderr: %s", round, err, stderr.String())
	}
	return acks
}

// readAcks parses "ack <rev> <key>" lines until EOF, ignoring a last line
// cut short by the kill.
func readAcks(t *testing.T, r io.Reader) []ack {
	var acks []ack
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return acks // EOF; a line without its newline is not an ack
		}
		var a ack
		if _, err := fmt.Sscanf(line, "ack %d %s\n", &a.rev, &a.key); err != nil {
			t.Errorf("bad writer line %q: %v", line, err)
			continue
		}
		acks = append(acks, a)
	}
}

// verify reopens the store after a kill and checks it.
func verify(t *testing.T, path string, acked map[string]int64, lastRev int64) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // after Close: ends the watch below
	s, err := boltstore.Open(path, boltstore.Options{LogRetain: logRetain})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	if err := s.Check(ctx); err != nil {
		t.Fatalf("check after kill: %v", err)
	}
	var rev int64
	err = s.View(ctx, func(tx store.ReadTxn) error {
		rev = tx.Revision()
		for key, ackRev := range acked {
			kv, ok, err := tx.Get(key)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("acknowledged key %s (revision %d) is missing", key, ackRev)
			}
			if string(kv.Value) != string(valueFor(key)) || kv.ModRevision != ackRev {
				return fmt.Errorf("acknowledged key %s: value of %d bytes at revision %d, want %d bytes at %d",
					key, len(kv.Value), kv.ModRevision, len(valueFor(key)), ackRev)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rev < lastRev {
		t.Fatalf("revision %d after reopen, last acknowledged %d", rev, lastRev)
	}
	// The retained log replays up to the revision, without a gap.
	from := max(rev-logRetain, 0)
	w := s.Watch(ctx, from)
	for want := from + 1; want <= rev; want++ {
		ev := <-w
		if ev.Err != nil || ev.Revision != want {
			t.Fatalf("replay after reopen: got revision %d (err %v), want %d", ev.Revision, ev.Err, want)
		}
	}
}
