package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
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

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
