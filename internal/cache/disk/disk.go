package disk

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"openfront/internal/cache"
)

// Config configures a disk tier.
type Config struct {
	// Dir holds the objects; it is created if missing. Everything under it
	// belongs to the tier: unknown or damaged files are deleted.
	Dir string
	// MaxBytes bounds the total size of object files.
	MaxBytes int64
}

// node is the in-memory index record of one object file.
type node struct {
	key      string
	distID   string
	path     string
	size     int64 // body bytes
	fileSize int64 // body + metadata + trailer
	elem     *list.Element
	hits     atomic.Uint64 // since the object was stored or the index rebuilt
}

// Storage is the disk tier: one file per object, an in-memory index rebuilt
// by scanning the directory, and least-recently-used eviction by bytes.
type Storage struct {
	dir, tmp string
	maxBytes int64

	mu    sync.Mutex
	index map[string]*node
	lru   *list.List // of *node, most recently used at the front
	bytes int64
}

// Open opens (or creates) the tier under cfg.Dir and rebuilds its index
// from the files there. Leftover temporary files and files that are
// truncated or corrupt are removed.
func Open(cfg Config) (*Storage, error) {
	if cfg.MaxBytes <= 0 {
		return nil, fmt.Errorf("disk cache: MaxBytes must be positive, got %d", cfg.MaxBytes)
	}
	s := &Storage{
		dir:      cfg.Dir,
		tmp:      filepath.Join(cfg.Dir, "tmp"),
		maxBytes: cfg.MaxBytes,
		index:    make(map[string]*node),
		lru:      list.New(),
	}
	if err := os.RemoveAll(s.tmp); err != nil {
		return nil, fmt.Errorf("disk cache: clear temp dir: %w", err)
	}
	if err := os.MkdirAll(s.tmp, 0o755); err != nil {
		return nil, fmt.Errorf("disk cache: %w", err)
	}
	if err := s.scan(); err != nil {
		return nil, err
	}
	return s, nil
}

// scan indexes every object file, oldest modification first so that the
// least recently written objects are evicted first.
func (s *Storage) scan() error {
	type found struct {
		n     *node
		mtime time.Time
	}
	var all []found
	err := filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p == s.tmp {
				return filepath.SkipDir
			}
			return nil
		}
		n, mtime, ok := s.check(p)
		if !ok {
			_ = os.Remove(p) // damaged or foreign: it is ours to delete
			return nil
		}
		all = append(all, found{n, mtime})
		return nil
	})
	if err != nil {
		return fmt.Errorf("disk cache: scan %s: %w", s.dir, err)
	}
	slices.SortFunc(all, func(a, b found) int { return a.mtime.Compare(b.mtime) })
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range all {
		f.n.elem = s.lru.PushFront(f.n)
		s.index[f.n.key] = f.n
		s.bytes += f.n.fileSize
	}
	s.evictLocked()
	return nil
}

// check reads the metadata of the file at p and says whether it is a
// complete object stored under the right name.
func (s *Storage) check(p string) (*node, time.Time, bool) {
	f, err := os.Open(p)
	if err != nil {
		return nil, time.Time{}, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, false
	}
	key, m, err := readMeta(f, st.Size())
	if err != nil || s.pathOf(key) != p {
		return nil, time.Time{}, false
	}
	n := &node{key: key, distID: m.DistID, path: m.Path, size: m.Size, fileSize: st.Size()}
	return n, st.ModTime(), true
}

// pathOf maps a key to its file: two levels of fan-out directories named
// by the first bytes of the key's SHA-256, then the whole hash.
func (s *Storage) pathOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:])
	return filepath.Join(s.dir, h[0:2], h[2:4], h)
}

// Get opens the object under key. The returned entry's File is the caller's
// to close.
func (s *Storage) Get(key string) (cache.Entry, bool) {
	s.mu.Lock()
	n, ok := s.index[key]
	if ok {
		s.lru.MoveToFront(n.elem)
	}
	s.mu.Unlock()
	if !ok {
		return cache.Entry{}, false
	}
	p := s.pathOf(key)
	f, err := os.Open(p)
	if err != nil {
		s.forget(key, n, false)
		return cache.Entry{}, false
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return cache.Entry{}, false
	}
	k, m, err := readMeta(f, st.Size())
	if err != nil || k != key {
		f.Close()
		if errors.Is(err, errCorrupt) {
			s.forget(key, n, true)
		}
		return cache.Entry{}, false
	}
	return cache.Entry{Meta: &m, File: f, Hits: &n.hits}, true
}

