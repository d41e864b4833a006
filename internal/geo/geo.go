// Package geo answers CloudFront's geo restriction (spec edge.md §9): the
// viewer's country from a MaxMind DB country database (GeoLite2-Country,
// DB-IP Lite or any mmdb with country.iso_code), and the pure decision
// whether a distribution's restriction lets that country in.
//
// A DB is read-only and safe for concurrent use; to reload a changed file,
// Open a new DB, swap it in, then Close the old one once no request uses
// it. Allowed fails open: a viewer whose country is unknown is served, as
// CloudFront does.
//
// Tests and tools build small databases with package geotest.
package geo

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

// DB is an open country database.
type DB struct {
	r *maxminddb.Reader
}

// Open memory-maps the mmdb file at path.
func Open(path string) (*DB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open geo database %s: %w", path, err)
	}
	return &DB{r: r}, nil
}

// Close unmaps the database; no lookup may run during or after it.
func (db *DB) Close() error {
	return db.r.Close()
}

// countryRecord decodes only what the restriction needs, which is much
// faster than decoding whole GeoIP2 records.
type countryRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
}

// Country returns the ISO 3166-1 alpha-2 code (upper case) of the country
// of ip: the record's country, else its registered country. ok is false
// when the address is invalid, not in the database, or has no country.
func (db *DB) Country(ip netip.Addr) (code string, ok bool) {
	if !ip.IsValid() {
		return "", false
	}
	var rec countryRecord
	if err := db.r.Lookup(ip.Unmap()).Decode(&rec); err != nil {
		return "", false
	}
	code = rec.Country.ISOCode
	if code == "" {
		code = rec.RegisteredCountry.ISOCode
	}
	if code == "" {
		return "", false
	}
	return strings.ToUpper(code), true
}

// Restriction types of Restrictions.GeoRestriction.RestrictionType.
const (
	RestrictionNone      = "none"
	RestrictionWhitelist = "whitelist" // allow list: only the listed countries
	RestrictionBlacklist = "blacklist" // block list: all but the listed countries
)

// Allowed reports whether a viewer from country may be served under a
// distribution's geo restriction: whitelist serves only the listed
// countries, blacklist all but them, none (or any other type) everyone.
// A viewer whose country is not known is always served (fail open).
// Country codes compare case-insensitively.
func Allowed(restrictionType string, locations []string, country string, known bool) bool {
	if !known || country == "" {
		return true
	}
	switch restrictionType {
	case RestrictionWhitelist:
		return listed(locations, country)
	case RestrictionBlacklist:
		return !listed(locations, country)
	}
	return true
}

func listed(locations []string, country string) bool {
	for _, l := range locations {
		if strings.EqualFold(l, country) {
			return true
		}
	}
	return false
}
