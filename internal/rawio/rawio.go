// Package rawio reads and writes TCP sockets without the runtime's system
// call bookkeeping (Linux; elsewhere New returns nil and callers use the
// connection itself).
//
// Why: a socket is non-blocking under Go's netpoller, so a read or write
// never blocks in the kernel (EAGAIN waits in the netpoller instead) and
// need not tell the scheduler it might (entersyscall). That bookkeeping
// has a cost beyond its own: each system call entered while the
// runtime's monitor thread (sysmon) sleeps because the only P was idle
// wakes it, with its poll interval reset to 20 microseconds, and it then
// polls at that rate for at least another millisecond. A server whose P
// goes idle between misses (waiting for the origin and the viewers) keeps
// it polling for as long as misses come: about 4% of a CPU, a tenth of a
// cold fill's CPU (bench/FILL-RESULTS.md). The edge's miss path makes its
// socket calls through this package (the origin request and response in
// internal/origin's plain-HTTP client, the response in internal/fastpath)
// and fastpath's epoll loop makes its own raw (poller_linux.go), so that a
// miss enters no system call the scheduler is told about.
//
// The calls go through syscall.RawConn, so deadlines, the wait for
// readiness and closing behave as with the net.Conn's own Read and Write;
// errors have the same shape (*net.OpError, Op "read" or "write").
//
// Send timeout (SetSendTimeout): a write that finds the socket's send
// buffer full arms the write deadline, and moves it each time the socket
// takes more bytes, so a peer that stops reading fails the write after
// the timeout while a slow one that keeps reading never does. A write the
// socket takes at once reads no clock and sets no deadline. ReadFrom
// sends a file with sendfile(2) under the same rule.
package rawio

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// Conn reads and writes one TCP connection. Reads and writes may run
// concurrently with each other, each from one goroutine at a time (as
// net.Conn's are used by its callers here).
type Conn struct {
	nc net.Conn
	tc *net.TCPConn
	rc syscall.RawConn
	r  op // the read in progress
	w  op // the write in progress
}

// op is one Read or Write: its buffer, progress and error, and the
// RawConn callback bound to it once (a closure per call would allocate).
// A write sends b, then b2 (Writev).
type op struct {
	fn  func(fd uintptr) bool
	b   []byte
	b2  []byte
	n   int
	err error

	// The send timeout's state (writes only): armedAt is n when the
	// write deadline was last set during this call, -1 when it was not.
	tc          *net.TCPConn
	sendTimeout time.Duration
	armedAt     int
	outq        int // the send queue's length when it was set (unsentBytes)
	// sendfile's source descriptor and the bytes it has left to send
	// (ReadFrom).
	src    int
	remain int64
}

// New returns a Conn for nc, or nil when nc is not a *net.TCPConn or the
// system is not Linux.
func New(nc net.Conn) *Conn {
	if !supported {
		return nil
	}
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	c := &Conn{nc: nc, tc: tc, rc: rc}
	c.r.fn, c.w.fn = c.r.read, c.w.write
	c.w.tc, c.w.armedAt = tc, -1
	return c
}

// SetSendTimeout sets how long a Write, Writev or ReadFrom may wait for
// the peer to take bytes (zero, the default: for ever). Once it passes
// without progress the call fails with os.ErrDeadlineExceeded, and the
// connection is set to be reset when closed (SO_LINGER 0: RFC 9293's
// ABORT, which drops the bytes the peer never took rather than keep
// offering them to it). It uses the connection's write deadline, which
// it clears after a call that armed it and succeeded: a caller's own
// write deadline does not survive a write that had to wait. Not safe to
// call during a write.
func (c *Conn) SetSendTimeout(d time.Duration) { c.w.sendTimeout = d }

// Read reads up to len(b) bytes, waiting in the netpoller for data (until
// the read deadline); io.EOF at the end of the stream.
func (c *Conn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	c.r.b, c.r.n, c.r.err = b, 0, nil
	err := c.rc.Read(c.r.fn)
	n, opErr := c.r.n, c.r.err
	c.r.b, c.r.err = nil, nil
	if err == nil && opErr == nil && n == 0 {
		return 0, io.EOF
	}
	return n, c.wrap("read", err, opErr)
}

// Write writes all of b, waiting in the netpoller while the socket's
// buffer is full (until the write deadline).
func (c *Conn) Write(b []byte) (int, error) {
	return c.Writev(b, nil)
}

