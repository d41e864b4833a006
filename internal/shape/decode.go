package shape

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits that keep a hostile body from costing more than a large legitimate
// one. The deepest CloudFront request (a 2020 cache behaviour's nested
// wrappers) is about 10 levels; the largest has a few thousand elements.
const (
	maxDepth    = 64
	maxElements = 100_000
)

// malformedPrefix is AWS's wording for MalformedXML.
const malformedPrefix = "The XML you provided was not well-formed or did not validate against our published schema"

// Decode reads one XML document and returns the tree of structure shape
// shapeName. The root element's local name must be rootElement. Every
// element must be in the model's namespace (the version's own,
// http://cloudfront.amazonaws.com/doc/<version>/, which the SDKs and the
// AWS CLI send) or in none (the request path already names the version);
// any other namespace, another version's included, is MalformedXML: the
// body may mean something else than the version read it as.
//
// Errors about the body are *Error values; an error reading r is returned
// wrapped as it is (so a handler can tell http.MaxBytesError apart), and an
// unknown shapeName is a plain error.
func (m *Model) Decode(r io.Reader, rootElement, shapeName string) (map[string]any, error) {
	sd, ok := m.shapes[shapeName]
	if !ok || sd.typ != "structure" {
		return nil, fmt.Errorf("shape: decode: %q is not a structure in model %s", shapeName, m.version)
	}
	src := &recordingReader{r: r}
	d := &decoder{x: xml.NewDecoder(src), src: src, ns: m.namespace}
	if err := d.root(rootElement); err != nil {
		return nil, err
	}
	d.push(rootElement, -1)
	tree, err := d.structure(sd, rootElement)
	if err != nil {
		return nil, err
	}
	if err := d.trailer(); err != nil {
		return nil, err
	}
	return tree, nil
}

// recordingReader remembers the reader's own failure, which encoding/xml
// returns unwrapped, so it is not mistaken for a syntax error.
type recordingReader struct {
	r   io.Reader
	err error
}

func (rr *recordingReader) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		rr.err = err
	}
	return n, err
}

type decoder struct {
	x      *xml.Decoder
	src    *recordingReader
	depth  int
	elems  int
	path   []segment // built into Error.Field only when an error occurs
	noBody bool      // nothing but white space so far
	ns     string    // the model's namespace; elements may also have none
}

// inNamespace refuses an element in a namespace other than the model's.
func (d *decoder) inNamespace(name xml.Name) error {
	if name.Space == "" || name.Space == d.ns {
		return nil
	}
	return d.malformed("element <%s> is in namespace %q; this API version's is %q", name.Local, name.Space, d.ns)
}

// segment is one step of a field path: a member name, or a list index when
// index >= 0.
type segment struct {
	name  string
	index int
}

func (d *decoder) push(name string, index int) { d.path = append(d.path, segment{name, index}) }
func (d *decoder) pop()                        { d.path = d.path[:len(d.path)-1] }

func (d *decoder) field() string {
	var b strings.Builder
	for i, s := range d.path {
		if s.index >= 0 {
			fmt.Fprintf(&b, "[%d]", s.index)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.name)
	}
	return b.String()
}

func (d *decoder) malformed(format string, args ...any) *Error {
	return &Error{Code: CodeMalformedXML, Message: malformedPrefix + ": " + fmt.Sprintf(format, args...), Field: d.field()}
}

func (d *decoder) invalid(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidArgument, Message: "1 validation error detected: " + fmt.Sprintf(format, args...), Field: d.field()}
}

// token returns the next token; io.EOF is returned as is and only occurs
// outside the root element (encoding/xml reports EOF inside it as a syntax error).
func (d *decoder) token() (xml.Token, error) {
	tok, err := d.x.Token()
	if err == nil {
		return tok, nil
	}
	if d.src.err != nil {
		return nil, fmt.Errorf("shape: read body: %w", d.src.err)
	}
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	// Syntax errors and also the charset error for a non-UTF-8 declaration.
	return nil, d.malformed("%v", err)
}

