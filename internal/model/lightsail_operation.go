package model

import "time"

// LightsailOperationRecord is one Lightsail operation, under lsop/<id>: the
// record of a change a Create/Update/Delete/Reset call made, as the
// Operation shape describes it ("Operation" in the Lightsail API
// Reference).
type LightsailOperationRecord struct {
	ID              string
	ResourceName    string
	ResourceType    string // always "Distribution" here
	OperationType   string // CreateDistribution, UpdateDistribution, ...
	Details         string // operationDetails ("" for most)
	Status          string // Succeeded: the change is committed when the call returns
	CreatedAt       time.Time
	StatusChangedAt time.Time
}

// LightsailOperationRetain is how many operations are kept; recording one
// more deletes the oldest.
const LightsailOperationRetain = 1000
