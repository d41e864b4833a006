package lightsail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"openfront/internal/api/awsproto"
	"openfront/internal/control"
	"openfront/internal/model"
	"openfront/internal/stats"
)

const (
	contentType  = "application/x-amz-json-1.1"
	targetPrefix = "Lightsail_20161128."
	maxBody      = 1 << 20
)

// Metrics is what GetDistributionMetricData reads: the edge's per-minute
// counters of a distribution (per node; see internal/stats).
type Metrics interface {
	Minutes(distID string, start, end time.Time) []stats.Minute
}

// Handler serves the Lightsail distribution operations. Authentication
// happens before it.
type Handler struct {
	control *control.Control
	metrics Metrics
	log     *slog.Logger
	now     func() time.Time
}

// New returns the Lightsail handler; metrics may be nil (no edge in this
// process: metric data is empty).
func New(c *control.Control, metrics Metrics, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{control: c, metrics: metrics, log: log, now: time.Now}
}

// operation runs one decoded request body and returns the output shape.
type operation func(h *Handler, ctx context.Context, body []byte) (any, error)

// operations is the route table: X-Amz-Target operation name -> handler.
var operations = map[string]operation{
	"CreateDistribution":              (*Handler).CreateDistribution,
	"GetDistributions":                (*Handler).GetDistributions,
	"UpdateDistribution":              (*Handler).UpdateDistribution,
	"DeleteDistribution":              (*Handler).DeleteDistribution,
	"GetDistributionBundles":          (*Handler).GetDistributionBundles,
	"UpdateDistributionBundle":        (*Handler).UpdateDistributionBundle,
	"ResetDistributionCache":          (*Handler).ResetDistributionCache,
	"GetDistributionLatestCacheReset": (*Handler).GetDistributionLatestCacheReset,
	"GetDistributionMetricData":       (*Handler).GetDistributionMetricData,
	"GetOperation":                    (*Handler).GetOperation,
	"GetOperations":                   (*Handler).GetOperations,
	"GetOperationsForResource":        (*Handler).GetOperationsForResource,
	"SetIpAddressType":                (*Handler).SetIPAddressType,
	"TagResource":                     (*Handler).TagResource,
	"UntagResource":                   (*Handler).UntagResource,

	"AttachCertificateToDistribution":   (*Handler).AttachCertificateToDistribution,
	"DetachCertificateFromDistribution": (*Handler).DetachCertificateFromDistribution,
}

// ServeHTTP dispatches by X-Amz-Target.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.serve(w, r); err != nil {
		h.WriteError(w, r, err)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) error {
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, targetPrefix)
	op := operations[name]
	if !ok || op == nil {
		return unknownOperation(target)
	}
	if r.Method != http.MethodPost {
		return awsproto.Errorf(http.StatusBadRequest, "UnknownOperationException", "Lightsail operations are called with POST /, not %s.", r.Method)
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return awsproto.Errorf(http.StatusBadRequest, "SerializationException", "The request body could not be read: %v.", err)
	}
	out, err := op(h, r.Context(), body)
	if err != nil {
		return err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encode %s result: %w", name, err)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}

// WriteError renders err as a Lightsail JSON error (api.Server calls it
// for signature failures as well).
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	WriteError(w, r, err, h.log)
}

// decode reads a JSON request body into v; an empty body is {}. Malformed
// JSON is SerializationException; a member of the wrong type is
// InvalidInputException naming it.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	err := json.Unmarshal(body, v)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return invalid("The request body must be a JSON object.")
		}
		return invalid("%s: expected a %s value, got %s.", field, jsonType(te.Type.Kind().String()), te.Value)
	}
	var me *model.Error
	if errors.As(err, &me) {
		return err // from a member's own decoder (timestamps)
	}
	return awsproto.Errorf(http.StatusBadRequest, "SerializationException", "The request body is not valid JSON: %v.", err)
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice":
		return "list"
	case "struct", "ptr", "map":
		return "structure"
	}
	return "number"
}
