//go:build linux

package fastpath

import (
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"openfront/internal/rawio"
)

// poller serves plain keep-alive connections between requests without a
// goroutine switch or a read that finds nothing: see doc.go ("The epoll
// loop"). Its epoll set holds the connections parked by their goroutines
// (edge-triggered: see watch); the epoll fd itself is waited on
// through Go's netpoller, so no thread ever blocks in epoll_wait.
type poller struct {
	epfd   int
	file   *os.File // epfd, registered in Go's netpoller
	raw    syscall.RawConn
	idle   time.Duration // Server.IdleTimeout
	mu     sync.Mutex    // held while a batch is served, and by park and release
	conns  []*conn       // parked connections by descriptor (nil: not parked here)
	parked int
	// handbacks counts the connections handed back, detaches those
	// detached (tests read them).
	handbacks, detaches int
	// served counts the requests Handler answered here (Stats adds it
	// up): under mu, so that a hit adds to no counter another core
	// writes.
	served uint64
	events [128]syscall.EpollEvent
	batch  [128]batchConn // the batch poll serves (a field: nothing allocated)
	// batcher is Handler when it is a Batcher, scratch its scratch for
	// this loop.
	batcher Batcher
	scratch any
	done    chan struct{}
}

// newPollers starts n loops, or none when epoll is unavailable (the
// goroutine loop then serves every connection, as on other systems).
func newPollers(n int, idle time.Duration, h Handler) []*poller {
	var ps []*poller
	for range n {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			break
		}
		if err := syscall.SetNonblock(epfd, true); err != nil {
			syscall.Close(epfd)
			break
		}
		f := os.NewFile(uintptr(epfd), "fastpath-epoll")
		raw, err := f.SyscallConn()
		if err != nil {
			f.Close()
			break
		}
		p := &poller{epfd: epfd, file: f, raw: raw, idle: idle, done: make(chan struct{})}
		if b, ok := h.(Batcher); ok {
			p.batcher, p.scratch = b, b.NewBatch()
		}
		go p.run()
		go p.sweep()
		ps = append(ps, p)
	}
	return ps
}

// connFD returns a plain TCP connection's descriptor, or -1.
func connFD(nc net.Conn) int {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return -1
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	rc.Control(func(s uintptr) { fd = int(s) })
	return fd
}

// park gives an idle connection (nothing unanswered, nothing unsent) to
// the loop and blocks until the loop hands it back in c.res; false when
// it could not (shutting down), and the goroutine reads itself. Adding a
// connection with bytes already waiting reports it at once.
func (p *poller) park(c *conn, out []byte, received time.Time) bool {
	p.mu.Lock()
	if c.s.closing.Load() {
		p.mu.Unlock()
		return false
	}
	if err := p.watch(syscall.EPOLL_CTL_ADD, c.fd); err != nil {
		p.mu.Unlock()
		return false
	}
	c.res = resume{out: out[:0], received: received}
	p.hold(c, c.fd)
	p.parked++
	p.mu.Unlock()
	<-c.wake
	return true
}

// watch adds fd to the loop's set (EPOLL_CTL_ADD), or re-arms it
// (EPOLL_CTL_MOD), for the event a parked connection waits for.
// Edge-triggered: epoll reports a connection once per arrival of bytes,
// not again at every wait until a read finds nothing. Level-triggered, each wait
// after a hit polled the socket once more only to drop it (about 1.5% of
// a 1 KiB hit's CPU, bench/EPOLL-RESULTS.md). The price is the rules
// send keeps: a read that filled the buffer may have left bytes behind,
// and no new event will tell of them, so send re-arms the connection
// (EPOLL_CTL_MOD reports it again if bytes are waiting); and the
// viewer's close reported with its last bytes is not reported again, so
// send hands the connection back (hup).
func (p *poller) watch(op, fd int) error {
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLET&0xffffffff, Fd: int32(fd)}
	return epollCtl(p.epfd, op, fd, &ev)
}

// hold records c as the parked connection of descriptor fd (p.mu held).
func (p *poller) hold(c *conn, fd int) {
	if fd >= len(p.conns) {
		p.conns = append(p.conns, make([]*conn, fd+1-len(p.conns))...)
	}
	p.conns[fd] = c
}

