package cloudfront

import (
	"net/http"

	"openfront/internal/control"
	"openfront/internal/model"
)

const publicKeyConfig = "PublicKeyConfig"

func (h *Handler) createPublicKey(w http.ResponseWriter, r *http.Request) error {
	cfg, err := h.decode(r, publicKeyConfig, publicKeyConfig)
	if err != nil {
		return err
	}
	pk, _, err := h.control.CreatePublicKey(r.Context(), cfg)
	if err != nil {
		return err
	}
	w.Header().Set("Location", location(r, "/public-key/"+pk.ID))
	w.Header().Set("ETag", pk.ETag)
	return h.write(w, r, http.StatusCreated, "PublicKey", "PublicKey", publicKeyTree(pk))
}

func (h *Handler) getPublicKey(w http.ResponseWriter, r *http.Request) error {
	pk, err := h.control.GetPublicKey(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", pk.ETag)
	return h.write(w, r, http.StatusOK, "PublicKey", "PublicKey", publicKeyTree(pk))
}

func (h *Handler) getPublicKeyConfig(w http.ResponseWriter, r *http.Request) error {
	pk, err := h.control.GetPublicKey(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", pk.ETag)
	return h.write(w, r, http.StatusOK, publicKeyConfig, publicKeyConfig, pk.Config)
}

func (h *Handler) updatePublicKey(w http.ResponseWriter, r *http.Request) error {
	body := h.decodeOnce(r, publicKeyConfig, publicKeyConfig)
	pk, err := h.control.UpdatePublicKey(r.Context(), r.PathValue("Id"), ifMatch(r), func(model.Tree) (model.Tree, error) {
		return body()
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", pk.ETag)
	return h.write(w, r, http.StatusOK, "PublicKey", "PublicKey", publicKeyTree(pk))
}

func (h *Handler) deletePublicKey(w http.ResponseWriter, r *http.Request) error {
	if err := h.control.DeletePublicKey(r.Context(), r.PathValue("Id"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listPublicKeys(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r, 0)
	if err != nil {
		return err
	}
	pks, p, err := h.control.ListPublicKeys(r.Context(), opts)
	if err != nil {
		return err
	}
	items := make([]any, len(pks))
	for i, pk := range pks {
		s := model.Tree{
			"Id":          pk.ID,
			"Name":        pk.Config["Name"],
			"CreatedTime": timestamp(pk.CreatedTime),
			"EncodedKey":  pk.Config["EncodedKey"],
		}
		if c, ok := pk.Config["Comment"]; ok {
			s["Comment"] = c
		}
		items[i] = s
	}
	return h.write(w, r, http.StatusOK, "PublicKeyList", "PublicKeyList", shortListTree(p, items))
}

func publicKeyTree(pk *control.PublicKey) model.Tree {
	return model.Tree{"Id": pk.ID, "CreatedTime": timestamp(pk.CreatedTime), publicKeyConfig: pk.Config}
}

// shortListTree is the paging wrapper of PublicKeyList and KeyGroupList,
// which have only NextMarker, MaxItems, Quantity and Items ("PublicKeyList"
// and "ListPublicKeys" in the Amazon CloudFront API Reference).
func shortListTree(p control.Page, items []any) model.Tree {
	t := listTree(p, items)
	delete(t, "Marker")
	delete(t, "IsTruncated")
	return t
}
