package lightsail

import (
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"openfront/internal/control"
	"openfront/internal/model"
)

// Wire shapes of the botocore model lightsail/2016-11-28. Request members
// are pointers so that "absent" and "zero" differ (UpdateDistribution is a
// partial update).

// epoch is a timestamp on the wire: epoch seconds, possibly fractional
// (an ISO 8601 string is accepted on input too).
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	return []byte(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)), nil
}

func (e *epoch) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return invalid("timestamp %q is not epoch seconds or ISO 8601.", s)
		}
		*e = epoch(t)
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1e11 {
		return invalid("timestamp %s is not epoch seconds.", b)
	}
	sec, frac := math.Modf(f)
	*e = epoch(time.Unix(int64(sec), int64(frac*1e9)).UTC())
	return nil
}

type location struct {
	AvailabilityZone string `json:"availabilityZone"`
	RegionName       string `json:"regionName"`
}

var globalLocation = location{AvailabilityZone: "all", RegionName: model.LightsailDefaultRegion}

type tag struct {
	Key   *string `json:"key"`
	Value *string `json:"value"`
}

type inputOrigin struct {
	Name            *string `json:"name"`
	RegionName      *string `json:"regionName"`
	ProtocolPolicy  *string `json:"protocolPolicy"`
	ResponseTimeout *int64  `json:"responseTimeout"`
	IPAddressType   *string `json:"ipAddressType"`
}

type cacheBehavior struct {
	Behavior *string `json:"behavior"`
}

type cookieObject struct {
	Option           *string   `json:"option"`
	CookiesAllowList *[]string `json:"cookiesAllowList"`
}

type headerObject struct {
	Option           *string   `json:"option"`
	HeadersAllowList *[]string `json:"headersAllowList"`
}

type queryStringObject struct {
	Option                *bool     `json:"option"`
	QueryStringsAllowList *[]string `json:"queryStringsAllowList"`
}

type cacheSettings struct {
	DefaultTTL            *int64             `json:"defaultTTL"`
	MinimumTTL            *int64             `json:"minimumTTL"`
	MaximumTTL            *int64             `json:"maximumTTL"`
	AllowedHTTPMethods    *string            `json:"allowedHTTPMethods"`
	CachedHTTPMethods     *string            `json:"cachedHTTPMethods"`
	ForwardedCookies      *cookieObject      `json:"forwardedCookies"`
	ForwardedHeaders      *headerObject      `json:"forwardedHeaders"`
	ForwardedQueryStrings *queryStringObject `json:"forwardedQueryStrings"`
}

type cacheBehaviorPerPath struct {
	Path     *string `json:"path"`
	Behavior *string `json:"behavior"`
}

// Enumerations and patterns of the model.
var (
	resourceName = regexp.MustCompile(`^\w[\w\-]*\w$`)
	regionNames  = []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ca-central-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ap-northeast-2", "ap-southeast-3", "ap-southeast-5"}
	protocols    = []string{"http-only", "https-only"}
	ipTypes      = []string{"dualstack", "ipv4", "ipv6"}
	behaviors    = []string{"dont-cache", "cache"}
	forwardOpts  = []string{"none", "allow-list", "all"}
	tlsVersions  = []string{"TLSv1.1_2016", "TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021"}
	headerNames  = []string{"Accept", "Accept-Charset", "Accept-Datetime", "Accept-Encoding", "Accept-Language", "Authorization", "CloudFront-Forwarded-Proto", "CloudFront-Is-Desktop-Viewer", "CloudFront-Is-Mobile-Viewer", "CloudFront-Is-SmartTV-Viewer", "CloudFront-Is-Tablet-Viewer", "CloudFront-Viewer-Country", "Host", "Origin", "Referer"}
)

// distributionIPTypes: a distribution itself is IPv4 only or dual stack
// (API Reference, CreateDistribution ipAddressType and
// LightsailDistribution ipAddressType); ipv6 is for origins (InputOrigin)
// and instances.
var distributionIPTypes = []string{"dualstack", "ipv4"}

