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
		n, err := Read(int(fd), o.b)
		switch err {
		case nil:
			o.n = n
			return true
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			o.err = err
			return true
		}
	}
}

// write is the RawConn.Write callback: it writes until all of o.b is
// written, or returns false to wait for room (EAGAIN).
func (o *op) write(fd uintptr) bool {
	for o.n < len(o.b) {
		n, err := Write(int(fd), o.b[o.n:])
		switch err {
		case nil:
			if n == 0 {
				o.err = io.ErrShortWrite // cannot happen on a socket; do not spin
				return true
			}
			o.n += n
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			o.err = err
			return true
		}
	}
	return true
}

// Read is recv(2) on a descriptor that never blocks (a non-blocking
// socket), made without the scheduler's bookkeeping; the error is a
// syscall.Errno. Conn's reads and internal/fastpath's epoll loop use it.
// recvfrom, not read: on a socket it goes straight to the socket layer,
// skipping the file layer's checks read(2) makes first; measured with
// bench/floor.c, about 1.5% less CPU per 1 KiB hit (bench/EPOLL-RESULTS.md).
func Read(fd int, b []byte) (int, error) {
	n, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), 0, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

// Write is send(2) as Read is recv(2). MSG_NOSIGNAL: a viewer that has
// gone gets EPIPE without a SIGPIPE for the runtime to field.
func Write(fd int, b []byte) (int, error) {
	n, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), syscall.MSG_NOSIGNAL, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}
