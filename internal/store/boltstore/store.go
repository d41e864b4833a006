package boltstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"openfront/internal/store"
)

// Defaults for the zero Options.
const (
	DefaultLogRetain   = 10000
	DefaultLockTimeout = time.Second
)

// ErrInUse is returned by Open when another process (or another Store in this
// process) has the data file open: bbolt allows one writer per file.
var ErrInUse = errors.New("boltstore: data dir is in use by another process")

// Options tune a Store. The zero value is ready to use.
type Options struct {
	// LogRetain is how many of the latest revisions the change log keeps for
	// Watch to replay; older ones are trimmed by the commits that pass them.
	// 0 means DefaultLogRetain.
	LogRetain int
	// LockTimeout is how long Open waits for the data file's lock before it
	// fails with ErrInUse. 0 means DefaultLockTimeout.
	LockTimeout time.Duration
}

// The data file's layout; see the package documentation.
var (
	bucketKV    = []byte("kv")
	bucketMeta  = []byte("meta")
	bucketLog   = []byte("log")
	keyRevision = []byte("revision")
	keyFormat   = []byte("format")
)

// formatVersion is stored under meta/format when a file is created. Open
// refuses files of another format rather than misreading them.
const formatVersion = "1"

// Store is a store.Store kept in one bbolt file. It is safe for concurrent
// use. Open it with Open and release it with Close.
type Store struct {
	db     *bolt.DB
	retain int64

	mu      sync.Mutex
	changed chan struct{} // closed and replaced after each commit; guarded by mu
	done    chan struct{} // closed by Close; guarded by mu
}

// Open opens the store file at path, creating it (but not its directory) when
// it does not exist. It fails with ErrInUse when another process holds the
// file for longer than opts.LockTimeout.
func Open(path string, opts Options) (*Store, error) {
	if opts.LogRetain < 0 {
		return nil, fmt.Errorf("open store %s: negative LogRetain %d", path, opts.LogRetain)
	}
	if opts.LogRetain == 0 {
		opts.LogRetain = DefaultLogRetain
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("open store %s: data dir: %w", path, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("open store %s: data dir %s is not a directory", path, dir)
	}

	bo := *bolt.DefaultOptions // NoSync stays false: every commit is fsynced
	bo.Timeout = opts.LockTimeout
	// Like etcd: the freelist is rebuilt on open instead of being written on
	// every commit, so a commit writes (and fsyncs) fewer pages.
	bo.NoFreelistSync = true
	bo.FreelistType = bolt.FreelistMapType
	db, err := bolt.Open(path, 0o600, &bo)
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open store %s: %w (lock not released within %s)", path, ErrInUse, opts.LockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := db.Update(initLayout); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return &Store{
		db:      db,
		retain:  int64(opts.LogRetain),
		changed: make(chan struct{}),
		done:    make(chan struct{}),
	}, nil
}

// initLayout creates the buckets of a new file and checks the format of an
// existing one.
func initLayout(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketKV, bucketMeta, bucketLog} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	switch f := meta.Get(keyFormat); {
	case f == nil:
		return meta.Put(keyFormat, []byte(formatVersion))
	case string(f) != formatVersion:
		return fmt.Errorf("data file format %q, want %q", f, formatVersion)
	}
	return nil
}

// View implements store.Store.
func (s *Store) View(ctx context.Context, fn func(store.ReadTxn) error) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := newReadTxn(tx)
		if err != nil {
			return err
		}
		defer r.end()
		return fn(r)
	})
	return closedErr(err)
}

// errNothingWritten rolls back an Update whose fn wrote nothing, so that it
// costs no fsync and no revision.
var errNothingWritten = errors.New("nothing written")

// Update implements store.Store. Updates are serialised by bbolt's single
// writer lock; each one that writes costs one fsync.
func (s *Store) Update(ctx context.Context, fn func(store.Txn) error) (int64, error) {
	if err := s.usable(ctx); err != nil {
		return 0, err
	}
	var rev int64
	var fnErr error
	// Plain db.Update, not db.Batch: Batch coalesces concurrent callers into
	// one commit (they would share a revision) and re-runs a caller's fn alone
	// when another one fails. One commit per Update keeps "one Update, one
	// revision" obvious, at the price of one fsync each.
	err := s.db.Update(func(tx *bolt.Tx) error {
		w, err := newWriteTxn(tx)
		if err != nil {
			return err
		}
		defer w.end()
		if fnErr = fn(w); fnErr != nil {
			return fnErr
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		changes := w.changes()
		if len(changes) == 0 {
			return errNothingWritten
		}
		rev = w.rev + 1
		return s.commit(tx, rev, changes)
	})
	switch {
	case fnErr != nil:
		return 0, fnErr
	case errors.Is(err, errNothingWritten):
		return 0, nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, berrors.ErrDatabaseNotOpen):
		return 0, closedErr(err)
	case err != nil:
		return 0, fmt.Errorf("update: %w", err)
	}
	s.notify()
	return rev, nil
}

// commit records revision rev and its changes, and trims the change log to
// the latest s.retain revisions, inside the Update's transaction.
func (s *Store) commit(tx *bolt.Tx, rev int64, changes []store.Change) error {
	if err := tx.Bucket(bucketMeta).Put(keyRevision, revKey(rev)); err != nil {
		return fmt.Errorf("write revision: %w", err)
	}
	log := tx.Bucket(bucketLog)
	if err := log.Put(revKey(rev), encodeChanges(changes)); err != nil {
		return fmt.Errorf("write change log: %w", err)
	}
	oldest := rev - s.retain + 1
	if oldest <= 1 {
		return nil
	}
	// Usually one entry goes. Take a fresh First each time rather than
	// Delete then Next on one cursor, which can skip an entry
	// (etcd-io/bbolt#146).
	stop := revKey(oldest)
	for {
		k, _ := log.Cursor().First()
		if k == nil || string(k) >= string(stop) {
			return nil
		}
		if err := log.Delete(append([]byte(nil), k...)); err != nil {
			return fmt.Errorf("trim change log: %w", err)
		}
	}
}

// notify wakes every watcher after a commit.
func (s *Store) notify() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// wakeup returns the channel the next commit closes.
func (s *Store) wakeup() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Close implements store.Store: it ends every watch and closes the file,
// after the transactions in flight finish.
func (s *Store) Close() error {
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		return store.ErrClosed
	default:
	}
	close(s.done)
	s.mu.Unlock()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// usable returns ErrClosed after Close, else ctx's error.
func (s *Store) usable(ctx context.Context) error {
	if s.closed() {
		return store.ErrClosed
	}
	return ctx.Err()
}

func (s *Store) closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// closedErr turns bbolt's "database not open", which a call racing with
// Close can meet, into store.ErrClosed.
func closedErr(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return store.ErrClosed
	}
	return err
}

// readRevision returns the current revision as of tx.
func readRevision(tx *bolt.Tx) (int64, error) {
	b := tx.Bucket(bucketMeta).Get(keyRevision)
	if b == nil {
		return 0, nil
	}
	return decodeRev(b)
}

var _ store.Store = (*Store)(nil)
