package functions

import (
	"encoding/base64"
	"fmt"
	"math"
	"strings"

	"github.com/dop251/goja"

	"openfront/internal/urlpath"
)

// validationError is a returned value that is not a valid request or
// response; Run reports it as FunctionValidationError.
type validationError struct{ msg string }

func (e *validationError) Error() string { return e.msg }

func invalid(format string, args ...any) error {
	return &validationError{fmt.Sprintf(format, args...)}
}

// eventToJS builds the event object.
func eventToJS(j *vm, ev *Event) *goja.Object {
	o := j.rt.NewObject()
	_ = o.Set("version", j.cachedString(ev.Version))
	j.defineLazyObject(o, "context", slotContext, &ev.Context, nil)
	j.defineLazyObject(o, "viewer", slotViewer, nil, &ev.Viewer)
	_ = o.Set("request", requestToJS(j, &ev.Request))
	if ev.Response != nil {
		_ = o.Set("response", responseToJS(j, ev.Response))
	}
	return o
}

func contextToJS(j *vm, ctx *Context) *goja.Object {
	c := j.rt.NewObject()
	if ctx.DistributionDomainName != "" {
		_ = c.Set("distributionDomainName", ctx.DistributionDomainName)
	}
	if ctx.DistributionID != "" {
		_ = c.Set("distributionId", ctx.DistributionID)
	}
	_ = c.Set("eventType", ctx.EventType)
	if ctx.RequestID != "" {
		_ = c.Set("requestId", ctx.RequestID)
	}
	return c
}

func viewerToJS(j *vm, vw *Viewer) *goja.Object {
	v := j.rt.NewObject()
	_ = v.Set("ip", vw.IP)
	return v
}

func requestToJS(j *vm, q *Request) *goja.Object {
	o := j.rt.NewObject()
	// method is the request object's only read-only field
	// (functions-event-structure): assigning it throws in strict mode.
	_ = o.DefineDataProperty("method", j.cachedString(q.Method), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE)
	_ = o.Set("uri", j.jsString(q.URI))
	j.defineLazy(o, "querystring", slotQuery, q.QueryString, false)
	j.defineLazy(o, "headers", slotReqHeaders, q.Headers, false)
	j.defineLazy(o, "cookies", slotReqCookies, q.Cookies, false)
	return o
}

func responseToJS(j *vm, r *Response) *goja.Object {
	o := j.rt.NewObject()
	_ = o.Set("statusCode", r.StatusCode)
	if r.StatusDescription != "" {
		_ = o.Set("statusDescription", r.StatusDescription)
	}
	j.defineLazy(o, "headers", slotRespHeaders, r.Headers, false)
	j.defineLazy(o, "cookies", slotRespCookies, r.Cookies, true)
	return o
}

func fieldsToJS(j *vm, fs Fields, attrs bool) *goja.Object {
	o := j.rt.NewObject()
	for _, f := range fs {
		if len(f.Values) == 0 {
			continue
		}
		fo := valueToJS(j, f.Values[0], attrs)
		if len(f.Values) > 1 {
			items := make([]any, len(f.Values))
			for i, v := range f.Values {
				items[i] = valueToJS(j, v, attrs)
			}
			_ = fo.Set("multiValue", j.rt.NewArray(items...))
		}
		// Define, not Set: a field named __proto__ is data, not the
		// object's prototype.
		j.defineField(o, f.Name, fo)
	}
	return o
}

func valueToJS(j *vm, v Value, attrs bool) *goja.Object {
	o := j.rt.NewObject()
	_ = o.Set("value", j.jsString(v.Value))
	if attrs {
		_ = o.Set("attributes", j.jsString(v.Attributes))
	}
	return o
}

// isResponse tells a returned response from a returned request: a response
// has a statusCode.
func isResponse(o *goja.Object) bool {
	return o.Get("statusCode") != nil
}

func asObject(v goja.Value, what string) (*goja.Object, error) {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil, invalid("The function returned no %s object.", what)
	}
	o, ok := v.(*goja.Object)
	if !ok {
		return nil, invalid("The function returned a %s, not a %s object.", v.ExportType(), what)
	}
	return o, nil
}

