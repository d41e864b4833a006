package model

import (
	"strings"
)

// CheckIncomingDistributionConfig applies the rules a DistributionConfig
// must pass when it is created or updated, beyond ParseDistributionConfig.
// They are kept apart because ParseDistributionConfig also reads stored
// configs (the edge's snapshot, deletes, alias moves): a config stored
// before one of these rules existed is still served and can still be
// updated to pass them or deleted.
func CheckIncomingDistributionConfig(t Tree) error {
	for _, o := range StructItems(t, "Origins") {
		if err := checkCustomHeaders(StructItems(o, "CustomHeaders")); err != nil {
			return err
		}
		if err := checkOriginShield(Sub(o, "OriginShield")); err != nil {
			return err
		}
	}
	for _, g := range StructItems(t, "OriginGroups") {
		// API reference, OriginGroup: "An origin group includes two
		// origins (a primary origin and a secondary origin to failover
		// to)"; one origin twice has nothing to fail over to.
		members := StructItems(g, "Members")
		if len(members) == 2 && StrOr(members[0], "", "OriginId") == StrOr(members[1], "", "OriginId") {
			return Errorf("InvalidArgument", "The origin group %q must have two different origins: %q is both primary and secondary.",
				StrOr(g, "", "Id"), StrOr(members[0], "", "OriginId"))
		}
	}
	return nil
}

// deniedCustomHeaders are the headers CloudFront can't add to origin
// requests (Developer Guide, "Add custom headers to origin requests",
// section "Custom headers that CloudFront can't add to origin requests"),
// in lower case; deniedCustomHeaderPrefixes are the prefixes of that list
// ("Headers that begin with X-Amz-", "... X-Edge-").
var (
	deniedCustomHeaders = map[string]bool{
		"cache-control": true, "connection": true, "content-length": true, "cookie": true, "host": true,
		"if-match": true, "if-modified-since": true, "if-none-match": true, "if-range": true,
		"if-unmodified-since": true, "max-forwards": true, "pragma": true, "proxy-authorization": true,
		"proxy-connection": true, "range": true, "request-range": true, "te": true, "trailer": true,
		"transfer-encoding": true, "upgrade": true, "via": true, "x-real-ip": true,
	}
	deniedCustomHeaderPrefixes = []string{"x-amz-", "x-edge-"}
)

// checkCustomHeaders refuses an origin's custom header that CloudFront
// can't add, and a name given twice (header names compare without case:
// the origin would get one header, not two).
func checkCustomHeaders(headers []Tree) error {
	seen := map[string]bool{}
	for _, h := range headers {
		name := StrOr(h, "", "HeaderName")
		lower := strings.ToLower(name)
		if deniedCustomHeaders[lower] || hasAnyPrefix(lower, deniedCustomHeaderPrefixes) {
			return Errorf("InvalidArgument", "The parameter HeaderName : %s is not allowed.", name)
		}
		if seen[lower] {
			return Errorf("InvalidArgument", "The parameter HeaderName : %s is duplicated.", name)
		}
		seen[lower] = true
	}
	return nil
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// originShieldRegions are the AWS Regions in which CloudFront offers
// Origin Shield (Developer Guide, "Use Amazon CloudFront Origin Shield",
// section "Choose the AWS Region for Origin Shield").
var originShieldRegions = map[string]bool{
	"us-east-2": true, "us-east-1": true, "us-west-2": true,
	"ap-south-1": true, "ap-northeast-2": true, "ap-southeast-1": true, "ap-southeast-2": true, "ap-northeast-1": true,
	"eu-central-1": true, "eu-west-1": true, "eu-west-2": true,
	"sa-east-1": true,
}

// checkOriginShield: API reference, OriginShield: "When you enable
// CloudFront Origin Shield, you must specify the AWS Region for Origin
// Shield", by its region code, one of the Regions that offer it.
func checkOriginShield(t Tree) error {
	if t == nil {
		return nil
	}
	region := StrOr(t, "", "OriginShieldRegion")
	switch {
	case region == "" && Bool(t, "Enabled"):
		return Errorf("InvalidArgument", "The parameter OriginShieldRegion is required when Origin Shield is enabled.")
	case region != "" && !originShieldRegions[region]:
		return Errorf("InvalidArgument", "The parameter OriginShieldRegion %q is not an AWS Region in which CloudFront offers Origin Shield.", region)
	}
	return nil
}
