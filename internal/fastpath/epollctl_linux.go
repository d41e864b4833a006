package fastpath

import (
	"syscall"
	"unsafe"
)

// epollCtl is syscall.EpollCtl made raw, as the epoll loop's other calls
// (poller_linux.go): epoll_ctl never blocks. The connection goroutine's
// park and the loop's hand-back call it once each per declined request
// (every miss), and a system call the scheduler is told about there wakes
// the runtime's monitor thread whenever the P was idle, which then polls
// every 20 microseconds (package rawio has the figures).
func epollCtl(epfd, op, fd int, ev *syscall.EpollEvent) error {
	_, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, uintptr(epfd), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
