package edge

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"openfront/internal/fastpath"
	"openfront/internal/model"
)

// echoService answers grpc-go's interop TestService streams: the
// bidirectional one echoes each message as it comes, returning the
// viewer's "x-token" metadata in its headers; the client stream sums the
// sizes it was sent.
type echoService struct {
	testgrpc.UnimplementedTestServiceServer
}

func (echoService) FullDuplexCall(stream testgrpc.TestService_FullDuplexCallServer) error {
	md, _ := metadata.FromIncomingContext(stream.Context())
	if err := stream.SendHeader(metadata.Pairs("x-echo-token", strings.Join(md.Get("x-token"), ","))); err != nil {
		return err
	}
	for {
		in, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&testgrpc.StreamingOutputCallResponse{Payload: in.GetPayload()}); err != nil {
			return err
		}
	}
}

func (echoService) StreamingInputCall(stream testgrpc.TestService_StreamingInputCallServer) error {
	total := 0
	for {
		in, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&testgrpc.StreamingInputCallResponse{AggregatedPayloadSize: int32(total)})
		}
		if err != nil {
			return err
		}
		total += len(in.GetPayload().GetBody())
	}
}

// grpcOrigin is a real gRPC server (grpc-go's health service) behind TLS
// with HTTP/2, as CloudFront requires of a gRPC origin.
func grpcOrigin(t *testing.T) (*health.Server, *httptest.Server, *grpc.Server) {
	t.Helper()
	hs := health.NewServer()
	hs.SetServingStatus("svc", healthpb.HealthCheckResponse_SERVING)
	gs := grpc.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	testgrpc.RegisterTestServiceServer(gs, echoService{})
	srv := httptest.NewUnstartedServer(gs) // grpc.Server serves HTTP/2 requests as an http.Handler
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(func() { gs.Stop(); srv.Close() })
	return hs, srv, gs
}

// grpcEdge serves te over HTTPS with HTTP/2 as the edge's TLS listener
// does (the fast path's own HTTP/2 server, fastpath.Server.HTTP2, running
// ServeHTTP per stream) and returns a gRPC client connection to it whose
// authority is the distribution's domain name.
func grpcEdge(t *testing.T, te *testEdge) *grpc.ClientConn {
	t.Helper()
	certs := httptest.NewUnstartedServer(nil)
	certs.StartTLS() // for its certificate
	certs.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &fastpath.Server{Handler: te.Server, Fallback: &http.Server{Handler: te.Server}, HTTP2: true,
		TLSConfig: &tls.Config{Certificates: certs.TLS.Certificates, NextProtos: []string{"h2", "http/1.1"}}, IdleTimeout: time.Minute}
	go fs.Serve(ln)
	t.Cleanup(func() { fs.Shutdown(t.Context()) })
	// SNI and :authority name the distribution; httptest's certificate
	// does not, and is not what this test is about.
	conn, err := grpc.NewClient(ln.Addr().String(),
		grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{InsecureSkipVerify: true})),
		grpc.WithAuthority(testHost))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func grpcDistConfig(port string, enabled bool, policy string) model.Tree {
	return model.Tree{
		"CallerReference": "ref", "Comment": "", "Enabled": "true", "HttpVersion": "http2",
		"Origins": model.Wrapper([]model.Tree{{
			"Id": "o1", "DomainName": "127.0.0.1",
			"CustomOriginConfig": model.Tree{"HTTPPort": port, "HTTPSPort": port, "OriginProtocolPolicy": policy},
		}}),
		"DefaultCacheBehavior": model.Tree{
			"TargetOriginId": "o1", "ViewerProtocolPolicy": "https-only", "MinTTL": "0",
			"ForwardedValues": model.Tree{"QueryString": "false", "Cookies": model.Tree{"Forward": "none"}},
			"AllowedMethods":  model.Tree{"Quantity": "7", "Items": []any{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}},
			"GrpcConfig":      model.Tree{"Enabled": map[bool]string{true: "true", false: "false"}[enabled]},
		},
	}
}

