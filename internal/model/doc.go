// Package model holds OpenFront's domain types: distributions, streaming
// distributions, origin access identities, invalidations, tags, public
// keys, key groups and origin access controls, the CloudFront rules that
// validate them, and the typed views the edge compiles into snapshots.
//
// A configuration is kept as a document tree in the canonical CloudFront
// 2020-05-31 shape (see Tree): structures are map[string]any, lists []any,
// scalars strings in their XML text form. Keeping the document, not a
// hand-typed struct, means every member a client sends is stored and echoed
// back exactly, in both API versions, including the many members OpenFront
// does not act on. The members OpenFront does act on are read once into
// typed views (DistributionConfig, Origin, Behavior, ...) by Parse* functions;
// validation runs on those views.
//
// model does no I/O and imports nothing of ours.
package model
