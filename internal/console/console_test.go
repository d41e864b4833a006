package console_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"openfront/internal/cache"
	"openfront/internal/console"
	"openfront/internal/control"
	"openfront/internal/fleet"
	"openfront/internal/model"
	"openfront/internal/stats"
	"openfront/internal/store/boltstore"
)

const (
	keyID  = "AKIDCONSOLETEST00001"
	secret = "console/Secret+Key0123456789abcdefghijkl"
)

// env is a console over a real control (bbolt store in a temp dir) served
// on loopback, with a clock the test moves.
type env struct {
	t       testing.TB
	ctl     *control.Control
	traffic *stats.Recorder
	srv     *httptest.Server

	mu  sync.Mutex
	now time.Time
}

// fakeCache is a node's cache contents.
type fakeCache struct{ refs []cache.Ref }

func (f *fakeCache) Objects(distID string) []cache.Ref {
	var out []cache.Ref
	for _, r := range f.refs {
		if r.DistID == distID {
			out = append(out, r)
		}
	}
	return out
}

func newEnv(t testing.TB) *env { return newEnvCache(t, nil) }

func newEnvCache(t testing.TB, objects *fakeCache) *env {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "openfront.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, traffic: stats.New(time.Hour), now: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	e.ctl = control.New(st, fleet.NewLocal(0), control.Settings{AccountID: "123456789012", DomainSuffix: "cloudfront.localhost"})
	opts := console.Options{
		Control: e.ctl, Traffic: e.traffic, Node: "node-a", SessionTTL: time.Hour,
		Credentials: func(id string) (string, bool) { return secret, id == keyID },
		Now:         e.clock,
	}
	if objects != nil {
		opts.Cache = objects
	}
	c := console.New(opts)
	e.srv = httptest.NewServer(c)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) clock() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }

func (e *env) advance(d time.Duration) { e.mu.Lock(); e.now = e.now.Add(d); e.mu.Unlock() }

