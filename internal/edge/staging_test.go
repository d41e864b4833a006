package edge

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"openfront/internal/accesslog"
	"openfront/internal/model"
	"openfront/internal/realtimelog"
	"openfront/internal/snapshot"
)

const stagingHost = "dstagingstage1.cloudfront.localhost"

// stagingPolicy is a policy record of the given traffic mode.
func stagingPolicy(id string, edit func(p *model.ContinuousDeploymentPolicy)) *model.ContinuousDeploymentPolicyRecord {
	p := model.ContinuousDeploymentPolicy{StagingDNSNames: []string{stagingHost}, Enabled: true,
		Type: model.TrafficSingleHeader, Header: "aws-cf-cd-staging", HeaderVal: "yes"}
	if edit != nil {
		edit(&p)
	}
	return &model.ContinuousDeploymentPolicyRecord{ID: id, Policy: p, SessionEpoch: 7}
}

// stagingSnapshot compiles a primary (testHost, alias www.example.com)
// naming policy, and its staging distribution (stagingHost); staging
// is the staging config.
func stagingSnapshot(t testing.TB, primary, staging model.Tree, policy *model.ContinuousDeploymentPolicyRecord) *snapshot.Snapshot {
	t.Helper()
	primary = model.Clone(primary)
	staging = model.Clone(staging)
	if policy != nil {
		primary["ContinuousDeploymentPolicyId"] = policy.ID
	}
	staging["Staging"] = "true"
	staging["Aliases"] = model.Wrapper[string](nil)
	var policies []*model.ContinuousDeploymentPolicyRecord
	if policy != nil {
		policies = append(policies, policy)
	}
	snap := snapshot.CompileWithPolicies(2, []*model.DistributionRecord{
		{ID: "E1TEST", DomainName: testHost, Config: primary},
		{ID: "E2STAGING", DomainName: stagingHost, Config: staging},
	}, policies)
	if snap.Distributions["E2STAGING"] == nil || snap.Distributions["E1TEST"] == nil {
		t.Fatal("distributions did not compile")
	}
	return snap
}

