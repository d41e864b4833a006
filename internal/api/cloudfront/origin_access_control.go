package cloudfront

import (
	"net/http"

	"openfront/internal/control"
	"openfront/internal/model"
)

const oacConfig = "OriginAccessControlConfig"

func (h *Handler) createOAC(w http.ResponseWriter, r *http.Request) error {
	cfg, err := h.decode(r, oacConfig, oacConfig)
	if err != nil {
		return err
	}
	o, err := h.control.CreateOriginAccessControl(r.Context(), cfg)
	if err != nil {
		return err
	}
	w.Header().Set("Location", location(r, "/origin-access-control/"+o.ID))
	w.Header().Set("ETag", o.ETag)
	return h.write(w, r, http.StatusCreated, "OriginAccessControl", "OriginAccessControl", oacTree(o))
}

func (h *Handler) getOAC(w http.ResponseWriter, r *http.Request) error {
	o, err := h.control.GetOriginAccessControl(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", o.ETag)
	return h.write(w, r, http.StatusOK, "OriginAccessControl", "OriginAccessControl", oacTree(o))
}

func (h *Handler) getOACConfig(w http.ResponseWriter, r *http.Request) error {
	o, err := h.control.GetOriginAccessControl(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", o.ETag)
	return h.write(w, r, http.StatusOK, oacConfig, oacConfig, o.Config)
}

func (h *Handler) updateOAC(w http.ResponseWriter, r *http.Request) error {
	body := h.decodeOnce(r, oacConfig, oacConfig)
	o, err := h.control.UpdateOriginAccessControl(r.Context(), r.PathValue("Id"), ifMatch(r), func(model.Tree) (model.Tree, error) {
		return body()
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", o.ETag)
	return h.write(w, r, http.StatusOK, "OriginAccessControl", "OriginAccessControl", oacTree(o))
}

func (h *Handler) deleteOAC(w http.ResponseWriter, r *http.Request) error {
	if err := h.control.DeleteOriginAccessControl(r.Context(), r.PathValue("Id"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listOACs(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r, 0)
	if err != nil {
		return err
	}
	os, p, err := h.control.ListOriginAccessControls(r.Context(), opts)
	if err != nil {
		return err
	}
	items := make([]any, len(os))
	for i, o := range os {
		s := model.Clone(o.Config)
		s["Id"] = o.ID
		items[i] = s
	}
	return h.write(w, r, http.StatusOK, "OriginAccessControlList", "OriginAccessControlList", listTree(p, items))
}

func oacTree(o *control.OAC) model.Tree {
	return model.Tree{"Id": o.ID, oacConfig: o.Config}
}
