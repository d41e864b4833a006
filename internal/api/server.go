// Package api is the control-plane listener: /healthz and /metrics without
// authentication, the web console under /console (its own logins, package
// console), AWS Signature V4 on everything else, then the CloudFront
// REST-XML front-end (and the Lightsail JSON front-end, told apart by its
// X-Amz-Target header, and the KeyValueStore data plane's REST-JSON
// front-end, told apart by its /key-value-stores/ paths whatever the Host).
package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"openfront/internal/api/awsproto"
	"openfront/internal/api/cloudfront"
	"openfront/internal/api/keyvaluestore"
	"openfront/internal/control"
	"openfront/internal/sigv4"
)

// Server is the API's http.Handler.
type Server struct {
	Verifier   *sigv4.Verifier
	CloudFront http.Handler
	// Lightsail serves X-Amz-Target: Lightsail_20161128.* requests; nil
	// until that front-end exists.
	Lightsail interface {
		http.Handler
		WriteError(w http.ResponseWriter, r *http.Request, err error)
	}
	// KeyValueStore serves the cloudfront-keyvaluestore data plane, the
	// paths under /key-value-stores/ (nil: not served). The SDKs reach it
	// as <account-id>.<endpoint host>; only the path routes.
	KeyValueStore interface {
		http.Handler
		WriteError(w http.ResponseWriter, r *http.Request, err error)
	}
	Metrics http.Handler
	// Console serves /console and the paths under it (nil: not served).
	// No CloudFront path starts with /console and Lightsail requests carry
	// X-Amz-Target, so the AWS APIs never reach it.
	Console http.Handler
	// Ready reports whether every listener accepts (for /healthz).
	Ready func() bool
	// Count records one answered request by API and code.
	Count func(api, code string)
	Log   *slog.Logger
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz":
		if s.Ready != nil && !s.Ready() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("ok\n"))
		return
	case "/metrics":
		if s.Metrics != nil {
			s.Metrics.ServeHTTP(w, r)
			return
		}
	}

	if s.Console != nil && isConsolePath(r.URL.Path) && r.Header.Get("X-Amz-Target") == "" {
		s.Console.ServeHTTP(w, r)
		return
	}

	reqID := awsproto.NewRequestID()
	w.Header().Set("x-amz-request-id", reqID)
	w.Header().Set("x-amzn-RequestId", reqID)
	r = r.WithContext(awsproto.WithRequestID(r.Context(), reqID))
	rec := &statusRecorder{ResponseWriter: w}

	lightsail := strings.HasPrefix(r.Header.Get("X-Amz-Target"), "Lightsail_")
	kvs := !lightsail && s.KeyValueStore != nil && keyvaluestore.IsPath(r.URL.Path)
	api := "cloudfront"
	switch {
	case lightsail:
		api = "lightsail"
	case kvs:
		api = keyvaluestore.SigningName
	}
	defer func() {
		if s.Count != nil {
			s.Count(api, rec.code())
		}
	}()
	if kvs {
		s.serveKeyValueStore(rec, r, reqID)
		return
	}

	id, err := s.Verifier.Verify(r)
	if err == nil && id.Service == keyvaluestore.SigningName {
		// Signed for the data plane, sent to another API.
		err = &sigv4.Error{Code: sigv4.CodeSignatureDoesNotMatch, Status: http.StatusForbidden,
			Message: "Credential should be scoped to correct service: 'cloudfront' or 'lightsail'."}
	}
	if err != nil {
		var ve *sigv4.Error
		if !errors.As(err, &ve) {
			// The body could not be read: the client went away or sent too much.
			err = awsproto.Errorf(http.StatusBadRequest, "InvalidArgument", "The request body could not be read.")
		}
		if ve != nil && ve.Detail != "" {
			s.Log.Debug("api: signature mismatch", "request_id", reqID, "detail", ve.Detail)
		}
		s.writeError(rec, r, lightsail, err)
		return
	}
	r = r.WithContext(control.WithPartition(r.Context(), control.ARNPartition(id.Region)))
	switch {
	case lightsail && s.Lightsail != nil:
		s.Lightsail.ServeHTTP(rec, r)
	case lightsail:
		s.writeError(rec, r, true, awsproto.Errorf(http.StatusBadRequest, "UnknownOperationException", "Lightsail operations are not served yet."))
	default:
		s.CloudFront.ServeHTTP(rec, r)
	}
}

// serveKeyValueStore verifies the request's signature (one call: the
// verifier decides the algorithm) and that it is scoped to the
// cloudfront-keyvaluestore service, then serves it.
func (s *Server) serveKeyValueStore(w http.ResponseWriter, r *http.Request, reqID string) {
	id, err := s.Verifier.Verify(r)
	if err == nil && id.Service != keyvaluestore.SigningName {
		err = &sigv4.Error{Code: sigv4.CodeSignatureDoesNotMatch, Status: http.StatusForbidden,
			Message: "Credential should be scoped to correct service: '" + keyvaluestore.SigningName + "'."}
	}
	if err != nil {
		var ve *sigv4.Error
		if !errors.As(err, &ve) {
			err = awsproto.Errorf(http.StatusBadRequest, "ValidationException", "The request body could not be read.")
		}
		if ve != nil && ve.Detail != "" {
			s.Log.Debug("api: signature mismatch", "request_id", reqID, "detail", ve.Detail)
		}
		s.KeyValueStore.WriteError(w, r, err)
		return
	}
	r = r.WithContext(control.WithPartition(r.Context(), control.ARNPartition(id.Region)))
	s.KeyValueStore.ServeHTTP(w, r)
}

func isConsolePath(p string) bool {
	return p == "/console" || strings.HasPrefix(p, "/console/")
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, lightsail bool, err error) {
	if lightsail && s.Lightsail != nil {
		s.Lightsail.WriteError(w, r, err)
		return
	}
	if lightsail {
		writeJSONError(w, err)
		return
	}
	cloudfront.WriteError(w, r, err, s.Log)
}

// writeJSONError is the AWS JSON 1.1 error form, used for Lightsail
// requests until that front-end exists.
func writeJSONError(w http.ResponseWriter, err error) {
	status, code, msg := http.StatusBadRequest, "InvalidInputException", err.Error()
	var ae *awsproto.Error
	var ve *sigv4.Error
	switch {
	case errors.As(err, &ve):
		status, code, msg = ve.Status, ve.Code, ve.Message
	case errors.As(err, &ae):
		status, code, msg = ae.Status, ae.Code, ae.Message
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	b := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(msg)
	w.Write([]byte(`{"__type":"` + code + `","message":"` + b + `"}`))
}

// statusRecorder remembers the status for the request counter.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) code() string {
	if s.status == 0 {
		return "200"
	}
	return strconv.Itoa(s.status)
}
