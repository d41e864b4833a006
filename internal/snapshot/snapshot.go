// Package snapshot compiles the stored configuration into an immutable
// snapshot for the edge and keeps it current by following the store's
// watch. The edge gets each snapshot through the watcher's Applied hook
// (edge.Server.Apply keeps it behind an atomic pointer): no store access,
// no parsing and no locks on the request path. A request pins one
// snapshot for its whole life. Watcher.Current returns the live snapshot
// to anyone else.
//
// After every swap the watcher calls its Applied hook with the revision and
// the invalidations that arrived with it; the application wires that hook
// to "purge the cache, then report the revision to the fleet", which is
// what turns Status to Deployed and invalidations to Completed.
package snapshot

import (
	"crypto"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"openfront/internal/cachepolicy"
	"openfront/internal/fle"
	"openfront/internal/functions"
	"openfront/internal/model"
	"openfront/internal/pathpattern"
	"openfront/internal/responseheaders"
	"openfront/internal/signedurl"
	"openfront/internal/tlsconfig"
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
	// Keys verify signed URLs and cookies.
	Keys *Keys
	// OACs are the origin access controls by id (how S3 requests are signed).
	OACs map[string]*model.OACRecord
}

// Distribution is one compiled web distribution.
type Distribution struct {
	ID         string
	DomainName string
	Config     *model.DistributionConfig
	// Tree is the stored document, for members the typed view leaves out.
	Tree model.Tree
	// Behaviors are the cache behaviours in evaluation order, the default
	// behaviour last.
	Behaviors []*Behavior
	// Errors are the custom error responses by error code.
	Errors map[int]*model.CustomErrorResponse
	// TLS is how viewer TLS connections to its aliases are set up:
	// certificate, security policy and HTTP versions (package tlsconfig).
	// Its own domain name is always served with the default certificate
	// (DomainTLS), as CloudFront serves *.cloudfront.net with its own.
	TLS, DomainTLS *tlsconfig.Viewer
	// LightsailName is the name of a Lightsail distribution ("" for a
	// CloudFront one).
	LightsailName string
	// AdditionalMetrics: an enabled monitoring subscription asks for the
	// distribution's additional metrics (internal/metrics).
	AdditionalMetrics bool
	// RealtimeLogs: a cache behaviour has a real-time log configuration
	// (Behavior.RealtimeLog).
	RealtimeLogs bool
	// Staging routes some of a primary's requests to its staging
	// distribution (nil: no enabled continuous deployment policy); see
	// staging.go.
	Staging *StagingRoute
}

// Behavior is one compiled cache behaviour.
type Behavior struct {
	*model.Behavior
	Pattern *pathpattern.Pattern
	Policy  *cachepolicy.Policy
	// Origins are the target origin, or a failover group's primary and
	// secondary.
	Origins       []*model.Origin
	FailoverCodes []int
	// Signed: viewers must present a signed URL or signed cookies made with
	// one of TrustedKeys (by Key-Pair-Id).
	Signed      bool
	TrustedKeys map[string]crypto.PublicKey
	// ResponseHeaders is the behaviour's response headers policy, compiled
	// (nil: none).
	ResponseHeaders *responseheaders.Policy
	// RealtimeLog is the real-time log configuration the behaviour names
	// (nil for none): its sampled requests become Kinesis records.
	RealtimeLog *model.RealtimeLogConfigRecord
	// FLE is the field-level encryption configuration the behaviour names
	// (nil: none); see fle.go.
	FLE *fle.Config
	// ViewerRequest and ViewerResponse are the CloudFront Functions the
	// behaviour runs on those events (nil: none); see functions.go.
	ViewerRequest, ViewerResponse *Function
}

// Match returns the first behaviour whose pattern matches the path (the
// default behaviour matches everything).
func (d *Distribution) Match(path string) *Behavior {
	for _, b := range d.Behaviors[:len(d.Behaviors)-1] {
		if b.Pattern.Match(path) {
			return b
		}
	}
	return d.Behaviors[len(d.Behaviors)-1]
}

