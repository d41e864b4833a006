package app

import (
	"context"
	"fmt"
	"os"

	"openfront/internal/accesslog"
)

// hintedUploader adds to every delivery error what to set to fix it, so
// the log line of a failed delivery names the flag or variable (the
// usual first-hour failure: logging enabled, no --s3-endpoint).
type hintedUploader struct {
	accesslog.Uploader
	hint string
}

func (u hintedUploader) Upload(ctx context.Context, bucket, key string, body []byte) error {
	if err := u.Uploader.Upload(ctx, bucket, key, body); err != nil {
		return fmt.Errorf("%w (%s)", err, u.hint)
	}
	return nil
}

// accessLogHint says what to set when access logs cannot be delivered
// with these settings.
func accessLogHint(s *Settings) string {
	const creds = "OPENFRONT_S3_ACCESS_KEY_ID and OPENFRONT_S3_SECRET_ACCESS_KEY"
	switch {
	case s.AccessLogDir != "":
		return fmt.Sprintf("--access-log-dir %s must be a writable directory", absolute(s.AccessLogDir))
	case s.S3Endpoint == "":
		return "no --s3-endpoint: logs go to AWS S3 itself; set --s3-endpoint URL of an S3-compatible server (with " + creds + "), or --access-log-dir DIR to write log files"
	case os.Getenv("OPENFRONT_S3_ACCESS_KEY_ID") == "" || os.Getenv("OPENFRONT_S3_SECRET_ACCESS_KEY") == "":
		return "set " + creds + " for --s3-endpoint " + s.S3Endpoint + ", or --access-log-dir DIR to write log files"
	}
	return "check that the logging bucket exists on --s3-endpoint " + s.S3Endpoint + " and that OPENFRONT_S3_ACCESS_KEY_ID may write to it, or set --access-log-dir DIR"
}
