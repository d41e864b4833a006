package cloudfront_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"openfront/internal/apitest"
	"openfront/internal/model"
)

// crossVersionConfig is a 2020-05-31 DistributionConfig that a 2016-01-13
// client can also read and write back (legacy ForwardedValues, TrustedSigners),
// with members 2016-01-13 does not have: HttpVersion, IsIPV6Enabled and the
// origin's ConnectionAttempts/ConnectionTimeout.
const crossVersionConfig = `<?xml version="1.0" encoding="UTF-8"?>
<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
  <CallerReference>cross-1</CallerReference>
  <Aliases><Quantity>0</Quantity></Aliases>
  <DefaultRootObject></DefaultRootObject>
  <Origins><Quantity>1</Quantity><Items><Origin>
    <Id>web</Id><DomainName>origin.example.com</DomainName><OriginPath></OriginPath>
    <CustomHeaders><Quantity>0</Quantity></CustomHeaders>
    <CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOriginConfig>
    <ConnectionAttempts>2</ConnectionAttempts>
    <ConnectionTimeout>7</ConnectionTimeout>
  </Origin></Items></Origins>
  <DefaultCacheBehavior>
    <TargetOriginId>web</TargetOriginId>
    <TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>
    <ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>
    <ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies></ForwardedValues>
    <MinTTL>0</MinTTL>
  </DefaultCacheBehavior>
  <CacheBehaviors><Quantity>0</Quantity></CacheBehaviors>
  <Comment>created with 2020</Comment>
  <PriceClass>PriceClass_All</PriceClass>
  <Enabled>true</Enabled>
  <HttpVersion>http2and3</HttpVersion>
  <IsIPV6Enabled>true</IsIPV6Enabled>
</DistributionConfig>
`

// TestUpdateDistribution_crossVersion: a distribution created through
// 2020-05-31 and updated through 2016-01-13 keeps the members 2016-01-13
// lacks (OpenFront's choice: fields a version lacks keep their stored
// values across its updates).
func TestUpdateDistribution_crossVersion(t *testing.T) {
	s := apitest.NewServer(t)
	created := s.Call(t, "POST", "/2020-05-31/distribution", crossVersionConfig)
	if created.Status != http.StatusCreated {
		t.Fatalf("create: %s", created)
	}
	id := regexp.MustCompile(`<Id>(E[A-Z0-9]+)</Id>`).FindStringSubmatch(string(created.Body))[1]

	legacy := s.Call(t, "GET", "/2016-01-13/distribution/"+id+"/config", "")
	if legacy.Status != http.StatusOK {
		t.Fatalf("2016 get config: %s", legacy)
	}
	for _, absent := range []string{"HttpVersion", "IsIPV6Enabled", "ConnectionAttempts", "ConnectionTimeout"} {
		if strings.Contains(string(legacy.Body), "<"+absent+">") {
			t.Errorf("2016-01-13 GetDistributionConfig shows the 2020-only member %s", absent)
		}
	}
	body := strings.Replace(string(legacy.Body), "<Comment>created with 2020</Comment>", "<Comment>updated with 2016</Comment>", 1)
	if body == string(legacy.Body) {
		t.Fatalf("2016 config has no Comment to change:\n%s", legacy.Body)
	}
	updated := s.Call(t, "PUT", "/2016-01-13/distribution/"+id+"/config", body, "If-Match", legacy.Header.Get("ETag"))
	if updated.Status != http.StatusOK {
		t.Fatalf("2016 update: %s", updated)
	}
	if updated.Header.Get("ETag") == legacy.Header.Get("ETag") {
		t.Error("update kept the ETag")
	}

	current := s.Call(t, "GET", "/2020-05-31/distribution/"+id+"/config", "")
	if current.Status != http.StatusOK {
		t.Fatalf("2020 get config: %s", current)
	}
	if current.Header.Get("ETag") != updated.Header.Get("ETag") {
		t.Errorf("2020 GetDistributionConfig ETag %q, update returned %q", current.Header.Get("ETag"), updated.Header.Get("ETag"))
	}
	for _, want := range []string{
		"<Comment>updated with 2016</Comment>",
		"<HttpVersion>http2and3</HttpVersion>",
		"<IsIPV6Enabled>true</IsIPV6Enabled>",
		"<ConnectionAttempts>2</ConnectionAttempts>",
		"<ConnectionTimeout>7</ConnectionTimeout>",
	} {
		if !strings.Contains(string(current.Body), want) {
			t.Errorf("2020 GetDistributionConfig after a 2016 update lacks %s:\n%s", want, current.Body)
		}
	}
}

