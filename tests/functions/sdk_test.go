// Package functions_test drives the CloudFront Functions API with
// aws-sdk-go-v2's cloudfront client, the client Terraform's AWS provider
// uses, over real HTTP.
package functions_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"

	"openfront/internal/apitest"
)

func newClient(t *testing.T) (*cloudfront.Client, *apitest.Server) {
	s := apitest.NewServer(t)
	c := cloudfront.New(cloudfront.Options{
		Region:       apitest.Region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(apitest.AccessKeyID, apitest.SecretAccessKey, ""),
		HTTPClient:   s.Client,
		Retryer:      apitest.Retryer(), // one attempt, but for the client's own closed-connection race
	})
	return c, s
}

const codeV1 = `function handler(event) {
    var request = event.request;
    if (request.uri.endsWith('/')) request.uri += 'index.html';
    return request;
}`

const codeV2 = `function handler(event) {
    console.log('v2');
    return {statusCode: 302, statusDescription: 'Found', headers: {location: {value: 'https://example.com' + event.request.uri}}};
}`

// describeLive reads the LIVE stage's ETag as Terraform does: a function
// never published answers NoSuchFunctionExists, stored as "".
func describeLive(t *testing.T, ctx context.Context, c *cloudfront.Client, name string) string {
	t.Helper()
	out, err := c.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String(name), Stage: types.FunctionStageLive})
	var nsf *types.NoSuchFunctionExists
	if errors.As(err, &nsf) {
		return ""
	}
	if err != nil {
		t.Fatalf("describe LIVE: %v", err)
	}
	return aws.ToString(out.ETag)
}

