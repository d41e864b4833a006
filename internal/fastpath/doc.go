// Package fastpath serves the edge's plain-HTTP/1.1 connections itself
// while every request on them is one the edge can answer at once from
// memory (a fresh cache hit), and hands a connection to net/http at the
// first request that is not.
//
// Why: on a small machine net/http spends most of a tiny hit's CPU outside
// the edge: a background read goroutine and deadline changes per request,
// a buffered writer and header map per response, several allocations. A
// cache hit needs none of it. Here one read takes all the requests that
// have arrived, each hit's response (head pre-rendered by the edge, body
// shared from the memory tier) is appended to one buffer, and one write
// sends them. A 1 KiB hit costs less than half the CPU it costs through
// net/http (bench/RESULTS.md).
//
// Why not a library: valyala/fasthttp would serve these requests as fast,
// but it is HTTP/1.1 only and has its own Request/Response types, so the
// edge would need a second implementation of every rule for HTTP/2 and
// HTTP/3 (shared/dependencies.md row 5). This package does the opposite:
// it parses only the plain shape of a GET or HEAD (fuzz-checked against
// net/http's parser), decides nothing itself, and leaves every other
// request, valid or not, to net/http and the edge's one request pipeline.
// The edge's ServeFast declines whatever that pipeline would treat
// differently from a plain hit.
//
// A connection handed over stays with net/http; handing a connection back
// would need net/http's connection loop. Clients that mix misses and hits
// on one connection therefore get the fast path only until their first
// miss; benchmarks and browsers re-reading cached assets stay on it.
package fastpath
