package model

import "time"

// The records below are what control writes to the store and what the
// edge's snapshot compiler reads back: the storage format, in one place.
// Each is JSON-encoded under its key.

// The key families they are stored under are in storekeys.go.

// DistributionRecord is a distribution, under dist/<id>.
type DistributionRecord struct {
	ID           string
	DomainName   string
	LastModified time.Time
	Config       Tree // canonical DistributionConfig
}

// StreamingDistributionRecord is a streaming distribution, under sdist/<id>.
type StreamingDistributionRecord struct {
	ID           string
	DomainName   string
	LastModified time.Time
	Config       Tree // canonical StreamingDistributionConfig
}

// OAIRecord is an origin access identity, under oai/<id>.
type OAIRecord struct {
	ID                string
	S3CanonicalUserID string
	Config            Tree // CloudFrontOriginAccessIdentityConfig
}

// InvalidationRecord is an invalidation batch, under inval/<dist>/<id>.
type InvalidationRecord struct {
	ID              string
	DistributionID  string
	CallerReference string
	Paths           []string
	CreateTime      time.Time
}
