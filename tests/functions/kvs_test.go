package functions_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// TestKeyValueStoreFlow follows aws_cloudfront_key_value_store: create,
// wait for READY, read, update the comment with the ETag, delete.
func TestKeyValueStoreFlow(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	created, err := c.CreateKeyValueStore(ctx, &cloudfront.CreateKeyValueStoreInput{Name: aws.String("tf-kvs"), Comment: aws.String("one")})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	kvs := created.KeyValueStore
	if aws.ToString(created.ETag) == "" || aws.ToString(kvs.Id) == "" || aws.ToString(kvs.Status) != "PROVISIONING" {
		t.Fatalf("create output %+v", created)
	}
	d, err := c.DescribeKeyValueStore(ctx, &cloudfront.DescribeKeyValueStoreInput{Name: aws.String("tf-kvs")})
	if err != nil || aws.ToString(d.KeyValueStore.Status) != "READY" || aws.ToString(d.KeyValueStore.ARN) != aws.ToString(kvs.ARN) {
		t.Fatalf("describe: %+v %v", d, err)
	}
	up, err := c.UpdateKeyValueStore(ctx, &cloudfront.UpdateKeyValueStoreInput{Name: aws.String("tf-kvs"), Comment: aws.String("two"), IfMatch: d.ETag})
	if err != nil || aws.ToString(up.KeyValueStore.Comment) != "two" || aws.ToString(up.ETag) == aws.ToString(d.ETag) {
		t.Fatalf("update: %+v %v", up, err)
	}
	list, err := c.ListKeyValueStores(ctx, &cloudfront.ListKeyValueStoresInput{})
	if err != nil || aws.ToInt32(list.KeyValueStoreList.Quantity) != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}
	_, err = c.CreateKeyValueStore(ctx, &cloudfront.CreateKeyValueStoreInput{Name: aws.String("tf-kvs")})
	var exists *types.EntityAlreadyExists
	if !errors.As(err, &exists) {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := c.DeleteKeyValueStore(ctx, &cloudfront.DeleteKeyValueStoreInput{Name: aws.String("tf-kvs"), IfMatch: d.ETag}); !isCode(err, "PreconditionFailed") {
		t.Errorf("delete with a stale ETag: %v", err)
	}
	if _, err := c.DeleteKeyValueStore(ctx, &cloudfront.DeleteKeyValueStoreInput{Name: aws.String("tf-kvs"), IfMatch: up.ETag}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = c.DescribeKeyValueStore(ctx, &cloudfront.DescribeKeyValueStoreInput{Name: aws.String("tf-kvs")})
	var nf *types.EntityNotFound
	if !errors.As(err, &nf) {
		t.Fatalf("describe after delete: %v", err)
	}
}
