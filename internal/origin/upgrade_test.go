package origin

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// switchingOrigin answers every request with 101 Switching Protocols
// (Upgrade: echo) and then echoes what it reads; it records whether the
// request asked to upgrade.
func switchingOrigin(t *testing.T) (port int, asked chan string) {
	t.Helper()
	asked = make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked <- r.Header.Get("Upgrade") + "/" + r.Header.Get("Connection")
		nc, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer nc.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		io.Copy(nc, nc)
	}))
	t.Cleanup(srv.Close)
	_, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ = strconv.Atoi(p)
	return port, asked
}

// An upgrade request goes out with its Upgrade and Connection headers,
// and a 101 comes back with the connection as a body that reads and
// writes, with no response timeout on it (the origin's is 100 ms here).
func TestClient_Do_upgradeSwitches(t *testing.T) {
	port, asked := switchingOrigin(t)
	o := customOrigin("127.0.0.1", port, 443, "http-only")
	o.Custom.ReadTimeout = 100 * time.Millisecond
	o.ResponseCompletionTimeout = 100 * time.Millisecond
	c := New(S3{})
	resp, err := c.Do(t.Context(), &Request{Origin: o, Method: http.MethodGet, Path: "/ws", Upgrade: true,
		Header: http.Header{"Upgrade": {"echo"}, "Connection": {"Upgrade"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got := <-asked; got != "echo/Upgrade" {
		t.Fatalf("origin saw Upgrade/Connection %q", got)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	rw, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		t.Fatalf("body %T is not an io.ReadWriteCloser", resp.Body)
	}
	time.Sleep(300 * time.Millisecond) // past both timeouts
	if _, err := io.WriteString(rw, "ping"); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if _, err := io.ReadFull(rw, b); err != nil || string(b) != "ping" {
		t.Fatalf("echo: %q %v", b, err)
	}
}

// A 101 to a request that asked for no upgrade is an invalid response,
// whichever client sends it.
func TestClient_Do_unaskedSwitchIsInvalid(t *testing.T) {
	port, _ := switchingOrigin(t)
	o := customOrigin("127.0.0.1", port, 443, "http-only")
	c := New(S3{})
	for _, body := range []io.Reader{nil, http.NoBody} { // the plain-HTTP client; net/http's Transport
		_, err := c.Do(t.Context(), &Request{Origin: o, Method: http.MethodGet, Path: "/", Body: body, Header: http.Header{}})
		var oe *Error
		if !errors.As(err, &oe) || oe.Status != http.StatusBadGateway || oe.Detail != "OriginInvalidResponseError" {
			t.Errorf("body %v: err %v, want a 502 OriginInvalidResponseError", body, err)
		}
	}
}
