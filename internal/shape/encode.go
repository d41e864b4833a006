package shape

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
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

// isoMillis is how AWS writes timestamps: UTC with milliseconds.
const isoMillis = "2006-01-02T15:04:05.000Z"

// Encode writes the XML declaration and tree as element rootElement of
// structure shape shapeName, with members in model order. Only the root
// carries xmlns (this version's namespace).
//
// Tree members this model does not have are dropped, which is how a document
// stored through one version is rendered for a client of the other; so are
// optional members whose value is not in this model's enum for them. Scalars
// may be string (canonical text as Decode returns it), bool, int, int32,
// int64, float64 or time.Time; lists []any, []string or []map[string]any;
// structures map[string]any. A nil value counts as absent. An empty list is
// written as an empty element, except an optional Items next to a Quantity:
// CloudFront omits <Items> when Quantity is 0.
//
// Nothing is written to w when the tree does not fit the shape.
func (m *Model) Encode(w io.Writer, rootElement, shapeName string, tree map[string]any) error {
	b, err := m.EncodeToBytes(rootElement, shapeName, tree)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// EncodeToBytes is Encode into a new byte slice.
func (m *Model) EncodeToBytes(rootElement, shapeName string, tree map[string]any) ([]byte, error) {
	sd, ok := m.shapes[shapeName]
	if !ok || sd.typ != "structure" {
		return nil, fmt.Errorf("shape: encode: %q is not a structure in model %s", shapeName, m.version)
	}
	e := &encoder{path: []segment{{rootElement, -1}}}
	e.buf.Grow(1024)
	e.buf.WriteString(xml.Header)
	e.buf.WriteString("<" + rootElement + ` xmlns="`)
	escape(&e.buf, m.namespace)
	e.buf.WriteString(`">`)
	if err := e.structure(sd, tree); err != nil {
		return nil, err
	}
	e.buf.WriteString("</" + rootElement + ">")
	return e.buf.Bytes(), nil
}

// EncodeElement encodes tree as one element with no XML declaration and
// no namespace, for embedding in a document written elsewhere (an item of
// a list whose items are encoded once and reused).
func (m *Model) EncodeElement(element, shapeName string, tree map[string]any) ([]byte, error) {
	sd, ok := m.shapes[shapeName]
	if !ok || sd.typ != "structure" {
		return nil, fmt.Errorf("shape: encode: %q is not a structure in model %s", shapeName, m.version)
	}
	e := &encoder{path: []segment{{element, -1}}}
	e.buf.Grow(1024)
	e.buf.WriteString("<" + element + ">")
	if err := e.structure(sd, tree); err != nil {
		return nil, err
	}
	e.buf.WriteString("</" + element + ">")
	return e.buf.Bytes(), nil
}

type encoder struct {
	buf  bytes.Buffer
	path []segment
}

func (e *encoder) errorf(format string, args ...any) error {
	d := decoder{path: e.path}
	return fmt.Errorf("shape: encode %s: %s", d.field(), fmt.Sprintf(format, args...))
}

func (e *encoder) structure(sd *shapeDef, tree map[string]any) error {
	if len(e.path) > maxDepth {
		return e.errorf("nested deeper than %d", maxDepth)
	}
	for _, md := range sd.members {
		v, ok := tree[md.name]
		if !ok || v == nil || md.location != "" || !md.required && outsideEnum(md.target, v) {
			continue
		}
		e.path = append(e.path, segment{md.name, -1})
		var err error
		switch {
		case md.isFlattened():
			err = e.items(md.target.item, md.elem, v)
		case sd.quantity && md.name == "Items" && !md.required && listLen(v) == 0:
			// Omitted like CloudFront does for Quantity 0. A required Items is
			// kept (empty) so the output still decodes.
		default:
			err = e.value(md, md.elem, v)
		}
		if err != nil {
			return err
		}
		e.path = e.path[:len(e.path)-1]
	}
	return nil
}

// outsideEnum reports whether v is a string that enum shape sd does not
// list: a value stored through the other API version that this one cannot
// express (ViewerCertificate.CertificateSource "acm" for 2016-01-13). Such
// an optional member is left out, and Merge keeps its stored value when an
// update through this version leaves it out in turn.
func outsideEnum(sd *shapeDef, v any) bool {
	s, ok := v.(string)
	return ok && len(sd.enum) > 0 && !slices.Contains(sd.enum, s)
}

// value writes v as element elem of member md.
func (e *encoder) value(md *memberDef, elem string, v any) error {
	e.buf.WriteString("<" + elem + ">")
	switch md.target.typ {
	case "structure":
		tree, ok := v.(map[string]any)
		if !ok {
			return e.errorf("want map[string]any for structure %s, got %T", md.target.name, v)
		}
		if err := e.structure(md.target, tree); err != nil {
			return err
		}
	case "list":
		if err := e.items(md.target.item, md.target.item.elem, v); err != nil {
			return err
		}
	default:
		s, err := scalarText(md, v)
		if err != nil {
			return e.errorf("%v", err)
		}
		escape(&e.buf, s)
	}
	e.buf.WriteString("</" + elem + ">")
	return nil
}

// items writes each element of list v as element elem of member item.
func (e *encoder) items(item *memberDef, elem string, v any) error {
	write := func(i int, x any) error {
		if x == nil {
			return e.errorf("nil list item %d", i)
		}
		e.path = append(e.path, segment{"", i})
		if err := e.value(item, elem, x); err != nil {
			return err
		}
		e.path = e.path[:len(e.path)-1]
		return nil
	}
	switch l := v.(type) {
	case []any:
		for i, x := range l {
			if err := write(i, x); err != nil {
				return err
			}
		}
	case []string:
		for i, x := range l {
			if err := write(i, x); err != nil {
				return err
			}
		}
	case []map[string]any:
		for i, x := range l {
			if err := write(i, x); err != nil {
				return err
			}
		}
	default:
		return e.errorf("want a list, got %T", v)
	}
	return nil
}

func listLen(v any) int {
	switch l := v.(type) {
	case []any:
		return len(l)
	case []string:
		return len(l)
	case []map[string]any:
		return len(l)
	}
	return -1 // not a list: let value report it
}

// scalarText returns the XML text of scalar v for member md.
func scalarText(md *memberDef, v any) (string, error) {
	typ := md.target.typ
	if s, ok := v.(string); ok {
		switch typ {
		case "string", "blob":
			return s, nil // enums are not checked: a stored value may come from the other version
		case "timestamp":
			return timestampText(md, s)
		}
		c, err := canonical(md, s)
		if err != nil {
			return "", fmt.Errorf("value %q is not a valid %s: must be %v", quoteValue(s), typ, err)
		}
		return c, nil
	}
	switch typ {
	case "boolean":
		if b, ok := v.(bool); ok {
			return strconv.FormatBool(b), nil
		}
	case "integer", "long":
		var n int64
		switch x := v.(type) {
		case int:
			n = int64(x)
		case int32:
			n = int64(x)
		case int64:
			n = x
		case float64: // a tree that went through encoding/json with numbers
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return "", fmt.Errorf("value %v is not an integer", x)
			}
			n = int64(x)
		default:
			return "", fmt.Errorf("want an integer for %s, got %T", md.target.name, v)
		}
		if typ == "integer" && (n < math.MinInt32 || n > math.MaxInt32) {
			return "", fmt.Errorf("value %d is out of the integer range", n)
		}
		return strconv.FormatInt(n, 10), nil
	case "float", "double":
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		case int:
			f = float64(x)
		case int64:
			f = float64(x)
		default:
			return "", fmt.Errorf("want a number for %s, got %T", md.target.name, v)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return "", fmt.Errorf("value %v is not finite", f)
		}
		bits := 64
		if typ == "float" {
			bits = 32
		}
		return strconv.FormatFloat(f, 'g', -1, bits), nil
	case "timestamp":
		if t, ok := v.(time.Time); ok {
			return formatTimestamp(md, t), nil
		}
	case "blob":
		if b, ok := v.([]byte); ok {
			return base64.StdEncoding.EncodeToString(b), nil
		}
	}
	return "", fmt.Errorf("want a %s value for %s, got %T", typ, md.target.name, v)
}

