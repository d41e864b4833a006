// Package lightsail is the Amazon Lightsail distribution front-end: AWS
// JSON 1.1 (POST /, Content-Type application/x-amz-json-1.1), dispatched by
// the X-Amz-Target header (Lightsail_20161128.<Operation>), camelCase
// members, timestamps as epoch seconds.
//
// Handlers follow one skeleton: decode and validate the request (every
// field check happens here, before any state is read), call control, and
// shape the result. Each change returns an Operation, which this package
// builds and control stores (lsop/<id>) so that GetOperation, the call
// clients poll after every change, finds it on any node. Errors are rendered in one place (WriteError)
// as Lightsail's JSON errors: {"__type", "message", "code", "docs", "tip"},
// with the X-Amzn-ErrorType header; the model gives the exceptions no HTTP
// status, so client faults are 400 and ServiceException is 500.
//
// GetDistributionMetricData reads the in-process edge's counters
// (internal/stats): metrics are per node.
package lightsail
