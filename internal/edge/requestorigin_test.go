package edge

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/http/httpguts"

	"openfront/internal/functions"
	"openfront/internal/model"
	"openfront/internal/origin"
	"openfront/internal/snapshot"
)

// originModificationEdge is an edge whose default behaviour targets
// origin o1 (a) and runs code, with a second origin o2 (b) in the
// distribution; both are loopback HTTP servers that answer
// "<name> <Host> <request-URI> key=<X-Origin-Key>".
func originModificationEdge(t *testing.T, code string, more ...func(c model.Tree)) (fe *functionEdge, a, b *testOrigin) {
	t.Helper()
	echo := func(name string) func(w http.ResponseWriter, r *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/fail") && name == "a" {
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, "a is down")
				return
			}
			w.Header().Set("Cache-Control", "max-age=60")
			fmt.Fprintf(w, "%s %s %s key=%s", name, r.Host, r.URL.RequestURI(), r.Header.Get("X-Origin-Key"))
		}
	}
	a, b = newTestOrigin(t, echo("a")), newTestOrigin(t, echo("b"))
	code = strings.ReplaceAll(code, "PORT_B", b.port())
	fe = newFunctionEdge(t, a, map[string]string{functions.ViewerRequest: code}, func(c model.Tree) {
		origins := c["Origins"].(model.Tree)["Items"].([]any)
		c["Origins"] = model.Wrapper(append(origins, model.Tree{
			"Id": "o2", "DomainName": "127.0.0.1",
			"CustomOriginConfig": model.Tree{"HTTPPort": b.port(), "HTTPSPort": "443", "OriginProtocolPolicy": "http-only"},
		}))
		for _, edit := range more {
			edit(c)
		}
	})
	return fe, a, b
}

// On a behaviour whose target is an origin group, updateRequestOrigin
// changes the primary only; a listed status from the modified primary
// fails over to the secondary as configured ("updateRequestOrigin()
// method", Notes).
func TestFunctions_originModificationOfAGroup(t *testing.T) {
	fe, a, b := originModificationEdge(t, `import cf from 'cloudfront';
function handler(event) { cf.updateRequestOrigin({originPath: '/fail-base'}); return event.request; }`, func(c model.Tree) {
		c["OriginGroups"] = model.Wrapper([]model.Tree{{
			"Id":               "group",
			"FailoverCriteria": model.Tree{"StatusCodes": model.Wrapper([]string{"503"})},
			"Members":          model.Wrapper([]model.Tree{{"OriginId": "o1"}, {"OriginId": "o2"}}),
		}})
		model.Sub(c, "DefaultCacheBehavior")["TargetOriginId"] = "group"
	})
	resp, body := fe.send(t, "GET", "/obj", nil)
	if resp.StatusCode != 200 || body != "b 127.0.0.1 /obj key=" {
		t.Errorf("%d %q, want the secondary's answer for the path without the primary's new origin path", resp.StatusCode, body)
	}
	if a.count("/fail-base/obj") != 1 || b.count("/obj") != 1 {
		t.Errorf("primary asked for /fail-base/obj %d times, secondary for /obj %d times", a.count("/fail-base/obj"), b.count("/obj"))
	}
}