// requestFromJS reads and validates a returned request against the one
// the handler received, into q.
func requestFromJS(j *vm, o *goja.Object, orig *Request, q *Request) error {
	*q = Request{Method: orig.Method}
	if m := o.Get("method"); m != nil && !goja.IsUndefined(m) {
		if s, ok := exportString(m); !ok || s != orig.Method {
			return invalid("The request method cannot be changed (it is %q).", orig.Method)
		}
	}
	uri, err := j.stringProp(o, "uri", "request.uri")
	if err != nil {
		return err
	}
	if !strings.HasPrefix(uri, "/") {
		return invalid("The request uri %q must begin with a slash.", uri)
	}
	if bad := strings.IndexFunc(uri, badURIChar); bad >= 0 {
		return invalid("The request uri contains a character that is not allowed in a URI (%q).", uri[bad])
	}
	q.URI = uri
	if q.QueryString, err = j.lazyFieldsFromJS(o, slotQuery, "querystring", orig.QueryString, "request.querystring", checkQueryName, false); err != nil {
		return err
	}
	if q.Headers, err = j.lazyFieldsFromJS(o, slotReqHeaders, "headers", orig.Headers, "request.headers", checkHeaderName, false); err != nil {
		return err
	}
	if _, ok := q.Headers.Get("cookie"); ok {
		return invalid("The request headers cannot contain cookie: cookies belong in request.cookies.")
	}
	if q.Cookies, err = j.lazyFieldsFromJS(o, slotReqCookies, "cookies", orig.Cookies, "request.cookies", checkCookieName, false); err != nil {
		return err
	}
	// "Restrictions on all edge functions" (restrict.go): headers, query
	// string, URI length.
	if !Untouched(q.Headers, orig.Headers) {
		if err := checkHeaderRules(j.kind, "request headers", q.Headers, orig.Headers); err != nil {
			return err
		}
	}
	queryChanged := !Untouched(q.QueryString, orig.QueryString)
	if queryChanged {
		if err := checkQueryRules(q.QueryString, orig.QueryString); err != nil {
			return err
		}
	}
	if queryChanged || q.URI != orig.URI {
		n := urlpath.EscapedLen(q.URI) // as the edge forwards it (urlpath.Normalize)
		if qs := q.QueryString.EscapedQueryString(); qs != "" {
			n += 1 + len(qs)
		}
		if n >= MaxURILength {
			return invalid("The request uri with its query string is %d characters long; it must be less than %d.", n, MaxURILength)
		}
	}
	return nil
}

// Untouched reports whether returned is the very field list the handler
// received: a field the handler did not touch comes back as the event's
// own slice (lazy.go), so callers may use what it was made from as it is.
func Untouched(returned, received Fields) bool {
	return len(returned) == len(received) && (len(returned) == 0 || &returned[0] == &received[0])
}

// responseFromJS reads and validates a returned response; orig is the
// response the handler received (nil in viewer-request).
func responseFromJS(j *vm, o *goja.Object, orig *Response) (*Response, error) {
	if orig == nil {
		orig = &Response{}
	}
	r := &Response{}
	sc := o.Get("statusCode")
	f, ok := sc.Export().(int64)
	if !ok {
		ff, isFloat := sc.Export().(float64)
		if !isFloat || ff != math.Trunc(ff) {
			return nil, invalid("The response statusCode must be an integer, not %s.", sc.String())
		}
		f = int64(ff)
	}
	if f < 100 || f > 599 {
		return nil, invalid("The response statusCode %d is not between 100 and 599.", f)
	}
	r.StatusCode = int(f)
	if d := o.Get("statusDescription"); d != nil && !goja.IsUndefined(d) {
		s, ok := d.Export().(string)
		if !ok || strings.ContainsAny(s, "\r\n\x00") {
			return nil, invalid("The response statusDescription must be a string on one line.")
		}
		r.StatusDescription = s
	}
	var err error
	if r.Headers, err = j.lazyFieldsFromJS(o, slotRespHeaders, "headers", orig.Headers, "response.headers", checkHeaderName, false); err != nil {
		return nil, err
	}
	if !Untouched(r.Headers, orig.Headers) {
		// A viewer-request function's own response has no read-only
		// headers (the lists are of the event's request or response),
		// but may not add disallowed ones either.
		kind := j.kind
		if kind == ViewerRequest {
			kind = ""
		}
		if err := checkHeaderRules(kind, "response headers", r.Headers, orig.Headers); err != nil {
			return nil, err
		}
	}
	if _, ok := r.Headers.Get("set-cookie"); ok {
		return nil, invalid("The response headers cannot contain set-cookie: cookies belong in response.cookies.")
	}
	if r.Cookies, err = j.lazyFieldsFromJS(o, slotRespCookies, "cookies", orig.Cookies, "response.cookies", checkCookieName, true); err != nil {
		return nil, err
	}
	if b := o.Get("body"); b != nil && !goja.IsUndefined(b) && !goja.IsNull(b) {
		if r.Body, err = bodyFromJS(j, b); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func bodyFromJS(j *vm, v goja.Value) (*Body, error) {
	if s, ok := v.Export().(string); ok {
		return &Body{Data: []byte(s), Encoding: "text"}, nil
	}
	o, ok := v.(*goja.Object)
	if !ok {
		return nil, invalid("The response body must be a string or an object with data and encoding.")
	}
	data, err := j.stringProp(o, "data", "response.body.data")
	if err != nil {
		return nil, err
	}
	enc := "text"
	if e := o.Get("encoding"); e != nil && !goja.IsUndefined(e) {
		enc = e.String()
	}
	switch enc {
	case "text":
		return &Body{Data: []byte(data), Encoding: enc}, nil
	case "base64":
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return nil, invalid("The response body is not valid base64.")
		}
		return &Body{Data: b, Encoding: enc}, nil
	}
	return nil, invalid("The response body encoding %q is not text or base64.", enc)
}

func (j *vm) stringProp(o *goja.Object, name, what string) (string, error) {
	v := o.Get(name)
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return "", invalid("The %s is missing.", what)
	}
	s, ok := j.goString(v)
	if !ok {
		return "", invalid("The %s must be a string.", what)
	}
	return s, nil
}

