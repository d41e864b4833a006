// Package geotest builds small MaxMind DB country databases for tests and
// end-to-end tools, so no real GeoIP file is needed (Debian ships none).
// Loopback and other reserved networks are allowed, so tests can map
// 127.0.0.2/32 to DE and 127.0.0.3/32 to FR and connect from those
// addresses.
package geotest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// WriteDB writes a country database to path mapping each network (CIDR
// like "127.0.0.2/32" or a bare address) to an ISO country code, or fails
// the test.
func WriteDB(t testing.TB, path string, networks map[string]string) {
	t.Helper()
	if err := Write(path, networks); err != nil {
		t.Fatal(err)
	}
}

// Write writes a country database to path (see WriteDB). Records look like
// GeoLite2-Country's: {"country": {"iso_code": "DE"}, "registered_country":
// {"iso_code": "DE"}}. More specific networks win over larger ones.
func Write(path string, networks map[string]string) error {
	records := make(map[string]Record, len(networks))
	for n, code := range networks {
		records[n] = Record{Country: code}
	}
	return WriteRecords(path, records)
}

// Record is one network's data in a location database: a GeoLite2-City
// record (with an ASN database's autonomous_system_number) for the fields
// set, a country-only record when only Country is.
type Record struct {
	Country, CountryName, Region, RegionName, City, PostalCode, TimeZone string
	Latitude, Longitude                                                  float64 // both 0: no location
	MetroCode, ASN                                                       uint
}

func (r Record) mmdb() mmdbtype.Map {
	country := mmdbtype.Map{"iso_code": mmdbtype.String(strings.ToUpper(r.Country))}
	if r.CountryName != "" {
		country["names"] = mmdbtype.Map{"en": mmdbtype.String(r.CountryName)}
	}
	rec := mmdbtype.Map{"country": country, "registered_country": country}
	if r.Region != "" {
		rec["subdivisions"] = mmdbtype.Slice{mmdbtype.Map{"iso_code": mmdbtype.String(r.Region),
			"names": mmdbtype.Map{"en": mmdbtype.String(r.RegionName)}}}
	}
	if r.City != "" {
		rec["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(r.City)}}
	}
	if r.PostalCode != "" {
		rec["postal"] = mmdbtype.Map{"code": mmdbtype.String(r.PostalCode)}
	}
	loc := mmdbtype.Map{}
	if r.Latitude != 0 || r.Longitude != 0 {
		loc["latitude"], loc["longitude"] = mmdbtype.Float64(r.Latitude), mmdbtype.Float64(r.Longitude)
	}
	if r.TimeZone != "" {
		loc["time_zone"] = mmdbtype.String(r.TimeZone)
	}
	if r.MetroCode != 0 {
		loc["metro_code"] = mmdbtype.Uint16(r.MetroCode)
	}
	if len(loc) > 0 {
		rec["location"] = loc
	}
	if r.ASN != 0 {
		rec["autonomous_system_number"] = mmdbtype.Uint32(r.ASN)
	}
	return rec
}

// WriteRecords writes a location database to path mapping each network
// (as in WriteDB) to a record. More specific networks win over larger ones.
func WriteRecords(path string, records map[string]Record) error {
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            "GeoLite2-Country",
		Description:             map[string]string{"en": "OpenFront test country database"},
		IncludeReservedNetworks: true,
		RecordSize:              24,
	})
	if err != nil {
		return fmt.Errorf("new geo test database: %w", err)
	}
	// Insert larger networks first so that smaller ones override them.
	type entry struct {
		n   *net.IPNet
		rec Record
	}
	var entries []entry
	for cidr, rec := range records {
		n, err := parseNetwork(cidr)
		if err != nil {
			return err
		}
		entries = append(entries, entry{n, rec})
	}
	sort.Slice(entries, func(i, j int) bool {
		oi, _ := entries[i].n.Mask.Size()
		oj, _ := entries[j].n.Mask.Size()
		if len(entries[i].n.IP) != len(entries[j].n.IP) {
			return len(entries[i].n.IP) < len(entries[j].n.IP)
		}
		return oi < oj
	})
	for _, e := range entries {
		if err := tree.Insert(e.n, e.rec.mmdb()); err != nil {
			return fmt.Errorf("insert %s: %w", e.n, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := tree.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func parseNetwork(s string) (*net.IPNet, error) {
	if !strings.Contains(s, "/") {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, fmt.Errorf("bad network %q", s)
		}
		bits := 128
		if ip4 := ip.To4(); ip4 != nil {
			ip, bits = ip4, 32
		}
		return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, nil
	}
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		return nil, fmt.Errorf("bad network %q: %w", s, err)
	}
	return n, nil
}
