package model

import (
	"strconv"
)

// Tree is a CloudFront document: structure members by name; values are
// Tree (map[string]any), []any or string.
type Tree = map[string]any

// Sub returns the structure at the path, or nil.
func Sub(t Tree, path ...string) Tree {
	cur := t
	for _, p := range path {
		if cur == nil {
			return nil
		}
		next, _ := cur[p].(map[string]any)
		cur = next
	}
	return cur
}

// Str returns the scalar at the path and whether it is present.
func Str(t Tree, path ...string) (string, bool) {
	if len(path) == 0 {
		return "", false
	}
	parent := Sub(t, path[:len(path)-1]...)
	if parent == nil {
		return "", false
	}
	s, ok := parent[path[len(path)-1]].(string)
	return s, ok
}

// StrOr returns the scalar at the path, or def when absent.
func StrOr(t Tree, def string, path ...string) string {
	if s, ok := Str(t, path...); ok {
		return s
	}
	return def
}

// Bool returns the boolean at the path (false when absent).
func Bool(t Tree, path ...string) bool {
	s, _ := Str(t, path...)
	return s == "true"
}

// Int returns the integer at the path and whether it is present and valid.
func Int(t Tree, path ...string) (int64, bool) {
	s, ok := Str(t, path...)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// Items returns the Items list of the wrapper structure at the path
// (`<X><Quantity/><Items>...</Items></X>`), or nil.
func Items(t Tree, path ...string) []any {
	w := Sub(t, path...)
	if w == nil {
		return nil
	}
	items, _ := w["Items"].([]any)
	return items
}

// StringItems returns the Items of a wrapper whose items are scalars.
func StringItems(t Tree, path ...string) []string {
	items := Items(t, path...)
	if len(items) == 0 {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// StructItems returns the Items of a wrapper whose items are structures.
func StructItems(t Tree, path ...string) []Tree {
	items := Items(t, path...)
	if len(items) == 0 {
		return nil
	}
	out := make([]Tree, 0, len(items))
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// Wrapper builds a Quantity/Items wrapper for the given items; Items is
// left out when empty, as CloudFront does.
func Wrapper[T any](items []T) Tree {
	w := Tree{"Quantity": strconv.Itoa(len(items))}
	if len(items) > 0 {
		list := make([]any, len(items))
		for i, it := range items {
			list[i] = it
		}
		w["Items"] = list
	}
	return w
}

// Clone returns a deep copy of a tree.
func Clone(t Tree) Tree {
	if t == nil {
		return nil
	}
	return cloneValue(t).(map[string]any)
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = cloneValue(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = cloneValue(e)
		}
		return l
	default:
		return v
	}
}
