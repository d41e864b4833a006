package geo_test

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"openfront/internal/geo"
	"openfront/internal/geo/geotest"
)

func openTestDB(t *testing.T) *geo.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "country.mmdb")
	geotest.WriteDB(t, path, map[string]string{
		"127.0.0.0/8":     "US",
		"127.0.0.2/32":    "DE",
		"127.0.0.3":       "fr",
		"192.0.2.0/24":    "US",
		"198.51.100.0/24": "DE",
		"2001:db8::/32":   "FR",
		"::1/128":         "JP",
	})
	db, err := geo.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestDB_Country(t *testing.T) {
	db := openTestDB(t)
	tests := []struct {
		ip   string
		want string
		ok   bool
	}{
		{"127.0.0.2", "DE", true},
		{"127.0.0.3", "FR", true},
		{"127.0.0.1", "US", true},
		{"::ffff:127.0.0.2", "DE", true},
		{"192.0.2.77", "US", true},
		{"198.51.100.1", "DE", true},
		{"2001:db8::1", "FR", true},
		{"::1", "JP", true},
		{"203.0.113.1", "", false},
		{"2001:db9::1", "", false},
	}
	for _, tt := range tests {
		got, ok := db.Country(netip.MustParseAddr(tt.ip))
		if got != tt.want || ok != tt.ok {
			t.Errorf("Country(%s) = %q, %v, want %q, %v", tt.ip, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := db.Country(netip.Addr{}); ok {
		t.Error("Country(invalid) ok")
	}
}

func TestOpen_errors(t *testing.T) {
	if _, err := geo.Open(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil {
		t.Error("Open(missing) = nil error")
	}
	bad := filepath.Join(t.TempDir(), "bad.mmdb")
	os.WriteFile(bad, []byte("not a database"), 0o600)
	if _, err := geo.Open(bad); err == nil {
		t.Error("Open(garbage) = nil error")
	}
}

func TestAllowed(t *testing.T) {
	list := []string{"DE", "fr"}
	tests := []struct {
		typ     string
		country string
		known   bool
		want    bool
	}{
		{"none", "DE", true, true},
		{"", "DE", true, true},
		{"whitelist", "DE", true, true},
		{"whitelist", "FR", true, true}, // case-insensitive
		{"whitelist", "US", true, false},
		{"whitelist", "", false, true}, // unknown: fail open
		{"whitelist", "US", false, true},
		{"blacklist", "DE", true, false},
		{"blacklist", "de", true, false},
		{"blacklist", "US", true, true},
		{"blacklist", "", false, true},
	}
	for _, tt := range tests {
		if got := geo.Allowed(tt.typ, list, tt.country, tt.known); got != tt.want {
			t.Errorf("Allowed(%q, %v, %q, %v) = %v, want %v", tt.typ, list, tt.country, tt.known, got, tt.want)
		}
	}
	if !geo.Allowed("whitelist", nil, "", false) || geo.Allowed("whitelist", nil, "DE", true) {
		t.Error("empty whitelist")
	}
}

func TestMkgeodb(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a command")
	}
	out := filepath.Join(t.TempDir(), "e2e.mmdb")
	cmd := exec.Command("go", "run", "./geotest/cmd/mkgeodb", out, "127.0.0.2/32=DE", "127.0.0.3/32=FR")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mkgeodb: %v\n%s", err, b)
	}
	db, err := geo.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if c, ok := db.Country(netip.MustParseAddr("127.0.0.3")); c != "FR" || !ok {
		t.Errorf("Country = %q, %v", c, ok)
	}
}

func BenchmarkDB_Country(b *testing.B) {
	path := filepath.Join(b.TempDir(), "country.mmdb")
	geotest.WriteDB(b, path, map[string]string{"192.0.2.0/24": "US", "198.51.100.0/24": "DE"})
	db, err := geo.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ip := netip.MustParseAddr("198.51.100.7")
	b.ReportAllocs()
	for b.Loop() {
		db.Country(ip)
	}
}
