package control

import (
	"errors"
	"strings"
	"testing"

	"openfront/internal/model"
)

func codeOf(err error) string {
	var me *model.Error
	if errors.As(err, &me) {
		return me.Code
	}
	return ""
}

// TestCheckShareableResource: only a CloudFront VPC origin ARN names a
// shareable resource (EntityNotFound: OpenFront has none); any other
// CloudFront ARN is UnsupportedOperation; everything else InvalidArgument,
// hostile spellings included.
func TestCheckShareableResource(t *testing.T) {
	c := &Control{}
	for _, tt := range []struct{ arn, code string }{
		{"arn:aws:cloudfront::123456789012:vpc-origin/vo_1", "EntityNotFound"},
		{"arn:aws-cn:cloudfront::123456789012:vpc-origin/vo_1", "EntityNotFound"},
		{"arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE", "UnsupportedOperation"},
		{"arn:aws:cloudfront::123456789012:vpc-origin/", "UnsupportedOperation"},
		{"arn:aws:cloudfront::123456789012:vpc-origin", "UnsupportedOperation"},
		{"arn:aws:s3:::bucket/vpc-origin/vo_1", "InvalidArgument"},
		{"arn:aws:cloudfront::123456789012:", "InvalidArgument"},
		{"arn:aws:cloudfront:123456789012:vpc-origin/vo_1", "InvalidArgument"},
		{"vo_1", "InvalidArgument"},
		{"", "InvalidArgument"},
		{"ARN:aws:cloudfront::123456789012:vpc-origin/vo_1", "InvalidArgument"},
		{"arn:aws:cloudfront::123456789012:vpc-origin/../distribution/E1", "EntityNotFound"},
		{"arn:aws:cloudfront::123456789012:vpc-origin%2Fvo_1", "UnsupportedOperation"},
		{"arn:aws:cloudfront::123456789012:vpc-origin/" + strings.Repeat("x", 100000), "EntityNotFound"},
	} {
		if got := codeOf(c.CheckShareableResource(tt.arn)); got != tt.code {
			t.Errorf("%.80q: %s, want %s", tt.arn, got, tt.code)
		}
	}
}

// FuzzCheckShareableResource: every input gets one of the three answers,
// and EntityNotFound only for a cloudfront ARN of a VPC origin.
func FuzzCheckShareableResource(f *testing.F) {
	for _, s := range []string{"arn:aws:cloudfront::123456789012:vpc-origin/vo_1", "arn:aws:cloudfront::1:distribution/E1", "x", "arn:::::", "arn:aws:cloudfront::::vpc-origin/a"} {
		f.Add(s)
	}
	c := &Control{}
	f.Fuzz(func(t *testing.T, arn string) {
		switch code := codeOf(c.CheckShareableResource(arn)); code {
		case "EntityNotFound":
			parts := strings.SplitN(arn, ":", 6)
			if len(parts) != 6 || parts[0] != "arn" || parts[2] != "cloudfront" || !strings.HasPrefix(parts[5], "vpc-origin/") || parts[5] == "vpc-origin/" {
				t.Fatalf("%q: EntityNotFound for something that is no VPC origin ARN", arn)
			}
		case "UnsupportedOperation", "InvalidArgument":
		default:
			t.Fatalf("%q: %q", arn, code)
		}
	})
}