// TestGetDistribution_sameETagAsConfig: Get and GetConfig return the same
// ETag, in both versions, and reads never change it (the ETag is "the
// current version of the configuration", botocore's
// GetDistributionConfigResult; that Get returns the same value is
// OpenFront's choice).
func TestGetDistribution_sameETagAsConfig(t *testing.T) {
	s := apitest.NewServer(t)
	created := s.Call(t, "POST", "/2020-05-31/distribution", crossVersionConfig)
	etag := created.Header.Get("ETag")
	id := regexp.MustCompile(`<Id>(E[A-Z0-9]+)</Id>`).FindStringSubmatch(string(created.Body))[1]
	for _, path := range []string{
		"/2020-05-31/distribution/" + id, "/2020-05-31/distribution/" + id + "/config",
		"/2016-01-13/distribution/" + id, "/2016-01-13/distribution/" + id + "/config",
	} {
		if got := s.Call(t, "GET", path, "").Header.Get("ETag"); got != etag {
			t.Errorf("GET %s: ETag %q, want %q", path, got, etag)
		}
	}
}

// TestDeleteDistribution_throughAPI walks the documented procedure: disable
// with If-Match, wait until Deployed (an edge stand-in reports), delete
// with the latest ETag; 204, then 404.
func TestDeleteDistribution_throughAPI(t *testing.T) {
	s := apitest.NewServer(t)
	s.StartEdge(t, "edge-1")
	created := s.Call(t, "POST", "/2020-05-31/distribution", crossVersionConfig)
	id := regexp.MustCompile(`<Id>(E[A-Z0-9]+)</Id>`).FindStringSubmatch(string(created.Body))[1]
	if r := s.Call(t, "DELETE", "/2020-05-31/distribution/"+id, "", "If-Match", created.Header.Get("ETag")); r.Status != http.StatusConflict {
		t.Fatalf("delete while enabled: %s", r)
	}
	disabled := strings.Replace(crossVersionConfig, "<Enabled>true</Enabled>", "<Enabled>false</Enabled>", 1)
	u := s.Call(t, "PUT", "/2020-05-31/distribution/"+id+"/config", disabled, "If-Match", created.Header.Get("ETag"))
	if u.Status != http.StatusOK {
		t.Fatalf("disable: %s", u)
	}
	s.WaitApplied(t)
	g := s.Call(t, "GET", "/2020-05-31/distribution/"+id, "")
	if !strings.Contains(string(g.Body), "<Status>Deployed</Status>") {
		t.Fatalf("not Deployed after the edge applied the revision: %s", g)
	}
	if r := s.Call(t, "DELETE", "/2020-05-31/distribution/"+id, "", "If-Match", g.Header.Get("ETag")); r.Status != http.StatusNoContent || len(r.Body) != 0 {
		t.Fatalf("delete: %s", r)
	}
	if r := s.Call(t, "GET", "/2020-05-31/distribution/"+id, ""); r.Status != http.StatusNotFound {
		t.Fatalf("get after delete: %s", r)
	}
}

