package control

import (
	"context"
	"fmt"
	"slices"

	"openfront/internal/model"
	"openfront/internal/store"
)

// Lightsail tags: TagResource and UntagResource change the tags of a
// Lightsail resource named by resourceName. The only Lightsail resources
// OpenFront has are distributions: certificates are the operator's files
// in --certificate-dir (CreateCertificate is not served), so a
// certificateName is no taggable resource here.

// lightsailMaxTags is Lightsail's limit: "Each resource can have a maximum
// of 50 tags" (Amazon Lightsail API Reference, TagResource).
const lightsailMaxTags = 50

// lightsailResourceNotFound is the error of a resourceName that names no
// Lightsail resource OpenFront has.
func lightsailResourceNotFound(name string) error {
	return model.Errorf("NotFoundException", "The resource %q does not exist: OpenFront's Lightsail resources are distributions.", name)
}

// lightsailARN is a distribution's ARN, in the partition of the caller's
// signing region.
func (c *Control) lightsailARN(ctx context.Context, uuid string) string {
	p, _ := ctx.Value(partitionKey{}).(string)
	if p == "" {
		p = "aws"
	}
	return fmt.Sprintf("arn:%s:lightsail:%s:%s:Distribution/%s", p, model.LightsailDefaultRegion, c.settings.AccountID, uuid)
}

// TagLightsailResource adds tags to the distribution name (TagResource):
// a key it already has takes the new value ("Tag keys must be unique per
// resource", Amazon Lightsail API Reference, TagResource), and a key given
// twice takes the last value. arn, when not "", must be the
// distribution's ARN. The tags are checked before anything is read, and
// again as a whole (at most 50) with the ones the distribution has.
func (c *Control) TagLightsailResource(ctx context.Context, name, arn string, tags []model.LightsailTag, op *model.LightsailOperationRecord) error {
	if err := validateLightsailTags(tags); err != nil {
		return err
	}
	return c.changeLightsailTags(ctx, name, arn, op, func(cur []model.LightsailTag) ([]model.LightsailTag, error) {
		next := append([]model.LightsailTag(nil), cur...)
		for _, t := range tags {
			i := slices.IndexFunc(next, func(have model.LightsailTag) bool { return have.Key == t.Key })
			if i < 0 {
				next = append(next, t)
				continue
			}
			next[i].Value = t.Value
		}
		if len(next) > lightsailMaxTags {
			return nil, lightsailInvalid("tags: a resource can have at most %d tags; %q would have %d.", lightsailMaxTags, name, len(next))
		}
		return next, nil
	})
}

// UntagLightsailResource removes the tags with the keys from the
// distribution name (UntagResource); a key it does not have is no error.
func (c *Control) UntagLightsailResource(ctx context.Context, name, arn string, keys []string, op *model.LightsailOperationRecord) error {
	return c.changeLightsailTags(ctx, name, arn, op, func(cur []model.LightsailTag) ([]model.LightsailTag, error) {
		var next []model.LightsailTag
		for _, t := range cur {
			if !slices.Contains(keys, t.Key) {
				next = append(next, t)
			}
		}
		return next, nil
	})
}

// changeLightsailTags replaces the tags of the distribution name by what
// change makes of them, and stores op with the change.
func (c *Control) changeLightsailTags(ctx context.Context, name, arn string, op *model.LightsailOperationRecord, change func([]model.LightsailTag) ([]model.LightsailTag, error)) error {
	key := model.LightsailDistributionKey(name)
	_, err := c.store.Update(ctx, c.withLightsailOperation(op, func(tx store.Txn) error {
		kv, ok, err := tx.Get(key)
		if err != nil {
			return err
		}
		if !ok {
			return lightsailResourceNotFound(name)
		}
		rec, err := decode[model.LightsailDistributionRecord](c, kv)
		if err != nil {
			return err
		}
		if want := c.lightsailARN(ctx, rec.UUID); arn != "" && arn != want {
			return lightsailInvalid("resourceArn %q is not the ARN of the distribution %q (%s).", arn, name, want)
		}
		next := *rec
		if next.Tags, err = change(rec.Tags); err != nil {
			return err
		}
		return putJSON(tx, key, next)
	}))
	return err
}
