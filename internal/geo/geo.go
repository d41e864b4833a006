// Package geo answers CloudFront's geo restriction and the location request
// headers ("Add CloudFront request headers"; Location): the
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

// Location is what a database record tells about an address beyond the
// country: a GeoIP2/GeoLite2 City database has the names, subdivision,
// city, postal code and location; an ASN database the autonomous system
// number. Fields the record does not have are empty (zero).
type Location struct {
	Country     string // ISO 3166-1 alpha-2, upper case
	CountryName string // English name
	Region      string // first-level subdivision code (ISO 3166-2 without the country), e.g. "WA"
	RegionName  string
	City        string
	PostalCode  string
	TimeZone    string // IANA, e.g. "America/Los_Angeles"
	Latitude    float64
	Longitude   float64
	// HasCoordinates: Latitude and Longitude are known.
	HasCoordinates bool
	MetroCode      uint // US only
	ASN            uint
}

type names struct {
	EN string `maxminddb:"en"`
}

// locationRecord is the union of the GeoIP2 City and ASN record fields
// Location reads.
type locationRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
		Names   names  `maxminddb:"names"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
		Names   names  `maxminddb:"names"`
	} `maxminddb:"registered_country"`
	Subdivisions []struct {
		ISOCode string `maxminddb:"iso_code"`
		Names   names  `maxminddb:"names"`
	} `maxminddb:"subdivisions"`
	City struct {
		Names names `maxminddb:"names"`
	} `maxminddb:"city"`
	Postal struct {
		Code string `maxminddb:"code"`
	} `maxminddb:"postal"`
	Location struct {
		Latitude  *float64 `maxminddb:"latitude"`
		Longitude *float64 `maxminddb:"longitude"`
		MetroCode uint     `maxminddb:"metro_code"`
		TimeZone  string   `maxminddb:"time_zone"`
	} `maxminddb:"location"`
	ASN uint `maxminddb:"autonomous_system_number"`
}

// Location returns what the database knows of ip; ok is false when the
// address is invalid or not in the database.
func (db *DB) Location(ip netip.Addr) (loc Location, ok bool) {
	if !ip.IsValid() {
		return loc, false
	}
	res := db.r.Lookup(ip.Unmap())
	if !res.Found() {
		return loc, false
	}
	var rec locationRecord
	if err := res.Decode(&rec); err != nil {
		return loc, false
	}
	loc.Country, loc.CountryName = strings.ToUpper(rec.Country.ISOCode), rec.Country.Names.EN
	if loc.Country == "" {
		loc.Country, loc.CountryName = strings.ToUpper(rec.RegisteredCountry.ISOCode), rec.RegisteredCountry.Names.EN
	}
	if len(rec.Subdivisions) > 0 {
		loc.Region, loc.RegionName = rec.Subdivisions[0].ISOCode, rec.Subdivisions[0].Names.EN
	}
	loc.City = rec.City.Names.EN
	loc.PostalCode = rec.Postal.Code
	loc.TimeZone = rec.Location.TimeZone
	loc.MetroCode = rec.Location.MetroCode
	if rec.Location.Latitude != nil && rec.Location.Longitude != nil {
		loc.Latitude, loc.Longitude, loc.HasCoordinates = *rec.Location.Latitude, *rec.Location.Longitude, true
	}
	loc.ASN = rec.ASN
	return loc, true
}