// The origin modification helpers of a viewer-request function decide
// where the origin request really goes, over HTTP: another origin of the
// distribution, a new origin with its own path, port, custom headers and
// Host, or a failover pair made for the request. The cache key does not
// include the origin: what one origin answered is a hit for every request
// with the same key.
func TestFunctions_originModification(t *testing.T) {
	fe, a, b := originModificationEdge(t, `import cf from 'cloudfront';
function handler(event) {
  var r = event.request, to = r.querystring.to ? r.querystring.to.value : '';
  if (to === 'select') cf.selectRequestOriginById('o2');
  if (to === 'host') cf.selectRequestOriginById('o2', {hostHeader: 'api.example.com'});
  if (to === 'update') cf.updateRequestOrigin({
    domainName: 'localhost', originPath: '/base', customHeaders: {'x-origin-key': 'k1'},
    customOriginConfig: {port: PORT_B, protocol: 'http', sslProtocols: ['TLSv1.2']},
    timeouts: {readTimeout: 5, connectionTimeout: 2, keepAliveTimeout: 5}, connectionAttempts: 1,
    originShield: {enabled: true, region: 'us-east-1'}});
  if (to === 'update-path') cf.updateRequestOrigin({originPath: '/p', customHeaders: {'x-origin-key': 'k2'}});
  if (to === 'select-then-update') { cf.selectRequestOriginById('o2'); cf.updateRequestOrigin({originPath: '/after'}); }
  if (to === 'group') cf.createRequestOriginGroup({originIds: [{originId: 'o1'}, 'o2'], failoverCriteria: {statusCodes: [503]}});
  if (to === 'group-no-match') cf.createRequestOriginGroup({originIds: ['o1', 'o2'], failoverCriteria: {statusCodes: [500]}});
  return r;
}`)
	cases := []struct {
		name, target, want string
		fromA, fromB       int
	}{
		{"no call: the behaviour's origin", "/plain-a", "a 127.0.0.1 /plain-a key=", 1, 0},
		{"selectRequestOriginById", "/sel?to=select", "b 127.0.0.1 /sel key=", 0, 1},
		{"select with a Host override", "/host?to=host", "b api.example.com /host key=", 0, 1},
		{"updateRequestOrigin", "/upd?to=update", "b localhost /base/upd key=k1", 0, 1},
		{"update of the assigned origin", "/path?to=update-path", "a 127.0.0.1 /p/path key=k2", 1, 0},
		{"update after select", "/su?to=select-then-update", "b 127.0.0.1 /after/su key=", 0, 1},
		{"group fails over on its status codes", "/fail-g?to=group", "b 127.0.0.1 /fail-g key=", 1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a0, b0 := a.total(), b.total()
			resp, body := fe.send(t, "GET", tc.target, nil)
			if resp.StatusCode != 200 || body != tc.want || resp.Header.Get("X-Cache") != "Miss from cloudfront" {
				t.Fatalf("%d %q X-Cache %q, want 200 %q", resp.StatusCode, body, resp.Header.Get("X-Cache"), tc.want)
			}
			if da, db := a.total()-a0, b.total()-b0; da != tc.fromA || db != tc.fromB {
				t.Errorf("origin a asked %d times, b %d, want %d and %d", da, db, tc.fromA, tc.fromB)
			}
		})
	}
	// A group whose status codes do not match does not fail over.
	if resp, body := fe.send(t, "GET", "/fail-n?to=group-no-match", nil); resp.StatusCode != 503 || body != "a is down" {
		t.Errorf("group without a matching code: %d %q", resp.StatusCode, body)
	}
	// Same key, no call: a hit on what origin b answered (the query string
	// is not in this behaviour's key, the origin never is).
	a0 := a.total()
	resp, body := fe.send(t, "GET", "/sel", nil)
	if resp.Header.Get("X-Cache") != "Hit from cloudfront" || body != "b 127.0.0.1 /sel key=" || a.total() != a0 {
		t.Errorf("same key after select: X-Cache %q %q, origin a asked %d times", resp.Header.Get("X-Cache"), body, a.total()-a0)
	}
	// And a function choosing another origin for a stored key gets the stored object.
	resp, body = fe.send(t, "GET", "/plain-a?to=select", nil)
	if resp.Header.Get("X-Cache") != "Hit from cloudfront" || body != "a 127.0.0.1 /plain-a key=" {
		t.Errorf("select on a stored key: X-Cache %q %q", resp.Header.Get("X-Cache"), body)
	}
}

