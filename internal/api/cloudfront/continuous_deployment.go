package cloudfront

import (
	"net/http"
	"strconv"
	"strings"

	"openfront/internal/control"
	"openfront/internal/model"
)

// Continuous deployment (2020-05-31): staging distributions
// (CopyDistribution, UpdateDistributionWithStagingConfig) and continuous
// deployment policies.

const cdPolicyConfig = "ContinuousDeploymentPolicyConfig"

// copyDistribution: POST /distribution/{PrimaryDistributionId}/copy with
// the headers Staging and If-Match (the primary's ETag) and a
// CopyDistributionRequest body (CallerReference, Enabled).
func (h *Handler) copyDistribution(w http.ResponseWriter, r *http.Request) error {
	t, err := h.decode(r, "CopyDistributionRequest", "CopyDistributionRequest")
	if err != nil {
		return err
	}
	var enabled *bool
	if s, ok := model.Str(t, "Enabled"); ok {
		b := s == "true"
		enabled = &b
	}
	staging := strings.EqualFold(strings.TrimSpace(r.Header.Get("Staging")), "true")
	d, _, err := h.control.CopyDistribution(r.Context(), r.PathValue("PrimaryDistributionId"), ifMatch(r), staging, model.StrOr(t, "", "CallerReference"), enabled)
	if err != nil {
		return err
	}
	w.Header().Set("Location", location(r, "/distribution/"+d.ID))
	w.Header().Set("ETag", d.ETag)
	return h.write(w, r, http.StatusCreated, "Distribution", "Distribution", h.distributionTree(r, d))
}

// updateDistributionWithStagingConfig: PUT
// /distribution/{Id}/promote-staging-config?StagingDistributionId=...,
// If-Match "<primary ETag>, <staging ETag>".
func (h *Handler) updateDistributionWithStagingConfig(w http.ResponseWriter, r *http.Request) error {
	d, err := h.control.UpdateDistributionWithStagingConfig(r.Context(), r.PathValue("Id"), r.URL.Query().Get("StagingDistributionId"), ifMatch(r))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", d.ETag)
	return h.write(w, r, http.StatusOK, "Distribution", "Distribution", h.distributionTree(r, d))
}

func (h *Handler) createCDPolicy(w http.ResponseWriter, r *http.Request) error {
	cfg, err := h.decode(r, cdPolicyConfig, cdPolicyConfig)
	if err != nil {
		return err
	}
	p, err := h.control.CreateContinuousDeploymentPolicy(r.Context(), cfg)
	if err != nil {
		return err
	}
	w.Header().Set("Location", location(r, "/continuous-deployment-policy/"+p.ID))
	w.Header().Set("ETag", p.ETag)
	return h.write(w, r, http.StatusCreated, "ContinuousDeploymentPolicy", "ContinuousDeploymentPolicy", cdPolicyTree(p))
}

func (h *Handler) getCDPolicy(w http.ResponseWriter, r *http.Request) error {
	p, err := h.control.GetContinuousDeploymentPolicy(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", p.ETag)
	return h.write(w, r, http.StatusOK, "ContinuousDeploymentPolicy", "ContinuousDeploymentPolicy", cdPolicyTree(p))
}

func (h *Handler) getCDPolicyConfig(w http.ResponseWriter, r *http.Request) error {
	p, err := h.control.GetContinuousDeploymentPolicy(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", p.ETag)
	return h.write(w, r, http.StatusOK, cdPolicyConfig, cdPolicyConfig, p.Config)
}

func (h *Handler) updateCDPolicy(w http.ResponseWriter, r *http.Request) error {
	body := h.decodeOnce(r, cdPolicyConfig, cdPolicyConfig)
	p, err := h.control.UpdateContinuousDeploymentPolicy(r.Context(), r.PathValue("Id"), ifMatch(r), func(model.Tree) (model.Tree, error) {
		return body()
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", p.ETag)
	return h.write(w, r, http.StatusOK, "ContinuousDeploymentPolicy", "ContinuousDeploymentPolicy", cdPolicyTree(p))
}

func (h *Handler) deleteCDPolicy(w http.ResponseWriter, r *http.Request) error {
	if err := h.control.DeleteContinuousDeploymentPolicy(r.Context(), r.PathValue("Id"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listCDPolicies: the list has no Marker or IsTruncated member, only
// NextMarker (ContinuousDeploymentPolicyList, botocore's model).
func (h *Handler) listCDPolicies(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r, 100)
	if err != nil {
		return err
	}
	ps, pg, err := h.control.ListContinuousDeploymentPolicies(r.Context(), opts)
	if err != nil {
		return err
	}
	items := make([]any, len(ps))
	for i, p := range ps {
		items[i] = model.Tree{"ContinuousDeploymentPolicy": cdPolicyTree(p)}
	}
	t := model.Tree{"MaxItems": strconv.Itoa(pg.MaxItems), "Quantity": strconv.Itoa(len(items))}
	if pg.IsTruncated {
		t["NextMarker"] = pg.NextMarker
	}
	if len(items) > 0 {
		t["Items"] = items
	}
	return h.write(w, r, http.StatusOK, "ContinuousDeploymentPolicyList", "ContinuousDeploymentPolicyList", t)
}

func cdPolicyTree(p *control.ContinuousDeploymentPolicy) model.Tree {
	return model.Tree{"Id": p.ID, "LastModifiedTime": timestamp(p.LastModified), cdPolicyConfig: p.Config}
}
