package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"openfront/internal/control"
)

// FuzzConsole sends arbitrary requests, logged out and with a session but
// no CSRF token: nothing may panic, answer 5xx, or change anything.
func FuzzConsole(f *testing.F) {
	f.Add("GET", "/console/", "", "")
	f.Add("POST", "/console/login", "csrf_token=x&access_key_id="+keyID+"&secret_access_key="+secret, "openfront_console_login=x")
	f.Add("POST", "/console/distributions/E1/invalidations", "paths=%2F*", "")
	f.Add("GET", "/console/distributions/../../2020-05-31/distribution", "", "openfront_console=")
	f.Add("GET", "/console/static/%2e%2e/console.go", "", "")
	f.Add("POST", "/console/logout", strings.Repeat("a=b&", 1000), "")
	f.Add("POST", "/console/functions/fz/test", "stage=LIVE&event=%7B%7D", "")
	f.Add("POST", "/console/functions/fz/publish", "etag=x", "")
	f.Add("GET", "/console/functions/%2e%2e", "", "")
	f.Add("GET", "/console/distributions/E1/cache?format=json", "", "")
	e := newEnv(f)
	d := e.createDistribution("fuzz", "")
	loggedIn := e.client()
	e.login(loggedIn)
	sessionCookie := loggedIn.Jar.Cookies(mustURL(e.srv.URL + "/console/"))[0]
	h := e.srv.Config.Handler
	f.Fuzz(func(t *testing.T, method, path, body, cookie string) {
		req, err := http.NewRequest(method, "http://127.0.0.1"+path, strings.NewReader(body))
		if err != nil || !strings.HasPrefix(req.URL.Path, "/console") {
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, ck := range []string{cookie, sessionCookie.Name + "=" + sessionCookie.Value + "; " + cookie} {
			req.Header.Set("Cookie", ck)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code >= 500 {
				t.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
			}
			if req.Method == "POST" && w.Code < 400 && !strings.HasSuffix(req.URL.Path, "/login") {
				t.Fatalf("%s %s without a CSRF token: %d", method, path, w.Code)
			}
		}
		_ = d
	})
}

// FuzzFunctionTest runs TestFunction from the console's form with an
// arbitrary stage and event, logged in with the CSRF token: a hostile event
// (deep nesting, huge strings, not JSON) or stage is the API's error in the
// page, never a panic or a 5xx, and nothing is published.
func FuzzFunctionTest(f *testing.F) {
	f.Add("DEVELOPMENT", `{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"1.2.3.4"},"request":{"method":"GET","uri":"/a","headers":{},"cookies":{},"querystring":{}}}`)
	f.Add("LIVE", `{}`)
	f.Add("", `{"request": {"uri": 5}}`)
	f.Add("DEVELOPMENT", strings.Repeat("[", 5000))
	f.Add("development", `null`)
	e := newEnv(f)
	if _, err := e.ctl.CreateFunction(context.Background(), "fz", control.FunctionInput{Runtime: "cloudfront-js-2.0",
		Code: []byte("function handler(event) { return event.request; }")}); err != nil {
		f.Fatal(err)
	}
	c := e.client()
	token := e.login(c)
	sessionCookie := c.Jar.Cookies(mustURL(e.srv.URL + "/console/"))[0]
	h := e.srv.Config.Handler
	f.Fuzz(func(t *testing.T, stage, event string) {
		form := url.Values{"csrf_token": {token}, "stage": {stage}, "event": {event}}
		req := httptest.NewRequest("POST", "/console/functions/fz/test", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(sessionCookie)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("stage %q event %q: %d %s", stage, event, w.Code, w.Body)
		}
		if _, err := e.ctl.GetFunction(context.Background(), "fz", control.StageLive); err == nil {
			t.Fatal("testing published the function")
		}
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