// enter accounts for one more open element.
func (d *decoder) enter() error {
	d.depth++
	d.elems++
	if d.depth > maxDepth {
		return d.malformed("elements nested deeper than %d", maxDepth)
	}
	if d.elems > maxElements {
		return d.malformed("more than %d elements", maxElements)
	}
	return nil
}

func (d *decoder) leave() { d.depth-- }

// root reads up to and including the root element's start tag.
func (d *decoder) root(name string) error {
	d.noBody = true
	for {
		tok, err := d.token()
		if errors.Is(err, io.EOF) {
			if d.noBody {
				return &Error{Code: CodeMissingBody, Message: "This operation requires a body. Ensure that the body is present and the Content-Type header is set."}
			}
			return d.malformed("no root element")
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != name {
				return d.malformed("root element is <%s>, expected <%s>", t.Name.Local, name)
			}
			if err := d.inNamespace(t.Name); err != nil {
				return err
			}
			return d.enter()
		case xml.CharData:
			// Some Windows clients start the body with a UTF-8 byte order mark.
			if !isSpace(bytes.TrimPrefix(t, []byte("\uFEFF"))) {
				return d.malformed("text before the root element")
			}
		case xml.Directive:
			return d.malformed("DTDs are not allowed")
		default: // the XML declaration, other processing instructions, comments
			d.noBody = false
		}
	}
}

// trailer reads what follows the root element: only white space, comments
// and processing instructions may.
func (d *decoder) trailer() error {
	d.path = d.path[:0]
	for {
		tok, err := d.token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return d.malformed("element <%s> after the root element", t.Name.Local)
		case xml.CharData:
			if !isSpace(t) {
				return d.malformed("text after the root element")
			}
		case xml.Directive:
			return d.malformed("DTDs are not allowed")
		}
	}
}

// structure decodes the children of an element of structure shape sd up to
// its end tag, then checks required members and Quantity.
func (d *decoder) structure(sd *shapeDef, elem string) (map[string]any, error) {
	out := make(map[string]any, len(sd.members))
	for {
		tok, err := d.token()
		if err != nil {
			return nil, d.eofInElement(err, elem)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := d.enter(); err != nil {
				return nil, err
			}
			if err := d.inNamespace(t.Name); err != nil {
				return nil, err
			}
			md := sd.byElem[t.Name.Local]
			if md == nil {
				// Unknown elements are ignored (not stored), as SDK parsers do;
				// that also lets a newer client talk to an older version.
				if err := d.skip(); err != nil {
					return nil, err
				}
				d.leave()
				continue
			}
			d.push(md.name, -1)
			if md.isFlattened() {
				list, _ := out[md.name].([]any)
				d.push("", len(list))
				v, err := d.value(md.target.item, t.Name.Local)
				if err != nil {
					return nil, err
				}
				d.pop()
				out[md.name] = append(list, v)
			} else {
				// A repeated member is ambiguous (which one did the client
				// mean?), so it is refused rather than guessed.
				if _, dup := out[md.name]; dup {
					return nil, d.malformed("element <%s> appears more than once in <%s>", t.Name.Local, elem)
				}
				v, err := d.value(md, t.Name.Local)
				if err != nil {
					return nil, err
				}
				out[md.name] = v
			}
			d.pop()
			d.leave()
		case xml.EndElement:
			return out, d.check(sd, out)
		case xml.CharData:
			if !isSpace(t) {
				return nil, d.malformed("unexpected text in <%s>", elem)
			}
		case xml.Directive:
			return nil, d.malformed("DTDs are not allowed")
		}
	}
}