// Invalid arguments: a call the JavaScript types rule out throws in the
// function (FunctionExecutionError, 503, unless the function catches it);
// properties the distribution or the guide do not allow make the
// function's result invalid (FunctionValidationError, 502). Neither
// reaches an origin.
func TestFunctions_originModificationInvalid(t *testing.T) {
	cases := []struct {
		name, call string
		status     int
		result     string
	}{
		{"unknown origin id", `cf.selectRequestOriginById('nope')`, 502, functions.ValidationError},
		{"origin group id is not an origin", `cf.createRequestOriginGroup({originIds: ['o1'], failoverCriteria: {statusCodes: [500]}})`, 502, functions.ValidationError},
		{"group status code", `cf.createRequestOriginGroup({originIds: ['o1', 'o2'], failoverCriteria: {statusCodes: [200]}})`, 502, functions.ValidationError},
		{"group without criteria", `cf.createRequestOriginGroup({originIds: ['o1', 'o2']})`, 502, functions.ValidationError},
		{"denied custom header", `cf.updateRequestOrigin({customHeaders: {'x-amz-date': 'x'}})`, 502, functions.ValidationError},
		{"upper-case custom header", `cf.updateRequestOrigin({customHeaders: {'X-Key': 'x'}})`, 502, functions.ValidationError},
		{"custom header also in the request", `cf.updateRequestOrigin({customHeaders: {'user-agent': 'x'}})`, 502, functions.ValidationError},
		{"IP address domain", `cf.updateRequestOrigin({domainName: '10.0.0.1'})`, 502, functions.ValidationError},
		{"domain with a port", `cf.updateRequestOrigin({domainName: 'example.com:8080'})`, 502, functions.ValidationError},
		{"origin path ending in /", `cf.updateRequestOrigin({originPath: '/a/'})`, 502, functions.ValidationError},
		{"origin path with dot segments", `cf.updateRequestOrigin({originPath: '/a/../b'})`, 502, functions.ValidationError},
		{"connection attempts", `cf.updateRequestOrigin({connectionAttempts: 5})`, 502, functions.ValidationError},
		{"read timeout", `cf.updateRequestOrigin({timeouts: {readTimeout: 0}})`, 502, functions.ValidationError},
		{"connection timeout", `cf.updateRequestOrigin({timeouts: {connectionTimeout: 11}})`, 502, functions.ValidationError},
		{"completion below read", `cf.updateRequestOrigin({timeouts: {readTimeout: 30, responseCompletionTimeout: 10}})`, 502, functions.ValidationError},
		{"port", `cf.updateRequestOrigin({customOriginConfig: {port: 81, protocol: 'http', sslProtocols: ['TLSv1.2']}})`, 502, functions.ValidationError},
		{"protocol", `cf.updateRequestOrigin({customOriginConfig: {port: 80, protocol: 'ftp', sslProtocols: ['TLSv1.2']}})`, 502, functions.ValidationError},
		{"ssl protocols missing", `cf.updateRequestOrigin({customOriginConfig: {port: 80, protocol: 'http'}})`, 502, functions.ValidationError},
		{"shield without region", `cf.updateRequestOrigin({originShield: {enabled: true}})`, 502, functions.ValidationError},
		{"OAC signing", `cf.updateRequestOrigin({originAccessControlConfig: {enabled: true, signingBehavior: 'sometimes', signingProtocol: 'sigv4', originType: 's3'}})`, 502, functions.ValidationError},
		{"ipAddressType without domain", `cf.updateRequestOrigin({ipAddressType: 'ipv6'})`, 502, functions.ValidationError},
		{"host header IP", `cf.selectRequestOriginById('o2', {hostHeader: '127.0.0.1'})`, 502, functions.ValidationError},
		{"misspelt property", `cf.updateRequestOrigin({domainname: 'example.com'})`, 502, functions.ValidationError},
		{"not an object", `cf.updateRequestOrigin('o2')`, 503, functions.ExecutionError},
		{"id not a string", `cf.selectRequestOriginById(2)`, 503, functions.ExecutionError},
		{"group not an object", `cf.createRequestOriginGroup(['o1', 'o2'])`, 503, functions.ExecutionError},
		{"a Date", `cf.updateRequestOrigin(new Date())`, 503, functions.ExecutionError},
		{"a Map", `cf.updateRequestOrigin(new Map([['domainName', 'example.com']]))`, 503, functions.ExecutionError},
		{"a Proxy", `cf.updateRequestOrigin(new Proxy({}, {}))`, 503, functions.ExecutionError},
		{"overrides not an object", `cf.selectRequestOriginById('o2', 'host')`, 503, functions.ExecutionError},
		{"a getter that throws", `cf.updateRequestOrigin({get domainName() { throw new Error('no'); }})`, 503, functions.ExecutionError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fe, a, b := originModificationEdge(t, "import cf from 'cloudfront';\nfunction handler(event) { "+tc.call+"; return event.request; }")
			resp, body := fe.send(t, "GET", "/x", http.Header{"User-Agent": {"test"}})
			if resp.StatusCode != tc.status || resp.Header.Get("X-Cache") != tc.result+" from cloudfront" {
				t.Errorf("%d X-Cache %q, want %d %s: %s", resp.StatusCode, resp.Header.Get("X-Cache"), tc.status, tc.result, body)
			}
			if a.total()+b.total() != 0 {
				t.Errorf("an invalid origin modification reached an origin")
			}
		})
	}
	// A TypeError the function catches leaves the request as it was.
	fe, a, _ := originModificationEdge(t, `import cf from 'cloudfront';
function handler(event) { try { cf.updateRequestOrigin(null); } catch (e) { event.request.uri += '-' + e.name; } return event.request; }`)
	if resp, body := fe.send(t, "GET", "/caught", nil); resp.StatusCode != 200 || body != "a 127.0.0.1 /caught-TypeError key=" || a.total() != 1 {
		t.Errorf("caught: %d %q", resp.StatusCode, body)
	}
}

// total is how many requests the origin received.
func (o *testOrigin) total() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, c := range o.hits {
		n += c
	}
	return n
}

