// Package edge is the HTTP(S) edge: it serves every enabled distribution
// from the live snapshot.
package edge

import (
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"

	"openfront/internal/model"
	"openfront/internal/snapshot"
)

// Options configure the edge.
type Options struct {
	Log *slog.Logger
}

// Server is the edge's http.Handler.
type Server struct {
	opts Options
	snap atomic.Pointer[snapshot.Snapshot]
}

// New returns an edge server.
func New(opts Options) *Server { return &Server{opts: opts} }

// Apply swaps in a new snapshot and purges the invalidations that came
// with it; when it returns, the revision may be reported as applied.
func (s *Server) Apply(snap *snapshot.Snapshot, invals []model.InvalidationRecord) {
	s.snap.Store(snap)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if s.snap.Load().Lookup(host) == nil {
		http.Error(w, "The request could not be satisfied.", http.StatusForbidden)
		return
	}
	http.Error(w, "not implemented", http.StatusNotImplemented)
}
