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

// write is the RawConn.Write callback: it writes until all of o.b and
// o.b2 is written, or returns false to wait for room (EAGAIN), having
// armed the send timeout.
func (o *op) write(fd uintptr) bool {
	for total := len(o.b) + len(o.b2); o.n < total; {
		var n int
		var err error
		switch {
		case o.n >= len(o.b):
			n, err = Write(int(fd), o.b2[o.n-len(o.b):])
		case len(o.b2) > 0:
			n, err = Writev(int(fd), o.b[o.n:], o.b2)
		default:
			n, err = Write(int(fd), o.b[o.n:])
		}
		switch err {
		case nil:
			if n == 0 {
				o.err = io.ErrShortWrite // cannot happen on a socket; do not spin
				return true
			}
			o.n += n
		case syscall.EINTR:
		case syscall.EAGAIN:
			o.arm(fd)
			return false
		default:
			o.err = err
			return true
		}
	}
	return true
}

// sendfile is ReadFrom's RawConn.Write callback: it sends from o.src
// (its file offset, which moves) until o.remain bytes are sent or the
// file ends, or returns false to wait for room, as write does. o.n
// counts the bytes sent, for the send timeout.
func (o *op) sendfile(fd uintptr) bool {
	for o.remain > 0 {
		n, err := syscall.Sendfile(int(fd), o.src, nil, int(min(o.remain, 4<<20)))
		switch err {
		case nil:
			if n == 0 {
				return true // the end of the file
			}
			o.n += n
			o.remain -= int64(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			if n > 0 {
				o.n += n
				o.remain -= int64(n)
			}
			o.arm(fd)
			return false
		default:
			o.err = err
			return true
		}
	}
	return true
}

// unsentBytes is the length of fd's send queue: bytes not yet sent or
// not yet acknowledged (SIOCOUTQ, tcp(7)); -1 if it cannot tell.
func unsentBytes(fd int) int {
	var n int32
	if _, _, e := syscall.RawSyscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&n))); e != 0 {
		return -1
	}
	return int(n)
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

// Writev is Write of a, then b, in one sendmsg(2) (writev with
// MSG_NOSIGNAL); both must be non-empty.
func Writev(fd int, a, b []byte) (int, error) {
	var iov [2]syscall.Iovec
	iov[0].Base, iov[1].Base = unsafe.SliceData(a), unsafe.SliceData(b)
	iov[0].SetLen(len(a))
	iov[1].SetLen(len(b))
	msg := syscall.Msghdr{Iov: &iov[0], Iovlen: 2} // (the type of Iovlen varies by architecture)
	n, _, e := syscall.RawSyscall(syscall.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), syscall.MSG_NOSIGNAL)
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}
