package functions

import (
	"fmt"
	"reflect"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/file"
)

// cloudfront-js-1.0 is ES 5.1 plus a few later features; the guide
// ("JavaScript runtime 1.0 features for CloudFront Functions") says "The
// const and let statements are not supported", and async and await came
// with 2.0. goja parses all of them, so the 1.0 runtime refuses them after
// parsing, as a SyntaxError naming the line.

var fileType = reflect.TypeOf((*file.File)(nil))

// check10 returns the first 2.0-only construct in the program, if any.
func check10(prg *ast.Program) error {
	var what string
	var at file.Idx
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		if what != "" {
			return
		}
		switch v.Kind() {
		case reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Pointer:
			if v.IsNil() || v.Type() == fileType {
				return
			}
			switch n := v.Interface().(type) {
			case *ast.LexicalDeclaration:
				what, at = n.Token.String(), n.Idx
			case *ast.ForDeclaration:
				what, at = "let", n.Idx
				if n.IsConst {
					what = "const"
				}
			case *ast.FunctionLiteral:
				if n.Async {
					what, at = "async", n.Function
				}
			case *ast.ArrowFunctionLiteral:
				if n.Async {
					what, at = "async", n.Start
				}
			case *ast.AwaitExpression:
				what, at = "await", n.Await
			}
			walk(v.Elem())
		case reflect.Struct:
			if n, ok := v.Interface().(ast.LexicalDeclaration); ok {
				what, at = n.Token.String(), n.Idx
				return
			}
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		}
	}
	walk(reflect.ValueOf(prg))
	if what == "" {
		return nil
	}
	line := 0
	if prg.File != nil {
		line = prg.File.Position(int(at) - prg.File.Base()).Line
	}
	return fmt.Errorf("SyntaxError: %s is not supported by cloudfront-js-1.0 (line %d): use cloudfront-js-2.0", what, line)
}
