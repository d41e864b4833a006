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
