// Package rtmp is the RTMP edge: it serves video on demand for CloudFront
// streaming distributions (Developer Guide, "Working with RTMP
// Distributions", archived in awsdocs/amazon-cloudfront-developer-guide;
// AWS retired them on 31 December 2020, serving them is OpenFront's choice)
// over plain RTMP.
//
// A viewer connects to rtmp://<streaming domain or alias>/cfx/st and plays
// a stream name: "mp4:<key>" for MP4 objects, "<key>" or "flv:<key>" for
// FLV objects (".flv" optional), optionally with "?query" carrying the
// viewer's own parameters and, for private content, CloudFront's
// signed-URL parameters. The host of the connect command's tcUrl picks the
// distribution in the current snapshot (the same snapshot.Watcher as the
// HTTP edge, read at every connect), so the revision the watcher reports
// as applied is live here too; the object comes from the distribution's
// S3 origin through origin.Client (path-style to --s3-endpoint, SigV4
// signed when an origin access identity is set).
//
// # Flow of a connection
//
//	handshake (handshake.go) → chunk stream (chunk.go) → commands (conn.go):
//	connect: tcUrl host → distribution; unknown, disabled, wrong app → _error, close
//	createStream → _result
//	play → player goroutine (player.go):
//	    parse the name (streamname.go) → signed-URL check (verify.go) →
//	    open the object in blocks (object.go) → FLV or MP4 source (flv.go, mp4.go) →
//	    StreamIsRecorded, StreamBegin, Play.Reset, Play.Start, |RtmpSampleAccess,
//	    onMetaData, codec configuration, media paced against the clock →
//	    onPlayStatus Complete, StreamEOF, Play.Stop
//	seek / pause / unpause / deleteStream → handed to the player
//	every event → streaming access log (accesslog.go)
//
// Refusals are active and fast: NetConnection.Connect.Rejected on connect,
// NetStream.Play.StreamNotFound (missing object, bad name),
// NetStream.Play.Failed (unplayable object, origin error, failed
// signature), each followed by closing the connection.
//
// # Why our own protocol code (and not gortmplib)
//
// The RTMP library we would otherwise use is github.com/bluenviron/gortmplib v1.0.1. Its
// ServerConn is built for live publish/play (MediaMTX): the accept flow is
// fixed (connect → createStream → play returns to the caller, then
// AcceptAction sends live status codes such as Play.PublishNotify), there
// is no hook to answer connect with _error for an unknown host before
// _result, no StreamNotFound, and seek, pause and deleteStream are left
// to the caller with no way to read them while media is written from
// another goroutine (its message reader writes acknowledgements itself).
// Its chunk reader also keeps up to 10 MiB of fragments per chunk stream.
// A VOD server needs the opposite shape: one read loop for commands, one
// writer per stream, and small inbound limits. The parts we need are
// small (handshake, chunk reader/writer, AMF0: about 600 lines) and are
// fuzzed here (FuzzChunkReader, FuzzDecodeAMF, FuzzHandshake):
//
//   - inbound messages are at most 256 KiB, partial messages of one
//     connection at most 1 MiB in total, at most 64 chunk streams, and
//     payload buffers grow only as bytes arrive, never from a length on
//     the wire;
//   - AMF0 decoding is bounded by its input and nests at most 32 deep.
//
// MP4 files are read with mediacommon/v2 pkg/formats/pmp4 (the moov index
// through an io.ReadSeeker over the block reader; sample payloads on
// demand); FLV files with our own tag reader (FLV tags are RTMP message
// bodies).
//
// # Origin reads and the cache
//
// Objects are read from the origin in ranges of Options.BlockSize (256
// KiB) and each block goes through the edge's object cache
// (cache.Cache.Fill, collapsed between concurrent players), keyed
// "rtmp|<dist id>|<S3 domain>|<path>|<etag>|<block>". Block 0 is keyed
// without the ETag and expires after Options.TTL (24 h); its ETag and the
// total size from Content-Range pin the version, and later blocks are
// fetched with If-Match, so one play never mixes two versions of an
// object. Repeated and concurrent plays read every block from the origin
// once while it stays cached. Playing an FLV from a seek point first walks
// the tag headers up to that point (FLV has no index), reading the blocks
// on the way; MP4 seeks use the moov sample table.
//
// # Private content
//
// With TrustedSigners enabled every play must carry a signed query;
// Options.Verifier returns the check for the distribution's signers, with
// Resource = the stream name plus the viewer's own query (as for RTMP
// distributions, "Working with RTMP Distributions"). No
// verifier (nil) refuses every private stream.
//
// # Caveats
//
//   - Plain RTMP only: RTMPT, RTMPE (C0 = 6) and RTMPS are refused.
//   - Play only; publish is refused. mp3: and other prefixes are refused
//     as invalid names.
//   - MP4: H.264 and AAC tracks are played, others skipped; pmp4 does not
//     read co64, so MP4 files over 4 GiB are refused as unplayable. NAL
//     units are assumed to carry 4-byte lengths (what muxers write).
//   - Media is paced: sent ahead of real time by the player's buffer
//     length plus 2 s (at most 12 s); the end (Play.Stop) is signalled when
//     the last media is due, so a seek near the end never races a stale
//     stop.
//   - Access logs are buffered per distribution and delivered every
//     Options.LogInterval (1 min) and at Shutdown.
package rtmp