// headerOpts adds "default" to the model's enumeration: the Terraform
// AWS provider's documentation and its acceptance tests against AWS
// send forwardedHeaders.option = "default", and Lightsail accepts it,
// stores it and returns it unchanged from GetDistributions. It forwards
// only the default headers, what "none" is documented to do
// (HeaderObject in the Lightsail API Reference).
var headerOpts = []string{"none", "allow-list", "all", model.LightsailHeaderOptionDefault}

// checkName validates a ResourceName member; required says whether it
// may be absent.
func checkName(field string, v *string, required bool) error {
	if v == nil {
		if required {
			return invalid("%s is required.", field)
		}
		return nil
	}
	if len(*v) > 255 || !resourceName.MatchString(*v) {
		return invalid("%s %q is not valid: it must match \\w[\\w\\-]*\\w (letters, digits, underscores and hyphens, not starting or ending with a hyphen).", field, *v)
	}
	return nil
}

func checkEnum(field string, v *string, allowed []string) error {
	if v != nil && !slices.Contains(allowed, *v) {
		return invalid("%s %q is not valid: it must be one of %s.", field, *v, strings.Join(allowed, ", "))
	}
	return nil
}

// checkOrigin validates an InputOrigin; on create the name is required.
func checkOrigin(o *inputOrigin, create bool) error {
	if o == nil {
		if create {
			return invalid("origin is required.")
		}
		return nil
	}
	if err := checkName("origin.name", o.Name, create); err != nil {
		return err
	}
	if err := checkEnum("origin.regionName", o.RegionName, regionNames); err != nil {
		return err
	}
	if err := checkEnum("origin.protocolPolicy", o.ProtocolPolicy, protocols); err != nil {
		return err
	}
	if err := checkEnum("origin.ipAddressType", o.IPAddressType, ipTypes); err != nil {
		return err
	}
	if o.ResponseTimeout != nil && (*o.ResponseTimeout < 1 || *o.ResponseTimeout > 60) {
		return invalid("origin.responseTimeout %d is not valid: it must be between 1 and 60 seconds.", *o.ResponseTimeout)
	}
	return nil
}

func checkBehavior(field string, b *cacheBehavior, required bool) error {
	if b == nil || b.Behavior == nil {
		if required {
			return invalid("%s.behavior is required.", field)
		}
		return nil
	}
	return checkEnum(field+".behavior", b.Behavior, behaviors)
}

