// Package keyvaluestore is the data plane of CloudFront KeyValueStore: the
// cloudfront-keyvaluestore REST-JSON API (2022-07-26; "Amazon CloudFront
// KeyValueStore" in the CloudFront API Reference): DescribeKeyValueStore,
// GetKey, ListKeys, PutKey, DeleteKey and UpdateKeys, under
// /key-value-stores/{KvsARN}. Authentication happens before it (api.Server);
// the work is control's (internal/control/kvs_data.go).
//
// The SDKs send these requests to <account-id>.<endpoint host> (the
// service's endpoint rules): the handler looks at the path only, never at
// Host.
package keyvaluestore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"openfront/internal/api/awsproto"
	"openfront/internal/control"
	"openfront/internal/model"
	"openfront/internal/sigv4"
)

// PathPrefix starts every path of the API.
const PathPrefix = "/key-value-stores/"

// SigningName is the service name of the requests' credential scope.
const SigningName = "cloudfront-keyvaluestore"

const (
	contentType = "application/json"
	// maxBody bounds a request body: an UpdateKeys batch carries at most
	// 3 MB of keys and values, which JSON escaping may grow.
	maxBody = 8 << 20
)

// IsPath reports whether a request path belongs to this API.
func IsPath(p string) bool { return strings.HasPrefix(p, PathPrefix) }

// Handler serves the data plane.
type Handler struct {
	control *control.Control
	log     *slog.Logger
}

// New returns the handler.
func New(c *control.Control, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{control: c, log: log}
}

// route is a parsed request path: the store's ARN, whether /keys follows,
// and the key (hasKey).
type route struct {
	arn          string
	keys, hasKey bool
	key          string
}

// parsePath splits /key-value-stores/{KvsARN}[/keys[/{Key}]] of the
// escaped path: the ARN and the key are single path segments whose "/" and
// ":" the SDKs percent-encode. Dot segments are not resolved: "." and ".."
// are keys like any other.
func parsePath(escaped string) (route, error) {
	rest, ok := strings.CutPrefix(escaped, PathPrefix)
	if !ok {
		return route{}, errUnknown()
	}
	segs := strings.Split(rest, "/")
	var rt route
	var err error
	if rt.arn, err = url.PathUnescape(segs[0]); err != nil || rt.arn == "" {
		return route{}, validation("The KvsARN in the path is empty or not percent-encoded correctly.")
	}
	switch {
	case len(segs) == 1:
	case len(segs) == 2 && segs[1] == "keys":
		rt.keys = true
	case len(segs) == 3 && segs[1] == "keys":
		rt.keys, rt.hasKey = true, true
		if rt.key, err = url.PathUnescape(segs[2]); err != nil {
			return route{}, validation("The Key in the path is not percent-encoded correctly.")
		}
	default:
		return route{}, errUnknown()
	}
	return rt, nil
}

func errUnknown() error {
	return awsproto.Errorf(http.StatusNotFound, "UnknownOperationException", "The request does not name a cloudfront-keyvaluestore operation.")
}

func validation(format string, args ...any) error {
	return model.Errorf(control.CodeKVSValidation, format, args...)
}

