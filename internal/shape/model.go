package shape

import (
	"bytes"
	"cmp"
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
)

//go:embed models/*.json
var modelFiles embed.FS

// loaders parse each embedded model at most once; the map itself is never
// written after package initialisation.
var loaders = map[string]func() (*Model, error){
	"2016-01-13": sync.OnceValues(func() (*Model, error) { return parseModel("2016-01-13") }),
	"2020-05-31": sync.OnceValues(func() (*Model, error) { return parseModel("2020-05-31") }),
}

// Model is one API version's service model. It is immutable after Load and
// safe for concurrent use.
type Model struct {
	version     string
	namespace   string
	shapes      map[string]*shapeDef
	operations  map[string]Operation
	errorStatus map[string]int // exception shape name (its error code) -> HTTP status
}

// Operation describes one API operation as the model declares it.
type Operation struct {
	// Name is the operation's key in the model, e.g. "CreateDistribution"
	// (the model's own "name" field carries a version suffix).
	Name         string
	Method       string // HTTP method
	RequestURI   string // as in the model, e.g. "/2020-05-31/distribution/{Id}"
	ResponseCode int    // success status; 200 when the model gives none
	InputShape   string
	OutputShape  string // "" when the operation has no output

	// InputPayload is the input member sent as the XML body ("" if none),
	// InputPayloadShape its shape and InputPayloadElement its root element name.
	InputPayload        string
	InputPayloadShape   string
	InputPayloadElement string

	// OutputPayload, OutputPayloadShape and OutputPayloadElement are the same
	// for the response body.
	OutputPayload        string
	OutputPayloadShape   string
	OutputPayloadElement string

	// Errors lists the error shape names the operation declares, in model order.
	Errors []string
}

// shapeDef is a resolved model shape.
type shapeDef struct {
	name string
	typ  string // structure, list, string, integer, long, boolean, timestamp, blob, float, double

	// structure
	members  []*memberDef // model order = XML element order
	byName   map[string]*memberDef
	byElem   map[string]*memberDef // XML element name -> member (body members only)
	required []string
	// quantity is true for wrapper structures with an integer Quantity and a
	// list Items member, whose sizes must agree.
	quantity bool
	// identity is the member that identifies an item of this structure inside
	// a list when merging ("" = match by index).
	identity string

	payloadMember string // operation input/output structures only

	// list
	item      *memberDef
	flattened bool

	// string
	enum []string

	timestampFormat string
}

// memberDef is a structure member or a list's item.
type memberDef struct {
	name            string
	elem            string // XML element name: locationName, else name
	target          *shapeDef
	location        string // non-empty for header/uri/querystring members, which are not in the body
	required        bool
	flattened       bool
	timestampFormat string
}

// isFlattened reports whether this member is a list written without a wrapper element.
func (md *memberDef) isFlattened() bool {
	return md.target.typ == "list" && (md.flattened || md.target.flattened)
}

// Load returns the model of the given API version ("2016-01-13" or
// "2020-05-31"). The embedded JSON is parsed once per version.
func Load(version string) (*Model, error) {
	load, ok := loaders[version]
	if !ok {
		return nil, fmt.Errorf("shape: unknown API version %q", version)
	}
	return load()
}

// ErrorStatus returns the HTTP status of an error code the model declares
// (an exception shape's error.httpStatusCode), and whether it declares it.
func (m *Model) ErrorStatus(code string) (int, bool) {
	s, ok := m.errorStatus[code]
	return s, ok
}

// Version returns the API version, e.g. "2020-05-31".
func (m *Model) Version() string { return m.version }

// Namespace returns the XML namespace of the version's documents.
func (m *Model) Namespace() string { return m.namespace }

// HasShape reports whether the model defines a shape with this name.
func (m *Model) HasShape(name string) bool {
	_, ok := m.shapes[name]
	return ok
}

// HasMember reports whether structure shape has a member with this name.
func (m *Model) HasMember(shape, member string) bool {
	_, ok := m.MemberShape(shape, member)
	return ok
}

// MemberShape returns the name of the target shape of shape's member.
func (m *Model) MemberShape(shape, member string) (string, bool) {
	sd, ok := m.shapes[shape]
	if !ok {
		return "", false
	}
	md, ok := sd.byName[member]
	if !ok {
		return "", false
	}
	return md.target.name, true
}

