package cloudfront_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"openfront/internal/api/cloudfront"
	"openfront/internal/apitest"
	"openfront/internal/control"
	"openfront/internal/fleet"
	"openfront/internal/store/etcdstore"
	"openfront/internal/store/etcdstore/etcdtest"
)

// cachePolicyBody is a CachePolicyConfig named name with comment.
func cachePolicyBody(name, comment string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<CachePolicyConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Comment>` + comment + `</Comment><Name>` + name + `</Name>` +
		`<DefaultTTL>3600</DefaultTTL><MaxTTL>86400</MaxTTL><MinTTL>1</MinTTL><ParametersInCacheKeyAndForwardedToOrigin>` +
		`<EnableAcceptEncodingGzip>true</EnableAcceptEncodingGzip><HeadersConfig><HeaderBehavior>none</HeaderBehavior></HeadersConfig>` +
		`<CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig><QueryStringsConfig><QueryStringBehavior>none</QueryStringBehavior></QueryStringsConfig>` +
		`</ParametersInCacheKeyAndForwardedToOrigin></CachePolicyConfig>`
}

var (
	idElement      = regexp.MustCompile(`<Id>([^<]+)</Id>`)
	commentElement = regexp.MustCompile(`<Comment>[^<]*</Comment>`)
)

// TestUpdate_twoNodesOnOneEtcd has two API nodes (a store, control and
// handler each) on one etcd update distributions and cache policies at the
// same time, each its own: every update answers 200. Each etcdstore commit
// compares one guard key, so a commit loses whenever the other node wrote
// first, and the store runs the Update's function again; handlers that
// read the request body inside it answered 400 MissingBody then.
func TestUpdate_twoNodesOnOneEtcd(t *testing.T) {
	endpoints := etcdtest.Start(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var nodes [2]*cloudfront.Handler
	for i := range nodes {
		st, err := etcdstore.Open(t.Context(), endpoints, etcdstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		ctl := control.New(st, fleet.NewLocal(0), control.Settings{AccountID: apitest.AccountID, DomainSuffix: apitest.DomainSuffix})
		if nodes[i], err = cloudfront.New(ctl, log); err != nil {
			t.Fatal(err)
		}
	}
	call := func(h http.Handler, method, path, body, etag string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/2020-05-31"+path, strings.NewReader(body))
		if etag != "" {
			req.Header.Set("If-Match", etag)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}

	// The resources are created first, one at a time, so that the
	// updates of both nodes start together (a create that loses backs off,
	// and a node that backed off may find the other one done).
	const workers, rounds = 8, 12
	type resources struct{ distPath, policyPath string }
	var own [workers]resources
	for k := range workers {
		h := nodes[k%len(nodes)]
		d := call(h, "POST", "/distribution", createBody(fmt.Sprintf("two-nodes-%d", k)), "")
		if d.Code != http.StatusCreated {
			t.Fatalf("CreateDistribution: %d %s", d.Code, d.Body)
		}
		p := call(h, "POST", "/cache-policy", cachePolicyBody(fmt.Sprintf("two-nodes-%d", k), "created"), "")
		if p.Code != http.StatusCreated {
			t.Fatalf("CreateCachePolicy: %d %s", p.Code, p.Body)
		}
		own[k] = resources{
			distPath:   "/distribution/" + idElement.FindStringSubmatch(d.Body.String())[1] + "/config",
			policyPath: "/cache-policy/" + idElement.FindStringSubmatch(p.Body.String())[1],
		}
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := map[string]int{}
	fail := func(what string, w *httptest.ResponseRecorder) {
		mu.Lock()
		defer mu.Unlock()
		if failures[what]++; failures[what] == 1 {
			t.Errorf("%s: %d %s", what, w.Code, w.Body)
		}
	}
	for k, r := range own {
		h := nodes[k%len(nodes)]
		wg.Go(func() {
			for i := range rounds {
				comment := fmt.Sprintf("<Comment>round %d</Comment>", i)
				got := call(h, "GET", r.distPath, "", "")
				put := call(h, "PUT", r.distPath, commentElement.ReplaceAllString(got.Body.String(), comment), got.Header().Get("ETag"))
				if put.Code != http.StatusOK {
					fail("UpdateDistribution", put)
				}
				got = call(h, "GET", r.policyPath+"/config", "", "")
				put = call(h, "PUT", r.policyPath, cachePolicyBody(fmt.Sprintf("two-nodes-%d", k), fmt.Sprint("round ", i)), got.Header().Get("ETag"))
				if put.Code != http.StatusOK {
					fail("UpdateCachePolicy", put)
				}
			}
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Errorf("failed calls of %d per operation: %v", workers*rounds, failures)
	}
}
