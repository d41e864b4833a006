package realtimelog

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// KinesisConfig configures the Kinesis client: AWS or a
// Kinesis-compatible endpoint (--kinesis-endpoint).
type KinesisConfig struct {
	Endpoint        string // e.g. "http://127.0.0.1:4566"; "" for AWS
	Region          string // for streams whose ARN has no region; "us-east-1" when empty
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// KinesisPutter puts records with the AWS SDK's Kinesis client.
type KinesisPutter struct {
	client *kinesis.Client
}

// NewKinesisPutter returns a putter with static credentials. The SDK's own
// retries are off: the Logger retries the records that failed.
func NewKinesisPutter(cfg KinesisConfig) *KinesisPutter {
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	opts := kinesis.Options{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken),
		RetryMaxAttempts: 1,
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	return &KinesisPutter{client: kinesis.New(opts)}
}

// PutRecords sends entries to the stream named by its ARN.
func (p *KinesisPutter) PutRecords(ctx context.Context, streamARN string, entries []Entry) ([]bool, error) {
	in := &kinesis.PutRecordsInput{StreamARN: aws.String(streamARN), Records: make([]types.PutRecordsRequestEntry, len(entries))}
	for i, e := range entries {
		in.Records[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String(e.PartitionKey), Data: e.Data}
	}
	out, err := p.client.PutRecords(ctx, in, func(o *kinesis.Options) {
		// A stream is in the region its ARN names: requests are signed
		// for (and, on AWS, sent to) that region.
		if r := regionOf(streamARN); r != "" {
			o.Region = r
		}
	})
	if err != nil {
		return nil, err
	}
	failed := make([]bool, len(entries))
	for i, r := range out.Records {
		if i < len(failed) && r.ErrorCode != nil {
			failed[i] = true
		}
	}
	return failed, nil
}

// regionOf returns the region of an ARN (arn:partition:service:region:...).
func regionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}
