// Package edge is the HTTP(S) edge: it serves every enabled distribution
// of the live snapshot with CloudFront's semantics (spec edge.md).
//
// Every request runs the same phases, in this order, on one per-request
// exchange (exchange.go):
//
//	resolveDistribution  Host -> distribution (unknown or disabled: 403)
//	matchBehavior        path normalised (package urlpath; bad escape: 400),
//	                     first PathPattern match, else the default behaviour
//	requestFilter        viewer protocol policy, allowed methods
//	cacheKey             from the behaviour's forwarded values / cache policy
//	cacheLookup          fresh: Hit; stale: revalidate (RefreshHit) or refetch
//	  upstream (miss)    origin request derived once from the viewer request,
//	                     filtered; fetched through the collapsing fill;
//	                     upstreamResponseFilter decides TTL and what is STORED
//	responseFilter       per viewer, after the cache: conditional 304, Range,
//	                     custom error pages, X-Cache/Via/Age/X-Amz-Cf-*
//	logging              always runs (deferred): metrics
//
// On plain-HTTP/1.1 connections (package fastpath) ServeFast answers the
// fresh memory hits first, with the response these phases would write
// (fast.go); it declines everything else, which then runs the phases.
//
// Edits made in the upstream phases are stored in the cache and so must
// be the same for every viewer; per-viewer edits belong in responseFilter.
// The edge never reads the store: Apply swaps in snapshots compiled by
// package snapshot and purges invalidated objects before the revision is
// reported as applied.
package edge
