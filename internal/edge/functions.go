package edge

import (
	"fmt"
	"maps"
	"net"
	"net/http"
	"strconv"
	"time"

	"openfront/internal/cfheaders"
	"openfront/internal/functions"
	"openfront/internal/snapshot"
)

// CloudFront Functions at the edge ("Customize at the edge with CloudFront
// Functions" and "CloudFront Functions event structure", AWS CloudFront
// Developer Guide). The viewer-request function runs after the plan chose
// the behaviour and before the cache; the viewer-response function runs in
// write, on responses whose status is below 400
// ("Restrictions on edge functions").

// DefaultFunctionTimeLimit is how much CPU time a function may use before
// it is interrupted (FunctionThrottledError): five times the 1 ms that
// CloudFront counts as 100% compute utilization.
const DefaultFunctionTimeLimit = 5 * time.Millisecond

// Result types of a function's outcome: X-Cache word, metrics and the
// access log's detailed result type.
const (
	resultFunctionResponse = "FunctionGeneratedResponse"
)

// Precomputed X-Cache values of function outcomes.
var xCacheFunction = map[string][]string{
	resultFunctionResponse:    {resultFunctionResponse + " from cloudfront"},
	functions.ExecutionError:  {functions.ExecutionError + " from cloudfront"},
	functions.ThrottledError:  {functions.ThrottledError + " from cloudfront"},
	functions.ValidationError: {functions.ValidationError + " from cloudfront"},
}

// functionFailures are the status and page text of each failure type: an
// exception or a throttled run is a 503, an invalid return value a 502
// ("HTTP 502 status code (Bad Gateway)" and "HTTP 503 status code
// (Service Unavailable)", troubleshooting pages of the Developer Guide).
var functionFailures = map[string]struct {
	status int
	reason string
}{
	functions.ExecutionError:  {http.StatusServiceUnavailable, "The CloudFront function associated with the CloudFront distribution failed to complete because of an error."},
	functions.ThrottledError:  {http.StatusServiceUnavailable, "The CloudFront function associated with the CloudFront distribution was throttled."},
	functions.ValidationError: {http.StatusBadGateway, "The CloudFront function associated with the CloudFront distribution returned an invalid value."},
}

// runFunction runs fn on the event; a failure is a *functions.Error.
// A function whose code is missing from the snapshot fails as an
// execution error.
func (x *exchange) runFunction(fn *snapshot.Function, ev *functions.Event) (res *functions.Result, err error) {
	if fn.Program == nil {
		return nil, &functions.Error{Type: functions.ExecutionError, Message: "the function " + fn.ARN + " has no LIVE code"}
	}
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, &functions.Error{Type: functions.ExecutionError, Message: fmt.Sprint(p)}
		}
	}()
	limit := x.s.opts.FunctionTimeLimit
	if limit <= 0 {
		limit = DefaultFunctionTimeLimit
	}
	ev.KeyValueStore = fn.KeyValueStore // cf.kvs() reads this snapshot's copy
	var took time.Duration
	res, took, err = fn.Program.Serve(ev, limit)
	if st := x.s.opts.Stats; st != nil {
		st.RecordFunctionRun(x.dist.ID, fn.Name, computeUtilization(took))
	}
	if err != nil {
		if _, ok := err.(*functions.Error); !ok {
			err = &functions.Error{Type: functions.ExecutionError, Message: err.Error()}
		}
	}
	return res, err
}

// computeUtilization is a run's time as a percentage of the 1 ms
// CloudFront counts as 100% (FunctionComputeUtilization), at most 100.
// The edge measures wall-clock time (Program.Serve), which a busy machine
// inflates; TestFunction reports CPU time.
func computeUtilization(took time.Duration) float64 {
	return min(float64(took)*100/float64(time.Millisecond), 100)
}

// functionFailed is the edge's answer to a failed function: CloudFront's
// error page with the failure's status, named by its result type.
func (x *exchange) functionFailed(fn *snapshot.Function, err error) response {
	fe := err.(*functions.Error)
	f := functionFailures[fe.Type]
	x.s.opts.Log.Warn("edge: function failed", "dist_id", x.dist.ID, "function", fn.Name, "type", fe.Type, "err", fe.Message, "request_id", x.reqID)
	if st := x.s.opts.Stats; st != nil {
		st.RecordFunctionError(x.dist.ID, fn.Name, fe.Type)
	}
	resp := x.edgePage(f.status, f.reason)
	resp.result, resp.final = fe.Type, true
	x.detail = fe.Type
	return resp
}

