// Package functions compiles and runs CloudFront Functions: JavaScript
// handlers that see a viewer request or viewer response as CloudFront's
// event object and return a request (continue) or a response (answer at
// once). The engine is goja, a JavaScript interpreter written in Go.
//
// Behaviour follows the CloudFront Developer Guide pages "CloudFront
// Functions event structure" (functions-event-structure), "JavaScript
// runtime features for CloudFront Functions" (functions-javascript-runtime-10
// and functions-javascript-runtime-20) and "Testing functions"
// (test-function).
//
// # Life cycle
//
// Compile parses and compiles the code once. A Program keeps a pool of
// ready runtimes (each has run the top-level code once and holds the
// handler); Run takes one, converts the event to JavaScript, calls
// handler(event), converts and validates what it returns, and gives the
// runtime back. A runtime whose run failed in any way is dropped, never
// reused. Serve is Run for the edge, which does not read the report.
//
// The hit path's cost of a function is mostly goja's: the event and
// request objects with their properties (a run makes them anew, so that a
// handler that keeps an event never sees a later one). What the engine
// adds is kept small: a runtime's time limit is one timer re-armed for each
// run (watchdog), strings every run converts alike are cached per runtime
// (values.go), a run's result, request and report are one allocation, and
// the edge builds an event's fields in storage allocated with the event
// (EventStorage).
//
// http.go converts between net/http headers and query strings and the
// event's fields (ParseQuery, RequestHeaders, ResponseHeaders) and back
// (QueryString, CookieHeader, SetCookieHeaders, Header), for the edge.
//
// # Outcomes
//
// Run returns a *Result, or an *Error whose Type is the result type
// CloudFront names for the failure:
//   - FunctionExecutionError: the code threw, or used something the
//     sandbox refuses (eval, the Function constructor, a memory cap), or
//     overflowed the call stack;
//   - FunctionThrottledError: the run exceeded its time limit and was
//     interrupted;
//   - FunctionValidationError: the handler returned something that is not
//     a valid request or response object, or one that breaks "Restrictions
//     on all edge functions" (restrict.go): it adds a disallowed header,
//     adds or edits a read-only one, puts a space, a control character
//     or '#' in the query string, or makes the URI with its query string
//     8,192 characters or longer.
//
// Disallowed headers (X-Cache, X-Amz-Cf-*, Connection...) are never in
// an event: RequestHeaders and ResponseHeaders leave them out.
//
// # Sandbox and limits
//
// goja gives a script no file system, network, timers or process access;
// the sandbox adds console.log (captured), require for the built-in
// modules only, a Date frozen at the run's start, and makes eval and every
// Function constructor (also reached through (function(){}).constructor,
// async and generator functions) throw EvalError.
//
// Time: a run is interrupted when it exceeds its limit: the CPU time of the
// OS thread running it (Linux's per-thread CPU clock; the goroutine is
// locked to its thread for the run), so a busy machine descheduling the
// run does not throttle it, with the wall-clock time capped at 20 times
// the limit; goja checks the interrupt flag between instructions. Run
// reports both times. The top-level code gets 100 ms
// once per runtime. A regular expression goja hands to regexp2
// (backtracking) gives up after 10 ms, so catastrophic backtracking cannot
// hold a run past its limit for long.
//
// Memory: goja has no heap limit, and its built-ins (Array.prototype.fill,
// join, String.prototype.repeat, ...) run to completion in Go without
// checking the interrupt flag, so a single call such as
// new Array(1e8).fill(0) could allocate gigabytes. The sandbox therefore
// caps sizes where they are created or consumed: the built-ins that loop
// over an array-like's length or build a string or buffer from a length
// argument check it first against MaxArrayLength, MaxStringLength or
// MaxBufferBytes and throw MemoryError (the error type CloudFront's runtime
// lists) instead. Growth one instruction at a time (s += s, push in a loop)
// is bounded by the time limit; so is iteration, since spread, for-of, Set
// and the like walk an array through its (guarded) iterator. CloudFront's
// own memory quota is 2 MB: strings built in one step are capped at 1 Mi
// characters, buffers at 2 MiB, arrays at 256 Ki elements. What remains: a
// single built-in call on a string grown by concatenation (replace, split)
// runs to completion and can overshoot the time limit by a fraction of a
// second.
//
// # Departures from CloudFront (documented, not hidden)
//
//   - cloudfront-js-1.0 refuses const, let, async and await (a SyntaxError
//     naming the line, language.go) but otherwise accepts what goja parses
//     (ES5.1 and most of ES2015+, classes and generators included), which
//     is more than CloudFront's 1.0 list. The runtimes' modules differ as
//     the guide says: 2.0 has buffer (with the prototype methods the 2.0
//     page lists: search, copy, integer and float reads and writes,
//     swaps), TextEncoder and TextDecoder (UTF-8), atob and btoa, and
//     cloudfront (import cf from 'cloudfront'); its crypto digests without
//     an encoding return a Buffer; 1.0 has the byte-string String methods
//     (toUTF8, fromUTF8, toBytes, fromBytes, bytesFrom).
//   - The event's context and viewer, and the querystring, headers and
//     cookies, are built when the handler first reads them (lazy.go):
//     they are enumerable accessor
//     properties, not configurable data properties, so delete
//     request.headers fails; an untouched field is returned as received.
//   - A pooled runtime keeps the globals the top-level code created; a
//     handler that mutates global variables sees its own earlier changes.
//   - cf.kvs() (kvs.go) reads the run's Event.KeyValueStore, the store
//     associated with the function as the edge's snapshot holds it: get,
//     exists and meta return promises settled at once, from memory. A
//     handle can be taken in the top-level code, so a missing association
//     or a cf.kvs(id) naming another store shows when a method is called
//     (its promise rejects), not when cf.kvs() is. A missing key rejects
//     with "Key not found: <key>" (the guide documents the rejection, not
//     its message).
//   - WebCrypto (crypto.subtle) is not provided: the runtime 2.0 page
//     documents only the crypto module's hashes and HMACs. The cloudfront
//     module's origin modification calls are checked for their JavaScript
//     types and recorded (Result.OriginChanges, origin.go); the edge
//     applies them.
//   - Bytes of a request that are not valid UTF-8 reach the handler as
//     lone surrogates U+DC80-U+DCFF (strings.go) and return unchanged.
//   - Query string values are passed as they appear in the request
//     (percent-encoding kept), so a request round-trips unchanged.
package functions
