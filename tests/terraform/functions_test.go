package terraform

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// functionRead is what aws_cloudfront_function's Read calls: DescribeFunction
// (DEVELOPMENT), GetFunction (the code) and DescribeFunction (LIVE, whose
// NoSuchFunctionExists means "not published").
type functionRead struct {
	Dev  *cloudfront.DescribeFunctionOutput
	Code *cloudfront.GetFunctionOutput
	Live *cloudfront.DescribeFunctionOutput
}

// TestTerraform_function: aws_cloudfront_function with publish = true:
// create then publish with the create ETag, update then publish with the
// update's ETag (read from the model's ETtag header), delete with the
// DEVELOPMENT ETag.
func TestTerraform_function(t *testing.T) {
	s := startServer(t)
	c, cf := ctx(t), s.cf
	code := func(n int) []byte {
		return []byte(fmt.Sprintf("function handler(event) {\n  // revision %d\n  return event.request;\n}\n", n))
	}
	config := &types.FunctionConfig{Comment: aws.String("tf"), Runtime: types.FunctionRuntimeCloudfrontJs20}
	p := "Dev.FunctionSummary."
	lifecycle{
		create: func() (string, error) {
			out, err := cf.CreateFunction(c, &cloudfront.CreateFunctionInput{Name: aws.String("tf-fn"), FunctionConfig: config, FunctionCode: code(0)})
			if err != nil {
				return "", err
			}
			if _, err := cf.DescribeFunction(c, &cloudfront.DescribeFunctionInput{Name: aws.String("tf-fn"), Stage: types.FunctionStageLive}); !isA[*types.NoSuchFunctionExists](err) {
				return "", fmt.Errorf("LIVE before publishing: %v, want NoSuchFunctionExists", err)
			}
			_, err = cf.PublishFunction(c, &cloudfront.PublishFunctionInput{Name: aws.String("tf-fn"), IfMatch: out.ETag})
			return "tf-fn", err
		},
		read: func(name string) (any, string, error) {
			var r functionRead
			var err error
			if r.Dev, err = cf.DescribeFunction(c, &cloudfront.DescribeFunctionInput{Name: aws.String(name), Stage: types.FunctionStageDevelopment}); err != nil {
				return nil, "", err
			}
			if r.Code, err = cf.GetFunction(c, &cloudfront.GetFunctionInput{Name: aws.String(name), Stage: types.FunctionStageDevelopment}); err != nil {
				return nil, "", err
			}
			if r.Live, err = cf.DescribeFunction(c, &cloudfront.DescribeFunctionInput{Name: aws.String(name), Stage: types.FunctionStageLive}); err != nil {
				return nil, "", err
			}
			return r, aws.ToString(r.Dev.ETag), nil
		},
		paths: []string{"Dev.ETag", p + "Name", p + "Status", p + "FunctionConfig.Comment", p + "FunctionConfig.Runtime",
			p + "FunctionMetadata.FunctionARN", p + "FunctionMetadata.Stage", p + "FunctionMetadata.LastModifiedTime",
			"Code.FunctionCode", "Code.ETag", "Live.ETag"},
		update: func(name, etag string, n int) error {
			out, err := cf.UpdateFunction(c, &cloudfront.UpdateFunctionInput{Name: aws.String(name), IfMatch: aws.String(etag), FunctionConfig: config, FunctionCode: code(n)})
			if err != nil {
				return err
			}
			if aws.ToString(out.ETag) == "" {
				return fmt.Errorf("UpdateFunction returned no ETag (the provider reads the ETtag header)")
			}
			_, err = cf.PublishFunction(c, &cloudfront.PublishFunctionInput{Name: aws.String(name), IfMatch: out.ETag})
			return err
		},
		delete: func(name, etag string) error {
			_, err := cf.DeleteFunction(c, &cloudfront.DeleteFunctionInput{Name: aws.String(name), IfMatch: aws.String(etag)})
			return err
		},
		gone: isA[*types.NoSuchFunctionExists],
	}.run(t)
}

// TestTerraform_keyValueStore: aws_cloudfront_key_value_store: create,
// wait for READY, update the comment with If-Match, delete.
func TestTerraform_keyValueStore(t *testing.T) {
	s := startServer(t)
	c, cf := ctx(t), s.cf
	lifecycle{
		create: func() (string, error) {
			_, err := cf.CreateKeyValueStore(c, &cloudfront.CreateKeyValueStoreInput{Name: aws.String("tf-kvs"), Comment: aws.String("revision 0")})
			if err != nil {
				return "", err
			}
			poll(t, "key value store READY", func() (bool, string, error) {
				out, err := cf.DescribeKeyValueStore(c, &cloudfront.DescribeKeyValueStoreInput{Name: aws.String("tf-kvs")})
				if err != nil {
					return false, "", err
				}
				return aws.ToString(out.KeyValueStore.Status) == "READY", aws.ToString(out.KeyValueStore.Status), nil
			})
			return "tf-kvs", nil
		},
		read: func(name string) (any, string, error) {
			out, err := cf.DescribeKeyValueStore(c, &cloudfront.DescribeKeyValueStoreInput{Name: aws.String(name)})
			if err != nil {
				return nil, "", err
			}
			return out, aws.ToString(out.ETag), nil
		},
		paths: []string{"ETag", "KeyValueStore.ARN", "KeyValueStore.Id", "KeyValueStore.Name", "KeyValueStore.Comment",
			"KeyValueStore.Status", "KeyValueStore.LastModifiedTime"},
		update: func(name, etag string, n int) error {
			_, err := cf.UpdateKeyValueStore(c, &cloudfront.UpdateKeyValueStoreInput{Name: aws.String(name), IfMatch: aws.String(etag), Comment: aws.String(fmt.Sprintf("revision %d", n))})
			return err
		},
		delete: func(name, etag string) error {
			_, err := cf.DeleteKeyValueStore(c, &cloudfront.DeleteKeyValueStoreInput{Name: aws.String(name), IfMatch: aws.String(etag)})
			return err
		},
		gone: isA[*types.EntityNotFound],
	}.run(t)
}
