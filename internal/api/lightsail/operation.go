package lightsail

import (
	"context"

	"openfront/internal/api/awsproto"
	"openfront/internal/model"
)

// newOperation is the Operation a change returns; control stores it in the
// change's own transaction. The change is in the store when the call
// returns, so the operation is Succeeded (terminal) from the start; the
// propagation to the edges shows in the distribution's status, not in the
// operation. Clients poll GetOperation until Succeeded or Completed (the
// Terraform AWS provider does), so the operation is stored and GetOperation
// finds it on any node and after a restart.
func (h *Handler) newOperation(opType, resource, details string) *model.LightsailOperationRecord {
	now := h.now().UTC()
	return &model.LightsailOperationRecord{
		ID: awsproto.NewRequestID(), ResourceName: resource, ResourceType: "Distribution",
		OperationType: opType, Details: details, Status: "Succeeded", CreatedAt: now, StatusChangedAt: now,
	}
}

func toOperationOut(op *model.LightsailOperationRecord) *operationOut {
	return &operationOut{
		ID: op.ID, ResourceName: op.ResourceName, ResourceType: op.ResourceType,
		CreatedAt: epoch(op.CreatedAt), Location: globalLocation, IsTerminal: op.Status == "Succeeded" || op.Status == "Failed" || op.Status == "Completed",
		OperationDetails: op.Details, OperationType: op.OperationType, Status: op.Status, StatusChangedAt: epoch(op.StatusChangedAt),
	}
}

type getOperationRequest struct {
	OperationID *string `json:"operationId"`
}

type getOperationResult struct {
	Operation *operationOut `json:"operation"`
}

func parseGetOperation(body []byte) (string, error) {
	var req getOperationRequest
	if err := decode(body, &req); err != nil {
		return "", err
	}
	if req.OperationID == nil || *req.OperationID == "" {
		return "", invalid("operationId is required.")
	}
	return *req.OperationID, nil
}

// GetOperation returns one operation by id.
func (h *Handler) GetOperation(ctx context.Context, body []byte) (any, error) {
	id, err := parseGetOperation(body)
	if err != nil {
		return nil, err
	}
	op, err := h.control.LightsailOperation(ctx, id)
	if err != nil {
		return nil, err
	}
	return &getOperationResult{Operation: toOperationOut(op)}, nil
}

type getOperationsRequest struct {
	ResourceName *string `json:"resourceName"`
	PageToken    *string `json:"pageToken"`
}

type getOperationsResult struct {
	Operations    []*operationOut `json:"operations"`
	NextPageToken string          `json:"nextPageToken,omitempty"`
}

// parseGetOperations decodes GetOperations (forResource false) and
// GetOperationsForResource, which also needs resourceName.
func parseGetOperations(body []byte, forResource bool) (pageToken, resource string, err error) {
	var req getOperationsRequest
	if err := decode(body, &req); err != nil {
		return "", "", err
	}
	if req.PageToken != nil {
		pageToken = *req.PageToken
	}
	if !forResource {
		return pageToken, "", nil
	}
	if err := checkName("resourceName", req.ResourceName, true); err != nil {
		return "", "", err
	}
	return pageToken, *req.ResourceName, nil
}

// GetOperations lists the operations, oldest first, a page at a time.
func (h *Handler) GetOperations(ctx context.Context, body []byte) (any, error) {
	token, _, err := parseGetOperations(body, false)
	if err != nil {
		return nil, err
	}
	return h.operations(ctx, token, "")
}

// GetOperationsForResource lists one resource's operations.
func (h *Handler) GetOperationsForResource(ctx context.Context, body []byte) (any, error) {
	token, resource, err := parseGetOperations(body, true)
	if err != nil {
		return nil, err
	}
	return h.operations(ctx, token, resource)
}

func (h *Handler) operations(ctx context.Context, token, resource string) (any, error) {
	list, next, err := h.control.LightsailOperations(ctx, token, resource)
	if err != nil {
		return nil, err
	}
	out := &getOperationsResult{Operations: []*operationOut{}, NextPageToken: next}
	for _, op := range list {
		out.Operations = append(out.Operations, toOperationOut(op))
	}
	return out, nil
}