// ServeHTTP dispatches on the path and method.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.serve(w, r); err != nil {
		h.WriteError(w, r, err)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) error {
	rt, err := parsePath(r.URL.EscapedPath())
	if err != nil {
		return err
	}
	ctx := r.Context()
	switch {
	case !rt.keys && r.Method == http.MethodGet:
		d, err := h.control.DescribeKeyValueStoreData(ctx, rt.arn)
		if err != nil {
			return err
		}
		out := describeOutput{ItemCount: d.ItemCount, TotalSizeInBytes: d.TotalSizeInBytes, KvsARN: d.ARN,
			Created: epoch(d.Created), LastModified: epoch(d.LastModified), Status: d.Status, FailureReason: d.FailureReason}
		return h.write(w, d.ETag, out)
	case rt.keys && !rt.hasKey && r.Method == http.MethodGet:
		q := r.URL.Query()
		max := 0
		if s := q.Get("MaxResults"); s != "" {
			if max, err = strconv.Atoi(s); err != nil || max < 1 || max > control.MaxKVSListResults {
				return validation("MaxResults must be an integer between 1 and %d.", control.MaxKVSListResults)
			}
		}
		items, next, err := h.control.ListKeys(ctx, rt.arn, q.Get("NextToken"), max)
		if err != nil {
			return err
		}
		out := listOutput{NextToken: next, Items: make([]item, len(items))}
		for i, it := range items {
			out.Items[i] = item{Key: it.Key, Value: &items[i].Value}
		}
		return h.write(w, "", out)
	case rt.keys && !rt.hasKey && r.Method == http.MethodPost:
		body, err := readBody(r)
		if err != nil {
			return err
		}
		puts, deletes, err := ParseUpdateKeys(body)
		if err != nil {
			return err
		}
		res, err := h.control.UpdateKeys(ctx, rt.arn, r.Header.Get("If-Match"), puts, deletes)
		return h.writeResult(w, res, err)
	case rt.hasKey && r.Method == http.MethodGet:
		value, totals, err := h.control.GetKey(ctx, rt.arn, rt.key)
		if err != nil {
			return err
		}
		return h.write(w, "", getOutput{Key: rt.key, Value: value, ItemCount: totals.ItemCount, TotalSizeInBytes: totals.TotalSizeInBytes})
	case rt.hasKey && r.Method == http.MethodPut:
		body, err := readBody(r)
		if err != nil {
			return err
		}
		value, err := ParsePutKey(body)
		if err != nil {
			return err
		}
		res, err := h.control.PutKey(ctx, rt.arn, r.Header.Get("If-Match"), rt.key, value)
		return h.writeResult(w, res, err)
	case rt.hasKey && r.Method == http.MethodDelete:
		res, err := h.control.DeleteKey(ctx, rt.arn, r.Header.Get("If-Match"), rt.key)
		return h.writeResult(w, res, err)
	}
	return errUnknown()
}

// Output shapes (cloudfront-keyvaluestore 2022-07-26). Timestamps are
// epoch seconds, REST-JSON's default.
type describeOutput struct {
	ItemCount        int
	TotalSizeInBytes int64
	KvsARN           string
	Created          float64
	LastModified     float64 `json:",omitempty"`
	Status           string  `json:",omitempty"`
	FailureReason    string  `json:",omitempty"`
}

type getOutput struct {
	Key              string
	Value            string
	ItemCount        int
	TotalSizeInBytes int64
}

type listOutput struct {
	NextToken string `json:",omitempty"`
	Items     []item
}

type writeOutput struct {
	ItemCount        int
	TotalSizeInBytes int64
}

// item is a list member of ListKeys' Items, UpdateKeys' Puts (Key and
// Value) and Deletes (Key).
type item struct {
	Key   string
	Value *string `json:",omitempty"`
}

func epoch(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return math.Round(float64(t.UnixMilli())) / 1000
}

func (h *Handler) writeResult(w http.ResponseWriter, res *control.KVSWrite, err error) error {
	if err != nil {
		return err
	}
	return h.write(w, res.ETag, writeOutput{ItemCount: res.ItemCount, TotalSizeInBytes: res.TotalSizeInBytes})
}

func (h *Handler) write(w http.ResponseWriter, etag string, out any) error {
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, model.Errorf(control.CodeKVSQuotaExceeded, "The request body is larger than %d bytes.", maxBody)
	case err != nil:
		return nil, validation("The request body could not be read.")
	}
	return b, nil
}

// ParsePutKey reads PutKey's body, {"Value": "..."}; Value is required.
func ParsePutKey(body []byte) (string, error) {
	var in struct{ Value *string }
	if err := decodeJSON(body, &in); err != nil {
		return "", err
	}
	if in.Value == nil {
		return "", validation("Value is required.")
	}
	return *in.Value, nil
}