// checkCacheSettings validates each given member, and the TTL order of the
// TTLs given together (the order against stored TTLs is checked after the
// merge).
func checkCacheSettings(c *cacheSettings) error {
	if c == nil {
		return nil
	}
	var ttls []int64
	for _, t := range []struct {
		name string
		v    *int64
	}{{"minimumTTL", c.MinimumTTL}, {"defaultTTL", c.DefaultTTL}, {"maximumTTL", c.MaximumTTL}} {
		if t.v == nil {
			continue
		}
		if *t.v < 0 {
			return invalid("cacheBehaviorSettings.%s %d is not valid: it must not be negative.", t.name, *t.v)
		}
		ttls = append(ttls, *t.v)
	}
	if !slices.IsSorted(ttls) {
		return invalid("cacheBehaviorSettings: minimumTTL <= defaultTTL <= maximumTTL is required.")
	}
	if c.AllowedHTTPMethods != nil {
		if _, ok := model.LightsailMethods(*c.AllowedHTTPMethods, "GET,HEAD", "GET,HEAD,OPTIONS", model.LightsailAllMethods); !ok {
			return invalid("cacheBehaviorSettings.allowedHTTPMethods %q is not valid: it must be GET,HEAD or GET,HEAD,OPTIONS or %s.", *c.AllowedHTTPMethods, model.LightsailAllMethods)
		}
	}
	if c.CachedHTTPMethods != nil {
		if _, ok := model.LightsailMethods(*c.CachedHTTPMethods, "GET,HEAD", "GET,HEAD,OPTIONS"); !ok {
			return invalid("cacheBehaviorSettings.cachedHTTPMethods %q is not valid: it must be GET,HEAD or GET,HEAD,OPTIONS.", *c.CachedHTTPMethods)
		}
	}
	if f := c.ForwardedCookies; f != nil {
		if err := checkEnum("cacheBehaviorSettings.forwardedCookies.option", f.Option, forwardOpts); err != nil {
			return err
		}
		if f.CookiesAllowList != nil {
			for _, name := range *f.CookiesAllowList {
				if name == "" {
					return invalid("cacheBehaviorSettings.forwardedCookies.cookiesAllowList contains an empty name.")
				}
			}
		}
	}
	if f := c.ForwardedHeaders; f != nil {
		if err := checkEnum("cacheBehaviorSettings.forwardedHeaders.option", f.Option, headerOpts); err != nil {
			return err
		}
		if f.HeadersAllowList != nil {
			for _, name := range *f.HeadersAllowList {
				if err := checkEnum("cacheBehaviorSettings.forwardedHeaders.headersAllowList item", &name, headerNames); err != nil {
					return err
				}
			}
		}
	}
	if f := c.ForwardedQueryStrings; f != nil && f.QueryStringsAllowList != nil {
		for _, name := range *f.QueryStringsAllowList {
			if name == "" {
				return invalid("cacheBehaviorSettings.forwardedQueryStrings.queryStringsAllowList contains an empty name.")
			}
		}
	}
	return nil
}

func checkPerPath(list *[]cacheBehaviorPerPath) error {
	if list == nil {
		return nil
	}
	for i, pb := range *list {
		field := "cacheBehaviors[" + strconv.Itoa(i) + "]"
		if pb.Path == nil || *pb.Path == "" {
			return invalid("%s.path is required.", field)
		}
		if err := model.ValidatePathPattern(model.LightsailPathPattern(*pb.Path)); err != nil {
			return invalid("%s.path %q is not a valid path.", field, *pb.Path)
		}
		if pb.Behavior == nil {
			return invalid("%s.behavior is required.", field)
		}
		if err := checkEnum(field+".behavior", pb.Behavior, behaviors); err != nil {
			return err
		}
	}
	return nil
}

// applyOrigin merges a validated InputOrigin into the settings.
func applyOrigin(s *model.LightsailSettings, o *inputOrigin) {
	if o == nil {
		return
	}
	if o.Name != nil {
		s.Origin.Name = *o.Name
	}
	if o.RegionName != nil {
		s.Origin.RegionName = *o.RegionName
	}
	if o.ProtocolPolicy != nil {
		s.Origin.ProtocolPolicy = *o.ProtocolPolicy
	}
	if o.ResponseTimeout != nil {
		s.Origin.ResponseTimeout = int(*o.ResponseTimeout)
	}
	if o.IPAddressType != nil {
		s.Origin.IPAddressType = *o.IPAddressType
	}
}

// applyCacheSettings merges validated cache settings: each given member
// replaces the stored one; in a forwarded-values object a missing option
// keeps the stored option, and the allow-list is kept only while the
// option stays allow-list.
func applyCacheSettings(s *model.LightsailCacheSettings, c *cacheSettings) {
	if c == nil {
		return
	}
	set64 := func(dst *int64, v *int64) {
		if v != nil {
			*dst = *v
		}
	}
	set64(&s.MinimumTTL, c.MinimumTTL)
	set64(&s.DefaultTTL, c.DefaultTTL)
	set64(&s.MaximumTTL, c.MaximumTTL)
	if c.AllowedHTTPMethods != nil {
		s.AllowedMethods = *c.AllowedHTTPMethods
	}
	if c.CachedHTTPMethods != nil {
		s.CachedMethods = *c.CachedHTTPMethods
	}
	if f := c.ForwardedCookies; f != nil {
		s.CookieOption, s.Cookies = forwarded(s.CookieOption, s.Cookies, f.Option, f.CookiesAllowList)
	}
	if f := c.ForwardedHeaders; f != nil {
		s.HeaderOption, s.Headers = forwarded(s.HeaderOption, s.Headers, f.Option, f.HeadersAllowList)
	}
	if f := c.ForwardedQueryStrings; f != nil {
		if f.Option != nil {
			s.QueryStrings = *f.Option
		}
		if f.QueryStringsAllowList != nil {
			s.QueryStringNames = slices.Clone(*f.QueryStringsAllowList)
		}
	}
}

