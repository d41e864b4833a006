//go:build !linux

package fastpath

import (
	"net"
	"time"
)

// poller is the epoll loop (poller_linux.go); elsewhere the goroutine
// loop serves every connection.
type poller struct{}

func newPollers(int, time.Duration, Handler) []*poller { return nil }
func connFD(net.Conn) int                              { return -1 }
func (*poller) park(*conn, []byte, time.Time) bool     { return false }
func (*poller) evictAll()                              {}
func (*poller) servedHere() uint64                     { return 0 }
func (*conn) attach() bool                             { return true }
func (*conn) closeDetached()                           {}
