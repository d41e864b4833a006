package rawio_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"openfront/internal/rawio"
)

// pair returns both ends of a loopback TCP connection, the first wrapped.
func pair(t *testing.T) (*rawio.Conn, net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer := <-accepted
	if peer == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { c.Close(); peer.Close() })
	raw := rawio.New(c)
	if raw == nil {
		if runtime.GOOS == "linux" {
			t.Fatal("New returned nil for a TCP connection on Linux")
		}
		t.Skip("raw I/O is Linux only")
	}
	return raw, c, peer
}

func TestNew_notTCP(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if rawio.New(a) != nil {
		t.Fatal("New wrapped a net.Pipe")
	}
}

// Bytes written through the raw form arrive in order, including a write
// far larger than the socket buffers (it waits for room, EAGAIN, while
// the peer reads slowly), and reads return what the peer sent, then EOF.
func TestReadWrite_roundTrip(t *testing.T) {
	raw, _, peer := pair(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB
	got := make(chan []byte, 1)
	go func() {
		var buf bytes.Buffer
		chunk := make([]byte, 64<<10)
		for buf.Len() < len(big) {
			time.Sleep(100 * time.Microsecond) // a slow reader: the writer fills the buffers
			n, err := peer.Read(chunk)
			buf.Write(chunk[:n])
			if err != nil {
				break
			}
		}
		got <- buf.Bytes()
	}()
	if n, err := raw.Write(big); n != len(big) || err != nil {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(big))
	}
	if b := <-got; !bytes.Equal(b, big) {
		t.Fatalf("peer got %d bytes, not the %d written", len(b), len(big))
	}

	go func() {
		peer.Write([]byte("hello"))
		peer.Close()
	}()
	b, err := io.ReadAll(raw)
	if err != nil || string(b) != "hello" {
		t.Fatalf("ReadAll = %q, %v; want hello, nil (io.EOF at the end)", b, err)
	}
	if n, err := raw.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Fatalf("Read after EOF = %d, %v", n, err)
	}
	if n, err := raw.Read(nil); n != 0 || err != nil {
		t.Fatalf("Read(nil) = %d, %v", n, err)
	}
}

// Deadlines hold as on the net.Conn: a read with no data and a write the
// peer never takes end with a timeout of net.Conn's shape.
func TestDeadlines(t *testing.T) {
	raw, c, _ := pair(t)
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := raw.Read(make([]byte, 10))
	checkTimeout(t, "read", err)

	c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	big := make([]byte, 64<<20) // more than the socket buffers hold
	n, err := raw.Write(big)
	if n == len(big) {
		t.Fatal("a 64 MiB write to a peer that does not read completed")
	}
	checkTimeout(t, "write", err)
}

func checkTimeout(t *testing.T, op string, err error) {
	t.Helper()
	var ne net.Error
	var oe *net.OpError
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("%s past the deadline: %v, want a timeout", op, err)
	}
	if !errors.As(err, &oe) || oe.Op != op {
		t.Fatalf("%s error %#v, want a *net.OpError with Op %q", op, err, op)
	}
}

// Errors from the system call and from a closed connection keep net's
// shape, so callers that test for them (errors.Is) see the same thing.
func TestErrors(t *testing.T) {
	raw, c, peer := pair(t)
	// The peer resets the connection (SO_LINGER 0): writes then fail
	// with ECONNRESET or EPIPE, as a net.Conn's do.
	peer.(*net.TCPConn).SetLinger(0)
	peer.Close()
	time.Sleep(20 * time.Millisecond)
	var err error
	for range 100 {
		if _, err = raw.Write([]byte("after reset")); err != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("write to a reset connection: %v, want ECONNRESET or EPIPE", err)
	}
	var se *os.SyscallError
	if !errors.As(err, &se) || se.Syscall != "write" {
		t.Fatalf("write error %#v, want an *os.SyscallError for write", err)
	}

	c.Close()
	if _, err := raw.Read(make([]byte, 4)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read on a closed connection: %v, want net.ErrClosed", err)
	}
	if _, err := raw.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write on a closed connection: %v, want net.ErrClosed", err)
	}
}