// FuzzCreateDistribution posts arbitrary bodies to CreateDistribution of
// either version: the answer is never 5xx, and a refused request leaves
// the store revision where it was.
func FuzzCreateDistribution(f *testing.F) {
	for _, b := range requestBodies(f, "CreateDistribution") {
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add([]byte(crossVersionConfig), false)
	f.Add([]byte(""), true)
	f.Add([]byte("<DistributionConfig><Origins><Quantity>-1</Quantity></Origins></DistributionConfig>"), false)
	s := apitest.NewServer(f)
	f.Fuzz(func(t *testing.T, body []byte, legacy bool) {
		version := "2020-05-31"
		if legacy {
			version = "2016-01-13"
		}
		before := s.Revision(t)
		r := s.Call(t, "POST", "/"+version+"/distribution", string(body))
		if r.Status >= 500 {
			t.Fatalf("status %d for body %q: %s", r.Status, body, r.Body)
		}
		if r.Status != http.StatusCreated {
			if after := s.Revision(t); after != before {
				t.Fatalf("refused with %d but the revision moved %d -> %d", r.Status, before, after)
			}
		}
	})
}

// TestHandler_requestIDs: every response carries the same id in both
// request-id headers, and a fresh one per request.
func TestHandler_requestIDs(t *testing.T) {
	s := apitest.NewServer(t)
	seen := map[string]bool{}
	for i := range 3 {
		r := s.Call(t, "GET", "/2020-05-31/distribution", "")
		id := r.Header.Get("X-Amz-Request-Id")
		if id == "" || r.Header.Get("X-Amzn-Requestid") != id || seen[id] {
			t.Fatalf("request %d: ids %q / %q", i, id, r.Header.Get("X-Amzn-Requestid"))
		}
		seen[id] = true
	}
}

// TestListDistributions_maxItemsLimit: ListDistributionsByWebACLId caps
// MaxItems at 100; ListDistributions echoes what was asked.
func TestListDistributions_maxItemsLimit(t *testing.T) {
	s := apitest.NewServer(t)
	for path, want := range map[string]string{
		"/2020-05-31/distribution?MaxItems=500":                 "<MaxItems>500</MaxItems>",
		"/2020-05-31/distributionsByWebACLId/null?MaxItems=500": "<MaxItems>100</MaxItems>",
	} {
		r := s.Call(t, "GET", path, "")
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), want) {
			t.Errorf("GET %s: %s, want %s", path, r, want)
		}
	}
}

// createBody is a minimal 2020-05-31 config with the caller reference.
func createBody(ref string) string {
	return strings.Replace(crossVersionConfig, "<CallerReference>cross-1</CallerReference>", "<CallerReference>"+ref+"</CallerReference>", 1)
}

// createDistributions stores n distributions directly through control
// (benchmark setup).
func createDistributions(tb testing.TB, s *apitest.Server, n int) {
	tb.Helper()
	for i := range n {
		cfg := model.Tree{
			"CallerReference": fmt.Sprintf("bulk-%d", i),
			"Origins": model.Tree{"Quantity": "1", "Items": []any{model.Tree{
				"Id": "web", "DomainName": "origin.example.com", "OriginPath": "",
				"CustomHeaders":      model.Tree{"Quantity": "0"},
				"CustomOriginConfig": model.Tree{"HTTPPort": "80", "HTTPSPort": "443", "OriginProtocolPolicy": "http-only"},
			}}},
			"DefaultCacheBehavior": model.Tree{
				"TargetOriginId": "web", "ViewerProtocolPolicy": "allow-all",
				"TrustedSigners":  model.Tree{"Enabled": "false", "Quantity": "0"},
				"ForwardedValues": model.Tree{"QueryString": "false", "Cookies": model.Tree{"Forward": "none"}},
				"MinTTL":          "0",
			},
			"CacheBehaviors": model.Tree{"Quantity": "0"},
			"Aliases":        model.Tree{"Quantity": "1", "Items": []any{fmt.Sprintf("www%d.example.com", i)}},
			"Comment":        fmt.Sprintf("distribution %d", i),
			"PriceClass":     "PriceClass_All",
			"Enabled":        "true",
		}
		if _, _, err := s.Control.CreateDistribution(tb.Context(), cfg, nil); err != nil {
			tb.Fatalf("create %d: %v", i, err)
		}
	}
}
