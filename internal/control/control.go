package control

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"openfront/internal/model"
	"openfront/internal/store"
)

// Fleet reports what the edges have applied.
type Fleet interface {
	// AppliedRevision is the lowest store revision every live edge has
	// applied (and whose invalidations it has purged); ok is false when no
	// edge is live.
	AppliedRevision(ctx context.Context) (rev int64, ok bool)
}

// Quotas are CloudFront's default limits ("Quotas" in the Amazon CloudFront
// Developer Guide,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html).
type Quotas struct {
	Distributions          int
	StreamingDistributions int
	AliasesPerDistribution int
	Origins                int
	CacheBehaviors         int
	OAIs                   int
	InvalidationPaths      int // individual paths in progress per distribution
	InvalidationWildcards  int // wildcard paths in progress per distribution
	PathsPerBatch          int
	TagsPerResource        int
	PublicKeys             int
	KeyGroups              int
	PublicKeysPerKeyGroup  int
	KeyGroupsPerBehavior   int
	OACs                   int
	CachePolicies          int // custom ones
	OriginRequestPolicies  int // custom ones
	Functions              int // CloudFront Functions
	KeyValueStores         int
	// ResponseHeadersPolicies: custom ones (Developer Guide, "Response
	// headers policy quotas").
	ResponseHeadersPolicies int
	// OriginGroupsPerDistribution: "Origin groups per distribution".
	OriginGroupsPerDistribution int
}

// DefaultQuotas are CloudFront's documented defaults.
var DefaultQuotas = Quotas{
	Distributions:           200,
	StreamingDistributions:  100,
	AliasesPerDistribution:  100,
	Origins:                 25,
	CacheBehaviors:          25,
	OAIs:                    100,
	InvalidationPaths:       3000,
	InvalidationWildcards:   15,
	PathsPerBatch:           3000,
	TagsPerResource:         50,
	PublicKeys:              10,
	KeyGroups:               10,
	PublicKeysPerKeyGroup:   5,
	KeyGroupsPerBehavior:    4,
	OACs:                    100,
	CachePolicies:           20,
	OriginRequestPolicies:   20,
	Functions:               100,
	KeyValueStores:          50,
	ResponseHeadersPolicies: 20,

	OriginGroupsPerDistribution: 10,
}

// withDefaults returns q with each zero quota set to its default, so that
// settings written before a quota existed keep working.
func (q Quotas) withDefaults() Quotas {
	d := DefaultQuotas
	or := func(v, def int) int {
		if v == 0 {
			return def
		}
		return v
	}
	return Quotas{
		Distributions:           or(q.Distributions, d.Distributions),
		StreamingDistributions:  or(q.StreamingDistributions, d.StreamingDistributions),
		AliasesPerDistribution:  or(q.AliasesPerDistribution, d.AliasesPerDistribution),
		Origins:                 or(q.Origins, d.Origins),
		CacheBehaviors:          or(q.CacheBehaviors, d.CacheBehaviors),
		OAIs:                    or(q.OAIs, d.OAIs),
		InvalidationPaths:       or(q.InvalidationPaths, d.InvalidationPaths),
		InvalidationWildcards:   or(q.InvalidationWildcards, d.InvalidationWildcards),
		PathsPerBatch:           or(q.PathsPerBatch, d.PathsPerBatch),
		TagsPerResource:         or(q.TagsPerResource, d.TagsPerResource),
		PublicKeys:              or(q.PublicKeys, d.PublicKeys),
		KeyGroups:               or(q.KeyGroups, d.KeyGroups),
		PublicKeysPerKeyGroup:   or(q.PublicKeysPerKeyGroup, d.PublicKeysPerKeyGroup),
		KeyGroupsPerBehavior:    or(q.KeyGroupsPerBehavior, d.KeyGroupsPerBehavior),
		CachePolicies:           or(q.CachePolicies, d.CachePolicies),
		OriginRequestPolicies:   or(q.OriginRequestPolicies, d.OriginRequestPolicies),
		OACs:                    or(q.OACs, d.OACs),
		Functions:               or(q.Functions, d.Functions),
		KeyValueStores:          or(q.KeyValueStores, d.KeyValueStores),
		ResponseHeadersPolicies: or(q.ResponseHeadersPolicies, d.ResponseHeadersPolicies),

		OriginGroupsPerDistribution: or(q.OriginGroupsPerDistribution, d.OriginGroupsPerDistribution),
	}
}