// Reads and writes that need no wait allocate nothing (a miss makes two
// of them).
func TestAllocs(t *testing.T) {
	raw, _, peer := pair(t)
	msg, buf := []byte("0123456789"), make([]byte, 10)
	go io.Copy(peer, peer) // echo
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := raw.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(raw, buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Fatalf("%.1f allocations per write and read, want 0", allocs)
	}
}

// smallBuffers shrinks both ends' socket buffers, so that a peer that
// does not read fills them with little.
func smallBuffers(t *testing.T, c, peer net.Conn) {
	t.Helper()
	if err := c.(*net.TCPConn).SetWriteBuffer(8 << 10); err != nil {
		t.Fatal(err)
	}
	if err := peer.(*net.TCPConn).SetReadBuffer(4 << 10); err != nil {
		t.Fatal(err)
	}
}

// A peer that stops reading fails a Write after the send timeout, and the
// connection is then reset when closed; the same Write to a peer that
// reads slowly but steadily (each read well within the timeout, the
// whole transfer far longer than it) succeeds, and leaves no deadline
// behind.
func TestConn_SetSendTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	body := bytes.Repeat([]byte("x"), 2<<20)

	t.Run("stalled", func(t *testing.T) {
		raw, c, peer := pair(t)
		smallBuffers(t, c, peer)
		raw.SetSendTimeout(timeout)
		start := time.Now()
		_, err := raw.Write(body)
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Write to a peer that does not read: %v, want a deadline error", err)
		}
		if d := time.Since(start); d < timeout || d > 10*timeout {
			t.Fatalf("Write failed after %v, want about %v", d, timeout)
		}
		c.Close()
		peer.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.Copy(io.Discard, peer)
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("peer reading after the close: %v, want a reset", err)
		}
	})

	t.Run("slow reader", func(t *testing.T) {
		raw, c, peer := pair(t)
		// Buffers of a few segments: loopback's are 64 KiB, and a
		// receive window under one does not open as the peer reads.
		c.(*net.TCPConn).SetWriteBuffer(256 << 10)
		peer.(*net.TCPConn).SetReadBuffer(256 << 10)
		body := bytes.Repeat([]byte("x"), 8<<20)
		raw.SetSendTimeout(timeout)
		got := make(chan int64, 1)
		go func() {
			var n int64
			buf := make([]byte, 128<<10)
			for n < int64(len(body)) {
				time.Sleep(timeout / 8)
				k, err := peer.Read(buf)
				n += int64(k)
				if err != nil {
					break
				}
			}
			got <- n
		}()
		start := time.Now()
		if n, err := raw.Writev(body[:100], body[100:]); err != nil || n != len(body) {
			t.Fatalf("Writev to a slow reader: %d, %v", n, err)
		}
		if n := <-got; n != int64(len(body)) {
			t.Fatalf("peer read %d bytes, want %d", n, len(body))
		}
		if d := time.Since(start); d < 2*timeout {
			t.Skipf("the transfer took %v: too fast to show the deadline moving", d)
		}
		// No deadline left: a write after a pause longer than the timeout
		// succeeds.
		time.Sleep(2 * timeout)
		if _, err := raw.Write([]byte("more")); err != nil {
			t.Fatalf("Write after the pause: %v", err)
		}
	})
}

// ReadFrom sends a file section with sendfile and moves the
// LimitedReader; a stalled peer fails it after the send timeout.
func TestConn_ReadFrom(t *testing.T) {
	raw, c, peer := pair(t)
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	f, err := os.CreateTemp(t.TempDir(), "body")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(body); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(10, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(peer, int64(len(body)-20)))
		got <- b
	}()
	lr := &io.LimitedReader{R: f, N: int64(len(body) - 20)}
	if n, err := raw.ReadFrom(lr); err != nil || n != int64(len(body)-20) || lr.N != 0 {
		t.Fatalf("ReadFrom: %d, %v (N left %d)", n, err, lr.N)
	}
	if b := <-got; !bytes.Equal(b, body[10:len(body)-10]) {
		t.Fatalf("peer got %d bytes, not the section sent", len(b))
	}

	smallBuffers(t, c, peer)
	raw.SetSendTimeout(200 * time.Millisecond)
	f.Seek(0, io.SeekStart)
	if _, err := raw.ReadFrom(f); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("ReadFrom to a peer that does not read: %v, want a deadline error", err)
	}
}
