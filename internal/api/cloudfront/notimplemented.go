package cloudfront

import (
	"net/http"
	"strings"

	"openfront/internal/api/awsproto"
	"openfront/internal/shape"
)

// Operations of the model that OpenFront does not serve yet answer 501
// NotImplemented naming the operation, on the operation's own method and
// path (from the botocore model), so a client learns what is missing
// instead of a puzzling InvalidURI. Adding a route for the operation
// replaces its NotImplemented answer: nothing to update here.

// servedByQuery are model operations that share a served operation's
// method and path and are told apart by the query string in its handler
// (POST /distribution?WithTags, POST /tagging?Operation=Untag).
var servedByQuery = map[string]string{
	"CreateDistributionWithTags":          "CreateDistribution",
	"CreateStreamingDistributionWithTags": "CreateStreamingDistribution",
	"UntagResource":                       "TagResource",
}

// codeNotImplemented is the error code of an operation not served yet;
// 501 is the status HTTP gives a method the server does not support
// (RFC 9110 §15.6.2), and no AWS SDK retries it.
const codeNotImplemented = "NotImplemented"

// notImplementedError is the error an unserved operation answers.
func notImplementedError(op string) error {
	return &awsproto.Error{Code: codeNotImplemented, Status: http.StatusNotImplemented, Receiver: true,
		Message: op + " is not supported by OpenFront yet."}
}

// servedOperations is the set of model operation names some route serves.
func servedOperations() map[string]bool {
	served := make(map[string]bool, len(routes)+len(servedByQuery))
	for _, rt := range routes {
		served[rt.op] = true
	}
	for op, by := range servedByQuery {
		if served[by] {
			served[op] = true
		}
	}
	return served
}

// unservedOperations are the operations of m that no route serves, sorted
// by name.
func unservedOperations(m *shape.Model) []shape.Operation {
	served := servedOperations()
	var out []shape.Operation
	for _, op := range m.Operations() {
		if !served[op.Name] {
			out = append(out, op)
		}
	}
	return out
}

// registerNotImplemented routes every unserved operation of each version
// to its NotImplemented answer. A request path with a {label} matches any
// one segment, as the served routes do.
func (h *Handler) registerNotImplemented() {
	for _, v := range versions {
		for _, op := range unservedOperations(h.models[v]) {
			path, _, _ := strings.Cut(op.RequestURI, "?")
			err := notImplementedError(op.Name)
			h.mux.HandleFunc(op.Method+" "+path, func(w http.ResponseWriter, r *http.Request) {
				WriteError(w, r, err, h.log)
			})
		}
	}
}
