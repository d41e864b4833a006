package model

import "strings"

// The store's key families, all in one place. A key is <family><rest>:
// the family names what lives under it, the comment on each says what the
// rest is and what the value holds. Records are JSON-encoded unless said
// otherwise; an index key's value is the key of the record that owns it
// (its "owner": dist/<id>, keygroup/<id>, ...).
//
// Package control writes every key (records and the indexes that keep
// them consistent); package snapshot reads the records back to compile
// what the edge serves (snapshot.go's watched prefixes) and watches
// InvalidationPrefix.
//
// No family may be a prefix of another (storekeys_test.go checks it): a
// List or ListKeys over one would also return the other's keys. Every
// family therefore ends in "/", and the callerref/ and name/ indexes are
// split into one family per kind rather than being families themselves.
// The byte strings are the storage format of existing data directories:
// never change one.

// Records: one per resource.
const (
	// DistributionPrefix: dist/<id>, a DistributionRecord.
	DistributionPrefix = "dist/"
	// StreamingDistributionPrefix: sdist/<id>, a StreamingDistributionRecord.
	StreamingDistributionPrefix = "sdist/"
	// OAIPrefix: oai/<id>, an origin access identity (OAIRecord).
	OAIPrefix = "oai/"
	// InvalidationPrefix: inval/<distribution id>/<invalidation id>, an
	// InvalidationRecord (Lightsail cache resets too, under the Lightsail
	// distribution's derived id).
	InvalidationPrefix = "inval/"
	// PublicKeyPrefix: pubkey/<id>, a PublicKeyRecord.
	PublicKeyPrefix = "pubkey/"
	// KeyGroupPrefix: keygroup/<id>, a KeyGroupRecord.
	KeyGroupPrefix = "keygroup/"
	// OACPrefix: oac/<id>, an origin access control (OACRecord).
	OACPrefix = "oac/"
	// CachePolicyPrefix: cachepolicy/<id>, a custom cache policy
	// (PolicyRecord[CachePolicy]).
	CachePolicyPrefix = "cachepolicy/"
	// OriginRequestPolicyPrefix: originrequestpolicy/<id>, a custom origin
	// request policy (PolicyRecord[OriginRequestPolicy]).
	OriginRequestPolicyPrefix = "originrequestpolicy/"
	// ResponseHeadersPolicyPrefix: responseheaderspolicy/<id>, a custom
	// response headers policy (ResponseHeadersPolicyRecord).
	ResponseHeadersPolicyPrefix = "responseheaderspolicy/"
	// RealtimeLogConfigPrefix: rtlogconfig/<name>, a
	// RealtimeLogConfigRecord (the name is the last part of its ARN).
	RealtimeLogConfigPrefix = "rtlogconfig/"
	// FunctionPrefix: function/<name>, a FunctionRecord.
	FunctionPrefix = "function/"
	// KeyValueStorePrefix: kvs/<name>, a KeyValueStoreRecord.
	KeyValueStorePrefix = "kvs/"
	// KeyValueStoreItemPrefix: kvsitem/<store id>/<key>, one key of a key
	// value store; the value is the key's value as is (raw bytes, not
	// JSON). The id (not the name) keys them, as the data-plane API and
	// functions name a store by its ARN.
	KeyValueStoreItemPrefix = "kvsitem/"
	// FLEConfigPrefix: fleconfig/<id>, a field-level encryption
	// configuration (FLERecord).
	FLEConfigPrefix = "fleconfig/"
	// FLEProfilePrefix: fleprofile/<id>, a field-level encryption profile
	// (FLERecord).
	FLEProfilePrefix = "fleprofile/"
	// ContinuousDeploymentPolicyPrefix: cdpolicy/<id>, a
	// ContinuousDeploymentPolicyRecord.
	ContinuousDeploymentPolicyPrefix = "cdpolicy/"
	// MonitoringSubscriptionPrefix: monsub/<distribution id>, the
	// distribution's MonitoringSubscriptionRecord.
	MonitoringSubscriptionPrefix = "monsub/"
	// LightsailDistributionPrefix: lsdist/<name>, a
	// LightsailDistributionRecord.
	LightsailDistributionPrefix = "lsdist/"
	// LightsailOperationPrefix: lsop/<id>, a LightsailOperationRecord (the
	// operations distribution changes return; GetOperation reads them).
	LightsailOperationPrefix = "lsop/"
)

// Attached data: stored next to a record, deleted with it.
const (
	// TagsPrefix: tags/<ARN resource>, the tags (JSON []Tag) of the
	// resource the ARN's last part names: distribution/<id> or
	// streaming-distribution/<id>.
	TagsPrefix = "tags/"
)

