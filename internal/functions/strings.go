package functions

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// Request bytes that are not valid UTF-8 (obs-text in a header, a raw
// byte in a query string) cross into JavaScript losslessly: each such byte
// b becomes the lone surrogate U+DC00+b, as Python's "surrogateescape"
// does, and comes back as the same byte. A handler that leaves a value
// alone returns it byte for byte; two names differing only in such bytes
// stay two fields. Valid UTF-8, the common case, takes the fast path.

const escapeBase = 0xDC00

// jsString converts a Go string for JavaScript.
func (j *vm) jsString(s string) goja.Value {
	if utf8.ValidString(s) {
		return j.rt.ToValue(s)
	}
	units := make([]uint16, 0, len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			units = append(units, escapeBase+uint16(s[i]))
		} else {
			units = utf16.AppendRune(units, r)
		}
		i += size
	}
	return goja.StringFromUTF16(units)
}

// goString converts a JavaScript string back; ok is false for other
// values. Lone surrogates that are not escaped bytes become U+FFFD.
func (j *vm) goString(v goja.Value) (string, bool) {
	s, ok := exportString(v)
	if !ok {
		return "", false
	}
	if !strings.ContainsRune(s, utf8.RuneError) {
		return s, true
	}
	js, ok := v.(goja.String)
	if !ok {
		return s, true
	}
	var b []byte
	n := js.Length()
	for i := 0; i < n; i++ {
		c := js.CharAt(i)
		switch {
		case utf16.IsSurrogate(rune(c)) && c < 0xDC00 && i+1 < n && js.CharAt(i+1) >= 0xDC00 && js.CharAt(i+1) <= 0xDFFF:
			b = utf8.AppendRune(b, utf16.DecodeRune(rune(c), rune(js.CharAt(i+1))))
			i++
		case c >= escapeBase+0x80 && c <= escapeBase+0xFF:
			b = append(b, byte(c-escapeBase))
		case utf16.IsSurrogate(rune(c)):
			b = utf8.AppendRune(b, utf8.RuneError)
		default:
			b = utf8.AppendRune(b, rune(c))
		}
	}
	return string(b), true
}

// exportString is v.Export().(string) without boxing the string in an
// interface (an allocation) when v is a JavaScript string.
func exportString(v goja.Value) (string, bool) {
	if js, ok := v.(goja.String); ok {
		return js.String(), true // what Export returns for each kind of String
	}
	s, ok := v.Export().(string)
	return s, ok
}

// cachedString is s as a JavaScript value, from the runtime's cache of
// strings every run converts alike (values.go).
func (j *vm) cachedString(s string) goja.Value {
	if !utf8.ValidString(s) {
		return j.rt.ToValue(s) // as before the cache; not kept
	}
	return j.strings.value(j.rt, s)
}

// defineField defines a field of a querystring, headers or cookies object.
// Define, not Set: a field named __proto__ is data, not the prototype.
func (j *vm) defineField(o *goja.Object, name string, v *goja.Object) {
	if utf8.ValidString(name) {
		_ = o.DefineDataProperty(name, v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE)
		return
	}
	desc := j.rt.NewObject()
	_ = desc.Set("value", v)
	_ = desc.Set("writable", true)
	_ = desc.Set("enumerable", true)
	_ = desc.Set("configurable", true)
	_, _ = j.defineProperty(goja.Undefined(), o, j.jsString(name), desc)
}

// ownEntries lists an object's own enumerable string keys and their
// values, in JavaScript's order.
func (j *vm) ownEntries(o *goja.Object) ([]string, []goja.Value, error) {
	keys := o.Keys()
	escaped := false
	for _, k := range keys {
		if strings.ContainsRune(k, utf8.RuneError) {
			escaped = true
			break
		}
	}
	props := make([]goja.Value, len(keys))
	if !escaped {
		for i, k := range keys {
			props[i] = o.Get(k)
		}
		return keys, props, nil
	}
	// A key holds a lone surrogate: read keys and values as JavaScript
	// strings, with the built-ins captured before any function code ran.
	arr, err := j.objectKeys(goja.Undefined(), o)
	if err != nil {
		return nil, nil, err
	}
	list, _ := arr.(*goja.Object)
	n := int(list.Get("length").ToInteger())
	keys, props = make([]string, 0, n), make([]goja.Value, 0, n)
	for i := 0; i < n; i++ {
		kv := list.Get(itoa(i))
		name, _ := j.goString(kv)
		val, err := j.reflectGet(goja.Undefined(), o, kv)
		if err != nil {
			return nil, nil, err
		}
		keys, props = append(keys, name), append(props, val)
	}
	return keys, props, nil
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