// FuzzChooseOrigin feeds arbitrary origin modification arguments (as
// JSON, the shapes goja exports) to the plan: it must never panic, never
// modify the snapshot's origins, and what it accepts must be usable.
func FuzzChooseOrigin(f *testing.F) {
	for _, seed := range []string{
		`["updateRequestOrigin", {"domainName": "localhost", "originPath": "/base", "customHeaders": {"x-k": "v"}, "customOriginConfig": {"port": 8080, "protocol": "http", "sslProtocols": ["TLSv1.2"]}}]`,
		`["updateRequestOrigin", {"domainName": "b.s3.us-east-1.amazonaws.com", "originAccessControlConfig": {"enabled": true, "signingBehavior": "always", "signingProtocol": "sigv4", "originType": "s3"}}]`,
		`["updateRequestOrigin", {"timeouts": {"readTimeout": 1e308, "responseCompletionTimeout": -1}}]`,
		`["selectRequestOriginById", "o2", {"hostHeader": "api.example.com"}]`,
		`["createRequestOriginGroup", {"originIds": [{"originId": "o1", "originOverrides": {"sni": "x"}}, "o2"], "failoverCriteria": {"statusCodes": [500, 503]}}]`,
		`["createRequestOriginGroup", {"originIds": ["o1", "o1"], "failoverCriteria": [404]}]`,
		`["updateRequestOrigin", {"originPath": "/%zz/..", "customHeaders": {"host": "x", "a\r\nb": "c"}}]`,
	} {
		f.Add(seed)
	}
	cfg := model.Tree{
		"CallerReference": "ref", "Comment": "", "Enabled": "true",
		"Origins": model.Wrapper([]model.Tree{
			{"Id": "o1", "DomainName": "a.example.com", "CustomOriginConfig": model.Tree{"HTTPPort": "80", "HTTPSPort": "443", "OriginProtocolPolicy": "http-only"}},
			{"Id": "o2", "DomainName": "b.s3.amazonaws.com", "S3OriginConfig": model.Tree{"OriginAccessIdentity": ""}},
		}),
		"DefaultCacheBehavior": model.Tree{"TargetOriginId": "o1", "ViewerProtocolPolicy": "allow-all", "MinTTL": "0",
			"ForwardedValues": model.Tree{"QueryString": "false", "Cookies": model.Tree{"Forward": "none"}}},
	}
	snap := snapshot.Compile(1, []*model.DistributionRecord{{ID: "E1", DomainName: testHost, Config: cfg}}, nil, nil)
	d := snap.Lookup(testHost)
	if d == nil {
		f.Fatal("no distribution")
	}
	b := d.Behaviors[len(d.Behaviors)-1]
	before := fmt.Sprintf("%+v %+v", *d.Config.Origins[0].Custom, *d.Config.Origins[1].S3)
	f.Fuzz(func(t *testing.T, data string) {
		var call []any
		if json.Unmarshal([]byte(data), &call) != nil || len(call) < 2 {
			return
		}
		method, _ := call[0].(string)
		ch := functions.OriginChange{Method: method, Arg: call[1]}
		if len(call) > 2 {
			ch.Overrides = call[2]
		}
		c, err := chooseOrigin(d, b, []functions.OriginChange{ch}, functions.Fields{{Name: "host", Values: []functions.Value{{Value: testHost}}}})
		if after := fmt.Sprintf("%+v %+v", *d.Config.Origins[0].Custom, *d.Config.Origins[1].S3); after != before {
			t.Fatalf("the snapshot's origins changed: %s", after)
		}
		if err != nil {
			return
		}
		if len(c.origins) == 0 || len(c.origins) > 2 {
			t.Fatalf("choice %+v", c)
		}
		for i, o := range c.models() {
			if o.S3 == nil && o.Custom == nil {
				t.Fatalf("origin %d has no type", i)
			}
			if !validOriginPath(o.OriginPath) || strings.Contains(o.DomainName, ":") {
				t.Fatalf("origin %d: path %q domain %q", i, o.OriginPath, o.DomainName)
			}
			for _, h := range o.CustomHeaders {
				if !httpguts.ValidHeaderFieldValue(h.Value) || !httpguts.ValidHeaderFieldName(h.Name) {
					t.Fatalf("custom header %q: %q", h.Name, h.Value)
				}
			}
		}
	})
}