// detachAfter is how many hits in a row the loop answers for a
// connection before it detaches it (a variable for tests).
var detachAfter = 32

// detach takes a parked connection out of Go's netpoller (p.mu held).
// Go registers every socket it opens with its own epoll set, so a parked
// connection's bytes were reported twice, to the loop and to Go's
// netpoller, which had no goroutine to wake for them but still polled
// the socket each time the scheduler looked for work: about 4% of a
// 1 KiB hit's CPU (bench/EPOLL-RESULTS.md). There is no API to take a
// socket out of Go's netpoller but closing it, so the loop keeps a
// duplicate descriptor of the socket and closes the net.Conn (Go removes
// its descriptor from its set as it closes it; the socket stays open
// through the duplicate). That costs a few system calls, and attach as
// many more, so only a connection that has answered detachAfter hits in
// the loop is detached: one that alternates hits and misses stays as it
// is. It stays in the loop as it was when this fails.
func (p *poller) detach(c *conn) {
	r, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(c.fd), syscall.F_DUPFD_CLOEXEC, 0)
	if e != 0 {
		return
	}
	fd := int(r)
	if p.watch(syscall.EPOLL_CTL_ADD, fd) != nil {
		syscall.Close(fd)
		return
	}
	epollCtl(p.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
	p.conns[c.fd] = nil
	c.nc.Close()
	p.hold(c, fd)
	c.fd, c.detached = fd, true
	p.detaches++
}

// attach makes a detached connection a net.Conn again, when the loop
// hands it back for anything but closing; false (the descriptor closed)
// when that fails. The goroutine calls it before using c.nc.
func (c *conn) attach() bool {
	if !c.detached {
		return true
	}
	f := os.NewFile(uintptr(c.fd), "")
	nc, err := net.FileConn(f) // a descriptor of its own, in Go's netpoller
	f.Close()
	c.detached = false
	if err != nil {
		return false
	}
	c.s.mu.Lock() // Shutdown reads c.nc
	c.nc = nc
	c.s.mu.Unlock()
	c.fd, c.raw = connFD(nc), nil // raw was made from the closed net.Conn
	return c.fd >= 0
}

// closeDetached closes a detached connection's descriptor (the
// goroutine, as it ends).
func (c *conn) closeDetached() {
	if c.detached {
		syscall.Close(c.fd)
		c.detached = false
	}
}

// servedHere is served, read under mu.
func (p *poller) servedHere() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.served
}

