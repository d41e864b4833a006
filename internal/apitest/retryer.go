package apitest

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// Retryer is the retry policy of tests' SDK clients: one attempt, so that
// a failed call is seen by the test and not retried away, except for a
// response cut off by the client closing its own connection ("use of
// closed network connection"). That is a race inside the client between
// the end of writing a request and reading a fast response, which the
// SDK's standard retryer retries (aws-sdk-go-v2 issue #2737, "DynamoDB:
// use of closed network connection"): loopback servers answer fast enough
// to meet it about once in a hundred runs of a test that makes a dozen
// calls. That error, and only it, gets a second attempt, at once.
func Retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 2
		o.RateLimiter = ratelimit.None
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		o.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			return aws.BoolTernary(err != nil && strings.Contains(err.Error(), "use of closed network connection"))
		})}
	})
}
