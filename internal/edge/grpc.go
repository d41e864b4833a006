package edge

import (
	"io"
	"net/http"
	"strings"

	"openfront/internal/cache"
	"openfront/internal/origin"
)

// gRPC ("Using gRPC with CloudFront distributions", AWS CloudFront
// Developer Guide): on a behaviour with GrpcConfig enabled, a request
// whose Content-Type is application/grpc is proxied to the origin, never
// cached, over HTTP/2 and HTTPS end to end, with its stream in both
// directions (unary, client, server and bidirectional streaming) and the
// origin's trailers (grpc-status, grpc-message) passed on. Other requests
// of the behaviour are served as usual. The viewer must use HTTP/2 (the
// distribution's HttpVersion enables it; the API checks that).

// isGRPC reports whether the request is one the behaviour proxies as gRPC.
func (x *exchange) isGRPC() bool {
	if !x.beh.GRPC || x.r.ProtoMajor != 2 || x.r.Method != http.MethodPost {
		return false
	}
	ct := x.r.Header.Get("Content-Type")
	return ct == "application/grpc" || strings.HasPrefix(ct, "application/grpc+") || strings.HasPrefix(ct, "application/grpc;")
}

// grpcPassThrough forwards a gRPC request: the viewer's headers as sent
// (gRPC metadata is headers; CloudFront proxies the request "directly"),
// with the edge's own (Via, X-Forwarded-For, X-Amz-Cf-Id) from the plan's
// origin request, and the body streamed as it arrives.
func (x *exchange) grpcPassThrough() response {
	var out origin.Request
	x.originRequest(&out, nil, x.r.Method, x.r.Body, -1)
	src := x.r.Header.Clone()
	removeHopByHop(src)
	for name, vs := range src {
		if _, planned := out.Header[name]; !planned {
			out.Header[name] = vs
		}
	}
	out.Header.Set("Te", "trailers") // gRPC over HTTP/2 requires it; hop-by-hop, so set anew
	out.GRPC = true
	resp, err := x.fetch(x.r.Context(), &out, nil) // gRPC's body ends with trailers: its errors are the stream's
	if err != nil {
		if x.r.Context().Err() != nil {
			return response{viewerGone: true}
		}
		return x.originFailed(err)
	}
	h := resp.Header
	removeHopByHop(h)
	for _, name := range reservedResponse {
		delete(h, name)
	}
	m := &cache.Meta{Status: resp.StatusCode, Header: cache.MakeHeader(h), StoredAt: cache.InstantOf(x.s.now()), Size: -1}
	return response{result: "Miss", meta: m, stream: &grpcBody{resp: resp}}
}

// grpcBody is a gRPC response body on its way to the viewer. write copies
// a streamed body with io.Copy, which hands the copy to WriteTo: each
// message is flushed as it arrives (a streaming RPC must not wait in a
// buffer), and the origin's trailers follow the body.
type grpcBody struct{ resp *http.Response }

func (b *grpcBody) Read(p []byte) (int, error) { return b.resp.Body.Read(p) }
func (b *grpcBody) Close() error               { return b.resp.Body.Close() }

func (b *grpcBody) WriteTo(w io.Writer) (int64, error) {
	rw, _ := w.(http.ResponseWriter)
	flush := func() {}
	if f, ok := w.(http.Flusher); ok {
		flush = f.Flush
	}
	buf := make([]byte, 32<<10)
	var total int64
	for {
		n, err := b.resp.Body.Read(buf)
		if n > 0 {
			wn, werr := w.Write(buf[:n])
			total += int64(wn)
			if werr != nil {
				return total, werr
			}
			flush()
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return total, err
		}
	}
	// The trailers are known once the body has ended; a header set with
	// http.TrailerPrefix after the body is sent as a trailer.
	if rw != nil {
		for name, vs := range b.resp.Trailer {
			rw.Header()[http.TrailerPrefix+name] = vs
		}
	}
	return total, nil
}