// Settings configure a Control.
type Settings struct {
	AccountID    string // in ARNs
	DomainSuffix string // distribution domain names are d<13>.<suffix>
	Quotas       Quotas
	// LightsailOrigins maps Lightsail origin resource names to the
	// HOST[:PORT] that serves them (--lightsail-origin); an unmapped name
	// is used as a host name. Control uses it only for the originPublicDNS
	// it shows: the edges resolve origin names with their own map.
	LightsailOrigins map[string]string
	// Certificates are the operator's viewer certificates (--certificate-
	// dir); nil refuses every ACMCertificateArn and IAMCertificateId.
	Certificates CertificateChecker
	// ReadImportSource reads the object a CreateKeyValueStore ImportSource
	// names (S3 GetObject through --s3-endpoint); nil refuses ImportSource.
	ReadImportSource func(ctx context.Context, bucket, key string) ([]byte, error)
}

// Control runs the operations.
type Control struct {
	store    store.Store
	fleet    Fleet
	settings Settings
	now      func() time.Time

	mu    sync.Mutex
	cache map[string]cached // decoded records by key, valid for one ModRevision
	deps  map[string]cachedDeps
}

type cached struct {
	modRev int64
	value  any
}

// cachedDeps is what a distribution compiles in (deployed.go), by its
// key, valid for one ModRevision.
type cachedDeps struct {
	modRev int64
	deps   *distDeps
}

// New returns a Control over the store.
func New(s store.Store, fleet Fleet, settings Settings) *Control {
	settings.Quotas = settings.Quotas.withDefaults()
	return &Control{store: s, fleet: fleet, settings: settings, now: time.Now, cache: map[string]cached{}, deps: map[string]cachedDeps{}}
}

// SetClock replaces the clock (tests).
func (c *Control) SetClock(now func() time.Time) { c.now = now }

// Settings returns the settings in force.
func (c *Control) Settings() Settings { return c.settings }

// applied returns the fleet's applied revision; with no live edge every
// revision counts as applied (there is nothing left to wait for).
func (c *Control) applied(ctx context.Context) int64 {
	if c.fleet == nil {
		return 1<<63 - 1
	}
	rev, ok := c.fleet.AppliedRevision(ctx)
	if !ok {
		return 1<<63 - 1
	}
	return rev
}

// decode returns the record stored in kv, decoded once per ModRevision.
func decode[T any](c *Control, kv store.KV) (*T, error) {
	c.mu.Lock()
	if e, ok := c.cache[kv.Key]; ok && e.modRev == kv.ModRevision {
		if v, ok := e.value.(*T); ok {
			c.mu.Unlock()
			return v, nil
		}
	}
	c.mu.Unlock()
	v := new(T)
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
	}
	c.mu.Lock()
	c.cache[kv.Key] = cached{modRev: kv.ModRevision, value: v}
	c.mu.Unlock()
	return v, nil
}

// decodeAt is decode for a KV listed without its value: the value is read
// only when the cache does not hold this revision.
func decodeAt[T any](c *Control, tx store.ReadTxn, kv store.KV) (*T, error) {
	c.mu.Lock()
	e, ok := c.cache[kv.Key]
	c.mu.Unlock()
	if ok && e.modRev == kv.ModRevision {
		if v, typed := e.value.(*T); typed {
			return v, nil
		}
	}
	full, err := withValue(tx, kv)
	if err != nil {
		return nil, err
	}
	return decode[T](c, full)
}

// withValue reads the value of a KV listed without it.
func withValue(tx store.ReadTxn, kv store.KV) (store.KV, error) {
	if kv.Value != nil {
		return kv, nil
	}
	full, found, err := tx.Get(kv.Key)
	if err != nil {
		return kv, err
	}
	if !found || full.ModRevision != kv.ModRevision {
		return kv, fmt.Errorf("read %s: changed within one transaction", kv.Key)
	}
	return full, nil
}

func (c *Control) forget(key string) {
	c.mu.Lock()
	delete(c.cache, key)
	delete(c.deps, key)
	c.mu.Unlock()
}

func putJSON(tx store.Txn, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	return tx.Put(key, b)
}

// newID returns a CloudFront-style id: the prefix and 13 random upper-case
// letters and digits (E2QWRUHAPOMQZL).
func newID(prefix string) string { return prefix + rand.Text()[:13] }

// newDomainName returns the prefix ("d" or "s"), 13 random lower-case
// letters and digits, and the domain suffix; it is not derived from the id.
func (c *Control) newDomainName(prefix string) string {
	return prefix + strings.ToLower(rand.Text()[:13]) + "." + c.settings.DomainSuffix
}

// etag derives a resource's opaque ETag from its id and the revision that
// last wrote it, so a new write always yields a new ETag and reads never
// change it.
func etag(id string, modRev int64) string {
	h := sha256.New()
	h.Write([]byte(id))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(modRev))
	h.Write(b[:])
	sum := h.Sum(nil)
	return "E" + strings.TrimRight(base32.StdEncoding.EncodeToString(sum[:9]), "=")[:13]
}

// ARNPartition returns the partition for a signing region.
func ARNPartition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
}

