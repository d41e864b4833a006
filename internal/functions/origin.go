package functions

import (
	"errors"
	"fmt"

	"github.com/dop251/goja"
)

// Origin modification ("Helper methods for origin modification", AWS
// CloudFront Developer Guide): the cloudfront module's
// updateRequestOrigin, selectRequestOriginById and
// createRequestOriginGroup, in viewer-request functions only. The engine
// checks the JavaScript types of the arguments (a call with no properties
// object, or an origin id that is not a string, throws a TypeError: the
// function fails with FunctionExecutionError unless it catches it) and
// records each call, in order, in Result.OriginChanges. What the
// properties say (known origin ids, ranges, allowed headers) is checked
// by the edge, which knows the distribution, and fails the request with
// FunctionValidationError ("Testing functions": TestFunction does not
// test whether an origin modification has occurred).

// Method names of the origin modification helpers.
const (
	UpdateRequestOrigin      = "updateRequestOrigin"
	SelectRequestOriginByID  = "selectRequestOriginById"
	CreateRequestOriginGroup = "createRequestOriginGroup"
)

// maxOriginChanges bounds the calls one run records (memory).
const maxOriginChanges = 64

// originChange checks and records one origin modification call.
func originChange(v *vm, method string, arg, overrides goja.Value) (OriginChange, error) {
	if v.kind != ViewerRequest {
		return OriginChange{}, fmt.Errorf("%s is only available in viewer-request functions", method)
	}
	if len(v.origin) >= maxOriginChanges {
		return OriginChange{}, fmt.Errorf("%s: more than %d origin modification calls in one run", method, maxOriginChanges)
	}
	change := OriginChange{Method: method}
	switch method {
	case SelectRequestOriginByID:
		if !isString(arg) {
			return OriginChange{}, errors.New("selectRequestOriginById: the origin id must be a string")
		}
		change.Arg = arg.String()
		if !isAbsent(overrides) {
			m, ok := exportObject(overrides)
			if !ok {
				return OriginChange{}, errors.New("selectRequestOriginById: origin_overrides must be an object")
			}
			change.Overrides = m
		}
	default:
		m, ok := exportObject(arg)
		if !ok {
			return OriginChange{}, fmt.Errorf("%s: the argument must be an object of origin properties", method)
		}
		change.Arg = m
	}
	return change, nil
}

// exportObject exports a plain object to Go; false for anything that
// does not export as one (arrays, functions, dates, maps, proxies...).
func exportObject(v goja.Value) (map[string]any, bool) {
	if !isPlainObject(v) {
		return nil, false
	}
	m, ok := v.Export().(map[string]any)
	return m, ok
}

func isAbsent(v goja.Value) bool { return v == nil || goja.IsUndefined(v) || goja.IsNull(v) }

func isString(v goja.Value) bool {
	if isAbsent(v) {
		return false
	}
	_, ok := v.Export().(string)
	return ok
}

// isPlainObject: an object that is not an array or a function.
func isPlainObject(v goja.Value) bool {
	o, ok := v.(*goja.Object)
	if !ok {
		return false
	}
	switch o.ClassName() {
	case "Array", "Function":
		return false
	}
	return true
}