// check runs the checks that need the whole structure.
func (d *decoder) check(sd *shapeDef, out map[string]any) error {
	for _, md := range sd.members {
		if md.required && md.location == "" {
			if _, ok := out[md.name]; !ok {
				d.push(md.name, -1)
				err := d.invalid("Value null at '%s' failed to satisfy constraint: Member must not be null", d.field())
				d.pop()
				return err
			}
		}
	}
	if sd.quantity {
		q, ok := out["Quantity"].(string)
		if !ok {
			return nil // optional and absent: nothing to compare
		}
		n, _ := strconv.Atoi(q) // canonical already
		items, _ := out["Items"].([]any)
		if n != len(items) {
			return &Error{
				Code:    CodeInconsistentQuantities,
				Message: fmt.Sprintf("The value of Quantity and the size of Items don't match at '%s' (Quantity %d, %d items).", d.field(), n, len(items)),
				Field:   d.field(),
			}
		}
	}
	return nil
}

// list decodes the items of a non-flattened list element.
func (d *decoder) list(sd *shapeDef, elem string) ([]any, error) {
	items := []any{}
	for {
		tok, err := d.token()
		if err != nil {
			return nil, d.eofInElement(err, elem)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := d.enter(); err != nil {
				return nil, err
			}
			if err := d.inNamespace(t.Name); err != nil {
				return nil, err
			}
			// A wrong item name means the body does not follow the protocol's
			// structure at all (not a bad value), hence MalformedXML; ignoring
			// it would silently change the list's size.
			if t.Name.Local != sd.item.elem {
				return nil, d.malformed("element <%s> is not allowed in <%s>, expected <%s>", t.Name.Local, elem, sd.item.elem)
			}
			d.push("", len(items))
			v, err := d.value(sd.item, t.Name.Local)
			if err != nil {
				return nil, err
			}
			d.pop()
			d.leave()
			items = append(items, v)
		case xml.EndElement:
			return items, nil
		case xml.CharData:
			if !isSpace(t) {
				return nil, d.malformed("unexpected text in <%s>", elem)
			}
		case xml.Directive:
			return nil, d.malformed("DTDs are not allowed")
		}
	}
}

// value decodes the content of an element (whose start tag was just read)
// as member md.
func (d *decoder) value(md *memberDef, elem string) (any, error) {
	switch md.target.typ {
	case "structure":
		return d.structure(md.target, elem)
	case "list":
		return d.list(md.target, elem)
	}
	text, err := d.text(elem)
	if err != nil {
		return nil, err
	}
	return d.scalar(md, text)
}

// text reads the character data of a scalar element up to its end tag.
func (d *decoder) text(elem string) (string, error) {
	var s string
	var more []byte // only when the text arrives in several pieces (comments, CDATA)
	n := 0
	for {
		tok, err := d.token()
		if err != nil {
			return "", d.eofInElement(err, elem)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if n == 0 {
				s = string(t)
			} else {
				if n == 1 {
					more = append(more, s...)
				}
				more = append(more, t...)
			}
			n++
		case xml.StartElement:
			return "", d.malformed("element <%s> is not allowed in <%s>", t.Name.Local, elem)
		case xml.EndElement:
			if n > 1 {
				s = string(more)
			}
			return s, nil
		case xml.Directive:
			return "", d.malformed("DTDs are not allowed")
		}
	}
}

func (d *decoder) eofInElement(err error, elem string) error {
	if errors.Is(err, io.EOF) {
		return d.malformed("unexpected end of document in <%s>", elem)
	}
	return err
}

// scalar validates text as member md's type and returns its canonical form.
func (d *decoder) scalar(md *memberDef, text string) (string, error) {
	v, err := canonical(md, text)
	if err == nil {
		return v, nil
	}
	switch {
	case errors.Is(err, errEnum):
		return "", d.invalid("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
			quoteValue(text), d.field(), strings.Join(md.target.enum, ", "))
	default:
		return "", d.invalid("Value '%s' at '%s' failed to satisfy constraint: Member must be %v", quoteValue(text), d.field(), err)
	}
}

var errEnum = errors.New("not in enum")

// typeError says what a scalar must be; it reads after "Member must be".
type typeError string

func (e typeError) Error() string { return string(e) }

