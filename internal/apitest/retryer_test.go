package apitest

import (
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/aws/smithy-go"
)

// Retryer retries the client's closed-connection race, however it is
// wrapped, and nothing else: not a server's error, not a throttle, not a
// reset connection.
func TestRetryer(t *testing.T) {
	closed := &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}
	for _, tc := range []struct {
		name  string
		err   error
		retry bool
	}{
		{"closed connection", closed, true},
		{"closed connection under deserialization", &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body, %w", closed)}, true},
		{"server error", &smithy.GenericAPIError{Code: "InternalError", Message: "boom"}, false},
		{"throttled", &smithy.GenericAPIError{Code: "Throttling", Message: "slow down"}, false},
		{"connection reset", errors.New("read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer"), false},
		{"timeout", errors.New("context deadline exceeded"), false},
	} {
		if got := Retryer().IsErrorRetryable(tc.err); got != tc.retry {
			t.Errorf("%s: retryable %v, want %v", tc.name, got, tc.retry)
		}
	}
	if n := Retryer().MaxAttempts(); n != 2 {
		t.Errorf("MaxAttempts %d, want 2", n)
	}
}
