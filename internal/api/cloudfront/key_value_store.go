package cloudfront

import (
	"net/http"
	"strconv"

	"openfront/internal/control"
	"openfront/internal/model"
)

// KeyValueStore resources (2020-05-31 model: CreateKeyValueStore,
// DescribeKeyValueStore, UpdateKeyValueStore, DeleteKeyValueStore,
// ListKeyValueStores).

func (h *Handler) createKeyValueStore(w http.ResponseWriter, r *http.Request) error {
	req, err := h.decode(r, "CreateKeyValueStoreRequest", "CreateKeyValueStoreRequest")
	if err != nil {
		return err
	}
	in := control.KVSInput{Name: model.StrOr(req, "", "Name"), Comment: model.StrOr(req, "", "Comment")}
	if src := model.Sub(req, "ImportSource"); src != nil {
		in.ImportSource = &model.KeyValueStoreImportSource{SourceType: model.StrOr(src, "", "SourceType"), SourceARN: model.StrOr(src, "", "SourceARN")}
	}
	for _, t := range model.StructItems(req, "Tags") {
		in.Tags = append(in.Tags, control.Tag{Key: model.StrOr(t, "", "Key"), Value: model.StrOr(t, "", "Value")})
	}
	kvs, err := h.control.CreateKeyValueStore(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", location(r, "/key-value-store/"+kvs.Name))
	w.Header().Set("ETag", kvs.ETag)
	return h.write(w, r, http.StatusCreated, "KeyValueStore", "KeyValueStore", kvsTree(kvs))
}

func (h *Handler) describeKeyValueStore(w http.ResponseWriter, r *http.Request) error {
	kvs, err := h.control.DescribeKeyValueStore(r.Context(), r.PathValue("Name"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", kvs.ETag)
	return h.write(w, r, http.StatusOK, "KeyValueStore", "KeyValueStore", kvsTree(kvs))
}

func (h *Handler) updateKeyValueStore(w http.ResponseWriter, r *http.Request) error {
	req, err := h.decode(r, "UpdateKeyValueStoreRequest", "UpdateKeyValueStoreRequest")
	if err != nil {
		return err
	}
	kvs, err := h.control.UpdateKeyValueStore(r.Context(), r.PathValue("Name"), ifMatch(r), model.StrOr(req, "", "Comment"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", kvs.ETag)
	return h.write(w, r, http.StatusOK, "KeyValueStore", "KeyValueStore", kvsTree(kvs))
}

func (h *Handler) deleteKeyValueStore(w http.ResponseWriter, r *http.Request) error {
	if err := h.control.DeleteKeyValueStore(r.Context(), r.PathValue("Name"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listKeyValueStores(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r, 0)
	if err != nil {
		return err
	}
	stores, p, err := h.control.ListKeyValueStores(r.Context(), r.URL.Query().Get("Status"), opts)
	if err != nil {
		return err
	}
	items := make([]any, len(stores))
	for i, kvs := range stores {
		items[i] = kvsTree(kvs)
	}
	t := model.Tree{"MaxItems": strconv.Itoa(p.MaxItems), "Quantity": strconv.Itoa(len(items))}
	if p.IsTruncated {
		t["NextMarker"] = p.NextMarker
	}
	if len(items) > 0 {
		t["Items"] = items
	}
	return h.write(w, r, http.StatusOK, "KeyValueStoreList", "KeyValueStoreList", t)
}

// kvsTree is a KeyValueStore as CreateKeyValueStore, DescribeKeyValueStore,
// UpdateKeyValueStore and ListKeyValueStores show it. A store without a
// comment has no Comment element, as CloudFront answers (clients such as
// Terraform's aws_cloudfront_key_value_store read an empty element as a
// comment ""), although botocore's model lists Comment among
// KeyValueStore's required members.
func kvsTree(kvs *control.KeyValueStore) model.Tree {
	t := model.Tree{"Name": kvs.Name, "Id": kvs.ID, "ARN": kvs.ARN,
		"Status": kvs.Status, "LastModifiedTime": timestamp(kvs.LastModified)}
	if kvs.Comment != "" {
		t["Comment"] = kvs.Comment
	}
	return t
}