// canonical parses text as md's scalar type and returns the canonical text:
// numbers in base 10 without sign or leading zeros, booleans in lower case,
// timestamps as RFC 3339 in UTC. Strings and enums are kept verbatim;
// around other types XML white space is ignored.
func canonical(md *memberDef, text string) (string, error) {
	sd := md.target
	if sd.typ == "string" {
		if len(sd.enum) > 0 && !slices.Contains(sd.enum, text) {
			return "", errEnum
		}
		return text, nil
	}
	if sd.typ == "blob" {
		// The decoder skips CR and LF, so MIME-style wrapped base64 passes.
		if _, err := base64.StdEncoding.DecodeString(text); err != nil {
			return "", typeError("base64-encoded binary data")
		}
		return text, nil
	}
	t := strings.Trim(text, " \t\r\n")
	switch sd.typ {
	case "boolean":
		if t == "true" || t == "false" {
			return t, nil
		}
		return "", typeError("true or false")
	case "integer", "long":
		bits := 32
		if sd.typ == "long" {
			bits = 64
		}
		n, err := strconv.ParseInt(t, 10, bits)
		if err != nil {
			if bits == 32 {
				return "", typeError(fmt.Sprintf("an integer between %d and %d", math.MinInt32, math.MaxInt32))
			}
			return "", typeError(fmt.Sprintf("an integer between %d and %d", int64(math.MinInt64), int64(math.MaxInt64)))
		}
		return strconv.FormatInt(n, 10), nil
	case "float", "double":
		bits := 64
		if sd.typ == "float" {
			bits = 32
		}
		f, err := strconv.ParseFloat(t, bits)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return "", typeError("a finite number")
		}
		return strconv.FormatFloat(f, 'g', -1, bits), nil
	case "timestamp":
		ts, err := parseTimestamp(t, timestampFormat(md))
		if err != nil {
			return "", err
		}
		return ts.Format(time.RFC3339Nano), nil
	}
	return "", typeError("of a supported type") // unreachable: resolve rejects other types
}

// timestampFormat returns the wire format of a timestamp member; rest-xml's
// default is ISO 8601.
func timestampFormat(md *memberDef) string {
	switch {
	case md.timestampFormat != "":
		return md.timestampFormat
	case md.target.timestampFormat != "":
		return md.target.timestampFormat
	}
	return "iso8601"
}

// parseTimestamp parses a timestamp in the given wire format and returns it
// in UTC. Years outside 0000-9999 are refused: they have no RFC 3339 form.
func parseTimestamp(s, format string) (time.Time, error) {
	var ts time.Time
	var err error
	switch format {
	case "unixTimestamp":
		var f float64
		f, err = strconv.ParseFloat(s, 64)
		if err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) < 1e12 {
			sec, frac := math.Modf(f)
			ts = time.Unix(int64(sec), int64(math.Round(frac*1e9)))
		} else {
			err = errors.New("bad epoch seconds")
		}
	case "rfc822":
		ts, err = http.ParseTime(s)
	default:
		ts, err = time.Parse(time.RFC3339, s)
	}
	ts = ts.UTC()
	if err != nil || ts.Year() < 0 || ts.Year() > 9999 {
		return time.Time{}, typeError("a timestamp in " + format + " format, e.g. 2016-01-14T20:33:14.524Z")
	}
	return ts, nil
}

func isSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// quoteValue shortens a client value for an error message.
func quoteValue(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// skip consumes the rest of an element that is not part of the model.
func (d *decoder) skip() error {
	for open := 1; open > 0; {
		tok, err := d.token()
		if err != nil {
			return d.eofInElement(err, "")
		}
		switch tok.(type) {
		case xml.StartElement:
			if err := d.enter(); err != nil {
				return err
			}
			open++
		case xml.EndElement:
			open--
			if open > 0 {
				d.leave() // the caller leaves the skipped element itself
			}
		case xml.Directive:
			return d.malformed("DTDs are not allowed")
		}
	}
	return nil
}
