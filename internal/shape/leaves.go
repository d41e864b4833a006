package shape

// LeafPaths returns the path of every scalar member below a structure
// shape, in model order: members joined by ".", a list's items marked
// "[]" after the list's name (e.g. "Origins.Items[].Id"). Header, URI and
// query members are left out; a shape that contains itself is walked once
// per branch.
func (m *Model) LeafPaths(shapeName string) []string {
	sd, ok := m.shapes[shapeName]
	if !ok {
		return nil
	}
	var out []string
	var walk func(sd *shapeDef, path string, seen map[*shapeDef]bool)
	walk = func(sd *shapeDef, path string, seen map[*shapeDef]bool) {
		if seen[sd] {
			return
		}
		switch sd.typ {
		case "structure":
			seen[sd] = true
			for _, md := range sd.members {
				if md.location != "" {
					continue
				}
				p := md.name
				if path != "" {
					p = path + "." + md.name
				}
				walk(md.target, p, seen)
			}
			delete(seen, sd)
		case "list":
			walk(sd.item.target, path+"[]", seen)
		default:
			out = append(out, path)
		}
	}
	walk(sd, "", map[*shapeDef]bool{})
	return out
}