// client is a browser: a cookie jar, redirects not followed.
func (e *env) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *env) createDistribution(ref, comment string) *control.Distribution {
	e.t.Helper()
	cfg := model.Tree{
		"CallerReference": ref, "Comment": comment, "Enabled": "true",
		"Origins": model.Wrapper([]any{model.Tree{
			"Id": "web", "DomainName": "origin.example", "OriginPath": "",
			"CustomOriginConfig": model.Tree{"HTTPPort": "80", "HTTPSPort": "443", "OriginProtocolPolicy": "http-only"},
		}}),
		"DefaultCacheBehavior": model.Tree{
			"TargetOriginId": "web", "ViewerProtocolPolicy": "allow-all",
			"CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
		},
	}
	d, _, err := e.ctl.CreateDistribution(context.Background(), cfg, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

type response struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(c *http.Client, method, path string, form url.Values, header map[string]string) response {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func csrfOf(t testing.TB, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in %s", page)
	}
	return m[1]
}

// login logs the client in through the form and returns the first page's
// CSRF token.
func (e *env) login(c *http.Client) string {
	e.t.Helper()
	form := e.do(c, "GET", "/console/login", nil, nil)
	r := e.do(c, "POST", "/console/login", url.Values{"csrf_token": {csrfOf(e.t, form.body)}, "access_key_id": {keyID}, "secret_access_key": {secret}}, nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/console/" {
		e.t.Fatalf("login: %d %v %s", r.status, r.header, r.body)
	}
	home := e.do(c, "GET", "/console/", nil, nil)
	if home.status != http.StatusOK {
		e.t.Fatalf("after login: %d %s", home.status, home.body)
	}
	return csrfOf(e.t, home.body)
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	d := e.createDistribution("ref-1", "my first site")
	c := e.client()

	r := e.do(c, "GET", "/console/", nil, nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/console/login" {
		t.Fatalf("logged out: %d %v", r.status, r.header)
	}
	form := e.do(c, "GET", "/console/login", nil, nil)
	if !strings.Contains(form.body, `method="post"`) || !strings.Contains(form.body, `type="password"`) {
		t.Fatalf("login form: %s", form.body)
	}
	token := csrfOf(t, form.body)

	// Wrong secret, unknown key id: refused, no session.
	for _, pair := range [][2]string{{keyID, secret + "x"}, {keyID, ""}, {"AKIDOTHER", secret}, {"", ""}} {
		r = e.do(c, "POST", "/console/login", url.Values{"csrf_token": {token}, "access_key_id": {pair[0]}, "secret_access_key": {pair[1]}}, nil)
		if r.status != http.StatusUnauthorized || strings.Contains(r.header.Get("Set-Cookie"), "openfront_console=") {
			t.Errorf("login with %q: %d %v", pair, r.status, r.header)
		}
		token = csrfOf(t, r.body) // each form has a new token
	}
	r = e.do(c, "POST", "/console/login", url.Values{"csrf_token": {token}, "access_key_id": {keyID}, "secret_access_key": {secret}}, nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	var session *http.Cookie
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == "openfront_console" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/console/" || len(session.Value) < 40 {
		t.Fatalf("session cookie: %+v", session)
	}
	if strings.Contains(r.header.Get("Location"), secret) || strings.Contains(r.header.Get("Location"), keyID) {
		t.Errorf("credentials in the redirect: %s", r.header.Get("Location"))
	}
	home := e.do(c, "GET", "/console/", nil, nil)
	if home.status != http.StatusOK || !strings.Contains(home.body, d.ID) || !strings.Contains(home.body, "my first site") || !strings.Contains(home.body, d.DomainName) {
		t.Fatalf("distributions: %d %s", home.status, home.body)
	}
	if csp := home.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || home.header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: %v", home.header)
	}

	// Logging out ends the session on the server, not only in the browser.
	old := session.Value
	r = e.do(c, "POST", "/console/logout", url.Values{"csrf_token": {csrfOf(t, home.body)}}, nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	r = e.do(e.client(), "GET", "/console/distributions.json", nil, map[string]string{"Cookie": "openfront_console=" + old})
	if r.status != http.StatusSeeOther || strings.Contains(r.body, d.ID) {
		t.Errorf("the old session after logout: %d %s", r.status, r.body)
	}
}

// Secrets in a URL's query never log anyone in, and the login form posts.
func TestLogin_notFromTheURL(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	q := "?access_key_id=" + keyID + "&secret_access_key=" + url.QueryEscape(secret)
	e.do(c, "GET", "/console/login"+q, nil, nil)
	r := e.do(c, "GET", "/console/"+q, nil, nil)
	if r.status != http.StatusSeeOther {
		t.Errorf("query credentials: %d", r.status)
	}
	// A POST with the credentials in the query string and a valid form token.
	form := e.do(c, "GET", "/console/login", nil, nil)
	r = e.do(c, "POST", "/console/login"+q, url.Values{"csrf_token": {csrfOf(t, form.body)}}, nil)
	if r.status != http.StatusUnauthorized {
		t.Errorf("query credentials on the POST: %d", r.status)
	}
}

// The login form is CSRF-protected too (login CSRF: another site logging a
// browser in with the attacker's keys).
func TestLogin_CSRF(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	creds := url.Values{"access_key_id": {keyID}, "secret_access_key": {secret}}
	r := e.do(c, "POST", "/console/login", creds, nil) // no form cookie, no token
	if r.status != http.StatusForbidden {
		t.Errorf("no token: %d", r.status)
	}
	e.do(c, "GET", "/console/login", nil, nil) // sets the form cookie
	creds.Set("csrf_token", "forged")
	if r = e.do(c, "POST", "/console/login", creds, nil); r.status != http.StatusForbidden {
		t.Errorf("wrong token: %d", r.status)
	}
	form := e.do(c, "GET", "/console/login", nil, nil)
	creds.Set("csrf_token", csrfOf(t, form.body))
	if r = e.do(c, "POST", "/console/login", creds, map[string]string{"Origin": "http://evil.example"}); r.status != http.StatusForbidden {
		t.Errorf("cross-origin: %d", r.status)
	}
}

func TestInvalidation_CSRF(t *testing.T) {
	e := newEnv(t)
	d := e.createDistribution("ref-1", "")
	c := e.client()
	token := e.login(c)
	path := "/console/distributions/" + d.ID + "/invalidations"
	cases := []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"no token", url.Values{"paths": {"/a"}}, nil},
		{"wrong token", url.Values{"paths": {"/a"}, "csrf_token": {token + "x"}}, nil},
		{"token in the query only", url.Values{"paths": {"/a"}}, nil},
		{"cross-site origin", url.Values{"paths": {"/a"}, "csrf_token": {token}}, map[string]string{"Origin": "http://evil.example"}},
		{"opaque origin", url.Values{"paths": {"/a"}, "csrf_token": {token}}, map[string]string{"Origin": "null"}},
		{"cross-site fetch", url.Values{"paths": {"/a"}, "csrf_token": {token}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
	}
	for _, tc := range cases {
		p := path
		if tc.name == "token in the query only" {
			p += "?csrf_token=" + token
		}
		if r := e.do(c, "POST", p, tc.form, tc.header); r.status != http.StatusForbidden {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
	}
	invs, _, _ := e.ctl.ListInvalidations(context.Background(), d.ID, control.ListOptions{MaxItems: 10})
	if len(invs) != 0 {
		t.Fatalf("a refused POST created %d invalidations", len(invs))
	}

	r := e.do(c, "POST", path, url.Values{"paths": {"/index.html\n\n /img/*  \n"}, "csrf_token": {token}}, map[string]string{"Origin": e.srv.URL})
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	invs, _, _ = e.ctl.ListInvalidations(context.Background(), d.ID, control.ListOptions{MaxItems: 10})
	if len(invs) != 1 || strings.Join(invs[0].Paths, ",") != "/index.html,/img/*" {
		t.Fatalf("invalidations: %+v", invs)
	}
	if want := "/console/distributions/" + d.ID + "/invalidations/" + invs[0].ID; r.header.Get("Location") != want {
		t.Errorf("Location %q, want %q", r.header.Get("Location"), want)
	}
	page := e.do(c, "GET", r.header.Get("Location"), nil, nil)
	if page.status != http.StatusOK || !strings.Contains(page.body, invs[0].ID) || !strings.Contains(page.body, "/img/*") {
		t.Errorf("invalidation page: %d %s", page.status, page.body)
	}

	// An invalid path is the API's error, shown with the form refilled.
	r = e.do(c, "POST", path, url.Values{"paths": {"no-slash"}, "csrf_token": {token}}, nil)
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "no-slash") || !strings.Contains(r.body, `class="problem"`) {
		t.Errorf("invalid path: %d %s", r.status, r.body)
	}
	// A missing distribution is a 404.
	r = e.do(c, "POST", "/console/distributions/ENOSUCH/invalidations", url.Values{"paths": {"/a"}, "csrf_token": {token}}, nil)
	if r.status != http.StatusNotFound {
		t.Errorf("missing distribution: %d", r.status)
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	e.login(c)
	e.advance(59 * time.Minute)
	if r := e.do(c, "GET", "/console/", nil, nil); r.status != http.StatusOK {
		t.Fatalf("before expiry: %d", r.status)
	}
	e.advance(time.Minute)
	r := e.do(c, "GET", "/console/", nil, nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/console/login" {
		t.Fatalf("after expiry: %d %v", r.status, r.header)
	}
	if r = e.do(c, "POST", "/console/logout", url.Values{}, nil); r.status != http.StatusUnauthorized {
		t.Errorf("POST after expiry: %d", r.status)
	}
}

func TestBasicAuth(t *testing.T) {
	e := newEnv(t)
	d := e.createDistribution("ref-1", "scripted")
	basic := func(id, sec string) map[string]string {
		req, _ := http.NewRequest("GET", "/", nil)
		req.SetBasicAuth(id, sec)
		return map[string]string{"Authorization": req.Header.Get("Authorization")}
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r := e.do(c, "GET", "/console/distributions.json", nil, basic(keyID, secret))
	var rows []struct{ ID, Comment string }
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &rows) != nil || len(rows) != 1 || rows[0].ID != d.ID {
		t.Fatalf("Basic: %d %s", r.status, r.body)
	}
	r = e.do(c, "GET", "/console/distributions/"+d.ID+"/config.json", nil, basic(keyID, secret))
	if r.status != http.StatusOK || !strings.Contains(r.body, `"Comment": "scripted"`) {
		t.Errorf("config.json: %d %s", r.status, r.body)
	}
	for _, h := range []map[string]string{basic(keyID, "wrong"), basic("AKIDOTHER", secret), {"Authorization": "Basic !!!"}, {"Authorization": "Bearer x"}} {
		r = e.do(c, "GET", "/console/distributions.json", nil, h)
		if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != "" {
			t.Errorf("%v: %d %v (a challenge would make browsers cache Basic credentials)", h, r.status, r.header)
		}
	}
	// A script needs no CSRF token (it sends no cookies), but may not
	// post from another site.
	r = e.do(c, "POST", "/console/distributions/"+d.ID+"/invalidations", url.Values{"paths": {"/x"}}, basic(keyID, secret))
	if r.status != http.StatusCreated || !strings.Contains(r.body, `"/x"`) {
		t.Errorf("Basic POST: %d %s", r.status, r.body)
	}
	h := basic(keyID, secret)
	h["Origin"] = "http://evil.example"
	if r = e.do(c, "POST", "/console/distributions/"+d.ID+"/invalidations", url.Values{"paths": {"/y"}}, h); r.status != http.StatusForbidden {
		t.Errorf("cross-origin Basic POST: %d", r.status)
	}
}

// Everything a distribution's config carries is escaped on the pages.
func TestHostileConfigIsEscaped(t *testing.T) {
	e := newEnv(t)
	xss := `<script>alert("x")</script><img src=x onerror=alert(1)>"'`
	d := e.createDistribution("ref-<b>", xss)
	c := e.client()
	e.login(c)
	for _, path := range []string{"/console/", "/console/distributions/" + d.ID} {
		r := e.do(c, "GET", path, nil, nil)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", path, r.status)
		}
		if strings.Contains(r.body, "<script>alert") || strings.Contains(r.body, "<img src=x") || strings.Contains(r.body, "<b>") {
			t.Errorf("%s: unescaped config in %s", path, r.body)
		}
		if !strings.Contains(r.body, "&lt;script&gt;alert(") {
			t.Errorf("%s: the comment is not shown escaped", path)
		}
	}
	// A hostile id in the path is a 404 page that does not echo markup.
	r := e.do(c, "GET", "/console/distributions/%3Cscript%3Ealert(1)%3C%2Fscript%3E", nil, nil)
	if r.status != http.StatusNotFound || strings.Contains(r.body, "<script>alert") {
		t.Errorf("hostile id: %d %s", r.status, r.body)
	}
}

func TestStatsJSON(t *testing.T) {
	e := newEnv(t)
	d := e.createDistribution("ref-1", "")
	c := e.client()
	e.login(c)
	now := time.Now()
	e.traffic.Record(d.ID, now, "Miss", 200, 100, 1000)
	e.traffic.Record(d.ID, now, "Hit", 200, 100, 1000)
	e.traffic.Record(d.ID, now, "Hit", 404, 100, 50)
	e.traffic.Record(d.ID, now, "Error", 502, 100, 10)
	e.traffic.RecordOrigin(d.ID, 3*time.Millisecond, nil)
	r := e.do(c, "GET", "/console/distributions/"+d.ID+"/stats.json", nil, nil)
	var got console.Totals
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatalf("%d %s: %v", r.status, r.body, err)
	}
	if got.Requests != 4 || got.Hits != 2 || got.Misses != 1 || got.Status4xx != 1 || got.Status5xx != 1 || got.BytesDownloaded != 2060 || got.Node != "node-a" {
		t.Errorf("totals: %+v", got)
	}
	if len(got.OriginLatency) != len(got.OriginLatencyBounds)+1 || got.OriginLatency[3] != 1 {
		t.Errorf("latency histogram: %v over %v", got.OriginLatency, got.OriginLatencyBounds)
	}
	page := e.do(c, "GET", "/console/distributions/"+d.ID, nil, nil)
	if !strings.Contains(page.body, `id="total-requests">4<`) || !strings.Contains(page.body, "this node's edge (node-a)") {
		t.Errorf("page totals: %s", page.body)
	}
	if r = e.do(c, "GET", "/console/distributions/ENOSUCH/stats.json", nil, nil); r.status != http.StatusNotFound {
		t.Errorf("missing distribution: %d", r.status)
	}
}

func TestStaticAssets(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for path, want := range map[string]string{"/console/static/graphs.js": "javascript", "/console/static/console.css": "text/css"} {
		r := e.do(c, "GET", path, nil, nil)
		if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Type"), want) || len(r.body) < 500 {
			t.Errorf("%s: %d %s", path, r.status, r.header.Get("Content-Type"))
		}
	}
	if r := e.do(c, "GET", "/console/static/../console.go", nil, nil); r.status == http.StatusOK && strings.Contains(r.body, "package console") {
		t.Errorf("source served")
	}
}