// TestPlan_routeStaging: the routing decision for each traffic mode, on the
// head of a request, as the plan takes it (ServeHTTP and ServeFast alike).
func TestPlan_routeStaging(t *testing.T) {
	o := newTestOrigin(t, okBody("x", ""))
	base := func() model.Tree { return distConfig(o, nil) }
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	start := now.Add(-10 * time.Minute).Unix()
	sticky := stagingPolicy("sticky", func(p *model.ContinuousDeploymentPolicy) {
		p.Type, p.Header, p.HeaderVal = model.TrafficSingleWeight, "", ""
		p.Weight, p.Sticky, p.IdleTTL, p.MaxTTL = 0.15, true, 300, 1800
	})
	header := stagingPolicy("header", nil)
	disabled := stagingPolicy("off", func(p *model.ContinuousDeploymentPolicy) { p.Enabled = false })
	upper := stagingPolicy("upper", func(p *model.ContinuousDeploymentPolicy) {
		p.StagingDNSNames = []string{strings.ToUpper(stagingHost) + "."}
	})
	stagingOff := func(c model.Tree) model.Tree { c = model.Clone(c); c["Enabled"] = "false"; return c }
	cases := []struct {
		name        string
		policy      *model.ContinuousDeploymentPolicyRecord
		staging     func(model.Tree) model.Tree
		host        string
		header      http.Header
		wantDist    string // "" a refusal
		wantSession string // the cookie's kind and start, "" none
		wantMaxAge  int64
	}{
		{"header: absent", header, nil, testHost, nil, "E1TEST", "", 0},
		{"header: present", header, nil, testHost, http.Header{"Aws-Cf-Cd-Staging": {"yes"}}, "E2STAGING", "", 0},
		{"header: on an alias", header, nil, "www.example.com", http.Header{"Aws-Cf-Cd-Staging": {"yes"}}, "E2STAGING", "", 0},
		{"header: other value", header, nil, testHost, http.Header{"Aws-Cf-Cd-Staging": {"YES"}}, "E1TEST", "", 0},
		{"header: value with a suffix", header, nil, testHost, http.Header{"Aws-Cf-Cd-Staging": {"yes2"}}, "E1TEST", "", 0},
		{"header: sent twice", header, nil, testHost, http.Header{"Aws-Cf-Cd-Staging": {"yes", "yes"}}, "E1TEST", "", 0},
		{"header: other name", header, nil, testHost, http.Header{"Aws-Cf-Cd-Other": {"yes"}}, "E1TEST", "", 0},
		{"header: staging disabled", header, stagingOff, testHost, http.Header{"Aws-Cf-Cd-Staging": {"yes"}}, "E1TEST", "", 0},
		{"policy disabled", disabled, nil, testHost, http.Header{"Aws-Cf-Cd-Staging": {"yes"}}, "E1TEST", "", 0},
		{"policy names the staging domain in capitals", upper, nil, testHost, http.Header{"Aws-Cf-Cd-Staging": {"yes"}}, "E2STAGING", "", 0},
		{"staging's own domain is not served", header, nil, stagingHost, http.Header{"Aws-Cf-Cd-Staging": {"yes"}}, "", "", 0},
		{"sticky: staging session continues", sticky, nil, testHost,
			http.Header{"Cookie": {fmt.Sprintf("a=b; aws-cf-cd-stickiness=s%d.7", start)}}, "E2STAGING", fmt.Sprintf("s%d", start), 300},
		{"sticky: primary session continues", sticky, nil, testHost,
			http.Header{"Cookie": {fmt.Sprintf("aws-cf-cd-stickiness=p%d.7", start)}}, "E1TEST", fmt.Sprintf("p%d", start), 300},
		{"sticky: a session of another epoch (policy or stickiness toggled) is reset", sticky, nil, testHost,
			http.Header{"Cookie": {fmt.Sprintf("aws-cf-cd-stickiness=s%d.6", start)}}, "?", fmt.Sprintf("?%d", now.Unix()), 300},
		{"sticky: a cookie without its epoch is malformed", sticky, nil, testHost,
			http.Header{"Cookie": {fmt.Sprintf("aws-cf-cd-stickiness=s%d", start)}}, "?", fmt.Sprintf("?%d", now.Unix()), 300},
		{"sticky: near MaximumTTL the cookie lives only until then", sticky, nil, testHost,
			http.Header{"Cookie": {fmt.Sprintf("aws-cf-cd-stickiness=s%d.7", now.Unix()-1700)}}, "E2STAGING", fmt.Sprintf("s%d", now.Unix()-1700), 100},
		{"sticky: past MaximumTTL a new session starts", sticky, nil, testHost,
			http.Header{"Cookie": {fmt.Sprintf("aws-cf-cd-stickiness=s%d.7", now.Unix()-1800)}}, "?", fmt.Sprintf("?%d", now.Unix()), 300},
		{"sticky: a start in the future is refused", sticky, nil, testHost,
			http.Header{"Cookie": {fmt.Sprintf("aws-cf-cd-stickiness=s%d.7", now.Unix()+60)}}, "?", fmt.Sprintf("?%d", now.Unix()), 300},
		{"sticky: malformed cookie", sticky, nil, testHost,
			http.Header{"Cookie": {"aws-cf-cd-stickiness=x123"}}, "?", fmt.Sprintf("?%d", now.Unix()), 300},
		{"sticky: huge start", sticky, nil, testHost,
			http.Header{"Cookie": {"aws-cf-cd-stickiness=s99999999999999999999999"}}, "?", fmt.Sprintf("?%d", now.Unix()), 300},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			staging := base()
			if c.staging != nil {
				staging = c.staging(staging)
			}
			snap := stagingSnapshot(t, base(), staging, c.policy)
			r, _ := http.NewRequest("GET", "http://"+c.host+"/a", nil)
			for k, v := range c.header {
				r.Header[k] = v
			}
			h := headOf(r)
			var p plan
			_, ref := planner{}.plan(&p, snap, &h, now, nil)
			if c.wantDist == "" {
				if ref == nil || ref.status != http.StatusForbidden {
					t.Fatalf("served by %v, want 403", p.dist)
				}
				return
			}
			if ref != nil {
				t.Fatalf("refused: %+v", ref)
			}
			if c.wantDist != "?" && p.dist.ID != c.wantDist {
				t.Errorf("served by %s, want %s", p.dist.ID, c.wantDist)
			}
			if !c.policy.Policy.Enabled {
				if p.primary != nil {
					t.Errorf("primary %v with a disabled policy, want none", p.primary.ID)
				}
			} else if p.primary == nil || p.primary.ID != "E1TEST" {
				t.Errorf("primary %v, want E1TEST", p.primary)
			}
			got := ""
			if p.session.set {
				kind := "p"
				if p.session.staging {
					kind = "s"
				}
				if (kind == "s") != (p.dist.ID == "E2STAGING") {
					t.Errorf("session %s but served by %s", kind, p.dist.ID)
				}
				got = fmt.Sprintf("%s%d", kind, p.session.start)
				if c.wantSession != "" && c.wantSession[0] == '?' {
					got = "?" + got[1:]
				}
				if p.session.epoch != 7 {
					t.Errorf("session epoch %d, want the policy's 7", p.session.epoch)
				}
				if p.session.maxAge != c.wantMaxAge {
					t.Errorf("Max-Age %d, want %d", p.session.maxAge, c.wantMaxAge)
				}
			}
			if got != c.wantSession {
				t.Errorf("session %q, want %q", got, c.wantSession)
			}
		})
	}
}

