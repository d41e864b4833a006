package lightsail

import (
	"context"

	"openfront/internal/model"
)

type bundleOut struct {
	BundleID             string  `json:"bundleId"`
	Name                 string  `json:"name"`
	Price                float64 `json:"price"`
	TransferPerMonthInGB int     `json:"transferPerMonthInGb"`
	IsActive             bool    `json:"isActive"`
}

type getDistributionBundlesResult struct {
	Bundles []bundleOut `json:"bundles"`
}

// GetDistributionBundles lists the bundles a distribution can use.
func (h *Handler) GetDistributionBundles(ctx context.Context, body []byte) (any, error) {
	var req struct{}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	out := &getDistributionBundlesResult{}
	for _, b := range model.LightsailBundles {
		out.Bundles = append(out.Bundles, bundleOut{BundleID: b.ID, Name: b.Name, Price: b.Price, TransferPerMonthInGB: b.TransferPerMonthInGB, IsActive: b.Active})
	}
	return out, nil
}

type updateDistributionBundleRequest struct {
	DistributionName *string `json:"distributionName"`
	BundleID         *string `json:"bundleId"`
}

func parseUpdateDistributionBundle(body []byte) (name, bundleID string, err error) {
	var req updateDistributionBundleRequest
	if err := decode(body, &req); err != nil {
		return "", "", err
	}
	if err := checkName("distributionName", req.DistributionName, true); err != nil {
		return "", "", err
	}
	if req.BundleID == nil || *req.BundleID == "" {
		return "", "", invalid("bundleId is required.")
	}
	if _, ok := model.FindLightsailBundle(*req.BundleID); !ok {
		return "", "", invalid("bundleId %q is not a valid distribution bundle; use GetDistributionBundles.", *req.BundleID)
	}
	return *req.DistributionName, *req.BundleID, nil
}

// UpdateDistributionBundle changes a distribution's bundle (once a month).
func (h *Handler) UpdateDistributionBundle(ctx context.Context, body []byte) (any, error) {
	name, bundleID, err := parseUpdateDistributionBundle(body)
	if err != nil {
		return nil, err
	}
	op := h.newOperation("UpdateDistributionBundle", name, bundleID)
	if _, err := h.control.UpdateLightsailDistributionBundle(ctx, name, bundleID, op); err != nil {
		return nil, err
	}
	return &operationResult{Operation: toOperationOut(op)}, nil
}