// forget drops n from the index if it is still the record for key, and
// removes its file when remove is set.
func (s *Storage) forget(key string, n *node, remove bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.index[key] != n {
		return
	}
	s.unlinkLocked(n)
	if remove {
		_ = os.Remove(s.pathOf(key))
	}
}

func (s *Storage) unlinkLocked(n *node) {
	delete(s.index, n.key)
	s.lru.Remove(n.elem)
	s.bytes -= n.fileSize
}

// Put writes body under key.
func (s *Storage) Put(key string, m *cache.Meta, body []byte) error {
	sp, err := s.create(key)
	if err != nil {
		return err
	}
	defer sp.Close()
	if _, err := sp.Write(body); err != nil {
		return err
	}
	return sp.Commit(m)
}

// Create starts an object for key in a temporary file.
func (s *Storage) Create(key string) (cache.Spool, error) { return s.create(key) }

func (s *Storage) create(key string) (*spool, error) {
	f, err := os.CreateTemp(s.tmp, "obj-*")
	if err != nil {
		return nil, fmt.Errorf("disk cache: create: %w", err)
	}
	return &spool{s: s, key: key, f: f}, nil
}

// Delete removes key and its file.
func (s *Storage) Delete(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.index[key]
	if !ok {
		return false
	}
	s.unlinkLocked(n)
	_ = os.Remove(s.pathOf(key))
	return true
}

// All yields a snapshot of the index taken when iteration starts.
func (s *Storage) All() iter.Seq[cache.Ref] {
	return func(yield func(cache.Ref) bool) {
		s.mu.Lock()
		refs := make([]cache.Ref, 0, len(s.index))
		for _, n := range s.index {
			refs = append(refs, cache.Ref{Key: n.key, DistID: n.distID, Path: n.path, Size: n.size, Hits: n.hits.Load()})
		}
		s.mu.Unlock()
		for _, r := range refs {
			if !yield(r) {
				return
			}
		}
	}
}

// Usage reports entries and the bytes of their files.
func (s *Storage) Usage() cache.Usage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cache.Usage{Entries: len(s.index), Bytes: s.bytes}
}

// evictLocked removes least recently used objects until the tier fits.
// Files are removed under the lock so that a concurrent commit of the same
// key cannot have its new file deleted.
func (s *Storage) evictLocked() {
	for s.bytes > s.maxBytes {
		back := s.lru.Back()
		if back == nil {
			return
		}
		n := back.Value.(*node)
		s.unlinkLocked(n)
		_ = os.Remove(s.pathOf(n.key))
	}
}

// spool is an object being written to a temporary file.
type spool struct {
	s         *Storage
	key       string
	f         *os.File
	n         int64
	committed bool
}

func (w *spool) Write(p []byte) (int, error) {
	k, err := w.f.Write(p)
	w.n += int64(k)
	if err != nil {
		return k, fmt.Errorf("disk cache: write: %w", err)
	}
	return k, nil
}

func (w *spool) ReadAt(p []byte, off int64) (int, error) { return w.f.ReadAt(p, off) }

// Commit appends the metadata and renames the file into place. It does not
// fsync: after a crash a damaged file fails its trailer check at the next
// Open and is removed, which for a cache is the same as never stored.
func (w *spool) Commit(m *cache.Meta) error {
	if w.committed {
		return errors.New("disk cache: spool already committed")
	}
	if m.Size != w.n {
		return cache.ErrSizeMismatch
	}
	tr, err := appendTrailer(nil, w.key, m)
	if err != nil {
		return err
	}
	if _, err := w.f.Write(tr); err != nil {
		return fmt.Errorf("disk cache: write metadata: %w", err)
	}
	fileSize := w.n + int64(len(tr))
	if fileSize > w.s.maxBytes {
		return cache.ErrTooLarge
	}
	dst := w.s.pathOf(w.key)
	n := &node{key: w.key, distID: m.DistID, path: m.Path, size: m.Size, fileSize: fileSize}

	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("disk cache: %w", err)
	}
	if err := os.Rename(w.f.Name(), dst); err != nil {
		return fmt.Errorf("disk cache: commit: %w", err)
	}
	w.committed = true
	if old, ok := s.index[w.key]; ok {
		s.unlinkLocked(old)
	}
	n.elem = s.lru.PushFront(n)
	s.index[w.key] = n
	s.bytes += fileSize
	s.evictLocked()
	return nil
}

func (w *spool) Close() error {
	err := w.f.Close()
	if !w.committed {
		_ = os.Remove(w.f.Name())
	}
	return err
}

var (
	_ cache.Storage = (*Storage)(nil)
	_ cache.Spooler = (*Storage)(nil)
)
