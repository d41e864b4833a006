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
package rawio

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// Conn reads and writes one TCP connection. Reads and writes may run
// concurrently with each other, each from one goroutine at a time (as
// net.Conn's are used by its callers here).
type Conn struct {
	nc net.Conn
	rc syscall.RawConn
	r  op // the read in progress
	w  op // the write in progress
}

// op is one Read or Write: its buffer, progress and error, and the
// RawConn callback bound to it once (a closure per call would allocate).
type op struct {
	fn  func(fd uintptr) bool
	b   []byte
	n   int
	err error
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
	c := &Conn{nc: nc, rc: rc}
	c.r.fn, c.w.fn = c.r.read, c.w.write
	return c
}

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
	if len(b) == 0 {
		return 0, nil
	}
	c.w.b, c.w.n, c.w.err = b, 0, nil
	err := c.rc.Write(c.w.fn)
	n, opErr := c.w.n, c.w.err
	c.w.b, c.w.err = nil, nil
	return n, c.wrap("write", err, opErr)
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
