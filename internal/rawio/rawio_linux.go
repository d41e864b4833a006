package rawio

import (
	"io"
	"syscall"
	"unsafe"
)

const supported = true

// read is the RawConn.Read callback: false asks the netpoller to wait
// until the socket is readable (EAGAIN), then call it again.
func (o *op) read(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(o.b))), uintptr(len(o.b)))
		switch e {
		case 0:
			o.n = int(n)
			return true
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			o.err = e
			return true
		}
	}
}

// write is the RawConn.Write callback: it writes until all of o.b is
// written, or returns false to wait for room (EAGAIN).
func (o *op) write(fd uintptr) bool {
	for o.n < len(o.b) {
		p := o.b[o.n:]
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
		switch e {
		case 0:
			if n == 0 {
				o.err = io.ErrShortWrite // cannot happen on a socket; do not spin
				return true
			}
			o.n += int(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			o.err = e
			return true
		}
	}
	return true
}
