package functions

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Event types (functions-event-structure, context.eventType).
const (
	ViewerRequest  = "viewer-request"
	ViewerResponse = "viewer-response"
)

// Event is the event object a handler receives.
type Event struct {
	Version  string // "1.0"
	Context  Context
	Viewer   Viewer
	Request  Request
	Response *Response // viewer-response only
	// KeyValueStore is the store associated with the function, which
	// cf.kvs() reads (nil: none). Not part of the event object.
	KeyValueStore *KeyValueStore
}

// Context is event.context.
type Context struct {
	DistributionDomainName string
	DistributionID         string
	EventType              string
	RequestID              string
}

// Viewer is event.viewer.
type Viewer struct {
	IP string
}

// Request is event.request, or what a handler returns to continue.
type Request struct {
	Method      string
	URI         string
	QueryString Fields
	Headers     Fields // lower-case names; no cookie header
	Cookies     Fields
}

// Response is event.response, or what a handler returns to answer.
type Response struct {
	StatusCode        int
	StatusDescription string
	Headers           Fields // lower-case names; no set-cookie header
	Cookies           Fields // Values carry Attributes
	// Body is nil when the handler did not set one: a viewer-response
	// function then leaves the origin's body as it is.
	Body *Body
}

// Body is a response body a handler set.
type Body struct {
	Data     []byte // decoded
	Encoding string // "text" or "base64", as the handler gave it
}

// Field is one query string parameter, header or cookie: every value it
// has, in order. In JavaScript the first is `value` and, when there are
// several, all of them are in `multiValue`.
type Field struct {
	Name   string
	Values []Value
}

// Value is one value of a field; Attributes is for response cookies only.
type Value struct {
	Value      string
	Attributes string
}

// Fields are fields in the order they appear.
type Fields []Field

// Get returns the field with the name.
func (fs Fields) Get(name string) (Field, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// add appends a value to the field with the name, creating it.
func (fs Fields) add(name string, v Value) Fields {
	for i := range fs {
		if fs[i].Name == name {
			fs[i].Values = append(fs[i].Values, v)
			return fs
		}
	}
	return append(fs, Field{Name: name, Values: []Value{v}})
}

// MarshalJSON writes the fields as the event object shows them.
func (fs Fields) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, f.Name)
		b.WriteByte(':')
		writeValue(&b, f.Values[0])
		if len(f.Values) > 1 {
			b.WriteString(`,"multiValue":[`)
			for j, v := range f.Values {
				if j > 0 {
					b.WriteByte(',')
				}
				writeValue(&b, v)
				b.WriteByte('}')
			}
			b.WriteByte(']')
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeValue writes {"value":...[,"attributes":...] without the closing
// brace.
func writeValue(b *bytes.Buffer, v Value) {
	b.WriteString(`{"value":`)
	writeJSONString(b, v.Value)
	if v.Attributes != "" {
		b.WriteString(`,"attributes":`)
		writeJSONString(b, v.Attributes)
	}
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // a string always marshals
	b.Write(enc)
}

// jsonValue is one field or multiValue item as JSON.
type jsonValue struct {
	Value      *string     `json:"value"`
	Attributes string      `json:"attributes"`
	MultiValue []jsonValue `json:"multiValue"`
}

// UnmarshalJSON reads fields as the event object shows them, keeping their
// order. A field with a non-empty multiValue takes its values from it.
func (fs *Fields) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		*fs = nil
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("want an object of fields")
	}
	var out Fields
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		var jv jsonValue
		if err := dec.Decode(&jv); err != nil {
			return fmt.Errorf("field %q: %w", name, err)
		}
		f := Field{Name: name}
		if len(jv.MultiValue) > 0 {
			for _, m := range jv.MultiValue {
				if m.Value == nil {
					return fmt.Errorf("field %q: a multiValue item has no value", name)
				}
				f.Values = append(f.Values, Value{Value: *m.Value, Attributes: m.Attributes})
			}
		} else {
			if jv.Value == nil {
				return fmt.Errorf("field %q has no value", name)
			}
			f.Values = []Value{{Value: *jv.Value, Attributes: jv.Attributes}}
		}
		out = append(out, f)
	}
	*fs = out
	return nil
}

