package app

import (
	"log/slog"
	"os"

	"openfront/internal/realtimelog"
)

// newRealtimeLogger puts real-time log records to --kinesis-endpoint (AWS
// Kinesis when empty) with the OPENFRONT_KINESIS_* credentials.
func newRealtimeLogger(s *Settings, log *slog.Logger) *realtimelog.Logger {
	putter := realtimelog.NewKinesisPutter(realtimelog.KinesisConfig{
		Endpoint:        s.KinesisEndpoint,
		Region:          s.KinesisRegion, // only for an ARN without a region
		AccessKeyID:     os.Getenv("OPENFRONT_KINESIS_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("OPENFRONT_KINESIS_SECRET_ACCESS_KEY"),
		SessionToken:    os.Getenv("OPENFRONT_KINESIS_SESSION_TOKEN"),
	})
	return realtimelog.New(realtimelog.Options{Putter: putter, Log: log.With("component", "realtimelog")})
}
