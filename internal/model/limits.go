package model

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Field length limits. CheckLimits applies them to every string of a
// request document before any other rule, so an oversize value is refused
// with CloudFront's 400 and never reaches the store (whose keys embed some
// of these values: CallerReference, names, aliases).
//
// The limits are CloudFront's documented ones: the API Reference pages of
// each config type ("The comment cannot be longer than 128 characters",
// OriginAccessControlConfig's 64-character Name and 256-character
// Description, Tag's 1-128/0-256), botocore's model (aliasString: 253),
// the Developer Guide's "Quotas" page (quotas on headers: header names 256
// and values 1,783 characters; quotas on query strings: 128 characters a
// name; quotas on cookies: 512 bytes of names) and "Invalidating files"
// (a path of up to 4,000 characters). Strings CloudFront documents no
// limit for (CallerReference, Ids, ARNs, names of keys and key groups,
// OriginPath, ...) get OpenFront's own ceiling, MaxUndocumentedLength.

// MaxUndocumentedLength is the ceiling, in characters, of a string field
// CloudFront documents no limit for: a little above the longest
// documented one (an invalidation path, 4,000 characters).
const MaxUndocumentedLength = 4096

// fieldLimit is the longest value of one field and the error that refuses
// a longer one.
type fieldLimit struct {
	max     int
	code    string // default InvalidArgument
	message string // default "The parameter <name> is too long (maximum <max> characters)."
}

// fieldLimits are keyed by the end of an element path: the element's name,
// optionally preceded by its ancestors' ("Tags/Items/Key"). Members of a
// list's items are named after the list's Items element. The longest
// matching suffix wins.
var fieldLimits = map[string]fieldLimit{
	// "The comment cannot be longer than 128 characters" (distributions,
	// streaming distributions, OAIs, public keys, key groups, policies).
	"Comment": {max: 128},
	// OriginAccessControlConfig: "up to 64 characters" / "up to 256".
	"OriginAccessControlConfig/Name":        {max: 64},
	"OriginAccessControlConfig/Description": {max: 256},
	// Cache and origin request policy names (Quotas: policies).
	"CachePolicyConfig/Name":         {max: 128},
	"OriginRequestPolicyConfig/Name": {max: 128},
	// Alternate domain names: botocore's aliasString (max 253).
	"Aliases/Items": {max: 253, message: "The parameter CNAME contains one or more parameters that are not valid."},
	// Origin domain names are DNS names (253 characters).
	"Origins/Items/DomainName": {max: 253, message: "The parameter origin name must be a domain name."},
	"S3Origin/DomainName":      {max: 253, message: "The parameter origin name must be a domain name."},
	// Quotas on headers: a header name 256, a value 1,783 characters.
	"CustomHeaders/Items/HeaderName":  {max: 256},
	"CustomHeaders/Items/HeaderValue": {max: 1783},
	"Headers/Items":                   {max: 256},
	// Quotas on query strings: 128 characters a name.
	"QueryStringCacheKeys/Items": {max: 128},
	"QueryStrings/Items":         {max: 128},
	// Quotas on cookies: 512 bytes of cookie names.
	"WhitelistedNames/Items": {max: 512},
	"Cookies/Items":          {max: 512},
	// Rules of the distribution config with their own error codes.
	"DefaultRootObject": {max: 255, code: "InvalidDefaultRootObject", message: "The default root object file name is too big or contains an invalid character."},
	"PathPattern":       {max: 255},
	"ResponsePagePath":  {max: 4000, code: "InvalidRelativePath", message: "The relative path is too big, is not URL-encoded, or does not begin with a slash (/)."},
	// Invalidation paths: up to 4,000 characters.
	"InvalidationBatch/Paths/Items": {max: 4000, message: "Your request contains one or more invalid invalidation paths."},
	// Tag: Key 1-128, Value 0-256 characters.
	"Tags/Items/Key":   {max: 128, code: "InvalidTagging"},
	"Tags/Items/Value": {max: 256, code: "InvalidTagging"},
	"TagKeys/Items":    {max: 128, code: "InvalidTagging"},
	// CloudFront Functions: FunctionCode and EventObject are base64 blobs of
	// at most 40,960 bytes (botocore's FunctionBlob, FunctionEventObject),
	// 54,616 characters, with room for line breaks. The 10 KB quota on the
	// decoded code is checked after (FunctionSizeLimitExceeded too).
	"FunctionCode": {max: 56000, code: "FunctionSizeLimitExceeded", message: "The function code is larger than 40960 bytes."},
	"EventObject":  {max: 56000, message: "The parameter EventObject is longer than 40960 bytes."},
}

// longestLimitKey is the most path elements a fieldLimits key has.
const longestLimitKey = 3

// shortestLimit is the smallest max in fieldLimits.
var shortestLimit = func() int {
	n := MaxUndocumentedLength
	for _, lim := range fieldLimits {
		n = min(n, lim.max)
	}
	return n
}()

// CheckLimits refuses the first string of the document t (whose root
// element is root) that is longer than its field allows.
func CheckLimits(root string, t Tree) error {
	path := make([]string, 1, 16)
	path[0] = root
	return checkTreeLimits(path, t)
}

func checkTreeLimits(path []string, t Tree) error {
	// Sorted, so the error names the same field on every run.
	names := make([]string, 0, len(t))
	for k := range t {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := checkValueLimits(append(path, name), t[name]); err != nil {
			return err
		}
	}
	return nil
}

func checkValueLimits(path []string, v any) error {
	switch v := v.(type) {
	case string:
		return checkStringLimit(path, v)
	case Tree:
		return checkTreeLimits(path, v)
	case []any:
		for _, item := range v {
			if err := checkValueLimits(path, item); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkStringLimit(path []string, s string) error {
	if len(s) <= shortestLimit { // within every limit, whatever the field
		return nil
	}
	lim := limitOf(path)
	if utf8.RuneCountInString(s) <= lim.max {
		return nil
	}
	code, msg := lim.code, lim.message
	if code == "" {
		code = "InvalidArgument"
	}
	if msg == "" {
		return Errorf(code, "The parameter %s is too long (maximum %d characters).", path[len(path)-1], lim.max)
	}
	return Errorf(code, "%s", msg)
}

// limitOf returns the limit of the field at path.
func limitOf(path []string) fieldLimit {
	for n := min(longestLimitKey, len(path)); n >= 1; n-- {
		if lim, ok := fieldLimits[strings.Join(path[len(path)-n:], "/")]; ok {
			return lim
		}
	}
	return fieldLimit{max: MaxUndocumentedLength}
}