// Uniqueness indexes: the value is the key (or for callerref/, the id) of
// the record that holds the unique value.
const (
	// AliasPrefix: alias/<lower-case alternate domain name>, the key of the
	// distribution that serves it (dist/<id>, sdist/<id> or lsdist/<name>).
	AliasPrefix = "alias/"
	// CDStagingPrefix: cdstaging/<staging distribution id>, the key
	// (cdpolicy/<id>) of the continuous-deployment policy that names it.
	CDStagingPrefix = "cdstaging/"

	// CallerRefDistributionPrefix: callerref/dist/<CallerReference>, the id
	// of the distribution created with it.
	CallerRefDistributionPrefix = "callerref/dist/"
	// CallerRefStreamingDistributionPrefix: callerref/sdist/<CallerReference>,
	// the id of the streaming distribution created with it.
	CallerRefStreamingDistributionPrefix = "callerref/sdist/"
	// CallerRefOAIPrefix: callerref/oai/<CallerReference>, the id of the
	// origin access identity created with it.
	CallerRefOAIPrefix = "callerref/oai/"
	// CallerRefPublicKeyPrefix: callerref/pubkey/<CallerReference>, the id
	// of the public key created with it.
	CallerRefPublicKeyPrefix = "callerref/pubkey/"
	// CallerRefInvalidationPrefix: callerref/inval/<distribution
	// id>/<CallerReference>, the id of the invalidation created with it.
	CallerRefInvalidationPrefix = "callerref/inval/"
	// CallerRefFLEConfigPrefix: callerref/fleconfig/<CallerReference>, the
	// id of the field-level encryption configuration created with it.
	CallerRefFLEConfigPrefix = "callerref/fleconfig/"
	// CallerRefFLEProfilePrefix: callerref/fleprofile/<CallerReference>,
	// the id of the field-level encryption profile created with it.
	CallerRefFLEProfilePrefix = "callerref/fleprofile/"

	// NamePublicKeyPrefix: name/pubkey/<name>, the key (pubkey/<id>) of the
	// public key of that name.
	NamePublicKeyPrefix = "name/pubkey/"
	// NameKeyGroupPrefix: name/keygroup/<name>, the key (keygroup/<id>) of
	// the key group of that name.
	NameKeyGroupPrefix = "name/keygroup/"
	// NameOACPrefix: name/oac/<name>, the key (oac/<id>) of the origin
	// access control of that name.
	NameOACPrefix = "name/oac/"
	// NameFLEProfilePrefix: name/fleprofile/<name>, the key
	// (fleprofile/<id>) of the field-level encryption profile of that name.
	NameFLEProfilePrefix = "name/fleprofile/"
	// NameCachePolicyPrefix: name/cachepolicy/<name>, the key
	// (cachepolicy/<id>) of the custom cache policy of that name.
	NameCachePolicyPrefix = "name/cachepolicy/"
	// NameOriginRequestPolicyPrefix: name/originrequestpolicy/<name>, the
	// key of the custom origin request policy of that name.
	NameOriginRequestPolicyPrefix = "name/originrequestpolicy/"
	// NameResponseHeadersPolicyPrefix: name/responseheaderspolicy/<name>,
	// the key of the custom response headers policy of that name.
	NameResponseHeadersPolicyPrefix = "name/responseheaderspolicy/"
)

// Reference indexes: <family><target>/<owner key>, value the owner key,
// one per (referenced resource, referrer). Deleting the target is refused
// (...InUse) while one exists; some List...By operations read them.
const (
	// OAIRefPrefix: oairef/<OAI id>/<owner>, an origin of the distribution
	// dist/<id> or streaming distribution sdist/<id> names the OAI.
	OAIRefPrefix = "oairef/"
	// OACRefPrefix: oacref/<OAC id>/dist/<id>, an origin of the
	// distribution names the origin access control.
	OACRefPrefix = "oacref/"
	// KeyGroupRefPrefix: keygroupref/<key group id>/dist/<id>, a cache
	// behaviour of the distribution trusts the key group.
	KeyGroupRefPrefix = "keygroupref/"
	// PublicKeyRefPrefix: pubkeyref/<public key id>/keygroup/<key group
	// id>, the key group holds the public key. A field-level encryption
	// profile's keys are pubkeyref/<public key id>/keygroup/fleprofile/<profile
	// id> (the profile's key behind "keygroup/", as they have always been
	// written; value fleprofile/<profile id>).
	PublicKeyRefPrefix = "pubkeyref/"
	// CachePolicyRefPrefix: cpref/<cache policy id>/dist/<id>, a cache
	// behaviour of the distribution uses the custom cache policy.
	CachePolicyRefPrefix = "cpref/"
	// OriginRequestPolicyRefPrefix: orpref/<policy id>/dist/<id>, a cache
	// behaviour of the distribution uses the custom origin request policy.
	OriginRequestPolicyRefPrefix = "orpref/"
	// ResponseHeadersPolicyRefPrefix: rhpref/<policy id>/dist/<id>, a cache
	// behaviour of the distribution uses the custom response headers policy.
	ResponseHeadersPolicyRefPrefix = "rhpref/"
	// RealtimeLogConfigRefPrefix: rtlogref/<config name>/dist/<id>, a cache
	// behaviour of the distribution names the real-time log configuration.
	RealtimeLogConfigRefPrefix = "rtlogref/"
	// FunctionRefPrefix: functionref/<function name>/dist/<id>, a cache
	// behaviour of the distribution associates the function.
	FunctionRefPrefix = "functionref/"
	// KeyValueStoreRefPrefix: kvsref/<store name>/<function name>, the
	// function (either stage) is associated with the key value store; the
	// value is "{}".
	KeyValueStoreRefPrefix = "kvsref/"
	// FLEConfigRefPrefix: fleconfigref/<config id>/dist/<id>, a cache
	// behaviour of the distribution names the field-level encryption
	// configuration.
	FLEConfigRefPrefix = "fleconfigref/"
	// FLEProfileRefPrefix: fleprofileref/<profile id>/fleconfig/<config
	// id>, the field-level encryption configuration names the profile.
	FLEProfileRefPrefix = "fleprofileref/"
	// ContinuousDeploymentPolicyRefPrefix: cdref/<policy id>/dist/<id>, the
	// primary distribution names the continuous-deployment policy.
	ContinuousDeploymentPolicyRefPrefix = "cdref/"
)

