package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"openfront/internal/store"
)

// Check reads the whole data file and verifies it: bbolt's own page checks,
// then the store's invariants. Every record decodes, with
// 1 <= CreateRevision <= ModRevision <= the current revision; the change log
// holds consecutive revisions ending at the current one, at most LogRetain of
// them, each decodable; and the log agrees with the records: a key put at a
// logged revision is now gone or was last written at or after it, a key
// deleted at one is gone or was written again later, and a key last written
// within the log's window has the value its entry logged.
//
// Check is for tests and offline diagnosis: it holds one read transaction
// while it reads everything.
func (s *Store) Check(ctx context.Context) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() { // drain: the checker goroutine writes until done
			errs = append(errs, err)
		}
		if len(errs) > 0 {
			return fmt.Errorf("bbolt check: %w", errors.Join(errs...))
		}
		cur, err := readRevision(tx)
		if err != nil {
			return err
		}
		logged, first, err := s.checkLog(tx, cur)
		if err != nil {
			return err
		}
		return checkRecords(tx, cur, logged, first)
	})
	return closedErr(err)
}

// checkLog decodes the change log and checks its shape. It returns the
// entries by revision and the oldest logged revision.
func (s *Store) checkLog(tx *bolt.Tx, cur int64) (map[int64][]store.Change, int64, error) {
	logged := make(map[int64][]store.Change)
	var first, last int64
	c := tx.Bucket(bucketLog).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		rev, err := decodeRev(k)
		if err != nil {
			return nil, 0, err
		}
		if last != 0 && rev != last+1 {
			return nil, 0, fmt.Errorf("change log: revision %d follows %d", rev, last)
		}
		if first == 0 {
			first = rev
		}
		last = rev
		if logged[rev], err = decodeChanges(v); err != nil {
			return nil, 0, fmt.Errorf("change log: revision %d: %w", rev, err)
		}
	}
	switch n := int64(len(logged)); {
	case last != cur:
		return nil, 0, fmt.Errorf("change log ends at revision %d, store is at %d", last, cur)
	case n > s.retain:
		return nil, 0, fmt.Errorf("change log holds %d revisions, more than the %d retained", n, s.retain)
	}
	return logged, first, nil
}

// checkRecords checks every record against the revision and the log.
func checkRecords(tx *bolt.Tx, cur int64, logged map[int64][]store.Change, first int64) error {
	kv := tx.Bucket(bucketKV)
	for rev, changes := range logged {
		for _, ch := range changes {
			b := kv.Get([]byte(ch.Key))
			if b == nil {
				continue
			}
			rec, err := decodeRecord(ch.Key, b)
			if err != nil {
				return err
			}
			if rec.ModRevision < rev || ch.Deleted && rec.ModRevision == rev {
				return fmt.Errorf("key %q: revision %d logged a write, record is at %d", ch.Key, rev, rec.ModRevision)
			}
		}
	}
	c := kv.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		rec, err := decodeRecord(string(k), v)
		if err != nil {
			return err
		}
		if rec.CreateRevision < 1 || rec.CreateRevision > rec.ModRevision || rec.ModRevision > cur {
			return fmt.Errorf("key %q: revisions create %d, mod %d at store revision %d", k, rec.CreateRevision, rec.ModRevision, cur)
		}
		if first == 0 || rec.ModRevision < first {
			continue
		}
		if !loggedValue(logged[rec.ModRevision], rec) {
			return fmt.Errorf("key %q: value differs from its put logged at revision %d", k, rec.ModRevision)
		}
	}
	return nil
}

// loggedValue reports whether changes hold a put of rec's key with its value.
func loggedValue(changes []store.Change, rec store.KV) bool {
	for _, ch := range changes {
		if ch.Key == rec.Key {
			return !ch.Deleted && bytes.Equal(ch.Value, rec.Value)
		}
	}
	return false
}
