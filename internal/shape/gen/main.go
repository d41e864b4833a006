// Command gen writes the CloudFront service models embedded by package shape.
//
// It reads botocore's gzipped service-2.json for each supported API version and
// writes a minified copy with every "documentation", "documentationUrl" and
// "examples" key removed. Key order is preserved: the order of a structure's
// members is the XML element order, so the copy must not go through a Go map.
//
// Usage:
//
//	go run ./gen -botocore /path/to/botocore/data -out models
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
)

// versions are the CloudFront API versions OpenFront serves.
var versions = []string{"2016-01-13", "2020-05-31"}

// dropped keys carry prose only; they make up most of the model's size.
var dropped = map[string]bool{"documentation": true, "documentationUrl": true, "examples": true}

// named objects map user-chosen names (shape, member, operation names) to
// values, so their keys are never dropped even if one were called "examples".
var named = map[string]bool{"shapes": true, "members": true, "operations": true}

func main() {
	botocore := flag.String("botocore", "", "botocore data directory (the one holding cloudfront/)")
	out := flag.String("out", "models", "output directory")
	flag.Parse()
	if *botocore == "" {
		log.Fatal("gen: -botocore is required")
	}
	for _, v := range versions {
		in := filepath.Join(*botocore, "cloudfront", v, "service-2.json.gz")
		dst := filepath.Join(*out, "cloudfront-"+v+".json")
		if err := convert(in, dst); err != nil {
			log.Fatalf("gen: %v", err)
		}
	}
}

func convert(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	dec := json.NewDecoder(zr)
	dec.UseNumber() // keep numbers exactly as written
	var buf bytes.Buffer
	if err := copyValue(dec, &buf, ""); err != nil {
		return fmt.Errorf("strip %s: %w", src, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("strip %s: trailing data after the model", src)
	}
	buf.WriteByte('\n')
	return os.WriteFile(dst, buf.Bytes(), 0o644)
}

// copyValue copies one JSON value from dec to w, token by token, dropping
// documentation keys. parentKey is the key under which the value sits.
func copyValue(dec *json.Decoder, w *bytes.Buffer, parentKey string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			w.WriteByte('{')
			first := true
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key := kt.(string)
				if dropped[key] && !named[parentKey] {
					var skip json.RawMessage
					if err := dec.Decode(&skip); err != nil {
						return err
					}
					continue
				}
				if !first {
					w.WriteByte(',')
				}
				first = false
				writeString(w, key)
				w.WriteByte(':')
				if err := copyValue(dec, w, key); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // '}'
				return err
			}
			w.WriteByte('}')
		case '[':
			w.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					w.WriteByte(',')
				}
				if err := copyValue(dec, w, ""); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return err
			}
			w.WriteByte(']')
		default:
			return fmt.Errorf("unexpected delimiter %q", t)
		}
	case string:
		writeString(w, t)
	case json.Number:
		w.WriteString(t.String())
	case bool:
		fmt.Fprint(w, t)
	case nil:
		w.WriteString("null")
	default:
		return fmt.Errorf("unexpected token %T", tok)
	}
	return nil
}

func writeString(w *bytes.Buffer, s string) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // cannot fail for a string
	w.Truncate(w.Len() - 1) // Encode appends a newline
}
