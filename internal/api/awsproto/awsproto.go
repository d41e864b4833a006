// Package awsproto holds what the AWS-protocol front-ends share: request
// ids and the protocol-neutral API error (code, HTTP status, fault type,
// message) that each front-end renders in its own envelope.
package awsproto

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"

	"openfront/internal/store"
)

// Error is an API error as AWS reports it.
type Error struct {
	Code    string
	Message string
	Status  int
	// Receiver marks a server fault (5xx); Sender a client fault.
	Receiver bool
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Errorf returns a client-fault error.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Status: status, Message: fmt.Sprintf(format, args...)}
}

// Internal is the error shown for a failure that is ours, not the caller's.
func Internal() *Error {
	return &Error{Code: "InternalError", Status: http.StatusInternalServerError, Receiver: true,
		Message: "CloudFront encountered an internal error. Please try again."}
}

// Unavailable is the error shown while the control plane's store cannot be
// reached: AWS's common ServiceUnavailable (503), which SDKs retry.
func Unavailable() *Error {
	return &Error{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable, Receiver: true,
		Message: "The request has failed due to a temporary failure of the server. Please try again."}
}

// FromStore maps the store's errors that are not internal faults: a write
// too large for the store is the request's (400 InvalidArgument, or the
// given code), an unreachable store is ServiceUnavailable (503).
func FromStore(err error, invalidCode string) (*Error, bool) {
	switch {
	case errors.Is(err, store.ErrTooLarge):
		return &Error{Code: invalidCode, Status: http.StatusBadRequest,
			Message: "The request contains a value that is too large to be stored."}, true
	case errors.Is(err, store.ErrUnavailable):
		return Unavailable(), true
	}
	return nil, false
}

// NewRequestID returns a random UUID v4, AWS's request id form.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

type requestIDKey struct{}

// WithRequestID stores the request id in the context.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id stored in the context.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
