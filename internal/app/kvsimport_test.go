package app

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"openfront/internal/mototest"
)

// The ImportSource reader gets the object from --s3-endpoint (moto's S3),
// path-style, with the OPENFRONT_S3_* credentials; a missing object is an
// error naming it.
func TestImportSourceReader_moto(t *testing.T) {
	endpoint := mototest.Start(t)
	t.Setenv("OPENFRONT_S3_ACCESS_KEY_ID", "AKIAOPENFRONTKVS0000")
	t.Setenv("OPENFRONT_S3_SECRET_ACCESS_KEY", "secret")
	ctx := context.Background()
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("moto", "moto", "")})
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("kvs")}); err != nil {
		t.Fatal(err)
	}
	data := []byte(`{"data":[{"key":"k","value":"v"}]}`)
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kvs"), Key: aws.String("dir/data.json"), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	read := importSourceReader(&Settings{S3Endpoint: endpoint, S3Region: "us-east-1"})
	got, err := read(ctx, "kvs", "dir/data.json")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %q, %v", got, err)
	}
	if _, err := read(ctx, "kvs", "missing.json"); err == nil || !strings.Contains(err.Error(), "s3://kvs/missing.json") {
		t.Errorf("missing object: %v", err)
	}
}
