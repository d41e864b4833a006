package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Authentication: a login form checks an access key pair against the API's
// credentials and opens a server-side session named by a random cookie
// (HttpOnly, SameSite=Strict, scoped to the console's path); every POST of
// a session carries that session's CSRF token. Scripts may instead send
// the key pair with HTTP Basic on each request. Secrets never appear in
// URLs: the login form posts them in the body.

const (
	sessionCookie = "openfront_console"
	// loginCookie carries the login form's CSRF token (double submit),
	// so that another site cannot log a browser in with its own keys.
	loginCookie = "openfront_console_login"
	csrfField   = "csrf_token"
	// maxFormBytes bounds a console form body.
	maxFormBytes = 64 << 10
)

type session struct {
	keyID   string
	csrf    string
	expires time.Time
}

// principal is who a request is from.
type principal struct {
	keyID string
	csrf  string // the session's CSRF token; "" with HTTP Basic
	basic bool
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// equal compares secrets in constant time.
func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// checkKeyPair reports whether the key pair is one of the API's, taking as
// long for an unknown key id as for a wrong secret.
func (c *Console) checkKeyPair(keyID, secret string) bool {
	if c.opts.Credentials == nil || keyID == "" || secret == "" {
		return false
	}
	want, ok := c.opts.Credentials(keyID)
	if !ok {
		want = "\x00unknown key id" // compared anyway, to keep the timing
	}
	return equal(want, secret) && ok
}

// authenticate returns the request's principal: from HTTP Basic when the
// request has an Authorization header, else from the session cookie.
// badBasic is true when Basic credentials were sent and are wrong.
func (c *Console) authenticate(r *http.Request) (p *principal, badBasic bool) {
	if r.Header.Get("Authorization") != "" {
		id, secret, ok := r.BasicAuth()
		if !ok || !c.checkKeyPair(id, secret) {
			return nil, true
		}
		return &principal{keyID: id, basic: true}, false
	}
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, false
	}
	now := c.opts.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sessions[ck.Value]
	if s == nil {
		return nil, false
	}
	if !now.Before(s.expires) {
		delete(c.sessions, ck.Value)
		return nil, false
	}
	return &principal{keyID: s.keyID, csrf: s.csrf}, false
}

// newSession opens a session and forgets the expired ones.
func (c *Console) newSession(keyID string) (id string, s *session) {
	now := c.opts.Now()
	id, s = randomToken(), &session{keyID: keyID, csrf: randomToken(), expires: now.Add(c.opts.SessionTTL)}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, old := range c.sessions {
		if !now.Before(old.expires) {
			delete(c.sessions, k)
		}
	}
	c.sessions[id] = s
	return id, s
}

func (c *Console) endSession(r *http.Request) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		c.mu.Lock()
		delete(c.sessions, ck.Value)
		c.mu.Unlock()
	}
}

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: Prefix + "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

// sameOrigin refuses requests a browser sent on another site's behalf
// (Sec-Fetch-Site, else Origin): defence in depth besides the CSRF token.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// authorized wraps a handler: it runs only for an authenticated principal
// and, for a POST, only from the same origin and (for a session) with the
// session's CSRF token. An unauthenticated browser is sent to the login
// form; wrong Basic credentials get 401 without a challenge, so that a
// browser never prompts for, and then caches, Basic credentials (which it
// would send on cross-site requests).
func (c *Console) authorized(h func(http.ResponseWriter, *http.Request, *principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, badBasic := c.authenticate(r)
		if badBasic {
			http.Error(w, "The access key id or secret is wrong.", http.StatusUnauthorized)
			return
		}
		if p == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, Prefix+"/login", http.StatusSeeOther)
				return
			}
			http.Error(w, "Log in first.", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if !sameOrigin(r) {
				http.Error(w, "Cross-site request refused.", http.StatusForbidden)
				return
			}
			if !p.basic && !equal(r.PostFormValue(csrfField), p.csrf) {
				http.Error(w, "Missing or wrong CSRF token: reload the page and try again.", http.StatusForbidden)
				return
			}
		}
		h(w, r, p)
	}
}

func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	if p, _ := c.authenticate(r); p != nil {
		http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
		return
	}
	c.showLogin(w, r, "", http.StatusOK)
}

func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, problem string, status int) {
	token := randomToken()
	c.setCookie(w, r, loginCookie, token, 600)
	c.render(w, status, "login", map[string]any{"CSRF": token, "Problem": problem, "Title": "Log in"})
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if !sameOrigin(r) {
		http.Error(w, "Cross-site request refused.", http.StatusForbidden)
		return
	}
	ck, err := r.Cookie(loginCookie)
	if err != nil || ck.Value == "" || !equal(r.PostFormValue(csrfField), ck.Value) {
		c.showLogin(w, r, "The form expired: try again.", http.StatusForbidden)
		return
	}
	keyID, secret := strings.TrimSpace(r.PostFormValue("access_key_id")), strings.TrimSpace(r.PostFormValue("secret_access_key"))
	if !c.checkKeyPair(keyID, secret) {
		c.opts.Log.Info("console: failed login", "remote", r.RemoteAddr)
		c.showLogin(w, r, "The access key id or secret is wrong.", http.StatusUnauthorized)
		return
	}
	id, _ := c.newSession(keyID)
	c.setCookie(w, r, loginCookie, "", -1)
	c.setCookie(w, r, sessionCookie, id, int(c.opts.SessionTTL/time.Second))
	http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, p *principal) {
	c.endSession(r)
	c.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, Prefix+"/login", http.StatusSeeOther)
}
