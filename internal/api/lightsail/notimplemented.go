package lightsail

import (
	_ "embed"
	"net/http"
	"strings"

	"openfront/internal/api/awsproto"
)

// modelOperationList is every operation of botocore's Lightsail 2016-11-28
// model, one per line (TestModelOperations_matchBotocore keeps it current).
//
//go:embed model_operations.txt
var modelOperationList string

// modelOperations is modelOperationList as a set.
var modelOperations = func() map[string]bool {
	ops := map[string]bool{}
	for _, name := range strings.Fields(modelOperationList) {
		ops[name] = true
	}
	return ops
}()

// codeNotImplemented answers a real Lightsail operation OpenFront does not
// serve yet (501, the same code the CloudFront API uses), so that a client
// can tell it from UnknownOperationException, which AWS's JSON services
// answer for a target that is no operation at all.
const codeNotImplemented = "NotImplemented"

// unknownOperation is the error for an X-Amz-Target with no handler: 501
// NotImplemented naming a Lightsail operation OpenFront does not serve yet,
// else UnknownOperationException.
func unknownOperation(target string) error {
	name, ok := strings.CutPrefix(target, targetPrefix)
	if ok && modelOperations[name] {
		return &awsproto.Error{Code: codeNotImplemented, Status: http.StatusNotImplemented, Receiver: true,
			Message: name + " is not supported by OpenFront yet."}
	}
	return awsproto.Errorf(http.StatusBadRequest, "UnknownOperationException", "The operation %q is not supported.", target)
}
