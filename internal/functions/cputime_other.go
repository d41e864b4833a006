//go:build !linux

package functions

// threadClock: no per-thread CPU clock here; runs are limited by
// wall-clock time.
func threadClock() (int32, bool) { return 0, false }

func readClock(int32) int64 { return -1 }
