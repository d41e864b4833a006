package app

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// maxImportRead bounds what a key value store import reads: the file is
// at most 5 MB ("File format for key-value pairs", CloudFront Developer
// Guide); one byte more tells control it is too large.
const maxImportRead = 5<<20 + 1

// importSourceReader reads a CreateKeyValueStore ImportSource object from
// --s3-endpoint (AWS S3 without it) with the OPENFRONT_S3_* credentials,
// path-style as S3-compatible servers expect.
func importSourceReader(s *Settings) func(ctx context.Context, bucket, key string) ([]byte, error) {
	opts := s3.Options{
		Region:                     s.S3Region,
		Credentials:                credentials.NewStaticCredentialsProvider(os.Getenv("OPENFRONT_S3_ACCESS_KEY_ID"), os.Getenv("OPENFRONT_S3_SECRET_ACCESS_KEY"), ""),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if s.S3Endpoint != "" {
		opts.BaseEndpoint = aws.String(s.S3Endpoint)
	}
	client := s3.New(opts)
	return func(ctx context.Context, bucket, key string) ([]byte, error) {
		out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			return nil, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
		}
		defer out.Body.Close()
		return io.ReadAll(io.LimitReader(out.Body, maxImportRead))
	}
}
