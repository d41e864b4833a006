package cloudfront

import (
	"net/http"

	"openfront/internal/control"
	"openfront/internal/model"
)

func (h *Handler) createInvalidation(w http.ResponseWriter, r *http.Request) error {
	distID := r.PathValue("DistributionId")
	// An unknown distribution is reported before the body is looked at.
	if _, err := h.control.GetDistribution(r.Context(), distID); err != nil {
		return err
	}
	batch, err := h.decode(r, "InvalidationBatch", "InvalidationBatch")
	if err != nil {
		return err
	}
	inv, _, err := h.control.CreateInvalidation(r.Context(), distID, model.StrOr(batch, "", "CallerReference"), model.StringItems(batch, "Paths"))
	if err != nil {
		return err
	}
	w.Header().Set("Location", location(r, "/distribution/"+distID+"/invalidation/"+inv.ID))
	return h.write(w, r, http.StatusCreated, "Invalidation", "Invalidation", invalidationTree(inv))
}

func (h *Handler) getInvalidation(w http.ResponseWriter, r *http.Request) error {
	inv, err := h.control.GetInvalidation(r.Context(), r.PathValue("DistributionId"), r.PathValue("Id"))
	if err != nil {
		return err
	}
	return h.write(w, r, http.StatusOK, "Invalidation", "Invalidation", invalidationTree(inv))
}

func (h *Handler) listInvalidations(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r, 0)
	if err != nil {
		return err
	}
	invs, p, err := h.control.ListInvalidations(r.Context(), r.PathValue("DistributionId"), opts)
	if err != nil {
		return err
	}
	items := make([]any, len(invs))
	for i, inv := range invs {
		items[i] = model.Tree{"Id": inv.ID, "CreateTime": timestamp(inv.CreateTime), "Status": inv.Status}
	}
	return h.write(w, r, http.StatusOK, "InvalidationList", "InvalidationList", listTree(p, items))
}

func invalidationTree(inv *control.Invalidation) model.Tree {
	return model.Tree{
		"Id":         inv.ID,
		"Status":     inv.Status,
		"CreateTime": timestamp(inv.CreateTime),
		"InvalidationBatch": model.Tree{
			"Paths":           model.Wrapper(inv.Paths),
			"CallerReference": inv.CallerReference,
		},
	}
}
