// Package control owns the control-plane operations shared by the API
// front-ends: creating, reading, updating and deleting distributions,
// streaming distributions, origin access identities, invalidations, tags,
// public keys, key groups and origin access controls, with CloudFront's
// rules: ids and domain names, ETag/If-Match, CallerReference idempotency,
// uniqueness of aliases and names, references between resources, quotas,
// and the Status that follows the edges' reports.
//
// Every operation is one store transaction. Status (InProgress/Deployed,
// InProgress/Completed) is never stored: it is computed when read, from the
// lowest revision every live edge has applied (see Fleet), so it is always
// a true statement about the fleet. A distribution's Status counts every
// stored record the edge compiles into it, not only its own (deployed.go).
//
// control speaks in document trees (model.Tree) in the canonical 2020-05-31
// shape; turning a wire body of one API version into a tree, and merging a
// legacy update into the stored tree, is the front-end's job (the Apply
// function of an update). Errors are *model.Error values carrying the
// CloudFront code; front-ends map them to their own protocol.
package control
