package cloudfront

import (
	"net/http"

	"openfront/internal/control"
	"openfront/internal/model"
)

const keyGroupConfig = "KeyGroupConfig"

func (h *Handler) createKeyGroup(w http.ResponseWriter, r *http.Request) error {
	cfg, err := h.decode(r, keyGroupConfig, keyGroupConfig)
	if err != nil {
		return err
	}
	kg, err := h.control.CreateKeyGroup(r.Context(), cfg)
	if err != nil {
		return err
	}
	w.Header().Set("Location", location(r, "/key-group/"+kg.ID))
	w.Header().Set("ETag", kg.ETag)
	return h.write(w, r, http.StatusCreated, "KeyGroup", "KeyGroup", keyGroupTree(kg))
}

func (h *Handler) getKeyGroup(w http.ResponseWriter, r *http.Request) error {
	kg, err := h.control.GetKeyGroup(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", kg.ETag)
	return h.write(w, r, http.StatusOK, "KeyGroup", "KeyGroup", keyGroupTree(kg))
}

func (h *Handler) getKeyGroupConfig(w http.ResponseWriter, r *http.Request) error {
	kg, err := h.control.GetKeyGroup(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", kg.ETag)
	return h.write(w, r, http.StatusOK, keyGroupConfig, keyGroupConfig, kg.Config)
}

func (h *Handler) updateKeyGroup(w http.ResponseWriter, r *http.Request) error {
	body := h.decodeOnce(r, keyGroupConfig, keyGroupConfig)
	kg, err := h.control.UpdateKeyGroup(r.Context(), r.PathValue("Id"), ifMatch(r), func(model.Tree) (model.Tree, error) {
		return body()
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", kg.ETag)
	return h.write(w, r, http.StatusOK, "KeyGroup", "KeyGroup", keyGroupTree(kg))
}

func (h *Handler) deleteKeyGroup(w http.ResponseWriter, r *http.Request) error {
	if err := h.control.DeleteKeyGroup(r.Context(), r.PathValue("Id"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listKeyGroups(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r, 0)
	if err != nil {
		return err
	}
	kgs, p, err := h.control.ListKeyGroups(r.Context(), opts)
	if err != nil {
		return err
	}
	items := make([]any, len(kgs))
	for i, kg := range kgs {
		items[i] = model.Tree{"KeyGroup": keyGroupTree(kg)}
	}
	return h.write(w, r, http.StatusOK, "KeyGroupList", "KeyGroupList", shortListTree(p, items))
}

func keyGroupTree(kg *control.KeyGroup) model.Tree {
	return model.Tree{"Id": kg.ID, "LastModifiedTime": timestamp(kg.LastModified), keyGroupConfig: kg.Config}
}
