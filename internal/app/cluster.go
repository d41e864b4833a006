package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"openfront/internal/control"
	"openfront/internal/fleet/etcdfleet"
	"openfront/internal/store/etcdstore"
)

// edgeFleet is what the wiring needs of a fleet registry: the edge reports
// what it applied, control reads what every live edge applied. fleet.Local
// (embedded store) and etcdfleet.Fleet (etcd) are the two.
type edgeFleet interface {
	control.Fleet
	Report(ctx context.Context, node string, applied int64) error
}

// openCluster opens the etcd store and the etcd fleet (--etcd-endpoints).
// Both share one client; close the fleet first: it revokes this node's
// edge lease with that client.
func openCluster(ctx context.Context, s *Settings) (*etcdstore.Store, *etcdfleet.Fleet, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	st, err := etcdstore.Open(ctx, s.EtcdEndpoints, etcdstore.Options{Prefix: etcdstore.DefaultPrefix})
	if err != nil {
		return nil, nil, fmt.Errorf("serve: --etcd-endpoints: %w", err)
	}
	fl := etcdfleet.New(st.Client(), etcdfleet.Options{Prefix: etcdstore.DefaultPrefix, TTL: s.EdgeLeaseTTL})
	return st, fl, nil
}

// clusterNodeName is the edge's name in the fleet: --node-name, else the
// host name and the edge address, which tell apart edges on one host.
func clusterNodeName(s *Settings) string {
	if s.NodeName != "" {
		return s.NodeName
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return host + "/" + s.EdgeAddr
}

// roleRuns says whether this node runs the API ("api") or the edge
// ("edge"): --role all runs both.
func (s *Settings) roleRuns(part string) bool { return s.Role == "all" || s.Role == part }

// healthOnly is the API listener of an edge-only node: /healthz and
// /metrics (README.md, "Command line": health on the API address), nothing
// else. /healthz answers 503 until the node serves, and while the fleet
// does not count its edge (counted), so that load balancers drain it.
func healthOnly(ready, counted func() bool, metrics http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			if !ready() {
				http.Error(w, "starting", http.StatusServiceUnavailable)
				return
			}
			if !counted() {
				http.Error(w, "this edge is out of contact with the fleet", http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("ok\n"))
		case "/metrics":
			metrics.ServeHTTP(w, r)
		default:
			http.Error(w, "this node runs --role edge: the API is served by api nodes", http.StatusNotFound)
		}
	})
}
