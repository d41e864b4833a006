package functions

import "golang.org/x/sys/unix"

// threadClock is the CPU-time clock of the calling OS thread (the caller
// has locked its goroutine to the thread): the clock id glibc's
// pthread_getcpuclockid makes, MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED),
// which another thread can read too (clock_gettime(2)).
func threadClock() (int32, bool) {
	tid := unix.Gettid()
	return int32(^uint32(tid)<<3 | 6), true
}

// readClock returns the clock's time in nanoseconds, or -1.
func readClock(id int32) int64 {
	var ts unix.Timespec
	if unix.ClockGettime(id, &ts) != nil {
		return -1
	}
	return ts.Nano()
}
