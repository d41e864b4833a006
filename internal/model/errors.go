package model

import "fmt"

// Error is a rule violation, named by the CloudFront error code that reports
// it (InvalidTTLOrder, NoSuchOrigin, ...). The API front-ends map codes to
// their protocol's status and form; Lightsail maps them to its own
// exceptions.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