// TestServer_grpc: with GrpcConfig enabled, gRPC calls from grpc-go's
// client over the edge's HTTPS/HTTP/2 listener reach a grpc-go origin:
// unary calls with their status in the trailers (OK and NotFound), and a
// server stream whose messages arrive one by one while it stays open.
// Without GrpcConfig, or to an http-only origin, the calls fail.
func TestServer_grpc(t *testing.T) {
	hs, org, _ := grpcOrigin(t)
	_, port, _ := net.SplitHostPort(org.Listener.Addr().String())
	roots := x509.NewCertPool()
	roots.AddCert(org.Certificate())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	connFor := func(t *testing.T, enabled bool, policy string) *grpc.ClientConn {
		te := newTestEdge(t, grpcDistConfig(port, enabled, policy))
		te.opts.Origin.SetRootCAs(roots)
		return grpcEdge(t, te)
	}
	edgeFor := func(t *testing.T, enabled bool, policy string) healthpb.HealthClient {
		return healthpb.NewHealthClient(connFor(t, enabled, policy))
	}

	t.Run("enabled", func(t *testing.T) {
		c := edgeFor(t, true, "https-only")
		var hdr metadata.MD
		resp, err := c.Check(ctx, &healthpb.HealthCheckRequest{Service: "svc"}, grpc.Header(&hdr))
		if err != nil {
			t.Fatalf("unary call through the edge: %v", err)
		}
		if resp.Status != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("status = %v, want SERVING", resp.Status)
		}
		if got := hdr.Get("x-cache"); len(got) != 1 || got[0] != "Miss from cloudfront" {
			t.Errorf("x-cache = %v, want the edge's Miss", got)
		}
		// The status of a failed call travels in the origin's trailers.
		_, err = c.Check(ctx, &healthpb.HealthCheckRequest{Service: "nope"})
		if status.Code(err) != codes.NotFound {
			t.Errorf("unknown service: %v, want NotFound from the origin's grpc-status trailer", err)
		}

		// Server streaming: each update arrives while the stream is open.
		sctx, scancel := context.WithCancel(ctx)
		defer scancel()
		w, err := c.Watch(sctx, &healthpb.HealthCheckRequest{Service: "svc"})
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []healthpb.HealthCheckResponse_ServingStatus{healthpb.HealthCheckResponse_SERVING, healthpb.HealthCheckResponse_NOT_SERVING} {
			m, err := w.Recv()
			if err != nil {
				t.Fatalf("stream message %d: %v", i, err)
			}
			if m.Status != want {
				t.Errorf("stream message %d = %v, want %v", i, m.Status, want)
			}
			if i == 0 {
				hs.SetServingStatus("svc", healthpb.HealthCheckResponse_NOT_SERVING)
			}
		}
		hs.SetServingStatus("svc", healthpb.HealthCheckResponse_SERVING)
	})

	t.Run("bidirectional and client streams", func(t *testing.T) {
		c := testgrpc.NewTestServiceClient(connFor(t, true, "https-only"))
		bidi, err := c.FullDuplexCall(metadata.AppendToOutgoingContext(ctx, "x-token", "secret-1"))
		if err != nil {
			t.Fatal(err)
		}
		// Each reply comes back before the next message is sent: the
		// request body streams through the edge while the response does.
		for _, word := range []string{"one", "two", "three"} {
			if err := bidi.Send(&testgrpc.StreamingOutputCallRequest{Payload: &testgrpc.Payload{Body: []byte(word)}}); err != nil {
				t.Fatal(err)
			}
			m, err := bidi.Recv()
			if err != nil {
				t.Fatalf("echo of %q: %v", word, err)
			}
			if string(m.GetPayload().GetBody()) != word {
				t.Errorf("echo = %q, want %q", m.GetPayload().GetBody(), word)
			}
		}
		if hdr, err := bidi.Header(); err != nil || strings.Join(hdr.Get("x-echo-token"), ",") != "secret-1" {
			t.Errorf("metadata through the edge: %v %v, want x-echo-token secret-1", hdr, err)
		}
		bidi.CloseSend()
		if _, err := bidi.Recv(); err != io.EOF {
			t.Errorf("end of the bidirectional stream: %v, want EOF (status OK)", err)
		}

		up, err := c.StreamingInputCall(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{10, 200, 3000} {
			if err := up.Send(&testgrpc.StreamingInputCallRequest{Payload: &testgrpc.Payload{Body: make([]byte, n)}}); err != nil {
				t.Fatal(err)
			}
		}
		res, err := up.CloseAndRecv()
		if err != nil || res.GetAggregatedPayloadSize() != 3210 {
			t.Errorf("client stream: %v %v, want 3210 bytes counted", res, err)
		}
	})

	t.Run("disabled", func(t *testing.T) {
		// The request goes out as an ordinary POST over HTTP/1.1, which a
		// gRPC server does not answer as gRPC.
		c := edgeFor(t, false, "https-only")
		if _, err := c.Check(ctx, &healthpb.HealthCheckRequest{Service: "svc"}); err == nil {
			t.Error("gRPC call through a behaviour without GrpcConfig succeeded")
		}
	})

	t.Run("http-only origin", func(t *testing.T) {
		c := edgeFor(t, true, "http-only")
		_, err := c.Check(ctx, &healthpb.HealthCheckRequest{Service: "svc"})
		if err == nil {
			t.Fatal("gRPC call to an http-only origin succeeded")
		}
		if s, _ := status.FromError(err); s.Code() != codes.Unavailable {
			t.Errorf("http-only origin: %v, want Unavailable (the edge's 502)", err)
		}
	})
}