// requestEvent is the event of the viewer request as the plan sees it:
// the normalised URI, the query string as received, headers (with Host)
// and cookies.
func (x *exchange) requestEvent(eventType string) *functions.Event {
	fe := &eventWithStorage{}
	ev := &fe.ev
	*ev = functions.Event{Version: "1.0", Context: functions.Context{
		DistributionDomainName: x.dist.DomainName, DistributionID: x.dist.ID, EventType: eventType, RequestID: x.reqID}}
	ev.Viewer.IP = x.r.RemoteAddr
	if host, _, err := net.SplitHostPort(x.r.RemoteAddr); err == nil {
		ev.Viewer.IP = host
	}
	if x.fnRequest != nil {
		ev.Request = *x.fnRequest
		return ev
	}
	ev.Request.Method = x.r.Method
	ev.Request.URI = x.path
	ev.Request.QueryString = fe.storage.ParseQuery(x.rawQuery)
	// The viewer's own CloudFront-* headers never reach a function; the
	// edge's values of those the behaviour's policies name do ("Add
	// CloudFront request headers": CloudFront adds them for the origin or
	// edge function), the same values the origin gets (originRequest).
	var gen http.Header
	if x.beh != nil {
		if names := x.beh.Policy.GeneratedHeaders(); len(names) > 0 {
			head := headOf(x.r)
			gen = x.s.planner().generated(&head, names)
		}
	}
	ev.Request.Headers, ev.Request.Cookies = fe.storage.RequestHeaders(x.r.Header, x.r.Host, cfheaders.IsGenerated, gen)
	return ev
}

// eventWithStorage is an event and the backing storage of its fields, in
// one allocation.
type eventWithStorage struct {
	ev      functions.Event
	storage functions.EventStorage
}

// viewerRequest runs the behaviour's viewer-request function. A returned
// request continues: its URI and query string become the origin path and
// query, and with its headers and cookies the cache key and the origin
// request (the behaviour is not chosen again); its origin modification
// calls choose the origins of the request (replanOrigin). A returned
// response is the answer (done), as is a failure.
func (x *exchange) viewerRequest(fn *snapshot.Function) (resp response, done bool) {
	ev := x.requestEvent(functions.ViewerRequest)
	res, err := x.runFunction(fn, ev)
	if err != nil {
		return x.functionFailed(fn, err), true
	}
	if res.Response != nil {
		return x.generatedByFunction(res.Response), true
	}
	req := res.Request
	h := x.r.Header // headers and cookies the function left alone: the viewer's
	if !functions.Untouched(req.Headers, ev.Request.Headers) || !functions.Untouched(req.Cookies, ev.Request.Cookies) {
		h = make(http.Header, len(req.Headers)+1)
		req.Headers.Header(h)
		delete(h, "Host") // the distribution was chosen by the viewer's Host
		delete(h, "Cookie")
		if c := req.Cookies.CookieHeader(); c != "" {
			h["Cookie"] = []string{c}
		}
		keepOutOfReach(h, x.r.Header, functions.ViewerRequest)
	}
	head := headOf(x.r)
	// The viewer's query string as received, unless the function changed
	// it: then UTF-8, percent-encoded where the request line needs it
	// ("Restrictions on all edge functions", "URI, query string, and
	// headers encoding").
	rawQuery := x.rawQuery
	if !req.QueryString.IsQueryString(rawQuery) {
		rawQuery = req.QueryString.EscapedQueryString()
	}
	head.path, head.rawQuery, head.full, head.header = req.URI, rawQuery, h, httpHeader(h)
	bp := keyBufs.Get().(*[]byte)
	kb, ok := x.s.planner().replan(&x.plan, &head, (*bp)[:0])
	if x.cached {
		x.key = string(kb)
	}
	*bp = kb
	keyBufs.Put(bp)
	if !ok {
		return x.functionFailed(fn, &functions.Error{Type: functions.ValidationError, Message: "invalid uri " + strconv.Quote(req.URI)}), true
	}
	if err := x.s.planner().replanOrigin(&x.plan, res.OriginChanges, req.Headers); err != nil {
		return x.functionFailed(fn, &functions.Error{Type: functions.ValidationError, Message: err.Error()}), true
	}
	x.fnRequest, x.fnHeader = req, h
	return response{}, false
}

