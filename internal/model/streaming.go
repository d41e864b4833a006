package model

import "strings"

// StreamingDistributionConfig is the typed view of a
// StreamingDistributionConfig document (an RTMP distribution).
type StreamingDistributionConfig struct {
	CallerReference string
	S3DomainName    string
	OAI             string // "origin-access-identity/cloudfront/<id>" or ""
	Aliases         []string
	Comment         string
	Logging         Logging
	TrustedSigners  []string // nil when disabled
	PriceClass      string
	Enabled         bool
}

// ParseStreamingDistributionConfig reads and checks a
// StreamingDistributionConfig document.
func ParseStreamingDistributionConfig(t Tree) (*StreamingDistributionConfig, error) {
	c := &StreamingDistributionConfig{
		CallerReference: StrOr(t, "", "CallerReference"),
		S3DomainName:    StrOr(t, "", "S3Origin", "DomainName"),
		OAI:             StrOr(t, "", "S3Origin", "OriginAccessIdentity"),
		Aliases:         StringItems(t, "Aliases"),
		Comment:         StrOr(t, "", "Comment"),
		PriceClass:      StrOr(t, "PriceClass_All", "PriceClass"),
		Enabled:         Bool(t, "Enabled"),
	}
	if len(c.Comment) > 128 {
		return nil, Errorf("InvalidArgument", "The parameter Comment is too long (maximum 128 characters).")
	}
	if !validHost(c.S3DomainName) {
		return nil, Errorf("InvalidOrigin", "The Amazon S3 origin server specified does not refer to a valid Amazon S3 bucket.")
	}
	if c.OAI != "" {
		if _, ok := ParseOAIReference(c.OAI); !ok {
			return nil, Errorf("InvalidOriginAccessIdentity", "The origin access identity is not valid or doesn't exist: %q.", c.OAI)
		}
	}
	for _, a := range c.Aliases {
		if !validAlias(a) {
			return nil, Errorf("InvalidArgument", "The parameter CNAME contains one or more parameters that are not valid: %q.", a)
		}
	}
	if dup := firstDuplicate(lower(c.Aliases)); dup != "" {
		return nil, Errorf("InvalidArgument", "The parameter CNAME contains a duplicate: %q.", dup)
	}
	if ts := Sub(t, "TrustedSigners"); ts != nil && Bool(ts, "Enabled") {
		c.TrustedSigners = StringItems(ts)
		if len(c.TrustedSigners) > 5 {
			return nil, Errorf("TooManyTrustedSigners", "Your request contains more trusted signers than are allowed per distribution.")
		}
		for _, s := range c.TrustedSigners {
			if s != "self" && !accountID.MatchString(s) {
				return nil, Errorf("TrustedSignerDoesNotExist", "One or more of your trusted signers don't exist: %q.", s)
			}
		}
	}
	if lt := Sub(t, "Logging"); lt != nil {
		c.Logging = Logging{Enabled: Bool(lt, "Enabled"), Bucket: StrOr(lt, "", "Bucket"), Prefix: StrOr(lt, "", "Prefix")}
		if c.Logging.Enabled && c.Logging.Bucket == "" {
			return nil, Errorf("InvalidArgument", "The parameter Logging Bucket is required when logging is enabled.")
		}
	}
	return c, nil
}

// S3Bucket returns the bucket name of an S3 origin domain
// (<bucket>.s3.amazonaws.com, <bucket>.s3.<region>.amazonaws.com,
// <bucket>.s3-<region>.amazonaws.com), or "" when the domain is not an S3
// endpoint.
func S3Bucket(domain string) string {
	d := strings.TrimSuffix(strings.ToLower(domain), ".")
	rest, ok := strings.CutSuffix(d, ".amazonaws.com")
	if !ok {
		rest, ok = strings.CutSuffix(d, ".amazonaws.com.cn")
	}
	if !ok {
		return ""
	}
	if b, ok := strings.CutSuffix(rest, ".s3"); ok {
		return b
	}
	if i := strings.LastIndex(rest, ".s3."); i > 0 {
		return rest[:i]
	}
	if i := strings.LastIndex(rest, ".s3-"); i > 0 {
		return rest[:i]
	}
	return ""
}
