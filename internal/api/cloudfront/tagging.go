package cloudfront

import (
	"net/http"

	"openfront/internal/api/awsproto"
)

// tagging serves POST /tagging?Operation=Tag (TagResource) and
// ?Operation=Untag (UntagResource).
func (h *Handler) tagging(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	arn := q.Get("Resource")
	switch q.Get("Operation") {
	case "Tag":
		t, err := h.decode(r, "Tags", "Tags")
		if err != nil {
			return err
		}
		if err := h.control.TagResource(r.Context(), arn, tagsFromTree(t)); err != nil {
			return err
		}
	case "Untag":
		t, err := h.decode(r, "TagKeys", "TagKeys")
		if err != nil {
			return err
		}
		keys, _ := t["Items"].([]any)
		var names []string
		for _, k := range keys {
			if s, ok := k.(string); ok {
				names = append(names, s)
			}
		}
		if err := h.control.UntagResource(r.Context(), arn, names); err != nil {
			return err
		}
	default:
		return awsproto.Errorf(http.StatusBadRequest, "InvalidArgument", "The parameter Operation must be Tag or Untag.")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listTagsForResource(w http.ResponseWriter, r *http.Request) error {
	tags, err := h.control.ListTags(r.Context(), r.URL.Query().Get("Resource"))
	if err != nil {
		return err
	}
	return h.write(w, r, http.StatusOK, "Tags", "Tags", tagsTree(tags))
}