func TestLightsailPages(t *testing.T) {
	e := newEnv(t)
	s := model.LightsailSettings{
		Origin:          model.LightsailOrigin{Name: "web-1", RegionName: model.LightsailDefaultRegion, ProtocolPolicy: model.LightsailDefaultProtocol, ResponseTimeout: model.LightsailDefaultTimeout},
		DefaultBehavior: "cache", Cache: model.DefaultLightsailCacheSettings(), Enabled: true,
		IPAddressType: model.LightsailDefaultIPType, ViewerMinimumTLSProtocolVersion: model.LightsailDefaultTLS,
	}
	d, err := e.ctl.CreateLightsailDistribution(context.Background(), control.LightsailCreate{Name: "my-site", BundleID: "small_1_0", Settings: s}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.traffic.Record(d.ID, time.Now(), "Hit", 200, 10, 100)
	c := e.client()
	e.login(c)
	list := e.do(c, "GET", "/console/lightsail", nil, nil)
	if list.status != http.StatusOK || !strings.Contains(list.body, `href="/console/lightsail/my-site"`) || !strings.Contains(list.body, d.DomainName) || !strings.Contains(list.body, "web-1") {
		t.Fatalf("list: %d %s", list.status, list.body)
	}
	page := e.do(c, "GET", "/console/lightsail/my-site", nil, nil)
	if page.status != http.StatusOK || !strings.Contains(page.body, `data-stats="/console/lightsail/my-site/stats.json"`) || !strings.Contains(page.body, `id="total-requests">1<`) {
		t.Fatalf("page: %d %s", page.status, page.body)
	}
	r := e.do(c, "GET", "/console/lightsail/my-site/stats.json", nil, nil)
	var got console.Totals
	if json.Unmarshal([]byte(r.body), &got) != nil || got.Requests != 1 || got.Hits != 1 {
		t.Errorf("stats: %d %s", r.status, r.body)
	}
	if r = e.do(c, "GET", "/console/lightsail/nope", nil, nil); r.status != http.StatusNotFound {
		t.Errorf("missing: %d", r.status)
	}
}

// Every page and endpoint but the login form and the assets needs a login.
func TestEveryPageNeedsLogin(t *testing.T) {
	e := newEnv(t)
	d := e.createDistribution("ref-1", "secret comment")
	c := e.client()
	for _, path := range []string{"/console/", "/console/distributions.json", "/console/distributions/" + d.ID,
		"/console/distributions/" + d.ID + "/config.json", "/console/distributions/" + d.ID + "/stats.json",
		"/console/distributions/" + d.ID + "/invalidations/I123", "/console/lightsail", "/console/lightsail/x", "/console/lightsail/x/stats.json"} {
		r := e.do(c, "GET", path, nil, nil)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/console/login" || strings.Contains(r.body, "secret comment") {
			t.Errorf("GET %s: %d %v", path, r.status, r.header)
		}
	}
	for _, path := range []string{"/console/logout", "/console/distributions/" + d.ID + "/invalidations"} {
		if r := e.do(c, "POST", path, url.Values{"paths": {"/a"}}, nil); r.status != http.StatusUnauthorized {
			t.Errorf("POST %s: %d", path, r.status)
		}
	}
	// A forged session cookie is no session.
	r := e.do(c, "GET", "/console/", nil, map[string]string{"Cookie": "openfront_console=forged"})
	if r.status != http.StatusSeeOther {
		t.Errorf("forged session: %d", r.status)
	}
}

