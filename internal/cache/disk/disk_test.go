package disk_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"openfront/internal/cache"
	"openfront/internal/cache/cachetest"
	"openfront/internal/cache/disk"
)

func TestConformance(t *testing.T) {
	cachetest.Run(t, func(t testing.TB, maxBytes int64) cache.Storage {
		return newStorage(t, t.TempDir(), maxBytes)
	})
}

func newStorage(t testing.TB, dir string, maxBytes int64) *disk.Storage {
	t.Helper()
	s, err := disk.Open(disk.Config{Dir: dir, MaxBytes: maxBytes})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStorage_Open_restart(t *testing.T) {
	dir := t.TempDir()
	s := newStorage(t, dir, 1<<20)
	for _, p := range []string{"/a", "/b", "/c"} {
		body := cachetest.Body(p, 3000)
		if err := s.Put(cachetest.Key("E1", p), cachetest.NewMeta("E1", p, int64(len(body))), body); err != nil {
			t.Fatal(err)
		}
	}
	s2 := newStorage(t, dir, 1<<20)
	if u, u2 := s.Usage(), s2.Usage(); u != u2 || u.Entries != 3 {
		t.Fatalf("usage after restart = %+v, before %+v", u2, u)
	}
	for _, p := range []string{"/a", "/b", "/c"} {
		m, body := cachetest.MustGet(t, s2, cachetest.Key("E1", p))
		if !bytes.Equal(body, cachetest.Body(p, 3000)) || m.Path != p || m.Header.Get("Etag") != `"`+p+`"` {
			t.Errorf("%s after restart: meta %+v, %d bytes", p, m, len(body))
		}
	}
}

func TestStorage_Open_removesDamagedFiles(t *testing.T) {
	dir := t.TempDir()
	s := newStorage(t, dir, 1<<20)
	keys := map[string]string{}
	for _, p := range []string{"/ok", "/truncated", "/flipped", "/empty"} {
		body := cachetest.Body(p, 5000)
		key := cachetest.Key("E1", p)
		if err := s.Put(key, cachetest.NewMeta("E1", p, int64(len(body))), body); err != nil {
			t.Fatal(err)
		}
		keys[p] = key
	}
	files := objectFiles(t, dir)
	if len(files) != 4 {
		t.Fatalf("%d object files, want 4", len(files))
	}
	// Identify files by the key stored in their metadata blob.
	damage := map[string]func(string){
		"/truncated": func(f string) { must(t, os.Truncate(f, 4000)) },
		"/flipped": func(f string) {
			b, err := os.ReadFile(f)
			must(t, err)
			b[len(b)-30] ^= 0xff // inside the metadata: CRC mismatch
			must(t, os.WriteFile(f, b, 0o644))
		},
		"/empty": func(f string) { must(t, os.Truncate(f, 0)) },
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		must(t, err)
		for p, fn := range damage {
			if bytes.Contains(b, []byte(keys[p])) {
				fn(f)
			}
		}
	}
	stray := filepath.Join(dir, "ab", "cd", "not-an-object")
	must(t, os.MkdirAll(filepath.Dir(stray), 0o755))
	must(t, os.WriteFile(stray, []byte("hello"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "tmp", "obj-left-over"), []byte("partial"), 0o644))

	s2 := newStorage(t, dir, 1<<20)
	if u := s2.Usage(); u.Entries != 1 {
		t.Fatalf("entries after reopen = %d, want 1", u.Entries)
	}
	cachetest.MustGet(t, s2, keys["/ok"])
	if got := objectFiles(t, dir); len(got) != 1 {
		t.Errorf("files left: %v", got)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) != 0 {
		t.Errorf("temp files left: %d", len(left))
	}
}

func TestStorage_Get_corruptedWhileRunning(t *testing.T) {
	dir := t.TempDir()
	s := newStorage(t, dir, 1<<20)
	key := cachetest.Key("E1", "/x")
	must(t, s.Put(key, cachetest.NewMeta("E1", "/x", 100), make([]byte, 100)))
	for _, f := range objectFiles(t, dir) {
		must(t, os.Truncate(f, 50))
	}
	if _, ok := s.Get(key); ok {
		t.Fatal("hit on a truncated file")
	}
	if u := s.Usage(); u.Entries != 0 || len(objectFiles(t, dir)) != 0 {
		t.Errorf("damaged object kept: %+v", u)
	}
}

func TestStorage_Put_evictsLeastRecentlyUsed(t *testing.T) {
	s := newStorage(t, t.TempDir(), 4*1200) // files are ~1170 bytes: 4 fit
	put := func(p string) {
		t.Helper()
		must(t, s.Put(cachetest.Key("E1", p), cachetest.NewMeta("E1", p, 1000), make([]byte, 1000)))
	}
	for _, p := range []string{"/1", "/2", "/3", "/4", "/5"} {
		put(p)
	}
	if u := s.Usage(); u.Entries != 4 || u.Bytes > 4*1200 {
		t.Fatalf("usage = %+v, want 4 objects within the bound", u)
	}
	e, ok := s.Get(cachetest.Key("E1", "/2")) // touch /2: /3 is now the oldest
	if !ok {
		t.Fatal("/2 evicted too early")
	}
	e.Close()
	put("/6")
	for p, want := range map[string]bool{"/1": false, "/2": true, "/3": false, "/4": true, "/5": true, "/6": true} {
		e, ok := s.Get(cachetest.Key("E1", p))
		if ok {
			e.Close()
		}
		if ok != want {
			t.Errorf("%s stored = %v, want %v", p, ok, want)
		}
	}
}

func objectFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "tmp" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	must(t, err)
	return out
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