// weightSnapshot is base with a staging copy of itself behind a weight
// policy sending 0.1 of the requests (or, sticky, of the new sessions) to
// staging.
func weightSnapshot(t *testing.T, base model.Tree, sticky bool) *snapshot.Snapshot {
	return stagingSnapshot(t, base, base, stagingPolicy("w", func(p *model.ContinuousDeploymentPolicy) {
		p.Type, p.Header, p.HeaderVal = model.TrafficSingleWeight, "", ""
		p.Weight, p.Sticky, p.IdleTTL, p.MaxTTL = 0.1, sticky, 300, 300
	}))
}

// TestPlan_routeStagingWeights: weight mode sends about Weight of the
// requests (or of new sessions) to staging.
func TestPlan_routeStagingWeights(t *testing.T) {
	base := distConfig(newTestOrigin(t, okBody("x", "")), nil)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, sticky := range []bool{false, true} {
		snap := weightSnapshot(t, base, sticky)
		const n = 20000
		staged := 0
		for range n {
			h := requestHead{method: "GET", path: "/a", host: testHost, header: httpHeader{}, normal: true}
			var p plan
			if _, ref := (planner{}).plan(&p, snap, &h, now, nil); ref != nil {
				t.Fatal(ref)
			}
			if p.dist.ID == "E2STAGING" {
				staged++
			}
			if p.session.set != sticky {
				t.Fatalf("sticky %v: session set %v", sticky, p.session.set)
			}
		}
		if share := float64(staged) / n; share < 0.09 || share > 0.11 {
			t.Errorf("sticky %v: %.3f of requests went to staging, want about 0.10", sticky, share)
		}
	}
}

// TestPlan_routeStagingWeightDraw: the weight rule exactly, with the
// planner's draw fixed: a request (or a new session) goes to staging when
// the draw is under Weight, and only then.
func TestPlan_routeStagingWeightDraw(t *testing.T) {
	base := distConfig(newTestOrigin(t, okBody("x", "")), nil)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, sticky := range []bool{false, true} {
		snap := weightSnapshot(t, base, sticky)
		for _, tc := range []struct {
			draw    float64
			staging bool
		}{{0, true}, {0.0999, true}, {0.1, false}, {0.5, false}, {0.99999, false}} {
			h := requestHead{method: "GET", path: "/a", host: testHost, header: httpHeader{}, normal: true}
			var p plan
			pl := planner{draw: func() float64 { return tc.draw }}
			if _, ref := pl.plan(&p, snap, &h, now, nil); ref != nil {
				t.Fatal(ref)
			}
			if got := p.dist.ID == "E2STAGING"; got != tc.staging {
				t.Errorf("sticky %v, draw %v: staging %v, want %v", sticky, tc.draw, got, tc.staging)
			}
			if sticky && (!p.session.set || p.session.staging != tc.staging) {
				t.Errorf("sticky, draw %v: session %+v, want a new one with staging %v", tc.draw, p.session, tc.staging)
			}
		}
	}
}

