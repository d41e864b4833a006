package lightsail

import "context"

type resetDistributionCacheResult struct {
	Status     string        `json:"status"`
	CreateTime epoch         `json:"createTime"`
	Operation  *operationOut `json:"operation"`
}

// ResetDistributionCache purges everything the distribution has cached
// (an invalidation of "/*" that every edge applies).
func (h *Handler) ResetDistributionCache(ctx context.Context, body []byte) (any, error) {
	name, err := parseName(body)
	if err != nil {
		return nil, err
	}
	op := h.newOperation("ResetDistributionCache", name, "")
	reset, err := h.control.ResetLightsailDistributionCache(ctx, name, op)
	if err != nil {
		return nil, err
	}
	return &resetDistributionCacheResult{Status: reset.Status, CreateTime: epoch(reset.CreateTime), Operation: toOperationOut(op)}, nil
}

type latestCacheResetResult struct {
	Status     string `json:"status,omitempty"`
	CreateTime *epoch `json:"createTime,omitempty"`
}

// GetDistributionLatestCacheReset reports the last reset: InProgress until
// every edge has purged, then Completed; {} when there was none. The name
// is optional (the model does not require it): without it, the latest
// reset of all the distributions.
func (h *Handler) GetDistributionLatestCacheReset(ctx context.Context, body []byte) (any, error) {
	var req nameRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkName("distributionName", req.DistributionName, false); err != nil {
		return nil, err
	}
	name := ""
	if req.DistributionName != nil {
		name = *req.DistributionName
	}
	reset, err := h.control.LatestLightsailCacheReset(ctx, name)
	if err != nil {
		return nil, err
	}
	out := &latestCacheResetResult{}
	if reset != nil {
		t := epoch(reset.CreateTime)
		out.Status, out.CreateTime = reset.Status, &t
	}
	return out, nil
}
