package cloudfront

import (
	"net/http"

	"openfront/internal/control"
	"openfront/internal/model"
)

const oaiConfig = "CloudFrontOriginAccessIdentityConfig"

func (h *Handler) createOAI(w http.ResponseWriter, r *http.Request) error {
	cfg, err := h.decode(r, oaiConfig, oaiConfig)
	if err != nil {
		return err
	}
	o, _, err := h.control.CreateOAI(r.Context(), cfg)
	if err != nil {
		return err
	}
	w.Header().Set("Location", location(r, "/origin-access-identity/cloudfront/"+o.ID))
	w.Header().Set("ETag", o.ETag)
	return h.write(w, r, http.StatusCreated, "CloudFrontOriginAccessIdentity", "CloudFrontOriginAccessIdentity", oaiTree(o))
}

func (h *Handler) getOAI(w http.ResponseWriter, r *http.Request) error {
	o, err := h.control.GetOAI(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", o.ETag)
	return h.write(w, r, http.StatusOK, "CloudFrontOriginAccessIdentity", "CloudFrontOriginAccessIdentity", oaiTree(o))
}

func (h *Handler) getOAIConfig(w http.ResponseWriter, r *http.Request) error {
	o, err := h.control.GetOAI(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", o.ETag)
	return h.write(w, r, http.StatusOK, oaiConfig, oaiConfig, o.Config)
}

func (h *Handler) updateOAI(w http.ResponseWriter, r *http.Request) error {
	m := h.model(r)
	body := h.decodeOnce(r, oaiConfig, oaiConfig)
	o, err := h.control.UpdateOAI(r.Context(), r.PathValue("Id"), ifMatch(r), func(stored model.Tree) (model.Tree, error) {
		cfg, err := body()
		if err != nil {
			return nil, err
		}
		return m.Merge(stored, cfg, oaiConfig), nil
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", o.ETag)
	return h.write(w, r, http.StatusOK, "CloudFrontOriginAccessIdentity", "CloudFrontOriginAccessIdentity", oaiTree(o))
}

func (h *Handler) deleteOAI(w http.ResponseWriter, r *http.Request) error {
	if err := h.control.DeleteOAI(r.Context(), r.PathValue("Id"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listOAIs(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r, 0)
	if err != nil {
		return err
	}
	os, p, err := h.control.ListOAIs(r.Context(), opts)
	if err != nil {
		return err
	}
	items := make([]any, len(os))
	for i, o := range os {
		items[i] = model.Tree{"Id": o.ID, "S3CanonicalUserId": o.S3CanonicalUserID, "Comment": model.StrOr(o.Config, "", "Comment")}
	}
	return h.write(w, r, http.StatusOK, "CloudFrontOriginAccessIdentityList", "CloudFrontOriginAccessIdentityList", listTree(p, items))
}

func oaiTree(o *control.OAI) model.Tree {
	return model.Tree{"Id": o.ID, "S3CanonicalUserId": o.S3CanonicalUserID, oaiConfig: o.Config}
}