// keepOutOfReach copies into h, the header a function returned, the
// fields of from that the function could not change: the disallowed ones
// it never saw, which go on as they would without a function, and the
// read-only ones of the event type, which a function can read but not
// remove ("Restrictions on all edge functions"; package functions
// refused any it added or edited).
func keepOutOfReach(h, from http.Header, eventType string) {
	for name, vs := range from {
		if functions.IsDisallowedHeader(name) || functions.IsReadOnlyHeader(eventType, name) {
			h[name] = vs
		}
	}
}

// generatedByFunction is a response a viewer-request function returned:
// sent at once, without going to the origin or the cache.
func (x *exchange) generatedByFunction(fr *functions.Response) response {
	var body []byte
	if fr.Body != nil {
		body = fr.Body.Data
	}
	resp := generated(resultFunctionResponse, fr.StatusCode, "", body)
	resp.made.header = http.Header{}
	fr.Headers.Header(resp.made.header)
	if sc := fr.Cookies.SetCookieHeaders(); len(sc) > 0 {
		resp.made.header["Set-Cookie"] = sc
	}
	resp.final = true
	return resp
}

// runViewerResponseFunction is the viewer-response phase of write: the
// behaviour's viewer-response function edits the status and headers of
// a response whose status is below 400 (it does not run for errors, for
// custom error pages, or for responses a function generated). On failure
// the response is replaced by the failure's error page, and a body the
// function set replaces the object's; both are written here (replaced:
// the caller writes nothing more).
func (x *exchange) runViewerResponseFunction(resp *response, status int) (replaced bool) {
	fn := (*snapshot.Function)(nil)
	if x.beh != nil {
		fn = x.beh.ViewerResponse
	}
	if fn == nil || status >= 400 || resp.page != 0 || x.fnFailed(resp.result) || resp.result == resultFunctionResponse {
		return false
	}
	h := x.w.Header()
	ev := x.requestEvent(functions.ViewerResponse)
	headers, cookies := functions.ResponseHeaders(h)
	ev.Response = &functions.Response{StatusCode: x.status, StatusDescription: http.StatusText(x.status), Headers: headers, Cookies: cookies}
	res, err := x.runFunction(fn, ev)
	if err == nil && res.Response == nil {
		err = &functions.Error{Type: functions.ValidationError, Message: "a viewer-response function must return a response"}
	}
	if err != nil {
		clear(h)
		failed := x.functionFailed(fn, err)
		x.write(&failed)
		return true
	}
	out := res.Response
	length := h["Content-Length"]
	// What the function could not see or change (X-Cache, X-Amz-Cf-*,
	// Via, Warning...) stays as the edge set it.
	kept := make(http.Header, 4)
	keepOutOfReach(kept, h, functions.ViewerResponse)
	clear(h)
	out.Headers.Header(h)
	maps.Copy(h, kept)
	if sc := out.Cookies.SetCookieHeaders(); len(sc) > 0 {
		h["Set-Cookie"] = sc
	}
	if length != nil { // the body is the one being sent
		h["Content-Length"] = length
	} else {
		delete(h, "Content-Length")
	}
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = nil // removed by the function: net/http must not sniff one
	}
	if out.StatusCode != 0 && out.StatusCode != ev.Response.StatusCode {
		x.status = out.StatusCode
	}
	if out.Body != nil {
		// A body the function set replaces the object's ("Determine
		// function purpose": a viewer-response function may modify the
		// headers, the status code and the body).
		x.contentLength[0] = strconv.Itoa(len(out.Body.Data))
		h["Content-Length"] = x.contentLength[:]
		delete(h, "Content-Range")
		x.w.WriteHeader(x.status)
		if x.r.Method != http.MethodHead {
			x.w.Write(out.Body.Data)
		}
		return true
	}
	return false
}

// fnFailed reports whether a result type is a function's failure.
func (x *exchange) fnFailed(result string) bool {
	_, ok := functionFailures[result]
	return ok
}
