package cloudfront

import (
	"net/http"

	"openfront/internal/control"
	"openfront/internal/model"
)

// Field-level encryption configurations and profiles (2020-05-31): the
// usual Create/Get/GetConfig/Update/Delete/List, with ETags and If-Match.

const (
	fleConfigRoot  = "FieldLevelEncryptionConfig"
	fleProfileRoot = "FieldLevelEncryptionProfileConfig"
)

func (h *Handler) createFLEConfig(w http.ResponseWriter, r *http.Request) error {
	cfg, err := h.decode(r, fleConfigRoot, fleConfigRoot)
	if err != nil {
		return err
	}
	res, _, err := h.control.CreateFLEConfig(r.Context(), cfg)
	if err != nil {
		return err
	}
	w.Header().Set("Location", location(r, "/field-level-encryption/"+res.ID))
	w.Header().Set("ETag", res.ETag)
	return h.write(w, r, http.StatusCreated, "FieldLevelEncryption", "FieldLevelEncryption", fleTree(res, fleConfigRoot))
}

func (h *Handler) getFLEConfig(w http.ResponseWriter, r *http.Request) error {
	res, err := h.control.GetFLEConfig(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", res.ETag)
	return h.write(w, r, http.StatusOK, "FieldLevelEncryption", "FieldLevelEncryption", fleTree(res, fleConfigRoot))
}

func (h *Handler) getFLEConfigConfig(w http.ResponseWriter, r *http.Request) error {
	res, err := h.control.GetFLEConfig(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", res.ETag)
	return h.write(w, r, http.StatusOK, fleConfigRoot, fleConfigRoot, res.Record.Config)
}

func (h *Handler) updateFLEConfig(w http.ResponseWriter, r *http.Request) error {
	body := h.decodeOnce(r, fleConfigRoot, fleConfigRoot)
	res, err := h.control.UpdateFLEConfig(r.Context(), r.PathValue("Id"), ifMatch(r), func(model.Tree) (model.Tree, error) {
		return body()
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", res.ETag)
	return h.write(w, r, http.StatusOK, "FieldLevelEncryption", "FieldLevelEncryption", fleTree(res, fleConfigRoot))
}

func (h *Handler) deleteFLEConfig(w http.ResponseWriter, r *http.Request) error {
	if err := h.control.DeleteFLEConfig(r.Context(), r.PathValue("Id"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listFLEConfigs(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r, 0)
	if err != nil {
		return err
	}
	list, p, err := h.control.ListFLEConfigs(r.Context(), opts)
	if err != nil {
		return err
	}
	items := make([]any, len(list))
	for i, res := range list {
		s := model.Tree{"Id": res.ID, "LastModifiedTime": timestamp(res.Record.LastModified)}
		for _, m := range []string{"Comment", "QueryArgProfileConfig", "ContentTypeProfileConfig"} {
			if v, ok := res.Record.Config[m]; ok {
				s[m] = v
			}
		}
		items[i] = s
	}
	return h.write(w, r, http.StatusOK, "FieldLevelEncryptionList", "FieldLevelEncryptionList", shortListTree(p, items))
}

func (h *Handler) createFLEProfile(w http.ResponseWriter, r *http.Request) error {
	cfg, err := h.decode(r, fleProfileRoot, fleProfileRoot)
	if err != nil {
		return err
	}
	res, _, err := h.control.CreateFLEProfile(r.Context(), cfg)
	if err != nil {
		return err
	}
	w.Header().Set("Location", location(r, "/field-level-encryption-profile/"+res.ID))
	w.Header().Set("ETag", res.ETag)
	return h.write(w, r, http.StatusCreated, "FieldLevelEncryptionProfile", "FieldLevelEncryptionProfile", fleTree(res, fleProfileRoot))
}

func (h *Handler) getFLEProfile(w http.ResponseWriter, r *http.Request) error {
	res, err := h.control.GetFLEProfile(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", res.ETag)
	return h.write(w, r, http.StatusOK, "FieldLevelEncryptionProfile", "FieldLevelEncryptionProfile", fleTree(res, fleProfileRoot))
}

func (h *Handler) getFLEProfileConfig(w http.ResponseWriter, r *http.Request) error {
	res, err := h.control.GetFLEProfile(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", res.ETag)
	return h.write(w, r, http.StatusOK, fleProfileRoot, fleProfileRoot, res.Record.Config)
}

func (h *Handler) updateFLEProfile(w http.ResponseWriter, r *http.Request) error {
	body := h.decodeOnce(r, fleProfileRoot, fleProfileRoot)
	res, err := h.control.UpdateFLEProfile(r.Context(), r.PathValue("Id"), ifMatch(r), func(model.Tree) (model.Tree, error) {
		return body()
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", res.ETag)
	return h.write(w, r, http.StatusOK, "FieldLevelEncryptionProfile", "FieldLevelEncryptionProfile", fleTree(res, fleProfileRoot))
}

func (h *Handler) deleteFLEProfile(w http.ResponseWriter, r *http.Request) error {
	if err := h.control.DeleteFLEProfile(r.Context(), r.PathValue("Id"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listFLEProfiles(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r, 0)
	if err != nil {
		return err
	}
	list, p, err := h.control.ListFLEProfiles(r.Context(), opts)
	if err != nil {
		return err
	}
	items := make([]any, len(list))
	for i, res := range list {
		cfg := res.Record.Config
		s := model.Tree{"Id": res.ID, "LastModifiedTime": timestamp(res.Record.LastModified), "Name": cfg["Name"], "EncryptionEntities": cfg["EncryptionEntities"]}
		if c, ok := cfg["Comment"]; ok {
			s["Comment"] = c
		}
		items[i] = s
	}
	return h.write(w, r, http.StatusOK, "FieldLevelEncryptionProfileList", "FieldLevelEncryptionProfileList", shortListTree(p, items))
}

// fleTree is a FieldLevelEncryption or FieldLevelEncryptionProfile.
func fleTree(res *control.FLEResource, configMember string) model.Tree {
	return model.Tree{"Id": res.ID, "LastModifiedTime": timestamp(res.Record.LastModified), configMember: res.Record.Config}
}
