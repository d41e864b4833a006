package accesslog

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// BucketName returns the S3 bucket name of a Logging.Bucket value:
// "logs.s3.amazonaws.com" and "logs.s3.us-west-2.amazonaws.com" give
// "logs"; a plain name is returned as is.
func BucketName(bucket string) string {
	if i := strings.Index(bucket, ".s3."); i > 0 && strings.HasSuffix(bucket, ".amazonaws.com") {
		return bucket[:i]
	}
	if i := strings.Index(bucket, ".s3-"); i > 0 && strings.HasSuffix(bucket, ".amazonaws.com") {
		return bucket[:i]
	}
	return bucket
}

// DirUploader writes log files under Root/<bucket name>/<key> (Root/<key>
// when the bucket is empty), through a temporary file and a rename so a
// reader never sees a partial file.
type DirUploader struct {
	Root string
}

// Upload writes body to the file of bucket and key.
func (u DirUploader) Upload(ctx context.Context, bucket, key string, body []byte) error {
	if strings.Contains(key, "..") || strings.HasPrefix(key, "/") {
		return fmt.Errorf("upload log %q: unsafe key", key)
	}
	dir := u.Root
	if name := BucketName(bucket); name != "" {
		if strings.ContainsAny(name, `/\`) || name == ".." {
			return fmt.Errorf("upload log: unsafe bucket %q", bucket)
		}
		dir = filepath.Join(dir, name)
	}
	path := filepath.Join(dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("upload log %s: %w", key, err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("upload log %s: %w", key, err)
	}
	tmp := f.Name()
	if _, err := f.Write(body); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("upload log %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("upload log %s: %w", key, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("upload log %s: %w", key, err)
	}
	return nil
}

// S3Config configures an S3Uploader for AWS or an S3-compatible service.
type S3Config struct {
	Endpoint        string // e.g. "http://127.0.0.1:9000"; "" for AWS
	Region          string // "us-east-1" when empty
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// VirtualHosted selects bucket.host addressing; path-style
	// (host/bucket/key) is the default, as S3-compatible servers expect.
	VirtualHosted bool
}

// S3Uploader stores log files with S3 PutObject.
type S3Uploader struct {
	client *s3.Client
}

// NewS3Uploader returns an uploader with static credentials.
func NewS3Uploader(cfg S3Config) *S3Uploader {
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	opts := s3.Options{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken),
		UsePathStyle: !cfg.VirtualHosted,
		// Checksums only when required: S3-compatible servers differ in
		// their support of the newer flexible checksums.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	return &S3Uploader{client: s3.New(opts)}
}

// Upload puts body as bucket/key.
func (u *S3Uploader) Upload(ctx context.Context, bucket, key string, body []byte) error {
	_, err := u.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(BucketName(bucket)),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String("application/x-gzip"),
	})
	if err != nil {
		return fmt.Errorf("put log s3://%s/%s: %w", BucketName(bucket), key, err)
	}
	return nil
}

// Interface guards.
var (
	_ Uploader = DirUploader{}
	_ Uploader = (*S3Uploader)(nil)
)
