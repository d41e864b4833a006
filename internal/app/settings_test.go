package app

import (
	"io"
	"testing"
)

// The flags the command-line contract names for S3 and Kinesis, with
// their defaults and set values.
func TestParseServeFlags_regions(t *testing.T) {
	tests := []struct {
		args             []string
		s3, kinesis, url string
	}{
		{nil, "us-east-1", "us-east-1", ""},
		{[]string{"--kinesis-endpoint", "http://127.0.0.1:1", "--kinesis-region", "eu-west-1", "--s3-region", "ap-south-1"},
			"ap-south-1", "eu-west-1", "http://127.0.0.1:1"},
	}
	for _, tt := range tests {
		s, err := parseServeFlags(tt.args, io.Discard, io.Discard)
		if err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		if s.S3Region != tt.s3 || s.KinesisRegion != tt.kinesis || s.KinesisEndpoint != tt.url {
			t.Errorf("%q: s3 %q kinesis %q endpoint %q, want %q %q %q", tt.args, s.S3Region, s.KinesisRegion, s.KinesisEndpoint, tt.s3, tt.kinesis, tt.url)
		}
	}
}