// Operation returns the operation with this name, e.g. "UpdateDistribution".
func (m *Model) Operation(name string) (Operation, bool) {
	op, ok := m.operations[name]
	op.Errors = slices.Clone(op.Errors) // callers must not alter the model
	return op, ok
}

// Operations returns every operation of the model sorted by name.
func (m *Model) Operations() []Operation {
	ops := make([]Operation, 0, len(m.operations))
	for _, op := range m.operations {
		op.Errors = slices.Clone(op.Errors)
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Name < ops[j].Name })
	return ops
}

// identityMembers are tried in order to match list items across versions in
// Merge; the first one the item shape has wins.
var identityMembers = []string{"Id", "PathPattern", "ErrorCode", "HeaderName", "DomainName"}

// JSON form of the model, as written by gen.

type rawModel struct {
	Metadata struct {
		XMLNamespace string `json:"xmlNamespace"`
	} `json:"metadata"`
	Operations map[string]rawOperation `json:"operations"`
	Shapes     map[string]rawShape     `json:"shapes"`
}

type rawOperation struct {
	HTTP struct {
		Method       string `json:"method"`
		RequestURI   string `json:"requestUri"`
		ResponseCode int    `json:"responseCode"`
	} `json:"http"`
	Input  *rawMember  `json:"input"`
	Output *rawMember  `json:"output"`
	Errors []rawMember `json:"errors"`
}

type rawShape struct {
	Type            string         `json:"type"`
	Members         orderedMembers `json:"members"`
	Required        []string       `json:"required"`
	Member          *rawMember     `json:"member"`
	Flattened       bool           `json:"flattened"`
	Enum            []string       `json:"enum"`
	Payload         string         `json:"payload"`
	TimestampFormat string         `json:"timestampFormat"`
	Exception       bool           `json:"exception"`
	Error           struct {
		HTTPStatusCode int `json:"httpStatusCode"`
	} `json:"error"`
}

type rawMember struct {
	Shape           string `json:"shape"`
	LocationName    string `json:"locationName"`
	Location        string `json:"location"`
	Flattened       bool   `json:"flattened"`
	TimestampFormat string `json:"timestampFormat"`
	XMLAttribute    bool   `json:"xmlAttribute"`
}

type namedMember struct {
	name string
	rawMember
}

// orderedMembers keeps the members of a structure in the order of the JSON
// object, which encoding/json's maps would lose.
type orderedMembers []namedMember

func (om *orderedMembers) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("members: want an object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		var nm namedMember
		nm.name, _ = tok.(string)
		if err := dec.Decode(&nm.rawMember); err != nil {
			return fmt.Errorf("member %s: %w", nm.name, err)
		}
		*om = append(*om, nm)
	}
	return nil
}

func parseModel(version string) (*Model, error) {
	b, err := modelFiles.ReadFile("models/cloudfront-" + version + ".json")
	if err != nil {
		return nil, fmt.Errorf("shape: load model %s: %w", version, err)
	}
	var raw rawModel
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("shape: parse model %s: %w", version, err)
	}
	m, err := resolve(version, &raw)
	if err != nil {
		return nil, fmt.Errorf("shape: model %s: %w", version, err)
	}
	return m, nil
}