// fieldsFromJS reads a querystring, headers or cookies object. A field's
// values follow the guide's multiValue rules: a multiValue that was added
// or changed gives all the values; otherwise value replaces the first and
// the others stay ("Duplicate query strings, headers, and cookies").
func fieldsFromJS(j *vm, v goja.Value, orig Fields, what string, checkName func(string) bool, attrs bool) (Fields, error) {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil, nil
	}
	o, ok := v.(*goja.Object)
	if !ok {
		return nil, invalid("The %s must be an object.", what)
	}
	names, props, err := j.ownEntries(o)
	if err != nil {
		return nil, err
	}
	out := make(Fields, 0, len(names))
	for i, name := range names {
		origField, hadField := orig.Get(name)
		if !hadField && !checkName(name) {
			return nil, invalid("The name %q in %s is not valid.", name, what)
		}
		fv, ok := props[i].(*goja.Object)
		if !ok {
			return nil, invalid("The %s field %q must be an object with a value.", what, name)
		}
		first, err := j.valueFromJS(fv, what, name, attrs)
		if err != nil {
			return nil, err
		}
		field := Field{Name: name}
		if mv := fv.Get("multiValue"); mv != nil && !goja.IsUndefined(mv) && !goja.IsNull(mv) {
			arr, ok := mv.(*goja.Object)
			if !ok || arr.ClassName() != "Array" {
				return nil, invalid("The multiValue of %s field %q must be an array.", what, name)
			}
			n := arr.Get("length").ToInteger()
			if n > MaxArrayLength {
				return nil, invalid("The multiValue of %s field %q is too long.", what, name)
			}
			var items []Value
			for i := int64(0); i < n; i++ {
				io, ok := arr.Get(fmt.Sprint(i)).(*goja.Object)
				if !ok {
					return nil, invalid("The multiValue items of %s field %q must be objects with a value.", what, name)
				}
				it, err := j.valueFromJS(io, what, name, attrs)
				if err != nil {
					return nil, err
				}
				items = append(items, it)
			}
			if !hadField || len(origField.Values) < 2 || !sameValues(items, origField.Values) {
				if len(items) > 0 {
					field.Values = items
					out = append(out, field)
				}
				continue
			}
		}
		field.Values = []Value{first}
		if hadField && len(origField.Values) > 1 {
			field.Values = append(field.Values, origField.Values[1:]...)
		}
		out = append(out, field)
	}
	return inOriginalOrder(out, orig), nil
}

// inOriginalOrder puts the fields the handler received first, in the order
// it received them (JavaScript lists integer-like keys first), then the
// ones it added.
func inOriginalOrder(fs, orig Fields) Fields {
	if len(orig) == 0 {
		return fs
	}
	out := make(Fields, 0, len(fs))
	for _, o := range orig {
		if f, ok := fs.Get(o.Name); ok {
			out = append(out, f)
		}
	}
	for _, f := range fs {
		if _, ok := orig.Get(f.Name); !ok {
			out = append(out, f)
		}
	}
	return out
}

func sameValues(a, b []Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (j *vm) valueFromJS(o *goja.Object, what, name string, attrs bool) (Value, error) {
	v := o.Get("value")
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return Value{}, invalid("The %s field %q has no value.", what, name)
	}
	s, isString := j.goString(v)
	if !isString {
		switch v.Export().(type) {
		case int64, float64, bool:
			s = v.String()
		default:
			return Value{}, invalid("The value of %s field %q must be a string.", what, name)
		}
	}
	if strings.ContainsAny(s, "\r\n\x00") {
		return Value{}, invalid("The value of %s field %q contains a line break or NUL.", what, name)
	}
	val := Value{Value: s}
	if attrs {
		if a := o.Get("attributes"); a != nil && !goja.IsUndefined(a) && !goja.IsNull(a) {
			as, ok := j.goString(a)
			if !ok || strings.ContainsAny(as, "\r\n\x00") {
				return Value{}, invalid("The attributes of %s field %q must be a string on one line.", what, name)
			}
			val.Attributes = as
		}
	}
	return val, nil
}

// checkHeaderName accepts a lower-case HTTP field name (RFC 9110 token);
// the guide requires header names a function adds to be lower case.
func checkHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || !isTokenChar(c) {
			return false
		}
	}
	return true
}

// checkCookieName accepts a cookie name (RFC 6265 token).
func checkCookieName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// checkQueryName refuses names that would change the query string's
// structure, and those with what a query string cannot include
// (badQueryText).
func checkQueryName(s string) bool {
	return s != "" && !strings.ContainsAny(s, "&=") && !badQueryText(s)
}

func badURIChar(r rune) bool {
	return r <= ' ' || r == 0x7f || r == '#' || r == '?'
}

func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