func TestCachePage(t *testing.T) {
	objects := &fakeCache{}
	e := newEnvCache(t, objects)
	d := e.createDistribution("ref-1", "")
	other := e.createDistribution("ref-2", "")
	objects.refs = append(objects.refs,
		cache.Ref{Key: "k1", DistID: d.ID, Path: "/small", Size: 10, Hits: 40},
		cache.Ref{Key: "k2", DistID: d.ID, Path: "/big", Size: 5000, Hits: 2},
		cache.Ref{Key: "k3", DistID: d.ID, Path: "/mid?v=1", Size: 4000, Hits: 7},
		cache.Ref{Key: "k4", DistID: d.ID, Path: `/<script>alert(1)</script>"`, Size: 100},
		cache.Ref{Key: "k5", DistID: other.ID, Path: "/others", Size: 1, Hits: 99})
	c := e.client()
	token := e.login(c)
	r := e.do(c, "GET", "/console/distributions/"+d.ID+"/cache", nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	byHits, byBytes, _ := strings.Cut(r.body[strings.Index(r.body, `id="by-hits"`):], `id="by-bytes"`)
	order := func(table string, paths ...string) bool {
		at := -1
		for _, p := range paths {
			i := strings.Index(table, `<code class="path">`+p+`</code>`)
			if i <= at {
				return false
			}
			at = i
		}
		return true
	}
	if !order(byHits, "/small", "/mid?v=1", "/big") || !strings.Contains(byHits, `<td class="hits">40</td><td class="bytes">10</td>`) {
		t.Errorf("by hits: most hits first: %s", byHits)
	}
	if !order(byBytes, "/big", "/mid?v=1", "/small") {
		t.Errorf("by bytes: largest first: %s", byBytes)
	}
	if !strings.Contains(r.body, `id="cache-objects">4<`) || !strings.Contains(r.body, `id="cache-bytes">9110<`) || !strings.Contains(r.body, `id="cache-hits">49<`) {
		t.Errorf("totals: %s", r.body)
	}
	if strings.Contains(r.body, "/others") || strings.Contains(r.body, "<script>alert") || !strings.Contains(r.body, "&lt;script&gt;") {
		t.Errorf("other distribution or unescaped path: %s", r.body)
	}
	// The same as JSON, for scripts.
	r = e.do(c, "GET", "/console/distributions/"+d.ID+"/cache?format=json", nil, nil)
	var sum stats.CacheSummary
	if err := json.Unmarshal([]byte(r.body), &sum); err != nil || sum.Objects != 4 || len(sum.ByHits) != 4 || sum.ByHits[0].Path != "/small" || sum.ByBytes[0].Path != "/big" {
		t.Errorf("json: %v %s", err, r.body)
	}
	// Purge is an invalidation of that path.
	r = e.do(c, "POST", "/console/distributions/"+d.ID+"/invalidations", url.Values{"csrf_token": {token}, "paths": {"/big"}}, nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("purge: %d %s", r.status, r.body)
	}
	invs, _, _ := e.ctl.ListInvalidations(context.Background(), d.ID, control.ListOptions{MaxItems: 10})
	if len(invs) != 1 || strings.Join(invs[0].Paths, ",") != "/big" {
		t.Errorf("invalidations: %+v", invs)
	}
	// A purge without the CSRF token is refused.
	r = e.do(c, "POST", "/console/distributions/"+d.ID+"/invalidations", url.Values{"paths": {"/small"}}, nil)
	if r.status != http.StatusForbidden {
		t.Errorf("purge without CSRF token: %d", r.status)
	}
}

// With a fleet, the cache page merges every live edge's published summary.
func TestCachePage_fleet(t *testing.T) {
	e := newEnv(t)
	fleet := &fakeFleet{published: map[string][]byte{}}
	srv := httptest.NewServer(console.New(console.Options{
		Control: e.ctl, Traffic: e.traffic, Fleet: fleet, Node: "api-only",
		Credentials: func(id string) (string, bool) { return secret, id == keyID }, Now: e.clock,
	}))
	defer srv.Close()
	e.srv = srv
	d := e.createDistribution("ref-1", "")
	publish := func(node string, refs ...cache.Ref) {
		b, err := json.Marshal(stats.NodeTraffic{Time: time.Now(), Cache: stats.SummarizeCache(slices.Values(refs), stats.TopObjects, nil)})
		if err != nil {
			t.Fatal(err)
		}
		fleet.published[node] = b
	}
	publish("edge-1", cache.Ref{DistID: d.ID, Path: "/a", Size: 10, Hits: 5}, cache.Ref{DistID: d.ID, Path: "/huge", Size: 1 << 20, Hits: 1})
	publish("edge-2", cache.Ref{DistID: d.ID, Path: "/a", Size: 10, Hits: 30}, cache.Ref{DistID: "EOTHER", Path: "/x", Size: 1, Hits: 1000})
	c := e.client()
	e.login(c)
	r := e.do(c, "GET", "/console/distributions/"+d.ID+"/cache?format=json", nil, nil)
	var sum stats.CacheSummary
	if err := json.Unmarshal([]byte(r.body), &sum); err != nil {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if sum.Objects != 3 || sum.Hits != 36 || len(sum.ByHits) != 3 || sum.ByHits[0] != (stats.CachedObject{Path: "/a", Bytes: 10, Hits: 30, Node: "edge-2"}) ||
		sum.ByBytes[0].Path != "/huge" {
		t.Errorf("fleet summary: %+v", sum)
	}
	page := e.do(c, "GET", "/console/distributions/"+d.ID+"/cache", nil, nil)
	if page.status != http.StatusOK || !strings.Contains(page.body, "2 live nodes") || !strings.Contains(page.body, "<td>edge-2</td>") {
		t.Errorf("fleet page: %d %s", page.status, page.body)
	}
}

// fakeFleet is the etcd fleet's published counters.
type fakeFleet struct {
	mu        sync.Mutex
	published map[string][]byte
	err       error
}

func (f *fakeFleet) Traffic(context.Context) (map[string][]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.published, f.err
}

func (f *fakeFleet) publish(t *testing.T, node string, live map[string]stats.Live) {
	b, err := json.Marshal(stats.NodeTraffic{Time: time.Now(), Live: live})
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.published[node] = b
	f.mu.Unlock()
}

// With a fleet, the graphs sum every live edge's published counters, not
// this node's.
func TestStatsJSON_fleet(t *testing.T) {
	e := newEnv(t)
	fleet := &fakeFleet{published: map[string][]byte{}}
	srv := httptest.NewServer(console.New(console.Options{
		Control: e.ctl, Traffic: e.traffic, Fleet: fleet, Node: "node-a",
		Credentials: func(id string) (string, bool) { return secret, id == keyID }, Now: e.clock,
	}))
	defer srv.Close()
	e.srv = srv
	d := e.createDistribution("ref-1", "")
	e.traffic.Record(d.ID, time.Now(), "Hit", 200, 1, 1) // this node's own: not counted twice
	recorder := func(results map[string]int, latency time.Duration) stats.Live {
		r := stats.New(time.Hour)
		for res, n := range results {
			for range n {
				r.Record(d.ID, time.Now(), res, 200, 10, 100)
			}
		}
		r.RecordOrigin(d.ID, latency, nil)
		r.Record("EOTHER", time.Now(), "Hit", 200, 1, 1)
		return r.Live()[d.ID]
	}
	fleet.publish(t, "edge-1", map[string]stats.Live{d.ID: recorder(map[string]int{"Hit": 3, "Miss": 1}, time.Millisecond)})
	fleet.publish(t, "edge-2", map[string]stats.Live{d.ID: recorder(map[string]int{"Hit": 5}, 2*time.Second)})
	fleet.publish(t, "edge-3", nil) // serves nothing of d yet
	fleet.mu.Lock()
	fleet.published["broken"] = []byte("{not json")
	fleet.mu.Unlock()
	c := e.client()
	e.login(c)
	r := e.do(c, "GET", "/console/distributions/"+d.ID+"/stats.json", nil, nil)
	var got console.Totals
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if !got.Fleet || got.Nodes != 3 || got.Requests != 9 || got.Hits != 8 || got.Misses != 1 || got.BytesDownloaded != 900 {
		t.Errorf("fleet totals: %+v", got)
	}
	var fetches uint64
	for _, n := range got.OriginLatency {
		fetches += n
	}
	if fetches != 2 || got.OriginLatency[1] != 1 || got.OriginLatency[11] != 1 {
		t.Errorf("latency histogram: %v", got.OriginLatency)
	}
	page := e.do(c, "GET", "/console/distributions/"+d.ID, nil, nil)
	if !strings.Contains(page.body, "the whole fleet") || !strings.Contains(page.body, `id="total-requests">9<`) {
		t.Errorf("page: %s", page.body)
	}
	// etcd unreachable: the samples fail (the graphs retry), the page still renders.
	fleet.mu.Lock()
	fleet.err = errors.New("etcd unreachable")
	fleet.mu.Unlock()
	if r = e.do(c, "GET", "/console/distributions/"+d.ID+"/stats.json", nil, nil); r.status != http.StatusServiceUnavailable {
		t.Errorf("etcd down: %d", r.status)
	}
	if page = e.do(c, "GET", "/console/distributions/"+d.ID, nil, nil); page.status != http.StatusOK {
		t.Errorf("page with etcd down: %d", page.status)
	}
}