func forwarded(option string, list []string, newOption *string, newList *[]string) (string, []string) {
	if newOption != nil {
		if *newOption != option && *newOption != "allow-list" {
			list = nil
		}
		option = *newOption
	}
	if newList != nil {
		list = slices.Clone(*newList)
	}
	if option != "allow-list" && newList != nil && len(*newList) == 0 {
		list = nil
	}
	return option, list
}

func perPath(list []cacheBehaviorPerPath) []model.LightsailPathBehavior {
	out := make([]model.LightsailPathBehavior, 0, len(list))
	for _, pb := range list {
		out = append(out, model.LightsailPathBehavior{Path: *pb.Path, Behavior: *pb.Behavior})
	}
	return out
}

// Output shapes.

type operationOut struct {
	ID               string   `json:"id"`
	ResourceName     string   `json:"resourceName"`
	ResourceType     string   `json:"resourceType"`
	CreatedAt        epoch    `json:"createdAt"`
	Location         location `json:"location"`
	IsTerminal       bool     `json:"isTerminal"`
	OperationDetails string   `json:"operationDetails"`
	OperationType    string   `json:"operationType"`
	Status           string   `json:"status"`
	StatusChangedAt  epoch    `json:"statusChangedAt"`
}

type tagOut struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type originOut struct {
	Name            string `json:"name"`
	ResourceType    string `json:"resourceType"`
	RegionName      string `json:"regionName"`
	ProtocolPolicy  string `json:"protocolPolicy"`
	ResponseTimeout int    `json:"responseTimeout"`
	IPAddressType   string `json:"ipAddressType"`
}

type cookieOut struct {
	Option           string   `json:"option"`
	CookiesAllowList []string `json:"cookiesAllowList"`
}

type headerOut struct {
	Option           string   `json:"option"`
	HeadersAllowList []string `json:"headersAllowList"`
}

type queryStringOut struct {
	Option                bool     `json:"option"`
	QueryStringsAllowList []string `json:"queryStringsAllowList"`
}

type cacheSettingsOut struct {
	DefaultTTL            int64          `json:"defaultTTL"`
	MinimumTTL            int64          `json:"minimumTTL"`
	MaximumTTL            int64          `json:"maximumTTL"`
	AllowedHTTPMethods    string         `json:"allowedHTTPMethods"`
	CachedHTTPMethods     string         `json:"cachedHTTPMethods"`
	ForwardedCookies      cookieOut      `json:"forwardedCookies"`
	ForwardedHeaders      headerOut      `json:"forwardedHeaders"`
	ForwardedQueryStrings queryStringOut `json:"forwardedQueryStrings"`
}

type behaviorOut struct {
	Behavior string `json:"behavior"`
}

type perPathOut struct {
	Path     string `json:"path"`
	Behavior string `json:"behavior"`
}