// partitionKey carries the caller's partition in a context (ARNs follow the
// region a client signed with).
type partitionKey struct{}

// WithPartition returns a context whose ARNs use the partition.
func WithPartition(ctx context.Context, partition string) context.Context {
	return context.WithValue(ctx, partitionKey{}, partition)
}

func (c *Control) arn(ctx context.Context, kind, id string) string {
	p, _ := ctx.Value(partitionKey{}).(string)
	if p == "" {
		p = "aws"
	}
	return fmt.Sprintf("arn:%s:cloudfront::%s:%s/%s", p, c.settings.AccountID, kind, id)
}

// checkIfMatch applies CloudFront's order: the resource exists (checked by
// the caller), then If-Match is present, then it is current.
func checkIfMatch(ifMatch, current string) error {
	if strings.TrimSpace(ifMatch) == "" {
		return model.Errorf("InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource.")
	}
	if ifMatch != current {
		return model.Errorf("PreconditionFailed", "The precondition given in one or more of the request-header fields evaluated to false.")
	}
	return nil
}

// getForChange reads the resource an Update or Delete changes, checking in
// CloudFront's order: it exists (else notFound), then If-Match is present
// and current.
func getForChange(tx store.ReadTxn, key, id, ifMatch string, notFound error) (store.KV, error) {
	kv, ok, err := tx.Get(key)
	if err != nil {
		return kv, err
	}
	if !ok {
		return kv, notFound
	}
	return kv, checkIfMatch(ifMatch, etag(id, kv.ModRevision))
}

// syncIndex replaces the index keys owned by owner: keys in old but not in
// next are deleted, keys in next are written with owner as value.
func syncIndex(tx store.Txn, owner string, old, next []string) error {
	keep := map[string]bool{}
	for _, k := range next {
		keep[k] = true
	}
	for _, k := range old {
		if !keep[k] {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
	}
	for _, k := range next {
		if err := tx.Put(k, []byte(owner)); err != nil {
			return err
		}
	}
	return nil
}

// claimAliases fails with CNAMEAlreadyExists when another resource owns
// one of the aliases.
func claimAliases(tx store.Txn, owner string, aliases []string) error {
	for _, a := range aliases {
		kv, ok, err := tx.Get(aliasKey(a))
		if err != nil {
			return err
		}
		if ok && string(kv.Value) != owner {
			return model.Errorf("CNAMEAlreadyExists", "One or more of the CNAMEs you provided are already associated with a different resource: %s.", a)
		}
	}
	return nil
}

func aliasKey(a string) string { return model.AliasPrefix + strings.ToLower(a) }

func aliasKeys(aliases []string) []string {
	keys := make([]string, len(aliases))
	for i, a := range aliases {
		keys[i] = aliasKey(a)
	}
	return keys
}

// page cuts a creation-ordered list after marker (an id) to maxItems.
func page[T any](items []T, id func(T) string, marker string, maxItems int) (out []T, next string, truncated bool) {
	start := 0
	if marker != "" {
		start = len(items)
		for i, it := range items {
			if id(it) == marker {
				start = i + 1
				break
			}
		}
	}
	rest := items[start:]
	if len(rest) > maxItems {
		out = rest[:maxItems]
		next = marker // MaxItems=0: nothing returned, the next page starts where this one did
		if maxItems > 0 {
			next = id(out[len(out)-1])
		}
		return out, next, true
	}
	return rest, "", false
}

// listPage lists the records under prefix in creation order, builds the
// view of each with view, and cuts the page.
func listPage[T any](ctx context.Context, c *Control, prefix string, opts ListOptions, view func(store.ReadTxn, store.KV) (T, error), id func(T) string) ([]T, Page, error) {
	var all []T
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kvs, err := tx.List(prefix)
		if err != nil {
			return err
		}
		slices.SortFunc(kvs, func(a, b store.KV) int { return cmp.Compare(a.CreateRevision, b.CreateRevision) })
		for _, kv := range kvs {
			v, err := view(tx, kv)
			if err != nil {
				return err
			}
			all = append(all, v)
		}
		return nil
	})
	if err != nil {
		return nil, Page{}, err
	}
	items, next, truncated := page(all, id, opts.Marker, opts.MaxItems)
	return items, Page{Marker: opts.Marker, NextMarker: next, MaxItems: opts.MaxItems, IsTruncated: truncated}, nil
}

// ListOptions are the paging inputs of every List operation.
type ListOptions struct {
	Marker   string
	MaxItems int
}

// Page describes one page of a list.
type Page struct {
	Marker      string
	NextMarker  string
	MaxItems    int
	IsTruncated bool
}

func errNotFound(code, what string) error {
	return model.Errorf(code, "The specified %s does not exist.", what)
}
