package etcdfleet

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Traffic: each edge node publishes its traffic counters (an opaque value,
// package stats' NodeTraffic in JSON) under
//
//	<prefix>traffic/<node>/<lease>   (<prefix>traffic/<node> before the lease suffix)
//
// attached to the same lease as its report, so a dead node's counters
// vanish with it, and named by incarnation like the reports (package doc,
// "Keys"), so two processes of one name do not overwrite each other's.
// Like the reports, the keys are outside the store's key space: the
// snapshot watcher never sees these writes.

func (f *Fleet) trafficPrefix() string { return strings.TrimSuffix(f.prefix, "edges/") + "traffic/" }

// PublishTraffic writes node's counters under the lease (one attempt: the
// next publication follows shortly).
func (f *Fleet) PublishTraffic(ctx context.Context, node string, value []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctx.Err() != nil {
		return errClosed
	}
	for attempt := 0; ; attempt++ {
		id, err := f.leaseLocked(ctx)
		if err != nil {
			return fmt.Errorf("fleet: publish traffic of %s: %w", node, err)
		}
		_, err = f.client.Put(ctx, f.trafficPrefix()+node+"/"+strconv.FormatInt(int64(id), 16), string(value), clientv3.WithLease(id))
		if errors.Is(err, rpctypes.ErrLeaseNotFound) && attempt == 0 {
			f.dropLease(id, "the lease expired in etcd")
			f.lease = 0
			continue
		}
		if err != nil {
			return fmt.Errorf("fleet: publish traffic of %s: %w", node, err)
		}
		return nil
	}
}

// Traffic returns every live node's last published counters, by node (a
// second live incarnation of a node as "<node>#<lease in hex>").
func (f *Fleet) Traffic(ctx context.Context) (map[string][]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	resp, err := f.client.Get(ctx, f.trafficPrefix(), clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		out[incarnation(out, strings.TrimPrefix(string(kv.Key), f.trafficPrefix()), kv.Lease)] = kv.Value
	}
	return out, nil
}
