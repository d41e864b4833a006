package edge

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"openfront/internal/fle"
	"openfront/internal/model"
)

// fleEdge is an edge over real HTTP whose default behaviour encrypts the
// field "card" of form bodies, with the origin recording each body.
type fleEdge struct {
	url    string
	mu     sync.Mutex
	bodies []string
}

func newFLEEdge(t *testing.T, forwardUnknown bool) *fleEdge {
	t.Helper()
	fe := &fleEdge{}
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fe.mu.Lock()
		fe.bodies = append(fe.bodies, string(b))
		fe.mu.Unlock()
		w.Write([]byte("ok"))
	})
	te := newTestEdge(t, distConfig(o, func(cfg model.Tree) {
		b := model.Sub(cfg, "DefaultCacheBehavior")
		b["AllowedMethods"] = model.Tree{"Quantity": "7", "Items": []any{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"},
			"CachedMethods": model.Wrapper([]string{"GET", "HEAD"})}
		b["FieldLevelEncryptionId"] = "C1TEST"
	}))
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	prof := &fle.Profile{ID: "P1", Entities: []fle.Entity{{Key: &key.PublicKey, KeyName: "k", ProviderID: "DEMO", Patterns: []string{"card"}}}}
	cfg := &fle.Config{ID: "C1TEST", ContentTypes: map[string]*fle.Profile{fle.FormContentType: prof}, ForwardUnknownContentType: forwardUnknown}
	for _, b := range te.snap.Load().Lookup(testHost).Behaviors {
		b.FLE = cfg
	}
	srv := httptest.NewServer(te)
	t.Cleanup(srv.Close)
	fe.url = srv.URL
	return fe
}

func (fe *fleEdge) reached() []string {
	fe.mu.Lock()
	defer fe.mu.Unlock()
	return append([]string(nil), fe.bodies...)
}

// raw sends a request as written and returns the status line (or the
// read error).
func (fe *fleEdge) raw(t *testing.T, request string, send func(c net.Conn)) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(fe.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, request)
	if send != nil {
		send(c)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "error: " + err.Error()
	}
	return strings.TrimSpace(line)
}

func TestFLE_formFieldEncryptedBeforeTheOrigin(t *testing.T) {
	fe := newFLEEdge(t, false)
	req, _ := http.NewRequest(http.MethodPost, fe.url+"/pay", strings.NewReader("name=Ann&card=4111111111111111&x=%2B"))
	req.Host = testHost
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := fe.reached()
	if resp.StatusCode != 200 || len(got) != 1 {
		t.Fatalf("status %d, %d bodies reached the origin", resp.StatusCode, len(got))
	}
	pairs := strings.Split(got[0], "&")
	if len(pairs) != 3 || pairs[0] != "name=Ann" || pairs[2] != "x=%2B" || !strings.HasPrefix(pairs[1], "card=") {
		t.Fatalf("origin got %q", got[0])
	}
	v, _ := url.QueryUnescape(strings.TrimPrefix(pairs[1], "card="))
	msg, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(msg) < 4 || !bytes.Equal(msg[:4], []byte{1, 0x80, 0x01, 0x78}) || strings.Contains(got[0], "4111") {
		t.Fatalf("card is not an AWS Encryption SDK message: %q", v)
	}
}

// TestFLE_hostileBodies: refusals happen before anything reaches the
// origin, on the real HTTP/1.1 server, for framing the clients would not
// produce.
func TestFLE_hostileBodies(t *testing.T) {
	head := func(extra string) string {
		return "POST /pay HTTP/1.1\r\nHost: " + testHost + "\r\nContent-Type: application/x-www-form-urlencoded\r\n" + extra + "\r\n"
	}
	defer func(d time.Duration) { fleBodyTimeout = d }(fleBodyTimeout)
	fleBodyTimeout = 300 * time.Millisecond
	tests := []struct {
		name    string
		request string
		send    func(c net.Conn)
		want    string
	}{
		{"declared length over 1 MB", head(fmt.Sprintf("Content-Length: %d\r\n", fle.MaxBody+1)), nil, "HTTP/1.1 413 Request Entity Too Large"},
		{"chunked body over 1 MB", head("Transfer-Encoding: chunked\r\n"), func(c net.Conn) {
			chunk := fmt.Sprintf("%x\r\n%s\r\n", 64<<10, strings.Repeat("a", 64<<10))
			for i := 0; i < 20; i++ {
				if _, err := io.WriteString(c, chunk); err != nil {
					return // the edge stopped reading: fine
				}
			}
			io.WriteString(c, "0\r\n\r\n")
		}, "HTTP/1.1 413 Request Entity Too Large"},
		{"gzip-encoded form", head("Content-Encoding: gzip\r\nContent-Length: 6\r\n") + "card=1", nil, "HTTP/1.1 400 Bad Request"},
		{"invalid escape", head("Content-Length: 8\r\n") + "card=%ZZ", nil, "HTTP/1.1 400 Bad Request"},
		{"semicolon separator", head("Content-Length: 12\r\n") + "a=1;card=411", nil, "HTTP/1.1 400 Bad Request"},
		{"eleven fields", head("Content-Length: 76\r\n") + strings.Repeat("card=1&", 10) + "card=1", nil, "HTTP/1.1 400 Bad Request"},
		{"slow client", head("Content-Length: 20\r\n") + "card=4", func(c net.Conn) { time.Sleep(time.Second) }, "HTTP/1.1 408 Request Timeout"},
		{"truncated body", head("Content-Length: 20\r\n") + "card=4", func(c net.Conn) { c.(*net.TCPConn).CloseWrite() }, ""},
		{"unknown content type", "POST /pay HTTP/1.1\r\nHost: " + testHost + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", nil, "HTTP/1.1 400 Bad Request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := newFLEEdge(t, false)
			got := fe.raw(t, tt.request, tt.send)
			if tt.want != "" && got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if n := len(fe.reached()); n != 0 {
				t.Errorf("%d requests reached the origin: %q", n, fe.reached())
			}
		})
	}
}

