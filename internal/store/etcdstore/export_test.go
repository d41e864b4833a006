package etcdstore

import (
	"context"
	"time"
)

// MapErr is mapErr on an open store whose RequestTimeout is a second.
func MapErr(ctx context.Context, err error) error {
	s := &Store{timeout: time.Second, done: make(chan struct{})}
	return s.mapErr(ctx, err)
}
