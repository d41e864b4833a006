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
// # The epoll loop (Linux, plain HTTP)
//
// A keep-alive connection's goroutine would, after each answer, read
// again at once; the viewer has not sent its next request yet, so that
// read returns EAGAIN and the goroutine parks in Go's netpoller: three
// system calls and two goroutine switches per request where one read and
// one write do the work (bench/READ-WAIT-RESULTS.md). So a plain
// connection's goroutine, once it has answered everything and holds no
// partial head, parks the connection in an epoll loop (poller_linux.go)
// and waits on a channel. The loop's epoll set holds those connections
// (level-triggered); its own epoll descriptor is waited on through Go's
// netpoller (the wait callback of a RawConn read calls epoll_wait with a
// zero timeout after the netpoller's readiness was reset, so no event is
// lost and no thread blocks in epoll_wait). For each ready connection the
// loop reads once, answers the fast hits in place with the same parser
// and Handler, and writes once without blocking; the next read waits for
// epoll to report data. Its system calls never block, so they are raw
// ones (no scheduler bookkeeping, and the runtime's monitor never hands
// the loop's P to another thread), and it passes through the scheduler
// at least every 100 microseconds of serving (a goroutine that never
// does is preempted the hard way, and the P's other goroutines would
// wait for that). bench/EPOLL-RESULTS.md has the measurements.
//
// The loop keeps only that steady state. Anything else (a partial head,
// a request Handler declines or parse does not take, a body written in
// place, from writevSize up, Connection: close, a write the socket does
// not take whole, the end of the stream) removes the connection from the
// epoll set and hands it back to its goroutine with the bytes read and
// the answers not yet sent (resume), and the goroutine goes on exactly as
// if it had read them itself: head deadlines, net/http for declined
// requests, handover, back-pressure through Go's blocking writes. The
// loop closes connections parked for IdleTimeout (checked every second,
// the slack the goroutine loop's deadlines have too), and Shutdown hands
// every parked connection back to be closed. There is one loop per P at
// the start (GOMAXPROCS); a connection goes to the loop of its
// descriptor. TLS connections, and other systems, use the goroutine loop
// only.
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
