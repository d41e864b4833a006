package lightsail

import (
	"context"
	"regexp"

	"openfront/internal/model"
)

// TagResource and UntagResource (Amazon Lightsail API Reference): the
// Terraform AWS provider calls them whenever an aws_lightsail_distribution's
// tags change. resourceName names the resource; resourceArn, optional,
// must then be its ARN. Each returns the operation that records the change.

// resourceARN is the pattern of resourceArn (botocore's ResourceArn shape).
var resourceARN = regexp.MustCompile(`^arn:(aws[^:]*):([a-zA-Z0-9-]+):([a-z0-9-]+):([0-9]+):([a-zA-Z]+)/([a-zA-Z0-9-]+)$`)

type tagResourceRequest struct {
	ResourceName *string `json:"resourceName"`
	ResourceARN  *string `json:"resourceArn"`
	Tags         *[]tag  `json:"tags"`
}

type untagResourceRequest struct {
	ResourceName *string   `json:"resourceName"`
	ResourceARN  *string   `json:"resourceArn"`
	TagKeys      *[]string `json:"tagKeys"`
}

// checkResource validates resourceName (required) and resourceArn and
// returns them ("" for no ARN).
func checkResource(name, arn *string) (string, string, error) {
	if err := checkName("resourceName", name, true); err != nil {
		return "", "", err
	}
	if arn == nil {
		return *name, "", nil
	}
	if !resourceARN.MatchString(*arn) {
		return "", "", invalid("resourceArn %q is not a valid ARN.", *arn)
	}
	return *name, *arn, nil
}

// toTags converts the wire tags; a value left out is "" ("Each tag
// consists of a key and an optional value", TagResource).
func toTags(field string, in []tag) ([]model.LightsailTag, error) {
	var out []model.LightsailTag
	for i, t := range in {
		if t.Key == nil {
			return nil, invalid("%s[%d].key is required.", field, i)
		}
		v := ""
		if t.Value != nil {
			v = *t.Value
		}
		out = append(out, model.LightsailTag{Key: *t.Key, Value: v})
	}
	return out, nil
}

// TagResource adds tags to a distribution, or changes their values.
func (h *Handler) TagResource(ctx context.Context, body []byte) (any, error) {
	var req tagResourceRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	name, arn, err := checkResource(req.ResourceName, req.ResourceARN)
	if err != nil {
		return nil, err
	}
	if req.Tags == nil {
		return nil, invalid("tags is required.")
	}
	tags, err := toTags("tags", *req.Tags)
	if err != nil {
		return nil, err
	}
	op := h.newOperation("TagResource", name, "")
	if err := h.control.TagLightsailResource(ctx, name, arn, tags, op); err != nil {
		return nil, err
	}
	return &operationsResult{Operations: []*operationOut{toOperationOut(op)}}, nil
}

// UntagResource removes tags from a distribution; a key it does not have
// is no error.
func (h *Handler) UntagResource(ctx context.Context, body []byte) (any, error) {
	var req untagResourceRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	name, arn, err := checkResource(req.ResourceName, req.ResourceARN)
	if err != nil {
		return nil, err
	}
	if req.TagKeys == nil {
		return nil, invalid("tagKeys is required.")
	}
	op := h.newOperation("UntagResource", name, "")
	if err := h.control.UntagLightsailResource(ctx, name, arn, *req.TagKeys, op); err != nil {
		return nil, err
	}
	return &operationsResult{Operations: []*operationOut{toOperationOut(op)}}, nil
}
