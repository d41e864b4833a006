package cloudfront

import (
	"net/http"
	"strconv"

	"openfront/internal/control"
	"openfront/internal/model"
)

// Real-time log configurations (2020-05-31). Get, Delete and
// ListDistributionsByRealtimeLogConfig are POSTs whose body names the
// configuration (Name or ARN); the results of Create, Get and Update have
// no payload member, so their document's root is the result shape
// (CreateRealtimeLogConfigResult, ...), as the API Reference shows.

func (h *Handler) createRealtimeLogConfig(w http.ResponseWriter, r *http.Request) error {
	t, err := h.decode(r, "CreateRealtimeLogConfigRequest", "CreateRealtimeLogConfigRequest")
	if err != nil {
		return err
	}
	rec, err := h.control.CreateRealtimeLogConfig(r.Context(), t)
	if err != nil {
		return err
	}
	return h.writeRealtimeLogConfig(w, r, http.StatusCreated, "CreateRealtimeLogConfigResult", rec)
}

func (h *Handler) getRealtimeLogConfig(w http.ResponseWriter, r *http.Request) error {
	ref, err := h.realtimeLogConfigRef(r, "GetRealtimeLogConfigRequest")
	if err != nil {
		return err
	}
	rec, err := h.control.GetRealtimeLogConfig(r.Context(), ref)
	if err != nil {
		return err
	}
	return h.writeRealtimeLogConfig(w, r, http.StatusOK, "GetRealtimeLogConfigResult", rec)
}

func (h *Handler) updateRealtimeLogConfig(w http.ResponseWriter, r *http.Request) error {
	t, err := h.decode(r, "UpdateRealtimeLogConfigRequest", "UpdateRealtimeLogConfigRequest")
	if err != nil {
		return err
	}
	rec, err := h.control.UpdateRealtimeLogConfig(r.Context(), t)
	if err != nil {
		return err
	}
	return h.writeRealtimeLogConfig(w, r, http.StatusOK, "UpdateRealtimeLogConfigResult", rec)
}

func (h *Handler) deleteRealtimeLogConfig(w http.ResponseWriter, r *http.Request) error {
	ref, err := h.realtimeLogConfigRef(r, "DeleteRealtimeLogConfigRequest")
	if err != nil {
		return err
	}
	if err := h.control.DeleteRealtimeLogConfig(r.Context(), ref); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listRealtimeLogConfigs(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r, 100)
	if err != nil {
		return err
	}
	recs, p, err := h.control.ListRealtimeLogConfigs(r.Context(), opts)
	if err != nil {
		return err
	}
	items := make([]any, len(recs))
	for i, rec := range recs {
		items[i] = rec.Tree()
	}
	t := model.Tree{
		"MaxItems":    strconv.Itoa(p.MaxItems),
		"IsTruncated": strconv.FormatBool(p.IsTruncated),
		"Marker":      p.Marker,
		"Items":       items,
	}
	if p.NextMarker != "" {
		t["NextMarker"] = p.NextMarker
	}
	return h.write(w, r, http.StatusOK, "RealtimeLogConfigs", "RealtimeLogConfigs", t)
}

// listDistributionsByRealtimeLogConfig takes its paging members in the
// body, not the query string (botocore's model).
func (h *Handler) listDistributionsByRealtimeLogConfig(w http.ResponseWriter, r *http.Request) error {
	t, err := h.decode(r, "ListDistributionsByRealtimeLogConfigRequest", "ListDistributionsByRealtimeLogConfigRequest")
	if err != nil {
		return err
	}
	opts, err := bodyListOptions(t)
	if err != nil {
		return err
	}
	ref := control.RealtimeLogConfigRef{Name: model.StrOr(t, "", "RealtimeLogConfigName"), ARN: model.StrOr(t, "", "RealtimeLogConfigArn")}
	ids, err := h.control.DistributionsUsingRealtimeLogConfig(r.Context(), ref)
	if err != nil {
		return err
	}
	ds, p, err := h.control.ListDistributionsWithIDs(r.Context(), opts, ids)
	if err != nil {
		return err
	}
	return h.writeDistributions(w, r, ds, p)
}

// realtimeLogConfigRef reads the Name and ARN of a Get or Delete request.
func (h *Handler) realtimeLogConfigRef(r *http.Request, root string) (control.RealtimeLogConfigRef, error) {
	t, err := h.decode(r, root, root)
	if err != nil {
		return control.RealtimeLogConfigRef{}, err
	}
	return control.RealtimeLogConfigRef{Name: model.StrOr(t, "", "Name"), ARN: model.StrOr(t, "", "ARN")}, nil
}

func (h *Handler) writeRealtimeLogConfig(w http.ResponseWriter, r *http.Request, status int, root string, rec *model.RealtimeLogConfigRecord) error {
	return h.write(w, r, status, root, root, model.Tree{"RealtimeLogConfig": rec.Tree()})
}