// TestServer_stagingOverHTTP: over real HTTP, the staging distribution's
// origin answers the requests the policy routes to it, from its own cache
// (a primary hit is never served to a staging request and the other way
// round), and a weight policy's session cookie is set and honoured.
func TestServer_stagingOverHTTP(t *testing.T) {
	prod := newTestOrigin(t, okBody("production", "max-age=600"))
	next := newTestOrigin(t, okBody("staging", "max-age=600"))
	primaryCfg, stagingCfg := distConfig(prod, nil), distConfig(next, nil)
	f := newFastFronts(t, primaryCfg)
	f.te.Apply(stagingSnapshot(t, primaryCfg, stagingCfg, stagingPolicy("header", nil)), nil)

	get := func(addr string, extra string) (*http.Response, string) {
		resp := roundTrip(t, addr, "GET /page HTTP/1.1\r\nHost: "+testHost+"\r\n"+extra+"\r\n")
		b, _ := io.ReadAll(resp.Body)
		f.settle(t)
		return resp, string(b)
	}
	// Fill the primary's cache first: the staging request must not hit it.
	for _, addr := range []string{f.slow, f.fast} {
		if _, body := get(addr, ""); body != "production" {
			t.Fatalf("no header: %q, want production", body)
		}
		if _, body := get(addr, "aws-cf-cd-staging: yes\r\n"); body != "staging" {
			t.Fatalf("with the header: %q, want staging", body)
		}
	}
	if prod.count("/page") != 1 || next.count("/page") != 1 {
		t.Errorf("origin fetches: production %d, staging %d; want one each (separate caches, then hits)", prod.count("/page"), next.count("/page"))
	}
	// Header mode keeps the fast path: both answers are fresh memory hits.
	f.compare(t, "header hit", "GET /page HTTP/1.1\r\nHost: "+testHost+"\r\naws-cf-cd-staging: yes\r\n\r\n", answered)
	f.compare(t, "primary hit", "GET /page HTTP/1.1\r\nHost: "+testHost+"\r\n\r\n", answered)
	// The staging distribution's own domain name is not served.
	resp := roundTrip(t, f.slow, "GET /page HTTP/1.1\r\nHost: "+stagingHost+"\r\naws-cf-cd-staging: yes\r\n\r\n")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("staging domain: %d, want 403", resp.StatusCode)
	}

	// Weight mode with stickiness: the fast path declines (the cookie is
	// written by ServeHTTP), and a session stays on its side.
	f.te.Apply(stagingSnapshot(t, primaryCfg, stagingCfg, stagingPolicy("sticky", func(p *model.ContinuousDeploymentPolicy) {
		p.Type, p.Header, p.HeaderVal = model.TrafficSingleWeight, "", ""
		p.Weight, p.Sticky, p.IdleTTL, p.MaxTTL = 0.15, true, 600, 3600
	})), nil)
	seen := map[string]int{}
	for range 200 {
		before := f.fs.Stats()
		resp, body := get(f.fast, "")
		if got := routeOf(before, f.fs.Stats()); got != inLoop {
			t.Fatalf("sticky request: %s, want %s", got, inLoop)
		}
		cookie := resp.Header.Get("Set-Cookie")
		if !strings.HasPrefix(cookie, stickinessCookie+"=") || !strings.Contains(cookie, "Max-Age=600") {
			t.Fatalf("Set-Cookie %q", cookie)
		}
		kind := strings.TrimPrefix(cookie, stickinessCookie+"=")[:1]
		if (kind == "s") != (body == "staging") {
			t.Fatalf("cookie %q but body %q", cookie, body)
		}
		seen[body]++
		value, _, _ := strings.Cut(cookie, ";")
		for range 3 {
			again, body2 := get(f.fast, "Cookie: "+value+"\r\n")
			if body2 != body || again.Header.Get("Set-Cookie") == "" {
				t.Fatalf("session %q: %q then %q (Set-Cookie %q)", value, body, body2, again.Header.Get("Set-Cookie"))
			}
		}
	}
	if seen["staging"] < 10 || seen["staging"] > 55 {
		t.Errorf("new sessions: %v, want about 15%% staging", seen)
	}
}

