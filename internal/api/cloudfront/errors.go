package cloudfront

import (
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"openfront/internal/api/awsproto"
	"openfront/internal/model"
	"openfront/internal/shape"
	"openfront/internal/sigv4"
)

// statusOf returns the HTTP status CloudFront gives an error code
// (the error.httpStatusCode of each exception shape in botocore's
// cloudfront model: 409 for conflicts, 404 for unknown resources, ...).
func statusOf(code string) int {
	switch {
	case code == "PreconditionFailed":
		return http.StatusPreconditionFailed
	case code == "BatchTooLarge", code == "FunctionSizeLimitExceeded":
		return http.StatusRequestEntityTooLarge
	case code == "TestFunctionFailed":
		return http.StatusInternalServerError
	case code == "AccessDenied":
		return http.StatusForbidden
	case code == "RealtimeLogConfigOwnerMismatch":
		return http.StatusUnauthorized
	case strings.HasPrefix(code, "NoSuch"), code == "EntityNotFound":
		return http.StatusNotFound
	case strings.HasSuffix(code, "AlreadyExists"), strings.HasSuffix(code, "InUse"),
		strings.HasSuffix(code, "NotDisabled"), code == "ResourceInUse":
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

// toAPIError maps any error from decoding, auth or control to the API
// error the client sees; anything unexpected is an internal error.
func toAPIError(err error) (*awsproto.Error, bool) {
	var ae *awsproto.Error
	var me *model.Error
	var se *shape.Error
	var ve *sigv4.Error
	switch {
	case errors.As(err, &ae):
		return ae, true
	case errors.As(err, &me):
		return &awsproto.Error{Code: me.Code, Message: me.Message, Status: statusOf(me.Code)}, true
	case errors.As(err, &se):
		return &awsproto.Error{Code: se.Code, Message: se.Message, Status: http.StatusBadRequest}, true
	case errors.As(err, &ve):
		return &awsproto.Error{Code: ve.Code, Message: ve.Message, Status: ve.Status}, true
	}
	if se, ok := awsproto.FromStore(err, "InvalidArgument"); ok {
		return se, true
	}
	return awsproto.Internal(), false
}

type errorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

// WriteError renders err as CloudFront's ErrorResponse in the namespace of
// the request's API version.
func WriteError(w http.ResponseWriter, r *http.Request, err error, log *slog.Logger) {
	ae, known := toAPIError(err)
	reqID := awsproto.RequestID(r.Context())
	if !known {
		log.Error("cloudfront api: internal error", "request_id", reqID, "method", r.Method, "path", r.URL.Path, "err", err)
	}
	typ := "Sender"
	if ae.Receiver {
		typ = "Receiver"
	}
	body, _ := xml.Marshal(errorResponse{
		Xmlns: "http://cloudfront.amazonaws.com/doc/" + versionOf(r) + "/",
		Type:  typ, Code: ae.Code, Message: ae.Message, RequestID: reqID,
	})
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(ae.Status)
	w.Write([]byte(xml.Header))
	w.Write(body)
}

// versionOf is the API version of the request path, defaulting to the
// current one.
func versionOf(r *http.Request) string {
	for _, v := range versions {
		if strings.HasPrefix(r.URL.Path, "/"+v+"/") {
			return v
		}
	}
	return versions[len(versions)-1]
}
