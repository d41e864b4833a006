// Package fastpath serves the edge's HTTP/1.1 connections, plain and over
// TLS, with its own connection loop, so that fresh cache hits skip
// net/http's per request costs.
//
// Over TLS (Server.TLSConfig), the loop runs on the *tls.Conn once the
// handshake is done and ALPN chose http/1.1 or nothing; an HTTP/2
// connection goes to net/http as the *tls.Conn (net/http's HTTP/2 server
// runs only on one). Request.TLS carries the connection state, so the
// edge decides everything (viewer protocol policy, signed URLs, the
// CloudFront-* headers) as it does for net/http's requests.
//
// Each request the loop can parse (a GET or HEAD of the plain shape,
// fuzz-checked against net/http's parser) is first offered to the
// Handler's ServeFast, which answers it from memory in one buffer or
// declines. A declined request (a miss, a Range, a disk hit, an error...)
// is answered on the same loop by the edge's ordinary http.Handler through
// a ResponseWriter that frames responses exactly as net/http does (its
// rules for that subset are copied from net/http's chunkWriter and
// compared on the wire in respond_test.go); the connection then goes on
// with the fast path. Any other request (other methods, request bodies,
// HTTP/1.0, unusual syntax, oversized heads) hands the connection, with
// the bytes read, to net/http for good (through Server.FallbackListener,
// where the edge guards request framing, limits and deadlines:
// internal/httpguard).
//
// Why: on a small machine net/http spends most of a tiny hit's CPU outside
// the edge: a background read goroutine and deadline changes per request,
// a buffered writer and header map per response, several allocations. A
// cache hit needs none of it. Here one read takes all the requests that
// have arrived, each hit's response is appended to one buffer, and one
// write sends them (bench/RESULTS.md has the figures).
//
// Why not a library: valyala/fasthttp would serve hits as fast, but it is
// HTTP/1.1 only and has its own Request/Response types, so the edge would
// need a second implementation of every rule for HTTP/2 and HTTP/3
// (shared/dependencies.md row 5). This package decides nothing itself:
// every rule stays in the edge's one request pipeline, and net/http keeps
// everything this package does not parse.
//
// One difference remains for requests answered on the loop by the http.Handler:
// their context is not cancelled when the viewer disconnects (net/http
// notices with a background read); a handler sees it as a write error.
package fastpath