type distributionOut struct {
	Name                            string           `json:"name"`
	ARN                             string           `json:"arn"`
	SupportCode                     string           `json:"supportCode"`
	CreatedAt                       epoch            `json:"createdAt"`
	Location                        location         `json:"location"`
	ResourceType                    string           `json:"resourceType"`
	AlternativeDomainNames          []string         `json:"alternativeDomainNames"`
	Status                          string           `json:"status"`
	IsEnabled                       bool             `json:"isEnabled"`
	DomainName                      string           `json:"domainName"`
	BundleID                        string           `json:"bundleId"`
	CertificateName                 string           `json:"certificateName,omitempty"`
	Origin                          originOut        `json:"origin"`
	OriginPublicDNS                 string           `json:"originPublicDNS"`
	DefaultCacheBehavior            behaviorOut      `json:"defaultCacheBehavior"`
	CacheBehaviorSettings           cacheSettingsOut `json:"cacheBehaviorSettings"`
	CacheBehaviors                  []perPathOut     `json:"cacheBehaviors"`
	AbleToUpdateBundle              bool             `json:"ableToUpdateBundle"`
	IPAddressType                   string           `json:"ipAddressType"`
	Tags                            []tagOut         `json:"tags"`
	ViewerMinimumTLSProtocolVersion string           `json:"viewerMinimumTlsProtocolVersion"`
}

// originIPType is the origin's ipAddressType as GetDistributions shows it
// (the model's Origin has the member; "the IP address type that the
// distribution uses when connecting to the origin"): one not given is
// ipv4, CloudFront's way of reaching an origin unless CustomOriginConfig's
// IpAddressType asks for ipv6 or dualstack (CloudFront API Reference,
// CustomOriginConfig).
func originIPType(t string) string {
	if t == "" {
		return "ipv4"
	}
	return t
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func toDistributionOut(d *control.LightsailDistribution, accountID string) *distributionOut {
	s := d.Settings
	c := s.Cache
	out := &distributionOut{
		Name: d.Name, ARN: d.ARN, SupportCode: accountID + "/" + d.ID,
		CreatedAt: epoch(d.CreatedAt), Location: globalLocation, ResourceType: "Distribution",
		AlternativeDomainNames: nonNil(d.AlternativeDomainNames), Status: d.Status, IsEnabled: s.Enabled,
		DomainName: d.DomainName, BundleID: d.BundleID, CertificateName: s.CertificateName,
		Origin: originOut{
			Name: s.Origin.Name, ResourceType: "Instance", RegionName: s.Origin.RegionName,
			ProtocolPolicy: s.Origin.ProtocolPolicy, ResponseTimeout: s.Origin.ResponseTimeout, IPAddressType: originIPType(s.Origin.IPAddressType),
		},
		OriginPublicDNS:      d.Origin.Host,
		DefaultCacheBehavior: behaviorOut{Behavior: s.DefaultBehavior},
		CacheBehaviorSettings: cacheSettingsOut{
			DefaultTTL: c.DefaultTTL, MinimumTTL: c.MinimumTTL, MaximumTTL: c.MaximumTTL,
			AllowedHTTPMethods: c.AllowedMethods, CachedHTTPMethods: c.CachedMethods,
			ForwardedCookies:      cookieOut{Option: c.CookieOption, CookiesAllowList: nonNil(c.Cookies)},
			ForwardedHeaders:      headerOut{Option: c.HeaderOption, HeadersAllowList: nonNil(c.Headers)},
			ForwardedQueryStrings: queryStringOut{Option: c.QueryStrings, QueryStringsAllowList: nonNil(c.QueryStringNames)},
		},
		CacheBehaviors:                  []perPathOut{},
		AbleToUpdateBundle:              d.AbleToUpdateBundle,
		IPAddressType:                   s.IPAddressType,
		Tags:                            []tagOut{},
		ViewerMinimumTLSProtocolVersion: s.ViewerMinimumTLSProtocolVersion,
	}
	for _, pb := range s.PathBehaviors {
		out.CacheBehaviors = append(out.CacheBehaviors, perPathOut{Path: pb.Path, Behavior: pb.Behavior})
	}
	for _, t := range d.Tags {
		out.Tags = append(out.Tags, tagOut{Key: t.Key, Value: t.Value})
	}
	return out
}
