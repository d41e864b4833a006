package rtmp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// AMF0 type markers (AMF0 specification §2.1).
const (
	amfNumber      = 0x00
	amfBoolean     = 0x01
	amfString      = 0x02
	amfObject      = 0x03
	amfNull        = 0x05
	amfUndefined   = 0x06
	amfECMAArray   = 0x08
	amfObjectEnd   = 0x09
	amfStrictArray = 0x0a
	amfDate        = 0x0b
	amfLongString  = 0x0c
)

// maxAMFDepth bounds nesting of objects and arrays while decoding, so a
// crafted command cannot exhaust the stack.
const maxAMFDepth = 32

// Object is an AMF0 object: properties in wire order.
type Object []Property

// ECMAArray is an AMF0 ECMA array (an associative array, as onMetaData
// carries); it decodes and encodes like Object with a different marker.
type ECMAArray []Property

// Property is one key/value pair of an Object or ECMAArray.
type Property struct {
	Key   string
	Value any
}

// Get returns the value of the first property named key.
func (o Object) Get(key string) (any, bool) {
	for _, p := range o {
		if p.Key == key {
			return p.Value, true
		}
	}
	return nil, false
}

// String returns a string property, or "".
func (o Object) String(key string) string {
	v, _ := o.Get(key)
	s, _ := v.(string)
	return s
}

var errAMF = errors.New("amf0: malformed data")

// decodeAMF decodes every value in b. Values are float64, bool, string,
// Object, ECMAArray, []any (strict array), nil (null and undefined) and
// time.Duration-free float64 milliseconds for dates. Allocation is bounded
// by len(b): counts on the wire are never trusted for preallocation.
func decodeAMF(b []byte) ([]any, error) {
	var out []any
	for len(b) > 0 {
		v, rest, err := decodeAMFValue(b, 0)
		if err != nil {
			return out, err
		}
		out = append(out, v)
		b = rest
	}
	return out, nil
}

func decodeAMFValue(b []byte, depth int) (any, []byte, error) {
	if len(b) == 0 {
		return nil, nil, errAMF
	}
	if depth > maxAMFDepth {
		return nil, nil, fmt.Errorf("%w: nested deeper than %d", errAMF, maxAMFDepth)
	}
	marker, b := b[0], b[1:]
	switch marker {
	case amfNumber:
		if len(b) < 8 {
			return nil, nil, errAMF
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), b[8:], nil
	case amfBoolean:
		if len(b) < 1 {
			return nil, nil, errAMF
		}
		return b[0] != 0, b[1:], nil
	case amfString:
		return decodeAMFString(b, 2)
	case amfLongString:
		return decodeAMFString(b, 4)
	case amfNull, amfUndefined:
		return nil, b, nil
	case amfObject:
		props, rest, err := decodeAMFProps(b, depth)
		return Object(props), rest, err
	case amfECMAArray:
		if len(b) < 4 {
			return nil, nil, errAMF
		}
		// The count is only a hint (many encoders get it wrong); the
		// object-end marker terminates the array.
		props, rest, err := decodeAMFProps(b[4:], depth)
		return ECMAArray(props), rest, err
	case amfStrictArray:
		if len(b) < 4 {
			return nil, nil, errAMF
		}
		n := binary.BigEndian.Uint32(b)
		b = b[4:]
		var arr []any
		for i := uint32(0); i < n; i++ {
			v, rest, err := decodeAMFValue(b, depth+1)
			if err != nil {
				return nil, nil, err
			}
			arr = append(arr, v)
			b = rest
		}
		return arr, b, nil
	case amfDate:
		if len(b) < 10 {
			return nil, nil, errAMF
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), b[10:], nil
	}
	return nil, nil, fmt.Errorf("%w: unsupported marker 0x%02x", errAMF, marker)
}

func decodeAMFString(b []byte, lenBytes int) (any, []byte, error) {
	if len(b) < lenBytes {
		return nil, nil, errAMF
	}
	var n uint64
	if lenBytes == 2 {
		n = uint64(binary.BigEndian.Uint16(b))
	} else {
		n = uint64(binary.BigEndian.Uint32(b))
	}
	b = b[lenBytes:]
	if uint64(len(b)) < n {
		return nil, nil, errAMF
	}
	return string(b[:n]), b[n:], nil
}

func decodeAMFProps(b []byte, depth int) ([]Property, []byte, error) {
	props := []Property{}
	for {
		if len(b) < 3 {
			return nil, nil, errAMF
		}
		n := int(binary.BigEndian.Uint16(b))
		if n == 0 && b[2] == amfObjectEnd {
			return props, b[3:], nil
		}
		b = b[2:]
		if len(b) < n {
			return nil, nil, errAMF
		}
		key := string(b[:n])
		v, rest, err := decodeAMFValue(b[n:], depth+1)
		if err != nil {
			return nil, nil, err
		}
		props = append(props, Property{Key: key, Value: v})
		b = rest
	}
}

// appendAMF encodes values onto b. Supported: float64, int, uint32, int64,
// bool, string, nil, Object, ECMAArray, []any.
func appendAMF(b []byte, values ...any) []byte {
	for _, v := range values {
		b = appendAMFValue(b, v)
	}
	return b
}

func appendAMFValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, amfNull)
	case float64:
		b = append(b, amfNumber)
		return binary.BigEndian.AppendUint64(b, math.Float64bits(v))
	case int:
		return appendAMFValue(b, float64(v))
	case int64:
		return appendAMFValue(b, float64(v))
	case uint32:
		return appendAMFValue(b, float64(v))
	case bool:
		if v {
			return append(b, amfBoolean, 1)
		}
		return append(b, amfBoolean, 0)
	case string:
		if len(v) > math.MaxUint16 {
			b = append(b, amfLongString)
			b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
			return append(b, v...)
		}
		b = append(b, amfString)
		b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
		return append(b, v...)
	case Object:
		b = append(b, amfObject)
		return appendAMFProps(b, v)
	case ECMAArray:
		b = append(b, amfECMAArray)
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		return appendAMFProps(b, v)
	case []any:
		b = append(b, amfStrictArray)
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		for _, e := range v {
			b = appendAMFValue(b, e)
		}
		return b
	}
	// Unknown types encode as undefined rather than corrupting the stream.
	return append(b, amfUndefined)
}

func appendAMFProps(b []byte, props []Property) []byte {
	for _, p := range props {
		k := p.Key
		if len(k) > math.MaxUint16 {
			k = k[:math.MaxUint16]
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(k)))
		b = append(b, k...)
		b = appendAMFValue(b, p.Value)
	}
	return append(b, 0, 0, amfObjectEnd)
}
