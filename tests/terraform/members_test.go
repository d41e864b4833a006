package terraform

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// missingMembers walks v (an SDK output struct) along each path and returns
// every place where a member on the path is absent: a nil pointer, or an
// empty enumeration string (the SDK decodes an absent enum member as "").
//
// A path is a dot-separated list of Go field names; "Items[]" walks every
// element of a slice. A path that ends in a slice only needs the slice's
// parent: an absent list and an empty one decode alike.
// "Distribution.DistributionConfig.Origins.Items[].ConnectionAttempts"
// reports e.g. "Distribution.DistributionConfig.Origins.Items[1].ConnectionAttempts".
func missingMembers(v any, paths []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range paths {
		for _, m := range walk(reflect.ValueOf(v), "", strings.Split(p, ".")) {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out
}

func walk(v reflect.Value, at string, rest []string) []string {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return []string{at}
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.String && v.Type() != reflect.TypeOf("") && v.Len() == 0 {
		return []string{at} // an enumeration the response left out
	}
	if len(rest) == 0 {
		return nil
	}
	name, each := strings.CutSuffix(rest[0], "[]")
	if v.Kind() != reflect.Struct {
		panic(fmt.Sprintf("path %s.%s: %s is not a struct", at, rest[0], v.Type()))
	}
	f := v.FieldByName(name)
	if !f.IsValid() {
		panic(fmt.Sprintf("path %s: %s has no field %s", at, v.Type(), name))
	}
	next := join(at, name)
	if !each {
		return walk(f, next, rest[1:])
	}
	if f.Kind() != reflect.Slice {
		panic(fmt.Sprintf("path %s: %s is not a slice", next, f.Type()))
	}
	var out []string
	for i := range f.Len() {
		out = append(out, walk(f.Index(i), fmt.Sprintf("%s[%d]", next, i), rest[1:])...)
	}
	return out
}

func join(at, name string) string {
	if at == "" {
		return name
	}
	return at + "." + name
}

// assertMembers fails the test for every member on paths that v lacks.
func assertMembers(t *testing.T, what string, v any, paths []string) {
	t.Helper()
	if missing := missingMembers(v, paths); len(missing) > 0 {
		t.Errorf("%s: %d member(s) the Terraform AWS provider reads are missing:\n  %s", what, len(missing), strings.Join(missing, "\n  "))
	}
}

// The checker itself: it must find what is missing, and only that.
func TestMissingMembers(t *testing.T) {
	type enum string
	type leaf struct {
		N *int32
		E enum
	}
	type list struct {
		Quantity *int32
		Items    []leaf
	}
	type root struct {
		A    *leaf
		L    *list
		When *time.Time
		S    []string
	}
	one, now := int32(1), time.Now()
	tests := []struct {
		name  string
		v     any
		paths []string
		want  []string
	}{
		{"all present", &root{A: &leaf{N: &one, E: "x"}, L: &list{Quantity: &one, Items: []leaf{{N: &one, E: "y"}}}, When: &now},
			[]string{"A.N", "A.E", "L.Quantity", "L.Items[].N", "L.Items[].E", "When", "S"}, nil},
		{"nil root", (*root)(nil), []string{"A.N"}, []string{""}},
		{"nil parent reported once", &root{}, []string{"A.N", "A.E", "L.Quantity", "When"}, []string{"A", "L", "When"}},
		{"nil leaf and empty enum", &root{A: &leaf{}}, []string{"A.N", "A.E"}, []string{"A.N", "A.E"}},
		{"per item", &root{L: &list{Quantity: &one, Items: []leaf{{N: &one, E: "a"}, {E: "b"}, {N: &one}}}},
			[]string{"L.Items[].N", "L.Items[].E"}, []string{"L.Items[1].N", "L.Items[2].E"}},
		{"empty list walks nothing", &root{L: &list{Quantity: new(int32)}}, []string{"L.Items[].N"}, nil},
		{"plain string may be empty", &struct{ S string }{}, []string{"S"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := missingMembers(tt.v, tt.paths)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("missing = %q, want %q", got, tt.want)
			}
		})
	}
}
