package control

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"openfront/internal/model"
	"openfront/internal/store"
)

func tagsKey(resource string) string { return model.TagsKey(resource) }

// validTag applies CloudFront's tag rule: letters, separators (spaces),
// numbers and _.:/=+-@ (the pattern ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ of the
// API Reference's Tag type), with the lengths (keys 1-128, values 0-256
// characters) counted apart. Checked rune by rune: the Unicode classes as
// a regexp cost about 900 KB of heap in every process from its start.
func validTag(s string, minLen, maxLen int) bool {
	n := utf8.RuneCountInString(s)
	if n < minLen || n > maxLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.Is(unicode.Z, r) && !unicode.IsNumber(r) && !strings.ContainsRune("_.:/=+-@", r) {
			return false
		}
	}
	return true
}

func validateTags(tags []Tag, max int) error {
	if len(tags) > max {
		return model.Errorf("InvalidTagging", "A resource can have at most %d tags.", max)
	}
	for _, t := range tags {
		if !validTag(t.Key, 1, 128) || !validTag(t.Value, 0, 256) {
			return model.Errorf("InvalidTagging", "The tag %q=%q is not valid: keys are 1-128 and values 0-256 characters of letters, digits, spaces and _.:/=+-@.", t.Key, t.Value)
		}
	}
	return nil
}

// validateNewTags applies, on top of validateTags, the rules for the tags
// of one request (TagResource, CreateDistributionWithTags,
// CreateStreamingDistributionWithTags), which tags stored before the rules
// existed need not pass (Developer Guide, "Tagging Amazon CloudFront
// distributions", tag restrictions): "Don't use aws: as a prefix for
// keys; it's reserved for AWS use", and a key given twice, which would
// leave one value of two ("Tag keys and values are case sensitive": Env
// and env are two keys).
func validateNewTags(tags []Tag, max int) error {
	if err := validateTags(tags, max); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if strings.HasPrefix(t.Key, "aws:") {
			return model.Errorf("InvalidTagging", "The tag key %q is not valid: the prefix aws: is reserved for AWS use.", t.Key)
		}
		if seen[t.Key] {
			return model.Errorf("InvalidTagging", "The tag key %q is given more than once.", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// resourceKey checks a tag resource ARN and returns the store key of the
// resource and its tags key. A well-formed ARN that is not one of ours
// (another partition than the caller's, another account, a region: a
// CloudFront ARN has none) names no resource here: NoSuchResource, as for
// an unknown id.
func (c *Control) resourceKey(ctx context.Context, arn string) (resKey, tKey string, err error) {
	res, ok := c.parseARN(arn)
	if !ok {
		return "", "", model.Errorf("InvalidArgument", "The ARN %q is not a valid CloudFront distribution or streaming distribution ARN.", arn)
	}
	kind, id, _ := cutSlash(res)
	if arn != c.arn(ctx, kind, id) {
		return "", "", model.Errorf("NoSuchResource", "The specified resource %q does not exist.", arn)
	}
	if kind == "distribution" {
		return distKey(id), tagsKey(res), nil
	}
	return sdistKey(id), tagsKey(res), nil
}

func cutSlash(s string) (string, string, bool) {
	for i := range s {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func readTags(tx store.ReadTxn, key string) ([]Tag, error) {
	kv, ok, err := tx.Get(key)
	if err != nil || !ok {
		return nil, err
	}
	var tags []Tag
	if err := json.Unmarshal(kv.Value, &tags); err != nil {
		return nil, err
	}
	return tags, nil
}

// ListTags returns a resource's tags.
func (c *Control) ListTags(ctx context.Context, arn string) ([]Tag, error) {
	resKey, tKey, err := c.resourceKey(ctx, arn)
	if err != nil {
		return nil, err
	}
	var tags []Tag
	err = c.store.View(ctx, func(tx store.ReadTxn) error {
		if _, ok, err := tx.Get(resKey); err != nil {
			return err
		} else if !ok {
			return model.Errorf("NoSuchResource", "The specified resource %q does not exist.", arn)
		}
		tags, err = readTags(tx, tKey)
		return err
	})
	return tags, err
}

// TagResource adds or replaces tags on a resource.
func (c *Control) TagResource(ctx context.Context, arn string, add []Tag) error {
	if err := validateNewTags(add, c.settings.Quotas.TagsPerResource); err != nil {
		return err
	}
	return c.changeTags(ctx, arn, func(tags []Tag) []Tag {
		for _, t := range add {
			i := slices.IndexFunc(tags, func(x Tag) bool { return x.Key == t.Key })
			if i >= 0 {
				tags[i] = t
			} else {
				tags = append(tags, t)
			}
		}
		return tags
	})
}

// UntagResource removes tags by key.
func (c *Control) UntagResource(ctx context.Context, arn string, keys []string) error {
	return c.changeTags(ctx, arn, func(tags []Tag) []Tag {
		return slices.DeleteFunc(tags, func(t Tag) bool { return slices.Contains(keys, t.Key) })
	})
}

func (c *Control) changeTags(ctx context.Context, arn string, change func([]Tag) []Tag) error {
	resKey, tKey, err := c.resourceKey(ctx, arn)
	if err != nil {
		return err
	}
	_, err = c.store.Update(ctx, func(tx store.Txn) error {
		if _, ok, err := tx.Get(resKey); err != nil {
			return err
		} else if !ok {
			return model.Errorf("NoSuchResource", "The specified resource %q does not exist.", arn)
		}
		tags, err := readTags(tx, tKey)
		if err != nil {
			return err
		}
		tags = change(tags)
		if err := validateTags(tags, c.settings.Quotas.TagsPerResource); err != nil {
			return err
		}
		if len(tags) == 0 {
			return tx.Delete(tKey)
		}
		return putJSON(tx, tKey, tags)
	})
	return err
}
