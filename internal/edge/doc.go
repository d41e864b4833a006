// Package edge is the HTTP(S) edge: it serves every enabled distribution
// of the live snapshot with CloudFront's semantics.
//
// Every request runs the same phases, in the order CloudFront applies
// them ("How Lambda@Edge works with requests and responses" and "CloudFront
// events that can trigger a Lambda@Edge function", AWS CloudFront
// Developer Guide: viewer request, cache, origin request, origin
// response, viewer response), on one per-request exchange. exchange.run
// is the whole pipeline:
//
//	plan (plan.go, pure: no I/O; table tests drive it)
//	  resolveDistribution  Host -> distribution (unknown or disabled: 403;
//	                       staging distributions have no Host of their own)
//	  routeStaging         staging.go: a primary's continuous deployment
//	                       policy hands the request (by header, or by
//	                       weight with a session cookie) to its staging
//	                       distribution, whose config decides the rest
//	  geo restriction      TCP peer's country (blocked: 403)
//	  matchBehavior        path normalised (package urlpath; bad escape:
//	                       400), first PathPattern match, else the default
//	  requestFilter        viewer protocol policy (403 or redirect),
//	                       allowed methods, signed URLs and cookies
//	  fieldLevelEncryption POST/PUT body's profile by content type or
//	                       fle-profile (blocked: 400; fle.go)
//	  cacheKey             from the behaviour's cache policy; cached or not
//	  -> a refusal         exchange.refused: CloudFront's page, redirect, XML
//	viewer request         functions.go: the behaviour's viewer-request
//	                       function (its event has the edge's CloudFront-*
//	                       headers the policies name, never the viewer's,
//	                       and no disallowed header); its request re-plans the cache key
//	                       and origin request (replan), its origin
//	                       modification calls the origins of the request
//	                       (replanOrigin, requestorigin.go), its response
//	                       or failure is the answer
//	obtain (serve.go)      cacheLookup: fresh is a Hit; stale is revalidated,
//	                       refreshed in the background, or served on error
//	  passThrough          serve.go: not cached; a body with a field-level
//	                       encryption profile is buffered (1 MB) and its
//	                       fields encrypted before the origin request (fle.go);
//	                       a viewer body that fails is the viewer's failure
//	                       (body.go: 408 too slow, 400 malformed), never
//	                       the origin's
//	  upstream (miss)      upstream.go: originRequest (derived once from the
//	                       viewer request), fetch with failover (from the
//	                       plan's origins: the behaviour's, or a
//	                       function's choice), and
//	                       upstreamResponse, which decides TTL and what is
//	                       STORED, through the collapsing fill (cache.Fill)
//	  -> a failure         originFailed: CloudFront's 502/504 page
//	  gRPC (not cached)    grpc.go: passThrough hands application/grpc
//	                       requests of GrpcConfig behaviours to
//	                       grpcPassThrough (HTTP/2 to the origin, each
//	                       message flushed, trailers passed on)
//	  WebSocket            websocket.go: an HTTP/1.1 opening handshake
//	    (not cached)       goes to the origin with Upgrade; its 101 is
//	                       stamped by write, which then splices the
//	                       viewer's connection (hijacked) with the
//	                       origin's until either closes; logging runs
//	                       at the close
//	write (respond.go)     the one response path, for every response above:
//	                       custom error page (errors.go), per-viewer filters
//	                       (conditional 304, Range), status, X-Cache, Via,
//	                       Age, X-Amz-Cf-*, then the body
//	finish (exchange.go)   logging, always (deferred): metrics, traffic
//	                       statistics, the access log (accesslog.go) and, at
//	                       debug level, one structured line per request
//
// Where a new phase goes: a rule decided from the request head alone
// (staging routing is one, a new filter) is a step of planner.plan, returning a
// refusal to stop; code that rewrites the viewer request or answers it
// (a viewer-request function) runs between plan and obtain in run; edits
// to what the origin is asked or what is stored (origin-request and
// origin-response functions, field-level encryption) belong in
// originRequest or upstreamResponse, and are shared by every viewer of
// the object; per-viewer edits of any response (a viewer-response
// function, a response headers policy) are one call in write, at its
// "viewer response" mark before WriteHeader. Nothing writes to the viewer
// outside write, except ServeFast's fresh hits: a phase that changes what
// a hit looks like must also make ServeFast decline where it applies
// (ServeFast's stamp is appendHitStamp, next to stampHeaders).
//
// Transports: HTTP/1.1 (plain and TLS) and HTTP/2 (TLS, ALPN h2) are
// served by package fastpath, HTTP/3 by quic-go's http3.Server; all of
// them run this one pipeline. On fastpath's connections ServeFast
// (fast.go) answers fresh memory hits first: it runs the same plan and
// only adds "look the key up in memory, write the stored head and body",
// with the headers write would stamp (fastpath turns the head into HTTP/2
// HEADERS on an h2 stream; Request.HTTP2 makes it say Via 2.0, as
// stampHeaders does). It declines everything else, which then runs the
// phases (ServeHTTP, stream by stream on HTTP/2). Keep it allocation-free.
//
// Logs: each failed origin fetch (upstream.go, logOriginFailure, with the
// attempts the origin client counted), each body an origin cut short
// (watchedBody) and each refusal that is not the viewer's fault are WARN
// lines at the default level; the access log keeps CloudFront's standard
// log format.
//
// The edge never reads the store: Apply swaps in snapshots compiled by
// package snapshot and purges invalidated objects before the revision is
// reported as applied.
package edge
