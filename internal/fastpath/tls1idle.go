package fastpath

import "time"

// An idle HTTPS/1.1 keep-alive connection holds none of the loop's
// buffers. Browsers keep connections open and idle for minutes; the 8 KiB
// read array and a write buffer of up to idleOutSize each would cost an
// operator hundreds of MiB per 10,000 idle viewers (and let endless slow
// connections cost that much). Plain connections wait in the epoll loop
// (poller_linux.go), which reads into their buffers; a TLS connection
// waits in its own goroutine. So when every byte read has been answered
// (no head in progress), the buffers, with out as their write buffer, go
// back to bufPool and the read lands in the connection's small array; once
// it returns, the connection takes buffers from the pool again and copies
// what it read into in. A head larger than the array continues into in
// with the next read, which costs no system call: crypto/tls keeps the
// rest of the record it decrypted.
//
// Lifetime: nothing keeps a slice of the buffers past the read point. The
// spare slice a declined request's background read fills (respond.go) is
// done with when serveHTTP returns (backgroundRead.stop waits for the
// read), and handOver copies the bytes it hands over.

// tls1IdleReadSize is the idle read's size: one request head (wrk's are
// about 80 bytes, a browser's 400 to 1,500 with its cookies).
const tls1IdleReadSize = 2 << 10

// releaseBuffers gives bufs back to the pool with out as its write
// buffer, unless out grew past idleOutSize.
func releaseBuffers(bufs *buffers, out []byte) {
	bufs.out = out[:0]
	if cap(bufs.out) > idleOutSize {
		bufs.out = nil
	}
	bufPool.Put(bufs)
}

// idleRead waits for the next request on a TLS connection without
// holding buffers: it gives bufs (and out) back, reads into the
// connection's small array and, when something came, takes buffers again
// with what it read at the start of in. On an error with nothing read it
// returns nil buffers (the connection ends).
func (c *conn) idleRead(bufs *buffers, out []byte) (_ *buffers, end int, received time.Time, err error) {
	releaseBuffers(bufs, out)
	c.bufs = nil
	if c.idle == nil {
		c.idle = new([tls1IdleReadSize]byte)
	}
	n, err := c.nc.Read(c.idle[:])
	received = time.Now()
	if n == 0 && err != nil {
		return nil, 0, received, err
	}
	bufs = bufPool.Get().(*buffers)
	c.bufs = bufs
	return bufs, copy(bufs.in[:], c.idle[:n]), received, nil
}