// jsonEvent is the event object's JSON form.
type jsonEvent struct {
	Version string `json:"version"`
	Context struct {
		DistributionDomainName string `json:"distributionDomainName,omitempty"`
		DistributionID         string `json:"distributionId,omitempty"`
		EventType              string `json:"eventType"`
		RequestID              string `json:"requestId,omitempty"`
	} `json:"context"`
	Viewer struct {
		IP string `json:"ip"`
	} `json:"viewer"`
	Request  *jsonRequest  `json:"request"`
	Response *jsonResponse `json:"response,omitempty"`
}

type jsonRequest struct {
	Method      string `json:"method"`
	URI         string `json:"uri"`
	QueryString Fields `json:"querystring"`
	Headers     Fields `json:"headers"`
	Cookies     Fields `json:"cookies"`
}

type jsonResponse struct {
	StatusCode        int             `json:"statusCode"`
	StatusDescription string          `json:"statusDescription,omitempty"`
	Headers           Fields          `json:"headers"`
	Cookies           Fields          `json:"cookies"`
	Body              json.RawMessage `json:"body,omitempty"`
}

// ParseEvent reads an event object in JSON, as TestFunction receives it
// ("Testing functions": context's distributionDomainName, distributionId
// and requestId may be omitted; missing querystring, headers and cookies
// are empty).
func ParseEvent(data []byte) (*Event, error) {
	var je jsonEvent
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&je); err != nil {
		return nil, fmt.Errorf("the event object is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("the event object has content after its end")
	}
	ev := &Event{Version: je.Version}
	if ev.Version == "" {
		ev.Version = "1.0"
	}
	ev.Context = Context{je.Context.DistributionDomainName, je.Context.DistributionID, je.Context.EventType, je.Context.RequestID}
	ev.Viewer.IP = je.Viewer.IP
	switch ev.Context.EventType {
	case ViewerRequest, ViewerResponse:
	case "":
		return nil, fmt.Errorf("the event object has no context.eventType (viewer-request or viewer-response)")
	default:
		return nil, fmt.Errorf("the event type %q is not viewer-request or viewer-response", ev.Context.EventType)
	}
	if je.Request == nil {
		return nil, fmt.Errorf("the event object has no request")
	}
	ev.Request = Request{Method: je.Request.Method, URI: je.Request.URI, QueryString: je.Request.QueryString, Headers: je.Request.Headers, Cookies: je.Request.Cookies}
	if ev.Request.Method == "" {
		ev.Request.Method = "GET"
	}
	if ev.Request.URI == "" {
		ev.Request.URI = "/"
	}
	if ev.Context.EventType == ViewerResponse {
		if je.Response == nil {
			return nil, fmt.Errorf("a viewer-response event object needs a response")
		}
		ev.Response = &Response{StatusCode: je.Response.StatusCode, StatusDescription: je.Response.StatusDescription, Headers: je.Response.Headers, Cookies: je.Response.Cookies}
		if ev.Response.StatusCode == 0 {
			ev.Response.StatusCode = 200
		}
	}
	return ev, nil
}

// OutputJSON is the FunctionOutput TestFunction reports: the returned
// object wrapped as {"request": ...} or {"response": ...} ("Testing
// functions").
func (r *Result) OutputJSON() []byte {
	var v any
	if r.Response != nil {
		jr := jsonResponse{StatusCode: r.Response.StatusCode, StatusDescription: r.Response.StatusDescription,
			Headers: nonNil(r.Response.Headers), Cookies: nonNil(r.Response.Cookies)}
		if b := r.Response.Body; b != nil {
			data := string(b.Data)
			if b.Encoding == "base64" {
				data = base64Std(b.Data)
			}
			jr.Body, _ = json.Marshal(map[string]string{"encoding": b.Encoding, "data": data})
		}
		v = map[string]any{"response": jr}
	} else {
		q := r.Request
		v = map[string]any{"request": jsonRequest{Method: q.Method, URI: q.URI, QueryString: nonNil(q.QueryString), Headers: nonNil(q.Headers), Cookies: nonNil(q.Cookies)}}
	}
	b, _ := json.Marshal(v)
	return b
}

func nonNil(fs Fields) Fields {
	if fs == nil {
		return Fields{}
	}
	return fs
}
