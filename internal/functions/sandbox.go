package functions

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// prelude is the JavaScript half of the sandbox: the built-in modules,
// console, and the blocks on eval and the Function constructors. It is a
// function expression called with the Go helpers, so nothing of it leaks
// into the global scope but what it installs.
//
//go:embed prelude.js
var preludeSource string

// prelude is compiled on first use, not at start: about 1 MB of heap a
// process without functions would keep.
var prelude = sync.OnceValue(func() *goja.Program { return goja.MustCompile("prelude.js", preludeSource, true) })

// installSandbox prepares a fresh runtime for function code.
func installSandbox(v *vm, runtime string) error {
	rt := v.rt
	fn, err := rt.RunProgram(prelude())
	if err != nil {
		return err
	}
	setup, ok := goja.AssertFunction(fn)
	if !ok {
		return fmt.Errorf("prelude is not a function")
	}
	native := rt.NewObject()
	set := func(name string, f func(goja.FunctionCall) goja.Value) { _ = native.Set(name, f) }
	// "Function logs in CloudFront Functions are truncated at 10 KB"
	// (Restrictions on CloudFront Functions).
	set("log", func(c goja.FunctionCall) goja.Value {
		used := 0
		for _, l := range v.logs {
			used += len(l)
		}
		if room := maxLogBytes - used; room > 0 {
			line := c.Argument(0).String()
			if len(line) > room {
				line = strings.ToValidUTF8(line[:room], "")
			}
			v.logs = append(v.logs, line)
		}
		return goja.Undefined()
	})
	set("digest", func(c goja.FunctionCall) goja.Value {
		h, err := newHash(c.Argument(0).String(), c.Argument(1), rt)
		if err != nil {
			panic(rt.NewTypeError(err.Error()))
		}
		chunks := c.Argument(2).Export()
		list, _ := chunks.([]any)
		for _, ch := range list {
			if ab, ok := ch.(goja.ArrayBuffer); ok {
				h.Write(ab.Bytes())
			}
		}
		return rt.ToValue(rt.NewArrayBuffer(h.Sum(nil)))
	})
	set("encode", func(c goja.FunctionCall) goja.Value {
		ab, _ := c.Argument(0).Export().(goja.ArrayBuffer)
		s, err := encodeBytes(ab.Bytes(), c.Argument(1).String())
		if err != nil {
			panic(rt.NewTypeError(err.Error()))
		}
		return rt.ToValue(s)
	})
	set("decode", func(c goja.FunctionCall) goja.Value {
		b, err := decodeString(c.Argument(0).String(), c.Argument(1).String())
		if err != nil {
			panic(rt.NewTypeError(err.Error()))
		}
		if len(b) > MaxBufferBytes {
			panic(memoryError(rt, "buffer"))
		}
		return rt.ToValue(rt.NewArrayBuffer(b))
	})
	set("validUTF8", func(c goja.FunctionCall) goja.Value {
		ab, _ := c.Argument(0).Export().(goja.ArrayBuffer)
		return rt.ToValue(utf8.Valid(ab.Bytes()))
	})
	set("origin", func(c goja.FunctionCall) goja.Value {
		change, err := originChange(v, c.Argument(0).String(), c.Argument(1), c.Argument(2))
		if err != nil {
			panic(rt.NewTypeError(err.Error()))
		}
		v.origin = append(v.origin, change)
		return goja.Undefined()
	})
	set("memoryError", func(c goja.FunctionCall) goja.Value {
		panic(memoryError(rt, c.Argument(0).String()))
	})
	installKVS(v, native)
	_ = native.Set("runtime", runtime)
	_ = native.Set("maxArray", MaxArrayLength)
	_ = native.Set("maxString", MaxStringLength)
	_ = native.Set("maxBuffer", MaxBufferBytes)
	if _, err := setup(goja.Undefined(), native); err != nil {
		return err
	}
	guardStrings(rt)
	return nil
}

// memoryError is the MemoryError CloudFront's runtime throws when a
// function exceeds its memory.
func memoryError(rt *goja.Runtime, what string) *goja.Object {
	e := rt.NewGoError(fmt.Errorf("the function exceeded its memory limit (%s too large)", what))
	_ = e.Set("name", "MemoryError")
	return e
}

// guardStrings caps the String methods that build a string from a length
// argument in one step.
func guardStrings(rt *goja.Runtime) {
	proto := rt.Get("String").ToObject(rt).Get("prototype").ToObject(rt)
	wrap := func(name string, size func(c goja.FunctionCall, self int64) float64) {
		orig, _ := goja.AssertFunction(proto.Get(name))
		_ = proto.DefineDataProperty(name, rt.ToValue(func(c goja.FunctionCall) goja.Value {
			self := int64(len(c.This.String()))
			if size(c, self) > MaxStringLength {
				panic(memoryError(rt, "string"))
			}
			res, err := orig(c.This, c.Arguments...)
			if err != nil {
				panic(err)
			}
			return res
		}), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
	wrap("repeat", func(c goja.FunctionCall, self int64) float64 {
		return float64(self) * c.Argument(0).ToFloat()
	})
	pad := func(c goja.FunctionCall, self int64) float64 { return c.Argument(0).ToFloat() }
	wrap("padStart", pad)
	wrap("padEnd", pad)
}

func newHash(alg string, key goja.Value, rt *goja.Runtime) (hash.Hash, error) {
	var f func() hash.Hash
	switch alg {
	case "md5":
		f = md5.New
	case "sha1":
		f = sha1.New
	case "sha256":
		f = sha256.New
	default:
		return nil, fmt.Errorf("Digest method not supported: %q (use md5, sha1 or sha256)", alg)
	}
	if key == nil || goja.IsUndefined(key) || goja.IsNull(key) {
		return f(), nil
	}
	ab, ok := key.Export().(goja.ArrayBuffer)
	if !ok {
		return nil, fmt.Errorf("the HMAC key must be a string or a Buffer")
	}
	return hmac.New(f, ab.Bytes()), nil
}

func encodeBytes(b []byte, enc string) (string, error) {
	switch enc {
	case "hex":
		return hex.EncodeToString(b), nil
	case "base64":
		return base64.StdEncoding.EncodeToString(b), nil
	case "base64url":
		return base64.RawURLEncoding.EncodeToString(b), nil
	case "utf8", "utf-8":
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	case "latin1", "binary":
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), nil
	case "ascii":
		r := make([]byte, len(b))
		for i, c := range b {
			r[i] = c & 0x7f
		}
		return string(r), nil
	}
	return "", fmt.Errorf("Unknown encoding: %s", enc)
}

func decodeString(s, enc string) ([]byte, error) {
	switch enc {
	case "hex":
		n := len(s) &^ 1
		out := make([]byte, 0, n/2)
		for i := 0; i+1 < len(s); i += 2 {
			b, err := hex.DecodeString(s[i : i+2])
			if err != nil {
				break // Node stops at the first invalid pair
			}
			out = append(out, b[0])
		}
		return out, nil
	case "base64", "base64url":
		t := strings.Map(func(r rune) rune {
			switch r {
			case '-':
				return '+'
			case '_':
				return '/'
			case '=', ' ', '\n', '\r', '\t':
				return -1
			}
			return r
		}, s)
		return base64.RawStdEncoding.DecodeString(t)
	case "utf8", "utf-8":
		return []byte(strings.ToValidUTF8(s, "\uFFFD")), nil
	case "latin1", "binary", "ascii":
		out := make([]byte, 0, len(s))
		for _, r := range s {
			out = append(out, byte(r))
		}
		return out, nil
	}
	return nil, fmt.Errorf("Unknown encoding: %s", enc)
}
