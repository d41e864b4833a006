package model_test

import (
	"strings"
	"testing"

	"openfront/internal/model"
)

func sampleTree() model.Tree {
	return model.Tree{
		"Name":    "n",
		"Enabled": "true",
		"Off":     "false",
		"Count":   "42",
		"Bad":     "4x",
		"Nested":  model.Tree{"Deep": model.Tree{"Leaf": "v"}},
		"Aliases": model.Tree{"Quantity": "2", "Items": []any{"a.example.com", "b.example.com"}},
		"Mixed":   model.Tree{"Quantity": "3", "Items": []any{"s", model.Tree{"Id": "x"}, 7}},
		"Empty":   model.Tree{"Quantity": "0", "Items": []any{}},
		"Scalar":  model.Tree{"Items": "not a list"},
	}
}

func TestTree_accessors(t *testing.T) {
	tr := sampleTree()
	t.Run("Sub", func(t *testing.T) {
		if model.Sub(tr, "Nested", "Deep")["Leaf"] != "v" {
			t.Error("Sub Nested.Deep")
		}
		if model.Sub(tr) == nil {
			t.Error("Sub with no path must return the tree")
		}
		for _, p := range [][]string{{"Missing"}, {"Name"}, {"Nested", "Missing", "Leaf"}} {
			if model.Sub(tr, p...) != nil {
				t.Errorf("Sub(%v) != nil", p)
			}
		}
		if model.Sub(nil, "x") != nil {
			t.Error("Sub(nil)")
		}
	})
	t.Run("Str", func(t *testing.T) {
		if s, ok := model.Str(tr, "Nested", "Deep", "Leaf"); s != "v" || !ok {
			t.Errorf("Str leaf = %q, %v", s, ok)
		}
		if _, ok := model.Str(tr, "Nested"); ok {
			t.Error("Str of a structure must be absent")
		}
		if _, ok := model.Str(tr); ok {
			t.Error("Str with no path must be absent")
		}
		if _, ok := model.Str(tr, "Missing", "Leaf"); ok {
			t.Error("Str under a missing parent")
		}
		if model.StrOr(tr, "def", "Missing") != "def" || model.StrOr(tr, "def", "Name") != "n" {
			t.Error("StrOr")
		}
	})
	t.Run("Bool", func(t *testing.T) {
		if !model.Bool(tr, "Enabled") || model.Bool(tr, "Off") || model.Bool(tr, "Missing") || model.Bool(tr, "Name") {
			t.Error("Bool")
		}
	})
	t.Run("Int", func(t *testing.T) {
		if n, ok := model.Int(tr, "Count"); n != 42 || !ok {
			t.Errorf("Int(Count) = %d, %v", n, ok)
		}
		if _, ok := model.Int(tr, "Bad"); ok {
			t.Error("Int of 4x must not be ok")
		}
		if _, ok := model.Int(tr, "Missing"); ok {
			t.Error("Int of a missing member")
		}
	})
	t.Run("Items", func(t *testing.T) {
		if got := model.StringItems(tr, "Aliases"); strings.Join(got, ",") != "a.example.com,b.example.com" {
			t.Errorf("StringItems = %v", got)
		}
		if got := model.StringItems(tr, "Mixed"); len(got) != 1 || got[0] != "s" {
			t.Errorf("StringItems skips non-strings: %v", got)
		}
		if got := model.StructItems(tr, "Mixed"); len(got) != 1 || got[0]["Id"] != "x" {
			t.Errorf("StructItems keeps structures only: %v", got)
		}
		if model.StringItems(tr, "Empty") != nil || model.StructItems(tr, "Empty") != nil {
			t.Error("empty Items must give nil")
		}
		if model.Items(tr, "Scalar") != nil || model.Items(tr, "Missing") != nil {
			t.Error("Items of a non-list or missing wrapper")
		}
	})
}

func TestWrapper(t *testing.T) {
	w := model.Wrapper([]string{"a", "b"})
	if w["Quantity"] != "2" || len(w["Items"].([]any)) != 2 {
		t.Errorf("Wrapper = %v", w)
	}
	if got := model.StringItems(model.Tree{"W": w}, "W"); strings.Join(got, ",") != "a,b" {
		t.Errorf("round trip = %v", got)
	}
	empty := model.Wrapper[string](nil)
	if _, has := empty["Items"]; has || empty["Quantity"] != "0" {
		t.Errorf("empty Wrapper = %v, want Quantity 0 and no Items", empty)
	}
}

func TestClone_deep(t *testing.T) {
	orig := sampleTree()
	cp := model.Clone(orig)
	if !equalTrees(orig, cp) {
		t.Fatal("clone differs from the original")
	}
	model.Sub(cp, "Nested", "Deep")["Leaf"] = "changed"
	model.Items(cp, "Aliases")[0] = "changed.example.com"
	cp["Name"] = "changed"
	if !equalTrees(orig, sampleTree()) {
		t.Error("changing the clone changed the original")
	}
	if model.Clone(nil) != nil {
		t.Error("Clone(nil) != nil")
	}
}