// Writev writes all of b, then all of b2, with writev-like system calls
// (sendmsg) while both have bytes left; it waits as Write does.
func (c *Conn) Writev(b, b2 []byte) (int, error) {
	if len(b)+len(b2) == 0 {
		return 0, nil
	}
	c.w.b, c.w.b2, c.w.n, c.w.err = b, b2, 0, nil
	err := c.write(c.w.fn)
	n, opErr := c.w.n, c.w.err
	c.w.b, c.w.b2, c.w.err = nil, nil, nil
	return n, c.wrap("write", c.w.settle(err), opErr)
}

// ReadFrom sends r to the connection: with sendfile(2) when r is an
// *os.File or an *io.LimitedReader of one (net.TCPConn's ReadFrom
// does the same), else through Write, 32 KiB at a time. It waits as
// Write does.
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	lr, _ := r.(*io.LimitedReader)
	remain := int64(1<<63 - 1)
	f, ok := r.(*os.File)
	if lr != nil {
		f, ok = lr.R.(*os.File)
		remain = lr.N
	}
	if !ok || !supported {
		return io.Copy(writerOnly{c}, r)
	}
	if remain <= 0 {
		return 0, nil
	}
	src, err := f.SyscallConn()
	if err != nil {
		return io.Copy(writerOnly{c}, r)
	}
	c.w.remain, c.w.n, c.w.err = remain, 0, nil
	var rawErr error
	cerr := src.Control(func(fd uintptr) {
		c.w.src = int(fd)
		rawErr = c.write(c.w.sendfile)
	})
	written := remain - c.w.remain
	opErr := c.w.err
	c.w.err = nil
	if lr != nil {
		lr.N -= written
	}
	if cerr != nil && rawErr == nil {
		return written, cerr
	}
	return written, c.wrap("sendfile", c.w.settle(rawErr), opErr)
}

type writerOnly struct{ io.Writer }

// write runs a write callback under RawConn.Write. When the send
// timeout passes, the peer may still have been taking bytes: the kernel
// wakes a writer only once a third of the send buffer is free, which a
// slow reader behind a large buffer may take longer than the timeout to
// free. So the write goes on, with the deadline moved, when the send
// queue is shorter than it was when the deadline was set.
func (c *Conn) write(fn func(fd uintptr) bool) error {
	for {
		err := c.rc.Write(fn)
		if err == nil || c.w.armedAt < 0 || !errors.Is(err, os.ErrDeadlineExceeded) || !c.drained() {
			return err
		}
		c.tc.SetWriteDeadline(time.Now().Add(c.w.sendTimeout))
	}
}

// drained reports whether the send queue is shorter than when the
// deadline was last set, and records its length.
func (c *Conn) drained() bool {
	var shorter bool
	c.rc.Control(func(fd uintptr) {
		if q := unsentBytes(int(fd)); q >= 0 && q < c.w.outq {
			c.w.outq, shorter = q, true
		}
	})
	return shorter
}

// arm moves the write deadline to sendTimeout from now, when the socket
// took bytes since it was last moved (or it was not set in this call):
// the wait for room that follows ends after sendTimeout without
// progress. Called from the RawConn callback as it returns false.
func (o *op) arm(fd uintptr) {
	if o.sendTimeout <= 0 || o.n == o.armedAt {
		return
	}
	o.armedAt = o.n
	o.outq = unsentBytes(int(fd))
	o.tc.SetWriteDeadline(time.Now().Add(o.sendTimeout))
}

// settle ends a write's send timeout: a deadline it armed is cleared
// after success, so that a later write or wait does not meet it; after
// the timeout it stays (past), and the connection is set to be reset
// when closed.
func (o *op) settle(err error) error {
	if o.armedAt < 0 {
		return err
	}
	o.armedAt = -1
	if err == nil {
		o.tc.SetWriteDeadline(time.Time{})
	} else if errors.Is(err, os.ErrDeadlineExceeded) {
		o.tc.SetLinger(0)
	}
	return err
}

// wrap returns the error of an operation as net.Conn's Read or Write
// would: rawErr from RawConn (a deadline, a closed connection), or the
// system call's errno.
func (c *Conn) wrap(opName string, rawErr, opErr error) error {
	err := opErr
	if rawErr != nil {
		var oe *net.OpError
		if errors.As(rawErr, &oe) {
			err = oe.Err // RawConn's "raw-read"/"raw-write" wrapper
		} else {
			err = rawErr
		}
	}
	if err == nil {
		return nil
	}
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError(opName, errno)
	}
	return &net.OpError{Op: opName, Net: "tcp", Source: c.nc.LocalAddr(), Addr: c.nc.RemoteAddr(), Err: err}
}