// ParseUpdateKeys reads UpdateKeys' body, {"Puts": [{"Key", "Value"}],
// "Deletes": [{"Key"}]}; both lists are optional, every member's fields
// required. Sizes and duplicates are control's to check.
func ParseUpdateKeys(body []byte) (puts []control.KVSItem, deletes []string, err error) {
	var in struct {
		Puts    []*struct{ Key, Value *string }
		Deletes []*struct{ Key *string }
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, nil, err
	}
	for i, p := range in.Puts {
		if p == nil || p.Key == nil || p.Value == nil {
			return nil, nil, validation("Puts[%d] needs a Key and a Value.", i)
		}
		puts = append(puts, control.KVSItem{Key: *p.Key, Value: *p.Value})
	}
	for i, d := range in.Deletes {
		if d == nil || d.Key == nil {
			return nil, nil, validation("Deletes[%d] needs a Key.", i)
		}
		deletes = append(deletes, *d.Key)
	}
	return puts, deletes, nil
}

// decodeJSON reads one JSON object (an empty body is {}); anything else is
// a ValidationException naming the problem.
func decodeJSON(body []byte, v any) error {
	if strings.TrimSpace(string(body)) == "" {
		body = []byte("{}")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return validation("%s has the wrong type (%s).", te.Field, te.Value)
		}
		return validation("The request body is not a valid JSON object.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return validation("The request body has data after its JSON object.")
	}
	return nil
}

// Statuses of the model's exceptions.
var statuses = map[string]int{
	control.CodeKVSValidation:    http.StatusBadRequest,
	control.CodeKVSNotFound:      http.StatusNotFound,
	control.CodeKVSConflict:      http.StatusConflict,
	control.CodeKVSQuotaExceeded: http.StatusPaymentRequired,
	"AccessDeniedException":      http.StatusForbidden,
}

// sigv4Codes are the names JSON services give signature failures.
var sigv4Codes = map[string]string{
	sigv4.CodeMissingAuthenticationToken: "MissingAuthenticationTokenException",
	sigv4.CodeIncompleteSignature:        "IncompleteSignatureException",
	sigv4.CodeInvalidClientTokenId:       "UnrecognizedClientException",
	sigv4.CodeSignatureDoesNotMatch:      "InvalidSignatureException",
	sigv4.CodeAccessDenied:               "AccessDeniedException",
}

// WriteError renders err as a REST-JSON error: the X-Amzn-ErrorType header
// and {"Message": ...} (the model's exception member). api.Server calls it
// for signature failures too.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	ae := toAPIError(err)
	if ae.Receiver && h.log != nil {
		h.log.Error("keyvaluestore api: internal error", "request_id", awsproto.RequestID(r.Context()), "path", r.URL.Path, "err", err)
	}
	b, _ := json.Marshal(struct{ Message string }{ae.Message})
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-ErrorType", ae.Code)
	w.WriteHeader(ae.Status)
	w.Write(b)
}

func toAPIError(err error) *awsproto.Error {
	var pe *awsproto.Error
	var me *model.Error
	var ve *sigv4.Error
	switch {
	case errors.As(err, &ve):
		code := ve.Code
		if c, ok := sigv4Codes[code]; ok {
			code = c
		}
		return &awsproto.Error{Code: code, Message: ve.Message, Status: ve.Status}
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &me):
		if status, ok := statuses[me.Code]; ok {
			return &awsproto.Error{Code: me.Code, Message: me.Message, Status: status}
		}
	}
	if se, ok := awsproto.FromStore(err, control.CodeKVSValidation); ok {
		return se
	}
	return &awsproto.Error{Code: "InternalServerException", Status: http.StatusInternalServerError, Receiver: true,
		Message: "CloudFront KeyValueStore encountered an internal error. Please try again."}
}
