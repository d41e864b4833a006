// Package snapshot compiles the stored configuration into an immutable
// snapshot for the edge and keeps it current by following the store's
// watch. The edge reads config only through Watcher.Current: no store
// access, no parsing and no locks on the request path. A request pins one
// snapshot for its whole life.
//
// After every swap the watcher calls its Applied hook with the revision and
// the invalidations that arrived with it; the application wires that hook
// to "purge the cache, then report the revision to the fleet", which is
// what turns Status to Deployed and invalidations to Completed.
package snapshot

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"openfront/internal/model"
)

// Snapshot is one immutable compiled view of the configuration.
type Snapshot struct {
	Revision int64
	// byHost maps lower-case domain names and exact aliases to a
	// distribution; wildcard aliases ("*.example.com") are in byWildcard
	// keyed by their suffix (".example.com").
	byHost        map[string]*Distribution
	byWildcard    map[string]*Distribution
	streaming     map[string]*StreamingDistribution
	Distributions map[string]*Distribution // by id
}

// Distribution is one compiled web distribution.
type Distribution struct {
	ID         string
	DomainName string
	Config     *model.DistributionConfig
	// Tree is the stored document, for members the typed view leaves out.
	Tree model.Tree
}

// StreamingDistribution is one compiled streaming (RTMP) distribution.
type StreamingDistribution struct {
	ID         string
	DomainName string
	Config     *model.StreamingDistributionConfig
}

// Lookup finds the distribution serving a Host (without port): its domain
// name, an exact alias, or the longest matching wildcard alias.
func (s *Snapshot) Lookup(host string) *Distribution {
	if s == nil {
		return nil
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if d := s.byHost[host]; d != nil {
		return d
	}
	// A wildcard alias covers exactly one more label: *.example.com serves
	// a.example.com, not a.b.example.com (CloudFront's rule).
	if i := strings.IndexByte(host, '.'); i >= 0 {
		return s.byWildcard[host[i:]]
	}
	return nil
}

// LookupStreaming finds the streaming distribution for a host.
func (s *Snapshot) LookupStreaming(host string) *StreamingDistribution {
	if s == nil {
		return nil
	}
	return s.streaming[strings.ToLower(strings.TrimSuffix(host, "."))]
}

// records is the watcher's working set: the decoded records by key.
type records struct {
	dists map[string]*model.DistributionRecord
	sdist map[string]*model.StreamingDistributionRecord
}

func newRecords() *records {
	return &records{dists: map[string]*model.DistributionRecord{}, sdist: map[string]*model.StreamingDistributionRecord{}}
}

// apply updates the working set with one key; it reports whether the key
// affects the compiled snapshot.
func (r *records) apply(key string, value []byte, deleted bool, log *slog.Logger) (relevant bool) {
	switch {
	case strings.HasPrefix(key, model.DistributionPrefix):
		if deleted {
			delete(r.dists, key)
			return true
		}
		var rec model.DistributionRecord
		if err := json.Unmarshal(value, &rec); err != nil {
			log.Error("snapshot: undecodable distribution record", "key", key, "err", err)
			return false
		}
		r.dists[key] = &rec
		return true
	case strings.HasPrefix(key, model.StreamingDistributionPrefix):
		if deleted {
			delete(r.sdist, key)
			return true
		}
		var rec model.StreamingDistributionRecord
		if err := json.Unmarshal(value, &rec); err != nil {
			log.Error("snapshot: undecodable streaming distribution record", "key", key, "err", err)
			return false
		}
		r.sdist[key] = &rec
		return true
	}
	return false
}

// compile builds a snapshot from the working set. A record that no longer
// parses (it was valid when written) is logged and left out rather than
// taking the edge down.
func (r *records) compile(rev int64, log *slog.Logger) *Snapshot {
	s := &Snapshot{
		Revision:      rev,
		byHost:        map[string]*Distribution{},
		byWildcard:    map[string]*Distribution{},
		streaming:     map[string]*StreamingDistribution{},
		Distributions: map[string]*Distribution{},
	}
	for _, rec := range r.dists {
		cfg, err := model.ParseDistributionConfig(rec.Config)
		if err != nil {
			log.Error("snapshot: stored distribution does not parse", "dist_id", rec.ID, "err", err)
			continue
		}
		d := &Distribution{ID: rec.ID, DomainName: rec.DomainName, Config: cfg, Tree: rec.Config}
		s.Distributions[d.ID] = d
		s.byHost[strings.ToLower(d.DomainName)] = d
		for _, a := range cfg.Aliases {
			a = strings.ToLower(a)
			if suffix, ok := strings.CutPrefix(a, "*"); ok {
				s.byWildcard[suffix] = d
			} else {
				s.byHost[a] = d
			}
		}
	}
	for _, rec := range r.sdist {
		cfg, err := model.ParseStreamingDistributionConfig(rec.Config)
		if err != nil {
			log.Error("snapshot: stored streaming distribution does not parse", "dist_id", rec.ID, "err", err)
			continue
		}
		d := &StreamingDistribution{ID: rec.ID, DomainName: rec.DomainName, Config: cfg}
		s.streaming[strings.ToLower(d.DomainName)] = d
		for _, a := range cfg.Aliases {
			s.streaming[strings.ToLower(a)] = d
		}
	}
	return s
}

func decodeInvalidation(value []byte) (model.InvalidationRecord, error) {
	var rec model.InvalidationRecord
	if err := json.Unmarshal(value, &rec); err != nil {
		return rec, fmt.Errorf("decode invalidation: %w", err)
	}
	return rec, nil
}
