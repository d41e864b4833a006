package cfheaders

import (
	"crypto/tls"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"openfront/internal/geo"
	"openfront/internal/geo/geotest"
)

func TestIsGenerated(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"Cloudfront-Viewer-Country", true},
		{"CloudFront-Viewer-Country", true},
		{"cloudfront-viewer-country", true},
		{"CLOUDFRONT-VIEWER-COUNTRY", true},
		{"CloudFront_Viewer_Country", true}, // CGI gateways fold '_' and '-'
		{"cloudfront-viewer_address", true},
		{"CloudFront-Viewer-Some-Future-Header", true},
		{"CloudFront-Forwarded-Proto", true},
		{"cloudfront_forwarded_proto", true},
		{"CloudFront-Is-Mobile-Viewer", true},
		{"CloudFront-Is-IOS-Viewer", true},
		{"Cloudfront-Is-Smarttv-Viewer", true},
		{"CloudFront-Is-Anything-Viewer", true},
		{"CloudFront-Viewer-", false},
		{"CloudFront-Is--Viewer", false},
		{"CloudFront-Is-Viewer", false},
		{"CloudFront-", false},
		{"CloudFront", false},
		{"CloudFront-Policy", false}, // signed-cookie names are not headers the edge makes
		{"CloudFront-Key-Pair-Id", false},
		{"CloudFront-Forwarded-Proto-X", false},
		{"X-CloudFront-Viewer-Country", false},
		{"Cloudfront-Viewer", false},
		{"", false},
		{"Host", false},
	}
	for _, tc := range tests {
		if got := IsGenerated(tc.name); got != tc.want {
			t.Errorf("IsGenerated(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// isGeneratedReference is IsGenerated written the obvious, allocating way.
func isGeneratedReference(name string) bool {
	n := strings.ReplaceAll(strings.ToLower(name), "_", "-")
	rest, ok := strings.CutPrefix(n, "cloudfront-")
	if !ok {
		return false
	}
	if v, ok := strings.CutPrefix(rest, "viewer-"); ok {
		return v != ""
	}
	if rest == "forwarded-proto" {
		return true
	}
	if mid, ok := strings.CutPrefix(rest, "is-"); ok {
		mid, ok = strings.CutSuffix(mid, "-viewer")
		return ok && mid != ""
	}
	return false
}

func FuzzIsGenerated(f *testing.F) {
	for _, s := range []string{"CloudFront-Viewer-Country", "cloudfront_is_x_viewer", "CloudFront-Is--Viewer",
		"CloudFront-Forwarded-Proto", "CloudFront-Is-Viewer", "CLOUDFRONT-VIEWER-", "Cloudfront-İs-Mobile-Viewer"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		// ToLower maps some non-ASCII letters to ASCII ones (K, İ); the
		// edge compares ASCII only, as header names are tokens.
		for i := 0; i < len(name); i++ {
			if name[i] >= 0x80 {
				return
			}
		}
		if got, want := IsGenerated(name), isGeneratedReference(name); got != want {
			t.Fatalf("IsGenerated(%q) = %v, reference says %v", name, got, want)
		}
	})
}

func TestDetectDevice(t *testing.T) {
	tests := []struct {
		name, ua string
		want     Device
	}{
		{"desktop Chrome", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			Device{Desktop: true}},
		{"desktop Safari (and iPadOS default)", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
			Device{Desktop: true}},
		{"IE on a touch laptop", "Mozilla/5.0 (Windows NT 6.3; Trident/7.0; Touch; Tablet PC 2.0; rv:11.0) like Gecko",
			Device{Desktop: true}},
		{"curl", "curl/8.5.0", Device{Desktop: true}},
		{"no User-Agent", "", Device{Desktop: true}},
		{"iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
			Device{Mobile: true, IOS: true}},
		{"iPad that says so: tablet and mobile", "Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
			Device{Mobile: true, Tablet: true, IOS: true}},
		{"Android phone", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
			Device{Mobile: true, Android: true}},
		{"Android tablet", "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			Device{Mobile: true, Tablet: true, Android: true}},
		{"Kindle Fire", "Mozilla/5.0 (Linux; U; Android 4.0.3; en-us; KFTT Build/IML74K) AppleWebKit/537.36 (KHTML, like Gecko) Silk/3.68 like Chrome/39.0.2171.93 Safari/537.36",
			Device{Mobile: true, Tablet: true, Android: true}},
		{"Samsung smart TV", "Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) 76.0.3809.146/6.0 TV Safari/537.36",
			Device{SmartTV: true}},
		{"Fire TV (Android based)", "Mozilla/5.0 (Linux; Android 9; AFTMM Build/PS7233) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/98.0.4758.101 Mobile Safari/537.36",
			Device{SmartTV: true, Android: true}},
		{"Roku", "Roku/DVP-9.10 (519.10E04111A)", Device{SmartTV: true}},
		{"LG webOS TV", "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.79 Safari/537.36 WebAppManager",
			Device{SmartTV: true}},
		{"Windows Phone", "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.14977",
			Device{Mobile: true, Android: true}},
		{"Opera Mini", "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25 Version/10.54",
			Device{Mobile: true}},
		{"case does not matter", "MOZILLA/5.0 (IPHONE; CPU IPHONE OS 17_1 LIKE MAC OS X) MOBILE/15E148", Device{Mobile: true, IOS: true}},
	}
	for _, tc := range tests {
		if got := DetectDevice(tc.ua); got != tc.want {
			t.Errorf("%s: DetectDevice = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func FuzzDetectDevice(f *testing.F) {
	for _, s := range []string{"", "Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) Mobile/15E148", "Android", "SmartTV Android Mobile",
		"Tablet PC", "tablet", "\xff\xfeiphone"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		d := DetectDevice(ua)
		if d.Desktop == (d.Mobile || d.Tablet || d.SmartTV) {
			t.Fatalf("%q: desktop must be exactly 'none of mobile, tablet, smart TV': %+v", ua, d)
		}
		if d.SmartTV && (d.Mobile || d.Tablet) {
			t.Fatalf("%q: a smart TV is not a handheld: %+v", ua, d)
		}
		if d.IOS && !d.Mobile && !d.Tablet && !d.SmartTV {
			t.Fatalf("%q: an iOS device is mobile or a tablet: %+v", ua, d)
		}
		if d != DetectDevice(strings.ToUpper(ua)) && isASCII(ua) {
			t.Fatalf("%q: case changes the answer", ua)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestValues(t *testing.T) {
	dir := t.TempDir()
	cityDB := filepath.Join(dir, "city.mmdb")
	if err := geotest.WriteRecords(cityDB, map[string]geotest.Record{
		"127.0.0.2/32": {Country: "us", CountryName: "United States", Region: "WA", RegionName: "Washington", City: "Seattle",
			PostalCode: "98101", TimeZone: "America/Los_Angeles", Latitude: 47.6062, Longitude: -122.3321, MetroCode: 819, ASN: 16509},
		"127.0.0.3/32": {Country: "DE", CountryName: "Germany", City: "Düsseldorf"},
		"::1/128":      {Country: "FR"},
	}); err != nil {
		t.Fatal(err)
	}
	db, err := geo.Open(cityDB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	countryDB := filepath.Join(dir, "country.mmdb")
	geotest.WriteDB(t, countryDB, map[string]string{"127.0.0.2/32": "US"})
	cdb, err := geo.Open(countryDB)
	if err != nil {
		t.Fatal(err)
	}
	defer cdb.Close()

	seattle := &Viewer{Addr: netip.MustParseAddrPort("127.0.0.2:46532"), ProtoMajor: 1, ProtoMinor: 1, HeaderCount: 4, Geo: db,
		UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Mobile/15E148"}
	tlsViewer := &Viewer{Addr: netip.MustParseAddrPort("[::1]:443"), HTTPS: true, ProtoMajor: 2, HeaderCount: -1, Geo: db,
		TLS: &tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256}}
	tls12 := &Viewer{HTTPS: true, TLS: &tls.ConnectionState{Version: tls.VersionTLS12, CipherSuite: tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, DidResume: true}}
	tests := []struct {
		viewer *Viewer
		name   string
		want   string // "-": not generated
	}{
		{seattle, ForwardedProto, "http"},
		{seattle, ViewerHTTPVersion, "1.1"},
		{seattle, ViewerAddress, "127.0.0.2:46532"},
		{seattle, ViewerHeaderCount, "4"},
		{seattle, ViewerCountry, "US"},
		{seattle, ViewerCountryName, "United States"},
		{seattle, ViewerRegion, "WA"},
		{seattle, ViewerRegionName, "Washington"},
		{seattle, ViewerCity, "Seattle"},
		{seattle, ViewerPostalCode, "98101"},
		{seattle, ViewerTimeZone, "America/Los_Angeles"},
		{seattle, ViewerLatitude, "47.60620"},
		{seattle, ViewerLongitude, "-122.33210"},
		{seattle, ViewerMetroCode, "819"},
		{seattle, ViewerASN, "16509"},
		{seattle, IsMobileViewer, "true"},
		{seattle, IsIOSViewer, "true"},
		{seattle, IsDesktopViewer, "false"},
		{seattle, IsTabletViewer, "false"},
		{seattle, ViewerTLS, "-"},
		{seattle, ViewerHeaderOrder, "-"},
		{seattle, ViewerJA3, "-"},
		{seattle, ViewerJA4, "-"},
		{seattle, "Cloudfront-Viewer-Unknown", "-"},
		{&Viewer{Addr: netip.MustParseAddrPort("127.0.0.3:1"), Geo: db}, ViewerCity, "D%C3%BCsseldorf"},
		{&Viewer{Addr: netip.MustParseAddrPort("127.0.0.3:1"), Geo: db}, ViewerRegion, "-"},
		{&Viewer{Addr: netip.MustParseAddrPort("127.0.0.3:1"), Geo: db}, ViewerLatitude, "-"},
		{&Viewer{Addr: netip.MustParseAddrPort("127.0.0.9:1"), Geo: db}, ViewerCountry, "-"}, // not in the database
		{&Viewer{Addr: netip.MustParseAddrPort("127.0.0.2:1"), Geo: cdb}, ViewerCountry, "US"},
		{&Viewer{Addr: netip.MustParseAddrPort("127.0.0.2:1"), Geo: cdb}, ViewerCity, "-"}, // a country database has no cities
		{&Viewer{Addr: netip.MustParseAddrPort("127.0.0.2:1")}, ViewerCountry, "-"},        // no database
		{&Viewer{Addr: netip.MustParseAddrPort("[::ffff:127.0.0.2]:8")}, ViewerAddress, "127.0.0.2:8"},
		{&Viewer{}, ViewerAddress, "-"},
		{&Viewer{}, ViewerHTTPVersion, "-"},
		{&Viewer{}, IsDesktopViewer, "true"},
		{tlsViewer, ForwardedProto, "https"},
		{tlsViewer, ViewerHTTPVersion, "2.0"},
		{tlsViewer, ViewerAddress, "::1:443"},
		{tlsViewer, ViewerCountry, "FR"},
		{tlsViewer, ViewerHeaderCount, "-"},
		{tlsViewer, ViewerTLS, "TLSv1.3:TLS_AES_128_GCM_SHA256:fullHandshake"},
		{tls12, ViewerTLS, "TLSv1.2:ECDHE-RSA-AES128-GCM-SHA256:sessionResumed"},
	}
	for _, tc := range tests {
		got, ok := NewValues(tc.viewer).Get(tc.name)
		if !ok {
			got = "-"
		}
		if got != tc.want {
			t.Errorf("%s for %+v = %q, want %q", tc.name, tc.viewer.Addr, got, tc.want)
		}
	}
}

func TestPercentEncode(t *testing.T) {
	for in, want := range map[string]string{
		"Seattle": "Seattle", "São Paulo": "S%C3%A3o Paulo", "a\r\nb": "a%0D%0Ab", "100%": "100%25", "": "",
	} {
		if got := percentEncode(in); got != want {
			t.Errorf("percentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}