func TestFLE_unknownContentTypeForwardedWhenConfigured(t *testing.T) {
	fe := newFLEEdge(t, true)
	got := fe.raw(t, "POST /pay HTTP/1.1\r\nHost: "+testHost+"\r\nContent-Type: application/json\r\nContent-Length: 12\r\nConnection: close\r\n\r\n{\"card\":\"1\"}", nil)
	if got != "HTTP/1.1 200 OK" || len(fe.reached()) != 1 || fe.reached()[0] != `{"card":"1"}` {
		t.Fatalf("got %q, origin got %q", got, fe.reached())
	}
}

// TestPlan_fieldLevelEncryption: the plan's field-level encryption step,
// driven directly: a POST or PUT with a body gets the profile of its
// content type or of its fle-profile argument; one the configuration
// blocks is refused with refuseFLE; other methods and bodiless requests
// are not looked at.
func TestPlan_fieldLevelEncryption(t *testing.T) {
	o := newTestOrigin(t, okHandler(""))
	te := newTestEdge(t, distConfig(o, func(cfg model.Tree) {
		b := model.Sub(cfg, "DefaultCacheBehavior")
		b["AllowedMethods"] = model.Tree{"Quantity": "7", "Items": []any{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"},
			"CachedMethods": model.Wrapper([]string{"GET", "HEAD"})}
	}))
	form, byArg := &fle.Profile{ID: "PFORM"}, &fle.Profile{ID: "PARG"}
	cfg := &fle.Config{ID: "C1", ContentTypes: map[string]*fle.Profile{fle.FormContentType: form, "text/plain": nil},
		QueryArgs: map[string]*fle.Profile{"card": byArg}}
	snap := te.snap.Load()
	for _, b := range snap.Lookup(testHost).Behaviors {
		b.FLE = cfg
	}
	for _, tc := range []struct {
		name, method, contentType, query string
		body                             bool
		want                             string // profile ID, "" for none, "refused"
	}{
		{"form POST", "POST", "application/x-www-form-urlencoded; charset=UTF-8", "", true, "PFORM"},
		{"form PUT, upper case", "PUT", "Application/X-WWW-Form-Urlencoded", "", true, "PFORM"},
		{"content type forwarded as is", "POST", "text/plain", "", true, ""},
		{"unknown content type blocked", "POST", "application/json", "", true, "refused"},
		{"no content type blocked", "POST", "", "", true, "refused"},
		{"malformed content type blocked", "POST", "multipart/;;", "", true, "refused"},
		{"fle-profile argument wins", "POST", "application/json", "fle-profile=card", true, "PARG"},
		{"escaped argument name", "POST", "application/json", "fle%2Dprofile=card", true, "PARG"},
		{"unknown fle-profile blocked", "POST", "application/x-www-form-urlencoded", "fle-profile=nope", true, "refused"},
		{"POST without a body", "POST", "application/json", "", false, ""},
		{"PATCH not looked at", "PATCH", "application/json", "", true, ""},
		{"DELETE not looked at", "DELETE", "application/json", "", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := requestHead{method: tc.method, path: "/pay", rawQuery: tc.query, host: testHost, normal: true, hasBody: tc.body,
				header: httpHeader{"Content-Type": {tc.contentType}}}
			var p plan
			_, ref := (planner{}).plan(&p, snap, &h, time.Now(), nil)
			got := ""
			switch {
			case ref == &refuseFLE:
				got = "refused"
			case ref != nil:
				t.Fatalf("refused otherwise: %+v", ref)
			case p.fle != nil:
				got = p.fle.ID
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