func okBody(body, cacheControl string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", cacheControl)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, body)
	}
}

// FuzzRouteStaging: whatever Cookie and routing header a viewer sends,
// routing does not panic, serves the primary or its staging distribution,
// and a session cookie it sets agrees with the choice, starts no later
// than now and lives at most IdleTTL.
func FuzzRouteStaging(f *testing.F) {
	f.Add("aws-cf-cd-stickiness=s1767225000.7", "yes")
	f.Add("aws-cf-cd-stickiness=p1767225000.-1", "yes")
	f.Add("aws-cf-cd-stickiness=p0; aws-cf-cd-stickiness=s1", "")
	f.Add("aws-cf-cd-stickiness=s-5", "yes\x00")
	f.Add("aws-cf-cd-stickiness=s99999999999999999999", "YES")
	f.Add("=;;=aws-cf-cd-stickiness", " yes")
	stub := httptest.NewServer(http.NotFoundHandler()) // only its port is read
	f.Cleanup(stub.Close)
	cfg := distConfig(&testOrigin{Server: stub}, nil)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	snaps := []*snapshot.Snapshot{
		stagingSnapshot(f, cfg, cfg, stagingPolicy("h", nil)),
		stagingSnapshot(f, cfg, cfg, stagingPolicy("w", func(p *model.ContinuousDeploymentPolicy) {
			p.Type, p.Header, p.HeaderVal = model.TrafficSingleWeight, "", ""
			p.Weight, p.Sticky, p.IdleTTL, p.MaxTTL = 0.15, true, 300, 900
		})),
	}
	f.Fuzz(func(t *testing.T, cookie, value string) {
		for _, snap := range snaps {
			h := requestHead{method: "GET", path: "/a", host: testHost, normal: true,
				header: httpHeader{"Cookie": {cookie}, "Aws-Cf-Cd-Staging": {value}}}
			var p plan
			if _, ref := (planner{}).plan(&p, snap, &h, now, nil); ref != nil {
				t.Fatalf("refused: %+v", ref)
			}
			if p.dist.ID != "E1TEST" && p.dist.ID != "E2STAGING" {
				t.Fatalf("served by %s", p.dist.ID)
			}
			if s := p.session; s.set {
				if s.staging != (p.dist.ID == "E2STAGING") || s.start > now.Unix() || s.maxAge <= 0 || s.maxAge > 300 {
					t.Fatalf("session %+v served by %s", s, p.dist.ID)
				}
			} else if p.dist.ID == "E2STAGING" && value != "yes" {
				t.Fatalf("header %q routed to staging", value)
			}
		}
	})
}

// bucketLog keeps, per bucket, the keys an access-log writer delivers.
type bucketLog struct {
	mu   sync.Mutex
	keys map[string][]string
}

func (u *bucketLog) Upload(_ context.Context, bucket, key string, _ []byte) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.keys[bucket] = append(u.keys[bucket], key)
	return nil
}