// DistributionKey is the store key of a distribution.
func DistributionKey(id string) string { return DistributionPrefix + id }

// StreamingDistributionKey is the store key of a streaming distribution.
func StreamingDistributionKey(id string) string { return StreamingDistributionPrefix + id }

// OAIKey is the store key of an origin access identity.
func OAIKey(id string) string { return OAIPrefix + id }

// InvalidationsPrefix is the store prefix of one distribution's
// invalidations.
func InvalidationsPrefix(distID string) string { return InvalidationPrefix + distID + "/" }

// InvalidationKey is the store key of an invalidation.
func InvalidationKey(distID, id string) string { return InvalidationsPrefix(distID) + id }

// PublicKeyKey is the store key of a public key.
func PublicKeyKey(id string) string { return PublicKeyPrefix + id }

// KeyGroupKey is the store key of a key group.
func KeyGroupKey(id string) string { return KeyGroupPrefix + id }

// OACKey is the store key of an origin access control.
func OACKey(id string) string { return OACPrefix + id }

// CachePolicyKey is the store key of a custom cache policy.
func CachePolicyKey(id string) string { return CachePolicyPrefix + id }

// OriginRequestPolicyKey is the store key of a custom origin request policy.
func OriginRequestPolicyKey(id string) string { return OriginRequestPolicyPrefix + id }

// RealtimeLogConfigKey is the store key of the named configuration.
func RealtimeLogConfigKey(name string) string { return RealtimeLogConfigPrefix + name }

// FunctionKey is the store key of a function.
func FunctionKey(name string) string { return FunctionPrefix + name }

// KeyValueStoreKey is the store key of a key value store.
func KeyValueStoreKey(name string) string { return KeyValueStorePrefix + name }

// KeyValueStoreItemsPrefix is the store prefix of one store's keys.
func KeyValueStoreItemsPrefix(storeID string) string { return KeyValueStoreItemPrefix + storeID + "/" }

// KeyValueStoreItemKey is the store key of one key of a key value store.
func KeyValueStoreItemKey(storeID, key string) string {
	return KeyValueStoreItemsPrefix(storeID) + key
}

// SplitKeyValueStoreItemKey returns the store id and key of a store key
// under KeyValueStoreItemPrefix.
func SplitKeyValueStoreItemKey(storeKey string) (storeID, key string, ok bool) {
	rest, ok := strings.CutPrefix(storeKey, KeyValueStoreItemPrefix)
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, "/")
}

// FLEConfigKey is the store key of a field-level encryption configuration.
func FLEConfigKey(id string) string { return FLEConfigPrefix + id }

// FLEProfileKey is the store key of a field-level encryption profile.
func FLEProfileKey(id string) string { return FLEProfilePrefix + id }

// ContinuousDeploymentPolicyKey is the store key of a continuous-deployment
// policy.
func ContinuousDeploymentPolicyKey(id string) string { return ContinuousDeploymentPolicyPrefix + id }

// MonitoringSubscriptionKey is the store key of a distribution's monitoring
// subscription.
func MonitoringSubscriptionKey(distID string) string { return MonitoringSubscriptionPrefix + distID }

// LightsailDistributionKey is the store key of a Lightsail distribution.
func LightsailDistributionKey(name string) string { return LightsailDistributionPrefix + name }

// LightsailOperationKey is the store key of a Lightsail operation.
func LightsailOperationKey(id string) string { return LightsailOperationPrefix + id }

// TagsKey is the store key of the tags of an ARN's resource part
// (distribution/<id> or streaming-distribution/<id>).
func TagsKey(resource string) string { return TagsPrefix + resource }

// RefKey is the reference index key under family (one of the ...RefPrefix
// constants) marking that owner (a record's key) references target.
func RefKey(family, target, owner string) string { return RefsPrefix(family, target) + owner }

// RefsPrefix is the store prefix of every reference to target in family:
// List on it finds target's referrers.
func RefsPrefix(family, target string) string { return family + target + "/" }