// compileDistribution builds the edge view of one distribution.
func compileDistribution(rec *model.DistributionRecord, cfg *model.DistributionConfig, custom cachepolicy.Custom) (*Distribution, error) {
	d := &Distribution{ID: rec.ID, DomainName: rec.DomainName, Config: cfg, Tree: rec.Config, Errors: map[int]*model.CustomErrorResponse{}}
	vc := cfg.ViewerCertificate
	d.TLS = tlsconfig.NewViewer(vc.ACMCertificateARN+vc.IAMCertificateID, vc.MinimumProtocolVersion, cfg.HTTPVersion)
	d.TLS.Distribution, d.TLS.Aliases = rec.ID, cfg.Aliases
	d.DomainTLS = d.TLS
	if d.TLS.Certificate != "" {
		d.DomainTLS = tlsconfig.NewViewer("", vc.MinimumProtocolVersion, cfg.HTTPVersion)
	}
	origins := map[string]*model.Origin{}
	for i := range cfg.Origins {
		origins[cfg.Origins[i].ID] = &cfg.Origins[i]
	}
	groups := map[string]*model.OriginGroup{}
	for i := range cfg.OriginGroups {
		groups[cfg.OriginGroups[i].ID] = &cfg.OriginGroups[i]
	}
	all := append(slices.Clone(cfg.Behaviors), cfg.DefaultBehavior)
	for i := range all {
		mb := &all[i]
		pattern := mb.PathPattern
		if !strings.HasPrefix(pattern, "/") {
			pattern = "/" + pattern
		}
		pp, err := pathpattern.Compile(pattern)
		if err != nil {
			return nil, fmt.Errorf("behavior %q: %w", mb.PathPattern, err)
		}
		b := &Behavior{Behavior: mb, Pattern: pp}
		if g := groups[mb.TargetOriginID]; g != nil {
			for _, id := range g.Members {
				b.Origins = append(b.Origins, origins[id])
			}
			b.FailoverCodes = g.FailoverCodes
		} else if o := origins[mb.TargetOriginID]; o != nil {
			b.Origins = []*model.Origin{o}
		} else {
			return nil, fmt.Errorf("behavior %q: no origin %q", mb.PathPattern, mb.TargetOriginID)
		}
		if b.Policy, err = cachepolicy.Compile(mb, b.Origins[0].S3 != nil, custom); err != nil {
			return nil, fmt.Errorf("behavior %q: %w", mb.PathPattern, err)
		}
		d.Behaviors = append(d.Behaviors, b)
	}
	for i := range cfg.CustomErrors {
		d.Errors[cfg.CustomErrors[i].ErrorCode] = &cfg.CustomErrors[i]
	}
	return d, nil
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
	if d := s.byHost[host]; d != nil {
		return d // the usual case: a name as stored (lower case, no root dot)
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if d := s.byHost[host]; d != nil {
		return d
	}
	// A wildcard alias *.example.com covers names at any depth below
	// example.com but not example.com itself; the longest suffix wins
	// ("Distribution settings", Alternate domain names (CNAMEs), AWS
	// CloudFront Developer Guide; the longest suffix among wildcards is
	// OpenFront's choice).
	for i := strings.IndexByte(host, '.'); i >= 0; {
		if d := s.byWildcard[host[i:]]; d != nil {
			return d
		}
		next := strings.IndexByte(host[i+1:], '.')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return nil
}

// serveAliases routes a distribution's alternate domain names to it; a
// wildcard (*.example.com) covers the names below its suffix (Lookup).
func (s *Snapshot) serveAliases(d *Distribution, aliases []string) {
	for _, a := range aliases {
		a = strings.ToLower(a)
		if suffix, ok := strings.CutPrefix(a, "*"); ok {
			s.byWildcard[suffix] = d
		} else {
			s.byHost[a] = d
		}
	}
}

// ViewerTLS is the viewer TLS setup of the distribution serving an SNI
// name (nil: none serves it). Disabled distributions are included: their
// requests get the edge's error page over the distribution's own TLS.
func (s *Snapshot) ViewerTLS(serverName string) *tlsconfig.Viewer {
	d := s.Lookup(serverName)
	switch {
	case d == nil:
		return nil
	case strings.EqualFold(strings.TrimSuffix(serverName, "."), d.DomainName):
		return d.DomainTLS
	}
	return d.TLS
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
	ls    map[string]*model.LightsailDistributionRecord // see lightsail.go

	pubkeys   map[string]*model.PublicKeyRecord // see keys.go
	keygroups map[string]*model.KeyGroupRecord
	oacs      map[string]*model.OACRecord

	cachePolicies         map[string]*model.CachePolicyRecord
	originRequestPolicies map[string]*model.OriginRequestPolicyRecord
	monitoring            map[string]*model.MonitoringSubscriptionRecord
	responseHeaders       map[string]*model.ResponseHeadersPolicyRecord
	realtimeLogs          map[string]*model.RealtimeLogConfigRecord
	fleConfigs            map[string]*model.FLERecord // see fle.go
	fleProfiles           map[string]*model.FLERecord
	functions             map[string]*model.FunctionRecord
	// Key value stores (kvs.go): records by store key, keys and values by
	// store id, and the immutable views built from them by store id.
	kvsRecords map[string]*model.KeyValueStoreRecord
	kvsItems   map[string]map[string]string
	kvsViews   map[string]*functions.KeyValueStore
	cdPolicies map[string]*model.ContinuousDeploymentPolicyRecord
	// programs are the compiled LIVE functions of the last snapshot, by
	// programKey (functions.go).
	programs map[string]*functions.Program

	// ignored reports the members the edge does not act on (nil: no
	// report); see ignored.go.
	ignored *ignoredReport
	// account is the account id trusted signers name to mean the stored
	// public keys (keys.go).
	account string
	// lightsailOrigins is this edge's --lightsail-origin map (lightsail.go).
	lightsailOrigins map[string]string
}

func newRecords() *records {
	return &records{dists: map[string]*model.DistributionRecord{}, sdist: map[string]*model.StreamingDistributionRecord{}, ls: map[string]*model.LightsailDistributionRecord{},
		pubkeys: map[string]*model.PublicKeyRecord{}, keygroups: map[string]*model.KeyGroupRecord{}, oacs: map[string]*model.OACRecord{},
		cachePolicies: map[string]*model.CachePolicyRecord{}, originRequestPolicies: map[string]*model.OriginRequestPolicyRecord{},
		monitoring: map[string]*model.MonitoringSubscriptionRecord{}, responseHeaders: map[string]*model.ResponseHeadersPolicyRecord{},
		realtimeLogs: map[string]*model.RealtimeLogConfigRecord{},
		fleConfigs:   map[string]*model.FLERecord{}, fleProfiles: map[string]*model.FLERecord{},
		functions:  map[string]*model.FunctionRecord{},
		kvsRecords: map[string]*model.KeyValueStoreRecord{}, kvsItems: map[string]map[string]string{}, kvsViews: map[string]*functions.KeyValueStore{},
		cdPolicies: map[string]*model.ContinuousDeploymentPolicyRecord{}}
}

// recordPrefixes are the kinds apply keeps: the watcher loads them all on
// start (keep the two lists together).
var recordPrefixes = []string{
	model.DistributionPrefix, model.StreamingDistributionPrefix, model.LightsailDistributionPrefix,
	model.PublicKeyPrefix, model.KeyGroupPrefix, model.OACPrefix,
	model.CachePolicyPrefix, model.OriginRequestPolicyPrefix, model.MonitoringSubscriptionPrefix,
	model.ResponseHeadersPolicyPrefix,
	model.RealtimeLogConfigPrefix,
	model.FLEConfigPrefix, model.FLEProfilePrefix,
	model.FunctionPrefix,
	model.KeyValueStorePrefix, model.KeyValueStoreItemPrefix,
	model.ContinuousDeploymentPolicyPrefix,
}

// apply updates the working set with one key; it reports whether the key
// affects the compiled snapshot.
func (r *records) apply(key string, value []byte, deleted bool, log *slog.Logger) (relevant bool) {
	switch {
	case strings.HasPrefix(key, model.DistributionPrefix):
		return applyRecord(r.dists, key, value, deleted, log)
	case strings.HasPrefix(key, model.StreamingDistributionPrefix):
		return applyRecord(r.sdist, key, value, deleted, log)
	case strings.HasPrefix(key, model.LightsailDistributionPrefix):
		return applyRecord(r.ls, key, value, deleted, log)
	case strings.HasPrefix(key, model.PublicKeyPrefix):
		return applyRecord(r.pubkeys, key, value, deleted, log)
	case strings.HasPrefix(key, model.KeyGroupPrefix):
		return applyRecord(r.keygroups, key, value, deleted, log)
	case strings.HasPrefix(key, model.OACPrefix):
		return applyRecord(r.oacs, key, value, deleted, log)
	case strings.HasPrefix(key, model.CachePolicyPrefix):
		return applyRecord(r.cachePolicies, key, value, deleted, log)
	case strings.HasPrefix(key, model.OriginRequestPolicyPrefix):
		return applyRecord(r.originRequestPolicies, key, value, deleted, log)
	case strings.HasPrefix(key, model.MonitoringSubscriptionPrefix):
		return applyRecord(r.monitoring, key, value, deleted, log)
	case strings.HasPrefix(key, model.ResponseHeadersPolicyPrefix):
		return applyRecord(r.responseHeaders, key, value, deleted, log)
	case strings.HasPrefix(key, model.RealtimeLogConfigPrefix):
		return applyRecord(r.realtimeLogs, key, value, deleted, log)
	case strings.HasPrefix(key, model.FLEConfigPrefix):
		return applyRecord(r.fleConfigs, key, value, deleted, log)
	case strings.HasPrefix(key, model.FLEProfilePrefix):
		return applyRecord(r.fleProfiles, key, value, deleted, log)
	case strings.HasPrefix(key, model.FunctionPrefix):
		return applyRecord(r.functions, key, value, deleted, log)
	case strings.HasPrefix(key, model.KeyValueStorePrefix):
		return r.applyKVSRecord(key, value, deleted, log)
	case strings.HasPrefix(key, model.KeyValueStoreItemPrefix):
		return r.applyKVSItem(key, value, deleted)
	case strings.HasPrefix(key, model.ContinuousDeploymentPolicyPrefix):
		return applyRecord(r.cdPolicies, key, value, deleted, log)
	}
	return false
}

// applyRecord keeps the JSON record under key in m (or deletes it).
func applyRecord[T any](m map[string]*T, key string, value []byte, deleted bool, log *slog.Logger) bool {
	if deleted {
		delete(m, key)
		return true
	}
	var rec T
	if err := json.Unmarshal(value, &rec); err != nil {
		log.Error("snapshot: undecodable record", "key", key, "err", err)
		return false
	}
	m[key] = &rec
	return true
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
	custom := cachepolicy.Custom{Cache: map[string]model.CachePolicy{}, OriginRequest: map[string]model.OriginRequestPolicy{}}
	for _, rec := range r.cachePolicies {
		custom.Cache[rec.ID] = rec.Policy
	}
	for _, rec := range r.originRequestPolicies {
		custom.OriginRequest[rec.ID] = rec.Policy
	}
	stagings := map[string]*Distribution{}
	for _, rec := range r.dists {
		cfg, err := model.ParseDistributionConfig(rec.Config)
		if err != nil {
			log.Error("snapshot: stored distribution does not parse", "dist_id", rec.ID, "err", err)
			continue
		}
		d, err := compileDistribution(rec, cfg, custom)
		if err != nil {
			log.Error("snapshot: stored distribution does not compile", "dist_id", rec.ID, "err", err)
			continue
		}
		if r.ignored != nil {
			r.ignored.check(rec)
		}
		s.Distributions[d.ID] = d
		if cfg.Staging {
			stagings[strings.ToLower(d.DomainName)] = d
			continue // served only through its primary (staging.go)
		}
		s.byHost[strings.ToLower(d.DomainName)] = d
		s.serveAliases(d, cfg.Aliases)
	}
	if r.ignored != nil {
		r.ignored.forget(r.dists)
	}
	r.compileLightsail(s, log)
	for _, rec := range r.monitoring {
		if d := s.Distributions[rec.DistributionID]; d != nil && rec.RealtimeMetricsSubscriptionStatus == "Enabled" {
			d.AdditionalMetrics = true
		}
	}
	s.Keys = r.compileKeys(log)
	// Each behaviour that checks signatures gets its trusted keys now, so
	// the edge does no set building per request.
	for _, d := range s.Distributions {
		for _, b := range d.Behaviors {
			if name, ok := model.RealtimeLogConfigNameOf(b.RealtimeLogConfigARN); ok {
				b.RealtimeLog = r.realtimeLogs[model.RealtimeLogConfigKey(name)]
				d.RealtimeLogs = d.RealtimeLogs || b.RealtimeLog != nil
			}
			if len(b.TrustedSigners) > 0 || len(b.TrustedKeyGroups) > 0 {
				b.Signed = true
				b.Policy.SkipCookie = signedurl.IsSigningCookie
				b.TrustedKeys = s.Keys.Allowed(b.TrustedSigners, b.TrustedKeyGroups)
			}
		}
	}
	r.compileStaging(s, stagings) // after the signed-cookie skips, which it extends
	r.compileResponseHeaders(s, log)
	r.compileFLE(s, log)
	r.compileFunctions(s, log)
	s.OACs = map[string]*model.OACRecord{}
	for _, rec := range r.oacs {
		s.OACs[rec.ID] = rec
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

// Compile builds a snapshot from records directly (tests and benchmarks;
// the watcher builds its snapshots from the store).
func Compile(rev int64, dists []*model.DistributionRecord, sdists []*model.StreamingDistributionRecord, log *slog.Logger) *Snapshot {
	if log == nil {
		log = slog.Default()
	}
	r := newRecords()
	for _, d := range dists {
		r.dists[model.DistributionKey(d.ID)] = d
	}
	for _, d := range sdists {
		r.sdist[model.StreamingDistributionKey(d.ID)] = d
	}
	return r.compile(rev, log)
}

// compileResponseHeaders compiles each response headers policy a
// behaviour names once, and gives it to the behaviours naming it.
func (r *records) compileResponseHeaders(s *Snapshot, log *slog.Logger) {
	compiled := map[string]*responseheaders.Policy{}
	for _, d := range s.Distributions {
		for _, b := range d.Behaviors {
			id := b.ResponseHeadersPolicyID
			if id == "" {
				continue
			}
			p, ok := compiled[id]
			if !ok {
				if m, managed := model.ManagedResponseHeadersPolicies[id]; managed {
					p = responseheaders.Compile(m)
				} else if rec := r.responseHeaders[model.ResponseHeadersPolicyPrefix+id]; rec != nil {
					p = responseheaders.Compile(rec.Policy)
				} else {
					log.Error("snapshot: cache behaviour names an unknown response headers policy", "dist_id", d.ID, "policy_id", id)
				}
				compiled[id] = p
			}
			b.ResponseHeaders = p
		}
	}
}