// resolve links shapes to each other and rejects model features the codec
// does not implement, so a regenerated model fails loudly in tests.
func resolve(version string, raw *rawModel) (*Model, error) {
	m := &Model{
		version:    version,
		namespace:  raw.Metadata.XMLNamespace,
		shapes:     make(map[string]*shapeDef, len(raw.Shapes)),
		operations: make(map[string]Operation, len(raw.Operations)),
	}
	if m.namespace == "" {
		m.namespace = "http://cloudfront.amazonaws.com/doc/" + version + "/"
	}
	m.errorStatus = map[string]int{}
	for name, rs := range raw.Shapes {
		if rs.Exception {
			// CloudFront's error codes are the exception shapes' names;
			// the model's default status is 400.
			m.errorStatus[name] = cmp.Or(rs.Error.HTTPStatusCode, 400)
		}
		switch rs.Type {
		case "structure", "list", "string", "integer", "long", "boolean", "timestamp", "blob", "float", "double":
		default:
			return nil, fmt.Errorf("shape %s: type %q is not supported", name, rs.Type)
		}
		m.shapes[name] = &shapeDef{
			name:            name,
			typ:             rs.Type,
			required:        rs.Required,
			enum:            rs.Enum,
			flattened:       rs.Flattened,
			timestampFormat: rs.TimestampFormat,
		}
	}
	newMember := func(owner, name string, rm rawMember) (*memberDef, error) {
		if rm.XMLAttribute {
			return nil, fmt.Errorf("shape %s member %s: xmlAttribute is not supported", owner, name)
		}
		target, ok := m.shapes[rm.Shape]
		if !ok {
			return nil, fmt.Errorf("shape %s member %s: unknown shape %q", owner, name, rm.Shape)
		}
		md := &memberDef{
			name:            name,
			elem:            name,
			target:          target,
			location:        rm.Location,
			flattened:       rm.Flattened,
			timestampFormat: rm.TimestampFormat,
		}
		if rm.LocationName != "" {
			md.elem = rm.LocationName
		}
		return md, nil
	}
	for name, rs := range raw.Shapes {
		sd := m.shapes[name]
		switch sd.typ {
		case "structure":
			sd.byName = make(map[string]*memberDef, len(rs.Members))
			sd.byElem = make(map[string]*memberDef, len(rs.Members))
			for _, nm := range rs.Members {
				md, err := newMember(name, nm.name, nm.rawMember)
				if err != nil {
					return nil, err
				}
				sd.members = append(sd.members, md)
				sd.byName[md.name] = md
				if md.location == "" {
					sd.byElem[md.elem] = md
				}
			}
			for _, r := range rs.Required {
				md, ok := sd.byName[r]
				if !ok {
					return nil, fmt.Errorf("shape %s: required member %q does not exist", name, r)
				}
				md.required = true
			}
			if rs.Payload != "" {
				if _, ok := sd.byName[rs.Payload]; !ok {
					return nil, fmt.Errorf("shape %s: payload member %q does not exist", name, rs.Payload)
				}
				sd.payloadMember = rs.Payload
			}
		case "list":
			if rs.Member == nil {
				return nil, fmt.Errorf("shape %s: list without member", name)
			}
			md, err := newMember(name, "member", *rs.Member)
			if err != nil {
				return nil, err
			}
			if rs.Member.LocationName == "" {
				md.elem = "member" // the rest-xml default item name
			}
			sd.item = md
		}
	}
	for _, sd := range m.shapes {
		if sd.typ != "structure" {
			continue
		}
		q, items := sd.byName["Quantity"], sd.byName["Items"]
		sd.quantity = q != nil && items != nil && q.target.typ == "integer" && items.target.typ == "list"
		for _, id := range identityMembers {
			if _, ok := sd.byName[id]; ok {
				sd.identity = id
				break
			}
		}
	}
	for name, ro := range raw.Operations {
		op := Operation{
			Name:         name,
			Method:       ro.HTTP.Method,
			RequestURI:   ro.HTTP.RequestURI,
			ResponseCode: ro.HTTP.ResponseCode,
		}
		if op.ResponseCode == 0 {
			op.ResponseCode = 200
		}
		if ro.Input != nil {
			op.InputShape = ro.Input.Shape
			op.InputPayload, op.InputPayloadShape, op.InputPayloadElement = m.payload(ro.Input.Shape)
		}
		if ro.Output != nil {
			op.OutputShape = ro.Output.Shape
			op.OutputPayload, op.OutputPayloadShape, op.OutputPayloadElement = m.payload(ro.Output.Shape)
		}
		for _, e := range ro.Errors {
			op.Errors = append(op.Errors, e.Shape)
		}
		m.operations[name] = op
	}
	return m, nil
}

// payload returns the payload member of an operation's input or output
// structure, its shape and its XML element name.
func (m *Model) payload(shapeName string) (member, target, elem string) {
	sd, ok := m.shapes[shapeName]
	if !ok || sd.payloadMember == "" {
		return "", "", ""
	}
	md := sd.byName[sd.payloadMember]
	return md.name, md.target.name, md.elem
}