// release hands a connection back to its goroutine (p.mu held).
func (p *poller) release(c *conn) {
	epollCtl(p.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
	p.conns[c.fd] = nil
	p.parked--
	p.handbacks++
	c.inLoop = 0
	c.wake <- struct{}{}
}

// evictAll hands every parked connection back to be closed (Shutdown:
// they are idle) and stops the loop; later parks fail, as closing is set.
func (p *poller) evictAll() {
	p.mu.Lock()
	for _, c := range p.conns {
		if c != nil {
			c.res.exit = true
			p.release(c)
		}
	}
	p.mu.Unlock()
	close(p.done)
	p.file.Close()
}

// yieldAfter bounds how long the loop serves batch after batch before
// the other goroutines of its P run (connections handed back, new ones).
const yieldAfter = 100 * time.Microsecond

func (p *poller) run() {
	serve := p.serveBatches // one func value for the loop's life, not one per wait
	for {
		// The callback runs after the netpoller's readiness state was
		// reset, so an event that comes after an empty epoll_wait wakes
		// the wait that follows it: no event is lost.
		if err := p.raw.Read(serve); err != nil {
			return // closed by evictAll
		}
		// Served for yieldAfter. Pass through the scheduler: a goroutine
		// that never does looks stuck to the runtime's monitor, which
		// preempts it, and others would wait for that.
		runtime.Gosched()
	}
}

// serveBatches serves batches of ready connections until none is ready
// (false: wait in the netpoller) or for yieldAfter (true).
func (p *poller) serveBatches(uintptr) bool {
	var first time.Time
	for {
		n, now := p.poll()
		switch {
		case n == 0:
			return false
		case n < 0:
			continue
		case first.IsZero():
			first = now
		case now.Sub(first) >= yieldAfter:
			return true
		}
	}
}

// poll serves one batch of ready connections and returns how many there
// were (-1: interrupted, try again; 0 also after Shutdown closed the
// epoll descriptor: the wait then sees the close) and when it started.
//
// The batch is served in three passes: every read, then every answer,
// then every write. Each pass runs one code path (the kernel's receive,
// the Handler's, the kernel's send with the loopback delivery to the
// viewer) for the whole batch, so its code and data stay in the CPU's
// caches from one connection to the next; served one connection at a
// time, each request found them evicted by the other two paths
// (bench/EPOLL-RESULTS.md: 1.2% less CPU per 1 KiB hit).
func (p *poller) poll() (n int, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, err := epollWait(p.epfd, p.events[:])
	if err != nil {
		if err == syscall.EINTR {
			return -1, now
		}
		return 0, now
	}
	if n == 0 {
		return 0, now
	}
	batch := p.batch[:0]
	for _, ev := range p.events[:n] {
		if fd := int(ev.Fd); fd < len(p.conns) && p.conns[fd] != nil {
			c := p.conns[fd]
			if read, ok := p.receive(c); ok {
				hup := ev.Events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0
				batch = append(batch, batchConn{c: c, read: read, hup: hup})
			}
		}
	}
	// The batch's clock is read after its reads, so every request it
	// answers had arrived by then: a handler that refuses requests from
	// a time on (the edge's fleet fence) is never shown, after a pause
	// of the process, a request that came during it stamped with a time
	// from before.
	now = time.Now()
	for i := range batch {
		p.answer(&batch[i], now)
	}
	p.endBatch()
	for i := range batch {
		p.send(&batch[i])
		batch[i] = batchConn{} // keeps no connection alive
	}
	return n, now
}

// endBatch lets a Batcher handler do the work it deferred for the
// answers given so far (Batcher): before any of them is sent.
func (p *poller) endBatch() {
	if p.batcher != nil {
		p.batcher.EndBatch(p.scratch)
	}
}

// batchConn is one connection's share of a batch, from its read to its
// write.
type batchConn struct {
	c    *conn
	read int // bytes read into c.bufs.in
	// hup: the viewer had closed its side (or the socket failed) when
	// epoll reported the connection. Edge-triggered, that is said once,
	// with the bytes that came before it, so the connection goes back to
	// its goroutine, whose next read sees the end.
	hup bool
	// out holds the answers to the requests in bufs.in[:answered], hits
	// of them; handedBack: answer handed the connection back (send has
	// nothing to do).
	out        []byte
	answered   int
	hits       int
	handedBack bool
}

// receive reads what arrived on c; false when there is nothing to answer
// (nothing had arrived, or the stream ended or failed: c is then handed
// back, and its goroutine closes it).
func (p *poller) receive(c *conn) (int, bool) {
	in := c.bufs.in[:]
	n, err := rawio.Read(c.fd, in)
	for err == syscall.EINTR { // edge-triggered: no second event for these bytes
		n, err = rawio.Read(c.fd, in)
	}
	if err == syscall.EAGAIN {
		return 0, false
	}
	if n <= 0 {
		c.res.exit = true
		p.release(c)
		return 0, false
	}
	return n, true
}

// answer answers in place the requests x read, while each is a fast hit
// whose response fits the socket; anything else is handed back to the
// goroutine with the state it needs to go on.
func (p *poller) answer(x *batchConn, now time.Time) {
	c := x.c
	defer func() {
		if v := recover(); v != nil {
			c.logPanic(v)
			c.res.exit = true
			p.release(c)
			x.handedBack = true
		}
	}()
	r := &c.res
	in, n := c.bufs.in[:], x.read
	r.received = now
	s := c.s
	start, out := 0, r.out[:0]
	for start < n {
		m, st := parse(in[start:n], &c.req)
		if st != complete {
			break // incomplete or unsupported: the goroutine's loop does it
		}
		req := &c.req
		req.RemoteAddr, req.Received, req.TLS, req.Batch = c.remote, now, nil, p.scratch
		head, body, ok := s.Handler.ServeFast(req, out)
		if !ok {
			break // declined: the goroutine offers it again, then net/http
		}
		p.served++
		x.hits++
		start += m
		out = head
		if len(body) >= writevSize || req.Close {
			if len(body) < writevSize {
				out, body = append(out, body...), nil
			}
			r.start, r.end, r.out, r.body, r.closeAfter = start, n, out, body, req.Close
			p.endBatch() // the goroutine may send these answers at once
			p.release(c)
			x.handedBack = true
			return
		}
		out = append(out, body...)
		if len(out) >= flushSize {
			p.endBatch()
			if !p.flush(c, out, start, n) {
				x.handedBack = true
				return
			}
			out = out[:0]
		}
	}
	x.out, x.answered = out, start
}

// send writes x's answers, and hands the connection back when requests
// are left that the loop did not answer, or the viewer closed; else the
// connection stays parked.
func (p *poller) send(x *batchConn) {
	if x.handedBack {
		return
	}
	c, r, out, start, n := x.c, &x.c.res, x.out, x.answered, x.read
	if !p.flush(c, out, start, n) {
		return
	}
	r.out = out[:0]
	if cap(out) > idleOutSize {
		r.out = nil // as the goroutine loop: an idle connection keeps no large buffer
	}
	if start < n || x.hup { // requests left for the goroutine, or the viewer's close (hup)
		r.start, r.end = start, n
		p.release(c)
		return
	}
	if n == len(c.bufs.in) {
		// The read filled the buffer: more may be waiting, with no event
		// to come for it (watch). Re-arming reports it if so.
		if p.watch(syscall.EPOLL_CTL_MOD, c.fd) != nil {
			p.release(c) // its goroutine reads instead
			return
		}
	}
	if !c.detached {
		if c.inLoop += x.hits; c.inLoop >= detachAfter {
			p.detach(c) // a detached one's events come only here
		}
	}
}

// flush writes out without blocking; when the socket takes less, the rest
// and the requests in bufs.in[start:end] go back to the goroutine, whose
// writes wait for the viewer (a slow reader, or responses larger than the
// socket buffer), and flush reports false.
func (p *poller) flush(c *conn, out []byte, start, end int) bool {
	if len(out) == 0 {
		return true
	}
	w, err := writeAll(c.fd, out)
	if err == nil && w == len(out) {
		return true
	}
	c.res.out = out[:copy(out, out[w:])]
	c.res.start, c.res.end = start, end
	p.release(c)
	return false
}

// writeAll writes b without blocking; it stops at the first short write.
func writeAll(fd int, b []byte) (int, error) {
	for {
		w, err := rawio.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		return max(w, 0), err
	}
}

// sweep closes the parked connections idle for Server.IdleTimeout, with
// a second of slack like the goroutine loop's deadlines.
func (p *poller) sweep() {
	if p.idle <= 0 {
		return
	}
	t := time.NewTicker(min(time.Second, p.idle))
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case now := <-t.C:
			p.mu.Lock()
			for _, c := range p.conns {
				if c != nil && now.Sub(c.res.received) >= p.idle {
					c.res.exit = true
					p.release(c)
				}
			}
			p.mu.Unlock()
		}
	}
}

// The loop's system calls never block (non-blocking sockets, a zero
// epoll timeout), so they are made without telling the scheduler
// (syscall.RawSyscall; reads and writes through package rawio): that
// saves the bookkeeping of a blocking call and keeps the runtime's
// monitor from handing the loop's P to another thread when a call is
// slow (preempted by an interrupt, say). epoll_ctl is made raw too: the
// connection goroutine's park and the loop's hand-back call it once each
// per declined request (every miss), and a system call the scheduler is
// told about there wakes the monitor thread whenever the P was idle,
// which then polls every 20 microseconds (package rawio has the figures).

func epollWait(epfd int, events []syscall.EpollEvent) (int, error) {
	n, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(unsafe.SliceData(events))), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

func epollCtl(epfd, op, fd int, ev *syscall.EpollEvent) error {
	_, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, uintptr(epfd), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