// TestTerraformFlow follows aws_cloudfront_function's create, read,
// update and delete with publish = true.
func TestTerraformFlow(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	name := "tf-rewrite"

	// Create, then publish with the ETag CreateFunction returned.
	created, err := c.CreateFunction(ctx, &cloudfront.CreateFunctionInput{
		Name:           aws.String(name),
		FunctionCode:   []byte(codeV1),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String("spa"), Runtime: types.FunctionRuntimeCloudfrontJs20},
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if aws.ToString(created.ETag) == "" || aws.ToString(created.Location) == "" ||
		created.FunctionSummary.FunctionMetadata.Stage != types.FunctionStageDevelopment || aws.ToString(created.FunctionSummary.Status) != "UNPUBLISHED" {
		t.Fatalf("create output: %+v", created)
	}
	if live := describeLive(t, ctx, c, name); live != "" {
		t.Fatalf("LIVE before publishing: %s", live)
	}
	pub, err := c.PublishFunction(ctx, &cloudfront.PublishFunctionInput{Name: aws.String(name), IfMatch: created.ETag})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if pub.FunctionSummary.FunctionMetadata.Stage != types.FunctionStageLive {
		t.Fatalf("publish output: %+v", pub.FunctionSummary.FunctionMetadata)
	}

	// Read: DEVELOPMENT describe and code, then the LIVE ETag.
	dev, err := c.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String(name), Stage: types.FunctionStageDevelopment})
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	code, err := c.GetFunction(ctx, &cloudfront.GetFunctionInput{Name: aws.String(name), Stage: types.FunctionStageDevelopment})
	if err != nil || string(code.FunctionCode) != codeV1 || aws.ToString(code.ETag) != aws.ToString(dev.ETag) || aws.ToString(code.ContentType) == "" {
		t.Fatalf("get: %+v %v", code, err)
	}
	liveETag := describeLive(t, ctx, c, name)
	if liveETag == "" || liveETag == aws.ToString(dev.ETag) {
		t.Fatalf("LIVE ETag %q, DEVELOPMENT %q", liveETag, aws.ToString(dev.ETag))
	}
	if aws.ToString(dev.FunctionSummary.FunctionMetadata.FunctionARN) != "arn:aws:cloudfront::"+apitest.AccountID+":function/"+name {
		t.Errorf("ARN %s", aws.ToString(dev.FunctionSummary.FunctionMetadata.FunctionARN))
	}

	// Update with the read ETag; the SDK reads the new one from ETtag;
	// publish with it.
	up, err := c.UpdateFunction(ctx, &cloudfront.UpdateFunctionInput{
		Name: aws.String(name), IfMatch: dev.ETag, FunctionCode: []byte(codeV2),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String("redirect"), Runtime: types.FunctionRuntimeCloudfrontJs20},
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if aws.ToString(up.ETag) == "" || aws.ToString(up.ETag) == aws.ToString(dev.ETag) {
		t.Fatalf("update ETag (read from ETtag) %q", aws.ToString(up.ETag))
	}
	if _, err := c.PublishFunction(ctx, &cloudfront.PublishFunctionInput{Name: aws.String(name), IfMatch: up.ETag}); err != nil {
		t.Fatalf("publish after update: %v", err)
	}
	liveCode, err := c.GetFunction(ctx, &cloudfront.GetFunctionInput{Name: aws.String(name), Stage: types.FunctionStageLive})
	if err != nil || string(liveCode.FunctionCode) != codeV2 {
		t.Fatalf("LIVE code after publish: %q %v", liveCode.FunctionCode, err)
	}

	// TestFunction on the LIVE stage with its ETag.
	event := `{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"198.51.100.11"},"request":{"method":"GET","uri":"/a/","querystring":{},"headers":{},"cookies":{}}}`
	tr, err := c.TestFunction(ctx, &cloudfront.TestFunctionInput{Name: aws.String(name), IfMatch: aws.String(describeLive(t, ctx, c, name)), Stage: types.FunctionStageLive, EventObject: []byte(event)})
	if err != nil {
		t.Fatalf("test: %v", err)
	}
	var out struct {
		Response struct {
			StatusCode int `json:"statusCode"`
		} `json:"response"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(tr.TestResult.FunctionOutput)), &out); err != nil || out.Response.StatusCode != 302 ||
		len(tr.TestResult.FunctionExecutionLogs) != 1 || aws.ToString(tr.TestResult.FunctionErrorMessage) != "" {
		t.Fatalf("test result: %+v (%v)", tr.TestResult, err)
	}
	if n, err := strconv.Atoi(aws.ToString(tr.TestResult.ComputeUtilization)); err != nil || n < 0 || n > 100 {
		t.Errorf("ComputeUtilization %q", aws.ToString(tr.TestResult.ComputeUtilization))
	}

	// List with the Stage filter.
	list, err := c.ListFunctions(ctx, &cloudfront.ListFunctionsInput{Stage: types.FunctionStageLive})
	if err != nil || aws.ToInt32(list.FunctionList.Quantity) != 1 || aws.ToString(list.FunctionList.Items[0].Name) != name {
		t.Fatalf("list: %+v %v", list, err)
	}

	// Delete with the current DEVELOPMENT ETag, as Terraform stores it.
	dev, err = c.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String(name), Stage: types.FunctionStageDevelopment})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteFunction(ctx, &cloudfront.DeleteFunctionInput{Name: aws.String(name), IfMatch: created.ETag}); !isCode(err, "PreconditionFailed") {
		t.Fatalf("delete with a stale ETag: %v", err)
	}
	if _, err := c.DeleteFunction(ctx, &cloudfront.DeleteFunctionInput{Name: aws.String(name), IfMatch: dev.ETag}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = c.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String(name)})
	var nsf *types.NoSuchFunctionExists
	if !errors.As(err, &nsf) {
		t.Fatalf("describe after delete: %v", err)
	}
}

// TestErrorsAreTyped: the SDK maps each error to its modelled type.
func TestErrorsAreTyped(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	in := &cloudfront.CreateFunctionInput{Name: aws.String("dup"), FunctionCode: []byte(codeV1),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String(""), Runtime: types.FunctionRuntimeCloudfrontJs10}}
	if _, err := c.CreateFunction(ctx, in); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateFunction(ctx, in)
	var exists *types.FunctionAlreadyExists
	if !errors.As(err, &exists) {
		t.Errorf("duplicate: %v", err)
	}
	big := make([]byte, 10*1024+1)
	for i := range big {
		big[i] = ' '
	}
	_, err = c.CreateFunction(ctx, &cloudfront.CreateFunctionInput{Name: aws.String("big"), FunctionCode: big,
		FunctionConfig: &types.FunctionConfig{Comment: aws.String(""), Runtime: types.FunctionRuntimeCloudfrontJs10}})
	var tooBig *types.FunctionSizeLimitExceeded
	if !errors.As(err, &tooBig) || httpStatus(err) != 413 {
		t.Errorf("too big: %v", err)
	}
	_, err = c.UpdateFunction(ctx, &cloudfront.UpdateFunctionInput{Name: aws.String("dup"), FunctionCode: []byte(codeV1),
		FunctionConfig: &types.FunctionConfig{Comment: aws.String(""), Runtime: types.FunctionRuntimeCloudfrontJs10}, IfMatch: aws.String("")})
	var ifm *types.InvalidIfMatchVersion
	if !errors.As(err, &ifm) {
		t.Errorf("update without If-Match: %v", err)
	}
	_, err = c.PublishFunction(ctx, &cloudfront.PublishFunctionInput{Name: aws.String("dup"), IfMatch: aws.String("ENOTCURRENT")})
	var pf *types.PreconditionFailed
	if !errors.As(err, &pf) {
		t.Errorf("publish with a wrong ETag: %v", err)
	}
	_, err = c.GetFunction(ctx, &cloudfront.GetFunctionInput{Name: aws.String("nope")})
	var nsf *types.NoSuchFunctionExists
	if !errors.As(err, &nsf) || httpStatus(err) != 404 {
		t.Errorf("get missing: %v", err)
	}
}

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
