// Package fastpath serves the edge's HTTP/1.1 connections, plain and over
// TLS, and its HTTP/2 connections, with its own connection loops, so that
// fresh cache hits skip net/http's per request costs.
//
// Over TLS (Server.TLSConfig), the loop runs on the *tls.Conn once the
// handshake is done and ALPN chose http/1.1 or nothing. A connection that
// chose "h2" is served by this package's HTTP/2 server (Server.HTTP2,
// below), or else goes to net/http as the *tls.Conn. ALPN offers h2 only
// to distributions whose HttpVersion allows it, and only to viewers
// sending SNI (package tlsconfig), so http1.1 distributions never get
// here. Request.TLS carries the
// connection state, so the edge decides everything (viewer protocol
// policy, signed URLs, the CloudFront-* headers) as it does for
// net/http's requests. HTTP/2 without TLS (h2c) is not served, as
// CloudFront serves HTTP/2 over HTTPS only: on the plain port a
// prior-knowledge preface is an HTTP/1.x "PRI *" request, handed to
// net/http like any request this package does not parse.
//
// HTTP/2 (h2.go, h2request.go, h2response.go, h2hpack.go; RFC 9113). One
// goroutine per connection reads frames in batches (with h2load -m16 one
// read holds 16 HEADERS frames) and handles each in turn: into a 4 KiB
// array of its own, or a pooled 64 KiB buffer for larger frames and
// bursts, which goes back to the pool once its bytes are handled, so an
// idle connection holds none (h2readbuf.go).
// A request whose HEADERS end the stream (GET or HEAD, no body) is built
// into the same Request the HTTP/1.1 loop builds, with HTTP2 set, and
// offered to Handler.ServeFast: the plan input is the same, so the edge
// decides alike over HTTP/1.1, HTTP/2 and HTTP/3. The HTTP/1.1 head it
// returns is turned into an HPACK block (names lowercased, Connection
// dropped) and queued with the body's DATA frames, within the peer's
// flow control windows (a body the windows cannot take waits for
// WINDOW_UPDATE on the connection's goroutine); everything queued while
// handling one read goes out in one write. The hit path allocates nothing
// (TestH2_hitPathAllocs). Every other request (a decline, a body, a
// method other than GET or HEAD, gRPC) runs Fallback.Handler in a
// goroutine of its own with an http.Request built as net/http's HTTP/2
// server builds it and a ResponseWriter of this package (Flush, trailers
// declared or with http.TrailerPrefix, 1xx, Content-Length and
// Content-Type as net/http sets them, http.ResponseController's
// deadlines); its frames join the connection's queue, and what it reads
// of the body is given back as WINDOW_UPDATE. Writes are serialised by one
// lock held only to swap the queue, so the read loop goes on reading
// (WINDOW_UPDATE, PING) while a write blocks.
//
// HPACK: requests are decoded with golang.org/x/net/http2/hpack (a header
// block is decoded fragment by fragment as it arrives); responses are
// encoded by h2hpack.go, without dynamic table or Huffman coding (as
// nginx, less the Huffman coding): it keeps no state, so handlers'
// goroutines encode without ordering against each other, and allocates
// nothing. The framing is this package's own (a frame header is 9
// bytes): x/net's Framer allocates per HEADERS frame and reads one frame
// per call.
//
// Limits against hostile peers: SETTINGS_MAX_CONCURRENT_STREAMS (128)
// counts a stream until its handler returns, even when the peer reset it,
// and a peer that resets running streams or opens streams past the limit
// more than h2ResetBudget times (net of streams completed) gets GOAWAY
// ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487); a header block over
// twice MaxHeaderListBytes ends the connection (CONTINUATION flood), a
// header list over it gets 431; frames larger than 16 KiB are refused;
// PING and SETTINGS acknowledgements are not queued past 1 MiB for a peer
// that does not read, and writes have a deadline (SendTimeout, else
// IdleTimeout, else a minute), as have handlers waiting for a window
// (zero-window stall: RST_STREAM CANCEL); a header block (or frame header) must be complete
// within ReadHeaderTimeout of its first bytes, as an HTTP/1.1 head. A
// connection without running handlers or new streams for IdleTimeout
// gets GOAWAY(NO_ERROR), whatever else (PINGs) it sends meanwhile; DATA
// in flight on a stream this server reset is ignored (RFC 9113 section
// 5.4.2). On Shutdown each connection sends GOAWAY, serves the streams it
// has and then closes.
// h2spec (TestH2_h2spec) and the hostile peers of h2_hostile_test.go check
// the protocol.
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
// A connection takes its read and write buffers from a pool after the
// TLS handshake. An idle HTTPS/1.1 connection gives them back and waits
// in a 2 KiB read array of its own (tls1idle.go); a plain one keeps them
// while it waits in the epoll loop, which reads into them.
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
// (edge-triggered); its own epoll descriptor is waited on through Go's
// netpoller (the wait callback of a RawConn read calls epoll_wait with a
// zero timeout after the netpoller's readiness was reset, so no event is
// lost and no thread blocks in epoll_wait). For each ready connection the
// loop reads once, answers the fast hits in place with the same parser
// and Handler, and writes once without blocking; the next read waits for
// epoll to report data. It does so for a batch (the connections one
// epoll_wait reported) in three passes, every read, then every answer,
// then every write, so that each code path runs back to back; a Handler
// that is a Batcher does its per-request bookkeeping (the edge's
// counting) once per batch, between the answers and the writes. Its
// system calls never block, so they are raw
// ones (no scheduler bookkeeping, and the runtime's monitor never hands
// the loop's P to another thread), and it passes through the scheduler
// at least every 100 microseconds of serving (a goroutine that never
// does is preempted the hard way, and the P's other goroutines would
// wait for that). The set is edge-triggered: a connection is reported
// once per arrival, and the loop looks again itself when a read filled
// its buffer or came with the viewer's close. Go also keeps every socket
// it opens in its own netpoller, which would report a parked
// connection's bytes a second time for no goroutine; so a connection that
// answered 32 hits in a row in the loop is detached (the loop keeps a
// duplicate descriptor, the net.Conn is closed) and its goroutine makes
// it a net.Conn again when it is handed back. bench/EPOLL-RESULTS.md has
// the measurements.
//
// The loop's writes never wait, so it never needs the send timeout
// (Server.SendTimeout, sendtimeout.go): a body from writevSize up, or
// answers the socket does not take whole, go back to the connection's
// goroutine, whose writes arm it only when they must wait for room.
//
// A connection whose last request was declined (a miss, most often)
// does not park: its goroutine waits for the next request itself, with
// the raw read of package rawio. Parking it would cost two epoll_ctl
// calls, a parse and a declined ServeFast in the loop, and two goroutine
// switches when its next request is a miss again, as it tends to be
// during a fill (bench/FILL-RESULTS.md: about 8% of a cold fill's
// CPU). Waiting there holds nothing a parked connection does not hold
// (its buffers and its goroutine stay with it either way), and the
// read deadline bounds it like any goroutine read. After its next fast
// hit it parks again.
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
// (OpenFront's choice of HTTP server). This package decides nothing itself:
// every rule stays in the edge's one request pipeline, and net/http keeps
// everything this package does not parse.
//
// One difference remains for requests answered on the loop by the http.Handler:
// their context is not cancelled when the viewer disconnects (net/http
// notices with a background read); a handler sees it as a write error.
package fastpath