// TestServer_stagingLogs: a request the staging distribution serves is
// logged to the staging distribution's access-log destination (file named
// with its id), and its real-time record's primary-distribution-id names
// the primary ("Real-time log configuration fields").
func TestServer_stagingLogs(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	withLog := func(bucket string) model.Tree {
		return distConfig(o, func(c model.Tree) {
			c["Logging"] = model.Tree{"Enabled": "true", "IncludeCookies": "false", "Bucket": bucket + ".s3.amazonaws.com", "Prefix": ""}
		})
	}
	te := newTestEdge(t, withLog("prod"))
	up := &bucketLog{keys: map[string][]string{}}
	w := accesslog.NewWriter(accesslog.Options{Uploader: up, MaxRecords: 1, FlushInterval: time.Millisecond})
	t.Cleanup(func() { w.Close(context.Background()) })
	rt := &recordingPutter{}
	rtl := realtimelog.New(realtimelog.Options{Putter: rt, FlushInterval: time.Hour})
	opts := te.opts
	opts.AccessLog, opts.RealtimeLog = w, rtl
	te.Server = New(opts)
	snap := stagingSnapshot(t, withLog("prod"), withLog("staging"), stagingPolicy("h", nil))
	for _, d := range snap.Distributions {
		d.RealtimeLogs = true
		d.Match("/a").RealtimeLog = &model.RealtimeLogConfigRecord{Name: "rt", SamplingRate: 100,
			Fields:    []string{"primary-distribution-id", "primary-distribution-dns-name", "cs-uri-stem"},
			EndPoints: []model.KinesisEndPoint{{StreamType: "Kinesis", StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/s"}}}
	}
	te.Apply(snap, nil)
	te.get(t, "/a", http.Header{"Aws-Cf-Cd-Staging": {"yes"}})
	te.get(t, "/a", nil)
	if err := rtl.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := "E1TEST\t" + testHost + "\t/a\n"
	if len(rt.records) != 2 || rt.records[0] != want || rt.records[1] != want {
		t.Errorf("real-time records %q, want twice %q", rt.records, want)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		up.mu.Lock()
		n := len(up.keys["staging.s3.amazonaws.com"]) + len(up.keys["prod.s3.amazonaws.com"])
		up.mu.Unlock()
		if n >= 2 {
			break
		}
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	staged, prod := up.keys["staging.s3.amazonaws.com"], up.keys["prod.s3.amazonaws.com"]
	if len(staged) != 1 || !strings.HasPrefix(staged[0], "E2STAGING.") || len(prod) != 1 || !strings.HasPrefix(prod[0], "E1TEST.") {
		t.Errorf("access logs: staging bucket %q, primary bucket %q", staged, prod)
	}
}

// TestServer_stickinessCookieIsTheEdges: the session cookie is neither
// forwarded to the origin nor part of the cache key, even when the
// behaviour forwards all cookies (as signed cookies are not).
func TestServer_stickinessCookieIsTheEdges(t *testing.T) {
	o := newTestOrigin(t, okHandler("max-age=60"))
	cfg := distConfig(o, func(c model.Tree) {
		model.Sub(c, "DefaultCacheBehavior", "ForwardedValues", "Cookies")["Forward"] = "all"
	})
	te := newTestEdge(t, cfg)
	te.Apply(stagingSnapshot(t, cfg, cfg, stagingPolicy("w", func(p *model.ContinuousDeploymentPolicy) {
		p.Type, p.Header, p.HeaderVal = model.TrafficSingleWeight, "", ""
		p.Weight, p.Sticky, p.IdleTTL, p.MaxTTL = 0.15, true, 300, 600
	})), nil)
	start := te.now.Load().Unix()
	for i := range 3 {
		w := te.get(t, "/c", http.Header{"Cookie": {fmt.Sprintf("a=1; %s=p%d.7", stickinessCookie, start-int64(i))}})
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Set-Cookie"), stickinessCookie+"=p") {
			t.Fatalf("request %d: %d, Set-Cookie %q", i, w.Code, w.Header().Get("Set-Cookie"))
		}
	}
	if got := o.lastHeader().Get("Cookie"); got != "a=1" {
		t.Errorf("origin got Cookie %q, want a=1", got)
	}
	if n := o.count("/c"); n != 1 {
		t.Errorf("%d origin fetches for one cookie a=1 and three sessions, want 1 (the session cookie is not keyed)", n)
	}
}
