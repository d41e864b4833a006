package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"openfront/internal/store"
	"openfront/internal/store/etcdstore"
)

// TestStore_mapErr maps the errors the etcd client returns, built as the
// client builds them (a gRPC status passed through clientv3.ContextError
// with the round trip's context still alive), to the store's: a connection
// lost under a call is store.ErrUnavailable, which the API answers 503
// ServiceUnavailable (README: "With etcd unreachable, API calls fail ...
// with 503"). A write in flight when etcd was killed got the bare gRPC
// error instead ("rpc error: code = Unavailable desc = error reading from
// server: connection reset by peer"), which the API answered 500.
func TestStore_mapErr(t *testing.T) {
	alive := context.Background()
	fromClient := func(code codes.Code, msg string) error {
		return clientv3.ContextError(alive, status.Error(code, msg))
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context // the caller's
		err    error
		want   error // errors.Is(got, want)
		notErr error // !errors.Is(got, notErr)
	}{
		// A connection lost under the call.
		{"reset by peer", alive, fromClient(codes.Unavailable, "error reading from server: connection reset by peer"), store.ErrUnavailable, nil},
		{"EOF from server", alive, fromClient(codes.Unavailable, "error reading from server: EOF"), store.ErrUnavailable, nil},
		{"connection refused", alive, fromClient(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:2379: connect: connection refused"`), store.ErrUnavailable, nil},
		{"wrapped Unavailable", alive, fmt.Errorf("txn: %w", fromClient(codes.Unavailable, "error reading from server: EOF")), store.ErrUnavailable, nil},
		// DeadlineExceeded or Canceled from gRPC while the caller's context
		// and the round trip's are alive: the transport's doing.
		{"gRPC DeadlineExceeded", alive, fromClient(codes.DeadlineExceeded, "context deadline exceeded"), store.ErrUnavailable, nil},
		{"gRPC Canceled", alive, fromClient(codes.Canceled, "grpc: the client connection is closing"), store.ErrUnavailable, nil},
		{"bare EOF", alive, io.EOF, store.ErrUnavailable, nil},
		{"wrapped unexpected EOF", alive, fmt.Errorf("read: %w", io.ErrUnexpectedEOF), store.ErrUnavailable, nil},
		// Mapped before.
		{"round trip timed out", alive, context.DeadlineExceeded, store.ErrUnavailable, nil},
		{"no leader", alive, clientv3.ContextError(alive, rpctypes.ErrGRPCNoLeader), store.ErrUnavailable, nil},
		{"etcd timeout", alive, clientv3.ContextError(alive, rpctypes.ErrGRPCTimeout), store.ErrUnavailable, nil},
		{"compacted", alive, clientv3.ContextError(alive, rpctypes.ErrGRPCCompacted), store.ErrCompacted, store.ErrUnavailable},
		// The caller gave up: its own error, whatever the client said.
		{"caller canceled", canceled, fromClient(codes.Unavailable, "error reading from server: EOF"), context.Canceled, store.ErrUnavailable},
		// etcd answered and refused: not unavailable, retrying will not help.
		{"request too large", alive, clientv3.ContextError(alive, rpctypes.ErrGRPCRequestTooLarge), rpctypes.ErrRequestTooLarge, store.ErrUnavailable},
		{"invalid argument", alive, fromClient(codes.InvalidArgument, "bad"), nil, store.ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := etcdstore.MapErr(tc.ctx, tc.err)
			if tc.want != nil && !errors.Is(got, tc.want) {
				t.Errorf("mapErr(%v) = %v, want %v", tc.err, got, tc.want)
			}
			if tc.notErr != nil && errors.Is(got, tc.notErr) {
				t.Errorf("mapErr(%v) = %v, which is %v", tc.err, got, tc.notErr)
			}
		})
	}
}
