package shape

// Merge applies update, a tree decoded with this model, to stored, a tree of
// the same-named shape that may carry members this model lacks (for example
// a 2020 document updated through 2016). It returns the new tree:
//
//   - a member of this model's shape that is present in update is taken from
//     update; structures are merged recursively with stored's value, lists of
//     structures item by item (below), lists of scalars and scalars replaced;
//   - a member of this model's shape that is absent from update is removed,
//     because an update replaces the whole configuration;
//   - a member this model's shape does not have is kept from stored, and so
//     is one absent from update whose stored value is not in this model's
//     enum for it (Encode does not show it to this version).
//
// An update item of a list of structures is merged with the stored item of
// the same identity: the value of the first of Id, PathPattern, ErrorCode,
// HeaderName or DomainName that the item shape has, else the same index. So a
// 2016 update that keeps an origin keeps its 2020-only settings too. Members
// of update unknown to this model are ignored. Quantity needs no care: the
// update's own Quantity is taken with its Items.
//
// The result shares unchanged values with stored and update; treat all three
// as read-only. Merge with an unknown or non-structure shapeName returns update.
func (m *Model) Merge(stored, update map[string]any, shapeName string) map[string]any {
	sd, ok := m.shapes[shapeName]
	if !ok || sd.typ != "structure" {
		return update
	}
	return mergeStructure(sd, stored, update)
}

func mergeStructure(sd *shapeDef, stored, update map[string]any) map[string]any {
	out := make(map[string]any, len(update)+len(stored))
	for name, v := range stored {
		if _, known := sd.byName[name]; !known {
			out[name] = v
		}
	}
	for _, md := range sd.members {
		if v, ok := update[md.name]; ok {
			out[md.name] = mergeValue(md.target, stored[md.name], v)
		} else if sv, ok := stored[md.name]; ok && outsideEnum(md.target, sv) {
			out[md.name] = sv // Encode hid it from this version
		}
	}
	return out
}

func mergeValue(sd *shapeDef, stored, update any) any {
	switch sd.typ {
	case "structure":
		s, ok1 := stored.(map[string]any)
		u, ok2 := update.(map[string]any)
		if ok1 && ok2 {
			return mergeStructure(sd, s, u)
		}
	case "list":
		if sd.item.target.typ == "structure" {
			s, ok1 := stored.([]any)
			u, ok2 := update.([]any)
			if ok1 && ok2 {
				return mergeItems(sd.item.target, s, u)
			}
		}
	}
	return update
}

// mergeItems merges each update item with its stored counterpart.
func mergeItems(item *shapeDef, stored, update []any) []any {
	out := make([]any, len(update))
	for i, u := range update {
		um, ok := u.(map[string]any)
		if !ok {
			out[i] = u
			continue
		}
		var match map[string]any
		if item.identity == "" {
			if i < len(stored) {
				match, _ = stored[i].(map[string]any)
			}
		} else if id, ok := um[item.identity].(string); ok {
			for _, s := range stored {
				if sm, ok := s.(map[string]any); ok && sm[item.identity] == any(id) {
					match = sm
					break
				}
			}
		}
		if match == nil {
			out[i] = um
			continue
		}
		out[i] = mergeStructure(item, match, um)
	}
	return out
}
