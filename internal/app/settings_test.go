package app

import (
	"io"
	"strings"
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

// Flag values that could only fail at first use (an endpoint URL the SDK
// cannot use, a UDP port with no TLS edge behind it) are refused at start.
func TestParseServeFlags_refusedAtStart(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--s3-endpoint", "127.0.0.1:9000"}, "--s3-endpoint"},
		{[]string{"--s3-endpoint", "ftp://127.0.0.1:9000"}, "--s3-endpoint"},
		{[]string{"--s3-endpoint", "http://"}, "--s3-endpoint"},
		{[]string{"--s3-endpoint", "http://127.0.0.1:port"}, "--s3-endpoint"},
		{[]string{"--s3-endpoint", "http://127.0.0.1:9000/?x=1"}, "--s3-endpoint"},
		{[]string{"--kinesis-endpoint", "localhost:4566"}, "--kinesis-endpoint"},
		{[]string{"--kinesis-endpoint", "http://u:p@127.0.0.1:4566"}, "--kinesis-endpoint"},
		{[]string{"--edge-tls-addr", "", "--edge-quic-addr", "127.0.0.1:8443"}, "--edge-quic-addr"},
	}
	for _, tt := range tests {
		_, err := parseServeFlags(tt.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err %v, want one naming %s", tt.args, err, tt.want)
		}
	}
	for _, ok := range [][]string{
		{"--s3-endpoint", "http://127.0.0.1:9000", "--kinesis-endpoint", "https://kinesis.example:4566/"},
		{"--edge-tls-addr", ""},                         // QUIC follows it: disabled
		{"--edge-tls-addr", "", "--edge-quic-addr", ""}, // both off
	} {
		if _, err := parseServeFlags(ok, io.Discard, io.Discard); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}
