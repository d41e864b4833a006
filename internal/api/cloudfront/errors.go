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

// statusOf returns the HTTP status CloudFront gives an error code: the
// catalogue is the model's (the error.httpStatusCode of each exception
// shape in botocore's cloudfront model, the newest version's), plus
// codesOutsideModel; any other code is a 400.
func statusOf(code string) int {
	if m, err := shape.Load(versions[len(versions)-1]); err == nil {
		if s, ok := m.ErrorStatus(code); ok {
			return s
		}
	}
	if s, ok := codesOutsideModel[code]; ok {
		return s
	}
	return http.StatusBadRequest
}

// codesOutsideModel are the codes OpenFront raises that botocore's model
// does not declare.
var codesOutsideModel = map[string]int{
	// A CallerReference reused with other paths (control/invalidation.go):
	// OpenFront's choice of code, a conflict like the model's other
	// *AlreadyExists codes.
	"InvalidationBatchAlreadyExists": http.StatusConflict,
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
