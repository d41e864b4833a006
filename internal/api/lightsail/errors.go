package lightsail

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"openfront/internal/api/awsproto"
	"openfront/internal/model"
	"openfront/internal/sigv4"
)

// Lightsail's exceptions (every distribution operation declares all six).
const (
	codeInvalidInput     = "InvalidInputException"
	codeNotFound         = "NotFoundException"
	codeOperationFailure = "OperationFailureException"
	codeAccessDenied     = "AccessDeniedException"
	codeUnauthenticated  = "UnauthenticatedException"
	codeService          = "ServiceException"
)

// docsURL is the docs member of the modeled exceptions.
const docsURL = "https://docs.aws.amazon.com/lightsail/2016-11-28/api-reference/"

// modeled are the exceptions whose body carries code, docs and tip.
var modeled = map[string]bool{
	codeInvalidInput: true, codeNotFound: true, codeOperationFailure: true,
	codeAccessDenied: true, codeUnauthenticated: true, codeService: true,
}

// sigv4Codes are the names JSON services give signature failures.
var sigv4Codes = map[string]string{
	sigv4.CodeMissingAuthenticationToken: "MissingAuthenticationTokenException",
	sigv4.CodeIncompleteSignature:        "IncompleteSignatureException",
	sigv4.CodeInvalidClientTokenId:       "UnrecognizedClientException",
	sigv4.CodeSignatureDoesNotMatch:      "InvalidSignatureException",
	sigv4.CodeAccessDenied:               codeAccessDenied,
}

func invalid(format string, args ...any) error {
	return model.Errorf(codeInvalidInput, format, args...)
}

// toAPIError maps any error to the error the client sees; known is false
// for a failure that is ours (ServiceException).
func toAPIError(err error) (ae *awsproto.Error, known bool) {
	var pe *awsproto.Error
	var me *model.Error
	var ve *sigv4.Error
	switch {
	case errors.As(err, &ve):
		code := ve.Code
		if c, ok := sigv4Codes[code]; ok {
			code = c
		}
		return &awsproto.Error{Code: code, Message: ve.Message, Status: ve.Status}, true
	case errors.As(err, &pe):
		return pe, true
	case errors.As(err, &me):
		code := me.Code
		if !modeled[code] {
			// A CloudFront rule broken by the derived config: bad input.
			code = codeInvalidInput
		}
		status := http.StatusBadRequest
		if code == codeService {
			status = http.StatusInternalServerError
		}
		return &awsproto.Error{Code: code, Message: me.Message, Status: status}, true
	}
	if se, ok := awsproto.FromStore(err, codeInvalidInput); ok {
		return se, true
	}
	return &awsproto.Error{Code: codeService, Status: http.StatusInternalServerError, Receiver: true,
		Message: "Lightsail encountered an internal error. Please try again."}, false
}

// errorBody is Lightsail's JSON error document.
type errorBody struct {
	Type    string  `json:"__type"`
	Message string  `json:"message"`
	Code    *string `json:"code,omitempty"`
	Docs    *string `json:"docs,omitempty"`
	Tip     *string `json:"tip,omitempty"`
}

// WriteError renders err as a Lightsail JSON error; the API server uses it
// for signature failures too.
func WriteError(w http.ResponseWriter, r *http.Request, err error, log *slog.Logger) {
	ae, known := toAPIError(err)
	if !known && log != nil {
		log.Error("lightsail api: internal error", "request_id", awsproto.RequestID(r.Context()), "target", r.Header.Get("X-Amz-Target"), "err", err)
	}
	body := errorBody{Type: ae.Code, Message: ae.Message}
	if modeled[ae.Code] {
		code, docs, tip := strings.TrimSuffix(ae.Code, "Exception"), docsURL, ""
		body.Code, body.Docs, body.Tip = &code, &docs, &tip
	}
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-ErrorType", ae.Code)
	w.WriteHeader(ae.Status)
	w.Write(b)
}
