package api

import (
	"net/http"
	"strconv"

	"openfront/internal/api/awsproto"
)

// RefusedRequest is the whole response sent before closing an API
// connection whose request head was refused before reaching the handler
// (internal/httpguard: framing conflicts, request size limits, a
// malformed request target, an unknown Expect). The
// protocol of the request is unknown then, so it is CloudFront's
// ErrorResponse (InvalidArgument, with the status of the refusal).
func RefusedRequest(status int) []byte {
	msg := "The request is malformed: its framing is ambiguous or invalid."
	switch status {
	case http.StatusRequestEntityTooLarge:
		msg = "The request line and headers are too long."
	case http.StatusExpectationFailed:
		msg = "The request's Expect header has an expectation other than 100-continue."
	case http.StatusNotImplemented:
		msg = "The request uses an unsupported transfer coding."
	case http.StatusHTTPVersionNotSupported:
		msg = "The request uses an unsupported HTTP version."
	}
	id := awsproto.NewRequestID()
	body := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>InvalidArgument</Code><Message>` +
		msg + `</Message></Error><RequestId>` + id + `</RequestId></ErrorResponse>`
	return []byte("HTTP/1.1 " + strconv.Itoa(status) + " " + http.StatusText(status) +
		"\r\nContent-Type: text/xml\r\nContent-Length: " + strconv.Itoa(len(body)) +
		"\r\nConnection: close\r\nX-Amz-Request-Id: " + id + "\r\nX-Amzn-Requestid: " + id + "\r\n\r\n" + body)
}