// updateRequestOrigin to an S3 bucket with an origin access control
// config: the request goes to the bucket (path-style, through the edge's
// S3 endpoint) and is signed as signingBehavior says.
func TestFunctions_originModificationS3(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	s3 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path+" auth="+strings.SplitN(r.Header.Get("Authorization"), " ", 2)[0])
		mu.Unlock()
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, "from s3")
	}))
	t.Cleanup(s3.Close)
	a := newTestOrigin(t, okHandler("max-age=60"))
	fe := newFunctionEdge(t, a, map[string]string{functions.ViewerRequest: `import cf from 'cloudfront';
function handler(event) {
  var q = event.request.querystring;
  if (q.sign) cf.updateRequestOrigin({domainName: 'media-bucket.s3.us-east-1.amazonaws.com', customHeaders: {},
    originAccessControlConfig: {enabled: true, signingBehavior: q.sign.value, signingProtocol: 'sigv4', originType: 's3'}});
  return event.request;
}`}, nil)
	fe.restart(t, func(o *Options) {
		o.Origin = origin.New(origin.S3{Endpoint: s3.URL, Region: "us-east-1", AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"})
	})
	for _, tc := range []struct{ target, want string }{
		{"/signed.mp4?sign=always", "/media-bucket/signed.mp4 auth=AWS4-HMAC-SHA256"},
		{"/unsigned.mp4?sign=never", "/media-bucket/unsigned.mp4 auth="},
	} {
		resp, body := fe.send(t, "GET", tc.target, nil)
		mu.Lock()
		last := ""
		if len(seen) > 0 {
			last = seen[len(seen)-1]
		}
		mu.Unlock()
		if resp.StatusCode != 200 || body != "from s3" || last != tc.want {
			t.Errorf("%s: %d %q, S3 saw %q, want %q", tc.target, resp.StatusCode, body, last, tc.want)
		}
	}
	if a.total() != 0 {
		t.Errorf("the behaviour's origin was asked %d times", a.total())
	}
}

// hostHeader, sni and allowedCertificateNames reach an HTTPS origin: the
// TLS server name sent (by default the Host override, else the domain
// name) and the names its certificate is checked against. The test
// origin's certificate is for example.com (and 127.0.0.1), never for
// localhost, the domain name the function gives.
func TestFunctions_originModificationTLS(t *testing.T) {
	var mu sync.Mutex
	var lastSNI string
	tlsOrigin := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "tls "+r.Host)
	}))
	tlsOrigin.TLS = &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		mu.Lock()
		lastSNI = hello.ServerName
		mu.Unlock()
		return nil, nil
	}}
	tlsOrigin.StartTLS()
	t.Cleanup(tlsOrigin.Close)
	_, port, _ := net.SplitHostPort(tlsOrigin.Listener.Addr().String())
	a := newTestOrigin(t, okHandler(""))
	code := strings.ReplaceAll(`import cf from 'cloudfront';
function handler(event) {
  var props = {domainName: 'localhost', customOriginConfig: {port: PORT, protocol: 'https', sslProtocols: ['TLSv1.2']}};
  var extra = JSON.parse(decodeURIComponent(event.request.querystring.p.value));
  for (var k in extra) props[k] = extra[k];
  cf.updateRequestOrigin(props);
  return event.request;
}`, "PORT", port)
	fe := newFunctionEdge(t, a, map[string]string{functions.ViewerRequest: code}, nil)
	roots := x509.NewCertPool()
	roots.AddCert(tlsOrigin.Certificate())
	oc := origin.New(origin.S3{})
	oc.SetRootCAs(roots)
	fe.restart(t, func(o *Options) { o.Origin = oc })
	for i, tc := range []struct {
		props     string
		status    int
		body, sni string
	}{
		{`{}`, 502, "", "localhost"},
		{`{"sni": "example.com"}`, 200, "tls localhost", "example.com"},
		{`{"hostHeader": "example.com"}`, 200, "tls example.com", "example.com"},
		{`{"allowedCertificateNames": ["example.com"]}`, 200, "tls localhost", "localhost"},
		{`{"allowedCertificateNames": ["*.other.test"]}`, 502, "", "localhost"},
		{`{"sni": "other.test"}`, 502, "", "other.test"},
	} {
		resp, body := fe.send(t, "GET", fmt.Sprintf("/t%d?p=%s", i, url.PathEscape(tc.props)), nil)
		mu.Lock()
		sni := lastSNI
		mu.Unlock()
		if resp.StatusCode != tc.status || tc.status == 200 && body != tc.body || sni != tc.sni {
			t.Errorf("%s: %d %q, SNI %q; want %d %q, SNI %q", tc.props, resp.StatusCode, body, sni, tc.status, tc.body, tc.sni)
		}
	}
}
