package fastpath

import (
	"io"
	"net"

	"openfront/internal/rawio"
)

// The send timeout (Server.SendTimeout) closes an HTTP/1.1 connection
// whose viewer stops taking the response: its pending bytes made no
// progress for that long. It is a progress timeout, not a deadline on the
// response: the write deadline is armed only when a write finds the
// socket's buffer full, and moved each time the socket takes more
// (package rawio), so a slow viewer that keeps reading downloads a large
// object to its end, and a small response the socket takes at once costs
// nothing (no clock read, no deadline, no system call beyond its send).
// The connection is then reset (SO_LINGER 0), which drops the bytes the
// viewer never took. Every write of an HTTP/1.1 connection goes through
// it:
//
//   - plain connections on their goroutine (hits the epoll loop handed
//     back because the socket did not take them whole, or with a body
//     from writevSize up, which the loop never writes itself: its writes
//     never wait), declined requests' responses (sendfile for disk hits
//     included) and, after a handover, net/http's (replayConn);
//   - TLS connections, through the TCP connection under the *tls.Conn
//     (sendConn), on this package's loop and after a handover alike.
//
// HTTP/2 connections use the same duration for their writes and for a
// stream's wait for flow control window (h2conn.writeTime). On systems
// other than Linux (no package rawio) HTTP/1.1 connections have no send
// timeout.

// rawConn returns the raw form of a plain connection, with the send
// timeout set, making it on first use; nil on a TLS connection or where
// package rawio does not serve.
func (c *conn) rawConn() *rawio.Conn {
	if c.tls != nil {
		return nil
	}
	if c.raw == nil {
		if c.raw = rawio.New(c.nc); c.raw != nil {
			c.raw.SetSendTimeout(c.s.SendTimeout)
		}
	}
	return c.raw
}

// writev sends a, then b, whole: in one system call when the socket takes
// them (as net.Buffers' WriteTo), else waiting under the send timeout.
func (c *conn) writev(a, b []byte) error {
	if raw := c.rawConn(); raw != nil {
		_, err := raw.Writev(a, b)
		return err
	}
	bs := net.Buffers{a, b}
	_, err := bs.WriteTo(c.nc)
	return err
}

// sendConn is the TCP connection under a TLS connection, when there is a
// send timeout: its writes are the raw form's, with the timeout set once
// the handshake is done (the handshake has its own deadline), and the
// methods net/http uses on a *net.TCPConn (CloseWrite) are kept.
type sendConn struct {
	*net.TCPConn
	raw *rawio.Conn
}

// newSendConn returns nc as a sendConn, or nc itself when nc is not a
// *net.TCPConn or package rawio does not serve.
func newSendConn(nc net.Conn) net.Conn {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nc
	}
	raw := rawio.New(tc)
	if raw == nil {
		return nc
	}
	return &sendConn{TCPConn: tc, raw: raw}
}

func (c *sendConn) Write(p []byte) (int, error) { return c.raw.Write(p) }

// ReadFrom is not the *net.TCPConn's: bytes under TLS are written by the
// *tls.Conn, and nothing else may bypass the timeout.
func (c *sendConn) ReadFrom(r io.Reader) (int64, error) { return c.raw.ReadFrom(r) }
