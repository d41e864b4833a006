package httpguard

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A handler that hijacks the connection and switches protocols (the
// edge's WebSocket connections) reads the bytes after the 101 as they
// come: bytes sent with the upgrade request and bytes sent later, which
// the guard would otherwise take for a request head (a frame has no
// line ends: the guard would hold it, then cut the connection with a 413
// or a head timeout). Before the switch the connection is guarded as
// any other.
func TestGuard_switchProtocols(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			io.WriteString(w, "plain")
			return
		}
		nc, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer nc.Close()
		sw, ok := nc.(Switcher)
		if !ok {
			t.Errorf("hijacked %T is not a Switcher", nc)
			return
		}
		sw.SwitchProtocols()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		// Echo: net/http's buffered bytes first, then the connection.
		buffered, _ := brw.Reader.Peek(brw.Reader.Buffered())
		nc.Write(buffered)
		io.Copy(nc, nc)
	})}
	// A head timeout that would cut the idle bytes below if the guard
	// still framed them.
	go srv.Serve(Listener(ln, &Config{HeadTimeout: 200 * time.Millisecond, MaxHeadBytes: 64}))
	t.Cleanup(func() { srv.Close() })

	c, br := dial(t, ln.Addr().String())
	io.WriteString(c, "GET /a HTTP/1.1\r\n"+host+"\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "plain" {
		t.Fatalf("plain request: %q", b)
	}
	// The upgrade request and a first frame in one write.
	io.WriteString(c, "GET /b HTTP/1.1\r\n"+host+"Upgrade: echo\r\nConnection: Upgrade\r\n\r\nfirst no line end;")
	resp, err = http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	time.Sleep(300 * time.Millisecond) // past the head timeout
	long := strings.Repeat("x", 200)   // past MaxHeadBytes, without a line end
	io.WriteString(c, long)
	want := "first no line end;" + long
	got := make([]byte, len(want))
	if _, err := io.ReadFull(br, got); err != nil {
		t.Fatalf("echo after the switch: %v (read %q)", err, got)
	}
	if string(got) != want {
		t.Fatalf("echo after the switch: %q, want %q", got, want)
	}
}