// timestampText converts a tree timestamp (RFC 3339) to the member's wire
// format. ISO 8601 text is written as it is, so no precision is lost.
func timestampText(md *memberDef, s string) (string, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return "", fmt.Errorf("value %q is not an RFC 3339 timestamp", quoteValue(s))
	}
	if timestampFormat(md) == "iso8601" {
		return s, nil
	}
	return formatTimestamp(md, t), nil
}

func formatTimestamp(md *memberDef, t time.Time) string {
	t = t.UTC()
	switch timestampFormat(md) {
	case "unixTimestamp":
		return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', -1, 64)
	case "rfc822":
		return t.Format(http.TimeFormat)
	}
	return t.Format(isoMillis)
}

// escape writes s as XML character data. CR is escaped so that it survives
// a parser's line-end normalisation; characters XML cannot carry become
// U+FFFD, as in encoding/xml.
func escape(b *bytes.Buffer, s string) {
	if !strings.ContainsAny(s, "&<>\r") && isPlain(s) {
		b.WriteString(s)
		return
	}
	last := 0
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == '&':
			esc = "&amp;"
		case r == '<':
			esc = "&lt;"
		case r == '>':
			esc = "&gt;"
		case r == '\r':
			esc = "&#xD;"
		case r == utf8.RuneError && w == 1, !isXMLChar(r):
			esc = "\uFFFD"
		default:
			i += w
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		i += w
		last = i
	}
	b.WriteString(s[last:])
}

// isPlain reports whether s is printable ASCII (the common case).
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' && c != '\n' || c >= 0x7f {
			return false
		}
	}
	return true
}

// isXMLChar reports whether XML 1.0 allows r in a document.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
